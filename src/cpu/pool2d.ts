/**
 * maxPool2d / avgPool2d reference: window and stride per axis, no padding,
 * floor mode (a trailing partial window is dropped). NHWC, per channel.
 */
import type { Pool2dLayer } from '../model/layers.ts';
import type { Shape } from '../model/shapes.ts';
import type { FloatArray } from './common.ts';

/** Shapes of a pooling layer's loop. */
export interface PoolGeometry {
  batch: number;
  inH: number;
  inW: number;
  c: number;
  outH: number;
  outW: number;
  windowH: number;
  windowW: number;
  strideH: number;
  strideW: number;
}

/** Geometry of a pooling layer on a `[H, W, C]` input. */
export function poolGeometry(layer: Pool2dLayer, inShape: Shape, batch: number): PoolGeometry {
  const [inH, inW, c] = inShape;
  const [windowH, windowW] = layer.window;
  const [strideH, strideW] = layer.stride;
  return {
    batch,
    inH,
    inW,
    c,
    outH: Math.floor((inH - windowH) / strideH) + 1,
    outW: Math.floor((inW - windowW) / strideW) + 1,
    windowH,
    windowW,
    strideH,
    strideW,
  };
}

/**
 * Flat input index of the maximum of one window. Ties: the first maximum in
 * scan order (row by row, then column) wins, so forward and backward agree
 * and the gradient goes to exactly one input. NaN counts as larger than
 * everything (the first NaN wins) so that a NaN is never hidden by pooling.
 */
export function maxPoolArgmax(g: PoolGeometry, x: FloatArray, n: number, oy: number, ox: number, ch: number): number {
  const { inH, inW, c, windowH, windowW, strideH, strideW } = g;
  let best = 0;
  let at = -1;
  for (let ky = 0; ky < windowH; ky++) {
    const iy = oy * strideH + ky;
    for (let kx = 0; kx < windowW; kx++) {
      const ix = ox * strideW + kx;
      const i = ((n * inH + iy) * inW + ix) * c + ch;
      const v = x[i];
      if (at < 0 || v > best || (v !== v && best === best)) {
        best = v;
        at = i;
      }
    }
  }
  return at;
}

/** y = max over each window. */
export function maxPool2dForward(g: PoolGeometry, x: FloatArray, y: FloatArray): void {
  const { batch, outH, outW, c } = g;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * c;
        for (let ch = 0; ch < c; ch++) y[yBase + ch] = x[maxPoolArgmax(g, x, n, oy, ox, ch)];
      }
    }
  }
}

/** Routes each output gradient to its window's first maximum; overlapping windows add up. */
export function maxPool2dBackward(g: PoolGeometry, x: FloatArray, dy: FloatArray, dx: Float64Array): void {
  const { batch, outH, outW, c } = g;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * c;
        for (let ch = 0; ch < c; ch++) dx[maxPoolArgmax(g, x, n, oy, ox, ch)] += dy[yBase + ch];
      }
    }
  }
}

/** y = mean over each window (sum in float64, divided by windowH·windowW). */
export function avgPool2dForward(g: PoolGeometry, x: FloatArray, y: FloatArray): void {
  const { batch, inH, inW, c, outH, outW, windowH, windowW, strideH, strideW } = g;
  const count = windowH * windowW;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let ky = 0; ky < windowH; ky++) {
            const rowBase = (n * inH + oy * strideH + ky) * inW;
            for (let kx = 0; kx < windowW; kx++) acc += x[(rowBase + ox * strideW + kx) * c + ch];
          }
          y[yBase + ch] = acc / count;
        }
      }
    }
  }
}

/** Spreads each output gradient evenly over its window; overlapping windows add up. */
export function avgPool2dBackward(g: PoolGeometry, dy: FloatArray, dx: Float64Array): void {
  const { batch, inH, inW, c, outH, outW, windowH, windowW, strideH, strideW } = g;
  const count = windowH * windowW;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const share = dy[yBase + ch] / count;
          for (let ky = 0; ky < windowH; ky++) {
            const rowBase = (n * inH + oy * strideH + ky) * inW;
            for (let kx = 0; kx < windowW; kx++) dx[(rowBase + ox * strideW + kx) * c + ch] += share;
          }
        }
      }
    }
  }
}
