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
  | LinearEncoding;

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
        // fan-in: everything but the output axis (axis 0 for conv/dense; depthwise is [kh, kw, C]).
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
}
