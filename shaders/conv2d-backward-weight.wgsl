/*
 * conv2d-backward-weight — dL/dw of a convolution (also dense: a 1×1
 * convolution of a 1×1 image) as a register-blocked implicit GEMM, first
 * stage of a two-stage, fixed-order reduction: split s sums the images
 * [s·ips, min((s+1)·ips, batch)) in order (image, then oy, then ox) into
 * partial[s]; col-sum then adds the splits in order. No atomics: the same
 * inputs give bit-identical gradients.
 *
 *   partial[s, o, kk] = Σ_{n ∈ split s} Σ_{oy, ox} dy[n, oy, ox, o] · x[n, iy, ix, ch]
 *   kk = (ky·kw + kx)·c + ch, iy = oy·sh − padT + ky, ix = ox·sw − padL + kx
 *   (x is zero outside the image).
 *
 * GEMM view: M = oc, N = K = kh·kw·c, reduction over the split's pixels
 * (n, oy, ox). Each thread owns a TN4·4 (out channels) × TM·4 (kk) block of
 * the result in TM·4·TN4 vec4 registers; per pixel it loads TN4·4 dy scalars
 * and TM·4 x scalars for TM·TN4·64 multiply-adds (the former 4×4 block did
 * 16 per 8 loads, and loads are what a CPU adapter pays for).
 *
 * Layouts: x NHWC [n, h, w, c]; dy NHWC [n, oh, ow, oc]; partial
 * [splits, oc, K] (each split is a weight-shaped [oc, kh, kw, c] block).
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 dy (read) · 3 partial (read_write)
 * Dispatch: one thread per (split, block of TN4·4 out channels, block of TM·4 kk):
 *   t = (wid.x + wid.z·nwg.x)·WG + lid, t = (s·ob + b)·kb + a with
 *   ob = ceil(oc / (4·TN4)), kb = ceil(K / (4·TM)).
 *
 * THIS FILE IS A TEMPLATE (expandTemplate in src/gpu/kernels/types.ts): TM,
 * TN4 and PADDED are fixed per generated variant (one body per block size and
 * load path: SwiftShader's JIT compiles dead branches too, and big bodies with
 * them took minutes). PADDED 0: every tap of every output pixel is inside the
 * image (valid padding, or same padding that pads nothing), so x is read at a
 * per-thread constant offset from the window's corner with no bounds checks.
 * VEC4 (valid only, c % 4 == 0): x as aligned vec4 words (one load per 4 kk).
 * PADDED 1: checked loads (`&`/`select`, never `&&`: short-circuit operators
 * become branches, which SwiftShader compiles slowly).
 */
override WG: u32 = 64u;
const TM: u32 = $TMu;
const TN4: u32 = $TN4u;

/** The input-tap coordinates of weight element kk (clamped to K − 1): (ky, kx, ch). */
fn tap(kkIn: u32) -> vec3<u32> {
  let kk = min(kkIn, p.k - 1u);
  let ch = kk % p.c;
  let r = kk / p.c;
  return vec3<u32>(r / p.kw, r % p.kw, ch);
}

//#if PADDED
/** x at image n, window corner (iy0, ix0) for tap t; 0 in the padding. */
fn xAt(nb: u32, iy0: i32, ix0: i32, t: vec3<u32>) -> f32 {
  let iy = iy0 + i32(t.x);
  let ix = ix0 + i32(t.y);
  let inside = (iy >= 0) & (iy < i32(p.h)) & (ix >= 0) & (ix < i32(p.w));
  let i = (nb + u32(max(iy, 0)) * p.w + u32(max(ix, 0))) * p.c + t.z;
  return select(0.0, x[i], inside);
}
//#endif

/** partial[base + o·K + kk] for the 4 out channels o0…o0+3 of column kk; columns past K and channels past oc are dropped. */
fn storeColumn(base: u32, kk: u32, o0: u32, v: vec4<f32>) {
  if (kk >= p.k) {
    return;
  }
  let i = base + o0 * p.k + kk;
  if (o0 < p.oc) {
    partial[i] = v.x;
  }
  if (o0 + 1u < p.oc) {
    partial[i + p.k] = v.y;
  }
  if (o0 + 2u < p.oc) {
    partial[i + 2u * p.k] = v.z;
  }
  if (o0 + 3u < p.oc) {
    partial[i + 3u * p.k] = v.w;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = flatIndex(wid, nwg, lid, WG);
  if (t >= p.total) {
    return;
  }
  let a = t % p.kb;
  let b = (t / p.kb) % p.ob;
  let s = t / (p.kb * p.ob);
  let kk0 = a * TM * 4u;
  let o0 = b * TN4 * 4u;
  // Columns past K and channels past oc compute on clamped (valid) indices and are not stored.
  let oLast = p.oc - 1u;
  let oo$j = min(vec4<u32>(o0 + $ju * 4u) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(oLast));
  let t$r_$q = tap(kk0 + $ru * 4u + $qu);
  var acc$r_$j_$q = vec4<f32>(0.0);
  let n0 = s * p.ips;
  let n1 = min(n0 + p.ips, p.batch);
//#if PADDED
  for (var n = n0; n < n1; n++) {
    let nb = n * p.h * p.w;
    for (var oy = 0u; oy < p.oh; oy++) {
      let iy0 = i32(oy * p.sh) - i32(p.padT);
      for (var ox = 0u; ox < p.ow; ox++) {
        let ix0 = i32(ox * p.sw) - i32(p.padL);
        let d = ((n * p.oh + oy) * p.ow + ox) * p.oc;
        let g$j = vec4<f32>(dy[d + oo$j.x], dy[d + oo$j.y], dy[d + oo$j.z], dy[d + oo$j.w]);
        let x$r_$q = xAt(nb, iy0, ix0, t$r_$q);
        acc$r_$j_$q += g$j * x$r_$q;
      }
    }
  }
//#else
//#if VEC4
  // c % 4 == 0: a word of 4 kk is 4 channels of one tap, one aligned vec4 of x
  // (words past K clamp to the last whole word, never stored).
  let u$r = tap(min(kk0 + $ru * 4u, p.k - 4u));
  let f$r = ((u$r.x * p.w + u$r.y) * p.c + u$r.z) / 4u;
//#else
  // Offsets of the taps from the window's top-left input element.
  let f$r_$q = (t$r_$q.x * p.w + t$r_$q.y) * p.c + t$r_$q.z;
//#endif
  var d = n0 * p.oh * p.ow * p.oc;
  for (var n = n0; n < n1; n++) {
    for (var oy = 0u; oy < p.oh; oy++) {
      var xb = ((n * p.h + oy * p.sh) * p.w) * p.c;
      for (var ox = 0u; ox < p.ow; ox++) {
        let g$j = vec4<f32>(dy[d + oo$j.x], dy[d + oo$j.y], dy[d + oo$j.z], dy[d + oo$j.w]);
//#if VEC4
        let v$r = x4[xb / 4u + f$r];
        acc$r_$j_$q += g$j * v$r[$qu];
//#else
        let x$r_$q = x[xb + f$r_$q];
        acc$r_$j_$q += g$j * x$r_$q;
//#endif
        d += p.oc;
        xb += p.sw * p.c;
      }
    }
  }
//#endif
  // Epilogue, unrolled (no private array: dynamic indexing of one is slow on
  // CPU adapters, and layers with short reductions, e.g. dense, felt it).
  let base = s * p.oc * p.k;
  storeColumn(base, kk0 + $ru * 4u + $qu, o0 + $ju * 4u, acc$r_$j_$q);
}
