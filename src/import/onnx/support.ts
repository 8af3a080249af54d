/**
 * What the ONNX importer maps, and — in one table — what it refuses for now
 * because the lab has no layer for it yet. A later change that adds a layer
 * kind (PReLU, ELU, dilated convolutions…) turns an entry
 * here into a mapping in `import.ts` and removes it from this table.
 */
import { ImportError } from '../types.ts';
import type { DecodedNode } from './schema.ts';

/** Default-domain opsets the importer reads (attribute-vs-input differences between them are handled per op). */
export const MIN_OPSET = 9;
export const MAX_OPSET = 21;

/** ONNX ops the importer maps onto lab layers or preprocessing, or drops. */
export const SUPPORTED_OPS = [
  'Conv',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Gemm',
  'MatMul',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Relu',
  'Clip',
  'LeakyRelu',
  'Sigmoid',
  'Tanh',
  'Flatten',
  'Reshape',
  'Squeeze',
  'Softmax',
  'LogSoftmax',
  'BatchNormalization',
  'Dropout',
  'Identity',
  'Transpose',
  'Constant',
] as const;

/** A refusal for something the lab does not support yet: what it is, and what the lab does support instead. */
export interface NotYet {
  what: string;
  supported: string;
}

const CONV_OK =
  'Conv with group 1, or group = input channels with output channels a multiple M of them (depthwise, channel multiplier M), dilations 1, any pads or auto_pad each below the kernel along its axis';
const POOL_OK = 'MaxPool and AveragePool with pads or auto_pad each below the window, ceil_mode 0 (or 1 where it changes nothing), dilations 1';
const ACT_OK = 'Relu, Clip(0, 6) (relu6), LeakyRelu, Sigmoid and Tanh';

/**
 * Everything refused because the lab has no such layer yet, keyed by op
 * (`'LeakyRelu'`) or op and attribute (`'Conv.dilations'`).
 */
export const NOT_YET_SUPPORTED: Record<string, NotYet> = {
  Clip: {
    what: 'clipped activations other than relu and relu6',
    supported: 'Clip with min 0 and no max (Relu) or min 0 and max 6 (relu6), and Relu, LeakyRelu, Sigmoid, Tanh',
  },
  PRelu: { what: 'parametric ReLU', supported: ACT_OK },
  Elu: { what: 'ELU', supported: ACT_OK },
  Selu: { what: 'SELU', supported: ACT_OK },
  HardSigmoid: { what: 'hard sigmoid activations', supported: ACT_OK },
  HardSwish: { what: 'hard swish activations', supported: ACT_OK },
  Softplus: { what: 'softplus activations', supported: ACT_OK },
  'Conv.dilations': { what: 'dilated convolutions', supported: CONV_OK },
  'Conv.pads': { what: 'convolution pads as large as the kernel', supported: CONV_OK },
  'Conv.group': { what: 'grouped convolutions', supported: CONV_OK },
  'Conv.kernel_shape': { what: 'convolutions that are not 2-D', supported: CONV_OK },
  'MaxPool.pads': { what: 'pooling pads as large as the window', supported: POOL_OK },
  'MaxPool.ceil_mode': { what: 'pooling in ceil mode', supported: POOL_OK },
  'MaxPool.dilations': { what: 'dilated pooling', supported: POOL_OK },
  'MaxPool.kernel_shape': { what: 'pooling that is not 2-D', supported: POOL_OK },
  'MaxPool.Indices': { what: 'max pooling that also outputs indices', supported: POOL_OK },
  'AveragePool.pads': { what: 'pooling pads as large as the window', supported: POOL_OK },
  'AveragePool.ceil_mode': { what: 'pooling in ceil mode', supported: POOL_OK },
  'AveragePool.dilations': { what: 'dilated pooling', supported: POOL_OK },
  'AveragePool.kernel_shape': { what: 'pooling that is not 2-D', supported: POOL_OK },
  'BatchNormalization.vector': {
    what: 'a BatchNormalization of a flattened image (one statistic per pixel and channel) with no Gemm or MatMul right after it',
    supported:
      'BatchNormalization folded into the Conv/Gemm/MatMul right before it, on a flat tensor into the Gemm/MatMul right after it, on the outputs of a Gemm/MatMul further back as a 1×1 depthwise conv (the dense layers become convs on a 1×1 image), and on an image tensor anywhere else as a 1×1 depthwise conv',
  },
  'BatchNormalization.training_mode': {
    what: 'BatchNormalization in training mode',
    supported: 'BatchNormalization in inference mode, folded into the layer before it',
  },
  'Gemm.transA': { what: 'Gemm with a transposed input (transA 1)', supported: 'Gemm with transA 0, transB 0 or 1, any alpha and beta' },
  'Softmax.position': { what: 'Softmax or LogSoftmax anywhere but at the end', supported: 'Softmax / LogSoftmax over the classes as the last node' },
  Preprocess: {
    what: 'per-channel or non-constant input normalization',
    supported: 'Sub / Add / Mul / Div by one scalar constant at the graph input (one affine map x·scale + offset)',
  },
};

/** The name by which a message calls a node. */
export function nodeLabel(node: DecodedNode): string {
  return `node '${node.name || node.output[0] || '?'}' (${node.opType})`;
}

/** Refuses a node for a `NOT_YET_SUPPORTED` entry, with a detail (`dilations [2, 2]`). */
export function refuseNotYet(node: DecodedNode, key: string, detail: string): never {
  const e = NOT_YET_SUPPORTED[key];
  throw new ImportError(`${nodeLabel(node)}: ${detail} — the lab does not support ${e.what} yet; it supports ${e.supported}`, node.name || node.output[0]);
}

/** Refuses a node for a reason of its own (not a missing layer kind). */
export function refuse(node: DecodedNode, message: string): never {
  throw new ImportError(`${nodeLabel(node)}: ${message}`, node.name || node.output[0]);
}

/** Refuses an op the importer has no mapping for at all. */
export function refuseUnknownOp(node: DecodedNode): never {
  if (NOT_YET_SUPPORTED[node.opType]) refuseNotYet(node, node.opType, `op ${node.opType}`);
  refuse(
    node,
    `op ${node.opType}${node.domain ? ` of domain '${node.domain}'` : ''} is not one the lab imports; it imports sequential models of ${SUPPORTED_OPS.join(', ')}`,
  );
}
