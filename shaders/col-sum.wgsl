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

fn body(j: u32) {
  var acc = 0.0;
  for (var r = 0u; r < p.rows; r++) {
    acc += x[r * p.n + j];
  }
  y[j] = acc;
}
