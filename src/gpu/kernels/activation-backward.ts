import shader from '../../../shaders/activation-backward.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { ActivationParams } from './activation.ts';
import { activationConstant, activationFlags } from './activation.ts';
import { ACTIVATION_FNS } from '../../model/layers.ts';

/** dL/dx of an `activation` layer over `batch · size` values (x = the layer's input). */
export type ActivationBackwardParams = ActivationParams;

const WG = 64;
const words = (s: ActivationBackwardParams): number => ceilDiv(s.batch * s.size, 4);

export const activationBackward = {
  name: 'activation-backward',
  precision: 'fp32',
  shader,
  lib: ['activation'],
  flat: { count: 'p.words' },
  codeConstants: ['FN'],
  templateFlags: activationFlags,
  variant: (c: Record<string, number>) => ACTIVATION_FNS[c.FN],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'vec4<f32>' },
    { name: 'dOutput', kind: 'read-only-storage', wgsl: 'dy', type: 'vec4<f32>' },
    { name: 'output', kind: 'storage', wgsl: 'dx', type: 'vec4<f32>' },
  ],
  uniforms: ['words', 'alpha'],
  floatUniforms: ['alpha'],
  uniformValues: (s: ActivationBackwardParams) => [words(s), s.alpha],
  constants: (s: ActivationBackwardParams) => ({ WG, ...activationConstant(s.fn) }),
  dispatch: (s: ActivationBackwardParams, limits: DispatchLimits) => fold1d(ceilDiv(words(s), WG), limits),
} satisfies KernelDescriptor<ActivationBackwardParams>;
