/*
 * depthwise-conv2d-i8 — integer-only int8 depthwise convolution with channel
 * multiplier m: output channel o sees only input channel o / m.
 *
 *   acc[n, oy, ox, o] = qb[o].x + Σ_{ky,kx} x[n, iy, ix, o / m] · w[ky, kx, o]
 *   y = clamp(outZp + MultiplyByQuantizedMultiplier(acc, qb[o].y, qb[o].z), lo, 127)
 *   (iy = oy·sh − padT + ky, ix = ox·sw − padL + kx; outside the image the
 *   input is `padWord`, the zero point ×4; the input zero point is folded
 *   into qb[o].x = bias[o] − inZp·Σ w[·, ·, o] on the host.)
 *
 * Four channels of one word are four independent lanes (no dot product
 * across channels), so the packed words are unpacked with unpack4i8. With
 * m = 1 a lane's input is the same lane of the input word; with m > 1 each
 * lane picks its input byte (o / m, clamped to the last channel for the
 * zero-weight tail lanes) from the pixel's input words.
 *
 * Layouts: x NHWC int8 packed, ci4 = ceil(c/4) words per pixel; w packed by
 * the host as [kh·kw, c4] words, c4 = ceil(c·m/4) (tail channels zero); qb
 * [c4·4] vec4<i32> (folded bias, multiplier, shift, 0); y NHWC int8 packed,
 * c4 words per pixel.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 w (read) · 3 qb (read) · 4 y (read_write)
 * Dispatch: one thread per output word, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(n·oh·ow·c4 / WG).
 */

/** Input code of output channel o (channel o / m) at pixel `pix`, or the zero point outside the image. */
fn laneX(pix: u32, o: u32, inside: bool) -> i32 {
  let ic = min(o / p.m, p.c - 1u);
  let word = select(p.padWord, x[min(pix * p.ci4 + ic / 4u, arrayLength(&x) - 1u)], inside);
  return unpack4i8(word)[ic % 4u];
}

fn body(i: u32) {
  let el = nhwc(i, p.oh, p.ow, p.c4);
  let iy0 = i32(el.y * p.sh) - i32(p.padT);
  let ix0 = i32(el.x * p.sw) - i32(p.padL);
  let q0 = qb[el.c * 4u];
  let q1 = qb[el.c * 4u + 1u];
  let q2 = qb[el.c * 4u + 2u];
  let q3 = qb[el.c * 4u + 3u];
  var acc = vec4<i32>(q0.x, q1.x, q2.x, q3.x);
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = iy0 + i32(ky);
    for (var kx = 0u; kx < p.kw; kx++) {
      let ix = ix0 + i32(kx);
      let inside = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
      let pix = (el.n * p.h + u32(max(iy, 0))) * p.w + u32(max(ix, 0));
      var xv: vec4<i32>;
      if (p.m == 1u) {
        xv = unpack4i8(select(p.padWord, x[min(pix * p.ci4 + el.c, arrayLength(&x) - 1u)], inside));
      } else {
        let o = el.c * 4u;
        xv = vec4<i32>(laneX(pix, o, inside), laneX(pix, o + 1u, inside), laneX(pix, o + 2u, inside), laneX(pix, o + 3u, inside));
      }
      acc += xv * unpack4i8(wt[(ky * p.kw + kx) * p.c4 + el.c]);
    }
  }
  let v = vec4<i32>(
    requant(acc.x, q0.y, q0.z, p.outZp, p.lo),
    requant(acc.y, q1.y, q1.z, p.outZp, p.lo),
    requant(acc.z, q2.y, q2.z, p.outZp, p.lo),
    requant(acc.w, q3.y, q3.z, p.outZp, p.lo),
  );
  y[i] = pack4i8(v);
}
