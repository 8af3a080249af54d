import type { HashedEncoding } from '../../model/model.ts';
import { distinctValues, indexBitsFor, packBits } from '../../model/codecs.ts';
import type { Conv2dParams } from './conv2d.ts';
import { conv2d, conv2dBaseUniformValues } from './conv2d.ts';
import type { KernelDescriptor } from './types.ts';
import { ceilDiv } from './types.ts';
import { WEIGHT_SOURCES } from './weight-source.ts';

/**
 * conv2d computed from compressed weights (the COMPRESSED variants of
 * shaders/conv2d.wgsl, with shaders/weight-source.wgsl):
 * 'conv2d-codebook' reads bit-packed codebook indices and the centroids,
 * 'conv2d-hashed' hashes each weight's position into a HashedNets table.
 * Geometry, tiling, fusion and dispatch are conv2d's (same descriptor
 * functions), so a plan step swaps the kernel without touching its shape.
 */

/** Largest codebook the kernel holds on chip (8-bit indices; workgroup array of 256 floats). */
export const MAX_CODEBOOK_BITS = 8;

export interface Conv2dCodebookParams extends Conv2dParams {
  /** Index bits, 1…MAX_CODEBOOK_BITS. */
  bits: number;
  /** Number of centroids (≤ 2^bits). */
  k: number;
}

export interface Conv2dHashedParams extends Conv2dParams {
  /** Shared values in the table. */
  k: number;
  seed: number;
  salt: number;
}

const gemmK = (s: Conv2dParams): number => s.kh * s.kw * s.c;

export const conv2dCodebook = {
  name: 'conv2d-codebook',
  precision: 'f32',
  shader: conv2d.shader,
  codeConstants: conv2d.codeConstants,
  templateFlags: conv2d.templateFlags,
  lib: conv2d.lib,
  bindings: conv2d.bindings,
  uniforms: conv2d.uniforms,
  uniformValues: (s: Conv2dCodebookParams) => [...conv2dBaseUniformValues(s), gemmK(s), s.k, 0, 0],
  constants: (s: Conv2dCodebookParams) => {
    if (!Number.isInteger(s.bits) || s.bits < 1 || s.bits > MAX_CODEBOOK_BITS) throw new Error(`conv2d-codebook: index bits must be 1…${MAX_CODEBOOK_BITS}, got ${s.bits}`);
    return { ...conv2d.constants(s), WEIGHTS: WEIGHT_SOURCES.codebook, BITS: s.bits };
  },
  dispatch: conv2d.dispatch,
} satisfies KernelDescriptor<Conv2dCodebookParams>;

export const conv2dHashed = {
  name: 'conv2d-hashed',
  precision: 'f32',
  shader: conv2d.shader,
  codeConstants: conv2d.codeConstants,
  templateFlags: conv2d.templateFlags,
  lib: conv2d.lib,
  bindings: conv2d.bindings,
  uniforms: conv2d.uniforms,
  uniformValues: (s: Conv2dHashedParams) => [...conv2dBaseUniformValues(s), gemmK(s), s.k, s.seed >>> 0, s.salt >>> 0],
  constants: (s: Conv2dHashedParams) => {
    if (!Number.isInteger(s.k) || s.k < 1) throw new Error(`conv2d-hashed: the table size must be a positive integer, got ${s.k}`);
    return { ...conv2d.constants(s), WEIGHTS: WEIGHT_SOURCES.hashed };
  },
  dispatch: conv2d.dispatch,
} satisfies KernelDescriptor<Conv2dHashedParams>;

/** A tensor as codebook + symbols: the centroids are its distinct values, ascending (as the file stores them). */
export interface CodebookTensor {
  codebook: Float32Array;
  /** Centroid index of every value, in the tensor's own order. */
  symbols: Int32Array;
  bits: number;
}

/**
 * Codebook form of decoded values (a codebook tensor, or one inside a
 * Huffman or sparse wrapper, holds exactly its centroids' values). Null
 * when the values need more than `maxBits` index bits.
 */
export function codebookOf(values: Float32Array, maxBits = MAX_CODEBOOK_BITS): CodebookTensor | null {
  const codebook = distinctValues(values);
  const bits = indexBitsFor(codebook.length);
  if (bits > maxBits) return null;
  const at = new Map<number, number>();
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const cu = new Uint32Array(codebook.buffer);
  cu.forEach((b, i) => at.set(b, i));
  const symbols = new Int32Array(values.length);
  // By bit pattern, as distinctValues keys them (−0 and +0 are distinct centroids).
  for (let i = 0; i < values.length; i++) symbols[i] = at.get(u[i])!;
  return { codebook, symbols, bits };
}

/**
 * Symbols of an `[oc, K]` tensor (conv `[oc, kh, kw, c]`, dense `[out, in]`)
 * packed for the kernel: `bits`-bit fields in a little-endian bit stream of
 * u32 words in GEMM order `[K, ocp]` (ocp = oc rounded up to 4, padding
 * index 0), plus one spare word (the kernel reads word w + 1 beside word w).
 */
export function packCodebookIndices(symbols: Int32Array, oc: number, bits: number): Uint32Array {
  const k = symbols.length / oc;
  if (!Number.isInteger(k)) throw new Error(`packCodebookIndices: ${symbols.length} indices do not split into ${oc} output channels`);
  const ocp = ceilDiv(oc, 4) * 4;
  const gemm = new Int32Array(k * ocp);
  for (let o = 0; o < oc; o++) for (let i = 0; i < k; i++) gemm[i * ocp + o] = symbols[o * k + i];
  return packIndices(gemm, bits);
}

/** Indices in their own order as a little-endian `bits`-bit stream of u32 words, plus one spare word (read beside the last). */
export function packIndices(symbols: Int32Array, bits: number): Uint32Array {
  const bytes = packBits(symbols, bits);
  const words = new Uint32Array(ceilDiv(bytes.length, 4) + 1);
  new Uint8Array(words.buffer).set(bytes);
  return words;
}

/** Hash fields of a conv2d-hashed step from a tensor's encoding. */
export function hashedFields(enc: HashedEncoding): { k: number; seed: number; salt: number } {
  return { k: enc.k, seed: enc.seed >>> 0, salt: enc.salt >>> 0 };
}
