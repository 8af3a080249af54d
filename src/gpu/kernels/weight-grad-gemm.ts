/**
 * The weight gradient of a dense layer or a 1×1, stride-1, unpadded
 * convolution as one GEMM: with P = batch·oh·ow pixels, dy [P, oc] and the
 * layer input x [P, K] (K = c),
 *
 *   dW[oc, K] = dyᵀ · x,
 *
 * computed as `transpose` (dy → dyᵀ [oc, P]) then the register-blocked
 * conv2d kernel on a "1×1 image" GEMM: oc rows, P reduction, K output
 * columns, x read in place as its packed [P, K] weight operand (which needs
 * K % 4 == 0: packed rows are whole vec4 words). No split and no col-sum:
 * each dW element is one thread's sum over the pixels in order, so the result
 * is deterministic. On SwiftShader this ran LeNet-300-100's fc1 dW in a
 * fraction of the split implicit-GEMM kernel's time (docs/benchmark.md,
 * "Training step profile").
 */
import type { ConvBackwardShape } from './conv2d-backward-input.ts';
import type { Conv2dParams, GemmTiling } from './conv2d.ts';

/** True when `s` is a 1×1 stride-1 unpadded convolution (dense included) whose K suits the GEMM path. */
export function useGemmWeightGrad(s: ConvBackwardShape): boolean {
  return s.kh === 1 && s.kw === 1 && s.sh === 1 && s.sw === 1 && s.padT === 0 && s.padL === 0 && s.oh === s.h && s.ow === s.w && s.c % 4 === 0;
}

/** Pixels of the reduction (rows of dy and x). */
export const gemmPixels = (s: ConvBackwardShape): number => s.batch * s.oh * s.ow;

/** The conv2d parameters of dW = dyᵀ · x (input: dyᵀ [oc, P]; weight: x [P, K]; bias: K zeros; output: dW [oc, K]). */
export function gemmWeightGradParams(s: ConvBackwardShape, tiling: GemmTiling): Conv2dParams {
  const p = gemmPixels(s);
  return {
    batch: s.oc,
    h: 1,
    w: 1,
    c: p,
    oh: 1,
    ow: 1,
    kh: 1,
    kw: 1,
    sh: 1,
    sw: 1,
    padT: 0,
    padL: 0,
    oc: s.c,
    pool: 'none',
    winH: 1,
    winW: 1,
    psh: 1,
    psw: 1,
    poh: 1,
    pow: 1,
    reluPre: false,
    reluPost: false,
    tiling,
  };
}
