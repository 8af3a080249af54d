/**
 * CPU integer reference of the int8 inference path: the oracle the int8 GPU
 * kernels must match bit for bit. Plain loops over unpacked, natural-layout
 * NHWC `Int8Array`s (the GPU packs 4 channels per u32; this deliberately does
 * not, so a packing bug cannot hide in both).
 *
 * Fixed-point requantization follows gemmlowp / TFLite exactly:
 * MultiplyByQuantizedMultiplier = RoundingDivideByPOT(
 *   SaturatingRoundingDoublingHighMul(x · 2^left, multiplier), right).
 * JS numbers hold 53 bits, not 64, so the 32×32→64 product is split into
 * 16-bit halves (a different split from the WGSL one, on purpose); the tests
 * pin it against BigInt.
 */
import type { Int8LutOp, Int8Model, Int8Op, Int8WeightedOp, QuantParams } from '../model/int8.ts';
import { INT32_MAX, INT32_MIN, INT8_MAX, INT8_MIN, inverseScaleF32 } from '../model/int8.ts';
import { roundHalfEven } from '../model/codecs.ts';
import type { Shape } from '../model/shapes.ts';
import { applyPreprocess } from '../model/layers.ts';
import { sizeOf } from '../model/shapes.ts';
import type { ConvGeometry } from './conv2d.ts';
import { convGeometry } from './conv2d.ts';
import type { PoolGeometry } from './pool2d.ts';
import { poolCount, poolGeometry, poolWindow } from './pool2d.ts';

const TWO31 = 2 ** 31;

/**
 * gemmlowp SaturatingRoundingDoublingHighMul: the high 32 bits of 2·a·b,
 * rounded half away from zero ((a·b + nudge) / 2^31 truncated toward zero,
 * nudge = 2^30 or 1 − 2^30 by the product's sign); a = b = −2^31 saturates.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const neg = a < 0 !== b < 0;
  const A = Math.abs(a);
  const B = Math.abs(b);
  // |a·b| + nudge, then floor(· / 2^31); for a negative product truncation toward zero is −floor(|p| − nudge … ).
  const add = neg ? 2 ** 30 - 1 : 2 ** 30;
  const ah = Math.floor(A / 65536);
  const al = A - ah * 65536;
  const x = ah * B; // < 2^47: exact
  const xq = Math.floor(x / 32768);
  const xr = x - xq * 32768;
  // |a·b| + add = xq·2^31 + (xr·2^16 + al·B + add), the bracket < 2^48: exact.
  const z = xr * 65536 + al * B + add;
  const r = xq + Math.floor(z / TWO31);
  return (neg ? -r : r) | 0;
}

/** gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero (0 ≤ exponent ≤ 31). */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = exponent >= 31 ? 0x7fffffff : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite MultiplyByQuantizedMultiplier; the left shift wraps as int32 (as the GPU's i32 shift does). */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x << left, multiplier), right);
}

/** int32 accumulator → int8: outZp + M·acc, clamped to [lo, 127] (lo = outZp for a fused ReLU, else −128). */
export function requantize(acc: number, multiplier: number, shift: number, outZp: number, lo: number): number {
  const v = (outZp + multiplyByQuantizedMultiplier(acc, multiplier, shift)) | 0;
  return v < lo ? lo : v > INT8_MAX ? INT8_MAX : v;
}

/** Lower clamp of an output: its zero point under a fused ReLU, else −128. */
export function clampLow(zeroPoint: number, relu: boolean): number {
  return relu ? Math.max(zeroPoint, INT8_MIN) : INT8_MIN;
}

/** f32 → int8: clamp(roundHalfEven(fround(x · fround(1/scale))) + zp); the float product is the one the GPU forms. */
export function quantizeInt8(x: Float32Array, q: QuantParams, relu = false): Int8Array {
  const inv = inverseScaleF32(q);
  const lo = clampLow(q.zeroPoint, relu);
  const out = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = roundHalfEven(Math.fround(x[i] * inv)) + q.zeroPoint;
    out[i] = v < lo ? lo : v > INT8_MAX ? INT8_MAX : v;
  }
  return out;
}

/** int8 → f32: fround(fround(scale) · (q − zp)). */
export function dequantizeInt8(q: Int8Array, p: QuantParams): Float32Array {
  const s = Math.fround(p.scale);
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = Math.fround(s * (q[i] - p.zeroPoint));
  return out;
}

/** Requantization of one weighted op: zero points, per-channel int32 bias, multiplier and shift, fused ReLU. */
export interface Int8Requant {
  inZp: number;
  outZp: number;
  bias: Int32Array;
  multiplier: Int32Array;
  shift: Int32Array;
  relu: boolean;
}

/** y[n,oy,ox,o] = requant(bias[o] + Σ (x − inZp)·w[o,ky,kx,c]); padding taps are real 0, so contribute nothing. */
export function conv2dInt8(g: ConvGeometry, x: Int8Array, w: Int8Array, rq: Int8Requant, y: Int8Array): void {
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const lo = clampLow(rq.outZp, rq.relu);
  const filter = kH * kW * inC;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * outC;
        for (let o = 0; o < outC; o++) {
          let acc = rq.bias[o];
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ox * strideW - padLeft + kx;
              if (ix < 0 || ix >= inW) continue;
              const xBase = ((n * inH + iy) * inW + ix) * inC;
              const wBase = o * filter + (ky * kW + kx) * inC;
              for (let c = 0; c < inC; c++) acc += (x[xBase + c] - rq.inZp) * w[wBase + c];
            }
          }
          y[yBase + o] = requantize(acc, rq.multiplier[o], rq.shift[o], rq.outZp, lo);
        }
      }
    }
  }
}

/** Depthwise with multiplier M = outC / inC: output channel o sees only input channel ⌊o / M⌋; weight `[kH, kW, C·M]`. */
export function depthwiseConv2dInt8(g: ConvGeometry, x: Int8Array, w: Int8Array, rq: Int8Requant, y: Int8Array): void {
  const { batch, inH, inW, inC: C, outC: CM, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const M = CM / C;
  const lo = clampLow(rq.outZp, rq.relu);
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * CM;
        for (let o = 0; o < CM; o++) {
          const c = Math.floor(o / M);
          let acc = rq.bias[o];
          for (let ky = 0; ky < kH; ky++) {
            const iy = oy * strideH - padTop + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ox * strideW - padLeft + kx;
              if (ix < 0 || ix >= inW) continue;
              acc += (x[((n * inH + iy) * inW + ix) * C + c] - rq.inZp) * w[(ky * kW + kx) * CM + o];
            }
          }
          y[yBase + o] = requantize(acc, rq.multiplier[o], rq.shift[o], rq.outZp, lo);
        }
      }
    }
  }
}

/** y[n, o] = requant(bias[o] + Σ_i (x[n, i] − inZp) · W[o, i]). */
export function denseInt8(batch: number, inSize: number, units: number, x: Int8Array, w: Int8Array, rq: Int8Requant, y: Int8Array): void {
  const lo = clampLow(rq.outZp, rq.relu);
  for (let n = 0; n < batch; n++) {
    const xBase = n * inSize;
    for (let o = 0; o < units; o++) {
      const wBase = o * inSize;
      let acc = rq.bias[o];
      for (let i = 0; i < inSize; i++) acc += (x[xBase + i] - rq.inZp) * w[wBase + i];
      y[n * units + o] = requantize(acc, rq.multiplier[o], rq.shift[o], rq.outZp, lo);
    }
  }
}

/** Max of the codes over each window's in-image taps (padded taps are no input), then the ReLU clamp `lo`. */
export function maxPool2dInt8(g: PoolGeometry, x: Int8Array, lo: number, y: Int8Array): void {
  const { batch, inH, inW, c, outH, outW } = g;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * c;
        const { y0, y1, x0, x1 } = poolWindow(g, oy, ox);
        for (let ch = 0; ch < c; ch++) {
          let m = lo;
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) m = Math.max(m, x[((n * inH + iy) * inW + ix) * c + ch]);
          y[yBase + ch] = m;
        }
      }
    }
  }
}

/**
 * Mean of the codes over each window, rounded half away from zero in
 * integers as TFLite does ((sum ± ⌊count/2⌋) / count truncated), then the
 * ReLU clamp. Same scale and zero point in and out, so averaging codes is
 * averaging values. With `includePad` a padded tap is real 0, the code `zp`;
 * else the count is the window's in-image taps.
 */
export function avgPool2dInt8(g: PoolGeometry, x: Int8Array, lo: number, y: Int8Array, zp = 0): void {
  const { batch, inH, inW, c, outH, outW } = g;
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const yBase = ((n * outH + oy) * outW + ox) * c;
        const { y0, y1, x0, x1 } = poolWindow(g, oy, ox);
        const count = poolCount(g, oy, ox);
        const padded = count - (y1 - y0) * (x1 - x0);
        const half = Math.floor(count / 2);
        for (let ch = 0; ch < c; ch++) {
          let sum = padded * zp;
          for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) sum += x[((n * inH + iy) * inW + ix) * c + ch];
          const avg = Math.trunc(sum > 0 ? (sum + half) / count : (sum - half) / count);
          y[yBase + ch] = Math.min(INT8_MAX, Math.max(lo, avg));
        }
      }
    }
  }
}

/** y[i] = table[x[i] + 128]: an element-wise function as a 256-entry table of output codes (Int8LutOp). */
export function lutInt8(x: Int8Array, table: Int8Array, y: Int8Array): void {
  if (table.length !== 256) throw new Error(`int8 lookup table: ${table.length} entries, expected 256`);
  for (let i = 0; i < x.length; i++) y[i] = table[x[i] - INT8_MIN];
}

function requantOf(op: Int8WeightedOp): Int8Requant {
  return { inZp: op.input.zeroPoint, outZp: op.output.zeroPoint, bias: op.bias, multiplier: op.multiplier, shift: op.shift, relu: op.relu };
}

/** One int8 op on `batch` images (natural NHWC layout); returns a fresh output. */
export function int8OpForward(op: Int8Op, x: Int8Array, batch: number): Int8Array {
  const inSize = sizeOf(op.inShape);
  if (x.length !== batch * inSize) {
    throw new Error(
      `int8 op '${op.layers[0]}' (${op.kind}): input has ${x.length} values, expected ${batch * inSize} (batch ${batch} × [${op.inShape.join(', ')}])`,
    );
  }
  const y = new Int8Array(batch * sizeOf(op.outShape));
  switch (op.kind) {
    case 'conv2d':
      conv2dInt8(convGeometry(op.layer as Parameters<typeof convGeometry>[0], op.inShape, batch), x, op.weight, requantOf(op), y);
      break;
    case 'depthwiseConv2d':
      depthwiseConv2dInt8(convGeometry(op.layer as Parameters<typeof convGeometry>[0], op.inShape, batch), x, op.weight, requantOf(op), y);
      break;
    case 'dense':
      denseInt8(batch, inSize, sizeOf(op.outShape), x, op.weight, requantOf(op), y);
      break;
    case 'maxPool2d':
      maxPool2dInt8(poolGeometry(op.layer, op.inShape, batch), x, clampLow(op.quant.zeroPoint, op.relu), y);
      break;
    case 'avgPool2d':
      avgPool2dInt8(poolGeometry(op.layer, op.inShape, batch), x, clampLow(op.quant.zeroPoint, op.relu), y, op.quant.zeroPoint);
      break;
    case 'lut':
      lutInt8(x, (op as Int8LutOp).table, y);
      break;
    default: {
      const never: never = op;
      throw new Error(`int8: unknown op kind ${JSON.stringify((never as Int8WeightedOp).kind)}`);
    }
  }
  return y;
}

/** Result of the integer reference on a whole model. */
export interface Int8ForwardResult {
  /** int8 codes of every tensor: [0] the quantized input, then one per op (the last is the logits' codes). */
  tensors: Int8Array[];
  /** Dequantized logits `[batch, classes]`. */
  logits: Float32Array;
}

/** The whole int8 model on `batch` float images (NHWC): quantize, integer ops, dequantize. */
export function int8ModelForward(model: Int8Model, input: Float32Array, batch: number): Int8ForwardResult {
  const inSize = sizeOf(model.architecture.inputShape as Shape);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`int8 model '${model.architecture.name}': batch must be a positive integer, got ${batch}`);
  if (input.length !== batch * inSize) {
    throw new Error(`int8 model '${model.architecture.name}': input has ${input.length} values, expected ${batch * inSize}`);
  }
  let cur = quantizeInt8(applyPreprocess(model.architecture.preprocess, input), model.input, model.inputRelu);
  const tensors = [cur];
  for (const op of model.ops) {
    cur = int8OpForward(op, cur, batch);
    tensors.push(cur);
  }
  return { tensors, logits: dequantizeInt8(cur, model.output) };
}
