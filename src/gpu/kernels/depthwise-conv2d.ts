import shader from '../../../shaders/depthwise-conv2d.wgsl?raw';
import type { ConvGeometry } from '../../model/shapes.ts';
import type { DispatchLimits, KernelDescriptor } from './types.ts';
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

export const depthwiseConv2d = {
  name: 'depthwise-conv2d',
  precision: 'fp32',
  /** A template: WEIGHTS (weight-source.ts) picks where weights come from. */
  shader,
  codeConstants: ['WEIGHTS'],
  templateFlags: weightSourceFlags,
  lib: (code) => ['flat-index', 'nhwc', ...weightSourceLib(code)],
  variant: weightSourceVariant,
  bindings: [
    { name: 'params', kind: 'uniform' },
    { name: 'input', kind: 'read-only-storage', wgsl: 'x', type: 'f32' },
    ...weightSourceBindings('f32'),
    { name: 'bias', kind: 'read-only-storage', wgsl: 'bias', type: 'f32' },
    { name: 'output', kind: 'storage', wgsl: 'y', type: 'f32' },
  ],
  /** tk, seed, salt: compressed weights only — hashed: table size, seed, salt; codebook: centroids in tk. */
  uniforms: ['total', 'h', 'w', 'c', 'oh', 'ow', 'kh', 'kw', 'sh', 'sw', 'padT', 'padL', 'm', 'tk', 'seed', 'salt'],
  uniformValues: (s: DepthwiseConv2dParams) => [
    outputCount(s),
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
    ...weightSourceUniforms(s.weights),
  ],
  constants: (s: DepthwiseConv2dParams) => ({ WG, RELU: s.relu6 ? 2 : s.relu ? 1 : 0, ...weightSourceConstants('depthwise-conv2d', s.weights) }),
  dispatch: (s: DepthwiseConv2dParams, limits: DispatchLimits) => fold1d(ceilDiv(outputCount(s), WG), limits),
} satisfies KernelDescriptor<DepthwiseConv2dParams>;
