/*
 * depthwise-conv2d-compressed — depthwise-conv2d (see depthwise-conv2d.wgsl:
 * one filter per channel, bias and ReLU fused) computed straight from a
 * compressed weight tensor, no fp32 copy on the GPU. One generated variant
 * per weight source, as in conv2d-compressed.wgsl:
 *
 *   CODEBOOK (kernel 'depthwise-conv2d-codebook'): w[j] = codebook[idx(j)],
 *     j = (ky·kw + kx)·c + ch (the model's [kh, kw, c] order), BITS-bit
 *     indices (1…8) in a little-endian bit stream of u32 words (index j at
 *     stream bit j·BITS) plus one spare word; centroids copied once per
 *     workgroup into workgroup memory.
 *   HASHED (kernel 'depthwise-conv2d-hashed'): w[j] = table[murmur3_x86_32(salt,
 *     j; seed) mod tk], exactly `hashedIndex` of src/model/codecs.ts.
 *
 * Each weight feeds one MAC per output (kh·kw MACs per thread, nothing to
 * reuse it over), so a decode per MAC is the price here; depthwise layers
 * hold few weights (kh·kw·c), which is also why the saving is small.
 * Layouts: x NHWC [n, h, w, c]; b [c] (zeros if no bias); y NHWC [n, oh, ow, c].
 * Bindings (group 0), CODEBOOK: 0 uniform Params · 1 x · 2 idx (u32) ·
 *   3 codebook · 4 b · 5 y (read_write); HASHED: 0 uniform Params · 1 x ·
 *   2 table · 3 b · 4 y (read_write).
 * Dispatch: depthwise-conv2d's — one thread per output element,
 *   i = (wid.x + wid.z·nwg.x)·WG + lid; x·z = ceil(n·oh·ow·c / WG).
 * THIS FILE IS A TEMPLATE (expandTemplate): HASHED is baked in per variant.
 */
override WG: u32 = 64u;
override RELU: u32 = 0u;
override BITS: u32 = 8u;

struct Params {
  total: u32,
  h: u32, w: u32, c: u32,
  oh: u32, ow: u32,
  kh: u32, kw: u32,
  sh: u32, sw: u32,
  padT: u32, padL: u32,
  tk: u32,     // HASHED: table size; CODEBOOK: centroids
  seed: u32,   // HASHED
  salt: u32,   // HASHED
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
//#if HASHED
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

var<private> h0: u32;

fn rotl(v: u32, r: u32) -> u32 {
  return (v << r) | (v >> (32u - r));
}

/** One 4-byte block of MurmurHash3_x86_32 (the same as conv2d-compressed.wgsl). */
fn murmurBlock(h: u32, word: u32) -> u32 {
  let k = rotl(word * 0xcc9e2d51u, 15u) * 0x1b873593u;
  return rotl(h ^ k, 13u) * 5u + 0xe6546b64u;
}

fn weightAt(j: u32) -> f32 {
  var h = murmurBlock(h0, j) ^ 8u;
  h ^= h >> 16u;
  h *= 0x85ebca6bu;
  h ^= h >> 13u;
  h *= 0xc2b2ae35u;
  h ^= h >> 16u;
  return table[h % p.tk];
}
//#else
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read> codebook: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

var<workgroup> cb: array<f32, 256>;

fn weightAt(j: u32) -> f32 {
  let bit = j * BITS;
  let wi = bit >> 5u;
  let s = bit & 31u;
  // (hi << 1) << (31 − s) is hi << (32 − s), and 0 when s = 0.
  let v = (idx[wi] >> s) | ((idx[wi + 1u] << 1u) << (31u - s));
  return cb[v & ((1u << BITS) - 1u)];
}
//#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
//#if HASHED
  h0 = murmurBlock(p.seed, p.salt);
//#else
  // On chip before any thread may leave: the barrier needs the whole workgroup.
  for (var t = lid; t < (1u << BITS); t += WG) {
    cb[t] = codebook[min(t, arrayLength(&codebook) - 1u)];
  }
  workgroupBarrier();
//#endif
  let i = (wid.x + wid.z * nwg.x) * WG + lid;
  if (i >= p.total) {
    return;
  }
  let ch = i % p.c;
  let pix = i / p.c;
  let ox = pix % p.ow;
  let oy = (pix / p.ow) % p.oh;
  let n = pix / (p.ow * p.oh);
  let iy0 = i32(oy * p.sh) - i32(p.padT);
  let ix0 = i32(ox * p.sw) - i32(p.padL);
  var acc = bias[ch];
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = iy0 + i32(ky);
    if ((iy < 0) | (iy >= i32(p.h))) {
      continue;
    }
    for (var kx = 0u; kx < p.kw; kx++) {
      let ix = ix0 + i32(kx);
      if ((ix < 0) | (ix >= i32(p.w))) {
        continue;
      }
      acc += x[((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ch] * weightAt((ky * p.kw + kx) * p.c + ch);
    }
  }
  if (RELU == 1u) {
    acc = max(acc, 0.0);
  }
  y[i] = acc;
}
