/*
 * conv2d-backward-weight — dL/dw of a convolution (also dense: a 1×1
 * convolution of a 1×1 image), first stage of a two-stage, fixed-order
 * reduction: split s sums the images [s·ips, min((s+1)·ips, batch)) in order
 * (image, then oy, then ox) into partial[s]; col-sum then adds the splits in
 * order. No atomics: the same inputs give bit-identical gradients.
 *
 *   partial[s, o, kk] = Σ_{n ∈ split s} Σ_{oy, ox} dy[n, oy, ox, o] · x[n, iy, ix, ch]
 *   kk = (ky·kw + kx)·c + ch, iy = oy·sh − padT + ky, ix = ox·sw − padL + kx
 *   (x is zero outside the image).
 *
 * Layouts: x NHWC [n, h, w, c]; dy NHWC [n, oh, ow, oc]; partial
 * [splits, oc, K] (each split is a weight-shaped [oc, kh, kw, c] block).
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 dy (read) · 3 partial (read_write)
 * Dispatch: one thread per (split, block of 4 output channels, block of 4 kk):
 *   t = (wid.x + wid.z·nwg.x)·WG + lid, t = (s·oc4 + ob)·k4 + kb; each pixel
 *   costs 8 loads for 16 multiply-adds.
 */
override WG: u32 = 64u;
/**
 * 0 for valid padding: every tap of every output pixel is inside the image,
 * so x is read at a per-thread constant offset from the pixel's corner with
 * no bounds checks (the common case, and the branches are what cost on CPU
 * adapters). 1 for same padding: checked loads.
 */
override PADDED: u32 = 1u;

struct Params {
  total: u32,
  h: u32, w: u32, c: u32,
  oh: u32, ow: u32, oc: u32, oc4: u32,
  kh: u32, kw: u32,
  sh: u32, sw: u32,
  padT: u32, padL: u32,
  k: u32, k4: u32,
  batch: u32, ips: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

/** The input-tap coordinates of weight element kk: (ky, kx, ch). */
fn tap(kk: u32) -> vec3<u32> {
  let ch = kk % p.c;
  let r = kk / p.c;
  return vec3<u32>(r / p.kw, r % p.kw, ch);
}

/** x at output pixel (n, oy, ox) for tap t, 0 in the padding. */
fn xAt(n: u32, oy: u32, ox: u32, t: vec3<u32>) -> f32 {
  let iy = i32(oy * p.sh + t.x) - i32(p.padT);
  let ix = i32(ox * p.sw + t.y) - i32(p.padL);
  if (iy < 0 || iy >= i32(p.h) || ix < 0 || ix >= i32(p.w)) {
    return 0.0;
  }
  return x[((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c + t.z];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.z * nwg.x) * WG + lid;
  if (t >= p.total) {
    return;
  }
  let kb = t % p.k4;
  let ob = (t / p.k4) % p.oc4;
  let s = t / (p.k4 * p.oc4);
  let kk0 = kb * 4u;
  let o0 = ob * 4u;
  // Columns past K or channels past oc compute on clamped (valid) indices and are not stored.
  let t0 = tap(kk0);
  let t1 = tap(min(kk0 + 1u, p.k - 1u));
  let t2 = tap(min(kk0 + 2u, p.k - 1u));
  let t3 = tap(min(kk0 + 3u, p.k - 1u));
  let oLast = p.oc - 1u;
  let oo = vec4<u32>(o0, min(o0 + 1u, oLast), min(o0 + 2u, oLast), min(o0 + 3u, oLast));
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  let n1 = min((s + 1u) * p.ips, p.batch);
  if (PADDED == 0u) {
    // Offsets of the four taps from the window's top-left input element.
    let f0 = (t0.x * p.w + t0.y) * p.c + t0.z;
    let f1 = (t1.x * p.w + t1.y) * p.c + t1.z;
    let f2 = (t2.x * p.w + t2.y) * p.c + t2.z;
    let f3 = (t3.x * p.w + t3.y) * p.c + t3.z;
    var d = s * p.ips * p.oh * p.ow * p.oc;
    for (var n = s * p.ips; n < n1; n++) {
      for (var oy = 0u; oy < p.oh; oy++) {
        var xb = ((n * p.h + oy * p.sh) * p.w) * p.c;
        for (var ox = 0u; ox < p.ow; ox++) {
          let g = vec4<f32>(dy[d + oo.x], dy[d + oo.y], dy[d + oo.z], dy[d + oo.w]);
          a0 += g * x[xb + f0];
          a1 += g * x[xb + f1];
          a2 += g * x[xb + f2];
          a3 += g * x[xb + f3];
          d += p.oc;
          xb += p.sw * p.c;
        }
      }
    }
  }
  for (var n = s * p.ips; n < select(s * p.ips, n1, PADDED == 1u); n++) {
    for (var oy = 0u; oy < p.oh; oy++) {
      for (var ox = 0u; ox < p.ow; ox++) {
        let d = ((n * p.oh + oy) * p.ow + ox) * p.oc;
        let g = vec4<f32>(dy[d + oo.x], dy[d + oo.y], dy[d + oo.z], dy[d + oo.w]);
        a0 += g * xAt(n, oy, ox, t0);
        a1 += g * xAt(n, oy, ox, t1);
        a2 += g * xAt(n, oy, ox, t2);
        a3 += g * xAt(n, oy, ox, t3);
      }
    }
  }
  // a_j holds kk0 + j for the 4 output channels.
  let base = s * p.oc * p.k;
  for (var j = 0u; j < 4u; j++) {
    let o = o0 + j;
    if (o >= p.oc) {
      break;
    }
    let row = base + o * p.k + kk0;
    partial[row] = a0[j];
    if (kk0 + 1u < p.k) {
      partial[row + 1u] = a1[j];
    }
    if (kk0 + 2u < p.k) {
      partial[row + 2u] = a2[j];
    }
    if (kk0 + 3u < p.k) {
      partial[row + 3u] = a3[j];
    }
  }
}
