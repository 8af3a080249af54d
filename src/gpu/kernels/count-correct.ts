import shader from '../../../shaders/count-correct.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** Per-row correct counters for a batch of `batch` rows; rows past `valid` examples overall are ignored. */
export interface CountCorrectParams {
  batch: number;
  classes: number;
  valid: number;
}

const WG = 64;

export const countCorrect = {
  name: 'count-correct',
  precision: 'fp32',
  shader,
  lib: ['flat-index'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'logits', type: 'f32' },
    { name: 'labels', kind: 'read-only-storage', wgsl: 'labels', type: 'u32' },
    { name: 'state', kind: 'read-only-storage', wgsl: 'state', type: 'u32' },
    { name: 'output', kind: 'storage', wgsl: 'correct', type: 'u32' },
  ],
  uniforms: ['rows', 'classes', 'valid'],
  uniformValues: (s: CountCorrectParams) => [s.batch, s.classes, s.valid],
  constants: () => ({ WG }),
  dispatch: (s: CountCorrectParams, limits: DispatchLimits) => fold1d(ceilDiv(s.batch, WG), limits),
} satisfies KernelDescriptor<CountCorrectParams>;
