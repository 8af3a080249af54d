import shader from '../../../shaders/conv2d-backward-weight.wgsl?raw';
import type { ConvBackwardShape } from './conv2d-backward-input.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Shape plus the split of the batch reduction (see `weightGradSplits`). */
export interface Conv2dBackwardWeightParams extends ConvBackwardShape {
  /** Images per split; splits = ceil(batch / ips). */
  ips: number;
}

const WG = 64;

/**
 * Images per split for a weight-gradient reduction with `blocks` threads per
 * split: enough splits for ~2048 threads, so small layers still fill a GPU.
 * A function of shapes only (never of the device), so every device sums in
 * the same order and the same seed gives the same weights everywhere.
 */
export function imagesPerSplit(batch: number, blocks: number): number {
  const splits = Math.max(1, Math.min(batch, Math.ceil(2048 / Math.max(1, blocks))));
  return Math.ceil(batch / splits);
}

/** True when every tap of every output pixel lies inside the image (valid padding, or same padding that pads nothing). */
function validFits(s: ConvBackwardShape): boolean {
  return (s.oh - 1) * s.sh + s.kh <= s.h && (s.ow - 1) * s.sw + s.kw <= s.w;
}

export const splitsOf = (s: { batch: number; ips: number }): number => Math.ceil(s.batch / s.ips);
const kOf = (s: ConvBackwardShape): number => s.kh * s.kw * s.c;

/**
 * Register block: TN4 words of 4 out channels × TM words of 4 kk per thread.
 * 2×2 (16 vec4 accumulators, 16 loads per 64 multiply-adds): 4 kk words × 2
 * (32 accumulators) measured 3× slower on llvmpipe (LeNet-5 conv2: 342 vs
 * 111 ms, register spills). Tuned for llvmpipe (the training backend); on
 * SwiftShader these blocks measured slower per dispatch than the old 4×4 one
 * (LeNet-5 conv2 dW ~1.2–1.6 s vs ~0.8 s, busy machine) — a per-adapter block
 * choice would keep sums bit-identical (each element's order is the pixel
 * order whatever the block) but is not done yet. A layer with ≤ 4 out
 * channels or kk columns takes 1 so the padding work stays small. A function
 * of the shape only, so every device sums in the same order.
 */
export function weightGradBlock(s: ConvBackwardShape): { tm: number; tn4: number } {
  return { tm: kOf(s) <= 4 ? 1 : 2, tn4: s.oc <= 4 ? 1 : 2 };
}

const blocksOf = (s: ConvBackwardShape): { ob: number; kb: number } => {
  const { tm, tn4 } = weightGradBlock(s);
  return { ob: ceilDiv(s.oc, 4 * tn4), kb: ceilDiv(kOf(s), 4 * tm) };
};
const total = (s: Conv2dBackwardWeightParams): number => {
  const { ob, kb } = blocksOf(s);
  return splitsOf(s) * ob * kb;
};

export const conv2dBackwardWeight = {
  name: 'conv2d-backward-weight',
  precision: 'fp32',
  /** A template: see `codeConstants`. */
  shader,
  lib: ['flat-index'],
  codeConstants: ['TM', 'TN4', 'PADDED', 'VEC4'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: (code) => (code.VEC4 ? 'x4' : 'x'), type: (code) => (code.VEC4 ? 'vec4<f32>' : 'f32') },
    { name: 'dOutput', kind: 'read-only-storage', wgsl: 'dy', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'partial', type: 'f32' },
  ],
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'oc', 'ob', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'k', 'kb', 'batch', 'ips'],
  uniformValues: (s: Conv2dBackwardWeightParams) => {
    const { ob, kb } = blocksOf(s);
    return [total(s), s.h, s.w, s.c, s.oh, s.ow, s.oc, ob, s.kh, s.kw, s.sh, s.sw, s.padT, s.padL, kOf(s), kb, s.batch, s.ips];
  },
  constants: (s: Conv2dBackwardWeightParams) => {
    const { tm, tn4 } = weightGradBlock(s);
    const padded = s.padT > 0 || s.padL > 0 || !validFits(s);
    return { WG, TM: tm, TN4: tn4, PADDED: padded ? 1 : 0, VEC4: !padded && s.c % 4 === 0 ? 1 : 0 };
  },
  dispatch: (s: Conv2dBackwardWeightParams, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<Conv2dBackwardWeightParams>;
