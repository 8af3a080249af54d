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
 * Layouts: w, grad, m, v, mask [size].
 * Bindings (group 0): 0 uniform Params · 1 grad (read) · 2 mask (read) ·
 *   3 schedule (read) · 4 state (read) · 5 w (read_write) · 6 m (read_write) · 7 v (read_write)
 * Dispatch: one thread per element, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override WG: u32 = 64u;
override MASK: u32 = 0u;

struct Params {
  size: u32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read> schedule: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> state: array<u32>;
@group(0) @binding(5) var<storage, read_write> w: array<f32>;
@group(0) @binding(6) var<storage, read_write> m: array<f32>;
@group(0) @binding(7) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.z * nwg.x) * WG + lid;
  if (i >= p.size) {
    return;
  }
  let sc = schedule[state[0]];
  let lr = sc.x;
  let g = grad[i];
  var mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  var vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  var wi = w[i] * (1.0 - lr * p.weightDecay);
  wi = wi - lr * (mi / sc.y) / (sqrt(vi / sc.z) + p.eps);
  if (MASK == 1u) {
    let keep = mask[i] != 0.0;
    wi = select(0.0, wi, keep);
    mi = select(0.0, mi, keep);
    vi = select(0.0, vi, keep);
  }
  m[i] = mi;
  v[i] = vi;
  w[i] = wi;
}
