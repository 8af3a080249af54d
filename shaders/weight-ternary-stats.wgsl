/*
 * weight-ternary-stats — per channel, the parameters of ternary (TWN) or
 * binary (BWN) fake quantization for pack-weight, as quantize.ts's
 * ternarize / binarize compute them:
 *
 *   TERNARY = 1: Δ = 0.7 · mean_k |w|,  α = mean of |w| over |w| > Δ (0 if none)
 *   TERNARY = 0: Δ = 0,                 α = mean_k |w|
 *   out[2o] = Δ, out[2o + 1] = α
 *
 * One thread per channel scans its elements in order (deterministic; a
 * per-tensor scale is one "channel" covering the whole tensor).
 * Bindings (group 0): 0 uniform Params · 1 w (read) · 2 out (read_write)
 * Dispatch: one thread per channel, o = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override TERNARY: u32 = 1u;

fn body(o: u32) {
  var sum = 0.0;
  for (var k = 0u; k < p.k; k++) {
    sum += abs(w[o * p.strideO + k * p.strideK]);
  }
  let mean = sum / f32(max(p.k, 1u));
  if (TERNARY == 0u) {
    out[2u * o] = 0.0;
    out[2u * o + 1u] = mean;
    return;
  }
  let delta = 0.7 * mean;
  var kept = 0u;
  var keptSum = 0.0;
  for (var k = 0u; k < p.k; k++) {
    let a = abs(w[o * p.strideO + k * p.strideK]);
    if (a > delta) {
      kept++;
      keptSum += a;
    }
  }
  out[2u * o] = delta;
  out[2u * o + 1u] = select(0.0, keptSum / f32(max(kept, 1u)), kept > 0u);
}
