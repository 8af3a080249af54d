/**
 * Reference for the compressed-weight GPU kernels (conv2d:codebook,
 * conv2d:hashed): the `[oc, K]` weight tensor those kernels compute from,
 * rebuilt on the CPU from exactly what the GPU is given — the packed index
 * words and centroids, or the hash table and the hash fields. A GPU result
 * must then equal the plain conv2d/dense reference on these weights.
 * Written separately from the GPU-side packer (bit by bit, no shared code),
 * so a packing bug cannot hide in both.
 */
import { hashedIndex } from '../model/codecs.ts';

/** Weights `[oc, K]` from `bits`-bit indices in GEMM order `[K, ocp]` (ocp = oc rounded up to 4) and the centroids. */
export function decodeCodebookWeights(words: Uint32Array, bits: number, codebook: Float32Array, oc: number, k: number): Float32Array {
  const ocp = Math.ceil(oc / 4) * 4;
  const out = new Float32Array(oc * k);
  for (let kk = 0; kk < k; kk++) {
    for (let o = 0; o < oc; o++) {
      const first = (kk * ocp + o) * bits;
      let index = 0;
      for (let b = 0; b < bits; b++) {
        const p = first + b;
        index |= ((words[p >>> 5] >>> (p & 31)) & 1) << b;
      }
      if (index >= codebook.length) throw new Error(`decodeCodebookWeights: index ${index} at (${o}, ${kk}) is past the ${codebook.length}-entry codebook`);
      out[o * k + kk] = codebook[index];
    }
  }
  return out;
}

/** Weights `[oc, K]` of a hashed tensor: position i takes table[murmur3(salt, i; seed) mod k]. */
export function decodeHashedWeights(table: Float32Array, enc: { k: number; seed: number; salt: number }, oc: number, k: number): Float32Array {
  if (table.length !== enc.k) throw new Error(`decodeHashedWeights: table holds ${table.length} values, the encoding says k = ${enc.k}`);
  const out = new Float32Array(oc * k);
  for (let i = 0; i < out.length; i++) out[i] = table[hashedIndex(enc, i)];
  return out;
}

/** Weights in their own order (depthwise `[kh, kw, c]`) from a `bits`-bit index stream and the centroids. */
export function decodeCodebookStream(words: Uint32Array, bits: number, codebook: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let index = 0;
    for (let b = 0; b < bits; b++) {
      const p = j * bits + b;
      index |= ((words[p >>> 5] >>> (p & 31)) & 1) << b;
    }
    if (index >= codebook.length) throw new Error(`decodeCodebookStream: index ${index} at ${j} is past the ${codebook.length}-entry codebook`);
    out[j] = codebook[index];
  }
  return out;
}
