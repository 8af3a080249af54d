/*
 * pool2d — max or average pooling over a window (floor mode, optional explicit
 * pads), with an optional ReLU after it. Used when a pool cannot be fused into the
 * preceding conv2d's epilogue (another producer, or a window conv2d's register
 * block cannot hold).
 *
 *   y[n, oy, ox, ch] = act(reduce_{wy<winH, wx<winW} x[n, oy·sh − padT + wy, ox·sw − padL + wx, ch])
 *   over the taps inside the image (pads are below the window, so there is
 *   always one); reduce = max, or the sum divided by winH·winW (p.incl = 1:
 *   padded taps count as zeros) or by the in-image taps (p.incl = 0).
 *
 * Layouts: x NHWC [n, h, w, c]; y NHWC [n, oh, ow, c].
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per output element, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(n·oh·ow·c / WG).
 *
 * VEC4 (code constant; c % 4 == 0): the same body on words of 4 channels —
 * x and y are bound as vec4 arrays and p.c counts words, so a thread does 4
 * channels for the index arithmetic and loads of one (on SwiftShader each
 * lane's scalar load is a gather of its own; per-element pools cost as much
 * as a convolution's inner loop, see docs/benchmark.md).
 */
/** 0: max, 1: average. */
override AVG: u32 = 0u;
override RELU: u32 = 0u;

//#if VEC4
alias F = vec4<f32>;
//#else
alias F = f32;
//#endif

fn body(i: u32) {
  let at = nhwc(i, p.oh, p.ow, p.c);
  let top = i32(at.y * p.sh) - i32(p.padT);
  let left = i32(at.x * p.sw) - i32(p.padL);
  let y0 = u32(max(top, 0));
  let y1 = u32(min(top + i32(p.winH), i32(p.h)));
  let x0 = u32(max(left, 0));
  let x1 = u32(min(left + i32(p.winW), i32(p.w)));
  var acc = F(select(-3.402823e38, 0.0, AVG == 1u));
  for (var iy = y0; iy < y1; iy++) {
    for (var ix = x0; ix < x1; ix++) {
      let v = x[((at.n * p.h + iy) * p.w + ix) * p.c + at.c];
      if (AVG == 1u) {
        acc += v;
      } else {
        acc = max(acc, v);
      }
    }
  }
  if (AVG == 1u) {
    acc = acc / f32(select((y1 - y0) * (x1 - x0), p.winH * p.winW, p.incl == 1u));
  }
  if (RELU == 1u) {
    acc = max(acc, F(0.0));
  }
  y[i] = acc;
}
