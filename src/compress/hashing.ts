/**
 * The hashing trick of HashedNets (Chen et al. 2015): a layer's n virtual
 * weights take their values from K shared ones, weight i using
 * values[h(i) mod K] with a fixed hash, so the indices are never stored —
 * only the K values and the hash seed. The hash is MurmurHash3_x86_32
 * (Appleby) of the two words (salt, i), where the salt is FNV-1a of the
 * tensor name, so layers hash differently; see `hashedIndex` in codecs.ts.
 *
 * HashedNets trains from scratch with the hash in place; converting a
 * trained network, each shared value starts as the mean of the weights that
 * map to it (the least-squares best fit), then fine-tuning sums the
 * gradients of each bucket's weights — the same rule as k-means centroids.
 */
import type { HashedEncoding, Model } from '../model/model.ts';
import { fnv1a32, hashedIndex } from '../model/codecs.ts';
import type { OptionField } from './common.ts';
import { checkInt, checkRange, cloneModel, recordStep, setEncoding, weightTensors } from './common.ts';

export const label = 'Hashed weight sharing (HashedNets)';

export interface Options {
  /** Compression factor: K = ceil(n / ratio) shared values (per layer, or over the network's n). */
  ratio: number;
  /** Explicit K (overrides ratio when > 0). */
  k: number;
  /** 'layer': each layer its own K values; 'network': one table of K values for every selected layer. */
  scope: 'layer' | 'network';
  /** Hash seed (stored). */
  seed: number;
  layers: string[];
}

export const defaultOptions: Options = { ratio: 8, k: 0, scope: 'layer', seed: 0, layers: [] };

export const schema: readonly OptionField[] = [
  { name: 'ratio', type: 'number', min: 1, max: 1e6, description: 'virtual weights per shared value: K = ceil(n / ratio)' },
  { name: 'k', type: 'integer', min: 0, max: 2 ** 24, description: 'number of shared values K (overrides ratio when > 0)' },
  { name: 'scope', type: 'enum', values: ['layer', 'network'], description: 'share within each layer, or one table across the network' },
  { name: 'seed', type: 'integer', min: 0, max: 0xffffffff, description: 'hash seed' },
  { name: 'layers', type: 'list', description: 'layers to hash (default: all weighted layers)' },
];

/** The hashed encoding a tensor named `name` gets: salt from its name. */
export function hashedEncodingFor(name: string, k: number, seed: number): HashedEncoding {
  return { kind: 'hashed', k, seed: seed >>> 0, salt: fnv1a32(name) };
}

/** Bucket of every position of a tensor under `enc`. */
export function bucketsOf(n: number, enc: HashedEncoding): Int32Array {
  const b = new Int32Array(n);
  for (let i = 0; i < n; i++) b[i] = hashedIndex(enc, i);
  return b;
}

/**
 * Shares the selected weight tensors through hashing. In 'network' scope
 * all of them use one table (each tensor's stored copy holds the same K
 * values: the file keeps every tensor self-contained, so the table is
 * counted once per tensor — prefer 'layer' scope when bytes matter).
 */
export function hashWeights(model: Model, options: Partial<Options> = {}): Model {
  const o = { ...defaultOptions, ...options };
  checkRange('hash: ratio', o.ratio, 1, 1e9);
  checkInt('hash: k', o.k, 0, 2 ** 24);
  checkInt('hash: seed', o.seed, 0, 0xffffffff);
  const out = cloneModel(model);
  const tensors = weightTensors(out, o.layers);
  const groups = o.scope === 'network' ? [tensors] : tensors.map((t) => [t]);
  for (const group of groups) {
    const n = group.reduce((a, t) => a + out.weights[t.name].length, 0);
    const k = o.k > 0 ? o.k : Math.max(1, Math.ceil(n / o.ratio));
    const sum = new Float64Array(k);
    const count = new Float64Array(k);
    const buckets = group.map((t) => {
      const enc = hashedEncodingFor(t.name, k, o.seed);
      const b = bucketsOf(out.weights[t.name].length, enc);
      const w = out.weights[t.name];
      for (let i = 0; i < w.length; i++) {
        sum[b[i]] += w[i];
        count[b[i]]++;
      }
      return { t, enc, b };
    });
    const shared = Float32Array.from(sum, (s, j) => (count[j] ? s / count[j] : 0));
    for (const { t, enc, b } of buckets) {
      const w = out.weights[t.name];
      for (let i = 0; i < w.length; i++) w[i] = shared[b[i]];
      setEncoding(out, t.name, enc);
      // Hashing replaces sparsity: a pruned weight now shares a bucket's value.
      if (out.masks) delete out.masks[t.name];
    }
  }
  recordStep(out, 'hash', o);
  return out;
}
