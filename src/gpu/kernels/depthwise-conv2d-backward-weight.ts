import shader from '../../../shaders/depthwise-conv2d-backward-weight.wgsl?raw';
import type { DepthwiseBackwardShape } from './depthwise-conv2d-backward-input.ts';
import { depthwiseInside, depthwiseVec4 } from './depthwise-conv2d.ts';
import type { CodeValues, DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import { splitsOf } from './conv2d-backward-weight.ts';

/** Shape plus images per split of the batch reduction. */
export interface DepthwiseBackwardWeightParams extends DepthwiseBackwardShape {
  ips: number;
}

const WG = 64;
/** Widest kernel row the VEC4 body holds in registers (one accumulator word per tap). */
const MAX_VEC4_KW = 8;
const vec4Of = (s: DepthwiseBackwardWeightParams): boolean => depthwiseVec4(s) && s.kw <= MAX_VEC4_KW;
/** Threads: one per (split, weight element) (scalar), or per (split, ky, channel word) (VEC4). */
const total = (s: DepthwiseBackwardWeightParams): number => (vec4Of(s) ? splitsOf(s) * s.kh * (s.c / 4) : splitsOf(s) * s.kh * s.kw * s.c * (s.m ?? 1));
const vecType = (code: CodeValues): string => (code.VEC4 ? 'vec4<f32>' : 'f32');

export const depthwiseConv2dBackwardWeight = {
  name: 'depthwise-conv2d-backward-weight',
  precision: 'fp32',
  shader,
  /** A template: VEC4 picks the blocked body, TM (= kw there) its taps per thread, INSIDE drops its bounds checks. */
  codeConstants: ['VEC4', 'TM', 'INSIDE'],
  lib: ['flat-index'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: vecType },
    { name: 'dOutput', kind: 'read-only-storage', wgsl: 'dy', type: vecType },
    { name: 'output', kind: 'storage', wgsl: 'partial', type: vecType },
  ],
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'batch', 'ips', 'm'],
  uniformValues: (s: DepthwiseBackwardWeightParams) => [total(s), s.h, s.w, s.c, s.oh, s.ow, s.kh, s.kw, s.sh, s.sw, s.padT, s.padL, s.batch, s.ips, s.m ?? 1],
  constants: (s: DepthwiseBackwardWeightParams) => ({
    WG,
    VEC4: vec4Of(s) ? 1 : 0,
    TM: vec4Of(s) ? s.kw : 1,
    INSIDE: vec4Of(s) && depthwiseInside(s) ? 1 : 0,
  }),
  dispatch: (s: DepthwiseBackwardWeightParams, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<DepthwiseBackwardWeightParams>;
