import shader from '../../../shaders/dequantize-i8.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { DotVariant } from './int8-common.ts';
import { i8Lib, perVariant } from './int8-common.ts';
import { f32Bits } from './quantize-i8.ts';

/** Packed int8 → f32 NHWC `[batch·pixels, c]`: scale · (q − zeroPoint). */
export interface DequantizeI8Params {
  batch: number;
  pixels: number;
  c: number;
  scale: number;
  zeroPoint: number;
}

const WG = 64;
const total = (s: DequantizeI8Params): number => s.batch * s.pixels * s.c;

export const dequantizeI8 = perVariant(
  (variant: DotVariant) =>
    ({
      name: `dequantize-i8:${variant}`,
      precision: 'i8',
      shader,
      lib: i8Lib(variant),
      flat: { count: 'p.total' },
      bindings: [
        { name: 'params', kind: 'uniform' },
        { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'u32' },
        { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
      ],
      uniforms: ['total', 'c', 'c4', 'zp', 'scaleBits'],
      intUniforms: ['zp'],
      uniformValues: (s: DequantizeI8Params) => [total(s), s.c, ceilDiv(s.c, 4), s.zeroPoint, f32Bits(s.scale)],
      constants: () => ({ WG }),
      dispatch: (s: DequantizeI8Params, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
    }) satisfies KernelDescriptor<DequantizeI8Params>,
);
