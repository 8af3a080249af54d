import shader from '../../../shaders/depthwise-conv2d-backward-weight.wgsl?raw';
import type { DepthwiseBackwardShape } from './depthwise-conv2d-backward-input.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import { splitsOf } from './conv2d-backward-weight.ts';

/** Shape plus images per split of the batch reduction. */
export interface DepthwiseBackwardWeightParams extends DepthwiseBackwardShape {
  ips: number;
}

const WG = 64;
const total = (s: DepthwiseBackwardWeightParams): number => splitsOf(s) * s.kh * s.kw * s.c * (s.m ?? 1);

export const depthwiseConv2dBackwardWeight = {
  name: 'depthwise-conv2d-backward-weight',
  precision: 'fp32',
  shader,
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    { name: 'dOutput', kind: 'read-only-storage', wgsl: 'dy', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'partial', type: 'f32' },
  ],
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'batch', 'ips', 'm'],
  uniformValues: (s: DepthwiseBackwardWeightParams) => [total(s), s.h, s.w, s.c, s.oh, s.ow, s.kh, s.kw, s.sh, s.sw, s.padT, s.padL, s.batch, s.ips, s.m ?? 1],
  constants: () => ({ WG }),
  dispatch: (s: DepthwiseBackwardWeightParams, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<DepthwiseBackwardWeightParams>;
