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
 * Layouts: x NHWC [n, h, w, c] as vec4 words (the buffer is padded to 16
 * bytes; when c % 4 != 0 scalars are picked out of the words);
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
 *
 * Register block: up to 8 rows × 4 words (16 channels as 4 vec4 words), held
 * in named variables, unrolled by hand and switched off by
 * override-guarded branches (TM, TN4), never indexed. Why: SwiftShader's
 * Subzero JIT neither unrolls loops nor keeps indexed arrays in registers;
 * the same kernel written with loops over `array<vec4<f32>, 64>` ran a 512³
 * GEMM at 0.19 GFLOP/s against ~1.5 unrolled. On real GPUs the unrolled form
 * costs nothing (their compilers unroll anyway); they use conv2d-tiled.
 */

override WG: u32 = 32u;
/** Rows (output pixels) per thread: 1..8, a multiple of WIN_H·WIN_W. */
override TM: u32 = 8u;
/** Output-channel words (4 channels each) per thread: 1..4. */
override TN4: u32 = 4u;
/** 1 when c % 4 == 0: input loads are whole vec4 words along channels. */
override VEC4: u32 = 0u;
/** ReLU before pooling (conv → relu) and after it (pool → relu). */
override RELU_PRE: u32 = 0u;
override RELU_POST: u32 = 0u;
/** 0: max (also the no-pool case, window 1×1), 1: average. */
override POOL_AVG: u32 = 0u;
/** Fused pool window; WIN_H·WIN_W ∈ {1, 2, 4, 8}. */
override WIN_H: u32 = 1u;
override WIN_W: u32 = 1u;

struct Params {
  rows: u32,   // virtual rows: n·poh·pow·WIN_H·WIN_W
  h: u32, w: u32, c: u32,
  oc: u32, oc4: u32,
  kh: u32, kw: u32,
  sh: u32, sw: u32,
  padT: u32, padL: u32,
  poh: u32, pow_: u32,   // pooled (= conv output when no pool) height/width
  psh: u32, psw: u32,    // pool stride (1 when no pool)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

/** A row's image base pixel and its top-left input tap (may be negative: padding). */
struct Row {
  pix: u32,
  iy: i32,
  ix: i32,
}

fn decodeRow(mIn: u32) -> Row {
  let win = WIN_H * WIN_W;
  let m = min(mIn, p.rows - 1u);  // tail rows recompute the last row; never stored
  let q = m / win;
  let wi = m % win;
  let perImage = p.poh * p.pow_;
  let n = q / perImage;
  let rem = q % perImage;
  let oy = (rem / p.pow_) * p.psh + wi / WIN_W;
  let ox = (rem % p.pow_) * p.psw + wi % WIN_W;
  return Row(n * p.h * p.w, i32(oy * p.sh) - i32(p.padT), i32(ox * p.sw) - i32(p.padL));
}

/** Element offset of the row's input pixel for tap (ky, kx), or -1 inside the padding. */
fn tapOffset(d: Row, ky: u32, kx: u32) -> i32 {
  let iy = d.iy + i32(ky);
  let ix = d.ix + i32(kx);
  let inside = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
  return select(-1, i32((d.pix + u32(iy) * p.w + u32(ix)) * p.c), inside);
}

fn loadVec4(o: i32, c4: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), x[(u32(max(o, 0)) >> 2u) + c4], o >= 0);
}

fn loadScalar(o: i32, ch: u32) -> f32 {
  let i = u32(max(o, 0)) + ch;
  return select(0.0, x[i >> 2u][i & 3u], o >= 0);
}

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
  if (q >= p.rows / win || jj >= p.oc4) {
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
  let row0 = ((wid.x + wid.z * nwg.x) * WG + lid) * TM;
  if (row0 >= p.rows) {
    return;
  }
  let j0 = wid.y * TN4;
  // Weight words past oc4 (last channel block) read a valid word; their results are never stored.
  let jw0 = min(j0, p.oc4 - 1u);
  let jw1 = min(j0 + 1u, p.oc4 - 1u);
  let jw2 = min(j0 + 2u, p.oc4 - 1u);
  let jw3 = min(j0 + 3u, p.oc4 - 1u);

  var acc0_0 = vec4<f32>(0.0);
  var acc0_1 = vec4<f32>(0.0);
  var acc0_2 = vec4<f32>(0.0);
  var acc0_3 = vec4<f32>(0.0);
  var acc1_0 = vec4<f32>(0.0);
  var acc1_1 = vec4<f32>(0.0);
  var acc1_2 = vec4<f32>(0.0);
  var acc1_3 = vec4<f32>(0.0);
  var acc2_0 = vec4<f32>(0.0);
  var acc2_1 = vec4<f32>(0.0);
  var acc2_2 = vec4<f32>(0.0);
  var acc2_3 = vec4<f32>(0.0);
  var acc3_0 = vec4<f32>(0.0);
  var acc3_1 = vec4<f32>(0.0);
  var acc3_2 = vec4<f32>(0.0);
  var acc3_3 = vec4<f32>(0.0);
  var acc4_0 = vec4<f32>(0.0);
  var acc4_1 = vec4<f32>(0.0);
  var acc4_2 = vec4<f32>(0.0);
  var acc4_3 = vec4<f32>(0.0);
  var acc5_0 = vec4<f32>(0.0);
  var acc5_1 = vec4<f32>(0.0);
  var acc5_2 = vec4<f32>(0.0);
  var acc5_3 = vec4<f32>(0.0);
  var acc6_0 = vec4<f32>(0.0);
  var acc6_1 = vec4<f32>(0.0);
  var acc6_2 = vec4<f32>(0.0);
  var acc6_3 = vec4<f32>(0.0);
  var acc7_0 = vec4<f32>(0.0);
  var acc7_1 = vec4<f32>(0.0);
  var acc7_2 = vec4<f32>(0.0);
  var acc7_3 = vec4<f32>(0.0);
  let d0 = decodeRow(row0 + 0u);
  let d1 = decodeRow(row0 + 1u);
  let d2 = decodeRow(row0 + 2u);
  let d3 = decodeRow(row0 + 3u);
  let d4 = decodeRow(row0 + 4u);
  let d5 = decodeRow(row0 + 5u);
  let d6 = decodeRow(row0 + 6u);
  let d7 = decodeRow(row0 + 7u);

  for (var ky = 0u; ky < p.kh; ky++) {
    for (var kx = 0u; kx < p.kw; kx++) {
      let kbase = (ky * p.kw + kx) * p.c;
      let o0 = tapOffset(d0, ky, kx);
      let o1 = tapOffset(d1, ky, kx);
      let o2 = tapOffset(d2, ky, kx);
      let o3 = tapOffset(d3, ky, kx);
      let o4 = tapOffset(d4, ky, kx);
      let o5 = tapOffset(d5, ky, kx);
      let o6 = tapOffset(d6, ky, kx);
      let o7 = tapOffset(d7, ky, kx);
      if (VEC4 == 1u) {
        for (var c4 = 0u; c4 < p.c / 4u; c4++) {
          let k = kbase + c4 * 4u;
          let w0_0 = wt[(k + 0u) * p.oc4 + jw0];
          let w1_0 = wt[(k + 1u) * p.oc4 + jw0];
          let w2_0 = wt[(k + 2u) * p.oc4 + jw0];
          let w3_0 = wt[(k + 3u) * p.oc4 + jw0];
          let w0_1 = wt[(k + 0u) * p.oc4 + jw1];
          let w1_1 = wt[(k + 1u) * p.oc4 + jw1];
          let w2_1 = wt[(k + 2u) * p.oc4 + jw1];
          let w3_1 = wt[(k + 3u) * p.oc4 + jw1];
          let w0_2 = wt[(k + 0u) * p.oc4 + jw2];
          let w1_2 = wt[(k + 1u) * p.oc4 + jw2];
          let w2_2 = wt[(k + 2u) * p.oc4 + jw2];
          let w3_2 = wt[(k + 3u) * p.oc4 + jw2];
          let w0_3 = wt[(k + 0u) * p.oc4 + jw3];
          let w1_3 = wt[(k + 1u) * p.oc4 + jw3];
          let w2_3 = wt[(k + 2u) * p.oc4 + jw3];
          let w3_3 = wt[(k + 3u) * p.oc4 + jw3];
          let a0 = loadVec4(o0, c4);
            acc0_0 += a0.x * w0_0 + a0.y * w1_0 + a0.z * w2_0 + a0.w * w3_0;
          if (TN4 > 1u) {
            acc0_1 += a0.x * w0_1 + a0.y * w1_1 + a0.z * w2_1 + a0.w * w3_1;
          }
          if (TN4 > 2u) {
            acc0_2 += a0.x * w0_2 + a0.y * w1_2 + a0.z * w2_2 + a0.w * w3_2;
          }
          if (TN4 > 3u) {
            acc0_3 += a0.x * w0_3 + a0.y * w1_3 + a0.z * w2_3 + a0.w * w3_3;
          }
          if (TM > 1u) {
            let a1 = loadVec4(o1, c4);
              acc1_0 += a1.x * w0_0 + a1.y * w1_0 + a1.z * w2_0 + a1.w * w3_0;
            if (TN4 > 1u) {
              acc1_1 += a1.x * w0_1 + a1.y * w1_1 + a1.z * w2_1 + a1.w * w3_1;
            }
            if (TN4 > 2u) {
              acc1_2 += a1.x * w0_2 + a1.y * w1_2 + a1.z * w2_2 + a1.w * w3_2;
            }
            if (TN4 > 3u) {
              acc1_3 += a1.x * w0_3 + a1.y * w1_3 + a1.z * w2_3 + a1.w * w3_3;
            }
          }
          if (TM > 2u) {
            let a2 = loadVec4(o2, c4);
              acc2_0 += a2.x * w0_0 + a2.y * w1_0 + a2.z * w2_0 + a2.w * w3_0;
            if (TN4 > 1u) {
              acc2_1 += a2.x * w0_1 + a2.y * w1_1 + a2.z * w2_1 + a2.w * w3_1;
            }
            if (TN4 > 2u) {
              acc2_2 += a2.x * w0_2 + a2.y * w1_2 + a2.z * w2_2 + a2.w * w3_2;
            }
            if (TN4 > 3u) {
              acc2_3 += a2.x * w0_3 + a2.y * w1_3 + a2.z * w2_3 + a2.w * w3_3;
            }
          }
          if (TM > 3u) {
            let a3 = loadVec4(o3, c4);
              acc3_0 += a3.x * w0_0 + a3.y * w1_0 + a3.z * w2_0 + a3.w * w3_0;
            if (TN4 > 1u) {
              acc3_1 += a3.x * w0_1 + a3.y * w1_1 + a3.z * w2_1 + a3.w * w3_1;
            }
            if (TN4 > 2u) {
              acc3_2 += a3.x * w0_2 + a3.y * w1_2 + a3.z * w2_2 + a3.w * w3_2;
            }
            if (TN4 > 3u) {
              acc3_3 += a3.x * w0_3 + a3.y * w1_3 + a3.z * w2_3 + a3.w * w3_3;
            }
          }
          if (TM > 4u) {
            let a4 = loadVec4(o4, c4);
              acc4_0 += a4.x * w0_0 + a4.y * w1_0 + a4.z * w2_0 + a4.w * w3_0;
            if (TN4 > 1u) {
              acc4_1 += a4.x * w0_1 + a4.y * w1_1 + a4.z * w2_1 + a4.w * w3_1;
            }
            if (TN4 > 2u) {
              acc4_2 += a4.x * w0_2 + a4.y * w1_2 + a4.z * w2_2 + a4.w * w3_2;
            }
            if (TN4 > 3u) {
              acc4_3 += a4.x * w0_3 + a4.y * w1_3 + a4.z * w2_3 + a4.w * w3_3;
            }
          }
          if (TM > 5u) {
            let a5 = loadVec4(o5, c4);
              acc5_0 += a5.x * w0_0 + a5.y * w1_0 + a5.z * w2_0 + a5.w * w3_0;
            if (TN4 > 1u) {
              acc5_1 += a5.x * w0_1 + a5.y * w1_1 + a5.z * w2_1 + a5.w * w3_1;
            }
            if (TN4 > 2u) {
              acc5_2 += a5.x * w0_2 + a5.y * w1_2 + a5.z * w2_2 + a5.w * w3_2;
            }
            if (TN4 > 3u) {
              acc5_3 += a5.x * w0_3 + a5.y * w1_3 + a5.z * w2_3 + a5.w * w3_3;
            }
          }
          if (TM > 6u) {
            let a6 = loadVec4(o6, c4);
              acc6_0 += a6.x * w0_0 + a6.y * w1_0 + a6.z * w2_0 + a6.w * w3_0;
            if (TN4 > 1u) {
              acc6_1 += a6.x * w0_1 + a6.y * w1_1 + a6.z * w2_1 + a6.w * w3_1;
            }
            if (TN4 > 2u) {
              acc6_2 += a6.x * w0_2 + a6.y * w1_2 + a6.z * w2_2 + a6.w * w3_2;
            }
            if (TN4 > 3u) {
              acc6_3 += a6.x * w0_3 + a6.y * w1_3 + a6.z * w2_3 + a6.w * w3_3;
            }
          }
          if (TM > 7u) {
            let a7 = loadVec4(o7, c4);
              acc7_0 += a7.x * w0_0 + a7.y * w1_0 + a7.z * w2_0 + a7.w * w3_0;
            if (TN4 > 1u) {
              acc7_1 += a7.x * w0_1 + a7.y * w1_1 + a7.z * w2_1 + a7.w * w3_1;
            }
            if (TN4 > 2u) {
              acc7_2 += a7.x * w0_2 + a7.y * w1_2 + a7.z * w2_2 + a7.w * w3_2;
            }
            if (TN4 > 3u) {
              acc7_3 += a7.x * w0_3 + a7.y * w1_3 + a7.z * w2_3 + a7.w * w3_3;
            }
          }
        }
      } else {
        for (var ch = 0u; ch < p.c; ch++) {
          let k = kbase + ch;
          let w0 = wt[k * p.oc4 + jw0];
          let w1 = wt[k * p.oc4 + jw1];
          let w2 = wt[k * p.oc4 + jw2];
          let w3 = wt[k * p.oc4 + jw3];
          let a0 = loadScalar(o0, ch);
            acc0_0 += a0 * w0;
          if (TN4 > 1u) {
            acc0_1 += a0 * w1;
          }
          if (TN4 > 2u) {
            acc0_2 += a0 * w2;
          }
          if (TN4 > 3u) {
            acc0_3 += a0 * w3;
          }
          if (TM > 1u) {
            let a1 = loadScalar(o1, ch);
              acc1_0 += a1 * w0;
            if (TN4 > 1u) {
              acc1_1 += a1 * w1;
            }
            if (TN4 > 2u) {
              acc1_2 += a1 * w2;
            }
            if (TN4 > 3u) {
              acc1_3 += a1 * w3;
            }
          }
          if (TM > 2u) {
            let a2 = loadScalar(o2, ch);
              acc2_0 += a2 * w0;
            if (TN4 > 1u) {
              acc2_1 += a2 * w1;
            }
            if (TN4 > 2u) {
              acc2_2 += a2 * w2;
            }
            if (TN4 > 3u) {
              acc2_3 += a2 * w3;
            }
          }
          if (TM > 3u) {
            let a3 = loadScalar(o3, ch);
              acc3_0 += a3 * w0;
            if (TN4 > 1u) {
              acc3_1 += a3 * w1;
            }
            if (TN4 > 2u) {
              acc3_2 += a3 * w2;
            }
            if (TN4 > 3u) {
              acc3_3 += a3 * w3;
            }
          }
          if (TM > 4u) {
            let a4 = loadScalar(o4, ch);
              acc4_0 += a4 * w0;
            if (TN4 > 1u) {
              acc4_1 += a4 * w1;
            }
            if (TN4 > 2u) {
              acc4_2 += a4 * w2;
            }
            if (TN4 > 3u) {
              acc4_3 += a4 * w3;
            }
          }
          if (TM > 5u) {
            let a5 = loadScalar(o5, ch);
              acc5_0 += a5 * w0;
            if (TN4 > 1u) {
              acc5_1 += a5 * w1;
            }
            if (TN4 > 2u) {
              acc5_2 += a5 * w2;
            }
            if (TN4 > 3u) {
              acc5_3 += a5 * w3;
            }
          }
          if (TM > 6u) {
            let a6 = loadScalar(o6, ch);
              acc6_0 += a6 * w0;
            if (TN4 > 1u) {
              acc6_1 += a6 * w1;
            }
            if (TN4 > 2u) {
              acc6_2 += a6 * w2;
            }
            if (TN4 > 3u) {
              acc6_3 += a6 * w3;
            }
          }
          if (TM > 7u) {
            let a7 = loadScalar(o7, ch);
              acc7_0 += a7 * w0;
            if (TN4 > 1u) {
              acc7_1 += a7 * w1;
            }
            if (TN4 > 2u) {
              acc7_2 += a7 * w2;
            }
            if (TN4 > 3u) {
              acc7_3 += a7 * w3;
            }
          }
        }
      }
    }
  }

  // Epilogue: bias, ReLU, pool over each window of adjacent rows, ReLU, store.
  {
    let jj = j0 + 0u;
    let b = bias[min(jj, p.oc4 - 1u)];
    let v0 = preAct(acc0_0 + b);
    let v1 = preAct(acc1_0 + b);
    let v2 = preAct(acc2_0 + b);
    let v3 = preAct(acc3_0 + b);
    let v4 = preAct(acc4_0 + b);
    let v5 = preAct(acc5_0 + b);
    let v6 = preAct(acc6_0 + b);
    let v7 = preAct(acc7_0 + b);
    if (WIN_H * WIN_W == 1u) {
        store(row0 + 0u, jj, v0);
      if (TM > 1u) {
        store(row0 + 1u, jj, v1);
      }
      if (TM > 2u) {
        store(row0 + 2u, jj, v2);
      }
      if (TM > 3u) {
        store(row0 + 3u, jj, v3);
      }
      if (TM > 4u) {
        store(row0 + 4u, jj, v4);
      }
      if (TM > 5u) {
        store(row0 + 5u, jj, v5);
      }
      if (TM > 6u) {
        store(row0 + 6u, jj, v6);
      }
      if (TM > 7u) {
        store(row0 + 7u, jj, v7);
      }
    } else if (WIN_H * WIN_W == 2u) {
        store(row0 / 2u + 0u, jj, pool2(v0, v1));
      if (TM > 2u) {
        store(row0 / 2u + 1u, jj, pool2(v2, v3));
      }
      if (TM > 4u) {
        store(row0 / 2u + 2u, jj, pool2(v4, v5));
      }
      if (TM > 6u) {
        store(row0 / 2u + 3u, jj, pool2(v6, v7));
      }
    } else if (WIN_H * WIN_W == 4u) {
        store(row0 / 4u + 0u, jj, pool2(pool2(v0, v1), pool2(v2, v3)));
      if (TM > 4u) {
        store(row0 / 4u + 1u, jj, pool2(pool2(v4, v5), pool2(v6, v7)));
      }
    } else {
      store(row0 / 8u, jj, pool2(pool2(pool2(v0, v1), pool2(v2, v3)), pool2(pool2(v4, v5), pool2(v6, v7))));
    }
  }
  if (TN4 > 1u) {
    let jj = j0 + 1u;
    let b = bias[min(jj, p.oc4 - 1u)];
    let v0 = preAct(acc0_1 + b);
    let v1 = preAct(acc1_1 + b);
    let v2 = preAct(acc2_1 + b);
    let v3 = preAct(acc3_1 + b);
    let v4 = preAct(acc4_1 + b);
    let v5 = preAct(acc5_1 + b);
    let v6 = preAct(acc6_1 + b);
    let v7 = preAct(acc7_1 + b);
    if (WIN_H * WIN_W == 1u) {
        store(row0 + 0u, jj, v0);
      if (TM > 1u) {
        store(row0 + 1u, jj, v1);
      }
      if (TM > 2u) {
        store(row0 + 2u, jj, v2);
      }
      if (TM > 3u) {
        store(row0 + 3u, jj, v3);
      }
      if (TM > 4u) {
        store(row0 + 4u, jj, v4);
      }
      if (TM > 5u) {
        store(row0 + 5u, jj, v5);
      }
      if (TM > 6u) {
        store(row0 + 6u, jj, v6);
      }
      if (TM > 7u) {
        store(row0 + 7u, jj, v7);
      }
    } else if (WIN_H * WIN_W == 2u) {
        store(row0 / 2u + 0u, jj, pool2(v0, v1));
      if (TM > 2u) {
        store(row0 / 2u + 1u, jj, pool2(v2, v3));
      }
      if (TM > 4u) {
        store(row0 / 2u + 2u, jj, pool2(v4, v5));
      }
      if (TM > 6u) {
        store(row0 / 2u + 3u, jj, pool2(v6, v7));
      }
    } else if (WIN_H * WIN_W == 4u) {
        store(row0 / 4u + 0u, jj, pool2(pool2(v0, v1), pool2(v2, v3)));
      if (TM > 4u) {
        store(row0 / 4u + 1u, jj, pool2(pool2(v4, v5), pool2(v6, v7)));
      }
    } else {
      store(row0 / 8u, jj, pool2(pool2(pool2(v0, v1), pool2(v2, v3)), pool2(pool2(v4, v5), pool2(v6, v7))));
    }
  }
  if (TN4 > 2u) {
    let jj = j0 + 2u;
    let b = bias[min(jj, p.oc4 - 1u)];
    let v0 = preAct(acc0_2 + b);
    let v1 = preAct(acc1_2 + b);
    let v2 = preAct(acc2_2 + b);
    let v3 = preAct(acc3_2 + b);
    let v4 = preAct(acc4_2 + b);
    let v5 = preAct(acc5_2 + b);
    let v6 = preAct(acc6_2 + b);
    let v7 = preAct(acc7_2 + b);
    if (WIN_H * WIN_W == 1u) {
        store(row0 + 0u, jj, v0);
      if (TM > 1u) {
        store(row0 + 1u, jj, v1);
      }
      if (TM > 2u) {
        store(row0 + 2u, jj, v2);
      }
      if (TM > 3u) {
        store(row0 + 3u, jj, v3);
      }
      if (TM > 4u) {
        store(row0 + 4u, jj, v4);
      }
      if (TM > 5u) {
        store(row0 + 5u, jj, v5);
      }
      if (TM > 6u) {
        store(row0 + 6u, jj, v6);
      }
      if (TM > 7u) {
        store(row0 + 7u, jj, v7);
      }
    } else if (WIN_H * WIN_W == 2u) {
        store(row0 / 2u + 0u, jj, pool2(v0, v1));
      if (TM > 2u) {
        store(row0 / 2u + 1u, jj, pool2(v2, v3));
      }
      if (TM > 4u) {
        store(row0 / 2u + 2u, jj, pool2(v4, v5));
      }
      if (TM > 6u) {
        store(row0 / 2u + 3u, jj, pool2(v6, v7));
      }
    } else if (WIN_H * WIN_W == 4u) {
        store(row0 / 4u + 0u, jj, pool2(pool2(v0, v1), pool2(v2, v3)));
      if (TM > 4u) {
        store(row0 / 4u + 1u, jj, pool2(pool2(v4, v5), pool2(v6, v7)));
      }
    } else {
      store(row0 / 8u, jj, pool2(pool2(pool2(v0, v1), pool2(v2, v3)), pool2(pool2(v4, v5), pool2(v6, v7))));
    }
  }
  if (TN4 > 3u) {
    let jj = j0 + 3u;
    let b = bias[min(jj, p.oc4 - 1u)];
    let v0 = preAct(acc0_3 + b);
    let v1 = preAct(acc1_3 + b);
    let v2 = preAct(acc2_3 + b);
    let v3 = preAct(acc3_3 + b);
    let v4 = preAct(acc4_3 + b);
    let v5 = preAct(acc5_3 + b);
    let v6 = preAct(acc6_3 + b);
    let v7 = preAct(acc7_3 + b);
    if (WIN_H * WIN_W == 1u) {
        store(row0 + 0u, jj, v0);
      if (TM > 1u) {
        store(row0 + 1u, jj, v1);
      }
      if (TM > 2u) {
        store(row0 + 2u, jj, v2);
      }
      if (TM > 3u) {
        store(row0 + 3u, jj, v3);
      }
      if (TM > 4u) {
        store(row0 + 4u, jj, v4);
      }
      if (TM > 5u) {
        store(row0 + 5u, jj, v5);
      }
      if (TM > 6u) {
        store(row0 + 6u, jj, v6);
      }
      if (TM > 7u) {
        store(row0 + 7u, jj, v7);
      }
    } else if (WIN_H * WIN_W == 2u) {
        store(row0 / 2u + 0u, jj, pool2(v0, v1));
      if (TM > 2u) {
        store(row0 / 2u + 1u, jj, pool2(v2, v3));
      }
      if (TM > 4u) {
        store(row0 / 2u + 2u, jj, pool2(v4, v5));
      }
      if (TM > 6u) {
        store(row0 / 2u + 3u, jj, pool2(v6, v7));
      }
    } else if (WIN_H * WIN_W == 4u) {
        store(row0 / 4u + 0u, jj, pool2(pool2(v0, v1), pool2(v2, v3)));
      if (TM > 4u) {
        store(row0 / 4u + 1u, jj, pool2(pool2(v4, v5), pool2(v6, v7)));
      }
    } else {
      store(row0 / 8u, jj, pool2(pool2(pool2(v0, v1), pool2(v2, v3)), pool2(pool2(v4, v5), pool2(v6, v7))));
    }
  }
}
