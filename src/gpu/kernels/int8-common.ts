/**
 * What every int8 kernel shares: the shader-source builder that picks the
 * dot-product code variant, and host-side packing of 4 × i8 per u32.
 *
 * The form is code, not an override: a module that calls dot4I8Packed does
 * not compile where the language feature is missing. So it is the code
 * constant DOT4 of every int8 kernel, set from the params' `dot`: it picks
 * the library helper (shaders/lib/int8-dot-dot4.wgsl or int8-dot-shift.wgsl)
 * and, like every constant, is part of the pipeline cache key.
 */
import type { AdapterReport } from '../device.ts';
import type { CodeValues } from './types.ts';

/** 'dot4': `dot4I8Packed` / `unpack4xI8` (WGSL `packed_4x8_integer_dot_product`); 'shift': shift-and-mask, runs anywhere. */
export type DotVariant = 'dot4' | 'shift';

export const DOT_VARIANTS: readonly DotVariant[] = ['dot4', 'shift'];

/** The fastest variant this adapter compiles. */
export function dotVariantFor(report: Pick<AdapterReport, 'wgslLanguageFeatures'>): DotVariant {
  return report.wgslLanguageFeatures.packed4x8IntegerDotProduct ? 'dot4' : 'shift';
}

/** What the params of every int8 kernel carry besides the shape. */
export interface I8DotParams {
  /** Dot-product form the kernel is compiled in (code constant DOT4); default 'shift', which runs anywhere. */
  dot?: DotVariant;
}

/** The code constant DOT4 of `s.dot`. */
export function dotConstant(s: I8DotParams): { DOT4: number } {
  return { DOT4: s.dot === 'dot4' ? 1 : 0 };
}

/** Library helpers of an int8 kernel: the form's unpack4i8/dot4i8 (shaders/lib/int8-dot-*.wgsl), then the common fixed-point functions. */
export function i8Lib(code: CodeValues): readonly string[] {
  return [code.DOT4 ? 'int8-dot-dot4' : 'int8-dot-shift', 'int8-common'];
}

/** The variant of a kernel that unpacks bytes, as timings name it: WGSL's unpack4xI8, or shifts. */
export function unpackVariant(c: Record<string, number>): string {
  return c.DOT4 ? 'unpack4xI8' : 'unpack-shift';
}

/** Four int8 values as one little-endian u32 word (element l → byte l). */
export function packWord(a: number, b: number, c: number, d: number): number {
  return ((a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | ((d & 0xff) << 24)) >>> 0;
}

/** A zero point repeated in all four bytes: the packed word of real zero (padding). */
export function zeroPointWord(zp: number): number {
  return packWord(zp, zp, zp, zp);
}

/** Lower clamp bound of an int8 output: the zero point under a fused ReLU, else −128. */
export function lowerBound(zeroPoint: number, relu: boolean): number {
  return relu ? Math.max(zeroPoint, -128) : -128;
}

/**
 * NHWC int8 `[pixels, c]` (natural layout) → packed words `[pixels, ceil(c/4)]`,
 * tail bytes filled with `fill`.
 */
export function packActivations(q: Int8Array, c: number, fill = 0): Uint32Array {
  const c4 = Math.ceil(c / 4);
  const pixels = q.length / c;
  const out = new Uint32Array(pixels * c4);
  for (let p = 0; p < pixels; p++) {
    for (let w = 0; w < c4; w++) {
      const b = (l: number): number => (w * 4 + l < c ? q[p * c + w * 4 + l] : fill);
      out[p * c4 + w] = packWord(b(0), b(1), b(2), b(3));
    }
  }
  return out;
}

/** Packed words `[pixels, ceil(c/4)]` → NHWC int8 `[pixels, c]`, dropping the tail bytes. */
export function unpackActivations(words: Uint32Array, c: number, pixels: number): Int8Array {
  const c4 = Math.ceil(c / 4);
  const bytes = new Int8Array(words.buffer, words.byteOffset, words.length * 4);
  const out = new Int8Array(pixels * c);
  for (let p = 0; p < pixels; p++) for (let ch = 0; ch < c; ch++) out[p * c + ch] = bytes[p * c4 * 4 + ch];
  return out;
}
