/*
 * col-sum — column sums of a row-major matrix in a fixed order (row 0, 1, …):
 * bias gradients (Σ over every output pixel of dy) and the second stage of
 * the split weight-gradient reductions. No atomics, so results are
 * bit-identical run to run.
 *
 *   y[j] = Σ_{r < rows} x[r·n + j]        j < n
 *
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per column, j = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override WG: u32 = 64u;

struct Params {
  rows: u32,
  n: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let j = (wid.x + wid.z * nwg.x) * WG + lid;
  if (j >= p.n) {
    return;
  }
  var acc = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    acc += x[r * p.n + j];
  }
  y[j] = acc;
}
