/*
 * activation — y = f(x) element-wise for the `activation` layer: relu6,
 * leakyRelu (slope p.alpha), sigmoid or tanh, picked by the code constant FN
 * (shaders/lib/activation.wgsl). Works on vec4 words: the lab pads every
 * buffer to 16 bytes, so the tail word is safe to touch.
 *
 * Layouts: any; x and y have the same length.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per vec4 word, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(ceil(total / 4) / WG).
 */

fn body(i: u32) {
  y[i] = activate(x[i], p.alpha);
}
