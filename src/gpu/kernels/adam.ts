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
  flat: { count: 'p.words' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'grad', kind: 'read-only-storage', wgsl: 'grad', type: 'vec4<f32>' },
    { name: 'mask', kind: 'read-only-storage', wgsl: 'mask', type: 'vec4<f32>' },
    { name: 'schedule', kind: 'read-only-storage', wgsl: 'schedule', type: 'vec4<f32>' },
    { name: 'state', kind: 'read-only-storage', wgsl: 'state', type: 'u32' },
    { name: 'weight', kind: 'storage', wgsl: 'w', type: 'vec4<f32>' },
    { name: 'm', kind: 'storage', wgsl: 'm', type: 'vec4<f32>' },
    { name: 'v', kind: 'storage', wgsl: 'v', type: 'vec4<f32>' },
  ],
  uniforms: ['words', 'beta1', 'beta2', 'eps', 'weightDecay'],
  floatUniforms: ['beta1', 'beta2', 'eps', 'weightDecay'],
  uniformValues: (s: AdamParams) => [ceilDiv(s.size, 4), s.beta1, s.beta2, s.eps, s.weightDecay],
  constants: (s: AdamParams) => ({ WG, MASK: s.mask ? 1 : 0 }),
  dispatch: (s: AdamParams, limits: DispatchLimits) => fold1d(ceilDiv(ceilDiv(s.size, 4), WG), limits),
} satisfies KernelDescriptor<AdamParams>;
