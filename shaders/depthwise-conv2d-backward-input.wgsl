/*
 * depthwise-conv2d-backward-input — dL/dx of a depthwise convolution
 * (channel multiplier m), as a gather (deterministic, no atomics).
 *
 *   dx[n, iy, ix, c] = Σ_{ky, kx} Σ_{j < m} dy[n, oy, ox, c·m + j] · w[ky, kx, c·m + j]
 *   over taps with iy = oy·sh − padT + ky, ix = ox·sw − padL + kx, (oy, ox) in range.
 *
 * Layouts: dy NHWC [n, oh, ow, c·m]; w [kh, kw, c·m] (the forward's buffer,
 * fake-quantized when training with quantization); dx NHWC [n, h, w, c].
 * Bindings (group 0): 0 uniform Params · 1 dy (read) · 2 w (read) · 3 dx (read_write)
 * Dispatch: one thread per input element, i = (wid.x + wid.z·nwg.x)·WG + lid.
 *
 * VEC4 variant (code constant VEC4: m = 1, c % 4 == 0): dy, w and dx as vec4
 * words of 4 channels; a thread owns TM adjacent input pixels of one row ×
 * one channel word (t = ((n·h + iy)·xb + b)·c4 + word, xb = ceil(w / TM)),
 * so a tap costs one weight word and TM masked dy words for 4·TM
 * multiply-adds. Taps run over the union of the ranges that reach any of
 * the block's pixels, in ascending (ky, kx) order as in the scalar body;
 * a tap that reaches no output pixel adds 0 (a `select`, no branch).
 *
 * THIS FILE IS A TEMPLATE (expandTemplate in src/gpu/kernels/types.ts).
 */
override WG: u32 = 64u;

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
  let ix0 = (r % p.xb) * TM;
  let iy = (r / p.xb) % p.h;
  let n = r / (p.xb * p.h);
  let yy = iy + p.padT;
  // Pixels past the row's end recompute its last pixel; never stored.
  let xx$r = min(ix0 + $ru, p.w - 1u) + p.padL;
  let ky0 = u32(max(i32(yy) - i32((p.oh - 1u) * p.sh), 0));
  let ky1 = min(p.kh, yy + 1u);
  let kx0 = u32(max(i32(xx0) - i32((p.ow - 1u) * p.sw), 0));
  let kx1 = min(p.kw, min(ix0 + TM - 1u, p.w - 1u) + p.padL + 1u);
  var acc$r = vec4<f32>(0.0);
  for (var ky = ky0; ky < ky1; ky++) {
    let ty = yy - ky;
    let oy = ty / p.sh;
    let rowOk = (ty % p.sh == 0u) & (oy < p.oh);
    let rowBase = (n * p.oh + min(oy, p.oh - 1u)) * p.ow;
    for (var kx = kx0; kx < kx1; kx++) {
      let wv = wt[(ky * p.kw + kx) * c4 + cw];
      // `&`, not `&&`: short-circuit operators become branches (slow to compile on SwiftShader).
      let tx$r = i32(xx$r) - i32(kx);
      let ox$r = u32(max(tx$r, 0)) / p.sw;
      let ok$r = rowOk & (tx$r >= 0) & (u32(max(tx$r, 0)) % p.sw == 0u) & (ox$r < p.ow);
      let g$r = select(vec4<f32>(0.0), dy[(rowBase + min(ox$r, p.ow - 1u)) * c4 + cw], ok$r);
      acc$r += g$r * wv;
    }
  }
  let out = ((n * p.h + iy) * p.w + ix0) * c4 + cw;
  if (ix0 + $ru < p.w) { dx[out + $ru * c4] = acc$r; }
}
//#else
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wid, nwg, lid, WG);
  if (i >= p.total) {
    return;
  }
  body(i);
}

fn body(i: u32) {
  let el = nhwc(i, p.h, p.w, p.c);
  let yy = el.y + p.padT;
  let xx = el.x + p.padL;
  // Only the taps that reach an output pixel, ky ∈ [yy − (oh−1)·sh, yy] (the
  // border taps of a valid conv are ~half of all taps at LeNet's sizes), in
  // ascending (ky, kx) order as before.
  let ky0 = u32(max(i32(yy) - i32((p.oh - 1u) * p.sh), 0));
  let ky1 = min(p.kh, yy + 1u);
  let kx0 = u32(max(i32(xx) - i32((p.ow - 1u) * p.sw), 0));
  let kx1 = min(p.kw, xx + 1u);
  let cm = p.c * p.m;
  let o0 = el.c * p.m;
  var acc = 0.0;
  for (var ky = ky0; ky < ky1; ky++) {
    let ty = yy - ky;
    if (ty % p.sh != 0u) {
      continue;
    }
    let rowBase = (el.n * p.oh + ty / p.sh) * p.ow;
    for (var kx = kx0; kx < kx1; kx++) {
      let tx = xx - kx;
      if (tx % p.sw != 0u) {
        continue;
      }
      let dyBase = (rowBase + tx / p.sw) * cm + o0;
      let wBase = (ky * p.kw + kx) * cm + o0;
      for (var j = 0u; j < p.m; j++) {
        acc += dy[dyBase + j] * wt[wBase + j];
      }
    }
  }
  dx[i] = acc;
}
//#endif
