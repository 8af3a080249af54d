import shader from '../../../shaders/hint-loss.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** L2 hint between two activations of `size` values per image, weight `beta`. */
export interface HintLossParams {
  batch: number;
  size: number;
  beta: number;
}

const WG = 64;

export const hintLoss = {
  name: 'hint-loss',
  precision: 'fp32',
  shader,
  flat: { count: 'p.rows' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 's', type: 'f32' },
    { name: 'target', kind: 'read-only-storage', wgsl: 't', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'ds', type: 'f32' },
    { name: 'lossAcc', kind: 'storage', wgsl: 'lossAcc', type: 'f32' },
  ],
  uniforms: ['rows', 'size', 'beta', 'invBatch'],
  floatUniforms: ['beta', 'invBatch'],
  uniformValues: (s: HintLossParams) => [s.batch, s.size, s.beta, 1 / s.batch],
  constants: () => ({ WG }),
  dispatch: (s: HintLossParams, limits: DispatchLimits) => fold1d(ceilDiv(s.batch, WG), limits),
} satisfies KernelDescriptor<HintLossParams>;
