/*
 * conv2d — 2-D convolution as an implicit GEMM, register-blocked, no
 * workgroup memory (the variant that is fastest on CPU adapters such as
 * SwiftShader, where barriers and workgroup memory are expensive). Bias,
 * ReLU and a following max/avg pool are fused into the epilogue. The same
 * kernel computes pointwise (1×1) convolutions and dense layers (a dense layer
 * is a 1×1 convolution of a 1×1 image).
 *
 *   y[n, py, px, o] = post(pool_{wy,wx}( pre( b[o] + Σ_{ky,kx,c} x[n, iy, ix, c] · w[o, ky, kx, c] ) ))
 *   with oy = py·psh + wy, ox = px·psw + wx, iy = oy·sh − padT + ky, ix = ox·sw − padL + kx
 *   (x is zero outside the image: 'same' padding). Without a pool the window
 *   is 1×1 with stride 1, so py = oy, px = ox.
 *
 * GEMM view: M = rows (one row per conv output pixel, batch folded in; with a
 * fused pool the rows of one pooled pixel's window are adjacent, so a thread
 * owning TM = k·WIN rows reduces whole windows in registers), N = out
 * channels, K = kh·kw·c.
 *
 * Layouts: x NHWC [n, h, w, c], read as vec4 words when c % 4 == 0 (the
 * buffer is padded to 16 bytes), else as scalars;
 * w packed by the host as [K, oc4] vec4 words, K = (ky·kw + kx)·c + ch, the
 * out channels padded with zeros to a multiple of 4 (so every weight load is
 * an aligned vec4 whatever oc is); b as oc4 vec4 words (zeros if no bias);
 * y NHWC [n, poh, pow, oc] scalars.
 *
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 w (read) · 3 b (read) · 4 y (read_write)
 *
 * Dispatch: workgroup_size(WG). global thread t = (wid.x + wid.z·nwg.x)·WG + lid
 * owns rows [t·TM, t·TM + TM); wid.y selects out-channel words
 * [wid.y·TN4, wid.y·TN4 + TN4). x·z = ceil(ceil(rows / TM) / WG) (z only when
 * x would exceed maxComputeWorkgroupsPerDimension), y = ceil(oc4 / TN4).
 * With SPREAD (the latency path), thread t owns rows [(t / nj)·TM, …) and
 * channel block t % nj: x·z = ceil(ceil(rows / TM)·nj / WG), y = 1.
 *
 * THIS FILE IS A TEMPLATE (expanded by expandTemplate in
 * src/gpu/kernels/types.ts): the register block TM rows × TN4 words and the
 * load path (VEC4: whole vec4 words along channels when c % 4 == 0, else
 * scalars) and INSIDE (no padding: every tap of every row is inside the
 * image, so tap offsets are one add and loads need no bounds select: on a
 * software adapter's JIT the checks are a large share of a 1-channel first
 * layer's per-tap work, see docs/benchmark.md "Batch-1 latency") are fixed
 * per generated variant; a line holding $-r, $-j or $-q (written without the dash)
 * is repeated per row / channel word / vec4 component. Why generated and not
 * `override`-guarded branches: SwiftShader's JIT compiles dead branches too,
 * and one body holding every block size and both load paths took 60–80 s per
 * pipeline. The accumulators are named vec4 variables (registers); the
 * epilogue, run once per thread, uses an indexed array and plain loops to keep
 * the code small. On real GPUs the unrolled block costs nothing either.
 *
 * COMPRESSED variants (code constant WEIGHTS, src/gpu/kernels/weight-source.ts):
 * the same GEMM computed straight from a compressed weight tensor, with
 * shaders/lib/weight-source.wgsl included — no
 * fp32 copy of the weights in GPU memory. `weightWord` replaces the fp32
 * load, and Params gains kk (K), tk, seed and salt.
 *   CODEBOOK: the indices are in GEMM order [K, ocp] (ocp = oc4·4, padding
 *     index 0); the four indices of one vec4 weight word (4·BITS ≤ 32 bits)
 *     come from one funnel shift, so decoding costs one shift per 4 weights,
 *     and a weight decoded once serves the thread's TM rows.
 *   HASHED: weight (o, k) is position o·K + k of the model's [oc, kh, kw, c]
 *     order.
 *   Bindings, CODEBOOK: 0 Params · 1 x · 2 idx · 3 codebook · 4 b · 5 y;
 *   HASHED: 0 Params · 1 x · 2 table · 3 b · 4 y.
 */

override WG: u32 = 64u;
/** ReLU before pooling (conv → relu) and after it (pool → relu). */
override RELU_PRE: u32 = 0u;
override RELU_POST: u32 = 0u;
/** 0: max (also the no-pool case, window 1×1), 1: average. */
override POOL_AVG: u32 = 0u;
/** 1: channel blocks spread over threads, not over dispatch y (see main). */
override SPREAD: u32 = 0u;
/** Fused pool window; TM is a multiple of WIN_H·WIN_W. */
override WIN_H: u32 = 1u;
override WIN_W: u32 = 1u;
/** Rows (output pixels) per thread, out-channel words (4 channels) per thread: fixed by the generator. */
const TM: u32 = $TMu;
const TN4: u32 = $TN4u;

//#if CODEBOOK
/** Weights of out channels 4·jw … 4·jw+3 at GEMM row k: four BITS-bit indices from one funnel shift, then the codebook. */
fn weightWord(k: u32, jw: u32) -> vec4<f32> {
  let v = indexBits((k * p.oc4 + jw) * 4u * BITS);
  let m = (1u << BITS) - 1u;
  return vec4<f32>(cb[v & m], cb[(v >> BITS) & m], cb[(v >> (2u * BITS)) & m], cb[(v >> (3u * BITS)) & m]);
}
//#endif
//#if HASHED
/** Weights of out channels 4·jw … 4·jw+3 at GEMM row k (positions o·K + k). */
fn weightWord(k: u32, jw: u32) -> vec4<f32> {
  let i = jw * 4u * p.kk + k;
  return vec4<f32>(table[hashSlot(i)], table[hashSlot(i + p.kk)], table[hashSlot(i + 2u * p.kk)], table[hashSlot(i + 3u * p.kk)]);
}
//#endif

//#if INSIDE
// No tap falls in the padding (INSIDE): plain loads, no bounds select.
//#if VEC4
fn loadVec4(o: i32, c4: u32) -> vec4<f32> {
  return x[(u32(o) >> 2u) + c4];
}
//#else
fn loadScalar(o: i32, ch: u32) -> f32 {
  return x[u32(o) + ch];
}
//#endif
//#else
//#if VEC4
fn loadVec4(o: i32, c4: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), x[(u32(max(o, 0)) >> 2u) + c4], o >= 0);
}
//#else
fn loadScalar(o: i32, ch: u32) -> f32 {
  return select(0.0, x[u32(max(o, 0)) + ch], o >= 0);
}
//#endif
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

/** Write pooled row q, channel word jj (average scaling and post-ReLU here). */
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
//#if COMPRESSED
  weightSourceInit(lid);
//#endif
  let t = flatIndex(wid, nwg, lid, WG);
  // SPREAD: adjacent threads take adjacent channel blocks (rows = t / nj), so
  // a layer with few rows (batch 1, a dense layer) still fills whole workgroups.
  let spread = SPREAD == 1u;
  let row0 = select(t, t / p.nj, spread) * TM;
  if (row0 >= p.rows) {
    return;
  }
  let j0 = select(wid.y, t % p.nj, spread) * TN4;
  // Weight words past oc4 (last channel block) read a valid word; their results are never stored.
  let jw$j = min(j0 + $ju, p.oc4 - 1u);
  var acc$r_$j = vec4<f32>(0.0);
  let d$r = decodeRow(row0 + $ru, p.h * p.w);
//#if INSIDE
  // Every tap is inside the image: the row's top-left tap offset once, then one add per row and tap.
  let b$r = i32((d$r.pix + u32(d$r.iy) * p.w + u32(d$r.ix)) * p.c);
//#endif

  for (var ky = 0u; ky < p.kh; ky++) {
    for (var kx = 0u; kx < p.kw; kx++) {
      let kbase = (ky * p.kw + kx) * p.c;
//#if INSIDE
      let tap = i32((ky * p.w + kx) * p.c);
      let o$r = b$r + tap;
//#else
      let o$r = tapOffset(d$r, ky, kx, p.c);
//#endif
//#if VEC4
      for (var c4 = 0u; c4 < p.c / 4u; c4++) {
        let k = kbase + c4 * 4u;
//#if COMPRESSED
        let w$j_$q = weightWord(k + $qu, jw$j);
//#else
        let w$j_$q = wt[(k + $qu) * p.oc4 + jw$j];
//#endif
        let a$r = loadVec4(o$r, c4);
        acc$r_$j += a$r.x * w$j_0 + a$r.y * w$j_1 + a$r.z * w$j_2 + a$r.w * w$j_3;
      }
//#else
      for (var ch = 0u; ch < p.c; ch++) {
//#if COMPRESSED
        let w$j = weightWord(kbase + ch, jw$j);
//#else
        let w$j = wt[(kbase + ch) * p.oc4 + jw$j];
//#endif
        let a$r = loadScalar(o$r, ch);
        acc$r_$j += a$r * w$j;
      }
//#endif
    }
  }

  // Epilogue, once per thread: bias, ReLU, pool over each window of adjacent rows, ReLU, store.
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
