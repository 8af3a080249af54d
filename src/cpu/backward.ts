/**
 * Backward pass of the CPU reference. Gradients are accumulated in float64
 * scratch buffers (scatter-adds from many outputs would otherwise round at
 * every step) and stored as float32 once.
 */
import type { Layer } from '../model/layers.ts';
import { weightNames } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import type { Shape } from '../model/shapes.ts';
import { inferShapes, sizeOf } from '../model/shapes.ts';
import { activationBackward, reluBackward, softmaxLayerBackward } from './activations.ts';
import { checkBatch, checkLayerCall, checkLength, fmtShape, layerLabel } from './common.ts';
import { conv2dBackward, convGeometry } from './conv2d.ts';
import { denseBackward } from './dense.ts';
import { depthwiseConv2dBackward } from './depthwise-conv2d.ts';
import type { LayerParams } from './forward.ts';
import { layerParams } from './forward.ts';
import { avgPool2dBackward, maxPool2dBackward, poolGeometry } from './pool2d.ts';

/** dL/dInput always; dL/dWeight and dL/dBias for layers that own them. */
export interface LayerGrads {
  dInput: Float32Array;
  dWeight?: Float32Array;
  dBias?: Float32Array;
}

function withParams(dx: Float64Array, dw: Float64Array, db: Float64Array | undefined): LayerGrads {
  const g: LayerGrads = { dInput: new Float32Array(dx), dWeight: new Float32Array(dw) };
  if (db) g.dBias = new Float32Array(db);
  return g;
}

/**
 * Gradients of one layer given its input, its forward output and dL/dOutput
 * (all `batch` images). Parameter gradients are summed over the batch.
 * relu's gradient is 0 at x ≤ 0; max pooling sends each output's gradient to
 * the first maximum of its window in scan order (ties are not split).
 */
export function layerBackward(
  layer: Layer,
  input: Float32Array,
  inShape: Shape,
  batch: number,
  params: LayerParams,
  output: Float32Array,
  dOutput: Float32Array,
): LayerGrads {
  const outShape = checkLayerCall(layer, input.length, inShape, batch, params);
  const outLen = batch * sizeOf(outShape);
  const detail = `batch ${batch} × ${fmtShape(outShape)}`;
  checkLength(layer, 'forward output', output.length, outLen, detail);
  checkLength(layer, 'dOutput', dOutput.length, outLen, detail);
  const dx = new Float64Array(input.length);
  switch (layer.kind) {
    case 'conv2d':
    case 'depthwiseConv2d': {
      const g = convGeometry(layer, inShape, batch);
      const w = params.weight as Float32Array;
      const dw = new Float64Array(w.length);
      const db = layer.bias ? new Float64Array(g.outC) : undefined;
      const backward = layer.kind === 'conv2d' ? conv2dBackward : depthwiseConv2dBackward;
      backward(g, input, w, dOutput, dx, dw, db);
      return withParams(dx, dw, db);
    }
    case 'dense': {
      const w = params.weight as Float32Array;
      const dw = new Float64Array(w.length);
      const db = layer.bias ? new Float64Array(layer.units) : undefined;
      denseBackward(batch, inShape[0], layer.units, input, w, dOutput, dx, dw, db);
      return withParams(dx, dw, db);
    }
    case 'maxPool2d':
      maxPool2dBackward(poolGeometry(layer, inShape, batch), input, dOutput, dx);
      break;
    case 'avgPool2d':
      avgPool2dBackward(poolGeometry(layer, inShape, batch), dOutput, dx);
      break;
    case 'relu':
      reluBackward(input, dOutput, dx);
      break;
    case 'activation':
      activationBackward(layer, input, dOutput, dx);
      break;
    case 'flatten':
      dx.set(dOutput);
      break;
    case 'softmax':
      softmaxLayerBackward(batch, inShape[0], output, dOutput, dx);
      break;
    default: {
      const unknown: never = layer;
      throw new Error(`layer '${(unknown as Layer).name}' has unknown kind ${JSON.stringify((unknown as Layer).kind)}`);
    }
  }
  return { dInput: new Float32Array(dx) };
}

/**
 * Backprop through a whole model. `activations` is `modelForwardAll`'s result
 * for the same input and batch; `dLogits` is dL/dLogits (e.g. from
 * `softmaxCrossEntropy`). Returns dL/dWeight for every weight tensor by name
 * (in layer order) and dL/dInput.
 */
export function modelBackward(
  model: Model,
  input: Float32Array,
  batch: number,
  activations: Float32Array[],
  dLogits: Float32Array,
): { grads: Record<string, Float32Array>; dInput: Float32Array } {
  const arch = model.architecture;
  const where = `model '${arch.name}'`;
  checkBatch(where, batch);
  const shapes = inferShapes(arch);
  if (shapes.length === 0) throw new Error(`${where} has no layers`);
  if (activations.length !== shapes.length) {
    throw new Error(`${where}: ${activations.length} activations given for ${shapes.length} layers (pass modelForwardAll's result)`);
  }
  // Check every activation up front so that a bad one is reported against the layer that produced it.
  shapes.forEach((ls, i) => {
    const expected = batch * sizeOf(ls.output);
    if (activations[i].length !== expected) {
      throw new Error(
        `${where}: activations[${i}] (output of ${layerLabel(ls.layer)}) has ${activations[i].length} values, expected ${expected} (batch ${batch} × ${fmtShape(ls.output)})`,
      );
    }
  });
  const last = shapes[shapes.length - 1];
  if (dLogits.length !== activations[activations.length - 1].length) {
    throw new Error(
      `${where}: dLogits has ${dLogits.length} values, the output of ${layerLabel(last.layer)} has ${activations[activations.length - 1].length}`,
    );
  }
  const byName: Record<string, Float32Array> = {};
  let d = dLogits;
  for (let i = shapes.length - 1; i >= 0; i--) {
    const { layer, input: inShape } = shapes[i];
    const x = i === 0 ? input : activations[i - 1];
    const r = layerBackward(layer, x, inShape, batch, layerParams(model, layer), activations[i], d);
    if (r.dWeight) byName[`${layer.name}.weight`] = r.dWeight;
    if (r.dBias) byName[`${layer.name}.bias`] = r.dBias;
    d = r.dInput;
  }
  // Re-key in layer order so that iteration order matches weightNames / model.weights.
  const grads: Record<string, Float32Array> = {};
  for (const { layer } of shapes) for (const name of weightNames(layer)) grads[name] = byName[name];
  return { grads, dInput: d };
}
