/**
 * dense reference: y = W x + b with W `[units, in]` (one neuron's row
 * contiguous), applied to each image of the batch.
 */
import type { FloatArray } from './common.ts';

/** y[n, o] = b[o] + Σ_i W[o, i] · x[n, i]. */
export function denseForward(batch: number, inSize: number, units: number, x: FloatArray, w: FloatArray, b: FloatArray | undefined, y: FloatArray): void {
  for (let n = 0; n < batch; n++) {
    const xBase = n * inSize;
    for (let o = 0; o < units; o++) {
      const wBase = o * inSize;
      let acc = b ? b[o] : 0;
      for (let i = 0; i < inSize; i++) acc += w[wBase + i] * x[xBase + i];
      y[n * units + o] = acc;
    }
  }
}

/** Accumulates dx = Wᵀ dy, dW = Σ_n dy xᵀ and db = Σ_n dy into zeroed float64 buffers. */
export function denseBackward(
  batch: number,
  inSize: number,
  units: number,
  x: FloatArray,
  w: FloatArray,
  dy: FloatArray,
  dx: Float64Array,
  dw: Float64Array,
  db: Float64Array | undefined,
): void {
  for (let n = 0; n < batch; n++) {
    const xBase = n * inSize;
    for (let o = 0; o < units; o++) {
      const gy = dy[n * units + o];
      if (db) db[o] += gy;
      const wBase = o * inSize;
      for (let i = 0; i < inSize; i++) {
        dx[xBase + i] += gy * w[wBase + i];
        dw[wBase + i] += gy * x[xBase + i];
      }
    }
  }
}
