import shader from '../../../shaders/depthwise-conv2d.wgsl?raw';
import type { DepthwiseConv2dParams } from './depthwise-conv2d.ts';
import { depthwiseConv2d } from './depthwise-conv2d.ts';
import { COMPRESSED_BINDINGS, MAX_CODEBOOK_BITS } from './conv2d-compressed.ts';
import type { KernelDescriptor } from './types.ts';
import { expandWithWeightSource } from './weight-source.ts';

/**
 * depthwise-conv2d from compressed weights (the COMPRESSED variants of
 * shaders/depthwise-conv2d.wgsl, with shaders/weight-source.wgsl):
 * 'depthwise-conv2d-codebook' (bit-packed indices in the tensor's own
 * [kh, kw, c] order, see `packIndices` in conv2d-compressed.ts, plus the
 * centroids) and 'depthwise-conv2d-hashed' (the HashedNets table).
 * Shape, uniforms and dispatch are depthwise-conv2d's, followed by the
 * weight source's fields.
 */
export interface DepthwiseConv2dCodebookParams extends DepthwiseConv2dParams {
  bits: number;
  k: number;
}

export interface DepthwiseConv2dHashedParams extends DepthwiseConv2dParams {
  k: number;
  seed: number;
  salt: number;
}

const uniforms = [...depthwiseConv2d.uniforms, 'tk', 'seed', 'salt'];

export const depthwiseConv2dCodebook = {
  name: 'depthwise-conv2d-codebook',
  precision: 'fp32',
  shader,
  codeConstants: ['HASHED'],
  generate: (code: Record<string, number>) => expandWithWeightSource(shader, code, true),
  bindings: COMPRESSED_BINDINGS.codebook,
  uniforms,
  uniformValues: (s: DepthwiseConv2dCodebookParams) => [...depthwiseConv2d.uniformValues(s), s.k, 0, 0],
  constants: (s: DepthwiseConv2dCodebookParams) => {
    if (!Number.isInteger(s.bits) || s.bits < 1 || s.bits > MAX_CODEBOOK_BITS) throw new Error(`depthwise-conv2d-codebook: index bits must be 1…${MAX_CODEBOOK_BITS}, got ${s.bits}`);
    return { ...depthwiseConv2d.constants(s), HASHED: 0, BITS: s.bits };
  },
  dispatch: depthwiseConv2d.dispatch,
} satisfies KernelDescriptor<DepthwiseConv2dCodebookParams>;

export const depthwiseConv2dHashed = {
  name: 'depthwise-conv2d-hashed',
  precision: 'fp32',
  shader,
  codeConstants: ['HASHED'],
  generate: (code: Record<string, number>) => expandWithWeightSource(shader, code, true),
  bindings: COMPRESSED_BINDINGS.hashed,
  uniforms,
  uniformValues: (s: DepthwiseConv2dHashedParams) => [...depthwiseConv2d.uniformValues(s), s.k, s.seed >>> 0, s.salt >>> 0],
  constants: (s: DepthwiseConv2dHashedParams) => {
    if (!Number.isInteger(s.k) || s.k < 1) throw new Error(`depthwise-conv2d-hashed: the table size must be a positive integer, got ${s.k}`);
    return { ...depthwiseConv2d.constants(s), HASHED: 1 };
  },
  dispatch: depthwiseConv2d.dispatch,
} satisfies KernelDescriptor<DepthwiseConv2dHashedParams>;
