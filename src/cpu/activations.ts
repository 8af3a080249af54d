/** relu, the `activation` layer's functions and the softmax layer (over each image's flat vector). */
import type { ActivationFn } from '../model/layers.ts';
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

/** The `activation` layer's function and leakyRelu's slope (the layer's own fields). */
export interface ActivationSpec {
  fn: ActivationFn;
  alpha?: number;
}

/** σ(x) = 1 / (1 + e^−x), through e^−|x| so that neither branch overflows. */
function sigmoid(v: number): number {
  const e = Math.exp(-Math.abs(v));
  return v >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/**
 * y = f(x) of an `activation` layer, computed in float64 and stored once:
 * relu6 = min(max(x, 0), 6); leakyRelu = x > 0 ? x : α·x (α rounded to f32,
 * as the GPU's uniform holds it); sigmoid; tanh. NaN passes through.
 */
export function activationForward(a: ActivationSpec, x: FloatArray, y: FloatArray): void {
  const alpha = Math.fround(a.alpha ?? 0);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    switch (a.fn) {
      case 'relu6':
        y[i] = v !== v ? v : Math.min(Math.max(v, 0), 6);
        break;
      case 'leakyRelu':
        y[i] = v > 0 ? v : alpha * v;
        break;
      case 'sigmoid':
        y[i] = sigmoid(v);
        break;
      case 'tanh':
        y[i] = Math.tanh(v);
        break;
    }
  }
}

/**
 * dx of an `activation` layer from its input x (sigmoid and tanh recompute
 * f(x) from x, as the GPU kernel does): relu6 passes dy where 0 < x < 6
 * (0 at the kinks); leakyRelu dy or α·dy (α at x = 0); sigmoid dy·σ(1 − σ);
 * tanh dy·(1 − tanh²).
 */
export function activationBackward(a: ActivationSpec, x: FloatArray, dy: FloatArray, dx: Float64Array): void {
  const alpha = Math.fround(a.alpha ?? 0);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    switch (a.fn) {
      case 'relu6':
        dx[i] = v > 0 && v < 6 ? dy[i] : 0;
        break;
      case 'leakyRelu':
        dx[i] = v > 0 ? dy[i] : alpha * dy[i];
        break;
      case 'sigmoid': {
        const s = sigmoid(v);
        dx[i] = dy[i] * s * (1 - s);
        break;
      }
      case 'tanh': {
        const t = Math.tanh(v);
        dx[i] = dy[i] * (1 - t * t);
        break;
      }
    }
  }
}
