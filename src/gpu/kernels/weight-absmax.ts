import shader from '../../../shaders/weight-absmax.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Per-channel (or, with channels = 1, per-tensor) |w| maxima scaled by 1/qmax. */
export interface WeightAbsmaxParams {
  channels: number;
  k: number;
  strideO: number;
  strideK: number;
  qmax: number;
}

const WG = 64;

export const weightAbsmax = {
  name: 'weight-absmax',
  precision: 'fp32',
  shader,
  flat: { count: 'p.channels' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'w', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'scales', type: 'f32' },
  ],
  uniforms: ['channels', 'k', 'strideO', 'strideK', 'qmax'],
  floatUniforms: ['qmax'],
  uniformValues: (s: WeightAbsmaxParams) => [s.channels, s.k, s.strideO, s.strideK, s.qmax],
  constants: () => ({ WG }),
  dispatch: (s: WeightAbsmaxParams, limits: DispatchLimits) => fold1d(ceilDiv(s.channels, WG), limits),
} satisfies KernelDescriptor<WeightAbsmaxParams>;
