import template from '../../../shaders/depthwise-conv2d.wgsl?raw';
import type { ConvGeometry } from '../../model/shapes.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import { expandWithWeightSource } from './weight-source.ts';

/** Shape of a depthwise convolution (weights stay in the model's `[kh, kw, c]` layout). */
export interface DepthwiseConv2dParams extends ConvGeometry {
  batch: number;
  relu: boolean;
}

const WG = 64;

export const depthwiseConv2d = {
  name: 'depthwise-conv2d',
  precision: 'fp32',
  /** The template's fp32 form (its compressed forms are depthwise-conv2d-compressed.ts's kernels). */
  shader: expandWithWeightSource(template, {}, false),
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage' },
    { name: 'weight', kind: 'read-only-storage' },
    { name: 'bias', kind: 'read-only-storage' },
    { name: 'output', kind: 'storage' },
  ],
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL'],
  uniformValues: (s: DepthwiseConv2dParams) => [s.batch * s.oh * s.ow * s.c, s.h, s.w, s.c, s.oh, s.ow, s.kh, s.kw, s.sh, s.sw, s.padT, s.padL],
  constants: (s: DepthwiseConv2dParams) => ({ WG, RELU: s.relu ? 1 : 0 }),
  dispatch: (s: DepthwiseConv2dParams, limits: DispatchLimits) => fold1d(ceilDiv(s.batch * s.oh * s.ow * s.c, WG), limits),
} satisfies KernelDescriptor<DepthwiseConv2dParams>;
