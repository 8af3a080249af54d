/*
 * softmax — per row: y[r, j] = exp(x[r, j]/T − m) / Σ_k exp(x[r, k]/T − m),
 * m = max_k x[r, k]/T (subtracting the max keeps exp finite). T is the
 * temperature (1 for a plain softmax layer; distillation uses T > 1).
 *
 * Layouts: x, y [rows, classes] row-major.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per row, r = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(rows / WG). Rows are short (10 classes), so a thread per row
 *   beats a workgroup reduction.
 */
override WG: u32 = 64u;

struct Params {
  rows: u32,
  classes: u32,
  invT: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = (wid.x + wid.z * nwg.x) * WG + lid;
  if (r >= p.rows) {
    return;
  }
  let base = r * p.classes;
  var m = -3.402823e38;
  for (var j = 0u; j < p.classes; j++) {
    m = max(m, x[base + j] * p.invT);
  }
  var sum = 0.0;
  for (var j = 0u; j < p.classes; j++) {
    let e = exp(x[base + j] * p.invT - m);
    y[base + j] = e;
    sum += e;
  }
  for (var j = 0u; j < p.classes; j++) {
    y[base + j] = y[base + j] / sum;
  }
}
