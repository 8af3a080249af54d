/*
 * weight-absmax — per channel, the quantization scale max_k |w[o, k]| / qmax
 * for fake quantization (pack-weight). One thread per channel scans its
 * elements in order (deterministic; a per-tensor scale is the same kernel
 * with one "channel" covering the whole tensor).
 *
 *   scales[o] = max_{k < K} |w[o·strideO + k·strideK]| / qmax
 *
 * Bindings (group 0): 0 uniform Params · 1 w (read) · 2 scales (read_write)
 * Dispatch: one thread per channel, o = (wid.x + wid.z·nwg.x)·WG + lid.
 */

fn body(o: u32) {
  var m = 0.0;
  for (var k = 0u; k < p.k; k++) {
    m = max(m, abs(w[o * p.strideO + k * p.strideK]));
  }
  scales[o] = m / p.qmax;
}
