/**
 * Lowering of an `Int8Model` to int8 GPU kernel steps: quantize the float
 * input (folded into the first layer when that is a dense layer over a
 * multiple of 4 values), one kernel per int8 op (dense and pointwise layers run through
 * conv2d-i8; ReLUs are already fused into the ops as clamps, flatten is
 * free; sigmoid, tanh and leakyRelu tables run lut-i8), dequantize the logits. Pure: host-side weight packing and plan
 * data, no device, so it can be inspected and tested without a GPU.
 *
 * Every int8 tensor is NHWC packed 4 channels per u32 word; a tensor's size
 * below is in 4-byte elements per image (u32 words, or floats for the two
 * float boundary tensors).
 */
import type { Conv2dLayer, DepthwiseConv2dLayer, Pool2dLayer } from '../model/layers.ts';
import type { Int8LutOp, Int8Model, Int8Op, Int8PoolOp, Int8WeightedOp } from '../model/int8.ts';
import { inverseScaleF32 } from '../model/int8.ts';
import type { Shape } from '../model/shapes.ts';
import { convGeometry, sizeOf } from '../model/shapes.ts';
import type { I8KernelName } from './registry-i8.ts';
import type { Conv2dI8Params, I8Tiling } from './kernels/conv2d-i8.ts';
import { canFusePoolI8, DEFAULT_I8_TILING, i8Mac, packConvWeightI8, packQuantI8, padDenseWeightI8 } from './kernels/conv2d-i8.ts';
import type { DepthwiseConv2dI8Params } from './kernels/depthwise-conv2d-i8.ts';
import { packDepthwiseWeightI8 } from './kernels/depthwise-conv2d-i8.ts';
import type { DequantizeI8Params } from './kernels/dequantize-i8.ts';
import type { LutI8Params } from './kernels/lut-i8.ts';
import { packLutI8 } from './kernels/lut-i8.ts';
import type { Pool2dI8Params } from './kernels/pool2d-i8.ts';
import { poolPadParams } from './kernels/pool2d.ts';
import type { QuantizeI8Params } from './kernels/quantize-i8.ts';
import type { PreprocessParams } from './kernels/preprocess.ts';
import { depthMultiplier, hasPreprocess } from '../model/layers.ts';
import type { DotVariant } from './kernels/int8-common.ts';
import type { Step, Unbatched } from './step.ts';

/** One int8 kernel launch ('quantize' / 'dequantize' name the boundary steps' layers). */
export interface I8PlanStep extends Step<I8KernelName | 'preprocess'> {
  params:
    | Unbatched<PreprocessParams>
    | Unbatched<Conv2dI8Params>
    | Unbatched<DepthwiseConv2dI8Params>
    | Unbatched<Pool2dI8Params>
    | Unbatched<LutI8Params>
    | Unbatched<QuantizeI8Params>
    | Unbatched<DequantizeI8Params>;
  /** Host data for the 'weight' binding (packed int8 words). */
  weight?: Uint32Array;
  /** Host data for the 'bias' binding: per channel (folded bias, multiplier, shift, 0). */
  bias?: Int32Array;
  alternative?: undefined;
}

export interface I8Plan {
  steps: I8PlanStep[];
  /** 4-byte elements per image of each tensor, by id (0 = the float input). */
  tensorSizes: number[];
  /** Tensor holding the last int8 codes (the quantized logits). */
  codes: number;
  /** Pixels and channels of the codes tensor (to unpack it). */
  codesPixels: number;
  codesChannels: number;
  /** Float logits tensor. */
  output: number;
  /** Floats per image of the output. */
  classes: number;
  /** Floats per image of the input. */
  inputSize: number;
}

export interface I8PlanOptions {
  tiling?: I8Tiling;
  /** Fuse a max or average pool into the conv before it (default true). */
  fusePool?: boolean;
  /** Row packing (4 taps per word) of a first conv with one input channel (default true). */
  slide?: boolean;
  /** Quantize the float input inside a dense first layer instead of a quantize-i8 pass (default true). */
  foldQuantize?: boolean;
  /**
   * Dense steps (conv2d-i8 over a 1×1 image: rows are images): these fields
   * replace the tiling's. The latency plan sets one image per thread. The MAC
   * formulation stays the tiling's, so the weights pack the same.
   */
  denseTiling?: Pick<I8Tiling, 'wg' | 'tm' | 'tn4'>;
  /** Dot-product form of every step (code constant DOT4); default the kernels' 'shift'. */
  dot?: DotVariant;
}

/** (pixels, channels) of a stored NHWC shape: `[H, W, C]` or flat `[n]`. */
export function pixelsAndChannels(shape: Shape): [number, number] {
  const c = shape[shape.length - 1];
  return [sizeOf(shape) / c, c];
}

/**
 * A max or average pool that conv2d-i8 can take into its epilogue: directly
 * after a conv (not dense/depthwise), a window of 1/2/4/8 pixels, and the
 * pool keeps the conv's quantization (it always does: pooling codes needs no
 * rescale).
 */
function fusablePool(op: Int8WeightedOp, next: Int8Op | undefined): next is Int8PoolOp {
  return (
    op.kind === 'conv2d' &&
    (next?.kind === 'maxPool2d' || next?.kind === 'avgPool2d') &&
    !next.layer.padding &&
    canFusePoolI8(next.layer.window[0], next.layer.window[1]) &&
    next.quant.zeroPoint === op.output.zeroPoint &&
    next.quant.scale === op.output.scale
  );
}

/** A depthwise conv step (per-channel weights; no pool fused). */
function depthwiseStep(op: Int8WeightedOp, input: number, output: number): I8PlanStep {
  const inZp = op.input.zeroPoint;
  const outZp = op.output.zeroPoint;
  const layer = op.layer as DepthwiseConv2dLayer;
  // c: output channels (input channels × the multiplier), the weight's and the qb's channel count.
  const m = depthMultiplier(layer);
  const c = op.inShape[2] * m;
  const [kh, kw] = layer.kernel;
  const taps = kh * kw;
  const params: Unbatched<DepthwiseConv2dI8Params> = {
    ...convGeometry(layer, op.inShape, op.outShape),
    ...(m > 1 ? { m } : {}),
    inZp,
    outZp,
    relu: op.relu,
  };
  const sum = (ch: number): number => {
    let s = 0;
    for (let t = 0; t < taps; t++) s += op.weight[t * c + ch];
    return s;
  };
  return {
    kernel: 'depthwise-conv2d-i8',
    params,
    layers: op.layers,
    input,
    output,
    weight: packDepthwiseWeightI8(op.weight, taps, c),
    bias: packQuantI8(c, op.bias, op.multiplier, op.shift, inZp, sum),
    macs: op.outShape[0] * op.outShape[1] * c * taps,
  };
}

/** The pool a conv step applies to its own output tile. */
function fusedPool(pool: Int8PoolOp): NonNullable<Conv2dI8Params['pool']> {
  return {
    winH: pool.layer.window[0],
    winW: pool.layer.window[1],
    sh: pool.layer.stride[0],
    sw: pool.layer.stride[1],
    oh: pool.outShape[0],
    ow: pool.outShape[1],
    ...(pool.kind === 'avgPool2d' ? { avg: true, relu: pool.relu } : {}),
  };
}

function weightedStep(
  op: Int8WeightedOp,
  tiling: I8Tiling,
  input: number,
  output: number,
  pool?: Int8PoolOp,
  slide = false,
  inShape: Shape = op.inShape,
  floatInput?: Conv2dI8Params['floatInput'],
): I8PlanStep {
  const inZp = op.input.zeroPoint;
  const outZp = op.output.zeroPoint;
  if (op.kind === 'depthwiseConv2d') return depthwiseStep(op, input, output);
  const oc = op.multiplier.length;
  const k = op.weight.length / oc;
  const sum = (o: number): number => {
    let s = 0;
    for (let i = o * k; i < (o + 1) * k; i++) s += op.weight[i];
    return s;
  };
  const bias = packQuantI8(oc, op.bias, op.multiplier, op.shift, inZp, sum);
  const symmetricWeights = !op.weight.includes(-128);
  if (op.kind === 'dense') {
    const { weight, c } = padDenseWeightI8(op.weight, oc, inShape);
    const params: Unbatched<Conv2dI8Params> = {
      ...{ h: 1, w: 1, c, oc, kh: 1, kw: 1, sh: 1, sw: 1, padT: 0, padL: 0, oh: 1, ow: 1 },
      ...{ inZp, outZp, relu: op.relu, tiling, symmetricWeights },
      ...(floatInput ? { floatInput } : {}),
    };
    return {
      kernel: 'conv2d-i8',
      params,
      layers: op.layers,
      input,
      output,
      weight: packConvWeightI8(weight, oc, 1, 1, c, i8Mac({ ...params, batch: 1 })),
      bias,
      macs: oc * k,
    };
  }
  const g = convGeometry(op.layer as Conv2dLayer, op.inShape, op.outShape);
  const { c, kh, kw, oh, ow } = g;
  const params: Unbatched<Conv2dI8Params> = {
    ...g,
    oc,
    inZp,
    outZp,
    // The pool keeps the conv's zero point, so a ReLU on either side of a max pool is the same clamp (not so for an average).
    relu: op.relu || (pool?.kind === 'maxPool2d' && pool.relu),
    tiling,
    symmetricWeights,
    ...(pool ? { pool: fusedPool(pool) } : {}),
    ...(slide ? { slide: true } : {}),
  };
  const layers = pool ? [...op.layers, ...pool.layers] : op.layers;
  return {
    kernel: 'conv2d-i8',
    params,
    layers,
    input,
    output,
    weight: packConvWeightI8(op.weight, oc, kh, kw, c, i8Mac({ ...params, batch: 1 }), slide),
    bias,
    macs: oh * ow * oc * kh * kw * c,
  };
}

/** A lookup-table step: every code of the tensor through the op's table (packed words in, packed words out). */
function lutStep(op: Int8LutOp, input: number, output: number): I8PlanStep {
  const [pixels, c] = pixelsAndChannels(op.inShape);
  const params: Unbatched<LutI8Params> = { pixels, c, zeroPoint: op.output.zeroPoint };
  return { kernel: 'lut-i8', params, layers: op.layers, input, output, data: { table: packLutI8(op.table) }, macs: 0 };
}

/** A dense step: conv2d-i8 over a 1×1 image, whose rows are images. */
export function isDenseI8(s: I8PlanStep): boolean {
  const p = s.params as Partial<Conv2dI8Params>;
  return s.kernel === 'conv2d-i8' && p.h === 1 && p.w === 1 && p.tiling !== undefined;
}

/**
 * The steps before the first integer op: the model's input map in f32 (the
 * float step the fp32 plan runs first), then the quantization of the floats
 * unless the first op forms its own codes (`quantizeAs` null). Returns the
 * tensor the first op reads.
 */
function inputSteps(model: Int8Model, steps: I8PlanStep[], newTensor: (size: number) => number, quantizeAs: [number, number] | null): number {
  const pre = model.architecture.preprocess;
  const inSize = sizeOf(model.architecture.inputShape as Shape);
  let cur = 0;
  if (hasPreprocess(pre)) {
    cur = newTensor(inSize);
    steps.push({
      kernel: 'preprocess',
      params: { size: inSize, scale: pre.scale, offset: pre.offset },
      layers: ['preprocess'],
      input: 0,
      output: cur,
      macs: 0,
    });
  }
  if (quantizeAs) {
    const [pixels, c] = quantizeAs;
    const floats = cur;
    cur = newTensor(pixels * Math.ceil(c / 4));
    const quantize: Unbatched<QuantizeI8Params> = {
      pixels,
      c,
      invScale: inverseScaleF32(model.input),
      zeroPoint: model.input.zeroPoint,
      relu: model.inputRelu,
    };
    steps.push({ kernel: 'quantize-i8', params: quantize, layers: ['quantize'], input: floats, output: cur, macs: 0 });
  }
  return cur;
}

/** Lower `model` to int8 kernel steps. */
export function planInt8(model: Int8Model, options: I8PlanOptions = {}): I8Plan {
  const tiling = options.tiling ?? DEFAULT_I8_TILING;
  const inShape = model.architecture.inputShape as Shape;
  const tensorSizes = [sizeOf(inShape)];
  const words = (shape: Shape): number => {
    const [pixels, c] = pixelsAndChannels(shape);
    return pixels * Math.ceil(c / 4);
  };
  const newTensor = (size: number): number => tensorSizes.push(size) - 1;
  const steps: I8PlanStep[] = [];
  // A dense first layer reads the image as one flat vector: packed 4 values per
  // word in NHWC flatten order (= the dense weight's column order), not one
  // word per pixel, which for a 1-channel image would be 3/4 padding (4× the K).
  // A first conv on a one-channel image reads it packed along rows, 4 pixels
  // per word (conv2d-i8.wgsl, SLIDE), so it gets 4 taps per word.
  const first = model.ops[0];
  const flatInput = first?.kind === 'dense';
  const slide = (options.slide ?? true) && first?.kind === 'conv2d' && inShape.length === 3 && inShape[2] === 1;
  const storedIn: Shape = flatInput ? [sizeOf(inShape)] : inShape;
  const [inPixels, inC] = slide ? [inShape[0], inShape[1]] : pixelsAndChannels(storedIn);
  // A dense first layer over whole vec4s of floats quantizes its own input
  // (conv2d-i8 FLOATIN): one pass over the batch fewer, and the codes are
  // formed where they are used.
  const firstQuant = (first as Int8WeightedOp | undefined)?.input;
  const fold =
    (options.foldQuantize ?? true) && flatInput && inC % 4 === 0 && firstQuant?.scale === model.input.scale && firstQuant?.zeroPoint === model.input.zeroPoint;
  const floatInput = fold ? { invScale: inverseScaleF32(model.input), relu: model.inputRelu } : undefined;
  let cur = inputSteps(model, steps, newTensor, fold ? null : [inPixels, inC]);
  let curShape = storedIn;
  for (let i = 0; i < model.ops.length; i++) {
    const op = model.ops[i];
    if (op.kind === 'lut') {
      const out = newTensor(words(op.outShape));
      steps.push(lutStep(op, cur, out));
      cur = out;
      curShape = op.outShape;
      continue;
    }
    if (op.kind !== 'maxPool2d' && op.kind !== 'avgPool2d') {
      const next = model.ops[i + 1];
      const pool = (options.fusePool ?? true) && fusablePool(op as Int8WeightedOp, next) ? (next as Int8PoolOp) : undefined;
      const outShape = pool ? pool.outShape : op.outShape;
      const out = newTensor(words(outShape));
      const firstOp = i === 0;
      steps.push(
        weightedStep(
          op as Int8WeightedOp,
          tiling,
          cur,
          out,
          pool,
          firstOp && slide,
          firstOp && flatInput ? storedIn : (op as Int8WeightedOp).inShape,
          firstOp ? floatInput : undefined,
        ),
      );
      if (pool) i++;
      cur = out;
      curShape = outShape;
      continue;
    }
    const out = newTensor(words(op.outShape));
    {
      const layer: Pool2dLayer = op.layer;
      const [h, w, c] = op.inShape;
      const params: Unbatched<Pool2dI8Params> = {
        h,
        w,
        c,
        oh: op.outShape[0],
        ow: op.outShape[1],
        winH: layer.window[0],
        winW: layer.window[1],
        sh: layer.stride[0],
        sw: layer.stride[1],
        mode: op.kind === 'maxPool2d' ? 'max' : 'avg',
        zeroPoint: op.quant.zeroPoint,
        relu: op.relu,
        ...poolPadParams(layer),
      };
      steps.push({ kernel: 'pool2d-i8', params, layers: op.layers, input: cur, output: out, macs: 0 });
    }
    cur = out;
    curShape = op.outShape;
  }
  const [pixels, c] = pixelsAndChannels(curShape);
  const output = newTensor(pixels * c);
  const dequantize: Unbatched<DequantizeI8Params> = { pixels, c, scale: Math.fround(model.output.scale), zeroPoint: model.output.zeroPoint };
  steps.push({ kernel: 'dequantize-i8', params: dequantize, layers: ['dequantize'], input: cur, output, macs: 0 });
  for (const s of steps) {
    if (options.denseTiling && isDenseI8(s)) s.params = { ...s.params, tiling: { ...(s.params as Conv2dI8Params).tiling, ...options.denseTiling } };
    if (options.dot) s.params = { ...s.params, dot: options.dot };
  }
  return { steps, tensorSizes, codes: cur, codesPixels: pixels, codesChannels: c, output, classes: pixels * c, inputSize: sizeOf(inShape) };
}
