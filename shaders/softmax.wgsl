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

fn body(r: u32) {
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
