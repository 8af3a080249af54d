/**
 * What every int8 kernel shares: the shader-source builder that picks the
 * dot-product code variant, and host-side packing of 4 × i8 per u32.
 *
 * The variant is code, not an override: a module that calls dot4I8Packed
 * does not compile where the language feature is missing. So each int8
 * kernel exists as two descriptors whose names end in `:dot4` / `:shift`;
 * the pipeline cache keys shader modules and pipelines by name, which makes
 * the variant part of the cache key.
 */
import type { AdapterReport } from '../device.ts';
import type { KernelDescriptor } from './types.ts';

/** 'dot4': `dot4I8Packed` / `unpack4xI8` (WGSL `packed_4x8_integer_dot_product`); 'shift': shift-and-mask, runs anywhere. */
export type DotVariant = 'dot4' | 'shift';

export const DOT_VARIANTS: readonly DotVariant[] = ['dot4', 'shift'];

/** The fastest variant this adapter compiles. */
export function dotVariantFor(report: AdapterReport): DotVariant {
  return report.wgslLanguageFeatures.packed4x8IntegerDotProduct ? 'dot4' : 'shift';
}

/** Library helpers of an int8 kernel: the variant's unpack4i8/dot4i8 (shaders/lib/int8-dot-*.wgsl), then the common fixed-point functions. */
export function i8Lib(variant: DotVariant): readonly string[] {
  return [variant === 'dot4' ? 'int8-dot-dot4' : 'int8-dot-shift', 'int8-common'];
}

/** One descriptor per variant, made once (so the pipeline cache sees a stable object and name per variant). */
export function perVariant<S>(make: (variant: DotVariant) => KernelDescriptor<S>): Record<DotVariant, KernelDescriptor<S>> {
  return { dot4: make('dot4'), shift: make('shift') };
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

