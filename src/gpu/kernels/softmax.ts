import shader from '../../../shaders/softmax.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Row-wise softmax with temperature `t` (1 for a softmax layer). */
export interface SoftmaxParams {
  batch: number;
  classes: number;
  t: number;
}

const WG = 64;

export const softmax = {
  name: 'softmax',
  precision: 'fp32',
  shader,
  flat: { count: 'p.rows' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
  ],
  uniforms: ['rows', 'classes', 'invT'],
  floatUniforms: ['invT'],
  uniformValues: (s: SoftmaxParams) => [s.batch, s.classes, 1 / s.t],
  constants: () => ({ WG }),
  dispatch: (s: SoftmaxParams, limits: DispatchLimits) => fold1d(ceilDiv(s.batch, WG), limits),
} satisfies KernelDescriptor<SoftmaxParams>;
