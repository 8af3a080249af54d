/**
 * maxPool2d / avgPool2d reference: window and stride per axis, floor mode (a
 * trailing partial window is dropped), optional explicit pads. NHWC, per
 * channel. Padded taps are no input: max pooling skips them, average pooling
 * counts them as zeros in the divisor when `includePad`, else divides by the
 * taps inside the image. Every window holds at least one input pixel (pads
 * are below the window).
 */
import type { Pool2dLayer } from '../model/layers.ts';
import type { Shape } from '../model/shapes.ts';
import { poolPads } from '../model/shapes.ts';
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
  /** Padded rows above / columns left of the input (0 without padding). */
  padTop: number;
  padLeft: number;
  /** Average pooling: padded taps count in the divisor (always the window area then). */
  includePad: boolean;
}

/** Geometry of a pooling layer on a `[H, W, C]` input. */
export function poolGeometry(layer: Pool2dLayer, inShape: Shape, batch: number): PoolGeometry {
  const [inH, inW, c] = inShape;
  const [windowH, windowW] = layer.window;
  const [strideH, strideW] = layer.stride;
  const p = poolPads(layer);
  return {
    batch,
    inH,
    inW,
    c,
    outH: Math.floor((inH + p.top + p.bottom - windowH) / strideH) + 1,
    outW: Math.floor((inW + p.left + p.right - windowW) / strideW) + 1,
    windowH,
    windowW,
    strideH,
    strideW,
    padTop: p.top,
    padLeft: p.left,
    includePad: layer.countIncludePad === true,
  };
}

/** The in-image taps of window (oy, ox): rows [y0, y1), columns [x0, x1). */
export function poolWindow(g: PoolGeometry, oy: number, ox: number): { y0: number; y1: number; x0: number; x1: number } {
  const top = oy * g.strideH - g.padTop;
  const left = ox * g.strideW - g.padLeft;
  return { y0: Math.max(0, top), y1: Math.min(g.inH, top + g.windowH), x0: Math.max(0, left), x1: Math.min(g.inW, left + g.windowW) };
}

/** The divisor of window (oy, ox) of an average pool. */
export function poolCount(g: PoolGeometry, oy: number, ox: number): number {
  if (g.includePad) return g.windowH * g.windowW;
  const { y0, y1, x0, x1 } = poolWindow(g, oy, ox);
  return (y1 - y0) * (x1 - x0);
}

/**
 * Flat input index of the maximum of one window. Ties: the first maximum in
 * scan order (row by row, then column) wins, so forward and backward agree
 * and the gradient goes to exactly one input. NaN counts as larger than
 * everything (the first NaN wins) so that a NaN is never hidden by pooling.
 */
export function maxPoolArgmax(g: PoolGeometry, x: FloatArray, n: number, oy: number, ox: number, ch: number): number {
  const { inH, inW, c } = g;
  const { y0, y1, x0, x1 } = poolWindow(g, oy, ox);
  let best = 0;
  let at = -1;
  for (let iy = y0; iy < y1; iy++) {
    for (let ix = x0; ix < x1; ix++) {
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

/** y = mean over each window (sum in float64, divided by poolCount). */
export function avgPool2dForward(g: PoolGeometry, x: FloatArray, y: FloatArray): void {
  const { batch, inH, inW, c, outH, outW } = g;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * c;
        const { y0, y1, x0, x1 } = poolWindow(g, oy, ox);
        const count = poolCount(g, oy, ox);
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) acc += x[((n * inH + iy) * inW + ix) * c + ch];
          y[yBase + ch] = acc / count;
        }
      }
    }
  }
}

/** Spreads each output gradient evenly over its window (dy / poolCount to each input tap); overlapping windows add up. */
export function avgPool2dBackward(g: PoolGeometry, dy: FloatArray, dx: Float64Array): void {
  const { batch, inH, inW, c, outH, outW } = g;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * c;
        const { y0, y1, x0, x1 } = poolWindow(g, oy, ox);
        const count = poolCount(g, oy, ox);
        for (let ch = 0; ch < c; ch++) {
          const share = dy[yBase + ch] / count;
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) dx[((n * inH + iy) * inW + ix) * c + ch] += share;
        }
      }
    }
  }
}
