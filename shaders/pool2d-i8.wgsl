/*
 * pool2d-i8 — max or average pooling directly on int8 codes (no padding,
 * floor mode); the output keeps the input's scale and zero point, so the
 * max of codes is the code of the max, and the mean of codes is the code of
 * the mean. The mean is rounded half away from zero in integers, as TFLite
 * does: (sum ± ⌊count/2⌋) / count, truncated. A fused ReLU clamps at `lo`
 * (the zero point), else lo = −128.
 *
 *   y[n, oy, ox, c] = clamp(reduce_{wy<winH, wx<winW} x[n, oy·sh + wy, ox·sw + wx, c], lo, 127)
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
  var m = vec4<i32>(-128);
  var s = vec4<i32>(0);
  for (var wy = 0u; wy < p.winH; wy++) {
    let rowBase = (at.n * p.h + at.y * p.sh + wy) * p.w + at.x * p.sw;
    for (var wx = 0u; wx < p.winW; wx++) {
      let v = unpack4i8(x[(rowBase + wx) * p.c4 + at.c]);
      m = max(m, v);
      s += v;
    }
  }
  var r = m;
  if (AVG == 1u) {
    let count = i32(p.winH * p.winW);
    let half = vec4<i32>(count / 2);
    r = select((s - half) / count, (s + half) / count, s > vec4<i32>(0));
  }
  y[i] = pack4i8(clamp(r, vec4<i32>(p.lo), vec4<i32>(127)));
}
