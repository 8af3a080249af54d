import shader from '../../../shaders/conv2d-i8.wgsl?raw';
import type { ConvGeometry } from '../../model/shapes.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { DotVariant } from './int8-common.ts';
import { i8Source, lowerBound, packWord, perVariant, zeroPointWord } from './int8-common.ts';

/**
 * One int8 convolution (also pointwise, and dense as a 1×1 conv of a 1×1
 * image with `c` = the padded flattened input). `c` is the real channel count;
 * the kernel works on c4 = ceil(c/4) packed words per pixel.
 */
export interface Conv2dI8Params extends ConvGeometry {
  batch: number;
  oc: number;
  inZp: number;
  outZp: number;
  relu: boolean;
  tiling: I8Tiling;
}

/** Register block of conv2d-i8: threads per workgroup, output pixels per thread (1..8), channel words per thread (1..2). */
export interface I8Tiling {
  wg: number;
  tm: number;
  tn4: number;
}

/** Measured on SwiftShader (LeNet-5 at batch 1024): see the int8 report in the commit history. */
export const DEFAULT_I8_TILING: I8Tiling = { wg: 64, tm: 4, tn4: 2 };

function tm(s: Conv2dI8Params): number {
  return Math.min(8, Math.max(1, Math.floor(s.tiling.tm)));
}
function tn4(s: Conv2dI8Params): number {
  return ceilDiv(s.oc, 4) >= 2 ? Math.min(2, Math.max(1, Math.floor(s.tiling.tn4))) : 1;
}

export const conv2dI8 = perVariant(
  (variant: DotVariant) =>
    ({
      name: `conv2d-i8:${variant}`,
      precision: 'i8',
      shader: i8Source(shader, variant),
      bindings: [
        { name: 'params', kind: 'uniform' },
        { name: 'input', kind: 'read-only-storage' },
        { name: 'weight', kind: 'read-only-storage' },
        { name: 'bias', kind: 'read-only-storage' },
        { name: 'output', kind: 'storage' },
      ],
      uniforms: ['rows', 'h', 'w', 'c4', 'oc4', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'oh', 'ow', 'outZp', 'lo', 'padWord'],
      uniformValues: (s: Conv2dI8Params) => [
        s.batch * s.oh * s.ow,
        s.h,
        s.w,
        ceilDiv(s.c, 4),
        ceilDiv(s.oc, 4),
        s.kh,
        s.kw,
        s.sh,
        s.sw,
        s.padT,
        s.padL,
        s.oh,
        s.ow,
        s.outZp,
        lowerBound(s.outZp, s.relu),
        zeroPointWord(s.inZp),
      ],
      constants: (s: Conv2dI8Params) => ({ WG: s.tiling.wg, TM: tm(s), TN4: tn4(s) }),
      dispatch: (s: Conv2dI8Params, limits: DispatchLimits) =>
        fold1d(ceilDiv(ceilDiv(s.batch * s.oh * s.ow, tm(s)), s.tiling.wg), limits, ceilDiv(ceilDiv(s.oc, 4), tn4(s))),
    }) satisfies KernelDescriptor<Conv2dI8Params>,
);

/**
 * Conv weight `[oc, kh, kw, c]` int8 → the kernel's `[kh·kw·c4, oc4]` vec4<u32>
 * words (flattened to u32): word ((tap·c4 + cw)·oc4 + j)·4 + l holds input
 * channels 4cw…4cw+3 of output channel 4j+l; padding bytes are zero, so
 * whatever the padded activation bytes hold, they add nothing.
 */
export function packConvWeightI8(w: Int8Array, oc: number, kh: number, kw: number, c: number): Uint32Array {
  if (w.length !== oc * kh * kw * c) throw new Error(`packConvWeightI8: ${w.length} weights do not fit [${oc}, ${kh}, ${kw}, ${c}]`);
  const c4 = ceilDiv(c, 4);
  const oc4 = ceilDiv(oc, 4);
  const out = new Uint32Array(kh * kw * c4 * oc4 * 4);
  for (let o = 0; o < oc; o++) {
    for (let tap = 0; tap < kh * kw; tap++) {
      const src = (o * kh * kw + tap) * c;
      for (let cw = 0; cw < c4; cw++) {
        const b = (l: number): number => (cw * 4 + l < c ? w[src + cw * 4 + l] : 0);
        out[((tap * c4 + cw) * oc4 + (o >> 2)) * 4 + (o & 3)] = packWord(b(0), b(1), b(2), b(3));
      }
    }
  }
  return out;
}

/**
 * Dense weight `[units, H·W·C]` over a flattened NHWC `[H, W, C]` input →
 * `[units, H·W·C4·4]` with zero columns where each pixel's packed channels
 * are padded, so the dense layer reads the packed activation tensor as is.
 */
export function padDenseWeightI8(w: Int8Array, units: number, inShape: readonly number[]): { weight: Int8Array; c: number } {
  const c = inShape[inShape.length - 1];
  const pixels = inShape.slice(0, -1).reduce((a, b) => a * b, 1);
  const cp = ceilDiv(c, 4) * 4;
  if (w.length !== units * pixels * c) throw new Error(`padDenseWeightI8: ${w.length} weights do not fit [${units}, ${pixels * c}]`);
  if (cp === c) return { weight: w, c: pixels * c };
  const out = new Int8Array(units * pixels * cp);
  for (let o = 0; o < units; o++) for (let p = 0; p < pixels; p++) out.set(w.subarray((o * pixels + p) * c, (o * pixels + p + 1) * c), (o * pixels + p) * cp);
  return { weight: out, c: pixels * cp };
}

/**
 * Per-channel epilogue data as vec4<i32> (flattened): bias with the input
 * zero point folded in (bias − inZp·Σw, so the kernel's inner loop is a plain
 * dot of codes), multiplier, shift, 0. Padded channels are all zero (they
 * requantize to the output zero point).
 * `weightSum(o)` is Σ of output channel o's int8 weights.
 */
export function packQuantI8(
  channels: number,
  bias: Int32Array,
  multiplier: Int32Array,
  shift: Int32Array,
  inZp: number,
  weightSum: (o: number) => number,
): Int32Array {
  const out = new Int32Array(ceilDiv(channels, 4) * 16);
  for (let o = 0; o < channels; o++) {
    out[o * 4] = (bias[o] - inZp * weightSum(o)) | 0;
    out[o * 4 + 1] = multiplier[o];
    out[o * 4 + 2] = shift[o];
  }
  return out;
}
