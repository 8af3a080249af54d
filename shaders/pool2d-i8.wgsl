/*
 * pool2d-i8 — max or average pooling directly on int8 codes (floor mode,
 * optional explicit pads); the output keeps the input's scale and zero point, so the
 * max of codes is the code of the max, and the mean of codes is the code of
 * the mean. The mean is rounded half away from zero in integers, as TFLite
 * does: (sum ± ⌊count/2⌋) / count, truncated. A fused ReLU clamps at `lo`
 * (the zero point), else lo = −128.
 *
 *   y[n, oy, ox, c] = clamp(reduce_{wy<winH, wx<winW} x[n, oy·sh − padT + wy, ox·sw − padL + wx, c], lo, 127)
 *   over the in-image taps; an average with p.incl = 1 adds each padded tap
 *   as the code p.zp (real 0) and divides by winH·winW, else divides by the
 *   in-image taps (src/cpu/quantized.ts).
 *
 * Layouts: x, y NHWC int8 packed 4 per u32 along channels, c4 words per pixel.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per output word (4 channels), i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(n·oh·ow·c4 / WG).
 */
/** 0: max, 1: average. */
override AVG: u32 = 0u;

fn body(i: u32) {
  let at = nhwc(i, p.oh, p.ow, p.c4);
  let top = i32(at.y * p.sh) - i32(p.padT);
  let left = i32(at.x * p.sw) - i32(p.padL);
  let y0 = u32(max(top, 0));
  let y1 = u32(min(top + i32(p.winH), i32(p.h)));
  let x0 = u32(max(left, 0));
  let x1 = u32(min(left + i32(p.winW), i32(p.w)));
  var m = vec4<i32>(-128);
  var s = vec4<i32>(0);
  for (var iy = y0; iy < y1; iy++) {
    let rowBase = (at.n * p.h + iy) * p.w;
    for (var ix = x0; ix < x1; ix++) {
      let v = unpack4i8(x[(rowBase + ix) * p.c4 + at.c]);
      m = max(m, v);
      s += v;
    }
  }
  var r = m;
  if (AVG == 1u) {
    let inside = i32((y1 - y0) * (x1 - x0));
    let count = select(inside, i32(p.winH * p.winW), p.incl == 1u);
    s += vec4<i32>((count - inside) * p.zp);
    let half = vec4<i32>(count / 2);
    r = select((s - half) / count, (s + half) / count, s > vec4<i32>(0));
  }
  y[i] = pack4i8(clamp(r, vec4<i32>(p.lo), vec4<i32>(127)));
}
