/*
 * nhwc — the coordinates of element i of an NHWC tensor [n, h, w, c]
 * (channels innermost), for kernels that run one thread per element. With
 * packed int8 tensors `c` counts words (c4) and `c` of the result is a word.
 */

struct Nhwc {
  n: u32,
  y: u32,
  x: u32,
  c: u32,
}

fn nhwc(i: u32, h: u32, w: u32, c: u32) -> Nhwc {
  let pix = i / c;
  return Nhwc(pix / (w * h), (pix / w) % h, pix % w, i % c);
}
