import shader from '../../../shaders/softmax-cross-entropy.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Loss over `batch` rows; with `distill` the teacher logits give soft targets at temperature `t`, weighted by `alpha`. */
export interface SoftmaxCrossEntropyParams {
  batch: number;
  classes: number;
  distill: boolean;
  t: number;
  alpha: number;
}

const WG = 64;

export const softmaxCrossEntropy = {
  name: 'softmax-cross-entropy',
  precision: 'fp32',
  shader,
  flat: { count: 'p.rows' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'z', type: 'f32' },
    { name: 'labels', kind: 'read-only-storage', wgsl: 'labels', type: 'u32' },
    { name: 'teacher', kind: 'read-only-storage', wgsl: 'teacher', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'dz', type: 'f32' },
    { name: 'lossAcc', kind: 'storage', wgsl: 'lossAcc', type: 'f32' },
  ],
  uniforms: ['rows', 'classes', 'invT', 'alpha', 'invBatch'],
  floatUniforms: ['invT', 'alpha', 'invBatch'],
  uniformValues: (s: SoftmaxCrossEntropyParams) => [s.batch, s.classes, 1 / s.t, s.distill ? s.alpha : 0, 1 / s.batch],
  constants: (s: SoftmaxCrossEntropyParams) => ({ WG, DISTILL: s.distill ? 1 : 0 }),
  dispatch: (s: SoftmaxCrossEntropyParams, limits: DispatchLimits) => fold1d(ceilDiv(s.batch, WG), limits),
} satisfies KernelDescriptor<SoftmaxCrossEntropyParams>;
