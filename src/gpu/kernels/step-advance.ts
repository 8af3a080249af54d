import shader from '../../../shaders/step-advance.wgsl?raw';
import type { KernelDescriptor } from './types.ts';

/** No shape: one thread increments the trainer's step counter. */
export type StepAdvanceParams = Record<string, never>;

export const stepAdvance = {
  name: 'step-advance',
  precision: 'fp32',
  shader,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'state', kind: 'storage', wgsl: 'state', type: 'u32' },
  ],
  uniforms: ['unused'],
  uniformValues: () => [0],
  constants: () => ({}),
  dispatch: (): [number, number, number] => [1, 1, 1],
} satisfies KernelDescriptor<StepAdvanceParams>;
