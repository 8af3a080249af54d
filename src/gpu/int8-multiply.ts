/**
 * Which multiply the int8 executor runs on an adapter, and what a measured
 * int8 rate next to the f32 rate means for the speed-up to expect. One
 * decision (`int8Defaults`) that createInt8Executor itself uses, so the
 * Device screen names the code that really runs, not the adapter's feature
 * list: on CPU adapters the executor compiles the dot4 form but multiplies
 * in exact f32 and never calls dot4I8Packed.
 */
import type { AdapterReport } from './device.ts';
import type { DotVariant } from './kernels/int8-common.ts';
import { dotVariantFor } from './kernels/int8-common.ts';
import type { I8Tiling } from './kernels/conv2d-i8.ts';
import { defaultI8Tiling, i8MacVariant, MAX_EXACT_F32_WORDS } from './kernels/conv2d-i8.ts';

/** The executor's defaults on an adapter: dot-product form and conv2d-i8's register block and MAC formulation. */
export function int8Defaults(report: Pick<AdapterReport, 'software' | 'wgslLanguageFeatures'>): { dot: DotVariant; tiling: I8Tiling } {
  return { dot: dotVariantFor(report), tiling: defaultI8Tiling(report) };
}

/** The multiply, named as timings name it (i8MacVariant): 'dot4-shift' is the shift-and-mask unpack. */
export type Int8MultiplyKind = 'dot4I8Packed' | 'dot4-shift' | 'outer-i32' | 'outer-f32';

/** The int8 multiply the executor chose for an adapter, in data and in words. */
export interface Int8Multiply {
  kind: Int8MultiplyKind;
  dot: DotVariant;
  /** Short name, e.g. "exact f32 outer product". */
  label: string;
  /** One sentence: how it multiplies and why it was chosen here. */
  detail: string;
}

/** The multiply createInt8Executor picks on this adapter (its defaults, through conv2d-i8's own variant naming). */
export function int8MultiplyFor(report: Pick<AdapterReport, 'software' | 'wgslLanguageFeatures'>): Int8Multiply {
  const { dot, tiling } = int8Defaults(report);
  const kind = i8MacVariant({ EXACTF32: tiling.mac === 2 ? 1 : 0, OUTER: tiling.mac === 1 ? 1 : 0, DOT4: dot === 'dot4' ? 1 : 0 }) as Int8MultiplyKind;
  const unpack = dot === 'dot4' ? 'unpack4xI8' : 'shift-and-mask';
  switch (kind) {
    case 'dot4I8Packed':
      return {
        kind,
        dot,
        label: 'dot4I8Packed',
        detail: 'one packed 4 × int8 dot product per output channel (WGSL packed_4x8_integer_dot_product).',
      };
    case 'dot4-shift':
      return {
        kind,
        dot,
        label: 'shift-and-mask unpack',
        detail: 'this adapter’s WGSL lacks packed_4x8_integer_dot_product, so bytes are unpacked with shifts and masks and multiplied as i32.',
      };
    case 'outer-i32':
      return {
        kind,
        dot,
        label: 'i32 outer product',
        detail: `bytes unpacked once per register block (${unpack}) and multiplied as an i32 outer product.`,
      };
    case 'outer-f32':
      return {
        kind,
        dot,
        label: 'exact f32 outer product',
        detail: `a CPU adapter, where f32 multiplies beat i32's: bytes unpacked (${unpack}) and multiplied as integer-valued f32, exact up to ${MAX_EXACT_F32_WORDS * 4} inputs per output (longer layers: i32); dot4I8Packed is not called.`,
      };
  }
}

/** What the Device screen says about int8 speed on this adapter. */
export interface Int8Outlook {
  multiply: Int8Multiply;
  /** Measured f32 matmul rate (GFLOP/s), when measured. */
  f32Gflops?: number;
  /** Measured int8 matmul rate (G int8-ops/s, 1 MAC = 2 ops), when measured. */
  int8Gops?: number;
  /** int8Gops / f32Gflops, when both are measured. */
  ratio?: number;
  /** One sentence on the int8 speed-up to expect here (or "measure to see"). */
  expectation: string;
  /** Why only the measured rate settles it. */
  caveat: string;
}

export const DOT4_CAVEAT =
  'A page cannot tell a hardware dot4I8Packed from an emulated one (Metal and software adapters emulate it): only the measured int8 rate can.';

/** Ratios within this band of 1 count as "about the f32 rate". */
const SAME = 0.1;

/** The multiply chosen here, the measured rates if any, and one sentence on the speed-up to expect. */
export function int8Outlook(multiply: Int8Multiply, measured?: { f32Gflops: number; int8Gops?: number }): Int8Outlook {
  const base = { multiply, caveat: DOT4_CAVEAT };
  if (!measured || measured.int8Gops === undefined || !(measured.f32Gflops > 0) || !(measured.int8Gops > 0)) {
    return {
      ...base,
      ...(measured && measured.f32Gflops > 0 ? { f32Gflops: measured.f32Gflops } : {}),
      expectation: 'Measure to see whether int8 runs faster than fp32 on this adapter; either way int8 stores the model in 4× fewer bytes.',
    };
  }
  const { f32Gflops, int8Gops } = measured;
  const ratio = int8Gops / f32Gflops;
  const r = ratio.toPrecision(2);
  const expectation =
    ratio < 1 - SAME
      ? `int8 will not be faster than fp32 on this adapter (its int8 matmul runs at ${r}× the f32 rate); it still shrinks the model 4×.`
      : ratio <= 1 + SAME
        ? `int8 runs at about the f32 rate on this adapter (${r}×): expect little or no speed-up; it still shrinks the model 4×.`
        : `int8 matmuls run at ${r}× the f32 rate on this adapter: compute-bound layers can be up to about ${r}× faster (less where memory traffic or launch overhead dominate), and the model is 4× smaller.`;
  return { ...base, f32Gflops, int8Gops, ratio, expectation };
}
