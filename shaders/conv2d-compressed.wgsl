/*
 * conv2d-compressed — conv2d (see conv2d.wgsl: the same register-blocked
 * implicit GEMM, fused bias / ReLU / pool, also dense and pointwise layers)
 * computed straight from a compressed weight tensor, with no fp32 copy of
 * the weights in GPU memory. Two weight sources, one per generated variant:
 *
 *   CODEBOOK (kernel 'conv2d-codebook', k-means / Deep Compression):
 *     w[o, k] = codebook[idx(k, o)], idx a BITS-bit index (BITS 1…8) in a
 *     little-endian bit stream of u32 words in GEMM order [K, ocp] (stream
 *     bit (k·ocp + o)·BITS holds the index's bit 0; out channels padded to
 *     ocp = oc4·4 with index 0; one spare word at the end so a read of the
 *     word after the last never leaves the buffer). The four indices of one
 *     vec4 weight word (4·BITS ≤ 32 bits) are extracted from two u32 words
 *     with one funnel shift, so decoding costs one shift per 4 weights, and a
 *     weight decoded once serves the thread's TM rows. The ≤ 256 centroids
 *     are copied into workgroup memory once per workgroup.
 *   HASHED (kernel 'conv2d-hashed', HashedNets):
 *     w[o, k] = table[murmur3_x86_32(salt, o·K + k; seed) mod tk] — the
 *     position in the model's [oc, kh, kw, c] order, hashed exactly like
 *     `hashedIndex` in src/model/codecs.ts (all u32 arithmetic: the x86
 *     32-bit MurmurHash3 needs no 64-bit operation). The table (tk values)
 *     stays in a storage buffer: it can exceed workgroup memory, and a
 *     network-wide table is one buffer bound by every layer that shares it.
 *
 * Layouts: x NHWC as in conv2d.wgsl (vec4 words when c % 4 == 0); b as oc4
 * vec4 words (zeros if no bias); y NHWC [n, poh, pow, oc] scalars.
 * Bindings (group 0), CODEBOOK: 0 uniform Params · 1 x · 2 idx (u32) ·
 *   3 codebook (f32) · 4 b · 5 y (read_write);
 *   HASHED: 0 uniform Params · 1 x · 2 table (f32) · 3 b · 4 y (read_write).
 * Dispatch: exactly conv2d's (WG threads; TM rows × TN4 channel words per
 * thread; SPREAD for the latency path).
 *
 * THIS FILE IS A TEMPLATE (expandTemplate in src/gpu/kernels/types.ts), like
 * conv2d.wgsl: TM, TN4, VEC4 and HASHED are baked in per generated variant
 * (dead branches cost minutes of SwiftShader JIT time); BITS is an override.
 */

override WG: u32 = 64u;
override RELU_PRE: u32 = 0u;
override RELU_POST: u32 = 0u;
override POOL_AVG: u32 = 0u;
override SPREAD: u32 = 0u;
override WIN_H: u32 = 1u;
override WIN_W: u32 = 1u;
/** Index bits (CODEBOOK only; unused by HASHED). */
override BITS: u32 = 8u;
const TM: u32 = $TMu;
const TN4: u32 = $TN4u;

struct Params {
  rows: u32,
  h: u32, w: u32, c: u32,
  oc: u32, oc4: u32,
  kh: u32, kw: u32,
  sh: u32, sw: u32,
  padT: u32, padL: u32,
  poh: u32, pow_: u32,
  psh: u32, psw: u32,
  nj: u32,
  kk: u32,     // K = kh·kw·c: weights per out channel
  tk: u32,     // HASHED: table size (shared values); CODEBOOK: centroids
  seed: u32,   // HASHED: hash seed
  salt: u32,   // HASHED: the tensor's salt
}

@group(0) @binding(0) var<uniform> p: Params;
//#if VEC4
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
//#else
@group(0) @binding(1) var<storage, read> x: array<f32>;
//#endif
//#if HASHED
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

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

/** Bucket of weight position i: murmur3(salt, i; seed) mod tk, finalised for the 8-byte key. */
fn bucket(i: u32) -> u32 {
  var h = murmurBlock(h0, i) ^ 8u;
  h ^= h >> 16u;
  h *= 0x85ebca6bu;
  h ^= h >> 13u;
  h *= 0xc2b2ae35u;
  h ^= h >> 16u;
  // A plain `%`: a float-quotient remainder (no integer divide) measured 2× slower on SwiftShader.
  return h % p.tk;
}

/** Weights of out channels 4·jw … 4·jw+3 at GEMM row k (positions o·K + k). */
fn weightWord(k: u32, jw: u32) -> vec4<f32> {
  let i = jw * 4u * p.kk + k;
  return vec4<f32>(table[bucket(i)], table[bucket(i + p.kk)], table[bucket(i + 2u * p.kk)], table[bucket(i + 3u * p.kk)]);
}
//#else
@group(0) @binding(2) var<storage, read> idx: array<u32>;
@group(0) @binding(3) var<storage, read> codebook: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

var<workgroup> cb: array<f32, 256>;

/** Weights of out channels 4·jw … 4·jw+3 at GEMM row k: four BITS-bit indices from one funnel shift, then the codebook. */
fn weightWord(k: u32, jw: u32) -> vec4<f32> {
  let bit = (k * p.oc4 + jw) * 4u * BITS;
  let wi = bit >> 5u;
  let s = bit & 31u;
  // (hi << 1) << (31 − s) is hi << (32 − s) and 0 when s = 0 (a shift by 32 is not allowed).
  let v = (idx[wi] >> s) | ((idx[wi + 1u] << 1u) << (31u - s));
  let m = (1u << BITS) - 1u;
  return vec4<f32>(cb[v & m], cb[(v >> BITS) & m], cb[(v >> (2u * BITS)) & m], cb[(v >> (3u * BITS)) & m]);
}
//#endif

struct Row {
  pix: u32,
  iy: i32,
  ix: i32,
}

fn decodeRow(mIn: u32) -> Row {
  let win = WIN_H * WIN_W;
  let m = min(mIn, p.rows - 1u);
  let q = m / win;
  let wi = m % win;
  let perImage = p.poh * p.pow_;
  let n = q / perImage;
  let rem = q % perImage;
  let oy = (rem / p.pow_) * p.psh + wi / WIN_W;
  let ox = (rem % p.pow_) * p.psw + wi % WIN_W;
  return Row(n * p.h * p.w, i32(oy * p.sh) - i32(p.padT), i32(ox * p.sw) - i32(p.padL));
}

fn tapOffset(d: Row, ky: u32, kx: u32) -> i32 {
  let iy = d.iy + i32(ky);
  let ix = d.ix + i32(kx);
  // `&`, not `&&`: see conv2d.wgsl (short-circuit branches blow up SwiftShader's compile time).
  let inside = (iy >= 0) & (iy < i32(p.h)) & (ix >= 0) & (ix < i32(p.w));
  return select(-1, i32((d.pix + u32(iy) * p.w + u32(ix)) * p.c), inside);
}

//#if VEC4
fn loadVec4(o: i32, c4: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), x[(u32(max(o, 0)) >> 2u) + c4], o >= 0);
}
//#else
fn loadScalar(o: i32, ch: u32) -> f32 {
  return select(0.0, x[u32(max(o, 0)) + ch], o >= 0);
}
//#endif

fn preAct(v: vec4<f32>) -> vec4<f32> {
  if (RELU_PRE == 1u) {
    return max(v, vec4<f32>(0.0));
  }
  return v;
}

fn pool2(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
  if (POOL_AVG == 1u) {
    return a + b;
  }
  return max(a, b);
}

fn store(q: u32, jj: u32, vIn: vec4<f32>) {
  let win = WIN_H * WIN_W;
  if ((q >= p.rows / win) | (jj >= p.oc4)) {
    return;
  }
  var v = vIn;
  if (POOL_AVG == 1u) {
    v = v / f32(win);
  }
  if (RELU_POST == 1u) {
    v = max(v, vec4<f32>(0.0));
  }
  let base = q * p.oc + jj * 4u;
  let nvalid = min(4u, p.oc - jj * 4u);
  for (var t = 0u; t < nvalid; t++) {
    y[base + t] = v[t];
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
//#if HASHED
  h0 = murmurBlock(p.seed, p.salt);
//#else
  // The codebook goes on chip before any thread may leave (the barrier needs every thread of the workgroup).
  // Measured on SwiftShader (LeNet-5 conv2, batch 256): 2.3 s per dispatch from workgroup memory, 3.2 s
  // reading the centroids from the storage buffer in the MAC loop instead.
  for (var i = lid; i < (1u << BITS); i += WG) {
    cb[i] = codebook[min(i, arrayLength(&codebook) - 1u)];
  }
  workgroupBarrier();
//#endif
  let t = (wid.x + wid.z * nwg.x) * WG + lid;
  let spread = SPREAD == 1u;
  let row0 = select(t, t / p.nj, spread) * TM;
  if (row0 >= p.rows) {
    return;
  }
  let j0 = select(wid.y, t % p.nj, spread) * TN4;
  let jw$j = min(j0 + $ju, p.oc4 - 1u);
  var acc$r_$j = vec4<f32>(0.0);
  let d$r = decodeRow(row0 + $ru);

  for (var ky = 0u; ky < p.kh; ky++) {
    for (var kx = 0u; kx < p.kw; kx++) {
      let kbase = (ky * p.kw + kx) * p.c;
      let o$r = tapOffset(d$r, ky, kx);
//#if VEC4
      for (var c4 = 0u; c4 < p.c / 4u; c4++) {
        let k = kbase + c4 * 4u;
        let w$j_$q = weightWord(k + $qu, jw$j);
        let a$r = loadVec4(o$r, c4);
        acc$r_$j += a$r.x * w$j_0 + a$r.y * w$j_1 + a$r.z * w$j_2 + a$r.w * w$j_3;
      }
//#else
      for (var ch = 0u; ch < p.c; ch++) {
        let w$j = weightWord(kbase + ch, jw$j);
        let a$r = loadScalar(o$r, ch);
        acc$r_$j += a$r * w$j;
      }
//#endif
    }
  }

  var res: array<vec4<f32>, $TM * $TN4>;
  res[$r * $TN4 + $j] = acc$r_$j;
  let win = WIN_H * WIN_W;
  for (var j = 0u; j < TN4; j++) {
    let b = bias[min(j0 + j, p.oc4 - 1u)];
    for (var q = 0u; q < TM / win; q++) {
      var v = preAct(res[q * win * TN4 + j] + b);
      for (var i = 1u; i < win; i++) {
        v = pool2(v, preAct(res[(q * win + i) * TN4 + j] + b));
      }
      store(row0 / win + q, j0 + j, v);
    }
  }
}
