import shader from '../../../shaders/pool2d-backward.wgsl?raw';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { Pool2dParams } from './pool2d.ts';
import { poolLanes, poolPadUniforms, poolType } from './pool2d.ts';

/** The forward pool's shape (its `relu` flag is ignored: a following ReLU is its own layer in training). */
export type Pool2dBackwardParams = Omit<Pool2dParams, 'relu'>;

const WG = 64;
/** Stride = window and the windows tile the input exactly: one thread per output element writes its window. */
export const disjointPool = (s: Pool2dBackwardParams): boolean =>
  !s.padT && !s.padL && s.sh === s.winH && s.sw === s.winW && s.oh * s.sh === s.h && s.ow * s.sw === s.w;
/** Threads: one per dy element (disjoint) or dx element, in array elements (words with VEC4). */
const total = (s: Pool2dBackwardParams): number => ((disjointPool(s) ? s.batch * s.oh * s.ow : s.batch * s.h * s.w) * s.c) / poolLanes(s);

export const pool2dBackward = {
  name: 'pool2d-backward',
  precision: 'fp32',
  shader,
  codeConstants: ['VEC4'],
  lib: ['nhwc'],
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: poolType },
    { name: 'dOutput', kind: 'read-only-storage', wgsl: 'dy', type: poolType },
    { name: 'output', kind: 'storage', wgsl: 'dx', type: poolType },
  ],
  /** c: channels per pixel in array elements (words with VEC4). */
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'winH', 'winW', 'sh', 'sw', 'padT', 'padL', 'incl'],
  uniformValues: (s: Pool2dBackwardParams) => [total(s), s.h, s.w, s.c / poolLanes(s), s.oh, s.ow, s.winH, s.winW, s.sh, s.sw, ...poolPadUniforms(s)],
  constants: (s: Pool2dBackwardParams) => ({ WG, AVG: s.mode === 'avg' ? 1 : 0, DISJOINT: disjointPool(s) ? 1 : 0, VEC4: poolLanes(s) === 4 ? 1 : 0 }),
  dispatch: (s: Pool2dBackwardParams, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<Pool2dBackwardParams>;
