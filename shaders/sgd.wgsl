/*
 * sgd — one step of SGD with momentum and L2 weight decay (PyTorch's
 * torch.optim.SGD, dampening 0, no Nesterov), then the pruning mask:
 *
 *   g = grad + wd · w;  v = μ · v + g;  w = (w − lr · v) · mask
 *   (masked-out weights also get v = 0 so nothing builds up behind the mask)
 *
 * lr comes from the per-step schedule (schedule[step].x, step = state[0]) so
 * that a whole run of steps is one command buffer.
 * Layouts: w, grad, v, mask [size] (mask 0/1; all ones without MASK the buffer is a dummy).
 * Bindings (group 0): 0 uniform Params · 1 grad (read) · 2 mask (read) ·
 *   3 schedule (read) · 4 state (read) · 5 w (read_write) · 6 v (read_write)
 * Dispatch: one thread per element, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override WG: u32 = 64u;
override MASK: u32 = 0u;

struct Params {
  size: u32,
  momentum: f32,
  weightDecay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read> schedule: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> state: array<u32>;
@group(0) @binding(5) var<storage, read_write> w: array<f32>;
@group(0) @binding(6) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.z * nwg.x) * WG + lid;
  if (i >= p.size) {
    return;
  }
  let lr = schedule[state[0]].x;
  let g = grad[i] + p.weightDecay * w[i];
  var vi = p.momentum * v[i] + g;
  var wi = w[i] - lr * vi;
  if (MASK == 1u) {
    let keep = mask[i] != 0.0;
    wi = select(0.0, wi, keep);
    vi = select(0.0, vi, keep);
  }
  v[i] = vi;
  w[i] = wi;
}
