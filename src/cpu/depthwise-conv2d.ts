/**
 * depthwiseConv2d reference with channel multiplier M = outC / inC: output
 * channel o = c·M + m sees only input channel c = ⌊o / M⌋. Weight
 * `[kH, kW, C·M]`, bias `[C·M]`, same padding rules and geometry as conv2d
 * (see `convGeometry`).
 */
import type { FloatArray } from './common.ts';
import type { ConvGeometry } from './conv2d.ts';

/** y[n, oy, ox, o] = b[o] + Σ_{ky,kx} x[n, iy, ix, ⌊o / M⌋] · w[ky, kx, o]. */
export function depthwiseConv2dForward(g: ConvGeometry, x: FloatArray, w: FloatArray, b: FloatArray | undefined, y: FloatArray): void {
  const { batch, inH, inW, inC: C, outC: CM, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const M = CM / C;
  for (let n = 0; n < batch; n++) {
    const xImage = n * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * CM;
        for (let o = 0; o < CM; o++) {
          const c = Math.floor(o / M);
          let acc = b ? b[o] : 0;
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ox * strideW - padLeft + kx;
              if (ix < 0 || ix >= inW) continue;
              acc += x[xImage + (iy * inW + ix) * C + c] * w[(ky * kW + kx) * CM + o];
            }
          }
          y[yBase + o] = acc;
        }
      }
    }
  }
}

/** Accumulates dL/dx, dL/dw and (if given) dL/db into zeroed float64 buffers. */
export function depthwiseConv2dBackward(
  g: ConvGeometry,
  x: FloatArray,
  w: FloatArray,
  dy: FloatArray,
  dx: Float64Array,
  dw: Float64Array,
  db: Float64Array | undefined,
): void {
  const { batch, inH, inW, inC: C, outC: CM, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const M = CM / C;
  for (let n = 0; n < batch; n++) {
    const xImage = n * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * CM;
        for (let o = 0; o < CM; o++) {
          const c = Math.floor(o / M);
          const gy = dy[yBase + o];
          if (db) db[o] += gy;
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ox * strideW - padLeft + kx;
              if (ix < 0 || ix >= inW) continue;
              const xi = xImage + (iy * inW + ix) * C + c;
              const wi = (ky * kW + kx) * CM + o;
              dx[xi] += gy * w[wi];
              dw[wi] += gy * x[xi];
            }
          }
        }
      }
    }
  }
}
