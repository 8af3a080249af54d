/*
 * relu-backward — dx = dy where x > 0, else 0 (the subgradient at 0 is 0, as
 * in src/cpu/activations.ts). x is the relu's input.
 *
 * Layouts: any; x, dy, dx have the same length (buffers padded to 16 bytes,
 * so whole vec4 words are safe).
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 dy (read) · 3 dx (read_write)
 * Dispatch: one thread per vec4 word, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */

fn body(i: u32) {
  dx[i] = select(vec4<f32>(0.0), dy[i], x[i] > vec4<f32>(0.0));
}
