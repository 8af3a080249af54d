/*
 * depthwise-conv2d-backward-input — dL/dx of a depthwise convolution
 * (channel multiplier m), as a gather (deterministic, no atomics).
 *
 *   dx[n, iy, ix, c] = Σ_{ky, kx} Σ_{j < m} dy[n, oy, ox, c·m + j] · w[ky, kx, c·m + j]
 *   over taps with iy = oy·sh − padT + ky, ix = ox·sw − padL + kx, (oy, ox) in range.
 *
 * Layouts: dy NHWC [n, oh, ow, c·m]; w [kh, kw, c·m] (the forward's buffer,
 * fake-quantized when training with quantization); dx NHWC [n, h, w, c].
 * Bindings (group 0): 0 uniform Params · 1 dy (read) · 2 w (read) · 3 dx (read_write)
 * Dispatch: one thread per input element, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */

fn body(i: u32) {
  let el = nhwc(i, p.h, p.w, p.c);
  let yy = el.y + p.padT;
  let xx = el.x + p.padL;
  // Only the taps that reach an output pixel, ky ∈ [yy − (oh−1)·sh, yy] (the
  // border taps of a valid conv are ~half of all taps at LeNet's sizes), in
  // ascending (ky, kx) order as before.
  let ky0 = u32(max(i32(yy) - i32((p.oh - 1u) * p.sh), 0));
  let ky1 = min(p.kh, yy + 1u);
  let kx0 = u32(max(i32(xx) - i32((p.ow - 1u) * p.sw), 0));
  let kx1 = min(p.kw, xx + 1u);
  let cm = p.c * p.m;
  let o0 = el.c * p.m;
  var acc = 0.0;
  for (var ky = ky0; ky < ky1; ky++) {
    let ty = yy - ky;
    if (ty % p.sh != 0u) {
      continue;
    }
    let rowBase = (el.n * p.oh + ty / p.sh) * p.ow;
    for (var kx = kx0; kx < kx1; kx++) {
      let tx = xx - kx;
      if (tx % p.sw != 0u) {
        continue;
      }
      let dyBase = (rowBase + tx / p.sw) * cm + o0;
      let wBase = (ky * p.kw + kx) * cm + o0;
      for (var j = 0u; j < p.m; j++) {
        acc += dy[dyBase + j] * wt[wBase + j];
      }
    }
  }
  dx[i] = acc;
}
