/*
 * depthwise-conv2d — m filters per input channel (the channel multiplier), bias and ReLU or relu6 fused.
 *
 *   y[n, oy, ox, o] = act(b[o] + Σ_{ky,kx} x[n, oy·sh − padT + ky, ox·sw − padL + kx, o / m] · w[ky, kx, o])
 *   (x is zero outside the image: 'same' padding; o = ch·m + j reads input channel ch = o / m)
 *
 * Layouts: x NHWC [n, h, w, c]; w [kh, kw, c·m]; b [c·m] (zeros if no bias); y NHWC [n, oh, ow, c·m].
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 w (read) · 3 b (read) · 4 y (read_write)
 * Dispatch: one thread per output element, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(n·oh·ow·c·m / WG).
 * Memory-bound (kh·kw MACs per output), so no register blocking: consecutive
 * threads take consecutive channels, which keeps loads coalesced on real GPUs.
 *
 * THIS FILE IS A TEMPLATE (expandTemplate in src/gpu/kernels/types.ts). Its
 * COMPRESSED variants (code constant WEIGHTS, src/gpu/kernels/weight-source.ts)
 * compute from a compressed weight tensor with shaders/lib/weight-source.wgsl
 * included: weight j = (ky·kw + kx)·c·m + o of the [kh, kw, c·m] order is
 * decoded per MAC by `weightAt` (each weight feeds one MAC per output, so
 * there is nothing to reuse a decode over; depthwise layers hold few
 * weights, which is also why the saving is small). Params gains tk, seed and
 * salt. Bindings, CODEBOOK: 0 Params · 1 x · 2 idx · 3 codebook · 4 b · 5 y;
 * HASHED: 0 Params · 1 x · 2 table · 3 b · 4 y.
 *
 * VEC4 variant (code constant VEC4: fp32 weights, m = 1, c % 4 == 0): x, w,
 * b and y are bound as vec4 words of 4 channels, and a thread owns TM
 * adjacent output pixels of one row × one channel word, so each tap costs
 * one weight word and TM input words for 4·TM multiply-adds (the scalar body
 * pays two scalar loads, its index arithmetic and two range checks per
 * multiply-add: on SwiftShader LeNet-5-separable's conv2_dw ran at under
 * 0.2 GFLOP/s, see docs/benchmark.md). Adjacent threads take adjacent
 * channel words. Dispatch: one thread per (n, oy, block of TM ox, word):
 * t = ((n·oh + oy)·xb + b)·c4 + word, xb = ceil(ow / TM); total counts
 * threads. INSIDE (no tap in the padding) drops the bounds checks.
 */
override WG: u32 = 64u;
/** 0: none, 1: ReLU, 2: relu6 (a fused `activation` relu6). */
override RELU: u32 = 0u;

//#if CODEBOOK
fn weightAt(j: u32) -> f32 {
  return cb[indexBits(j * BITS) & ((1u << BITS) - 1u)];
}
//#endif
//#if HASHED
fn weightAt(j: u32) -> f32 {
  return table[hashSlot(j)];
}
//#endif

fn act(v: vec4<f32>) -> vec4<f32> {
  if (RELU == 1u) {
    return max(v, vec4<f32>(0.0));
  }
  if (RELU == 2u) {
    return clamp(v, vec4<f32>(0.0), vec4<f32>(6.0));
  }
  return v;
}

//#if VEC4
const TM: u32 = $TMu;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = flatIndex(wid, nwg, lid, WG);
  if (t >= p.total) {
    return;
  }
  let c4 = p.c / 4u;
  let cw = t % c4;
  let r = t / c4;
  let ox0 = (r % p.xb) * TM;
  let oy = (r / p.xb) % p.oh;
  let n = r / (p.xb * p.oh);
  let iy0 = i32(oy * p.sh) - i32(p.padT);
  // Pixels past the row's end recompute its last pixel; never stored.
  let ix$r = i32(min(ox0 + $ru, p.ow - 1u) * p.sw) - i32(p.padL);
  var acc$r = bias[cw];
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = iy0 + i32(ky);
//#if INSIDE
    let rowBase = (n * p.h + u32(iy)) * p.w;
//#else
    let rowOk = (iy >= 0) & (iy < i32(p.h));
    let rowBase = (n * p.h + u32(clamp(iy, 0, i32(p.h) - 1))) * p.w;
//#endif
    for (var kx = 0u; kx < p.kw; kx++) {
      let wv = wt[(ky * p.kw + kx) * c4 + cw];
//#if INSIDE
      let a$r = x[(rowBase + u32(ix$r) + kx) * c4 + cw];
//#else
      let xx$r = ix$r + i32(kx);
      let a$r = select(vec4<f32>(0.0), x[(rowBase + u32(clamp(xx$r, 0, i32(p.w) - 1))) * c4 + cw], rowOk & (xx$r >= 0) & (xx$r < i32(p.w)));
//#endif
      acc$r += a$r * wv;
    }
  }
  let out = ((n * p.oh + oy) * p.ow + ox0) * c4 + cw;
  if (ox0 + $ru < p.ow) { y[out + $ru * c4] = act(acc$r); }
}
//#else
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
//#if COMPRESSED
  weightSourceInit(lid);
//#endif
  let i = flatIndex(wid, nwg, lid, WG);
  if (i >= p.total) {
    return;
  }
  let cm = p.c * p.m;
  let at = nhwc(i, p.oh, p.ow, cm);
  let ic = at.c / p.m;
  let iy0 = i32(at.y * p.sh) - i32(p.padT);
  let ix0 = i32(at.x * p.sw) - i32(p.padL);
  var acc = bias[at.c];
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
//#if COMPRESSED
      acc += x[((at.n * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ic] * weightAt((ky * p.kw + kx) * cm + at.c);
//#else
      acc += x[((at.n * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ic] * wt[(ky * p.kw + kx) * cm + at.c];
//#endif
    }
  }
  if (RELU == 1u) {
    acc = max(acc, 0.0);
  }
  if (RELU == 2u) {
    acc = clamp(acc, 0.0, 6.0);
  }
  y[i] = acc;
}
//#endif
