/*
 * conv2d-i8 — integer-only int8 convolution as an implicit GEMM,
 * register-blocked, no workgroup memory (the shape that is fastest on CPU
 * adapters; see conv2d.wgsl for why it is unrolled by hand). Also computes
 * pointwise (1×1) convolutions and dense layers (a 1×1 convolution of a 1×1
 * image whose channels are the flattened input).
 *
 *   acc[m, o] = qb[o].x + Σ_{ky,kx,cw} dot4i8(x[n, iy, ix, word cw], w[o, ky, kx, word cw])
 *   y[m, o]   = clamp(outZp + MultiplyByQuantizedMultiplier(acc, qb[o].y, qb[o].z), lo, 127)
 *   with iy = oy·sh − padT + ky, ix = ox·sw − padL + kx; a tap outside the
 *   image reads `padWord` (the input zero point ×4: real zero).
 *
 * The input zero point is folded into the bias on the host:
 * qb[o].x = bias[o] − inZp · Σ w[o, …], so the inner loop is a plain dot4 of
 * codes. lo = outZp under a fused ReLU, else −128.
 *
 * Layouts: x NHWC int8 packed 4 per u32 along channels, c4 = ceil(c/4) words
 * per pixel (the tail bytes of the last word are don't-care: their weights
 * are zero); w packed by the host as [kh·kw·c4, oc4] vec4<u32> — component l
 * of word (k, j) holds input channels 4·cw…4·cw+3 of output channel 4j+l
 * (zero padded); qb [oc4·4] vec4<i32> (folded bias, multiplier, shift, 0);
 * y NHWC int8 packed, oc4 words per pixel (padded channels hold outZp).
 *
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 w (read) · 3 qb (read) · 4 y (read_write)
 *
 * Dispatch: workgroup_size(WG); thread t = (wid.x + wid.z·nwg.x)·WG + lid owns
 * output pixels [t·TM, t·TM + TM) and channel words [wid.y·TN4, wid.y·TN4 + TN4).
 * x·z = ceil(ceil(rows / TM) / WG), y = ceil(oc4 / TN4).
 * Register block: TM ≤ 8 rows × TN4 ≤ 2 words (8 channels) of vec4<i32>
 * accumulators in named variables, switched off by override-guarded branches.
 */

override WG: u32 = 64u;
/** Output pixels per thread: 1..8. */
override TM: u32 = 4u;
/** Output-channel words (4 channels each) per thread: 1..2. */
override TN4: u32 = 2u;

struct Params {
  rows: u32,   // n·oh·ow
  h: u32, w: u32, c4: u32,
  oc4: u32,
  kh: u32, kw: u32,
  sh: u32, sw: u32,
  padT: u32, padL: u32,
  oh: u32, ow: u32,
  outZp: i32, lo: i32,
  padWord: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> wt: array<vec4<u32>>;
@group(0) @binding(3) var<storage, read> qb: array<vec4<i32>>;
@group(0) @binding(4) var<storage, read_write> y: array<u32>;

/** A row's image base pixel and its top-left input tap (negative inside the padding). */
struct Row {
  pix: u32,
  iy: i32,
  ix: i32,
}

fn decodeRow(mIn: u32) -> Row {
  let m = min(mIn, p.rows - 1u);  // tail rows recompute the last row; never stored
  let perImage = p.oh * p.ow;
  let n = m / perImage;
  let rem = m % perImage;
  return Row(n * p.h * p.w, i32((rem / p.ow) * p.sh) - i32(p.padT), i32((rem % p.ow) * p.sw) - i32(p.padL));
}

/** Word offset of the row's input pixel for tap (ky, kx), or −1 inside the padding. */
fn tapOffset(d: Row, ky: u32, kx: u32) -> i32 {
  let iy = d.iy + i32(ky);
  let ix = d.ix + i32(kx);
  let inside = iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w);
  return select(-1, i32((d.pix + u32(iy) * p.w + u32(ix)) * p.c4), inside);
}

fn ld(o: i32, cw: u32) -> u32 {
  return select(p.padWord, x[u32(max(o, 0)) + cw], o >= 0);
}

/** Four output channels' dot products with one input word. */
fn mac(acc: vec4<i32>, a: u32, w: vec4<u32>) -> vec4<i32> {
  return acc + vec4<i32>(dot4i8(a, w.x), dot4i8(a, w.y), dot4i8(a, w.z), dot4i8(a, w.w));
}

/** Requantize and store channel word jj of output row `row`. */
fn store(row: u32, jj: u32, acc: vec4<i32>) {
  if (row >= p.rows || jj >= p.oc4) {
    return;
  }
  let q0 = qb[jj * 4u];
  let q1 = qb[jj * 4u + 1u];
  let q2 = qb[jj * 4u + 2u];
  let q3 = qb[jj * 4u + 3u];
  let v = vec4<i32>(
    requant(acc.x + q0.x, q0.y, q0.z, p.outZp, p.lo),
    requant(acc.y + q1.x, q1.y, q1.z, p.outZp, p.lo),
    requant(acc.z + q2.x, q2.y, q2.z, p.outZp, p.lo),
    requant(acc.w + q3.x, q3.y, q3.z, p.outZp, p.lo),
  );
  y[row * p.oc4 + jj] = pack4i8(v);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.z * nwg.x) * WG + lid;
  let row0 = t * TM;
  if (row0 >= p.rows) {
    return;
  }
  let j0 = wid.y * TN4;
  // A thread past the last word still loads a valid weight (its results are never stored).
  let jw0 = min(j0, p.oc4 - 1u);
  let jw1 = min(j0 + 1u, p.oc4 - 1u);
  let d0 = decodeRow(row0 + 0u);
  let d1 = decodeRow(row0 + 1u);
  let d2 = decodeRow(row0 + 2u);
  let d3 = decodeRow(row0 + 3u);
  let d4 = decodeRow(row0 + 4u);
  let d5 = decodeRow(row0 + 5u);
  let d6 = decodeRow(row0 + 6u);
  let d7 = decodeRow(row0 + 7u);
  var a00 = vec4<i32>(0);
  var a01 = vec4<i32>(0);
  var a10 = vec4<i32>(0);
  var a11 = vec4<i32>(0);
  var a20 = vec4<i32>(0);
  var a21 = vec4<i32>(0);
  var a30 = vec4<i32>(0);
  var a31 = vec4<i32>(0);
  var a40 = vec4<i32>(0);
  var a41 = vec4<i32>(0);
  var a50 = vec4<i32>(0);
  var a51 = vec4<i32>(0);
  var a60 = vec4<i32>(0);
  var a61 = vec4<i32>(0);
  var a70 = vec4<i32>(0);
  var a71 = vec4<i32>(0);
  for (var ky = 0u; ky < p.kh; ky++) {
    for (var kx = 0u; kx < p.kw; kx++) {
      let o0 = tapOffset(d0, ky, kx);
      let o1 = tapOffset(d1, ky, kx);
      let o2 = tapOffset(d2, ky, kx);
      let o3 = tapOffset(d3, ky, kx);
      let o4 = tapOffset(d4, ky, kx);
      let o5 = tapOffset(d5, ky, kx);
      let o6 = tapOffset(d6, ky, kx);
      let o7 = tapOffset(d7, ky, kx);
      let kb = (ky * p.kw + kx) * p.c4;
      for (var cw = 0u; cw < p.c4; cw++) {
        let wb = (kb + cw) * p.oc4;
        let w0 = wt[wb + jw0];
        var w1 = w0;
        if (TN4 > 1u) {
          w1 = wt[wb + jw1];
        }
        let x0 = ld(o0, cw);
        a00 = mac(a00, x0, w0);
        if (TN4 > 1u) {
          a01 = mac(a01, x0, w1);
        }
        if (TM > 1u) {
          let x1 = ld(o1, cw);
          a10 = mac(a10, x1, w0);
          if (TN4 > 1u) {
            a11 = mac(a11, x1, w1);
          }
        }
        if (TM > 2u) {
          let x2 = ld(o2, cw);
          a20 = mac(a20, x2, w0);
          if (TN4 > 1u) {
            a21 = mac(a21, x2, w1);
          }
        }
        if (TM > 3u) {
          let x3 = ld(o3, cw);
          a30 = mac(a30, x3, w0);
          if (TN4 > 1u) {
            a31 = mac(a31, x3, w1);
          }
        }
        if (TM > 4u) {
          let x4 = ld(o4, cw);
          a40 = mac(a40, x4, w0);
          if (TN4 > 1u) {
            a41 = mac(a41, x4, w1);
          }
        }
        if (TM > 5u) {
          let x5 = ld(o5, cw);
          a50 = mac(a50, x5, w0);
          if (TN4 > 1u) {
            a51 = mac(a51, x5, w1);
          }
        }
        if (TM > 6u) {
          let x6 = ld(o6, cw);
          a60 = mac(a60, x6, w0);
          if (TN4 > 1u) {
            a61 = mac(a61, x6, w1);
          }
        }
        if (TM > 7u) {
          let x7 = ld(o7, cw);
          a70 = mac(a70, x7, w0);
          if (TN4 > 1u) {
            a71 = mac(a71, x7, w1);
          }
        }
      }
    }
  }
  store(row0 + 0u, j0, a00);
  if (TN4 > 1u) {
    store(row0 + 0u, j0 + 1u, a01);
  }
  if (TM > 1u) {
    store(row0 + 1u, j0, a10);
    if (TN4 > 1u) {
      store(row0 + 1u, j0 + 1u, a11);
    }
  }
  if (TM > 2u) {
    store(row0 + 2u, j0, a20);
    if (TN4 > 1u) {
      store(row0 + 2u, j0 + 1u, a21);
    }
  }
  if (TM > 3u) {
    store(row0 + 3u, j0, a30);
    if (TN4 > 1u) {
      store(row0 + 3u, j0 + 1u, a31);
    }
  }
  if (TM > 4u) {
    store(row0 + 4u, j0, a40);
    if (TN4 > 1u) {
      store(row0 + 4u, j0 + 1u, a41);
    }
  }
  if (TM > 5u) {
    store(row0 + 5u, j0, a50);
    if (TN4 > 1u) {
      store(row0 + 5u, j0 + 1u, a51);
    }
  }
  if (TM > 6u) {
    store(row0 + 6u, j0, a60);
    if (TN4 > 1u) {
      store(row0 + 6u, j0 + 1u, a61);
    }
  }
  if (TM > 7u) {
    store(row0 + 7u, j0, a70);
    if (TN4 > 1u) {
      store(row0 + 7u, j0 + 1u, a71);
    }
  }
}
