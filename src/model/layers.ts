/**
 * Layer descriptions: plain, structured-clone data that the CPU reference,
 * the GPU executor, the accounting and the model file all read.
 *
 * Tensor layouts (fixed across the whole lab, so kernels and references agree):
 * - activations: NHWC, one image is `[H, W, C]`, channels contiguous (so four
 *   int8 channels pack into one u32 for `dot4I8Packed`);
 * - conv2d weight: `[outC, kH, kW, inC]` (one filter contiguous);
 * - depthwiseConv2d weight: `[kH, kW, C·M]` (M the channel multiplier; output
 *   channel o = c·M + m reads input channel c = ⌊o / M⌋, TF's `[kH, kW, C, M]`);
 * - dense weight: `[out, in]` (one neuron's row contiguous, which makes
 *   structured pruning of a neuron the removal of one row);
 * - biases: `[outC]` / `[out]`;
 * - flatten keeps NHWC order: index = (h * W + w) * C + c.
 */

/** Zero rows/columns added on each side of the input, as PyTorch/ONNX models state them (each < the kernel along its axis). */
export interface ExplicitPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Padding of a convolution. `same` pads so that out = ceil(in / stride) (the
 * odd pixel after); explicit pads give out = floor((in + before + after − k) / s) + 1.
 */
export type Padding = 'valid' | 'same' | ExplicitPadding;

interface LayerBase {
  /** Unique within a model; weight tensors are named `${name}.weight` and `${name}.bias`. */
  name: string;
}

/** 2-D convolution with `filters` output channels. */
export interface Conv2dLayer extends LayerBase {
  kind: 'conv2d';
  filters: number;
  kernel: [number, number];
  stride: [number, number];
  padding: Padding;
  bias: boolean;
}

/**
 * Depthwise 2-D convolution: M filters per input channel (the channel
 * multiplier). Output channel o = c·M + m reads only input channel c = ⌊o / M⌋;
 * weight `[kH, kW, C·M]`, bias `[C·M]`, output `[H', W', C·M]`.
 */
export interface DepthwiseConv2dLayer extends LayerBase {
  kind: 'depthwiseConv2d';
  kernel: [number, number];
  stride: [number, number];
  padding: Padding;
  bias: boolean;
  /** Channel multiplier M (an integer ≥ 1); absent: 1. */
  multiplier?: number;
}

/** The channel multiplier of a depthwise layer (1 when absent). */
export function depthMultiplier(layer: DepthwiseConv2dLayer): number {
  return layer.multiplier ?? 1;
}

/**
 * Max or average pooling over `window`, moving by `stride` (floor mode), with
 * optional explicit pads (each below the window along its axis, so every
 * window holds an input pixel): out = floor((in + before + after − window) /
 * stride) + 1. Max pooling ignores padded taps; average pooling counts them
 * as zeros (`countIncludePad`, PyTorch's default) or divides by the taps
 * inside the image (ONNX's default).
 */
export interface Pool2dLayer extends LayerBase {
  kind: 'maxPool2d' | 'avgPool2d';
  window: [number, number];
  stride: [number, number];
  /** Absent: no padding. */
  padding?: ExplicitPadding;
  /** avgPool2d with padding only (required there): padded taps count in the divisor. */
  countIncludePad?: boolean;
}

/** Fully connected layer: y = W x + b, W is `[units, in]`. */
export interface DenseLayer extends LayerBase {
  kind: 'dense';
  units: number;
  bias: boolean;
}

/** Parameter-free element-wise or reshaping layers. */
export interface SimpleLayer extends LayerBase {
  kind: 'relu' | 'flatten' | 'softmax';
}

/** Functions of the `activation` layer. */
export type ActivationFn = 'relu6' | 'leakyRelu' | 'sigmoid' | 'tanh';

export const ACTIVATION_FNS: readonly ActivationFn[] = ['relu6', 'leakyRelu', 'sigmoid', 'tanh'];

/**
 * An element-wise activation: relu6 = min(max(x, 0), 6); leakyRelu = x for
 * x > 0, else alpha·x (`alpha` only here, a finite number); sigmoid =
 * 1 / (1 + e^−x); tanh.
 */
export interface ActivationLayer extends LayerBase {
  kind: 'activation';
  fn: ActivationFn;
  /** The negative slope of leakyRelu (absent for every other fn). */
  alpha?: number;
}

/** Any layer of a model; discriminated on `kind`. */
export type Layer = Conv2dLayer | DepthwiseConv2dLayer | Pool2dLayer | DenseLayer | SimpleLayer | ActivationLayer;

/** Every layer kind, for registries typed `satisfies Record<LayerKind, …>`. */
export type LayerKind = Layer['kind'];

export const LAYER_KINDS: readonly LayerKind[] = ['conv2d', 'depthwiseConv2d', 'maxPool2d', 'avgPool2d', 'dense', 'relu', 'flatten', 'softmax', 'activation'];

/**
 * What a model expects of its input, as one affine map of the lab's pixels
 * (`x` = pixel / 255, in [0, 1]): the first layer sees `x * scale + offset`.
 * It covers the usual training conventions: (x − 0.1307) / 0.3081 is scale
 * 1/0.3081, offset −0.1307/0.3081; raw [0, 255] is scale 255; [−1, 1] is
 * scale 2, offset −1; inverted images are scale −1, offset 1. Absent means
 * the identity (every built-in model).
 */
export interface Preprocess {
  scale: number;
  offset: number;
  /** How a person would write it, e.g. "(x − 0.1307) / 0.3081" (shown, never computed with). */
  label?: string;
}

/** An architecture: input shape of one image `[H, W, C]`, its preprocessing and the layers in order. */
export interface Architecture {
  name: string;
  /** One image, NHWC without the batch: `[H, W, C]`. */
  inputShape: [number, number, number];
  /** Applied to the input before the first layer by every runtime; absent = identity. */
  preprocess?: Preprocess;
  layers: Layer[];
}

/** True when `p` changes the input (absent, or scale 1 and offset 0, is the identity). */
export function hasPreprocess(p: Preprocess | undefined): p is Preprocess {
  return p !== undefined && (p.scale !== 1 || p.offset !== 0);
}

/** `x * scale + offset` over a copy of `input` (the input itself when the map is the identity). */
export function applyPreprocess(p: Preprocess | undefined, input: Float32Array): Float32Array {
  if (!hasPreprocess(p)) return input;
  const out = new Float32Array(input.length);
  // f32 scale and offset and two f32 roundings, as the GPU's preprocess kernel and the trainer's gather-batch compute it.
  const scale = Math.fround(p.scale);
  const offset = Math.fround(p.offset);
  for (let i = 0; i < input.length; i++) out[i] = Math.fround(input[i] * scale) + offset;
  return out;
}

/** Names of the weight tensors a layer owns, in a stable order. */
export function weightNames(layer: Layer): string[] {
  switch (layer.kind) {
    case 'conv2d':
    case 'depthwiseConv2d':
    case 'dense':
      return layer.bias ? [`${layer.name}.weight`, `${layer.name}.bias`] : [`${layer.name}.weight`];
    default:
      return [];
  }
}

/**
 * A 1×1, stride-1 depthwise conv with one filter per channel: a per-channel
 * scale and shift, as an imported stand-alone BatchNormalization becomes.
 * Magnitude pruning leaves it alone by default (a zero there silences a whole
 * channel, and it holds only C weights).
 */
export function isChannelAffine(layer: Layer): boolean {
  return (
    layer.kind === 'depthwiseConv2d' &&
    layer.kernel[0] === 1 &&
    layer.kernel[1] === 1 &&
    layer.stride[0] === 1 &&
    layer.stride[1] === 1 &&
    depthMultiplier(layer) === 1
  );
}

/** True for layers that carry weights. */
export function hasWeights(layer: Layer): layer is Conv2dLayer | DepthwiseConv2dLayer | DenseLayer {
  return layer.kind === 'conv2d' || layer.kind === 'depthwiseConv2d' || layer.kind === 'dense';
}

/**
 * Global average pooling (Keras GlobalAveragePooling2D, PyTorch
 * AdaptiveAvgPool2d(1)) as the lab's avgPool2d: one window over the whole
 * `[H, W, C]` input, stride = window, giving `[1, 1, C]`.
 */
export function globalAvgPool(name: string, inShape: readonly number[]): Pool2dLayer {
  if (inShape.length !== 3 || !inShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`globalAvgPool '${name}': needs a spatial [H, W, C] input, got [${inShape.join(', ')}]`);
  }
  const [h, w] = inShape;
  return { kind: 'avgPool2d', name, window: [h, w], stride: [h, w] };
}
