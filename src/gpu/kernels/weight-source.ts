import type { HashedEncoding } from '../../model/model.ts';
import { distinctValues, indexBitsFor, packBits } from '../../model/codecs.ts';
import type { BindingSpec, CodeValues } from './types.ts';
import { ceilDiv } from './types.ts';

/**
 * Where a conv2d or depthwise-conv2d kernel reads its weights: the code
 * constant WEIGHTS of those descriptors. 'dense' reads an fp32 buffer; the
 * compressed sources include shaders/lib/weight-source.wgsl (codebook
 * indices, or the HashedNets hash) and bind their own buffers instead, so a
 * kernel keeps a single body for its fp32 and compressed forms. Also the
 * host side: codebook indices packed for the kernels, hash fields.
 */
export const WEIGHT_SOURCES = { dense: 0, codebook: 1, hashed: 2 } as const;

export type WeightSourceKind = keyof typeof WEIGHT_SOURCES;

/** Largest codebook the kernels hold on chip (8-bit indices; workgroup array of 256 floats). */
export const MAX_CODEBOOK_BITS = 8;

/**
 * A compressed weight source of a conv2d or depthwise-conv2d step (absent:
 * fp32 weights). codebook: `bits`-bit indices (1…MAX_CODEBOOK_BITS) into `k`
 * centroids (≤ 2^bits); hashed: a HashedNets table of `k` shared values,
 * hashed with `seed` and the tensor's `salt`.
 */
export type WeightSourceParams = { kind: 'codebook'; bits: number; k: number } | { kind: 'hashed'; k: number; seed: number; salt: number };

/** The WEIGHTS code constant of `src` (and BITS, the codebook's override), checked; `kernel` names the kernel in errors. */
export function weightSourceConstants(kernel: string, src: WeightSourceParams | undefined): Record<string, number> {
  if (!src) return { WEIGHTS: WEIGHT_SOURCES.dense };
  if (src.kind === 'codebook') {
    if (!Number.isInteger(src.bits) || src.bits < 1 || src.bits > MAX_CODEBOOK_BITS)
      throw new Error(`${kernel}: codebook index bits must be 1…${MAX_CODEBOOK_BITS}, got ${src.bits}`);
    return { WEIGHTS: WEIGHT_SOURCES.codebook, BITS: src.bits };
  }
  if (!Number.isInteger(src.k) || src.k < 1) throw new Error(`${kernel}: the hash table size must be a positive integer, got ${src.k}`);
  return { WEIGHTS: WEIGHT_SOURCES.hashed };
}

/** The weight source's uniform fields tk, seed, salt (zeros for fp32 weights). */
export function weightSourceUniforms(src: WeightSourceParams | undefined): [number, number, number] {
  if (!src) return [0, 0, 0];
  if (src.kind === 'codebook') return [src.k, 0, 0];
  return [src.k, src.seed >>> 0, src.salt >>> 0];
}

/** Variant name of a WEIGHTS value for labels ('codebook', 'hashed'; none for fp32). */
export function weightSourceVariant(code: CodeValues): string | undefined {
  const kind = weightSourceKind(code);
  return kind === 'dense' ? undefined : kind;
}

/** The kind a WEIGHTS value names. */
export function weightSourceKind(code: CodeValues): WeightSourceKind {
  const w = code.WEIGHTS ?? 0;
  const kind = (Object.keys(WEIGHT_SOURCES) as WeightSourceKind[]).find((k) => WEIGHT_SOURCES[k] === w);
  if (!kind) throw new Error(`weight source: WEIGHTS = ${w} names no source`);
  return kind;
}

/** The template flags of a WEIGHTS value: COMPRESSED, CODEBOOK, HASHED. */
export function weightSourceFlags(code: CodeValues): CodeValues {
  const kind = weightSourceKind(code);
  return { COMPRESSED: kind === 'dense' ? 0 : 1, CODEBOOK: kind === 'codebook' ? 1 : 0, HASHED: kind === 'hashed' ? 1 : 0 };
}

/** The library helpers of a WEIGHTS value. */
export function weightSourceLib(code: CodeValues): readonly string[] {
  return weightSourceKind(code) === 'dense' ? [] : ['weight-source'];
}

/**
 * The weight bindings of each source, in binding order: 'weight' (fp32, as
 * `wt: array<denseType>`), or 'indices' + 'codebook', or 'table'.
 */
export function weightSourceBindings(denseType: string | ((code: CodeValues) => string)): BindingSpec[] {
  const is = (kind: WeightSourceKind) => (code: CodeValues) => weightSourceKind(code) === kind;
  return [
    { name: 'weight', kind: 'read-only-storage', wgsl: 'wt', type: denseType, when: is('dense') },
    { name: 'indices', kind: 'read-only-storage', wgsl: 'idx', type: 'u32', when: is('codebook') },
    { name: 'codebook', kind: 'read-only-storage', wgsl: 'codebook', type: 'f32', when: is('codebook') },
    { name: 'table', kind: 'read-only-storage', wgsl: 'table', type: 'f32', when: is('hashed') },
  ];
}

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

/** Hash fields of a hashed weight source from a tensor's encoding. */
export function hashedFields(enc: HashedEncoding): { k: number; seed: number; salt: number } {
  return { k: enc.k, seed: enc.seed >>> 0, salt: enc.salt >>> 0 };
}
