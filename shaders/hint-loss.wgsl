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

fn body(r: u32) {
  var acc = 0.0;
  for (var i = r * p.size; i < (r + 1u) * p.size; i++) {
    let d = s[i] - t[i];
    acc += d * d;
    ds[i] += p.beta * d * p.invBatch;
  }
  lossAcc[r] += 0.5 * p.beta * acc;
}
