/*
 * argmax — per row, the index of the largest value (the first one on ties,
 * as the CPU reference). Reading back one u32 per image instead of its
 * logits is what makes batch classification cheap on readback.
 *
 * Layouts: x [rows, classes] row-major f32; y [rows] u32.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per row, r = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(rows / WG).
 */

fn body(r: u32) {
  let base = r * p.classes;
  var best = 0u;
  var bestV = x[base];
  for (var j = 1u; j < p.classes; j++) {
    let v = x[base + j];
    if (v > bestV) {
      best = j;
      bestV = v;
    }
  }
  y[r] = best;
}
