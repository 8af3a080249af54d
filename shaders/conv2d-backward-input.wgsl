/*
 * conv2d-backward-input — dL/dx of a convolution (a transposed convolution:
 * the full correlation of dy with the flipped weights) as a register-blocked
 * implicit GEMM, written as a gather so that no two threads write one element
 * (deterministic, no atomics). Also serves dense layers (a 1×1 convolution of
 * a 1×1 image).
 *
 *   dx[n, iy, ix, c] = Σ_{ky, kx} Σ_o dy[n, oy, ox, o] · w[o, ky, kx, c]
 *   over the taps with iy = oy·sh − padT + ky and ix = ox·sw − padL + kx for
 *   an in-range output (oy, ox): (iy + padT − ky) divisible by sh, etc.
 *
 * GEMM view: M = input pixels (n, iy, ix), N = c, K = kh·kw·oc. A thread owns
 * TM pixels × TN4 words of 4 input channels (TM·TN4 vec4 registers); per tap
 * and 4 out channels it loads TM·4 dy scalars and TN4·4 weight vec4 words for
 * TM·TN4·16 multiply-adds. Taps are looped over the union of the ranges that
 * reach any of the thread's pixels (for stride 1 valid conv: the padded-conv
 * window), and each pixel's dy load is masked with `select` (no branches).
 *
 * Layouts: dy NHWC [n, oh, ow, oc]; w in the forward kernels' packed layout
 * [K, ocp] (K = (ky·kw + kx)·c + ch, ocp = oc rounded up to 4, zero padded —
 * the same, possibly fake-quantized, buffer the forward pass read); dx NHWC
 * [n, h, w, c].
 * Bindings (group 0): 0 uniform Params · 1 dy (read) · 2 w (read) · 3 dx (read_write)
 * Dispatch: thread t = (wid.x + wid.z·nwg.x)·WG + lid owns pixels
 *   [t·TM, t·TM + TM); wid.y selects channel words [wid.y·TN4, wid.y·TN4 + TN4).
 *   x·z = ceil(ceil(n·h·w / TM) / WG), y = ceil(ceil(c/4) / TN4).
 *
 * THIS FILE IS A TEMPLATE (expandTemplate in src/gpu/kernels/types.ts): TM and
 * TN4 are fixed per generated variant (one body per block size: SwiftShader's
 * JIT compiles dead branches too).
 */
override WG: u32 = 64u;
const TM: u32 = $TMu;
const TN4: u32 = $TN4u;

/** A pixel's image and its position shifted by the padding: (n, iy + padT, ix + padL). */
fn decodePixel(m: u32) -> vec3<u32> {
  let ix = m % p.w;
  let iy = (m / p.w) % p.h;
  return vec3<u32>(m / (p.w * p.h), iy + p.padT, ix + p.padL);
}

/** Element offset of dy[n, oy, ox, 0] for tap (ky, kx) of pixel d, or -1 when no output pixel maps there. */
fn dyOffset(d: vec3<u32>, ky: u32, kx: u32) -> i32 {
  let ty = i32(d.y) - i32(ky);
  let tx = i32(d.z) - i32(kx);
  let oy = ty / i32(p.sh);
  let ox = tx / i32(p.sw);
  // `&`, not `&&`: short-circuit operators become branches (slow to compile on SwiftShader).
  let ok = (ty >= 0) & (tx >= 0) & (ty % i32(p.sh) == 0) & (tx % i32(p.sw) == 0) & (oy < i32(p.oh)) & (ox < i32(p.ow));
  return select(-1, i32(((d.x * p.oh + u32(max(oy, 0))) * p.ow + u32(max(ox, 0))) * p.oc), ok);
}

fn loadDy(o: i32, o4: u32) -> vec4<f32> {
  let i = u32(max(o, 0)) + o4 * 4u;
  // Lanes past oc read the next pixel's dy (or, at the very end, whatever robust
  // buffer access returns: a value of the buffer or 0) and meet the zero padding
  // of w, so they add 0 for any finite dy.
  return select(vec4<f32>(0.0), vec4<f32>(dy[i], dy[i + 1u], dy[i + 2u], dy[i + 3u]), o >= 0);
}

/** dx[m, c0…c0+3]; pixels past the end and channels past c are dropped. */
fn storePixel(m: u32, c0: u32, v: vec4<f32>) {
  if (m >= p.pixels) {
    return;
  }
  let i = m * p.c + c0;
  if (c0 < p.c) {
    dx[i] = v.x;
  }
  if (c0 + 1u < p.c) {
    dx[i + 1u] = v.y;
  }
  if (c0 + 2u < p.c) {
    dx[i + 2u] = v.z;
  }
  if (c0 + 3u < p.c) {
    dx[i + 3u] = v.w;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let m0 = flatIndex(wid, nwg, lid, WG) * TM;
  if (m0 >= p.pixels) {
    return;
  }
  let j0 = wid.y * TN4;
  let cLast = p.c - 1u;
  // Channels past c read a valid row (the last one); their sums are never stored.
  let ch$j_$q = min((j0 + $ju) * 4u + $qu, cLast);
  // Tail pixels recompute the last pixel; never stored.
  let d$r = decodePixel(min(m0 + $ru, p.pixels - 1u));
  // Taps that can reach some pixel of the block: ky ∈ [yMin − (oh−1)·sh, yMax] ∩ [0, kh).
  var yMin = d0.y;
  var yMax = d0.y;
  var xMin = d0.z;
  var xMax = d0.z;
  yMin = min(yMin, d$r.y);
  yMax = max(yMax, d$r.y);
  xMin = min(xMin, d$r.z);
  xMax = max(xMax, d$r.z);
  let ky0 = u32(max(i32(yMin) - i32((p.oh - 1u) * p.sh), 0));
  let ky1 = min(p.kh, yMax + 1u);
  let kx0 = u32(max(i32(xMin) - i32((p.ow - 1u) * p.sw), 0));
  let kx1 = min(p.kw, xMax + 1u);
  let ocw = p.ocp / 4u;
  var acc$r_$j = vec4<f32>(0.0);
  for (var ky = ky0; ky < ky1; ky++) {
    for (var kx = kx0; kx < kx1; kx++) {
      let off$r = dyOffset(d$r, ky, kx);
      let kbase = (ky * p.kw + kx) * p.c;
      let row$j_$q = (kbase + ch$j_$q) * ocw;
      for (var o4 = 0u; o4 < ocw; o4++) {
        let g$r = loadDy(off$r, o4);
        let w$j_$q = wt[row$j_$q + o4];
        acc$r_$j += vec4<f32>(dot(g$r, w$j_0), dot(g$r, w$j_1), dot(g$r, w$j_2), dot(g$r, w$j_3));
      }
    }
  }
  // Epilogue, unrolled (no private array: dynamic indexing of one is slow on CPU adapters).
  storePixel(m0 + $ru, (j0 + $ju) * 4u, acc$r_$j);
}
