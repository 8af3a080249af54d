import shader from '../../../shaders/activation.wgsl?raw';
import type { ActivationFn } from '../../model/layers.ts';
import { ACTIVATION_FNS } from '../../model/layers.ts';
import type { CodeValues, DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** An `activation` layer over `batch · size` values. */
export interface ActivationParams {
  batch: number;
  /** Values per image. */
  size: number;
  fn: ActivationFn;
  /** leakyRelu's slope (0 for the other functions). */
  alpha: number;
}

const WG = 64;
const words = (s: { batch: number; size: number }): number => ceilDiv(s.batch * s.size, 4);

/** The code constant FN: the function's index in ACTIVATION_FNS. */
export function activationConstant(fn: ActivationFn): { FN: number } {
  const i = ACTIVATION_FNS.indexOf(fn);
  if (i < 0) throw new Error(`activation kernel: unknown fn ${JSON.stringify(fn)}`);
  return { FN: i };
}

/** The template flags of shaders/lib/activation.wgsl from FN. */
export function activationFlags(code: CodeValues): CodeValues {
  const fn = ACTIVATION_FNS[code.FN];
  return { RELU6: fn === 'relu6' ? 1 : 0, LEAKY: fn === 'leakyRelu' ? 1 : 0, SIGMOID: fn === 'sigmoid' ? 1 : 0, TANH: fn === 'tanh' ? 1 : 0 };
}

/** What the forward and backward kernels share: one flat pass whose code constant FN picks the function. */
export const activationShared = {
  precision: 'fp32',
  lib: ['activation'],
  flat: { count: 'p.words' },
  codeConstants: ['FN'],
  templateFlags: activationFlags,
  variant: (c: Record<string, number>) => ACTIVATION_FNS[c.FN],
  uniforms: ['words', 'alpha'],
  floatUniforms: ['alpha'],
  uniformValues: (s: ActivationParams) => [words(s), s.alpha],
  constants: (s: ActivationParams) => ({ WG, ...activationConstant(s.fn) }),
  dispatch: (s: ActivationParams, limits: DispatchLimits) => fold1d(ceilDiv(words(s), WG), limits),
} as const;

export const activation = {
  ...activationShared,
  name: 'activation',
  shader,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'vec4<f32>' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'vec4<f32>' },
  ],
} satisfies KernelDescriptor<ActivationParams>;
