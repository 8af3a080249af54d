/** HashedNets: the hash that maps a weight to its shared bucket, and the hashed codec. */
import type { HashedEncoding } from '../model.ts';
import type { CodecFor } from './core.ts';
import { CodecError, bitsOf, checkLength, elementCount, readF32s, writeF32s } from './core.ts';

/** MurmurHash3's 32-bit finalizer (Appleby): full avalanche of a 32-bit word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3_x86_32 (Appleby, public domain) of the 8-byte key made of the
 * little-endian words `a`, `b`, with `seed`. Equals the reference
 * `MurmurHash3_x86_32(key, 8, seed)`.
 */
export function murmur3Words(a: number, b: number, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  for (const word of [a, b]) {
    let k = Math.imul(word >>> 0, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= 8; // key length in bytes
  return fmix32(h);
}

/** FNV-1a (32-bit) of a string's UTF-16 code units: the default salt of a tensor, from its name. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The shared-value index of position `i` of a hashed tensor: murmur3(salt, i; seed) mod k. */
export function hashedIndex(enc: Pick<HashedEncoding, 'k' | 'seed' | 'salt'>, i: number): number {
  return murmur3Words(enc.salt, i, enc.seed) % enc.k;
}

export const hashedCodec: CodecFor<'hashed'> = {
  layout: (_shape, enc) => ({ dtype: 'F32', shape: [enc.k] }),
  encode(values, _shape, enc) {
    const shared = new Float32Array(enc.k);
    const set = new Uint8Array(enc.k);
    for (let i = 0; i < values.length; i++) {
      const j = hashedIndex(enc, i);
      if (!set[j]) {
        shared[j] = values[i];
        set[j] = 1;
      } else if (bitsOf(shared[j]) !== bitsOf(values[i])) {
        throw new CodecError(`value ${values[i]} at index ${i} differs from ${shared[j]}, the value it shares (bucket ${j} of ${enc.k})`);
      }
    }
    return writeF32s(shared);
  },
  decode(bytes, shape, enc) {
    checkLength(bytes, 4 * enc.k);
    const shared = readF32s(bytes, enc.k, 'hashed shared values');
    const out = new Float32Array(elementCount(shape));
    for (let i = 0; i < out.length; i++) out[i] = shared[hashedIndex(enc, i)];
    return out;
  },
};
