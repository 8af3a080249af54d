/**
 * Weight sharing by k-means (Deep Compression, Han et al. 2016 §3): per
 * layer, the weights are clustered into k = 2^bits shared values, centroids
 * initialised linearly between the layer's min and max (the paper found
 * linear initialisation best: it keeps the few large weights, which matter
 * most, represented). Stored as a 'codebook' encoding: k fp32 centroids +
 * packed log2(k)-bit indices. Pruned tensors keep 0 as a fixed centroid and
 * cluster only the surviving weights into k − 1 centroids.
 *
 * Centroid fine-tuning: the gradient of a centroid is the sum of the
 * gradients of the weights that share it (`centroidGradients`), so a trainer
 * updates k numbers per layer instead of every weight.
 */
import type { Model } from '../model/model.ts';
import { distinctValues } from '../model/codecs.ts';
import { mulberry32 } from '../model/model.ts';
import type { OptionField } from './common.ts';
import { checkInt, cloneModel, recordStep, setEncoding, weightTensors } from './common.ts';

export const label = 'k-means weight sharing';

export interface Options {
  /** Index bits: k = 2^bits centroids per layer (Deep Compression: 5 for fc). */
  bits: number;
  /** Bits for conv2d/depthwise layers; 0 = same as `bits` (Deep Compression: 8 for conv). */
  convBits: number;
  /** Centroid initialisation: 'linear' (Deep Compression's choice), 'density' (quantiles) or 'random' (Forgy, seeded). */
  init: 'linear' | 'density' | 'random';
  /** Lloyd iterations (stops early when assignments settle). */
  iterations: number;
  seed: number;
  /** Layer names; empty = every weighted layer. */
  layers: string[];
}

export const defaultOptions: Options = { bits: 5, convBits: 0, init: 'linear', iterations: 30, seed: 1, layers: [] };

export const schema: readonly OptionField[] = [
  { name: 'bits', type: 'integer', min: 1, max: 16, description: 'index bits: k = 2^bits shared values per layer' },
  { name: 'convBits', type: 'integer', min: 0, max: 16, description: 'index bits for conv layers (0 = bits)' },
  { name: 'init', type: 'enum', values: ['linear', 'density', 'random'], description: 'centroid initialisation' },
  { name: 'iterations', type: 'integer', min: 1, max: 1000, description: 'Lloyd iterations' },
  { name: 'seed', type: 'integer', min: 0, max: 2 ** 31, description: 'seed of random initialisation' },
  { name: 'layers', type: 'list', description: 'layers to share (default: all weighted layers)' },
];

/** Linear initialisation: k centroids evenly spaced over [min, max] (one centroid at min when k = 1). */
export function linearInit(min: number, max: number, k: number): Float64Array {
  const c = new Float64Array(k);
  for (let i = 0; i < k; i++) c[i] = k === 1 ? (min + max) / 2 : min + (i * (max - min)) / (k - 1);
  return c;
}

/**
 * 1-D k-means (Lloyd) on `data`. Sorting once makes each assignment a set of
 * contiguous runs split at centroid midpoints, and prefix sums give every
 * cluster mean in O(k). An empty cluster keeps its centroid. Returns sorted centroids.
 */
export function kmeans1d(data: ArrayLike<number>, k: number, init: Options['init'] = 'linear', iterations = 30, seed = 1): Float64Array {
  const n = data.length;
  if (n === 0) return new Float64Array(0);
  const x = Float64Array.from(data).sort();
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + x[i];
  let c: Float64Array;
  if (init === 'linear') c = linearInit(x[0], x[n - 1], k);
  else if (init === 'density') c = Float64Array.from({ length: k }, (_, i) => x[Math.min(n - 1, Math.floor(((i + 0.5) * n) / k))]);
  else {
    const rand = mulberry32(seed);
    c = Float64Array.from({ length: k }, () => x[Math.floor(rand() * n)]).sort();
  }
  const bounds = new Int32Array(k + 1);
  for (let it = 0; it < iterations; it++) {
    // bounds[j] = first data index assigned to centroid j (ties at a midpoint go to the lower centroid).
    bounds[0] = 0;
    bounds[k] = n;
    let p = 0;
    for (let j = 1; j < k; j++) {
      const mid = (c[j - 1] + c[j]) / 2;
      while (p < n && x[p] <= mid) p++;
      bounds[j] = p;
    }
    let moved = false;
    for (let j = 0; j < k; j++) {
      const a = bounds[j];
      const b = bounds[j + 1];
      if (b > a) {
        const m = (prefix[b] - prefix[a]) / (b - a);
        if (m !== c[j]) moved = true;
        c[j] = m;
      }
    }
    if (!moved) break;
  }
  return c;
}

/** Index of the nearest centroid (centroids ascending) for each value; ties go to the lower one. */
export function assignNearest(values: ArrayLike<number>, centroids: ArrayLike<number>): Int32Array {
  const out = new Int32Array(values.length);
  const k = centroids.length;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= (centroids[mid] + centroids[mid + 1]) / 2) hi = mid;
      else lo = mid + 1;
    }
    out[i] = lo;
  }
  return out;
}

/** A tensor's codebook as it stands: its distinct values (ascending) and each weight's index into them. */
export function codebookOf(values: Float32Array): { centroids: Float32Array; assignments: Int32Array } {
  const centroids = distinctValues(values);
  const index = new Map<number, number>();
  centroids.forEach((c, i) => index.set(c, i));
  const assignments = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) assignments[i] = index.get(values[i]) ?? 0;
  return { centroids, assignments };
}

/**
 * Centroid gradients for fine-tuning (Deep Compression eq. 3): ∂L/∂c_k =
 * Σ_{i: assignment i = k} ∂L/∂W_i. Masked-out weights (mask 0) contribute
 * nothing, so the fixed zero centroid of a pruned layer stays 0.
 */
export function centroidGradients(dW: ArrayLike<number>, assignments: ArrayLike<number>, k: number, mask?: ArrayLike<number>): Float64Array {
  const g = new Float64Array(k);
  for (let i = 0; i < dW.length; i++) if (!mask || mask[i]) g[assignments[i]] += dW[i];
  return g;
}

/** One SGD step on the centroids, then every weight is rewritten from its centroid. Returns the new weights. */
export function updateCentroids(
  centroids: Float32Array,
  grads: ArrayLike<number>,
  lr: number,
  assignments: ArrayLike<number>,
  frozen?: ArrayLike<boolean>,
): { centroids: Float32Array; weights: Float32Array } {
  const c = centroids.map((v, j) => (frozen?.[j] ? v : v - lr * grads[j]));
  const w = new Float32Array(assignments.length);
  for (let i = 0; i < w.length; i++) w[i] = c[assignments[i]];
  return { centroids: c, weights: w };
}

/**
 * Replaces each selected weight tensor by its k-means quantization and sets
 * a 'codebook' encoding (k = the distinct values that remain, ≤ 2^bits).
 */
export function kmeans(model: Model, options: Partial<Options> = {}): Model {
  const o = { ...defaultOptions, ...options };
  checkInt('kmeans: bits', o.bits, 1, 16);
  checkInt('kmeans: convBits', o.convBits, 0, 16);
  const out = cloneModel(model);
  for (const t of weightTensors(out, o.layers)) {
    const bits = t.layer.kind !== 'dense' && o.convBits > 0 ? o.convBits : o.bits;
    const k = 2 ** bits;
    const w = out.weights[t.name];
    const mask = out.masks?.[t.name];
    const pruned = (i: number): boolean => (mask ? !mask[i] : w[i] === 0);
    let prunedCount = 0;
    for (let i = 0; i < w.length; i++) if (pruned(i)) prunedCount++;
    const live: number[] = [];
    for (let i = 0; i < w.length; i++) if (!pruned(i)) live.push(w[i]);
    const kLive = prunedCount > 0 ? Math.max(1, k - 1) : k;
    const centroids = kmeans1d(live, kLive, o.init, o.iterations, o.seed);
    const c32 = Float32Array.from(centroids);
    const assign = assignNearest(live, c32);
    let j = 0;
    for (let i = 0; i < w.length; i++) w[i] = pruned(i) ? 0 : c32[assign[j++]];
    setEncoding(out, t.name, { kind: 'codebook', k: Math.max(1, distinctValues(w).length) });
  }
  recordStep(out, 'kmeans', o);
  return out;
}
