/**
 * conv2d reference. Activations NHWC, weight `[outC, kH, kW, inC]`, bias
 * `[outC]`, zero padding (`same`: pad before = padBefore(), odd pixel after;
 * explicit pads per side). Rows/columns after the input need no code: the
 * output size stops the windows there and taps past the edge read zero.
 * Products are summed in float64 (JS numbers) and stored once.
 */
import type { Conv2dLayer, DepthwiseConv2dLayer } from '../model/layers.ts';
import { depthMultiplier } from '../model/layers.ts';
import type { Shape } from '../model/shapes.ts';
import { axisPadding, convOutSize, padBefore } from '../model/shapes.ts';
import type { FloatArray } from './common.ts';

/** Everything a convolution loop (CPU or GPU uniforms) needs to know about its shapes. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  /** filters for conv2d; inC · multiplier for depthwise. */
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  /** Zero rows above the input. */
  padTop: number;
  /** Zero columns left of the input. */
  padLeft: number;
}

/** Geometry of a conv2d or depthwiseConv2d layer on a `[H, W, C]` input. */
export function convGeometry(layer: Conv2dLayer | DepthwiseConv2dLayer, inShape: Shape, batch: number): ConvGeometry {
  const [inH, inW, inC] = inShape;
  const [kH, kW] = layer.kernel;
  const [strideH, strideW] = layer.stride;
  return {
    batch,
    inH,
    inW,
    inC,
    outH: convOutSize(inH, kH, strideH, axisPadding(layer.padding, 0)),
    outW: convOutSize(inW, kW, strideW, axisPadding(layer.padding, 1)),
    outC: layer.kind === 'conv2d' ? layer.filters : inC * depthMultiplier(layer),
    kH,
    kW,
    strideH,
    strideW,
    padTop: padBefore(inH, kH, strideH, axisPadding(layer.padding, 0)),
    padLeft: padBefore(inW, kW, strideW, axisPadding(layer.padding, 1)),
  };
}

/** y = conv(x, w) + b into `y` (batch × outH × outW × outC). */
export function conv2dForward(g: ConvGeometry, x: FloatArray, w: FloatArray, b: FloatArray | undefined, y: FloatArray): void {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const filterSize = kH * kW * inC;
  for (let n = 0; n < batch; n++) {
    const xImage = n * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * outC;
        // Columns of the window: ix = ix0 + kx; kx in [kx0, kx1) lands inside the image, the rest is zero padding.
        const ix0 = ox * strideW - padLeft;
        const kx0 = Math.max(0, -ix0);
        const kx1 = Math.min(kW, inW - ix0);
        const span = Math.max(0, kx1 - kx0) * inC;
        for (let oc = 0; oc < outC; oc++) {
          let acc = b ? b[oc] : 0;
          const wFilter = oc * filterSize;
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= inH) continue; // a padded row adds zero
            // In NHWC the in-bounds part of one kernel row, all channels, is one contiguous run in
            // both x and w, so (kx, ic) collapse into a single loop.
            const xBase = xImage + (iy * inW + ix0 + kx0) * inC;
            const wBase = wFilter + (ky * kW + kx0) * inC;
            for (let j = 0; j < span; j++) acc += x[xBase + j] * w[wBase + j];
          }
          y[yBase + oc] = acc;
        }
      }
    }
  }
}

/**
 * Accumulates dL/dx, dL/dw and (if given) dL/db into zeroed float64 buffers,
 * by scattering each output gradient back along the forward loop: the same
 * index arithmetic as the forward pass, so the two cannot disagree on padding.
 */
export function conv2dBackward(
  g: ConvGeometry,
  x: FloatArray,
  w: FloatArray,
  dy: FloatArray,
  dx: Float64Array,
  dw: Float64Array,
  db: Float64Array | undefined,
): void {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const filterSize = kH * kW * inC;
  for (let n = 0; n < batch; n++) {
    const xImage = n * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * outC;
        // Columns of the window: ix = ix0 + kx; kx in [kx0, kx1) lands inside the image, the rest is zero padding.
        const ix0 = ox * strideW - padLeft;
        const kx0 = Math.max(0, -ix0);
        const kx1 = Math.min(kW, inW - ix0);
        const span = Math.max(0, kx1 - kx0) * inC;
        for (let oc = 0; oc < outC; oc++) {
          const gy = dy[yBase + oc];
          if (db) db[oc] += gy;
          const wFilter = oc * filterSize;
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            const xBase = xImage + (iy * inW + ix0 + kx0) * inC;
            const wBase = wFilter + (ky * kW + kx0) * inC;
            for (let j = 0; j < span; j++) {
              dx[xBase + j] += gy * w[wBase + j];
              dw[wBase + j] += gy * x[xBase + j];
            }
          }
        }
      }
    }
  }
}
