import shader from '../../../shaders/relu-backward.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** dL/dx of a ReLU over `batch · size` values (x = the ReLU's input). */
export interface ReluBackwardParams {
  batch: number;
  size: number;
}

const WG = 64;
const words = (s: ReluBackwardParams): number => ceilDiv(s.batch * s.size, 4);

export const reluBackward = {
  name: 'relu-backward',
  precision: 'fp32',
  shader,
  flat: { count: 'p.words' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'vec4<f32>' },
    { name: 'dOutput', kind: 'read-only-storage', wgsl: 'dy', type: 'vec4<f32>' },
    { name: 'output', kind: 'storage', wgsl: 'dx', type: 'vec4<f32>' },
  ],
  uniforms: ['words'],
  uniformValues: (s: ReluBackwardParams) => [words(s)],
  constants: () => ({ WG }),
  dispatch: (s: ReluBackwardParams, limits: DispatchLimits) => fold1d(ceilDiv(words(s), WG), limits),
} satisfies KernelDescriptor<ReluBackwardParams>;
