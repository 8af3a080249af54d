import shader from '../../../shaders/conv2d-i8.wgsl?raw';
import type { ConvGeometry } from '../../model/shapes.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { I8DotParams } from './int8-common.ts';
import { dotConstant, i8Lib, lowerBound, packWord, zeroPointWord } from './int8-common.ts';
import { f32Bits } from './quantize-i8.ts';

/**
 * One int8 convolution (also pointwise, and dense as a 1×1 conv of a 1×1
 * image with `c` = the padded flattened input), optionally followed by a
 * fused max pool. `c` is the real channel count; the kernel works on
 * c4 = ceil(c/4) packed words per pixel. `oh`/`ow` are the conv output;
 * `poh`/`pow` the pooled output (= oh/ow without a pool).
 */
export interface Conv2dI8Params extends I8DotParams, ConvGeometry {
  batch: number;
  oc: number;
  inZp: number;
  outZp: number;
  relu: boolean;
  tiling: I8Tiling;
  /**
   * Fused pool: window, stride and pooled size; absent = no pool. `avg`: an
   * average pool (default max); `relu`: a ReLU after an average pool (one
   * after a max pool is the same clamp as before it: fold it into `relu`).
   */
  pool?: { winH: number; winW: number; sh: number; sw: number; oh: number; ow: number; avg?: boolean; relu?: boolean };
  /**
   * c = 1 only: the input is packed along rows, 4 pixels per word, ceil(w/4)
   * words per row (quantize-i8 of the image as h "pixels" of w channels), and
   * the weight packs 4 taps per word (packConvWeightI8 with slide).
   */
  slide?: boolean;
  /** Every weight is in [−127, 127] (no −128): the exact-f32 MAC may unpack weights with unpack4x8snorm. */
  symmetricWeights?: boolean;
  /**
   * The input is the model's float input (c % 4 = 0, no slide), quantized on
   * the fly with `invScale` (fround(1/scale), see inverseScaleF32), the zero
   * point `inZp`, and a lower clamp at inZp when the model starts with a ReLU.
   */
  floatInput?: { invScale: number; relu: boolean };
}

/** Register block of conv2d-i8: threads per workgroup, target output rows per thread, target channel words per thread. */
export interface I8Tiling {
  wg: number;
  /** Target rows (output pixels) per thread: rounded to whole pool windows, capped at 16 and by MAX_I8_BLOCK_WORDS / tn4. */
  tm: number;
  /** Target out-channel words (4 channels) per thread, 1..8: the largest that wastes at most 1/8 of the work on padding. */
  tn4: number;
  /**
   * How 4 input bytes meet 4 output channels: 0 = one dot4i8 per output
   * channel (dot4I8Packed: one instruction on GPUs that have it); 1 = the
   * bytes unpacked once per register block and multiplied as an outer
   * product (no per-MAC unpacking: faster where dot4I8Packed is emulated,
   * e.g. CPU adapters); 2 = that outer product in integer-valued f32, exact
   * because |Σ| ≤ 1024·2^14 = 2^24 while K ≤ MAX_EXACT_F32_WORDS (for CPU
   * adapters whose vector i32 multiply is slower than f32's; layers with a
   * longer K fall back to 1). The weight layout follows (packConvWeightI8).
   */
  mac: I8Mac;
  /** Largest register block in vec4 accumulators (TM·TN4), default MAX_I8_BLOCK_WORDS. */
  maxWords?: number;
  /** The same for dense steps (a 1×1 conv of a 1×1 image: rows are images), default maxWords. */
  denseMaxWords?: number;
}

export type I8Mac = 0 | 1 | 2;

/** Longest K (input words per output: taps × c4) the exact-f32 MAC takes: 256 words = 1024 products of |·| ≤ 2^14. */
export const MAX_EXACT_F32_WORDS = 256;

/** K words of a conv: taps × c4, or kh·ceil(kw/4) with sliding words. */
export function i8KWords(s: Pick<Conv2dI8Params, 'kh' | 'kw' | 'c' | 'slide'>): number {
  return s.slide ? s.kh * ceilDiv(s.kw, 4) : s.kh * s.kw * ceilDiv(s.c, 4);
}

/** The MAC formulation a layer runs: the tiling's, except exact f32 past its K bound (then the i32 outer product). */
export function i8Mac(s: Conv2dI8Params): I8Mac {
  return s.tiling.mac === 2 && i8KWords(s) > MAX_EXACT_F32_WORDS ? 1 : s.tiling.mac;
}

/** Largest register block in vec4<i32> accumulators. */
export const MAX_I8_BLOCK_WORDS = 64;

/**
 * GPUs: dot4I8Packed (one instruction where it exists) and a small register
 * block (a big one spills a GPU's registers).
 */
export const DEFAULT_I8_TILING: I8Tiling = { wg: 64, tm: 4, tn4: 2, mac: 0 };

/**
 * CPU adapters (SwiftShader): the biggest register block, exact-f32 MACs.
 * Measured on SwiftShader, LeNet-5 batch 128 per layer (timestamps): conv2+pool2
 * 1312 ms with exact f32 vs 3039 ms with the i32 outer product vs 3888 ms with
 * dot4I8Packed per channel; fp32's conv2+pool2 1921 ms in the same run.
 * Dense steps get up to 128 accumulators (16 images × 8 words), twice
 * fp32's block: each K word's bytes are unpacked once per thread (TM
 * activation words, 4·TN4 weight words) and feed 4·TM·TN4 vec4 FMAs, so a
 * bigger block amortizes the unpacking that fp32 does not have. Convolutions
 * keep 64: Chromium's SwiftShader ran them much slower with 128 (LeNet-5
 * b64 conv1+pool1 168 ms vs 109 ms with 64, article-net conv1 83 vs 47 ms;
 * int8 ÷ fp32 at b1024 0.72× vs 1.08×), while its LeNet-300-100 needed 128
 * (int8 ÷ fp32 1.56× vs 0.82×; separate quick bench runs 12:25–12:50 UTC,
 * load 9–16). Node's SwiftShader (Subzero) ran convs ~1.1× faster with 128
 * in interleaved runs, within its noise.
 */
export const SOFTWARE_I8_TILING: I8Tiling = { wg: 64, tm: 16, tn4: 8, mac: 2, denseMaxWords: 128 };

/** The register block and MAC formulation for an adapter. */
export function defaultI8Tiling(report: { software: boolean }): I8Tiling {
  return report.software ? SOFTWARE_I8_TILING : DEFAULT_I8_TILING;
}

function win(s: Conv2dI8Params): number {
  return s.pool ? s.pool.winH * s.pool.winW : 1;
}
/** Out-channel words per thread: the largest ≤ target whose padding wastes at most 1/8 of the work. */
export function i8ChannelWords(s: Pick<Conv2dI8Params, 'oc' | 'tiling'>): number {
  const oc4 = ceilDiv(s.oc, 4);
  for (let t = Math.min(16, Math.max(1, Math.floor(s.tiling.tn4)), oc4); t > 1; t--) {
    if (ceilDiv(oc4, t) * t <= oc4 * 1.125) return t;
  }
  return 1;
}
/** Rows per thread: a whole number of pool windows, at most 16 and maxWords (denseMaxWords for a dense step) / TN4. */
export function i8RowsPerThread(s: Conv2dI8Params): number {
  const w = win(s);
  const maxWords = s.tiling.maxWords ?? MAX_I8_BLOCK_WORDS;
  const dense = s.h === 1 && s.w === 1 && s.kh === 1 && s.kw === 1;
  const cap = Math.min(Math.max(1, Math.floor(s.tiling.tm)), 16, Math.floor((dense ? (s.tiling.denseMaxWords ?? maxWords) : maxWords) / i8ChannelWords(s)));
  return Math.max(w, Math.floor(cap / w) * w);
}
/** True when conv2d-i8 can fuse a max pool with this window (a thread's rows hold whole windows). */
export function canFusePoolI8(winH: number, winW: number): boolean {
  return [1, 2, 4, 8].includes(winH * winW);
}
function rows(s: Conv2dI8Params): number {
  return s.pool ? s.batch * s.pool.oh * s.pool.ow * win(s) : s.batch * s.oh * s.ow;
}

/**
 * How conv2d-i8 multiplies, as timings name it: the MAC formulation its
 * constants picked (i8Mac), not only the dot-product form — on CPU adapters
 * the dot4 form mostly runs the exact-f32 outer product and never calls
 * dot4I8Packed.
 */
export function i8MacVariant(c: Record<string, number>): string {
  if (c.EXACTF32) return 'outer-f32';
  if (c.OUTER) return 'outer-i32';
  return c.DOT4 ? 'dot4I8Packed' : 'dot4-shift';
}

export const conv2dI8 = {
  name: 'conv2d-i8',
  precision: 'int8',
  /** A template: see `codeConstants`. */
  shader,
  lib: (code) => [...i8Lib(code), 'flat-index', 'gemm-row'],
  codeConstants: ['TM', 'TN4', 'SLIDE', 'FLOATIN', 'DOT', 'OUTER', 'EXACTF32', 'SNORM', 'DOT4'],
  variant: i8MacVariant,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: (code) => (code.FLOATIN ? 'xf' : 'x'), type: (code) => (code.FLOATIN ? 'vec4<f32>' : 'u32') },
    { name: 'weight', kind: 'read-only-storage', wgsl: 'wt', type: 'vec4<u32>' },
    { name: 'bias', kind: 'read-only-storage', wgsl: 'qb', type: 'vec4<i32>' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'u32' },
  ],
  /**
   * rows: virtual rows n·poh·pow·WIN_H·WIN_W; kg: input words per kernel
   * row (kw·c4, or ceil(kw/4) with SLIDE); poh, pow_: pooled (= conv
   * output without a pool) height and width; psh, psw: pool stride (1
   * without a pool); imgStride: per image, pixels (h·w) or words (h·c4)
   * with SLIDE; lo2: the clamp after the pool (= lo except under an
   * average pool); FLOATIN only: inScaleBits, the f32 bits of 1/input
   * scale, and inLo, the lower clamp of the input codes.
   */
  uniforms: [
    'rows',
    'h',
    'w',
    'c4',
    'oc4',
    'kh',
    'kw',
    'kg',
    'sh',
    'sw',
    'padT',
    'padL',
    'poh',
    'pow_',
    'psh',
    'psw',
    'outZp',
    'lo',
    'padWord',
    'imgStride',
    'lo2',
    'inScaleBits',
    'inLo',
  ],
  intUniforms: ['outZp', 'lo', 'lo2', 'inLo'],
  uniformValues: (s: Conv2dI8Params) => [
    rows(s),
    s.h,
    s.w,
    // With slide, c4 is the words per image row.
    s.slide ? ceilDiv(s.w, 4) : ceilDiv(s.c, 4),
    ceilDiv(s.oc, 4),
    s.kh,
    s.kw,
    s.slide ? ceilDiv(s.kw, 4) : s.kw * ceilDiv(s.c, 4),
    s.sh,
    s.sw,
    s.padT,
    s.padL,
    s.pool ? s.pool.oh : s.oh,
    s.pool ? s.pool.ow : s.ow,
    s.pool ? s.pool.sh : 1,
    s.pool ? s.pool.sw : 1,
    s.outZp,
    lowerBound(s.outZp, s.relu),
    zeroPointWord(s.inZp),
    s.slide ? s.h * ceilDiv(s.w, 4) : s.h * s.w,
    lowerBound(s.outZp, s.relu || (s.pool?.relu ?? false)),
    s.floatInput ? f32Bits(s.floatInput.invScale) : 0,
    s.floatInput ? lowerBound(s.inZp, s.floatInput.relu) : -128,
  ],
  constants: (s: Conv2dI8Params) => {
    if (s.slide && s.c !== 1) throw new Error(`conv2d-i8: slide packing needs c = 1, got c = ${s.c}`);
    if (s.floatInput && (s.slide || s.c % 4 !== 0))
      throw new Error(`conv2d-i8: a float input needs c % 4 = 0 and no slide packing, got c = ${s.c}${s.slide ? ' with slide' : ''}`);
    if (s.pool && !canFusePoolI8(s.pool.winH, s.pool.winW))
      throw new Error(`conv2d-i8: a fused pool window must hold 1, 2, 4 or 8 pixels, got ${s.pool.winH}×${s.pool.winW}`);
    if (s.pool?.relu && !s.pool.avg) throw new Error("conv2d-i8: a ReLU after a fused max pool is the conv's own clamp; set `relu`, not `pool.relu`");
    return {
      WG: s.tiling.wg,
      TM: i8RowsPerThread(s),
      TN4: i8ChannelWords(s),
      SLIDE: s.slide ? 1 : 0,
      FLOATIN: s.floatInput ? 1 : 0,
      DOT: i8Mac(s) === 0 ? 1 : 0,
      OUTER: i8Mac(s) === 1 ? 1 : 0,
      EXACTF32: i8Mac(s) === 2 ? 1 : 0,
      SNORM: i8Mac(s) === 2 && s.symmetricWeights ? 1 : 0,
      WIN_H: s.pool ? s.pool.winH : 1,
      WIN_W: s.pool ? s.pool.winW : 1,
      POOL_AVG: s.pool?.avg ? 1 : 0,
      ...dotConstant(s),
    };
  },
  dispatch: (s: Conv2dI8Params, limits: DispatchLimits) =>
    fold1d(ceilDiv(ceilDiv(rows(s), i8RowsPerThread(s)), s.tiling.wg), limits, ceilDiv(ceilDiv(s.oc, 4), i8ChannelWords(s))),
} satisfies KernelDescriptor<Conv2dI8Params>;

/**
 * Conv weight `[oc, kh, kw, c]` int8 → the kernel's `[K words, oc4]` vec4<u32>
 * (flattened to u32), K words = kh·kw·c4 (or kh·ceil(kw/4) with `slide`).
 * mac 0: u32 ((k·oc4 + j)·4 + l) holds the 4 input bytes of word k for output
 * channel 4j+l; mac 1 and 2: u32 ((k·oc4 + j)·4 + q) holds input byte q of word k
 * for output channels 4j…4j+3. A word's input bytes are channels 4cw…4cw+3 of
 * one tap, or with `slide` (c = 1) taps kx = 4g…4g+3 of kernel row ky.
 * Padding bytes (channels ≥ c, taps ≥ kw, outputs ≥ oc) are zero, so whatever
 * the padded activation bytes hold, they add nothing.
 */
export function packConvWeightI8(w: Int8Array, oc: number, kh: number, kw: number, c: number, mac: I8Mac = 0, slide = false): Uint32Array {
  if (w.length !== oc * kh * kw * c) throw new Error(`packConvWeightI8: ${w.length} weights do not fit [${oc}, ${kh}, ${kw}, ${c}]`);
  if (slide && c !== 1) throw new Error(`packConvWeightI8: slide packing needs c = 1, got ${c}`);
  const oc4 = ceilDiv(oc, 4);
  // byteOf(o, k, l): input byte l of K word k for output channel o.
  const words = slide ? kh * ceilDiv(kw, 4) : kh * kw * ceilDiv(c, 4);
  const byteOf = slide
    ? (o: number, k: number, l: number): number => {
        const kg = ceilDiv(kw, 4);
        const ky = Math.floor(k / kg);
        const kx = (k % kg) * 4 + l;
        return kx < kw ? w[(o * kh + ky) * kw + kx] : 0;
      }
    : (o: number, k: number, l: number): number => {
        const c4 = ceilDiv(c, 4);
        const tap = Math.floor(k / c4);
        const ch = (k % c4) * 4 + l;
        return ch < c ? w[(o * kh * kw + tap) * c + ch] : 0;
      };
  const out = new Uint32Array(words * oc4 * 4);
  for (let k = 0; k < words; k++) {
    for (let j = 0; j < oc4; j++) {
      for (let t = 0; t < 4; t++) {
        const b = (o: number, l: number): number => (o < oc ? byteOf(o, k, l) : 0);
        // mac 0: component t = output channel 4j+t, bytes = input bytes; mac 1: component t = input byte t, bytes = output channels.
        out[(k * oc4 + j) * 4 + t] =
          mac === 0
            ? packWord(b(4 * j + t, 0), b(4 * j + t, 1), b(4 * j + t, 2), b(4 * j + t, 3))
            : packWord(b(4 * j, t), b(4 * j + 1, t), b(4 * j + 2, t), b(4 * j + 3, t));
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
