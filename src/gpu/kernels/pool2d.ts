import shader from '../../../shaders/pool2d.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** A standalone max/avg pool (no padding, floor mode) with an optional ReLU after it. */
export interface Pool2dParams {
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
  relu: boolean;
}

const WG = 64;

export const pool2d = {
  name: 'pool2d',
  precision: 'fp32',
  shader,
  lib: ['nhwc'],
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
  ],
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'winH', 'winW', 'sh', 'sw'],
  uniformValues: (s: Pool2dParams) => [s.batch * s.oh * s.ow * s.c, s.h, s.w, s.c, s.oh, s.ow, s.winH, s.winW, s.sh, s.sw],
  constants: (s: Pool2dParams) => ({ WG, AVG: s.mode === 'avg' ? 1 : 0, RELU: s.relu ? 1 : 0 }),
  dispatch: (s: Pool2dParams, limits: DispatchLimits) => fold1d(ceilDiv(s.batch * s.oh * s.ow * s.c, WG), limits),
} satisfies KernelDescriptor<Pool2dParams>;
