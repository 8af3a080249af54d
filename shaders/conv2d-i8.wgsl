/*
 * conv2d-i8 — integer-only int8 convolution as an implicit GEMM,
 * register-blocked, no workgroup memory (the shape that is fastest on CPU
 * adapters; see conv2d.wgsl), with a following max or average pool fused
 * into the epilogue. Also computes pointwise (1×1) convolutions and dense layers (a
 * 1×1 convolution of a 1×1 image whose channels are the flattened input).
 *
 *   acc[m, o] = qb[o].x + Σ_{ky,kx,cw} dot4i8(x[n, iy, ix, word cw], w[o, ky, kx, word cw])
 *   c[m, o]   = clamp(outZp + MultiplyByQuantizedMultiplier(acc, qb[o].y, qb[o].z), lo, 127)
 *   y[n, py, px, o] = clamp(pool_{wy,wx} c[n, py·psh + wy, px·psw + wx, o], lo2, 127)   (no pool: the window is 1×1)
 *   pool = max, or the mean of the window's codes rounded half away from
 *   zero, (Σ ± ⌊win/2⌋) / win truncated (as pool2d-i8 and TFLite).
 *   with iy = oy·sh − padT + ky, ix = ox·sw − padL + kx; a tap outside the
 *   image reads `padWord` (the input zero point ×4: real zero).
 *
 * The input zero point is folded into the bias on the host:
 * qb[o].x = bias[o] − inZp · Σ w[o, …], so the inner loop is a plain dot of
 * codes. lo = outZp under a fused ReLU, else −128. A max pool commutes with
 * that clamp, so a ReLU after a max pool is folded into lo (lo2 = lo); an
 * average does not, so under an average pool lo is the conv's ReLU and lo2
 * the pool's (the pool keeps the conv's quantization: both clamp at outZp).
 * The requantization is monotonic in acc unless `acc << left` wraps, so the
 * pool takes the max of the accumulators and requantizes once per window
 * when no channel of the word shifts left; otherwise it requantizes every
 * pixel (bit-exact with the CPU reference either way). An average pool
 * always requantizes every pixel: the mean is taken of the codes.
 *
 * GEMM view: M = rows (one per conv output pixel, batch folded in; with a
 * fused pool the WIN_H·WIN_W rows of one pooled pixel's window are adjacent,
 * so a thread owning TM = k·WIN rows reduces whole windows in registers),
 * N = out channels (4 per word), K = taps × input words.
 *
 * Layouts: x NHWC int8 packed 4 per u32 along channels, c4 = ceil(c/4) words
 * per pixel (the tail bytes of the last word are don't-care: their weights
 * are zero). SLIDE (c = 1 only): the image is packed along its rows instead,
 * 4 pixels per word, c4 = ceil(w/4) words per row, the zero point past the
 * row's end (quantize-i8 of an [h, w] image with the row as the "pixel"), and
 * w packs 4 taps kx…kx+3 per word: a 5×5 kernel is 10 words instead of 25,
 * each a full dot4 rather than 1 of 4 bytes. The 4 pixels (iy, ix…ix+3) a
 * row needs straddle two row words unless ix % 4 = 0: a funnel shift of the
 * pair (ldSlide). So the input tensor is 1 word per 4 pixels, not 1 per pixel.
 * w packed by the host as [K words, oc4] vec4<u32> (packConvWeightI8):
 * MAC 0 (dot4 per output channel): component l of word (k, j) holds the 4
 * input bytes of output channel 4j+l; MAC 1 (outer product of unpacked bytes):
 * component q holds input byte q of output channels 4j…4j+3 (MAC 2, the same
 * outer product in exact integer-valued f32: see bytesF32). qb [oc4·4]
 * vec4<i32> (folded bias, multiplier, shift, 0); y NHWC int8 packed, oc4 words
 * per pixel (padded channels hold outZp).
 *
 * FLOATIN (a model's first layer, c % 4 = 0, not SLIDE): x is the float
 * input itself, NHWC f32 read as vec4 along channels, and each word of codes
 * is quantized on the fly exactly as quantize-i8 does,
 * q = clamp(round(x · inScale) + inZp, inLo, 127) in f32 (round half to
 * even; a multiply, no divide, so the CPU reference forms the same float):
 * no separate quantize pass over the batch, and in the exact-f32 MAC the
 * codes never get packed and unpacked at all.
 *
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 w (read) · 3 qb (read) · 4 y (read_write)
 *
 * Dispatch: workgroup_size(WG); thread t = (wid.x + wid.z·nwg.x)·WG + lid owns
 * virtual rows [t·TM, t·TM + TM) and channel words [wid.y·TN4, wid.y·TN4 + TN4).
 * x·z = ceil(ceil(rows / TM) / WG), y = ceil(oc4 / TN4).
 *
 * THIS FILE IS A TEMPLATE (expandTemplate in src/gpu/kernels/types.ts, as
 * conv2d.wgsl): TM, TN4, SLIDE, FLOATIN and the MAC flags (DOT / OUTER / EXACTF32) are fixed per generated variant; a line
 * holding $-r / $-j / $-q (written without the dash) is repeated per row /
 * channel word / byte. Generated, not override-guarded: SwiftShader compiles
 * dead branches too, and the accumulators must be named registers.
 */

override WG: u32 = 64u;
/** Fused max-pool window; TM is a multiple of WIN_H·WIN_W. */
override WIN_H: u32 = 1u;
override WIN_W: u32 = 1u;
/** 1: the fused pool averages (0: max, also the no-pool case). */
override POOL_AVG: u32 = 0u;
const TM: u32 = $TMu;
const TN4: u32 = $TN4u;

//#if SLIDE
/**
 * Input word of taps (ky, 4g…4g+3) for the row: pixels ix…ix+3 of image row
 * iy, ix = d.ix + 4g, i.e. bytes ix % 4… of row word ⌊ix/4⌋ followed by the
 * low bytes of the next word (a funnel shift). Words outside the image (the
 * 'same' padding, left, right, above and below) read as the zero point.
 * `&`, not `&&`: short-circuit operators become branches, which SwiftShader's
 * JIT compiles very slowly when unrolled per row.
 */
fn ldSlide(d: Row, ky: u32, g: u32) -> u32 {
  let iy = d.iy + i32(ky);
  let ix = d.ix + i32(g * 4u);
  let rowOk = (iy >= 0) & (iy < i32(p.h));
  let wi = ix >> 2u;  // arithmetic: ⌊ix/4⌋ also left of the image
  let s = u32(ix & 3) * 8u;
  let base = d.pix + u32(max(iy, 0)) * p.c4;
  let loOk = rowOk & (wi >= 0) & (wi < i32(p.c4));
  let hiOk = rowOk & (wi >= -1) & (wi + 1 < i32(p.c4));
  let lo = select(p.padWord, x[select(0u, base + u32(wi), loOk)], loOk);
  let hi = select(p.padWord, x[select(0u, base + u32(wi + 1), hiOk)], hiOk);
  // s = 0: the word itself (a shift by 32 would be taken mod 32, so it is selected away).
  return select((lo >> s) | (hi << (32u - s)), lo, s == 0u);
}
//#else
//#if FLOATIN
/**
 * Codes of input word cw at offset o (−1: padding, the zero point) as
 * integer-valued floats, quantized from the float input as quantize-i8 does.
 */
fn ldQ(o: i32, cw: u32) -> vec4<f32> {
  let f = xf[u32(max(o, 0)) + cw];
  let zp = f32(i32(p.padWord << 24u) >> 24u);
  let q = clamp(round(f * bitcast<f32>(p.inScaleBits)) + zp, vec4<f32>(f32(p.inLo)), vec4<f32>(127.0));
  return select(vec4<f32>(zp), q, o >= 0);
}
//#else
fn ld(o: i32, cw: u32) -> u32 {
  return select(p.padWord, x[u32(max(o, 0)) + cw], o >= 0);
}
//#endif
//#endif

//#if EXACTF32
/**
 * The 4 signed bytes of `a` as exact integer-valued floats. unpack4x8unorm of
 * the bytes offset by 128 (sign bit flipped) is cheap on CPU adapters; ×255
 * and round() recover the byte exactly. Products of two such values are
 * integers of magnitude ≤ 2^14, so a sum of at most 1024 of them (K ≤ 256
 * words, checked on the host) never leaves the range where f32 is exact
 * (2^24): the accumulator equals the i32 one bit for bit.
 */
fn bytesF32(a: u32) -> vec4<f32> {
  return round(unpack4x8unorm(a ^ 0x80808080u) * 255.0) - 128.0;
}

/**
 * Weights with no −128 byte (symmetric quantization, checked on the host):
 * unpack4x8snorm is exact on [−127, 127] (b/127) and saves the sign flip and
 * the offset of bytesF32; round() again makes the values exact integers.
 */
fn weightsF32(w: u32) -> vec4<f32> {
  return round(unpack4x8snorm(w) * 127.0);
}
//#endif

/** Requantize 4 channels' accumulators (bias already added) with the channels' (m, shift) from qb. */
fn rq4(acc: vec4<i32>, q0: vec4<i32>, q1: vec4<i32>, q2: vec4<i32>, q3: vec4<i32>) -> vec4<i32> {
  return vec4<i32>(
    requant(acc.x, q0.y, q0.z, p.outZp, p.lo),
    requant(acc.y, q1.y, q1.z, p.outZp, p.lo),
    requant(acc.z, q2.y, q2.z, p.outZp, p.lo),
    requant(acc.w, q3.y, q3.z, p.outZp, p.lo),
  );
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row0 = flatIndex(wid, nwg, lid, WG) * TM;
  if (row0 >= p.rows) {
    return;
  }
  let j0 = wid.y * TN4;
  // Weight words past oc4 (last channel block) read a valid word; their results are never stored.
  let jw$j = min(j0 + $ju, p.oc4 - 1u);
//#if EXACTF32
  var acc$r_$j = vec4<f32>(0.0);
//#else
  var acc$r_$j = vec4<i32>(0);
//#endif
  let d$r = decodeRow(row0 + $ru, p.imgStride);

  for (var ky = 0u; ky < p.kh; ky++) {
//#if SLIDE
    for (var g = 0u; g < p.kg; g++) {
      let wb = (ky * p.kg + g) * p.oc4;
      let a$r = ldSlide(d$r, ky, g);
//#else
    for (var kx = 0u; kx < p.kw; kx++) {
      let o$r = tapOffset(d$r, ky, kx, p.c4);
      let kb = (ky * p.kw + kx) * p.c4;
      for (var cw = 0u; cw < p.c4; cw++) {
      let wb = (kb + cw) * p.oc4;
//#if FLOATIN
      let q$r = ldQ(o$r, cw);
//#else
      let a$r = ld(o$r, cw);
//#endif
//#endif
      let w$j = wt[wb + jw$j];
//#if DOT
//#if FLOATIN
      let a$r = pack4i8(vec4<i32>(q$r));
//#endif
      acc$r_$j += vec4<i32>(dot4i8(a$r, w$j.x), dot4i8(a$r, w$j.y), dot4i8(a$r, w$j.z), dot4i8(a$r, w$j.w));
//#endif
//#if OUTER
      let u$j_$q = unpack4i8(w$j[$q]);
//#if FLOATIN
      let v$r = vec4<i32>(q$r);
//#else
      let v$r = unpack4i8(a$r);
//#endif
      acc$r_$j += v$r.x * u$j_0 + v$r.y * u$j_1 + v$r.z * u$j_2 + v$r.w * u$j_3;
//#endif
//#if EXACTF32
//#if SNORM
      let u$j_$q = weightsF32(w$j[$q]);
//#else
      let u$j_$q = bytesF32(w$j[$q]);
//#endif
//#if FLOATIN
      let v$r = q$r;
//#else
      let v$r = bytesF32(a$r);
//#endif
      acc$r_$j += v$r.x * u$j_0 + v$r.y * u$j_1 + v$r.z * u$j_2 + v$r.w * u$j_3;
//#endif
//#if SLIDE
//#else
      }
//#endif
    }
  }

  // Epilogue, once per thread: bias, max pool over each window of adjacent rows, requantize, store.
  var res: array<vec4<i32>, $TM * $TN4>;
//#if EXACTF32
  // Integer-valued and exact (see bytesF32): the conversion is exact too.
  res[$r * $TN4 + $j] = vec4<i32>(acc$r_$j);
//#else
  res[$r * $TN4 + $j] = acc$r_$j;
//#endif
  let win = WIN_H * WIN_W;
  for (var j = 0u; j < TN4; j++) {
    let jj = j0 + j;
    let jc = min(jj, p.oc4 - 1u);
    let q0 = qb[jc * 4u];
    let q1 = qb[jc * 4u + 1u];
    let q2 = qb[jc * 4u + 2u];
    let q3 = qb[jc * 4u + 3u];
    let bias = vec4<i32>(q0.x, q1.x, q2.x, q3.x);
    // Same for every thread of the workgroup (jc depends on wid.y only): a uniform branch.
    let maxFirst = (win == 1u) | ((q0.z <= 0) & (q1.z <= 0) & (q2.z <= 0) & (q3.z <= 0));
    for (var q = 0u; q < TM / win; q++) {
      var v: vec4<i32>;
      if (POOL_AVG == 1u) {
        var s = rq4(res[q * win * TN4 + j] + bias, q0, q1, q2, q3);
        for (var i = 1u; i < win; i++) {
          s += rq4(res[(q * win + i) * TN4 + j] + bias, q0, q1, q2, q3);
        }
        let n = i32(win);
        let half = vec4<i32>(n / 2);
        v = clamp(select((s - half) / n, (s + half) / n, s > vec4<i32>(0)), vec4<i32>(p.lo2), vec4<i32>(127));
      } else if (maxFirst) {
        var m = res[q * win * TN4 + j];
        for (var i = 1u; i < win; i++) {
          m = max(m, res[(q * win + i) * TN4 + j]);
        }
        v = rq4(m + bias, q0, q1, q2, q3);
      } else {
        v = rq4(res[q * win * TN4 + j] + bias, q0, q1, q2, q3);
        for (var i = 1u; i < win; i++) {
          v = max(v, rq4(res[(q * win + i) * TN4 + j] + bias, q0, q1, q2, q3));
        }
      }
      let row = row0 / win + q;
      if ((row < p.rows / win) & (jj < p.oc4)) {
        y[row * p.oc4 + jj] = pack4i8(v);
      }
    }
  }
}
