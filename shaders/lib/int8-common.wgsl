/*
 * int8 common functions, prepended to every *-i8.wgsl kernel after the
 * packing variant (int8-dot-dot4.wgsl or int8-dot-shift.wgsl): packing of
 * four clamped lanes, and gemmlowp / TFLite fixed-point requantization,
 * bit-exact with src/cpu/quantized.ts.
 *
 * WGSL has no 64-bit integers, so SaturatingRoundingDoublingHighMul forms
 * |a|·|b| as a 64-bit (hi, lo) pair of u32 from 16-bit halves, adds the
 * rounding nudge, takes bits 31..62, and restores the sign (C++'s division
 * truncates toward zero, which on magnitudes is a plain shift).
 */

/** Four i32 lanes, each already in [−128, 127], as one packed word (lane l → byte l). */
fn pack4i8(v: vec4<i32>) -> u32 {
  let b = (bitcast<vec4<u32>>(v) & vec4<u32>(0xffu)) << vec4<u32>(0u, 8u, 16u, 24u);
  return (b.x | b.y) | (b.z | b.w);
}

/** gemmlowp SaturatingRoundingDoublingHighMul(a, b). */
fn srdhm(a: i32, b: i32) -> i32 {
  if (a == b && a == i32(-2147483648)) {
    return 2147483647;
  }
  let neg = (a < 0) != (b < 0);
  let ua = select(u32(a), 0u - u32(a), a < 0);
  let ub = select(u32(b), 0u - u32(b), b < 0);
  let al = ua & 0xffffu;
  let ah = ua >> 16u;
  let bl = ub & 0xffffu;
  let bh = ub >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let hh = ah * bh;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  let lo = (ll & 0xffffu) | (mid << 16u);
  let hi = hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  // Nudge 2^30 for a non-negative product; 2^30 − 1 on the magnitude of a negative one (= 1 − 2^30, then truncation toward zero).
  let add = select(0x40000000u, 0x3fffffffu, neg);
  let lo2 = lo + add;
  let hi2 = hi + select(0u, 1u, lo2 < lo);
  let r = i32((hi2 << 1u) | (lo2 >> 31u));
  return select(r, -r, neg);
}

/** gemmlowp RoundingDivideByPOT: x / 2^e rounded half away from zero, 0 ≤ e ≤ 31. */
fn roundingDivideByPOT(x: i32, e: u32) -> i32 {
  let mask = i32((1u << e) - 1u);
  let remainder = x & mask;
  let threshold = (mask >> 1u) + select(0, 1, x < 0);
  return (x >> e) + select(0, 1, remainder > threshold);
}

/** int32 accumulator → int8 code: zp + MultiplyByQuantizedMultiplier(acc, m, shift), clamped to [lo, 127]. */
fn requant(acc: i32, m: i32, shift: i32, zp: i32, lo: i32) -> i32 {
  let left = u32(max(shift, 0));
  let right = u32(max(-shift, 0));
  return clamp(zp + roundingDivideByPOT(srdhm(acc << left, m), right), lo, 127);
}
