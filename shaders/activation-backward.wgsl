/*
 * activation-backward — dx = f'(x) · dy for the `activation` layer, from its
 * input x (sigmoid and tanh recompute f(x)); relu6 passes dy where
 * 0 < x < 6, leakyRelu dy or alpha·dy (alpha at x = 0), as the CPU reference
 * (src/cpu/activations.ts). FN picks f (shaders/lib/activation.wgsl).
 *
 * Layouts: any; x, dy, dx have the same length (buffers padded to 16 bytes,
 * so whole vec4 words are safe).
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 dy (read) · 3 dx (read_write)
 * Dispatch: one thread per vec4 word, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */

fn body(i: u32) {
  dx[i] = activateGrad(x[i], dy[i], p.alpha);
}
