import shader from '../../../shaders/quantize-i8.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { I8DotParams } from './int8-common.ts';
import { dotConstant, i8Lib, lowerBound } from './int8-common.ts';

/** f32 NHWC `[batch·pixels, c]` → packed int8. `invScale` must already be a float32 (see inverseScaleF32). */
export interface QuantizeI8Params extends I8DotParams {
  batch: number;
  /** Pixels per image (H·W; 1 for a flat input of c values; H for rows of c = W values). */
  pixels: number;
  c: number;
  invScale: number;
  zeroPoint: number;
  relu: boolean;
}

const WG = 64;
/** Words per thread (see quantize-i8.wgsl). */
const PER = 16;
const f32Bits = (v: number): number => new Uint32Array(new Float32Array([v]).buffer)[0];
const total = (s: QuantizeI8Params): number => s.batch * s.pixels * ceilDiv(s.c, 4);

export const quantizeI8 = {
  name: 'quantize-i8',
  precision: 'int8',
  shader,
  lib: (code) => [...i8Lib(code), 'flat-index'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'u32' },
  ],
  uniforms: ['total', 'c', 'c4', 'zp', 'lo', 'invScaleBits'],
  intUniforms: ['zp', 'lo'],
  uniformValues: (s: QuantizeI8Params) => [total(s), s.c, ceilDiv(s.c, 4), s.zeroPoint, lowerBound(s.zeroPoint, s.relu), f32Bits(s.invScale)],
  // It only packs (the same code in both forms), so it names no variant.
  codeConstants: ['DOT4'],
  constants: (s: QuantizeI8Params) => ({ WG, PER, ...dotConstant(s) }),
  dispatch: (s: QuantizeI8Params, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG * PER), limits),
} satisfies KernelDescriptor<QuantizeI8Params>;

export { f32Bits };
