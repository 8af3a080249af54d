/*
 * quantize-i8 — float32 → int8 at the float boundary (the model input):
 *   q = clamp(round(x · invScale) + zp, lo, 127)
 * with invScale = fround(1/scale) from the host (a multiply is correctly
 * rounded in WGSL, a divide is not, so the CPU reference forms the very same
 * float) and WGSL's round() = round half to even. lo = zp when a ReLU is the
 * model's first layer, else −128. Tail channels of the last word get zp.
 *
 * Layouts: x NHWC float32 [pixels, c]; y NHWC int8 packed 4 per u32,
 * c4 = ceil(c/4) words per pixel. The plan also calls a flat input one
 * "pixel" of all its values (a dense first layer) and a one-channel image's
 * row a "pixel" of w values (conv2d-i8's SLIDE layout): the same packing.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: PER output words per thread, grid-stride: thread t writes words
 *   t, t + T, … (T = threads dispatched); x·z = ceil(pixels·c4 / (WG·PER)).
 */
override WG: u32 = 64u;
/** Words per thread (grid-stride). */
override PER: u32 = 16u;

fn q1(pix: u32, ch: u32) -> i32 {
  if (ch >= p.c) {
    return p.zp;
  }
  let v = round(x[pix * p.c + ch] * bitcast<f32>(p.invScaleBits)) + f32(p.zp);
  return i32(clamp(v, f32(p.lo), 127.0));
}

/** One output word. */
fn word(i: u32) -> u32 {
  let pix = i / p.c4;
  let c0 = (i % p.c4) * 4u;
  return pack4i8(vec4<i32>(q1(pix, c0), q1(pix, c0 + 1u), q1(pix, c0 + 2u), q1(pix, c0 + 3u)));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Grid-stride loop over PER words per thread: a workgroup costs tens of µs
  // on SwiftShader (a batch of 128 LeNet images was 1568 workgroups, ~65 ms).
  let stride = nwg.x * nwg.z * WG;
  var i = flatIndex(wid, nwg, lid, WG);
  for (var k = 0u; k < PER; k++) {
    if (i < p.total) {
      y[i] = word(i);
    }
    i += stride;
  }
}
