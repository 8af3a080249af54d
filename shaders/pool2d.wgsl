/*
 * pool2d — max or average pooling over a window, no padding (floor mode), with
 * an optional ReLU after it. Used when a pool cannot be fused into the
 * preceding conv2d's epilogue (another producer, or a window conv2d's register
 * block cannot hold).
 *
 *   y[n, oy, ox, ch] = act(reduce_{wy<winH, wx<winW} x[n, oy·sh + wy, ox·sw + wx, ch])
 *   reduce = max, or the mean (divided by winH·winW).
 *
 * Layouts: x NHWC [n, h, w, c]; y NHWC [n, oh, ow, c].
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per output element, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(n·oh·ow·c / WG).
 */
/** 0: max, 1: average. */
override AVG: u32 = 0u;
override RELU: u32 = 0u;

fn body(i: u32) {
  let at = nhwc(i, p.oh, p.ow, p.c);
  var acc = select(-3.402823e38, 0.0, AVG == 1u);
  for (var wy = 0u; wy < p.winH; wy++) {
    for (var wx = 0u; wx < p.winW; wx++) {
      let v = x[((at.n * p.h + at.y * p.sh + wy) * p.w + at.x * p.sw + wx) * p.c + at.c];
      if (AVG == 1u) {
        acc += v;
      } else {
        acc = max(acc, v);
      }
    }
  }
  if (AVG == 1u) {
    acc = acc / f32(p.winH * p.winW);
  }
  if (RELU == 1u) {
    acc = max(acc, 0.0);
  }
  y[i] = acc;
}
