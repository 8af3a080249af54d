/*
 * sgd — one step of SGD with momentum and L2 weight decay (PyTorch's
 * torch.optim.SGD, dampening 0, no Nesterov), then the pruning mask:
 *
 *   g = grad + wd · w;  v = μ · v + g;  w = (w − lr · v) · mask
 *   (masked-out weights also get v = 0 so nothing builds up behind the mask)
 *
 * lr comes from the per-step schedule (schedule[step].x, step = state[0]) so
 * that a whole run of steps is one command buffer.
 * Layouts: w, grad, v, mask [size] (mask 0/1; all ones without MASK the buffer is a dummy),
 * read as vec4 words (buffers are padded to 16 bytes with zeros, which stay zero).
 * Bindings (group 0): 0 uniform Params · 1 grad (read) · 2 mask (read) ·
 *   3 schedule (read) · 4 state (read) · 5 w (read_write) · 6 v (read_write)
 * Dispatch: one thread per vec4 word, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override MASK: u32 = 0u;

fn body(i: u32) {
  let lr = schedule[state[0]].x;
  let g = grad[i] + p.weightDecay * w[i];
  var vi = p.momentum * v[i] + g;
  var wi = w[i] - lr * vi;
  if (MASK == 1u) {
    let keep = mask[i] != vec4<f32>(0.0);
    wi = select(vec4<f32>(0.0), wi, keep);
    vi = select(vec4<f32>(0.0), vi, keep);
  }
  v[i] = vi;
  w[i] = wi;
}
