import type { DepthwiseConv2dParams } from './depthwise-conv2d.ts';
import { depthwiseBaseUniformValues, depthwiseConv2d } from './depthwise-conv2d.ts';
import { MAX_CODEBOOK_BITS } from './conv2d-compressed.ts';
import type { KernelDescriptor } from './types.ts';
import { WEIGHT_SOURCES } from './weight-source.ts';

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


export const depthwiseConv2dCodebook = {
  name: 'depthwise-conv2d-codebook',
  precision: 'f32',
  shader: depthwiseConv2d.shader,
  codeConstants: depthwiseConv2d.codeConstants,
  templateFlags: depthwiseConv2d.templateFlags,
  lib: depthwiseConv2d.lib,
  bindings: depthwiseConv2d.bindings,
  uniforms: depthwiseConv2d.uniforms,
  uniformValues: (s: DepthwiseConv2dCodebookParams) => [...depthwiseBaseUniformValues(s), s.k, 0, 0],
  constants: (s: DepthwiseConv2dCodebookParams) => {
    if (!Number.isInteger(s.bits) || s.bits < 1 || s.bits > MAX_CODEBOOK_BITS) throw new Error(`depthwise-conv2d-codebook: index bits must be 1…${MAX_CODEBOOK_BITS}, got ${s.bits}`);
    return { ...depthwiseConv2d.constants(s), WEIGHTS: WEIGHT_SOURCES.codebook, BITS: s.bits };
  },
  dispatch: depthwiseConv2d.dispatch,
} satisfies KernelDescriptor<DepthwiseConv2dCodebookParams>;

export const depthwiseConv2dHashed = {
  name: 'depthwise-conv2d-hashed',
  precision: 'f32',
  shader: depthwiseConv2d.shader,
  codeConstants: depthwiseConv2d.codeConstants,
  templateFlags: depthwiseConv2d.templateFlags,
  lib: depthwiseConv2d.lib,
  bindings: depthwiseConv2d.bindings,
  uniforms: depthwiseConv2d.uniforms,
  uniformValues: (s: DepthwiseConv2dHashedParams) => [...depthwiseBaseUniformValues(s), s.k, s.seed >>> 0, s.salt >>> 0],
  constants: (s: DepthwiseConv2dHashedParams) => {
    if (!Number.isInteger(s.k) || s.k < 1) throw new Error(`depthwise-conv2d-hashed: the table size must be a positive integer, got ${s.k}`);
    return { ...depthwiseConv2d.constants(s), WEIGHTS: WEIGHT_SOURCES.hashed };
  },
  dispatch: depthwiseConv2d.dispatch,
} satisfies KernelDescriptor<DepthwiseConv2dHashedParams>;
