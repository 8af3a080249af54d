import shader from '../../../shaders/conv2d-backward-input.wgsl?raw';
import type { ConvGeometry } from '../../model/shapes.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** A convolution's shape (dense: h = w = kh = kw = 1, c = inputs, oc = units). */
export interface ConvBackwardShape extends ConvGeometry {
  batch: number;
  oc: number;
}

const WG = 64;

/**
 * Register block: TM input pixels × TN4 words of 4 input channels per thread.
 * 4 pixels × up to 4 words (≤ 16 vec4 accumulators; per tap and 4 out
 * channels 16 dy scalars and 4·TN4 weight words for 64·TN4 multiply-adds);
 * fewer words for few channels so that little of a thread's work is padding.
 * 8 pixels measured ~4× slower on llvmpipe (register spills).
 */
export function inputGradBlock(s: ConvBackwardShape): { tm: number; tn4: number } {
  return { tm: 4, tn4: s.c <= 4 ? 1 : s.c <= 32 ? 2 : 4 };
}

const pixelsOf = (s: ConvBackwardShape): number => s.batch * s.h * s.w;

export const conv2dBackwardInput = {
  name: 'conv2d-backward-input',
  precision: 'fp32',
  /** A template: see `codeConstants`. */
  shader,
  lib: ['flat-index'],
  codeConstants: ['TM', 'TN4'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'dOutput', kind: 'read-only-storage', wgsl: 'dy', type: 'f32' },
    { name: 'weight', kind: 'read-only-storage', wgsl: 'wt', type: 'vec4<f32>' },
    { name: 'output', kind: 'storage', wgsl: 'dx', type: 'f32' },
  ],
  uniforms: ['pixels', 'h', 'w', 'c', 'c4', 'oh', 'ow', 'oc', 'ocp', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL'],
  uniformValues: (s: ConvBackwardShape) => [
    pixelsOf(s),
    s.h,
    s.w,
    s.c,
    ceilDiv(s.c, 4),
    s.oh,
    s.ow,
    s.oc,
    ceilDiv(s.oc, 4) * 4,
    s.kh,
    s.kw,
    s.sh,
    s.sw,
    s.padT,
    s.padL,
  ],
  constants: (s: ConvBackwardShape) => {
    const { tm, tn4 } = inputGradBlock(s);
    return { WG, TM: tm, TN4: tn4 };
  },
  dispatch: (s: ConvBackwardShape, limits: DispatchLimits) => {
    const { tm, tn4 } = inputGradBlock(s);
    return fold1d(ceilDiv(ceilDiv(pixelsOf(s), tm), WG), limits, ceilDiv(ceilDiv(s.c, 4), tn4));
  },
} satisfies KernelDescriptor<ConvBackwardShape>;
