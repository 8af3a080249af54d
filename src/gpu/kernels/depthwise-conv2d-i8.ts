import shader from '../../../shaders/depthwise-conv2d-i8.wgsl?raw';
import type { ConvGeometry } from '../../model/shapes.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { I8DotParams } from './int8-common.ts';
import { dotConstant, i8Lib, lowerBound, packWord, unpackVariant, zeroPointWord } from './int8-common.ts';

/** One int8 depthwise convolution (`c` input channels, `c·m` output channels). */
export interface DepthwiseConv2dI8Params extends I8DotParams, ConvGeometry {
  batch: number;
  /** Channel multiplier; absent: 1. */
  m?: number;
  inZp: number;
  outZp: number;
  relu: boolean;
}

const WG = 64;
/** Output words per pixel: ceil(c·m / 4). */
const outWords = (s: DepthwiseConv2dI8Params): number => ceilDiv(s.c * (s.m ?? 1), 4);
const total = (s: DepthwiseConv2dI8Params): number => s.batch * s.oh * s.ow * outWords(s);

export const depthwiseConv2dI8 = {
  name: 'depthwise-conv2d-i8',
  precision: 'int8',
  shader,
  lib: (code) => [...i8Lib(code), 'nhwc'],
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'u32' },
    { name: 'weight', kind: 'read-only-storage', wgsl: 'wt', type: 'u32' },
    { name: 'bias', kind: 'read-only-storage', wgsl: 'qb', type: 'vec4<i32>' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'u32' },
  ],
  uniforms: ['total', 'h', 'w', 'c4', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'outZp', 'lo', 'padWord', 'c', 'ci4', 'm'],
  intUniforms: ['outZp', 'lo'],
  uniformValues: (s: DepthwiseConv2dI8Params) => [
    total(s),
    s.h,
    s.w,
    outWords(s),
    s.oh,
    s.ow,
    s.kh,
    s.kw,
    s.sh,
    s.sw,
    s.padT,
    s.padL,
    s.outZp,
    lowerBound(s.outZp, s.relu),
    zeroPointWord(s.inZp),
    s.c,
    ceilDiv(s.c, 4),
    s.m ?? 1,
  ],
  codeConstants: ['DOT4'],
  variant: unpackVariant,
  constants: (s: DepthwiseConv2dI8Params) => ({ WG, ...dotConstant(s) }),
  dispatch: (s: DepthwiseConv2dI8Params, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<DepthwiseConv2dI8Params>;

/** Depthwise weight `[kh, kw, C]` int8 (C = input channels × multiplier) → `[kh·kw, c4]` packed words (tail channels zero). */
export function packDepthwiseWeightI8(w: Int8Array, taps: number, c: number): Uint32Array {
  if (w.length !== taps * c) throw new Error(`packDepthwiseWeightI8: ${w.length} weights do not fit [${taps}, ${c}]`);
  const c4 = ceilDiv(c, 4);
  const out = new Uint32Array(taps * c4);
  for (let t = 0; t < taps; t++) {
    for (let cw = 0; cw < c4; cw++) {
      const b = (l: number): number => (cw * 4 + l < c ? w[t * c + cw * 4 + l] : 0);
      out[t * c4 + cw] = packWord(b(0), b(1), b(2), b(3));
    }
  }
  return out;
}
