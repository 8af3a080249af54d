/**
 * The built-in architectures. Each is MNIST-shaped (28×28×1 in, 10 logits out)
 * and ends at the logits: softmax is applied by the loss or by whoever reads
 * probabilities, so the FLOP tables match the literature's.
 */
import type { Architecture, Layer } from './layers.ts';

const conv = (name: string, filters: number, k: number): Layer => ({
  kind: 'conv2d',
  name,
  filters,
  kernel: [k, k],
  stride: [1, 1],
  padding: 'valid',
  bias: true,
});
const maxPool = (name: string): Layer => ({ kind: 'maxPool2d', name, window: [2, 2], stride: [2, 2] });
const avgPool = (name: string): Layer => ({ kind: 'avgPool2d', name, window: [2, 2], stride: [2, 2] });
const dense = (name: string, units: number): Layer => ({ kind: 'dense', name, units, bias: true });
const relu = (name: string): Layer => ({ kind: 'relu', name });
const flatten = (name = 'flatten'): Layer => ({ kind: 'flatten', name });

/**
 * Caffe's LeNet-5 as used by Deep Compression (Han et al. 2016): 431,080
 * parameters. Like Caffe's prototxt it has no ReLU after the convolutions;
 * max pooling is the non-linearity there.
 */
export function lenet5(): Architecture {
  return {
    name: 'lenet5',
    inputShape: [28, 28, 1],
    layers: [conv('conv1', 20, 5), maxPool('pool1'), conv('conv2', 50, 5), maxPool('pool2'), flatten(), dense('fc1', 500), relu('relu1'), dense('fc2', 10)],
  };
}

/** LeNet-300-100: the fully connected MNIST net of LeCun et al. 1998 and Deep Compression, 266,610 parameters. */
export function lenet300100(): Architecture {
  return {
    name: 'lenet-300-100',
    inputShape: [28, 28, 1],
    layers: [flatten(), dense('fc1', 300), relu('relu1'), dense('fc2', 100), relu('relu2'), dense('fc3', 10)],
  };
}

/**
 * The article's "Numerical 2" network: conv 3×3×5, avg pool 2/2, conv 3×3×5,
 * avg pool 2/2, dense 128, dense 10 — with ReLUs after each conv and the
 * hidden dense layer so that it trains (the article lists none; they add no
 * FLOPs under its convention).
 */
export function articleNet(): Architecture {
  return {
    name: 'article-net',
    inputShape: [28, 28, 1],
    layers: [
      conv('conv1', 5, 3),
      relu('relu1'),
      avgPool('pool1'),
      conv('conv2', 5, 3),
      relu('relu2'),
      avgPool('pool2'),
      flatten(),
      dense('fc1', 128),
      relu('relu3'),
      dense('fc2', 10),
    ],
  };
}

/** `lenet5` with each conv2d replaced by a depthwise 5×5 conv followed by a pointwise 1×1 conv. */
export function lenet5Separable(): Architecture {
  const dw = (name: string): Layer => ({ kind: 'depthwiseConv2d', name, kernel: [5, 5], stride: [1, 1], padding: 'valid', bias: true });
  return {
    name: 'lenet5-separable',
    inputShape: [28, 28, 1],
    layers: [
      dw('conv1_dw'),
      conv('conv1_pw', 20, 1),
      maxPool('pool1'),
      dw('conv2_dw'),
      conv('conv2_pw', 50, 1),
      maxPool('pool2'),
      flatten(),
      dense('fc1', 500),
      relu('relu1'),
      dense('fc2', 10),
    ],
  };
}

/** Built-in architectures by name. */
export const ARCHITECTURES = {
  lenet5,
  'lenet-300-100': lenet300100,
  'article-net': articleNet,
  'lenet5-separable': lenet5Separable,
} satisfies Record<string, () => Architecture>;

export type ArchitectureName = keyof typeof ARCHITECTURES;

export function isArchitectureName(s: string): s is ArchitectureName {
  return Object.prototype.hasOwnProperty.call(ARCHITECTURES, s);
}

/** A fresh copy of a built-in architecture; throws naming the known ones when `name` is unknown. */
export function architecture(name: string): Architecture {
  if (!isArchitectureName(name)) {
    throw new Error(`unknown architecture '${name}'; built-in ones are: ${Object.keys(ARCHITECTURES).join(', ')}`);
  }
  return ARCHITECTURES[name]();
}
