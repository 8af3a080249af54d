/*
 * copy — y = x, vec4 words: the memory-bandwidth probe of the roofline
 * (src/gpu/roofline.ts). Bytes moved = 2 × size (one read, one write).
 *
 * Layouts: x and y the same number of vec4 words.
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per word, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(words / WG).
 */

fn body(i: u32) {
  y[i] = x[i];
}
