/** relu and the softmax layer (over each image's flat vector). */
import type { FloatArray } from './common.ts';
import { softmaxInto } from './loss.ts';

/** y = max(x, 0). NaN passes through (an oracle must not hide a NaN); −0 becomes 0. */
export function reluForward(x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v > 0 || v !== v ? v : 0;
  }
}

/** dx = dy where x > 0, else 0 (the subgradient at 0 is taken as 0, as most frameworks do). */
export function reluBackward(x: FloatArray, dy: FloatArray, dx: Float64Array): void {
  for (let i = 0; i < x.length; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}

/** Softmax layer forward: each image's `size` values form one distribution. */
export function softmaxLayerForward(batch: number, size: number, x: FloatArray, y: FloatArray): void {
  softmaxInto(x, batch, size, 1, y);
}

/**
 * Softmax layer backward through its Jacobian ∂y_i/∂x_j = y_i (δ_ij − y_j):
 * dx_i = y_i (dy_i − Σ_j y_j dy_j). Uses the forward output y.
 */
export function softmaxLayerBackward(batch: number, size: number, y: FloatArray, dy: FloatArray, dx: Float64Array): void {
  for (let n = 0; n < batch; n++) {
    const base = n * size;
    let dot = 0;
    for (let j = 0; j < size; j++) dot += y[base + j] * dy[base + j];
    for (let i = 0; i < size; i++) dx[base + i] = y[base + i] * (dy[base + i] - dot);
  }
}
