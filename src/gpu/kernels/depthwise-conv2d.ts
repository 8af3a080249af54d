import shader from '../../../shaders/depthwise-conv2d.wgsl?raw';
import type { ConvGeometry } from '../../model/shapes.ts';
import type { CodeValues, DispatchLimits, KernelDescriptor } from './types.ts';
import { ceilDiv, fold1d } from './types.ts';
import type { WeightSourceParams } from './weight-source.ts';
import { weightSourceBindings, weightSourceConstants, weightSourceFlags, weightSourceLib, weightSourceUniforms, weightSourceVariant } from './weight-source.ts';

/** Shape of a depthwise convolution (weights stay in the model's `[kh, kw, c·m]` layout). */
export interface DepthwiseConv2dParams extends ConvGeometry {
  batch: number;
  /** Channel multiplier (output channel o reads input channel ⌊o / m⌋); absent: 1. */
  m?: number;
  relu: boolean;
  /** Clamp at 6 as well (a fused relu6 `activation`; implies the ReLU). */
  relu6?: boolean;
  /** Compressed weights (code constant WEIGHTS), read in the tensor's own [kh, kw, c·m] order; absent: fp32. */
  weights?: WeightSourceParams;
}

const WG = 64;
/** Output elements: n·oh·ow·c·m. */
const outputCount = (s: DepthwiseConv2dParams): number => s.batch * s.oh * s.ow * s.c * (s.m ?? 1);

/** Output pixels per thread of the VEC4 variant (adjacent along x). */
export const DEPTHWISE_ROW_BLOCK = 4;

/**
 * The VEC4 variant serves fp32 weights, multiplier 1 and whole channel words
 * (see shaders/depthwise-conv2d.wgsl); everything else takes the scalar body.
 */
export function depthwiseVec4(s: { c: number; m?: number; weights?: unknown }): boolean {
  return !s.weights && (s.m ?? 1) === 1 && s.c % 4 === 0;
}

/** True when no tap of any output pixel falls in the padding (the same test as conv2d's). */
export function depthwiseInside(s: ConvGeometry): boolean {
  return s.padT === 0 && s.padL === 0 && (s.oh - 1) * s.sh + s.kh <= s.h && (s.ow - 1) * s.sw + s.kw <= s.w;
}

/** Blocks of DEPTHWISE_ROW_BLOCK output pixels per row. */
const rowBlocks = (s: DepthwiseConv2dParams): number => ceilDiv(s.ow, DEPTHWISE_ROW_BLOCK);

/** Threads: one per output element (scalar), or per (n, oy, row block, channel word) (VEC4). */
const threads = (s: DepthwiseConv2dParams): number => (depthwiseVec4(s) ? s.batch * s.oh * rowBlocks(s) * (s.c / 4) : outputCount(s));
const vecType = (scalar: string) => (code: CodeValues) => (code.VEC4 ? 'vec4<f32>' : scalar);

export const depthwiseConv2d = {
  name: 'depthwise-conv2d',
  precision: 'fp32',
  /** A template: WEIGHTS (weight-source.ts) picks where weights come from. */
  shader,
  codeConstants: ['WEIGHTS', 'VEC4', 'TM', 'INSIDE'],
  templateFlags: weightSourceFlags,
  lib: (code) => ['flat-index', 'nhwc', ...weightSourceLib(code)],
  variant: weightSourceVariant,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: vecType('f32') },
    ...weightSourceBindings(vecType('f32')),
    { name: 'bias', kind: 'read-only-storage', wgsl: 'bias', type: vecType('f32') },
    { name: 'output', kind: 'storage', wgsl: 'y', type: vecType('f32') },
  ],
  /** total: threads; xb: row blocks (VEC4); tk, seed, salt: compressed weights only — hashed: table size, seed, salt; codebook: centroids in tk. */
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'm', 'xb', 'tk', 'seed', 'salt'],
  uniformValues: (s: DepthwiseConv2dParams) => [
    threads(s),
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
    rowBlocks(s),
    ...weightSourceUniforms(s.weights),
  ],
  constants: (s: DepthwiseConv2dParams) => ({
    WG,
    RELU: s.relu6 ? 2 : s.relu ? 1 : 0,
    VEC4: depthwiseVec4(s) ? 1 : 0,
    TM: depthwiseVec4(s) ? DEPTHWISE_ROW_BLOCK : 1,
    INSIDE: depthwiseVec4(s) && depthwiseInside(s) ? 1 : 0,
    ...weightSourceConstants('depthwise-conv2d', s.weights),
  }),
  dispatch: (s: DepthwiseConv2dParams, limits: DispatchLimits) => fold1d(ceilDiv(threads(s), WG), limits),
} satisfies KernelDescriptor<DepthwiseConv2dParams>;
