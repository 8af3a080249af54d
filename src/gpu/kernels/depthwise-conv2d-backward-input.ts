import shader from '../../../shaders/depthwise-conv2d-backward-input.wgsl?raw';
import type { DepthwiseConv2dParams } from './depthwise-conv2d.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** The forward depthwise shape (its relu flag is unused here). */
export type DepthwiseBackwardShape = Omit<DepthwiseConv2dParams, 'relu'>;

const WG = 64;
const total = (s: DepthwiseBackwardShape): number => s.batch * s.h * s.w * s.c;

export const depthwiseConv2dBackwardInput = {
  name: 'depthwise-conv2d-backward-input',
  precision: 'fp32',
  shader,
  lib: ['nhwc'],
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'dOutput', kind: 'read-only-storage', wgsl: 'dy', type: 'f32' },
    { name: 'weight', kind: 'read-only-storage', wgsl: 'wt', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'dx', type: 'f32' },
  ],
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'm'],
  uniformValues: (s: DepthwiseBackwardShape) => [total(s), s.h, s.w, s.c, s.oh, s.ow, s.kh, s.kw, s.sh, s.sw, s.padT, s.padL, s.m ?? 1],
  constants: () => ({ WG }),
  dispatch: (s: DepthwiseBackwardShape, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<DepthwiseBackwardShape>;
