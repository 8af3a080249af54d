/*
 * depthwise-conv2d-backward-input — dL/dx of a depthwise convolution
 * (multiplier 1), as a gather (deterministic, no atomics).
 *
 *   dx[n, iy, ix, c] = Σ_{ky, kx} dy[n, oy, ox, c] · w[ky, kx, c]
 *   over taps with iy = oy·sh − padT + ky, ix = ox·sw − padL + kx, (oy, ox) in range.
 *
 * Layouts: dy NHWC [n, oh, ow, c]; w [kh, kw, c] (the forward's buffer,
 * fake-quantized when training with quantization); dx NHWC [n, h, w, c].
 * Bindings (group 0): 0 uniform Params · 1 dy (read) · 2 w (read) · 3 dx (read_write)
 * Dispatch: one thread per input element, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */
override WG: u32 = 64u;

struct Params {
  total: u32,
  h: u32, w: u32, c: u32,
  oh: u32, ow: u32,
  kh: u32, kw: u32,
  sh: u32, sw: u32,
  padT: u32, padL: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.z * nwg.x) * WG + lid;
  if (i >= p.total) {
    return;
  }
  let ch = i % p.c;
  let pix = i / p.c;
  let ix = pix % p.w;
  let iy = (pix / p.w) % p.h;
  let n = pix / (p.w * p.h);
  var acc = 0.0;
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
      acc += dy[((n * p.oh + oy) * p.ow + ox) * p.c + ch] * wt[(ky * p.kw + kx) * p.c + ch];
    }
  }
  dx[i] = acc;
}
