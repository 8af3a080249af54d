/*
 * pack-weight — copies a master weight into the layout the forward kernels
 * read, optionally fake-quantized (the straight-through estimator of
 * quantization-aware training: the forward pass and dInput see quantized
 * weights, the optimizer updates the full-precision master).
 *
 *   TRANSPOSE = 1 (conv2d / dense): master [oc, K] → packed [K, ocp] (ocp = oc
 *     rounded up to 4; the padding columns are never written and stay 0), as
 *     packGemmWeight does on the host.
 *   TRANSPOSE = 0 (depthwise): master [K, oc] → same layout.
 *   QUANT = 1: v = clamp(round(w / s), −qmax, qmax) · s with s = scales[o]
 *     (PER_CHANNEL = 1) or scales[0], s = absmax / qmax (from weight-absmax);
 *     s = 0 (an all-zero channel) gives 0.
 *   QUANT = 2 (ternary, TWN): v = sign(w) · α where |w| > Δ, else 0;
 *   QUANT = 3 (binary, BWN): v = −α where w < 0, else α; with (Δ, α) =
 *     (scales[2c], scales[2c + 1]) from weight-ternary-stats, c = o or 0.
 *
 * Bindings (group 0): 0 uniform Params · 1 master (read) · 2 scales (read) · 3 packed (read_write)
 * Dispatch: one thread per master element, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(oc·K / WG).
 */
override TRANSPOSE: u32 = 1u;
override QUANT: u32 = 0u;
override PER_CHANNEL: u32 = 0u;

fn body(i: u32) {
  var o = i % p.oc;
  var dst = i;
  if (TRANSPOSE == 1u) {
    o = i / p.k;
    dst = (i % p.k) * p.ocp + o;
  }
  var v = master[i];
  if (QUANT == 1u) {
    let s = scales[select(0u, o, PER_CHANNEL == 1u)];
    v = select(0.0, clamp(round(v / s), -p.qmax, p.qmax) * s, s > 0.0);
  } else if (QUANT >= 2u) {
    let c = select(0u, o, PER_CHANNEL == 1u);
    let alpha = scales[2u * c + 1u];
    if (QUANT == 2u) {
      v = select(0.0, select(alpha, -alpha, v < 0.0), abs(v) > scales[2u * c]);
    } else {
      v = select(alpha, -alpha, v < 0.0);
    }
  }
  packed[dst] = v;
}
