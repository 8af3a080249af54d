/*
 * depthwise-conv2d — one filter per channel (multiplier 1), bias and ReLU fused.
 *
 *   y[n, oy, ox, ch] = act(b[ch] + Σ_{ky,kx} x[n, oy·sh − padT + ky, ox·sw − padL + kx, ch] · w[ky, kx, ch])
 *   (x is zero outside the image: 'same' padding)
 *
 * Layouts: x NHWC [n, h, w, c]; w [kh, kw, c]; b [c] (zeros if no bias); y NHWC [n, oh, ow, c].
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 w (read) · 3 b (read) · 4 y (read_write)
 * Dispatch: one thread per output element, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(n·oh·ow·c / WG).
 * Memory-bound (kh·kw MACs per output), so no register blocking: consecutive
 * threads take consecutive channels, which keeps loads coalesced on real GPUs.
 */
override WG: u32 = 64u;
override RELU: u32 = 0u;

struct Params {
  total: u32,
  h: u32, w: u32, c: u32,
  oh: u32, ow: u32,
  kh: u32, kw: u32,
  sh: u32, sw: u32,
  padT: u32, padL: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
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
      acc += x[((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ch] * wt[(ky * p.kw + kx) * p.c + ch];
    }
  }
  if (RELU == 1u) {
    acc = max(acc, 0.0);
  }
  y[i] = acc;
}
