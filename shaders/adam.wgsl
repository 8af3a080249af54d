/*
 * adam — one step of Adam with decoupled weight decay (AdamW, Loshchilov &
 * Hutter; PyTorch's torch.optim.AdamW order), then the pruning mask:
 *
 *   w = w · (1 − lr · wd)
 *   m = β1 · m + (1 − β1) · g;   v = β2 · v + (1 − β2) · g²
 *   w = (w − lr · (m / bc1) / (sqrt(v / bc2) + ε)) · mask
 *   (masked-out weights also get m = v = 0)
 *
 * Per-step values come from schedule[step] = (lr, bc1 = 1 − β1^t, bc2 = 1 − β2^t, 0),
 * computed on the host in f64, step = state[0].
 * Layouts: w, grad, m, v, mask [size], read as vec4 words (buffers are padded
 * to 16 bytes; the padding is zero in every one of them and stays zero: a zero
 * gradient with zero moments moves nothing), one word per thread — a scalar per
 * thread cost SwiftShader 4× the per-invocation overhead.
 * Bindings (group 0): 0 uniform Params · 1 grad (read) · 2 mask (read) ·
 *   3 schedule (read) · 4 state (read) · 5 w (read_write) · 6 m (read_write) · 7 v (read_write)
 * Dispatch: one thread per vec4 word, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override MASK: u32 = 0u;

fn body(i: u32) {
  let sc = schedule[state[0]];
  let lr = sc.x;
  let g = grad[i];
  var mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  var vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  var wi = w[i] * (1.0 - lr * p.weightDecay);
  wi = wi - lr * (mi / sc.y) / (sqrt(vi / sc.z) + p.eps);
  if (MASK == 1u) {
    let keep = mask[i] != vec4<f32>(0.0);
    wi = select(vec4<f32>(0.0), wi, keep);
    mi = select(vec4<f32>(0.0), mi, keep);
    vi = select(vec4<f32>(0.0), vi, keep);
  }
  m[i] = mi;
  v[i] = vi;
  w[i] = wi;
}
