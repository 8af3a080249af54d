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
