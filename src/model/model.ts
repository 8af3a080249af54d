/**
 * A model: an architecture plus its weights, as plain structured-clone data
 * (it crosses the worker boundary and goes into IndexedDB as is).
 *
 * Weights are always held decoded as float32 so that every executor can read
 * them; `encodings` says how each tensor is *stored* (and so how many bytes
 * it costs). A tensor without an entry is stored as fp32.
 */
import type { Architecture } from './layers.ts';
import { inferShapes, sizeOf, weightShapes } from './shapes.ts';

/**
 * How one tensor is stored. Values held in `Model.weights` are already the
 * decoded (de-quantized) values, so executors need not know the encoding;
 * size accounting and the file format do.
 */
export type TensorEncoding =
  | { kind: 'fp32' }
  | { kind: 'fp16' }
  | LinearEncoding
  | TernaryEncoding
  | BinaryEncoding
  | CodebookEncoding
  | HashedEncoding
  | HuffmanEncoding
  | SparseEncoding;

/**
 * Linear (affine) integer quantization with `bits` from 2 to 16, packed
 * densely (little-endian bit order). value = scale * (q - zeroPoint).
 * `axis` null: one scale for the tensor; otherwise one scale (and zero point)
 * per index along that axis (axis 0 = output channel for conv and dense).
 */
export interface LinearEncoding {
  kind: 'linear';
  bits: number;
  signed: boolean;
  axis: number | null;
  scale: number[];
  zeroPoint: number[];
}

/*
 * The encodings below carry only descriptions and counts. Their side tables
 * (scales, centroids, shared values) are derived from the decoded values when
 * a tensor is encoded and written as fp32 into the tensor's own bytes, so the
 * model never holds two copies of one fact that could disagree. Counts that
 * depend on the values (k, entries, stream bytes) let a file's layout be
 * checked before decoding; `fitEncoding` (codecs.ts) recomputes them.
 */

/**
 * Ternary weights (TWN, Li & Liu 2016): every value is 0 or ±α, one α per
 * tensor (`axis` null) or per index along `axis`; 2 bits per value packed
 * (0 → 0, 1 → +α, 2 → −α) after one fp32 α per group.
 */
export interface TernaryEncoding {
  kind: 'ternary';
  axis: number | null;
}

/** Binary weights (BWN, Rastegari et al. 2016): ±α, 1 bit per value (1 → +α) after one fp32 α per group. */
export interface BinaryEncoding {
  kind: 'binary';
  axis: number | null;
}

/**
 * Weight sharing through a codebook (Deep Compression): `k` fp32 centroids
 * (the tensor's distinct values, ascending) then one ceil(log2 k)-bit index
 * per value, packed.
 */
export interface CodebookEncoding {
  kind: 'codebook';
  k: number;
}

/**
 * HashedNets (Chen et al. 2015): value i is `values[h(seed, salt, i) mod k]`,
 * h = MurmurHash3 (x86, 32-bit) of the two words (salt, i). Only the k fp32
 * shared values are stored; indices are recomputed, never stored. `salt`
 * tells tensors apart (a hash of the tensor name by default), so tensors
 * that share one table across the network use the same k and seed.
 */
export interface HashedEncoding {
  kind: 'hashed';
  k: number;
  seed: number;
  salt: number;
}

/** Encodings whose values are symbols of a small alphabet, so they can be Huffman coded. */
export type SymbolEncoding = LinearEncoding | CodebookEncoding | TernaryEncoding | BinaryEncoding;

/**
 * Canonical Huffman coding of another encoding's symbols: the inner
 * encoding's side table, one code-length byte per alphabet symbol, then
 * `payloadBytes` of codes (MSB of each code first, in a little-endian bit
 * stream, zero padding).
 */
export interface HuffmanEncoding {
  kind: 'huffman';
  of: SymbolEncoding;
  payloadBytes: number;
}

/**
 * Sparse storage with relative indices (Deep Compression §3): the non-zero
 * values in order, each with the gap to the previous one (d − 1 in `gapBits`
 * bits; gaps longer than 2^gapBits are bridged by filler entries of value
 * 0). `of` says how the stored values are written (linear only per tensor);
 * `huffman` codes the value symbols (linear/codebook) and the gaps.
 * Layout: side table of `of`, Huffman tables if any (values then gaps), the
 * value stream (`valueBytes`), the gap stream (`gapBytes`).
 */
export interface SparseEncoding {
  kind: 'sparse';
  gapBits: number;
  of: { kind: 'fp32' } | { kind: 'fp16' } | LinearEncoding | CodebookEncoding;
  huffman: boolean;
  entries: number;
  valueBytes: number;
  gapBytes: number;
}

export type EncodingKind = TensorEncoding['kind'];

/** Where a model came from: free-form but with the fields the lab fills. */
export interface Provenance {
  /** e.g. "trained", "random", "compressed" */
  source?: string;
  createdAt?: string;
  seed?: number;
  epochs?: number;
  optimizer?: string;
  testAccuracy?: number;
  adapter?: string;
  /** Compression pipeline that produced this model, if any. */
  pipeline?: unknown;
  [key: string]: unknown;
}

export interface Model {
  architecture: Architecture;
  /** Decoded float32 values by tensor name (`${layer}.weight`, `${layer}.bias`). */
  weights: Record<string, Float32Array>;
  /** Storage encoding by tensor name; absent means fp32. */
  encodings?: Record<string, TensorEncoding>;
  /**
   * Pruning masks by tensor name (1 = kept, 0 = pruned; same length as the
   * tensor). Pruned weights are exactly 0 in `weights`; the mask tells a
   * trainer to keep them so. Not written to model files: a loaded model
   * rebuilds it from the zeros (`masksFromZeros` in src/compress/prune.ts).
   */
  masks?: Record<string, Uint8Array>;
  provenance?: Provenance;
}

/** Deterministic 32-bit PRNG (mulberry32) so that seeded runs are reproducible everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform generator (Box–Muller). */
export function gaussian(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/**
 * A model with He-initialised weights (normal, std sqrt(2 / fan_in)) and zero
 * biases, seeded. Throws ShapeError if the architecture does not fit.
 */
export function initModel(architecture: Architecture, seed = 1): Model {
  const shapes = inferShapes(architecture);
  const randn = gaussian(mulberry32(seed));
  const weights: Record<string, Float32Array> = {};
  for (const ls of shapes) {
    for (const [name, shape] of Object.entries(ls.weights)) {
      const data = new Float32Array(sizeOf(shape));
      if (name.endsWith('.weight')) {
        // fan-in: everything but the output axis (axis 0 for conv/dense; depthwise is [kh, kw, C·M]).
        const fanIn = ls.layer.kind === 'depthwiseConv2d' ? shape[0] * shape[1] : sizeOf(shape) / shape[0];
        const std = Math.sqrt(2 / fanIn);
        for (let i = 0; i < data.length; i++) data[i] = randn() * std;
      }
      weights[name] = data;
    }
  }
  return { architecture, weights, provenance: { source: 'random', seed, createdAt: new Date().toISOString() } };
}

/** Throws an Error naming the tensor when a weight is missing, mis-sized, extra or not finite. */
export function validateModel(model: Model): void {
  const expected = weightShapes(model.architecture);
  for (const [name, shape] of Object.entries(expected)) {
    const t = model.weights[name];
    if (!t) throw new Error(`model '${model.architecture.name}': tensor '${name}' is missing`);
    if (!(t instanceof Float32Array)) throw new Error(`model '${model.architecture.name}': tensor '${name}' is not a Float32Array`);
    const n = sizeOf(shape);
    if (t.length !== n) {
      throw new Error(`model '${model.architecture.name}': tensor '${name}' has ${t.length} values, shape [${shape.join(', ')}] needs ${n}`);
    }
    for (let i = 0; i < t.length; i++) {
      if (!Number.isFinite(t[i])) {
        throw new Error(`model '${model.architecture.name}': tensor '${name}' holds a non-finite value (${t[i]}) at index ${i}`);
      }
    }
  }
  for (const name of Object.keys(model.weights)) {
    if (!(name in expected)) throw new Error(`model '${model.architecture.name}': tensor '${name}' belongs to no layer`);
  }
  for (const [name, mask] of Object.entries(model.masks ?? {})) {
    const t = model.weights[name];
    if (!t) throw new Error(`model '${model.architecture.name}': mask '${name}' names no tensor`);
    if (mask.length !== t.length) throw new Error(`model '${model.architecture.name}': mask of '${name}' has ${mask.length} entries, the tensor ${t.length}`);
  }
}
