import shader from '../../../shaders/adam.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Adam with decoupled (AdamW) weight decay over one tensor of `size` values. */
export interface AdamParams {
  size: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  mask: boolean;
}

const WG = 64;

export const adam = {
  name: 'adam',
  precision: 'fp32',
  shader,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'grad', kind: 'read-only-storage' },
    { name: 'mask', kind: 'read-only-storage' },
    { name: 'schedule', kind: 'read-only-storage' },
    { name: 'state', kind: 'read-only-storage' },
    { name: 'weight', kind: 'storage' },
    { name: 'm', kind: 'storage' },
    { name: 'v', kind: 'storage' },
  ],
  uniforms: ['size', 'beta1', 'beta2', 'eps', 'weightDecay'],
  floatUniforms: ['beta1', 'beta2', 'eps', 'weightDecay'],
  uniformValues: (s: AdamParams) => [s.size, s.beta1, s.beta2, s.eps, s.weightDecay],
  constants: (s: AdamParams) => ({ WG, MASK: s.mask ? 1 : 0 }),
  dispatch: (s: AdamParams, limits: DispatchLimits) => fold1d(ceilDiv(s.size, WG), limits),
} satisfies KernelDescriptor<AdamParams>;
