/*
 * dequantize-i8 — int8 → float32 at the float boundary (the logits):
 *   y = f32(q − zp) · scale        (scale = fround(scale) from the host)
 *
 * Layouts: x NHWC int8 packed 4 per u32, c4 = ceil(c/4) words per pixel;
 * y NHWC float32 [pixels, c] (the padding bytes are dropped).
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per output float, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(pixels·c / WG).
 */

fn body(i: u32) {
  let pix = i / p.c;
  let ch = i % p.c;
  let v = unpack4i8(x[pix * p.c4 + ch / 4u]);
  let q = v[ch % 4u];
  y[i] = f32(q - p.zp) * bitcast<f32>(p.scaleBits);
}
