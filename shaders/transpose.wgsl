/*
 * transpose — a row-major [rows, cols] matrix to [cols, rows]:
 *
 *   y[c·rows + r] = x[r·cols + c]
 *
 * The trainer transposes a dense (or 1×1 convolution) layer's output
 * gradient dy [pixels, oc] to [oc, pixels] so that its weight gradient
 * dW[oc, K] = dyᵀ · x is one plain GEMM, computed by the register-blocked
 * conv2d kernel (x [pixels, K] read as its packed weight operand).
 *
 * Bindings (group 0): 0 uniform Params · 1 x (read) · 2 y (read_write)
 * Dispatch: one thread per output element i = c·rows + r, i = (wid.x + wid.z·nwg.x)·WG + lid.
 */

fn body(i: u32) {
  let c = i / p.rows;
  let r = i % p.rows;
  y[i] = x[r * p.cols + c];
}
