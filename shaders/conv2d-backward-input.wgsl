/*
 * conv2d-backward-input — dL/dx of a convolution (a transposed convolution),
 * as a gather so that no two threads write one element (deterministic, no
 * atomics). Also serves dense layers (a 1×1 convolution of a 1×1 image).
 *
 *   dx[n, iy, ix, c] = Σ_{ky, kx} Σ_o dy[n, oy, ox, o] · w[o, ky, kx, c]
 *   over the taps with iy = oy·sh − padT + ky and ix = ox·sw − padL + kx for
 *   an in-range output (oy, ox): (iy + padT − ky) divisible by sh, etc.
 *
 * Layouts: dy NHWC [n, oh, ow, oc]; w in the forward kernels' packed layout
 * [K, ocp] (K = (ky·kw + kx)·c + ch, ocp = oc rounded up to 4, zero padded —
 * the same, possibly fake-quantized, buffer the forward pass read); dx NHWC
 * [n, h, w, c].
 * Bindings (group 0): 0 uniform Params · 1 dy (read) · 2 w (read) · 3 dx (read_write)
 * Dispatch: one thread per (input pixel, block of 4 channels),
 *   t = (wid.x + wid.z·nwg.x)·WG + lid; x·z = ceil(n·h·w·ceil(c/4) / WG).
 * Per 4 output channels a thread loads 4 dy scalars and one aligned vec4 of w
 * per input channel it owns: 16 multiply-adds per 8 loads.
 */
override WG: u32 = 64u;

struct Params {
  total: u32,
  h: u32, w: u32, c: u32, c4: u32,
  oh: u32, ow: u32, oc: u32, ocp: u32,
  kh: u32, kw: u32,
  sh: u32, sw: u32,
  padT: u32, padL: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.z * nwg.x) * WG + lid;
  if (t >= p.total) {
    return;
  }
  let cb = t % p.c4;
  let pix = t / p.c4;
  let ix = pix % p.w;
  let iy = (pix / p.w) % p.h;
  let n = pix / (p.w * p.h);
  let c0 = cb * 4u;
  // Channels past c read a valid row (the last one); their sums are never stored.
  let ch1 = min(c0 + 1u, p.c - 1u);
  let ch2 = min(c0 + 2u, p.c - 1u);
  let ch3 = min(c0 + 3u, p.c - 1u);
  let ocw = p.ocp / 4u;
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  for (var ky = 0u; ky < p.kh; ky++) {
    let ty = i32(iy + p.padT) - i32(ky);
    if (ty < 0 || ty % i32(p.sh) != 0) {
      continue;
    }
    let oy = u32(ty) / p.sh;
    if (oy >= p.oh) {
      continue;
    }
    for (var kx = 0u; kx < p.kw; kx++) {
      let tx = i32(ix + p.padL) - i32(kx);
      if (tx < 0 || tx % i32(p.sw) != 0) {
        continue;
      }
      let ox = u32(tx) / p.sw;
      if (ox >= p.ow) {
        continue;
      }
      let dyBase = ((n * p.oh + oy) * p.ow + ox) * p.oc;
      let kbase = (ky * p.kw + kx) * p.c;
      let r0 = (kbase + c0) * ocw;
      let r1 = (kbase + ch1) * ocw;
      let r2 = (kbase + ch2) * ocw;
      let r3 = (kbase + ch3) * ocw;
      for (var o4 = 0u; o4 < ocw; o4++) {
        let o = dyBase + o4 * 4u;
        // Lanes past oc read the next pixel's dy (or, at the very end, whatever
        // robust buffer access returns: a value of the buffer or 0) and meet the
        // zero padding of w, so they add 0 for any finite dy.
        let g = vec4<f32>(dy[o], dy[o + 1u], dy[o + 2u], dy[o + 3u]);
        a0 += dot(g, wt[r0 + o4]);
        a1 += dot(g, wt[r1 + o4]);
        a2 += dot(g, wt[r2 + o4]);
        a3 += dot(g, wt[r3 + o4]);
      }
    }
  }
  let base = pix * p.c + c0;
  dx[base] = a0;
  if (c0 + 1u < p.c) {
    dx[base + 1u] = a1;
  }
  if (c0 + 2u < p.c) {
    dx[base + 2u] = a2;
  }
  if (c0 + 3u < p.c) {
    dx[base + 3u] = a3;
  }
}
