/*
 * hint-loss — FitNets-style L2 "hint" between a student activation and the
 * teacher's activation of the same shape, added to the gradient already
 * flowing into that activation (one thread per row owns its elements, so the
 * read-modify-write is race-free and deterministic):
 *
 *   loss_r = β/2 · Σ_i (s[r, i] − t[r, i])²         (the batch loss is the mean over r)
 *   ds[r, i] += β · (s[r, i] − t[r, i]) / batch
 *   lossAcc[r] += loss_r
 *
 * Layouts: s, t, ds [rows, size]; lossAcc [rows].
 * Bindings (group 0): 0 uniform Params · 1 s (read) · 2 t (read) · 3 ds (read_write) · 4 lossAcc (read_write)
 * Dispatch: one thread per row, r = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override WG: u32 = 64u;

struct Params {
  rows: u32,
  size: u32,
  beta: f32,
  invBatch: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> ds: array<f32>;
@group(0) @binding(4) var<storage, read_write> lossAcc: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = (wid.x + wid.z * nwg.x) * WG + lid;
  if (r >= p.rows) {
    return;
  }
  var acc = 0.0;
  for (var i = r * p.size; i < (r + 1u) * p.size; i++) {
    let d = s[i] - t[i];
    acc += d * d;
    ds[i] += p.beta * d * p.invBatch;
  }
  lossAcc[r] += 0.5 * p.beta * acc;
}
