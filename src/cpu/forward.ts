/**
 * Forward pass of the float32 CPU reference: one layer, or a whole model.
 * This is the oracle GPU kernels are tested against, so it favours plain
 * loops that read like the definition over speed.
 */
import type { Layer } from '../model/layers.ts';
import { applyPreprocess } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import type { Shape } from '../model/shapes.ts';
import { inferShapes, sizeOf } from '../model/shapes.ts';
import { activationForward, reluForward, softmaxLayerForward } from './activations.ts';
import type { FloatArray, FloatParams } from './common.ts';
import { checkBatch, checkLayerCall, checkLength, fmtShape, layerLabel } from './common.ts';
import { conv2dForward, convGeometry } from './conv2d.ts';
import { denseForward } from './dense.ts';
import { depthwiseConv2dForward } from './depthwise-conv2d.ts';
import { avgPool2dForward, maxPool2dForward, poolGeometry } from './pool2d.ts';

/** Weight and bias of one layer (absent for parameter-free layers and bias-free layers). */
export interface LayerParams {
  weight?: Float32Array;
  bias?: Float32Array;
}

/**
 * Runs one layer into a preallocated output of either precision and returns
 * the per-image output shape. `layerForward` is this with a float32 output;
 * gradient checks call it with float64 arrays to get exact finite differences
 * from the very same loops.
 */
export function forwardInto(layer: Layer, input: FloatArray, inShape: Shape, batch: number, params: FloatParams, out: FloatArray): Shape {
  const outShape = checkLayerCall(layer, input.length, inShape, batch, params);
  checkLength(layer, 'output buffer', out.length, batch * sizeOf(outShape), `batch ${batch} × ${fmtShape(outShape)}`);
  switch (layer.kind) {
    case 'conv2d':
      conv2dForward(convGeometry(layer, inShape, batch), input, params.weight as FloatArray, params.bias, out);
      break;
    case 'depthwiseConv2d':
      depthwiseConv2dForward(convGeometry(layer, inShape, batch), input, params.weight as FloatArray, params.bias, out);
      break;
    case 'maxPool2d':
      maxPool2dForward(poolGeometry(layer, inShape, batch), input, out);
      break;
    case 'avgPool2d':
      avgPool2dForward(poolGeometry(layer, inShape, batch), input, out);
      break;
    case 'dense':
      denseForward(batch, inShape[0], layer.units, input, params.weight as FloatArray, params.bias, out);
      break;
    case 'relu':
      reluForward(input, out);
      break;
    case 'activation':
      activationForward(layer, input, out);
      break;
    case 'flatten':
      // NHWC is already the flatten order: the data is unchanged.
      out.set(input);
      break;
    case 'softmax':
      softmaxLayerForward(batch, inShape[0], input, out);
      break;
    default: {
      const unknown: never = layer;
      throw new Error(`layer '${(unknown as Layer).name}' has unknown kind ${JSON.stringify((unknown as Layer).kind)}`);
    }
  }
  return outShape;
}

/**
 * One layer's forward pass. `input` holds `batch` images of `inShape`, NHWC,
 * contiguous; the result holds `batch` images of the layer's output shape
 * (a fresh array, never the input, even for flatten). Throws naming the
 * layer when a size does not fit.
 */
export function layerForward(layer: Layer, input: Float32Array, inShape: Shape, batch: number, params: LayerParams): Float32Array {
  const outShape = checkLayerCall(layer, input.length, inShape, batch, params);
  const out = new Float32Array(batch * sizeOf(outShape));
  forwardInto(layer, input, inShape, batch, params, out);
  return out;
}

/** A layer's weight and bias from `model.weights`; throws naming the tensor if one is missing. */
export function layerParams(model: Model, layer: Layer): LayerParams {
  if (layer.kind !== 'conv2d' && layer.kind !== 'depthwiseConv2d' && layer.kind !== 'dense') return {};
  const get = (name: string): Float32Array => {
    const t = model.weights[name];
    if (!t) throw new Error(`model '${model.architecture.name}', ${layerLabel(layer)}: tensor '${name}' is missing`);
    return t;
  };
  return layer.bias ? { weight: get(`${layer.name}.weight`), bias: get(`${layer.name}.bias`) } : { weight: get(`${layer.name}.weight`) };
}

function checkModelInput(model: Model, inputLength: number, batch: number): void {
  const arch = model.architecture;
  const where = `model '${arch.name}'`;
  checkBatch(where, batch);
  if (arch.layers.length === 0) throw new Error(`${where} has no layers`);
  const expected = batch * sizeOf(arch.inputShape);
  if (inputLength !== expected) {
    const first = arch.layers[0];
    throw new Error(`${where}: input to ${layerLabel(first)} has ${inputLength} values, expected ${expected} (batch ${batch} × ${fmtShape(arch.inputShape)})`);
  }
}

/** Output of every layer in order (last = logits), each a fresh float32 array. */
export function modelForwardAll(model: Model, input: Float32Array, batch: number): Float32Array[] {
  checkModelInput(model, input.length, batch);
  const outs: Float32Array[] = [];
  let cur = applyPreprocess(model.architecture.preprocess, input);
  for (const ls of inferShapes(model.architecture)) {
    cur = layerForward(ls.layer, cur, ls.input, batch, layerParams(model, ls.layer));
    outs.push(cur);
  }
  return outs;
}

/** Logits `[batch, classes]` of a whole model (the last layer's output). */
export function modelForward(model: Model, input: Float32Array, batch: number): Float32Array {
  checkModelInput(model, input.length, batch);
  let cur = applyPreprocess(model.architecture.preprocess, input);
  for (const ls of inferShapes(model.architecture)) cur = layerForward(ls.layer, cur, ls.input, batch, layerParams(model, ls.layer));
  return cur;
}
