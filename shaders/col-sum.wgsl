/*
 * col-sum — column sums of a row-major matrix in a fixed order (row 0, 1, …):
 * bias gradients (Σ over every output pixel of dy) and the second stage of
 * the split weight-gradient reductions. No atomics, so results are
 * bit-identical run to run.
 *
 *   y[g·n + j] = Σ_{r ∈ group g} x[r·n + j]        j < n, g < groups
 *
 * Groups are consecutive runs of p.per rows (the last may be shorter). One
 * group is the plain column sum; several are the first stage of a two-stage
 * sum whose second stage is a one-group col-sum of the [groups, n] result.
 * Why groups: a bias gradient sums every output pixel of the batch (36,864
 * rows for LeNet-5's conv1 at batch 64) for a handful of columns, and one
 * thread per column ran 20 threads in one workgroup on one core.
 *
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per (group, column), i = (wid.x + wid.z·nwg.x)·WG + lid = g·n + j.
 */

fn body(i: u32) {
  let j = i % p.n;
  let r0 = (i / p.n) * p.per;
  let r1 = min(r0 + p.per, p.rows);
  var acc = 0.0;
  for (var r = r0; r < r1; r++) {
    acc += x[r * p.n + j];
  }
  y[i] = acc;
}
