import shader from '../../../shaders/dequantize-i8.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { I8DotParams } from './int8-common.ts';
import { dotConstant, i8Lib, unpackVariant } from './int8-common.ts';
import { f32Bits } from './quantize-i8.ts';

/** Packed int8 → f32 NHWC `[batch·pixels, c]`: scale · (q − zeroPoint). */
export interface DequantizeI8Params extends I8DotParams {
  batch: number;
  pixels: number;
  c: number;
  scale: number;
  zeroPoint: number;
}

const WG = 64;
const total = (s: DequantizeI8Params): number => s.batch * s.pixels * s.c;

export const dequantizeI8 = {
  name: 'dequantize-i8',
  precision: 'int8',
  shader,
  lib: i8Lib,
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'u32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
  ],
  uniforms: ['total', 'c', 'c4', 'zp', 'scaleBits'],
  intUniforms: ['zp'],
  uniformValues: (s: DequantizeI8Params) => [total(s), s.c, ceilDiv(s.c, 4), s.zeroPoint, f32Bits(s.scale)],
  codeConstants: ['DOT4'],
  variant: unpackVariant,
  constants: (s: DequantizeI8Params) => ({ WG, ...dotConstant(s) }),
  dispatch: (s: DequantizeI8Params, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<DequantizeI8Params>;
