import shader from '../../../shaders/depthwise-conv2d-backward-input.wgsl?raw';
import type { DepthwiseConv2dParams } from './depthwise-conv2d.ts';
import { DEPTHWISE_ROW_BLOCK, depthwiseVec4 } from './depthwise-conv2d.ts';
import type { CodeValues, DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

/** The forward depthwise shape (its relu flag is unused here). */
export type DepthwiseBackwardShape = Omit<DepthwiseConv2dParams, 'relu'>;

const vecType = (code: CodeValues): string => (code.VEC4 ? 'vec4<f32>' : 'f32');

const WG = 64;
/** Threads: one per input element (scalar), or per (n, iy, row block, channel word) (VEC4). */
const total = (s: DepthwiseBackwardShape): number =>
  depthwiseVec4(s) ? s.batch * s.h * ceilDiv(s.w, DEPTHWISE_ROW_BLOCK) * (s.c / 4) : s.batch * s.h * s.w * s.c;

export const depthwiseConv2dBackwardInput = {
  name: 'depthwise-conv2d-backward-input',
  precision: 'fp32',
  shader,
  /** A template: VEC4 (whole channel words, m = 1) picks the blocked body, TM its pixels per thread. */
  codeConstants: ['VEC4', 'TM'],
  lib: ['flat-index', 'nhwc'],
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'dOutput', kind: 'read-only-storage', wgsl: 'dy', type: vecType },
    { name: 'weight', kind: 'read-only-storage', wgsl: 'wt', type: vecType },
    { name: 'output', kind: 'storage', wgsl: 'dx', type: vecType },
  ],
  /** xb: row blocks of TM input pixels (VEC4). */
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'm', 'xb'],
  uniformValues: (s: DepthwiseBackwardShape) => [
    total(s),
    s.h,
    s.w,
    s.c,
    s.oh,
    s.ow,
    s.kh,
    s.kw,
    s.sh,
    s.sw,
    s.padT,
    s.padL,
    s.m ?? 1,
    ceilDiv(s.w, DEPTHWISE_ROW_BLOCK),
  ],
  constants: (s: DepthwiseBackwardShape) => ({ WG, VEC4: depthwiseVec4(s) ? 1 : 0, TM: depthwiseVec4(s) ? DEPTHWISE_ROW_BLOCK : 1 }),
  dispatch: (s: DepthwiseBackwardShape, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<DepthwiseBackwardShape>;
