/*
 * preprocess — the model's input map, y = x · scale + offset, element-wise
 * (x = pixel / 255; see Preprocess in src/model/layers.ts). The first step of
 * a plan whose architecture has a preprocessing; every later step reads y.
 * The multiply and the add round separately to f32, as the CPU reference's
 * Math.fround(Math.fround(x · scale) + offset) does (WGSL does not promise
 * that a compiler leaves them unfused; SwiftShader does).
 *
 * Layouts: any; x and y have the same length (vec4 words, buffers padded to 16 bytes).
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per vec4 word, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(words / WG).
 */

fn body(i: u32) {
  let scaled = x[i] * p.scale;
  y[i] = scaled + vec4<f32>(p.offset);
}
