/*
 * gather-batch — builds one mini-batch on the GPU from the dataset that was
 * uploaded once as bytes: no per-batch image upload. The batch's examples are
 * order[step·batch + b], step read from the trainer's state buffer (advanced
 * on the GPU by step-advance), so many steps can be encoded in one submit.
 *
 *   y[b, px] = f32(byte(images, idx·pixels + px)) / 255     (pixel / 255, as toFloatBatch)
 *   labelsOut[b] = labels[idx]                               idx = order[state[0]·batch + b]
 *
 * Layouts: images u8 packed 4 per u32 (little-endian, example-major, NHW);
 * labels u32 per example; order u32; state u32 [step]; y f32 [batch, pixels]
 * (NHWC with C = 1); labelsOut u32 [batch].
 * Bindings (group 0): 0 uniform Params · 1 images (read) · 2 labels (read) ·
 *   3 order (read) · 4 state (read) · 5 y (read_write) · 6 labelsOut (read_write)
 * Dispatch: one thread per output pixel, i = (wid.x + wid.z·nwg.x)·WG + lid;
 *   x·z = ceil(batch·pixels / WG).
 */

fn body(i: u32) {
  let b = i / p.pixels;
  let px = i % p.pixels;
  let idx = order[state[0] * p.batch + b];
  let byte = idx * p.pixels + px;
  let v = (images[byte >> 2u] >> ((byte & 3u) * 8u)) & 255u;
  y[i] = f32(v) / 255.0;
  if (px == 0u) {
    labelsOut[b] = labels[idx];
  }
}
