/**
 * IEEE 754 binary16 ("half", safetensors `F16`) <-> binary32 conversion.
 *
 * Written out bit by bit rather than relying on `Math.f16round` /
 * `Float16Array`, which not every browser or Node version the lab targets has.
 * float32 -> float16 rounds to nearest, ties to even (the IEEE default, and
 * what numpy's `astype(float16)` and PyTorch's `.half()` do), keeps
 * subnormals, overflows to ±Infinity and keeps NaN a NaN.
 */

// One scratch word to read a float32's bits; the byte order of the platform
// does not matter because the same element is written and read.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern (0..0xffff) nearest to `value` (first rounded to float32, as a Float32Array would). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    // Infinity keeps a zero mantissa; NaN keeps its top payload bits and is
    // forced quiet so that truncating the payload cannot turn it into Infinity.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  // Unbiased exponent re-biased for binary16 (bias 15 instead of 127).
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large even before rounding: Infinity
  if (e <= 0) {
    // Result is a binary16 subnormal (or zero): value = m16 * 2^-24.
    // Below 2^-25 (e < -10) even the tie case rounds to zero.
    if (e < -10) return sign;
    const m = mant | 0x800000; // restore the implicit leading 1
    const shift = 14 - e; // 14..24
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    // A carry out of the mantissa lands on 0x400, the smallest normal: correct.
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry may ripple into the exponent, and from 0x7bff to 0x7c00 (Infinity): both correct.
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

/** The value of a binary16 bit pattern (exact: every binary16 value is a float32 and a double). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** `value` rounded to the nearest binary16 value (ties to even), as a number. */
export function roundToFloat16(value: number): number {
  return float16BitsToFloat32(float32ToFloat16Bits(value));
}

/** A copy of `values` with every element rounded to binary16 precision. */
export function roundArrayToFloat16(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float16BitsToFloat32(float32ToFloat16Bits(values[i]));
  return out;
}

/** Largest finite binary16 value. */
export const FLOAT16_MAX = 65504;
