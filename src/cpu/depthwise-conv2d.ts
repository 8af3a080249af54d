/**
 * depthwiseConv2d reference (channel multiplier 1): channel c of the output
 * sees only channel c of the input. Weight `[kH, kW, C]`, bias `[C]`, same
 * padding rules and geometry as conv2d (see `convGeometry`).
 */
import type { FloatArray } from './common.ts';
import type { ConvGeometry } from './conv2d.ts';

/** y[n, oy, ox, c] = b[c] + Σ_{ky,kx} x[n, iy, ix, c] · w[ky, kx, c]. */
export function depthwiseConv2dForward(g: ConvGeometry, x: FloatArray, w: FloatArray, b: FloatArray | undefined, y: FloatArray): void {
  const { batch, inH, inW, inC: C, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  for (let n = 0; n < batch; n++) {
    const xImage = n * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * C;
        for (let c = 0; c < C; c++) {
          let acc = b ? b[c] : 0;
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ox * strideW - padLeft + kx;
              if (ix < 0 || ix >= inW) continue;
              acc += x[xImage + (iy * inW + ix) * C + c] * w[(ky * kW + kx) * C + c];
            }
          }
          y[yBase + c] = acc;
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
  const { batch, inH, inW, inC: C, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  for (let n = 0; n < batch; n++) {
    const xImage = n * inH * inW * C;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * C;
        for (let c = 0; c < C; c++) {
          const gy = dy[yBase + c];
          if (db) db[c] += gy;
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ox * strideW - padLeft + kx;
              if (ix < 0 || ix >= inW) continue;
              const xi = xImage + (iy * inW + ix) * C + c;
              const wi = (ky * kW + kx) * C + c;
              dx[xi] += gy * w[wi];
              dw[wi] += gy * x[xi];
            }
          }
        }
      }
    }
  }
}
