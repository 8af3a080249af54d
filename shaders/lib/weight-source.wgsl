/*
 * weight-source — where a kernel generated with COMPRESSED = 1 gets its
 * weights instead of an fp32 buffer: no fp32 copy of the weights in GPU
 * memory. A library helper, not a kernel: the source builder includes it in
 * conv2d and depthwise-conv2d when their code constant WEIGHTS names a
 * compressed source, and expands the result as one template
 * (src/gpu/kernels/weight-source.ts). The kernel supplies `p` with fields
 * tk, seed and salt, the override WG, the bindings (weightSourceBindings),
 * and calls weightSourceInit(lid) at the top of main, before any thread may
 * return (the codebook variant's barrier needs the whole workgroup).
 *
 *   CODEBOOK (k-means / Deep Compression): BITS-bit indices (1…8) in a
 *     little-endian bit stream of u32 words (stream bit i·BITS holds index i's
 *     bit 0), plus one spare word so that reading the word after the last
 *     stays inside the buffer; the ≤ 256 centroids are copied into workgroup
 *     memory once per workgroup. Measured on SwiftShader (LeNet-5 conv2,
 *     batch 256): 2.3 s per dispatch from workgroup memory, 3.2 s reading the
 *     centroids from the storage buffer in the MAC loop instead.
 *     Bindings: idx (u32), codebook (f32).
 *   HASHED (HashedNets): weight position i takes
 *     table[murmur3_x86_32(salt, i; seed) mod tk], hashed exactly like
 *     `hashedIndex` in src/model/codecs.ts (all u32 arithmetic: the x86 32-bit
 *     MurmurHash3 needs no 64-bit operation). The table stays in a storage
 *     buffer: it can exceed workgroup memory, and a network-wide table is one
 *     buffer bound by every layer that shares it. Binding: table (f32).
 */

//#if HASHED
/** MurmurHash3 state after the salt word: the same for every weight of the tensor, computed once per thread. */
var<private> h0: u32;

fn rotl(v: u32, r: u32) -> u32 {
  return (v << r) | (v >> (32u - r));
}

/** One 4-byte block of MurmurHash3_x86_32. */
fn murmurBlock(h: u32, word: u32) -> u32 {
  let k = rotl(word * 0xcc9e2d51u, 15u) * 0x1b873593u;
  return rotl(h ^ k, 13u) * 5u + 0xe6546b64u;
}

/** Table slot of weight position i: murmur3(salt, i; seed) mod tk, finalised for the 8-byte key. */
fn hashSlot(i: u32) -> u32 {
  var h = murmurBlock(h0, i) ^ 8u;
  h ^= h >> 16u;
  h *= 0x85ebca6bu;
  h ^= h >> 13u;
  h *= 0xc2b2ae35u;
  h ^= h >> 16u;
  // A plain `%`: a float-quotient remainder (no integer divide) measured 2× slower on SwiftShader.
  return h % p.tk;
}

fn weightSourceInit(lid: u32) {
  h0 = murmurBlock(p.seed, p.salt);
}
//#else
/** Index bits. */
override BITS: u32 = 8u;

var<workgroup> cb: array<f32, 256>;

/** The 32 stream bits from bit `bit` on: one funnel shift over two words. */
fn indexBits(bit: u32) -> u32 {
  let wi = bit >> 5u;
  let s = bit & 31u;
  // (hi << 1) << (31 − s) is hi << (32 − s) and 0 when s = 0 (a shift by 32 is not allowed).
  return (idx[wi] >> s) | ((idx[wi + 1u] << 1u) << (31u - s));
}

fn weightSourceInit(lid: u32) {
  for (var i = lid; i < (1u << BITS); i += WG) {
    cb[i] = codebook[min(i, arrayLength(&codebook) - 1u)];
  }
  workgroupBarrier();
}
//#endif
