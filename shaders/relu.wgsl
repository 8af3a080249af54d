/*
 * relu — y = max(x, 0) element-wise, for a ReLU that no producer kernel could
 * fuse (e.g. after a flatten of the model input). Works on vec4 words: the
 * lab pads every buffer to 16 bytes, so the tail word is safe to touch.
 *
 * Layouts: any; x and y have the same length.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per vec4 word, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(ceil(total / 4) / WG).
 */

fn body(i: u32) {
  y[i] = max(x[i], vec4<f32>(0.0));
}
