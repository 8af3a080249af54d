/*
 * depthwise-conv2d-backward-weight — dL/dw of a depthwise convolution, first
 * stage of a fixed-order two-stage reduction (col-sum adds the splits in
 * order): split s sums images [s·ips, min((s+1)·ips, batch)), then oy, ox.
 *
 *   partial[s, ky, kx, o] = Σ_{n ∈ split s} Σ_{oy, ox} dy[n, oy, ox, o] · x[n, iy, ix, o / m]
 *   (x is zero outside the image; m the channel multiplier)
 *
 * Layouts: x NHWC [n, h, w, c]; dy NHWC [n, oh, ow, c·m]; partial [splits, kh, kw, c·m].
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 dy (read) · 3 partial (read_write)
 * Dispatch: one thread per (split, weight element), i = (wid.x + wid.z·nwg.x)·WG + lid.
 */

fn body(i: u32) {
  let cm = p.c * p.m;
  let per = p.kh * p.kw * cm;
  let e = i % per;
  let s = i / per;
  let o = e % cm;
  let ch = o / p.m;
  let kx = (e / cm) % p.kw;
  let ky = e / (cm * p.kw);
  var acc = 0.0;
  let n1 = min((s + 1u) * p.ips, p.batch);
  for (var n = s * p.ips; n < n1; n++) {
    for (var oy = 0u; oy < p.oh; oy++) {
      let iy = i32(oy * p.sh + ky) - i32(p.padT);
      if (iy < 0 || iy >= i32(p.h)) {
        continue;
      }
      for (var ox = 0u; ox < p.ow; ox++) {
        let ix = i32(ox * p.sw + kx) - i32(p.padL);
        if (ix < 0 || ix >= i32(p.w)) {
          continue;
        }
        acc += dy[((n * p.oh + oy) * p.ow + ox) * cm + o] * x[((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ch];
      }
    }
  }
  partial[i] = acc;
}
