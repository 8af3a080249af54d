import shader from '../../../shaders/relu.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** A standalone ReLU over `batch · size` values. */
export interface ReluParams {
  batch: number;
  /** Values per image. */
  size: number;
}

const WG = 64;
const words = (s: ReluParams): number => ceilDiv(s.batch * s.size, 4);

export const relu = {
  name: 'relu',
  precision: 'fp32',
  shader,
  flat: { count: 'p.words' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'vec4<f32>' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'vec4<f32>' },
  ],
  uniforms: ['words'],
  uniformValues: (s: ReluParams) => [words(s)],
  constants: () => ({ WG }),
  dispatch: (s: ReluParams, limits: DispatchLimits) => fold1d(ceilDiv(words(s), WG), limits),
} satisfies KernelDescriptor<ReluParams>;
