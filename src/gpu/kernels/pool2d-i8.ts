import shader from '../../../shaders/pool2d-i8.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { PoolPadParams } from './pool2d.ts';
import { poolPadUniforms } from './pool2d.ts';
import type { I8DotParams } from './int8-common.ts';
import { dotConstant, i8Lib, lowerBound, unpackVariant } from './int8-common.ts';

/** Max/avg pool on int8 codes (floor mode, optional pads); `zeroPoint` is the tensor's, for the ReLU clamp and padded taps. */
export interface Pool2dI8Params extends I8DotParams, PoolPadParams {
  batch: number;
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  winH: number;
  winW: number;
  sh: number;
  sw: number;
  mode: 'max' | 'avg';
  zeroPoint: number;
  relu: boolean;
}

const WG = 64;
const total = (s: Pool2dI8Params): number => s.batch * s.oh * s.ow * ceilDiv(s.c, 4);

export const pool2dI8 = {
  name: 'pool2d-i8',
  precision: 'int8',
  shader,
  lib: (code) => [...i8Lib(code), 'nhwc'],
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'u32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'u32' },
  ],
  uniforms: ['total', 'h', 'w', 'c4', 'oh', 'ow', 'winH', 'winW', 'sh', 'sw', 'lo', 'zp', 'padT', 'padL', 'incl'],
  intUniforms: ['lo', 'zp'],
  uniformValues: (s: Pool2dI8Params) => [
    ...[total(s), s.h, s.w, ceilDiv(s.c, 4), s.oh, s.ow, s.winH, s.winW, s.sh, s.sw],
    ...[lowerBound(s.zeroPoint, s.relu), s.zeroPoint, ...poolPadUniforms(s)],
  ],
  codeConstants: ['DOT4'],
  variant: unpackVariant,
  constants: (s: Pool2dI8Params) => ({ WG, AVG: s.mode === 'avg' ? 1 : 0, ...dotConstant(s) }),
  dispatch: (s: Pool2dI8Params, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<Pool2dI8Params>;
