/*
 * depthwise-conv2d-backward-weight — dL/dw of a depthwise convolution, first
 * stage of a fixed-order two-stage reduction (col-sum adds the splits in
 * order): split s sums images [s·ips, min((s+1)·ips, batch)), then oy, ox.
 *
 *   partial[s, ky, kx, o] = Σ_{n ∈ split s} Σ_{oy, ox} dy[n, oy, ox, o] · x[n, iy, ix, o / m]
 *   (x is zero outside the image; m the channel multiplier)
 *
 * Layouts: x NHWC [n, h, w, c]; dy NHWC [n, oh, ow, c·m]; partial [splits, kh, kw, c·m].
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 dy (read) · 3 partial (read_write)
 * Dispatch: one thread per (split, weight element), i = (wid.x + wid.z·nwg.x)·WG + lid.
 *
 * VEC4 variant (code constant VEC4: m = 1, c % 4 == 0, kw ≤ 8): x, dy and
 * partial as vec4 words of 4 channels; a thread owns one kernel row ky,
 * all TM = kw taps of it and one channel word, t = (s·kh + ky)·c4 + word.
 * Per output pixel it loads one dy word and TM input words for 4·TM
 * multiply-adds (the scalar body: two scalar loads and two range checks per
 * multiply-add). Same split and same pixel order as the scalar body; a tap
 * in the padding adds 0 (a `select`), or, with INSIDE (no tap in the
 * padding), is never checked.
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
  let ky = (t / c4) % p.kh;
  let s = t / (c4 * p.kh);
  var acc$r = vec4<f32>(0.0);
  let n1 = min((s + 1u) * p.ips, p.batch);
  var d = s * p.ips * p.oh * p.ow * c4 + cw;
  for (var n = s * p.ips; n < n1; n++) {
    for (var oy = 0u; oy < p.oh; oy++) {
      let iy = i32(oy * p.sh + ky) - i32(p.padT);
//#if INSIDE
      let rowBase = (n * p.h + u32(iy)) * p.w;
//#else
      let rowOk = (iy >= 0) & (iy < i32(p.h));
      let rowBase = (n * p.h + u32(clamp(iy, 0, i32(p.h) - 1))) * p.w;
//#endif
      for (var ox = 0u; ox < p.ow; ox++) {
        let g = dy[d];
        d += c4;
        let ix = i32(ox * p.sw) - i32(p.padL);
//#if INSIDE
        let a$r = x[(rowBase + u32(ix) + $ru) * c4 + cw];
//#else
        let xx$r = ix + $r;
        let a$r = select(vec4<f32>(0.0), x[(rowBase + u32(clamp(xx$r, 0, i32(p.w) - 1))) * c4 + cw], rowOk & (xx$r >= 0) & (xx$r < i32(p.w)));
//#endif
        acc$r += g * a$r;
      }
    }
  }
  let out = ((s * p.kh + ky) * p.kw) * c4 + cw;
  partial[out + $ru * c4] = acc$r;
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
  let cm = p.c * p.m;
  let per = p.kh * p.kw * cm;
  let e = i % per;
  let s = i / per;
  let o = e % cm;
  let ch = o / p.m;
  let kx = (e / cm) % p.kw;
  let ky = e / (cm * p.kw);
  var acc = 0.0;
  let n1 = min((s + 1u) * p.ips, p.batch);
  for (var n = s * p.ips; n < n1; n++) {
    for (var oy = 0u; oy < p.oh; oy++) {
      let iy = i32(oy * p.sh + ky) - i32(p.padT);
      if (iy < 0 || iy >= i32(p.h)) {
        continue;
      }
      for (var ox = 0u; ox < p.ow; ox++) {
        let ix = i32(ox * p.sw + kx) - i32(p.padL);
        if (ix < 0 || ix >= i32(p.w)) {
          continue;
        }
        acc += dy[((n * p.oh + oy) * p.ow + ox) * cm + o] * x[((n * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ch];
      }
    }
  }
  partial[i] = acc;
}
//#endif
