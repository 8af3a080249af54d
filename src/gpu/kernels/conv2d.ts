import shader from '../../../shaders/conv2d.wgsl?raw';
import type { ConvGeometry } from '../../model/shapes.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { WeightSourceParams } from './weight-source.ts';
import { weightSourceBindings, weightSourceConstants, weightSourceFlags, weightSourceLib, weightSourceUniforms, weightSourceVariant } from './weight-source.ts';

/**
 * Shape and epilogue of one fused convolution (also used for pointwise and
 * dense layers: a dense layer is a 1×1 convolution of a 1×1 image).
 * Pool fields describe a pool fused into the epilogue; without one the
 * window is 1×1 with stride 1 and `poh/pow` equal `oh/ow`.
 */
export interface ConvShape extends ConvGeometry {
  // `oh`/`ow` (from ConvGeometry) are the conv output before any fused pool.
  batch: number;
  oc: number;
  pool: 'none' | 'max' | 'avg';
  winH: number;
  winW: number;
  psh: number;
  psw: number;
  /** Output size after the fused pool (= oh, ow without one). */
  poh: number;
  pow: number;
  reluPre: boolean;
  reluPost: boolean;
}

/** Register-blocking / workgroup-tiling choice for the GEMM-shaped kernels. */
export interface GemmTiling {
  /** Threads per workgroup (register variant) — see each kernel for its meaning. */
  wg: number;
  /** Target rows per thread (rounded to a whole number of pool windows, capped at 16 and by MAX_BLOCK_WORDS). */
  tm: number;
  /** Target output-channel words (4 channels) per thread, 1..8. */
  tn4: number;
  /**
   * conv2d only: spread channel blocks over a workgroup's threads instead of
   * dispatch y. For few rows (batch 1): with y-blocks a dense layer at batch 1
   * ran one live thread per workgroup.
   */
  spread?: boolean;
}

/**
 * Default register block: up to 16 rows × 8 channel words, at most
 * MAX_BLOCK_WORDS accumulators. On SwiftShader every storage load is a
 * per-lane gather, so FMAs per load (4·TM·TN4 / (TM + 4·TN4) on the vec4
 * path) decide speed; `autotune` may replace it per adapter.
 */
export const DEFAULT_REGISTER_TILING: GemmTiling = { wg: 64, tm: 16, tn4: 8 };

/** Largest register block, in vec4 accumulators (TM·TN4): 64 = 256 floats, like the 16×16 matmul block. */
export const MAX_BLOCK_WORDS = 64;

/** Shape plus tiling: what the conv2d descriptor is parameterised by. */
export interface Conv2dParams extends ConvShape {
  tiling: GemmTiling;
  /** Compressed weights the kernel reads instead of an fp32 buffer (code constant WEIGHTS); absent: fp32. */
  weights?: WeightSourceParams;
}

/** True when conv2d can fuse a pool with this window (a thread's rows hold whole windows; 8 keeps blocks of 8 and 16 rows possible). */
export function canFusePool(winH: number, winW: number): boolean {
  return [1, 2, 4, 8].includes(winH * winW);
}

/** Rows per thread: a multiple of the pool window, at most 16 and at most MAX_BLOCK_WORDS / tn4. */
export function rowsPerThread(s: ConvShape, target: number, tn4 = 1): number {
  const win = s.winH * s.winW;
  if (!canFusePool(s.winH, s.winW)) throw new Error(`conv2d: a fused pool window must hold 1, 2, 4 or 8 pixels, got ${s.winH}×${s.winW}`);
  const cap = Math.min(target, 16, Math.floor(MAX_BLOCK_WORDS / tn4));
  return Math.max(win, Math.floor(cap / win) * win);
}

/**
 * Out-channel words per thread: the largest ≤ target whose padding wastes at
 * most 1/8 of the work (more words per thread reuse each input load more).
 */
export function channelWordsPerThread(oc: number, target: number): number {
  const oc4 = ceilDiv(oc, 4);
  for (let t = Math.min(8, target, oc4); t > 1; t--) {
    if (ceilDiv(oc4, t) * t <= oc4 * 1.125) return t;
  }
  return 1;
}

/**
 * True when no tap of any output pixel falls in the padding: no padding
 * before, and the last output's window ends inside the image. The kernel
 * then drops its bounds checks (code constant INSIDE).
 */
export function tapsInside(s: ConvShape): boolean {
  return s.padT === 0 && s.padL === 0 && (s.oh - 1) * s.sh + s.kh <= s.h && (s.ow - 1) * s.sw + s.kw <= s.w;
}

export function convRows(s: ConvShape): number {
  return s.batch * s.poh * s.pow * s.winH * s.winW;
}

function uniformValues(s: Conv2dParams): number[] {
  return [
    convRows(s),
    s.h,
    s.w,
    s.c,
    s.oc,
    ceilDiv(s.oc, 4),
    s.kh,
    s.kw,
    s.sh,
    s.sw,
    s.padT,
    s.padL,
    s.poh,
    s.pow,
    s.psh,
    s.psw,
    ceilDiv(ceilDiv(s.oc, 4), channelWordsPerThread(s.oc, s.tiling.tn4)),
    s.kh * s.kw * s.c,
    ...weightSourceUniforms(s.weights),
  ];
}

export const conv2d = {
  name: 'conv2d',
  precision: 'fp32',
  /** A template: see `codeConstants`. */
  shader,
  /** WEIGHTS: where weights come from (weight-source.ts: 0 fp32, 1 codebook, 2 hashed). */
  codeConstants: ['TM', 'TN4', 'VEC4', 'INSIDE', 'WEIGHTS'],
  templateFlags: weightSourceFlags,
  lib: (code) => ['flat-index', 'gemm-row', ...weightSourceLib(code)],
  variant: weightSourceVariant,
  bindings: [
    { name: 'params', kind: 'uniform' },
    // The scalar variant reads x as plain floats: picking a component out of a
    // vec4 word by a dynamic index costs a whole-word gather per lane on SwiftShader.
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: (code) => (code.VEC4 ? 'vec4<f32>' : 'f32') },
    ...weightSourceBindings('vec4<f32>'),
    { name: 'bias', kind: 'read-only-storage', wgsl: 'bias', type: 'vec4<f32>' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
  ],
  /**
   * rows: virtual rows n·poh·pow·WIN_H·WIN_W; poh, pow_: pooled (= conv
   * output without a pool) height and width; psh, psw: pool stride (1
   * without a pool); nj: channel blocks ceil(oc4 / TN4). Compressed weights
   * only: kk = K = kh·kw·c (weights per out channel); tk: table size
   * (hashed) or centroids (codebook); seed, salt: the hash's.
   */
  uniforms: ['rows', 'h', 'w', 'c', 'oc', 'oc4', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'poh', 'pow_', 'psh', 'psw', 'nj', 'kk', 'tk', 'seed', 'salt'],
  uniformValues,
  constants: (s: Conv2dParams) => ({
    WG: s.tiling.wg,
    TM: rowsPerThread(s, s.tiling.tm, channelWordsPerThread(s.oc, s.tiling.tn4)),
    TN4: channelWordsPerThread(s.oc, s.tiling.tn4),
    VEC4: s.c % 4 === 0 ? 1 : 0,
    INSIDE: tapsInside(s) ? 1 : 0,
    RELU_PRE: s.reluPre ? 1 : 0,
    RELU_POST: s.reluPost ? 1 : 0,
    POOL_AVG: s.pool === 'avg' ? 1 : 0,
    WIN_H: s.winH,
    WIN_W: s.winW,
    SPREAD: s.tiling.spread ? 1 : 0,
    ...weightSourceConstants('conv2d', s.weights),
  }),
  dispatch: (s: Conv2dParams, limits: DispatchLimits) => {
    const tn4 = channelWordsPerThread(s.oc, s.tiling.tn4);
    const threads = ceilDiv(convRows(s), rowsPerThread(s, s.tiling.tm, tn4));
    const nj = ceilDiv(ceilDiv(s.oc, 4), tn4);
    if (s.tiling.spread) return fold1d(ceilDiv(threads * nj, s.tiling.wg), limits, 1);
    return fold1d(ceilDiv(threads, s.tiling.wg), limits, nj);
  },
} satisfies KernelDescriptor<Conv2dParams>;

/** Smallest workgroup `fitWorkgroup` goes down to: one SIMD group of a CPU adapter (SwiftShader's width is 4). */
export const MIN_FIT_WG = 4;

/**
 * The workgroup size for a one-image dispatch of `s` (batch ignored): halve
 * `s.tiling.wg` (down to MIN_FIT_WG) until the dispatch has at least
 * `minGroups` workgroups. A CPU adapter runs each workgroup on one thread
 * (SwiftShader: one task per workgroup, up to 16 tasks per dispatch), so
 * LeNet-5's conv2 at batch 1 — 16 live threads, 70 % of the FLOPs — ran as
 * two 16-thread workgroups with half their lanes idle: two tasks, and
 * a busy core holding either one stalls the layer. The register block is
 * unchanged, so each thread does the same work as before.
 */
export function fitWorkgroup(s: Omit<Conv2dParams, 'batch'>, minGroups: number): number {
  const groups = (wg: number): number => {
    const [x, y, z] = conv2d.dispatch({ ...s, batch: 1, tiling: { ...s.tiling, wg } }, { maxComputeWorkgroupsPerDimension: 65535 });
    return x * y * z;
  };
  let wg = s.tiling.wg;
  while (wg > MIN_FIT_WG && groups(wg) < minGroups) wg = Math.max(MIN_FIT_WG, Math.floor(wg / 2));
  return wg;
}

/**
 * Repack a conv weight `[oc, kh, kw, c]` (or dense `[out, in]`) into the
 * kernel's `[K, oc4·4]` layout, out channels zero-padded to a multiple of 4,
 * so that each weight load is one aligned vec4 of four output channels.
 */
export function packGemmWeight(weight: Float32Array, oc: number): Float32Array {
  const k = weight.length / oc;
  if (!Number.isInteger(k)) throw new Error(`packGemmWeight: ${weight.length} values do not split into ${oc} output channels`);
  const ocp = Math.ceil(oc / 4) * 4;
  const out = new Float32Array(k * ocp);
  for (let o = 0; o < oc; o++) {
    const row = o * k;
    for (let i = 0; i < k; i++) out[i * ocp + o] = weight[row + i];
  }
  return out;
}

/** Bias padded with zeros to a multiple of 4 (all zeros when the layer has none). */
export function packBias(bias: Float32Array | undefined, oc: number): Float32Array {
  const out = new Float32Array(Math.ceil(oc / 4) * 4);
  if (bias) out.set(bias);
  return out;
}
