/*
 * lut-i8 — an element-wise function on int8 codes through a 256-entry table
 * (sigmoid, tanh and leakyRelu in the int8 path: Int8LutOp, whose table
 * src/compress/int8.ts computes in float64):
 *   y = table[q + 128]
 * The table is 64 words packed as activations are (entry k = byte k % 4 of
 * word k / 4); the two's complement byte b of code q is entry b ^ 0x80.
 * No multiply, no rounding: the codes are the CPU reference's by
 * construction (src/cpu/quantized.ts lutInt8).
 *
 * Layouts: x, y NHWC int8 packed 4 per u32, c4 = ceil(c/4) words per pixel;
 * the tail bytes of a pixel's last word (channels ≥ c) are written as the
 * output zero point, as quantize-i8 writes them.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 table (read) · 3 y (read_write)
 * Dispatch: PER words per thread, grid-stride: thread t writes words t,
 *   t + T, … (T = threads dispatched); x·z = ceil(pixels·c4 / (WG·PER)).
 */
override WG: u32 = 64u;
/** Words per thread (grid-stride). */
override PER: u32 = 16u;

/** The table's output byte for input byte `b` (0…255, two's complement). */
fn look(b: u32) -> u32 {
  let k = b ^ 0x80u;
  return (table[k >> 2u] >> ((k & 3u) * 8u)) & 0xffu;
}

/** One output word. */
fn word(i: u32) -> u32 {
  let a = x[i];
  let c0 = (i % p.c4) * 4u;
  var w = 0u;
  for (var l = 0u; l < 4u; l++) {
    let b = select(p.zpByte, look((a >> (8u * l)) & 0xffu), c0 + l < p.c);
    w |= b << (8u * l);
  }
  return w;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  // Grid-stride over PER words per thread, as quantize-i8: a workgroup costs tens of µs on SwiftShader.
  let stride = nwg.x * nwg.z * WG;
  var i = flatIndex(wid, nwg, lid, WG);
  for (var k = 0u; k < PER; k++) {
    if (i < p.total) {
      y[i] = word(i);
    }
    i += stride;
  }
}
