/**
 * What the TF.js importer maps, and the one table of what it refuses for now.
 *
 * Every refusal of a layer class or an activation the lab could grow lives in
 * `NOT_YET_LAYERS` / `NOT_YET_ACTIVATIONS`, with what the lab would need: a
 * change that adds, say, a sigmoid layer kind removes its row here and adds a
 * case to the mapper, and nothing else has to be hunted down.
 */
import { ImportError } from '../types.ts';

/** One line a refusal ends with, so a user knows what would import. */
export const SUPPORTED =
  'The lab imports InputLayer, Conv2D, DepthwiseConv2D and SeparableConv2D (channels_last, dilation 1, any depth_multiplier), ' +
  'Dense, MaxPooling2D and AveragePooling2D, GlobalAveragePooling2D and GlobalMaxPooling2D, Flatten, Reshape to a vector, ' +
  'BatchNormalization right after a Conv2D/DepthwiseConv2D/Dense (folded into it), on a vector right before a Dense (folded forward into it), on a vector after a Dense further back or elsewhere on an image (a 1×1 depthwise conv), ZeroPadding2D right before a conv or pool (its explicit pads), Rescaling at the input, Dropout-like layers (dropped), and the activations relu, relu6, sigmoid, tanh, linear and softmax ' +
  '(fused or as Activation, ReLU, LeakyReLU and Softmax layers), in a linear chain (Sequential, or a Functional model without branches).';

/** Layer classes the lab has no layer kind for yet, with what it would take. */
export const NOT_YET_LAYERS: ReadonlyMap<string, string> = new Map([
  ['PReLU', 'a parametric relu layer kind'],
  ['ELU', 'an elu layer kind'],
  ['ThresholdedReLU', 'a thresholded relu layer kind'],
  ['Cropping2D', 'a cropping layer kind'],
  ['UpSampling2D', 'an upsampling layer kind'],
  ['Conv2DTranspose', 'a transposed convolution layer kind'],
  ['Conv1D', '1-D convolutions'],
  ['Conv3D', '3-D convolutions'],
  ['MaxPooling1D', '1-D pooling'],
  ['AveragePooling1D', '1-D pooling'],
  ['LayerNormalization', 'a layer normalization kind'],
  ['Embedding', 'an embedding layer kind'],
  ['Permute', 'a transpose layer kind'],
  ['RepeatVector', 'a repeat layer kind'],
  ['Masking', 'masks'],
  ['LSTM', 'recurrent layers'],
  ['GRU', 'recurrent layers'],
  ['SimpleRNN', 'recurrent layers'],
  ['Bidirectional', 'recurrent layers'],
  ['TimeDistributed', 'time-distributed wrappers'],
]);

/** Activations (fused or as layers) the lab has no layer kind for yet. */
export const NOT_YET_ACTIVATIONS: ReadonlyMap<string, string> = new Map([
  ['hard_sigmoid', 'a hard sigmoid layer kind'],
  ['hardSigmoid', 'a hard sigmoid layer kind'],
  ['elu', 'an elu layer kind'],
  ['selu', 'a selu layer kind'],
  ['gelu', 'a gelu layer kind'],
  ['swish', 'a swish layer kind'],
  ['silu', 'a swish layer kind'],
  ['mish', 'a mish layer kind'],
  ['softplus', 'a softplus layer kind'],
  ['softsign', 'a softsign layer kind'],
  ['exponential', 'an exponential layer kind'],
  ['leaky_relu', 'a leaky relu layer kind'],
  ['log_softmax', 'a log-softmax layer kind'],
  ['logSoftmax', 'a log-softmax layer kind'],
]);

/** Merge layers: they make a graph, which the lab's chain of layers cannot hold. */
export const GRAPH_LAYERS: ReadonlySet<string> = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dot']);

/** Layers that compute nothing at inference: dropped and reported. */
export const INFERENCE_NO_OPS: ReadonlySet<string> = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianDropout',
  'GaussianNoise',
  'AlphaDropout',
  'ActivityRegularization',
]);

/** `layer 'name' (Class)` or `layer 'name' (Class, activation 'x')`. */
export function layerLabel(name: string, className: string, activation?: string): string {
  return activation === undefined ? `layer '${name}' (${className})` : `layer '${name}' (${className}, activation '${activation}')`;
}

/** Throws the ImportError for a layer class or activation the lab cannot hold (yet). */
export function refuse(name: string, className: string, why: string, activation?: string): never {
  throw new ImportError(`${layerLabel(name, className, activation)}: ${why}. ${SUPPORTED}`, name);
}

/** Refuses a layer class: from the not-yet table when it is there, else as unknown. */
export function refuseLayerClass(name: string, className: string): never {
  const need = NOT_YET_LAYERS.get(className);
  if (need !== undefined) refuse(name, className, `the lab does not support ${className} yet (it needs ${need})`);
  if (GRAPH_LAYERS.has(className)) refuse(name, className, `${className} joins branches; the lab supports only a linear chain of layers`);
  refuse(name, className, `the lab does not support the layer class ${className}`);
}

/** Refuses an activation: from the not-yet table when it is there, else as unknown. */
export function refuseActivation(name: string, className: string, activation: string): never {
  const need = NOT_YET_ACTIVATIONS.get(activation);
  const why =
    need !== undefined
      ? `the lab does not support the ${activation} activation yet (it needs ${need})`
      : `the lab does not support the activation '${activation}'`;
  refuse(name, className, why, activation);
}

/** Options of supported classes that the lab cannot hold yet, with what it would take. */
export const NOT_YET_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['dilation_rate', 'dilated convolutions'],
  ['groups', 'grouped convolutions'],
  [
    'standalone BatchNormalization',
    'a per-pixel scale-and-shift of a flattened image; a BatchNormalization of a vector folds into a Dense right before or right after it, or becomes a 1×1 depthwise conv when a Dense lies further back',
  ],
  ['ReLU max_value', 'a clipped relu layer kind other than relu6 (max_value 6, negative_slope 0)'],
  ['ReLU threshold', 'a thresholded relu layer kind'],
]);

/** Refuses an option value of a class the lab otherwise imports. */
export function refuseOption(name: string, className: string, option: string, detail: string): never {
  refuse(name, className, `${detail}: the lab does not support this yet (it needs ${NOT_YET_OPTIONS.get(option) ?? option})`);
}
