import shader from '../../../shaders/sgd.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** SGD with momentum and L2 weight decay over one tensor of `size` values. */
export interface SgdParams {
  size: number;
  momentum: number;
  weightDecay: number;
  mask: boolean;
}

const WG = 64;

export const sgd = {
  name: 'sgd',
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
    { name: 'm', kind: 'storage', wgsl: 'v', type: 'vec4<f32>' },
  ],
  uniforms: ['words', 'momentum', 'weightDecay'],
  floatUniforms: ['momentum', 'weightDecay'],
  uniformValues: (s: SgdParams) => [ceilDiv(s.size, 4), s.momentum, s.weightDecay],
  constants: (s: SgdParams) => ({ WG, MASK: s.mask ? 1 : 0 }),
  dispatch: (s: SgdParams, limits: DispatchLimits) => fold1d(ceilDiv(ceilDiv(s.size, 4), WG), limits),
} satisfies KernelDescriptor<SgdParams>;
