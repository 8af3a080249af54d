/**
 * Argument checks shared by the CPU reference. Every message names the layer
 * (and its kind) so that a wrong shape in a long pipeline is found at once.
 */
import type { Layer } from '../model/layers.ts';
import type { Shape } from '../model/shapes.ts';
import { layerOutputShape, layerWeightShapes, sizeOf } from '../model/shapes.ts';

/**
 * Either precision. The public API stores float32; the kernels are written
 * over both so that gradient checks can run the very same loops in float64.
 */
export type FloatArray = Float32Array | Float64Array;

/** Weight and bias of one layer, in either precision. */
export interface FloatParams {
  weight?: FloatArray;
  bias?: FloatArray;
}

/** `layer 'conv1' (conv2d)`: how every error message names a layer. */
export function layerLabel(layer: Layer): string {
  return `layer '${layer.name}' (${layer.kind})`;
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Throws unless `batch` is a positive integer; `where` names the caller (a layer or a model). */
export function checkBatch(where: string, batch: number): void {
  if (!Number.isInteger(batch) || batch <= 0) {
    throw new Error(`${where}: batch must be a positive integer, got ${batch}`);
  }
}

/** Throws naming the layer when an array has the wrong number of values. */
export function checkLength(layer: Layer, what: string, actual: number, expected: number, detail = ''): void {
  if (actual !== expected) {
    throw new Error(`${layerLabel(layer)}: ${what} has ${actual} values, expected ${expected}${detail ? ` (${detail})` : ''}`);
  }
}

/**
 * Validates a call on one layer (batch, input shape and length, weight and
 * bias presence and sizes) and returns the per-image output shape. Shape
 * mismatches between the layer and `inShape` surface as the ShapeError of
 * `layerOutputShape`, which names the layer too.
 */
export function checkLayerCall(layer: Layer, inputLength: number, inShape: Shape, batch: number, params: FloatParams): Shape {
  const label = layerLabel(layer);
  checkBatch(label, batch);
  if (!Array.isArray(inShape) || inShape.length === 0 || !inShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`${label}: input shape must be positive integers, got ${JSON.stringify(inShape)}`);
  }
  const outShape = layerOutputShape(layer, inShape);
  checkLength(layer, 'input', inputLength, batch * sizeOf(inShape), `batch ${batch} × ${fmtShape(inShape)}`);
  if (layer.kind === 'conv2d' || layer.kind === 'depthwiseConv2d' || layer.kind === 'dense') {
    const shapes = layerWeightShapes(layer, inShape);
    const wShape = shapes[`${layer.name}.weight`];
    if (!params.weight) throw new Error(`${label}: weight '${layer.name}.weight' is missing`);
    checkLength(layer, `weight '${layer.name}.weight'`, params.weight.length, sizeOf(wShape), `shape ${fmtShape(wShape)}`);
    if (layer.bias) {
      const bShape = shapes[`${layer.name}.bias`];
      if (!params.bias) throw new Error(`${label}: bias '${layer.name}.bias' is missing`);
      checkLength(layer, `bias '${layer.name}.bias'`, params.bias.length, sizeOf(bShape), `shape ${fmtShape(bShape)}`);
    } else if (params.bias) {
      // A bias the layer does not declare would be silently dropped by one executor and used by another.
      throw new Error(`${label}: declares no bias but a bias of ${params.bias.length} values was given`);
    }
  }
  return outShape;
}
