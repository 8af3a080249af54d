import shader from '../../../shaders/conv2d-col2im.wgsl?raw';
import type { ConvBackwardShape } from './conv2d-backward-input.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';

const WG = 64;
const total = (s: ConvBackwardShape): number => s.batch * s.h * s.w * s.c;

/**
 * The 1×1 GEMM shape whose conv2d-backward-input gives a convolution's
 * column gradients dcol [n·oh·ow, K]: one "pixel" per output pixel, K "input
 * channels", out channels unchanged, and the same packed [K, ocp] weight.
 */
export function colGradShape(s: ConvBackwardShape): ConvBackwardShape {
  return { batch: s.batch, h: s.oh, w: s.ow, c: s.kh * s.kw * s.c, oh: s.oh, ow: s.ow, oc: s.oc, kh: 1, kw: 1, sh: 1, sw: 1, padT: 0, padL: 0 };
}

/** Floats of the dcol buffer for a shape. */
export const colGradSize = (s: ConvBackwardShape): number => s.batch * s.oh * s.ow * s.kh * s.kw * s.c;

/**
 * Whether the trainer computes dL/dx as GEMM + col2im: any kernel larger than
 * 1×1 (a 1×1 stride-1 unpadded conv, and dense, already is a GEMM), as long
 * as dcol stays well under the 128 MiB storage binding limit of the OpenGL
 * backend. A function of the shape only.
 */
export function useCol2im(s: ConvBackwardShape): boolean {
  const gemmAlready = s.kh === 1 && s.kw === 1 && s.sh === 1 && s.sw === 1 && s.padT === 0 && s.padL === 0;
  return !gemmAlready && colGradSize(s) * 4 <= 64 * 1024 * 1024;
}

export const conv2dCol2im = {
  name: 'conv2d-col2im',
  precision: 'fp32',
  shader,
  lib: ['nhwc'],
  flat: { count: 'p.total' },
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'dcol', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'dx', type: 'f32' },
  ],
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL'],
  uniformValues: (s: ConvBackwardShape) => [total(s), s.h, s.w, s.c, s.oh, s.ow, s.kh, s.kw, s.sh, s.sw, s.padT, s.padL],
  constants: () => ({ WG }),
  dispatch: (s: ConvBackwardShape, limits: DispatchLimits) => fold1d(ceilDiv(total(s), WG), limits),
} satisfies KernelDescriptor<ConvBackwardShape>;
