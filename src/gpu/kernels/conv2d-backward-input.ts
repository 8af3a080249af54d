import shader from '../../../shaders/conv2d-backward-input.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** A convolution's shape (dense: h = w = kh = kw = 1, c = inputs, oc = units). */
export interface ConvBackwardShape {
  batch: number;
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  oc: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padT: number;
  padL: number;
}

const WG = 64;
const total = (s: ConvBackwardShape): number => s.batch * s.h * s.w * ceilDiv(s.c, 4);

export const conv2dBackwardInput = {
  name: 'conv2d-backward-input',
  precision: 'f32',
  shader,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'dOutput', kind: 'read-only-storage' },
    { name: 'weight', kind: 'read-only-storage' },
    { name: 'output', kind: 'storage' },
  ],
  uniforms: ['total', 'h', 'w', 'c', 'c4', 'oh', 'ow', 'oc', 'ocp', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL'],
  uniformValues: (s: ConvBackwardShape) => [
    total(s),
    s.h,
    s.w,
    s.c,
    ceilDiv(s.c, 4),
    s.oh,
    s.ow,
    s.oc,
    ceilDiv(s.oc, 4) * 4,
    s.kh,
    s.kw,
    s.sh,
    s.sw,
    s.padT,
    s.padL,
  ],
  constants: () => ({ WG }),
  dispatch: (s: ConvBackwardShape, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<ConvBackwardShape>;
