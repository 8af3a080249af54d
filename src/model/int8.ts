/**
 * The integer-only int8 model (Jacob et al. 2018, TFLite's scheme) as plain,
 * structured-clone data, plus the arithmetic that builds its parameters.
 *
 * - Activations: int8, one scale and zero point per tensor (asymmetric),
 *   real = scale · (q − zeroPoint), zeroPoint ∈ [−128, 127].
 * - Weights: int8, one scale per output channel, symmetric (zero point 0,
 *   values in [−127, 127]); same layouts as the float weights.
 * - Biases: int32 at scale inScale · wScale[c], zero point 0.
 * - Each weighted op requantizes its int32 accumulators with a fixed-point
 *   multiplier and shift per channel (`quantizeMultiplier`) approximating
 *   inScale · wScale[c] / outScale; a fused ReLU is a clamp at the output
 *   zero point.
 * - Pooling runs on int8 directly and keeps its input's scale and zero point.
 * - sigmoid, tanh and leakyRelu are a 256-entry lookup table from input code
 *   to output code (`Int8LutOp`), computed once in float64 when the model is
 *   quantized, as integer-only runtimes do; the output tensor has its own
 *   scale and zero point. relu6 stays a clamp.
 *
 * Nothing here runs a network: the CPU integer reference is
 * src/cpu/quantized.ts, the GPU path src/gpu/plan-i8.ts; the calibration
 * pass that fills these records is src/compress/int8.ts.
 */
import type { ActivationLayer, Architecture, Conv2dLayer, DenseLayer, DepthwiseConv2dLayer, Pool2dLayer } from './layers.ts';
import type { Shape } from './shapes.ts';

/** Per-tensor affine quantization of an activation: real = scale · (q − zeroPoint). */
export interface QuantParams {
  scale: number;
  /** In [−128, 127]. */
  zeroPoint: number;
}

/** A real multiplier as an int32 Q31 fixed-point mantissa and a power-of-two exponent. */
export interface FixedPointMultiplier {
  /** In [2^30, 2^31 − 1], or 0 for a zero multiplier. */
  multiplier: number;
  /** real ≈ multiplier · 2^(shift − 31); positive = left shift. */
  shift: number;
}

/** A conv2d, depthwise conv2d (pointwise is a 1×1 conv2d) or dense layer in int8, with the ReLUs that follow it fused. */
export interface Int8WeightedOp {
  kind: 'conv2d' | 'depthwiseConv2d' | 'dense';
  layer: Conv2dLayer | DepthwiseConv2dLayer | DenseLayer;
  /** Model layers this op computes: the weighted layer, then fused relu/flatten layers. */
  layers: string[];
  /**
   * Per-image shape of the input tensor as it is stored: `[H, W, C]` for a
   * spatial tensor (a dense layer after flatten keeps its producer's shape,
   * flatten being a free reshape), `[n]` for a flat one.
   */
  inShape: Shape;
  outShape: Shape;
  input: QuantParams;
  output: QuantParams;
  /** Same layout as the float weight (conv `[oc, kh, kw, c]`, depthwise `[kh, kw, C·M]`, dense `[out, in]`). */
  weight: Int8Array;
  /** Per output channel. */
  weightScale: Float64Array;
  /** Per output channel, at scale input.scale · weightScale[c] (zeros when the layer has no bias). */
  bias: Int32Array;
  /** Per output channel: quantizeMultiplier(input.scale · weightScale[c] / output.scale). */
  multiplier: Int32Array;
  shift: Int32Array;
  /** Clamp the output at output.zeroPoint (a fused ReLU). */
  relu: boolean;
}

/** Max or average pooling on int8; the output keeps the input's quantization. */
export interface Int8PoolOp {
  kind: 'maxPool2d' | 'avgPool2d';
  layer: Pool2dLayer;
  layers: string[];
  inShape: Shape;
  outShape: Shape;
  quant: QuantParams;
  relu: boolean;
}

/**
 * An element-wise function (sigmoid, tanh, leakyRelu) as a lookup table:
 * output code = `table[q + 128]` for input code q, i.e.
 * clamp(roundHalfEven(f(input.scale · (q − input.zeroPoint)) / output.scale) + output.zeroPoint, −128, 127)
 * with f in float64 (a ReLU or relu6 after it is folded in: f is then the
 * clamped function, and `output` its range). Its own op rather than fused
 * into its producer: see `quantizeInt8Model`.
 */
export interface Int8LutOp {
  kind: 'lut';
  layer: ActivationLayer;
  /** The activation layer, then the ReLU/relu6 layers folded into the table and flatten layers after it. */
  layers: string[];
  /** Stored shape of the tensor (the same in and out: the table is element-wise). */
  inShape: Shape;
  outShape: Shape;
  input: QuantParams;
  output: QuantParams;
  /** 256 output codes, indexed by input code + 128. */
  table: Int8Array;
}

export type Int8Op = Int8WeightedOp | Int8PoolOp | Int8LutOp;

/** An integer-only int8 model: quantize the float input, run `ops`, dequantize the last tensor (the logits). */
export interface Int8Model {
  architecture: Architecture;
  /** Quantization of the float model input; a ReLU as the first layer becomes `inputRelu`. */
  input: QuantParams;
  inputRelu: boolean;
  ops: Int8Op[];
  /** Quantization of the last tensor (dequantized into float logits). */
  output: QuantParams;
  outputShape: Shape;
  /** How the activation ranges were calibrated, for display and provenance. */
  calibration: { method: 'minmax' | 'percentile'; percentile?: number; images: number };
}

export const INT8_MIN = -128;
export const INT8_MAX = 127;
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/**
 * TFLite's QuantizeMultiplier: `real` as multiplier · 2^(shift − 31) with
 * multiplier a Q31 mantissa in [2^30, 2^31). Zero gives {0, 0}; a multiplier
 * below 2^-31 is flushed to zero as TFLite does (it would round to nothing).
 * Throws for negative, non-finite or ≥ 2^31 inputs: a shift above 30 cannot
 * be applied to an int32 accumulator without overflow.
 */
export function quantizeMultiplier(real: number): FixedPointMultiplier {
  if (!Number.isFinite(real) || real < 0) throw new Error(`quantizeMultiplier: real multiplier must be finite and ≥ 0, got ${real}`);
  if (real === 0) return { multiplier: 0, shift: 0 };
  // frexp: real = q · 2^shift with q in [0.5, 1).
  let shift = Math.floor(Math.log2(real)) + 1;
  let q = real / 2 ** shift;
  // log2 can be off by one at exact powers of two and near them.
  while (q >= 1) {
    q /= 2;
    shift++;
  }
  while (q < 0.5) {
    q *= 2;
    shift--;
  }
  let fixed = Math.round(q * 2 ** 31);
  if (fixed === 2 ** 31) {
    fixed /= 2;
    shift++;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) throw new Error(`quantizeMultiplier: real multiplier ${real} is too large (shift ${shift} > 30)`);
  return { multiplier: fixed, shift };
}

/**
 * Scale and zero point covering [min, max] with int8 (the range is widened to
 * include 0, so that real 0 — padding, ReLU's floor — is exactly a code).
 */
export function activationQuant(min: number, max: number): QuantParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`activationQuant: range [${min}, ${max}] is not finite`);
  const scale = hi > lo ? (hi - lo) / (INT8_MAX - INT8_MIN) : 1;
  const zp = Math.round(INT8_MIN - lo / scale);
  // `| 0` turns Math.round's −0 into 0 (a zero point is an integer code).
  return { scale, zeroPoint: Math.min(INT8_MAX, Math.max(INT8_MIN, zp)) | 0 };
}

/**
 * 1/scale rounded to float32: the quantize kernels (CPU and GPU) multiply by
 * this instead of dividing (WGSL's f32 division is not correctly rounded,
 * multiplication is), so both compute the very same float.
 */
export function inverseScaleF32(q: QuantParams): number {
  return Math.fround(1 / q.scale);
}

/** Number of u32 words one pixel of `c` int8 channels occupies when packed 4 per word. */
export function packedWords(c: number): number {
  return Math.ceil(c / 4);
}
