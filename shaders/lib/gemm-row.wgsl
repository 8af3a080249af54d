/*
 * gemm-row — a GEMM row of the implicit-GEMM convolutions (conv2d,
 * conv2d-i8) decoded into its image and its top-left input tap. Rows are
 * conv output pixels, batch folded in; with a fused pool the WIN_H·WIN_W
 * rows of one pooled pixel's window are adjacent (so a thread owning whole
 * windows pools in registers). The kernel supplies `p` with rows, poh, pow_,
 * psh, psw, sh, sw, padT, padL, h, w and the overrides WIN_H, WIN_W.
 */

/** A row's image base (pixel, or word for conv2d-i8's SLIDE packing) and its top-left input tap (negative inside the padding). */
struct Row {
  pix: u32,
  iy: i32,
  ix: i32,
}

/** Row mIn (past the end: the last row, recomputed and never stored), its image base at `imgStride` per image. */
fn decodeRow(mIn: u32, imgStride: u32) -> Row {
  let win = WIN_H * WIN_W;
  let m = min(mIn, p.rows - 1u);
  let q = m / win;
  let wi = m % win;
  let perImage = p.poh * p.pow_;
  let n = q / perImage;
  let rem = q % perImage;
  let oy = (rem / p.pow_) * p.psh + wi / WIN_W;
  let ox = (rem % p.pow_) * p.psw + wi % WIN_W;
  return Row(n * imgStride, i32(oy * p.sh) - i32(p.padT), i32(ox * p.sw) - i32(p.padL));
}

/** Offset of the row's input pixel for tap (ky, kx) at `pixelStride` elements (or words) per pixel, or −1 inside the padding. */
fn tapOffset(d: Row, ky: u32, kx: u32, pixelStride: u32) -> i32 {
  let iy = d.iy + i32(ky);
  let ix = d.ix + i32(kx);
  // `&`, not `&&`: short-circuit operators become branches, and with one per row
  // per tap SwiftShader's JIT took minutes (2 s → 160 s at 8 rows) to compile them.
  let inside = (iy >= 0) & (iy < i32(p.h)) & (ix >= 0) & (ix < i32(p.w));
  return select(-1, i32((d.pix + u32(iy) * p.w + u32(ix)) * pixelStride), inside);
}
