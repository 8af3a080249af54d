/**
 * Weight-only quantization: the weights are stored in fewer bits and
 * decoded back to float for the arithmetic (the article's "weight
 * quantization ... uses floating-point arithmetic").
 *
 * Linear min–max mapping, the article's formula:
 *   newValue = (oldValue − oldMin) · newRange / oldRange + newMin
 * with [newMin, newMax] = [qmin, qmax] (the integer range of `bits`) is the
 * affine map q = w / scale + zeroPoint with
 *   scale = oldRange / newRange = (oldMax − oldMin) / (qmax − qmin),
 *   zeroPoint = qmin − oldMin / scale   (rounded to an integer),
 * and decoding w ≈ scale · (q − zeroPoint). Asymmetric uses the observed
 * [min, max] (widened to include 0, so that 0 — every pruned weight — is
 * exact); symmetric uses [−max|w|, max|w|] with zeroPoint 0 and the
 * restricted range ±(2^(bits−1) − 1). Any width from 2 to 16 bits is packed
 * densely (INT11 included). Also fp16, ternary (TWN) and binary (BWN).
 */
import { roundToFloat16 } from '../model/fp16.ts';
import type { LinearEncoding, Model, TensorEncoding } from '../model/model.ts';
import { MIN_LINEAR_SCALE, dequantizeLinear, linearRange, quantizeLinear, roundHalfEven } from '../model/codecs.ts';
import type { Shape } from '../model/shapes.ts';
import type { OptionField, WeightTensor } from './common.ts';
import { channelAxis, checkInt, cloneModel, recordStep, setEncoding, weightTensors } from './common.ts';

export const label = 'Weight quantization';

export interface Options {
  /** 'linear' (2–16 bits), 'fp16', 'ternary' (TWN) or 'binary' (BWN). */
  mode: 'linear' | 'fp16' | 'ternary' | 'binary';
  /** Bits of a linear encoding, 2 to 16. */
  bits: number;
  /** Linear only: 'symmetric' (zero point 0, signed) or 'asymmetric' (min–max, unsigned with a zero point). */
  scheme: 'symmetric' | 'asymmetric';
  /** One scale per tensor or per output channel (linear, ternary, binary). */
  granularity: 'tensor' | 'channel';
  /** Also store biases this way (fp16 only; biases stay fp32 otherwise, as TFLite and Deep Compression keep them). */
  biases: boolean;
  /** Layer names; empty = every weighted layer. */
  layers: string[];
  /** false: leave the weights as they are (e.g. already shared) and only store the biases in fp16 (fp16 with biases). */
  weights: boolean;
}

export const defaultOptions: Options = { mode: 'linear', bits: 8, scheme: 'symmetric', granularity: 'channel', biases: false, layers: [], weights: true };

export const schema: readonly OptionField[] = [
  {
    name: 'mode',
    type: 'enum',
    values: ['linear', 'fp16', 'ternary', 'binary'],
    description: 'linear n-bit, fp16, ternary {−α,0,+α} (TWN) or binary {−α,+α} (BWN)',
  },
  { name: 'bits', type: 'integer', min: 2, max: 16, description: 'linear: bits per weight, packed densely (e.g. 8, 11, 4)' },
  {
    name: 'scheme',
    type: 'enum',
    values: ['symmetric', 'asymmetric'],
    description: 'linear: zero point 0 and ±max|w|, or the min–max range with a zero point',
  },
  { name: 'granularity', type: 'enum', values: ['tensor', 'channel'], description: 'one scale per tensor or per output channel' },
  { name: 'biases', type: 'boolean', description: 'fp16 mode: store biases in fp16 too' },
  { name: 'weights', type: 'boolean', description: 'fp16 mode: false leaves the weights (e.g. k-means shared) and stores only the biases in fp16' },
  { name: 'layers', type: 'list', description: 'layers to quantize (default: all weighted layers)' },
];

/** Calls fn(start, end, group) for each group of a tensor: the whole tensor, or each index along `axis`. */
export function forEachGroup(shape: Shape, axis: number | null, fn: (indices: (f: (i: number) => void) => void, group: number) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (axis === null) {
    fn((f) => {
      for (let i = 0; i < n; i++) f(i);
    }, 0);
    return;
  }
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const dim = shape[axis];
  for (let c = 0; c < dim; c++) {
    fn((f) => {
      for (let start = c * inner; start < n; start += dim * inner) for (let i = start; i < start + inner; i++) f(i);
    }, c);
  }
}

/**
 * The linear encoding of `values` by min–max mapping (see the module
 * comment). Scales are rounded to float32 and kept ≥ the smallest normal
 * float32, so an all-zero group gets a harmless scale of 1.
 */
export function fitLinear(values: Float32Array, shape: Shape, bits: number, scheme: Options['scheme'], axis: number | null): LinearEncoding {
  checkInt('linear quantization: bits', bits, 2, 16);
  const signed = scheme === 'symmetric';
  const { qmin, qmax } = linearRange(bits, signed);
  const scale: number[] = [];
  const zeroPoint: number[] = [];
  forEachGroup(shape, axis, (each) => {
    let lo = 0;
    let hi = 0; // both start at 0: the range always contains 0
    each((i) => {
      lo = Math.min(lo, values[i]);
      hi = Math.max(hi, values[i]);
    });
    let s: number;
    let zp: number;
    if (signed) {
      // Restricted range ±(2^(b−1) − 1): −2^(b−1) is left unused so that the grid is symmetric.
      s = Math.max(Math.abs(lo), Math.abs(hi)) / qmax;
      zp = 0;
    } else {
      s = (hi - lo) / (qmax - qmin);
      zp = s > 0 ? Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - lo / s))) : 0;
    }
    s = Math.fround(s);
    if (!(s >= MIN_LINEAR_SCALE)) s = 1;
    scale.push(s);
    zeroPoint.push(zp);
  });
  return { kind: 'linear', bits, signed, axis, scale, zeroPoint };
}

/** The values a linear encoding decodes to (quantize then dequantize). */
export function fakeQuantLinear(values: Float32Array, shape: Shape, enc: LinearEncoding): Float32Array {
  return dequantizeLinear(quantizeLinear(values, shape, enc), shape, enc);
}

/**
 * Ternary weights (TWN, Li & Liu 2016): per group Δ = 0.7 · mean|w|, the
 * weights with |w| > Δ become ±α with α = their mean |w|, the rest 0.
 */
export function ternarize(values: Float32Array, shape: Shape, axis: number | null): Float32Array {
  const out = new Float32Array(values.length);
  forEachGroup(shape, axis, (each) => {
    let sum = 0;
    let n = 0;
    each((i) => {
      sum += Math.abs(values[i]);
      n++;
    });
    const delta = (0.7 * sum) / Math.max(n, 1);
    let kept = 0;
    let keptSum = 0;
    each((i) => {
      if (Math.abs(values[i]) > delta) {
        kept++;
        keptSum += Math.abs(values[i]);
      }
    });
    const alpha = Math.fround(kept ? keptSum / kept : 0);
    each((i) => {
      const v = values[i];
      out[i] = Math.abs(v) > delta ? (v > 0 ? alpha : -alpha) : 0;
    });
  });
  return out;
}

/** Binary weights (BWN, Rastegari et al. 2016): per group α = mean|w|, w → α · sign(w) (sign(0) = +1). */
export function binarize(values: Float32Array, shape: Shape, axis: number | null): Float32Array {
  const out = new Float32Array(values.length);
  forEachGroup(shape, axis, (each) => {
    let sum = 0;
    let n = 0;
    each((i) => {
      sum += Math.abs(values[i]);
      n++;
    });
    const alpha = Math.fround(sum / Math.max(n, 1));
    each((i) => (out[i] = values[i] < 0 ? -alpha : alpha));
  });
  return out;
}

/**
 * Projects one tensor onto an encoding's grid: what the stored tensor will
 * decode to. Used by the pass and by quantization-aware fine-tuning
 * (straight-through estimator: forward with the projection, update the
 * float shadow). Linear keeps the encoding's scales; ternary/binary refit α.
 */
export function projectToEncoding(values: Float32Array, shape: Shape, enc: TensorEncoding): Float32Array {
  switch (enc.kind) {
    case 'linear':
      return fakeQuantLinear(values, shape, enc);
    case 'fp16':
      return values.map(roundToFloat16);
    case 'ternary':
      return ternarize(values, shape, enc.axis);
    case 'binary':
      return binarize(values, shape, enc.axis);
    case 'huffman':
      return projectToEncoding(values, shape, enc.of);
    default:
      return values.slice();
  }
}

function quantizeTensor(values: Float32Array, t: WeightTensor, o: Options): { values: Float32Array; encoding: TensorEncoding } {
  const axis = o.granularity === 'channel' ? channelAxis(t) : null;
  switch (o.mode) {
    case 'fp16':
      return { values: values.map(roundToFloat16), encoding: { kind: 'fp16' } };
    case 'ternary':
      return { values: ternarize(values, t.shape, axis), encoding: { kind: 'ternary', axis } };
    case 'binary':
      return { values: binarize(values, t.shape, axis), encoding: { kind: 'binary', axis } };
    case 'linear': {
      const enc = fitLinear(values, t.shape, o.bits, o.scheme, axis);
      return { values: fakeQuantLinear(values, t.shape, enc), encoding: enc };
    }
  }
}

/**
 * Quantizes the selected weight tensors: values become what they decode to,
 * encodings say how they are stored. Pruned weights stay exactly 0 under
 * linear and fp16 (0 is on every grid); ternary may zero more weights and
 * binary un-zeroes them (it has no 0), so masks are dropped for binary.
 */
export function quantize(model: Model, options: Partial<Options> = {}): Model {
  const o = { ...defaultOptions, ...options };
  if (!['linear', 'fp16', 'ternary', 'binary'].includes(o.mode)) throw new Error(`quantize: mode must be linear, fp16, ternary or binary, got '${o.mode}'`);
  if (o.mode === 'linear') checkInt('quantize: bits', o.bits, 2, 16);
  const out = cloneModel(model);
  for (const t of weightTensors(out, o.layers)) {
    if (o.weights !== false) {
      const r = quantizeTensor(out.weights[t.name], t, o);
      out.weights[t.name] = r.values;
      setEncoding(out, t.name, r.encoding);
      if (o.mode === 'binary' && out.masks) delete out.masks[t.name];
    }
    if (o.mode === 'fp16' && o.biases && t.layer.bias) {
      const b = `${t.layer.name}.bias`;
      out.weights[b] = out.weights[b].map(roundToFloat16);
      setEncoding(out, b, { kind: 'fp16' });
    }
  }
  recordStep(out, 'quantize', o);
  return out;
}
