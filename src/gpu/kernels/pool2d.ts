import shader from '../../../shaders/pool2d.wgsl?raw';
import type { Pool2dLayer } from '../../model/layers.ts';
import type { CodeValues, DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/**
 * Explicit pads of a pool (absent: none): rows above, columns left (the
 * output size stops the windows below and right), and whether an average
 * divides by the whole window (padded taps are zeros) or by its in-image taps.
 */
export interface PoolPadParams {
  padT?: number;
  padL?: number;
  includePad?: boolean;
}

/** The pad params of a pooling layer (none when it has no padding). */
export function poolPadParams(layer: Pool2dLayer): PoolPadParams {
  if (!layer.padding) return {};
  return { padT: layer.padding.top, padL: layer.padding.left, includePad: layer.countIncludePad === true };
}

/** The pad uniforms of a pool kernel: padT, padL, incl. */
export const poolPadUniforms = (s: PoolPadParams): number[] => [s.padT ?? 0, s.padL ?? 0, s.includePad ? 1 : 0];

/** A standalone max/avg pool (floor mode, optional explicit pads) with an optional ReLU after it. */
export interface Pool2dParams extends PoolPadParams {
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

/** Channel lanes per thread of a pool kernel: 4 (one vec4 word, code constant VEC4) when the channels fill whole words, else 1. */
export const poolLanes = (s: { c: number }): number => (s.c % 4 === 0 ? 4 : 1);
/** Array element type of a pool kernel's tensors in the variant `code`. */
export const poolType = (code: CodeValues): string => (code.VEC4 ? 'vec4<f32>' : 'f32');
const words = (s: Pool2dParams): number => s.c / poolLanes(s);

export const pool2d = {
  name: 'pool2d',
  precision: 'fp32',
  shader,
  codeConstants: ['VEC4'],
  lib: ['nhwc'],
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: poolType },
    { name: 'output', kind: 'storage', wgsl: 'y', type: poolType },
  ],
  /** c: channels per pixel in array elements (words with VEC4). */
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'winH', 'winW', 'sh', 'sw', 'padT', 'padL', 'incl'],
  uniformValues: (s: Pool2dParams) => [s.batch * s.oh * s.ow * words(s), s.h, s.w, words(s), s.oh, s.ow, s.winH, s.winW, s.sh, s.sw, ...poolPadUniforms(s)],
  constants: (s: Pool2dParams) => ({ WG, AVG: s.mode === 'avg' ? 1 : 0, RELU: s.relu ? 1 : 0, VEC4: poolLanes(s) === 4 ? 1 : 0 }),
  dispatch: (s: Pool2dParams, limits: DispatchLimits) => fold1d(ceilDiv(s.batch * s.oh * s.ow * words(s), WG), limits),
} satisfies KernelDescriptor<Pool2dParams>;
