import shader from '../../../shaders/activation-backward.wgsl?raw';
import type { KernelDescriptor } from './types.ts';
import type { ActivationParams } from './activation.ts';
import { activationShared } from './activation.ts';

/** dL/dx of an `activation` layer over `batch · size` values (x = the layer's input). */
export type ActivationBackwardParams = ActivationParams;

export const activationBackward = {
  ...activationShared,
  name: 'activation-backward',
  shader,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'vec4<f32>' },
    { name: 'dOutput', kind: 'read-only-storage', wgsl: 'dy', type: 'vec4<f32>' },
    { name: 'output', kind: 'storage', wgsl: 'dx', type: 'vec4<f32>' },
  ],
} satisfies KernelDescriptor<ActivationBackwardParams>;
