/**
 * A drawing on a canvas → the 28×28 input an MNIST net expects, the way the
 * MNIST images were made (LeCun et al.): the ink's bounding box scaled to fit
 * 20×20 keeping its aspect ratio (area-averaged), then placed in a 28×28
 * field so that its centre of mass sits at the centre.
 */

/** RGBA pixels as the canvas gives them. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array | number[];
}

/** Ink of one pixel, 0–255: light strokes on a dark canvas or dark on light, decided by the background. */
function inkOf(img: RgbaImage): Float32Array {
  const n = img.width * img.height;
  const lum = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = img.data[4 * i + 3] / 255;
    // Transparent pixels count as background (0 luminance contribution).
    lum[i] = a * (0.299 * img.data[4 * i] + 0.587 * img.data[4 * i + 1] + 0.114 * img.data[4 * i + 2]);
  }
  // Background = the corners' mean: light background means dark ink, so invert.
  const w = img.width;
  const h = img.height;
  const corners = (lum[0] + lum[w - 1] + lum[(h - 1) * w] + lum[h * w - 1]) / 4;
  if (corners > 127) for (let i = 0; i < n; i++) lum[i] = 255 - lum[i];
  return lum;
}

/**
 * The 28×28 grey image (0–255, ink bright) of a drawing. Throws when nothing
 * was drawn.
 */
export function drawingToMnist(img: RgbaImage): Uint8Array {
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4) {
    throw new Error(`drawing: expected ${img.width}×${img.height} RGBA pixels, got ${img.data.length} values`);
  }
  const ink = inkOf(img);
  const W = img.width;
  const H = img.height;
  let x0 = W,
    y0 = H,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (ink[y * W + x] > 25) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) throw new Error('Nothing drawn yet: draw a digit on the canvas first');
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  // Area averaging: each target pixel is the mean of the source rectangle it covers.
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const sy0 = y0 + (ty * bh) / th;
    const sy1 = y0 + ((ty + 1) * bh) / th;
    for (let tx = 0; tx < tw; tx++) {
      const sx0 = x0 + (tx * bw) / tw;
      const sx1 = x0 + ((tx + 1) * bw) / tw;
      let sum = 0;
      let area = 0;
      for (let sy = Math.floor(sy0); sy < Math.ceil(sy1); sy++) {
        const fy = Math.min(sy + 1, sy1) - Math.max(sy, sy0);
        for (let sx = Math.floor(sx0); sx < Math.ceil(sx1); sx++) {
          const fx = Math.min(sx + 1, sx1) - Math.max(sx, sx0);
          sum += ink[sy * W + sx] * fx * fy;
          area += fx * fy;
        }
      }
      small[ty * tw + tx] = area > 0 ? sum / area : 0;
    }
  }
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  }
  cx /= mass;
  cy /= mass;
  const ox = Math.min(28 - tw, Math.max(0, Math.round(14 - cx)));
  const oy = Math.min(28 - th, Math.max(0, Math.round(14 - cy)));
  const out = new Uint8Array(28 * 28);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) out[(y + oy) * 28 + x + ox] = Math.min(255, Math.round(small[y * tw + x]));
  }
  return out;
}

/** Grey bytes → the nets' float input (pixel / 255, as the datasets are scaled). */
export function pixelsToInput(pixels: ArrayLike<number>): Float32Array {
  const x = new Float32Array(pixels.length);
  for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;
  return x;
}
