import shader from '../../../shaders/copy.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** A copy of `words` vec4 words (16 bytes each). */
export interface CopyParams {
  words: number;
}

const WG = 64;

export const copy = {
  name: 'copy',
  precision: 'fp32',
  shader,
  flat: { count: 'p.words' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'vec4<f32>' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'vec4<f32>' },
  ],
  uniforms: ['words'],
  uniformValues: (s: CopyParams) => [s.words],
  constants: () => ({ WG }),
  dispatch: (s: CopyParams, limits: DispatchLimits) => fold1d(ceilDiv(s.words, WG), limits),
} satisfies KernelDescriptor<CopyParams>;
