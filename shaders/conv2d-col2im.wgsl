/*
 * conv2d-col2im — second stage of a convolution's dL/dx when it is computed
 * as a plain GEMM (conv2d-backward-input with a 1×1 "kernel" over the output
 * pixels gives the column gradients dcol = dy · W, with no wasted work at the
 * borders); this gather adds each input element's taps in a fixed order
 * (ky, then kx), so no atomics and bit-identical reruns.
 *
 *   dx[n, iy, ix, c] = Σ_{ky, kx} dcol[n, oy, ox, (ky·kw + kx)·c + ch]
 *   over the taps with iy = oy·sh − padT + ky, ix = ox·sw − padL + kx for an
 *   in-range output (oy, ox).
 *
 * Layouts: dcol [n, oh, ow, K] (K = kh·kw·c, the forward weight's column
 * order); dx NHWC [n, h, w, c].
 * Bindings (group 0): 0 uniform Params · 1 dcol (read) · 2 dx (read_write)
 * Dispatch: one thread per dx element, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */

fn body(i: u32) {
  let at = nhwc(i, p.h, p.w, p.c);
  let k = p.kh * p.kw * p.c;
  let yy = at.y + p.padT;
  let xx = at.x + p.padL;
  // Only the taps that reach an output pixel: ky ∈ [yy − (oh−1)·sh, yy].
  let ky0 = u32(max(i32(yy) - i32((p.oh - 1u) * p.sh), 0));
  let ky1 = min(p.kh, yy + 1u);
  let kx0 = u32(max(i32(xx) - i32((p.ow - 1u) * p.sw), 0));
  let kx1 = min(p.kw, xx + 1u);
  var acc = 0.0;
  for (var ky = ky0; ky < ky1; ky++) {
    let ty = yy - ky;
    if (ty % p.sh != 0u) {
      continue;
    }
    let rowBase = (at.n * p.oh + ty / p.sh) * p.ow;
    for (var kx = kx0; kx < kx1; kx++) {
      let tx = xx - kx;
      if (tx % p.sw != 0u) {
        continue;
      }
      acc += dcol[(rowBase + tx / p.sw) * k + (ky * p.kw + kx) * p.c + at.c];
    }
  }
  dx[i] = acc;
}
