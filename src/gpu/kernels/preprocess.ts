import shader from '../../../shaders/preprocess.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** The input map x · scale + offset over `batch · size` values. */
export interface PreprocessParams {
  batch: number;
  /** Values per image. */
  size: number;
  scale: number;
  offset: number;
}

const WG = 64;
const words = (s: PreprocessParams): number => ceilDiv(s.batch * s.size, 4);

export const preprocess = {
  name: 'preprocess',
  precision: 'fp32',
  shader,
  flat: { count: 'p.words' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'vec4<f32>' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'vec4<f32>' },
  ],
  uniforms: ['words', 'scale', 'offset'],
  floatUniforms: ['scale', 'offset'],
  uniformValues: (s: PreprocessParams) => [words(s), s.scale, s.offset],
  constants: () => ({ WG }),
  dispatch: (s: PreprocessParams, limits: DispatchLimits) => fold1d(ceilDiv(words(s), WG), limits),
} satisfies KernelDescriptor<PreprocessParams>;
