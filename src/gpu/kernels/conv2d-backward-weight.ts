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
const total = (s: Conv2dBackwardWeightParams): number => splitsOf(s) * ceilDiv(s.oc, 4) * ceilDiv(kOf(s), 4);

export const conv2dBackwardWeight = {
  name: 'conv2d-backward-weight',
  precision: 'f32',
  shader,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage' },
    { name: 'dOutput', kind: 'read-only-storage' },
    { name: 'output', kind: 'storage' },
  ],
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'oc', 'oc4', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'k', 'k4', 'batch', 'ips'],
  uniformValues: (s: Conv2dBackwardWeightParams) => [
    total(s),
    s.h,
    s.w,
    s.c,
    s.oh,
    s.ow,
    s.oc,
    ceilDiv(s.oc, 4),
    s.kh,
    s.kw,
    s.sh,
    s.sw,
    s.padT,
    s.padL,
    kOf(s),
    ceilDiv(kOf(s), 4),
    s.batch,
    s.ips,
  ],
  constants: (s: Conv2dBackwardWeightParams) => ({ WG, PADDED: s.padT > 0 || s.padL > 0 || !validFits(s) ? 1 : 0 }),
  dispatch: (s: Conv2dBackwardWeightParams, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<Conv2dBackwardWeightParams>;
