/**
 * Shape inference. Shapes are per image (no batch dimension): `[H, W, C]`
 * for spatial activations, `[N]` after flatten or dense.
 */
import type { Architecture, Layer, Padding } from './layers.ts';
import { weightNames } from './layers.ts';

export type Shape = number[];

/** Thrown when an architecture's layers do not fit together; names the layer and the mismatch. */
export class ShapeError extends Error {
  constructor(
    message: string,
    readonly layerName?: string,
  ) {
    super(message);
    this.name = 'ShapeError';
  }
}

/** Output length along one axis of a convolution (TensorFlow's `same` convention). */
export function convOutSize(inSize: number, k: number, s: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(inSize / s) : Math.floor((inSize - k) / s) + 1;
}

/**
 * Padding before the first element along one axis. `same` puts the odd pixel
 * after (bottom/right), as TensorFlow and ONNX `SAME_UPPER` do.
 */
export function padBefore(inSize: number, k: number, s: number, padding: Padding): number {
  if (padding === 'valid') return 0;
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + k - inSize, 0);
  return Math.floor(total / 2);
}

function positiveInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

function checkPair(layer: Layer, field: string, v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || !positiveInt(v[0]) || !positiveInt(v[1])) {
    throw new ShapeError(`layer '${layer.name}' (${layer.kind}): ${field} must be two positive integers, got ${JSON.stringify(v)}`, layer.name);
  }
  return v as [number, number];
}

function fmt(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** Output shape of one layer for a given input shape; throws ShapeError naming the layer. */
export function layerOutputShape(layer: Layer, input: Shape): Shape {
  const spatial = (): [number, number, number] => {
    if (input.length !== 3) {
      throw new ShapeError(`layer '${layer.name}' (${layer.kind}) needs a spatial [H, W, C] input, got ${fmt(input)}`, layer.name);
    }
    return input as [number, number, number];
  };
  switch (layer.kind) {
    case 'conv2d':
    case 'depthwiseConv2d': {
      const [h, w, c] = spatial();
      const [kh, kw] = checkPair(layer, 'kernel', layer.kernel);
      const [sh, sw] = checkPair(layer, 'stride', layer.stride);
      if (layer.padding !== 'valid' && layer.padding !== 'same') {
        throw new ShapeError(`layer '${layer.name}': padding must be 'valid' or 'same', got ${JSON.stringify(layer.padding)}`, layer.name);
      }
      if (layer.padding === 'valid' && (kh > h || kw > w)) {
        throw new ShapeError(`layer '${layer.name}' (${layer.kind}): kernel ${kh}×${kw} is larger than its ${h}×${w} input with valid padding`, layer.name);
      }
      const oc = layer.kind === 'conv2d' ? layer.filters : c;
      if (layer.kind === 'conv2d' && !positiveInt(layer.filters)) {
        throw new ShapeError(`layer '${layer.name}': filters must be a positive integer, got ${JSON.stringify(layer.filters)}`, layer.name);
      }
      return [convOutSize(h, kh, sh, layer.padding), convOutSize(w, kw, sw, layer.padding), oc];
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const [h, w, c] = spatial();
      const [ph, pw] = checkPair(layer, 'window', layer.window);
      const [sh, sw] = checkPair(layer, 'stride', layer.stride);
      if (ph > h || pw > w) {
        throw new ShapeError(`layer '${layer.name}' (${layer.kind}): window ${ph}×${pw} is larger than its ${h}×${w} input`, layer.name);
      }
      return [Math.floor((h - ph) / sh) + 1, Math.floor((w - pw) / sw) + 1, c];
    }
    case 'dense': {
      if (input.length !== 1) {
        throw new ShapeError(`layer '${layer.name}' (dense) needs a flat input, got ${fmt(input)}: insert a flatten layer before it`, layer.name);
      }
      if (!positiveInt(layer.units)) {
        throw new ShapeError(`layer '${layer.name}': units must be a positive integer, got ${JSON.stringify(layer.units)}`, layer.name);
      }
      return [layer.units];
    }
    case 'flatten':
      return [input.reduce((a, b) => a * b, 1)];
    case 'relu':
      return input.slice();
    case 'softmax':
      if (input.length !== 1) {
        throw new ShapeError(`layer '${layer.name}' (softmax) needs a flat input, got ${fmt(input)}`, layer.name);
      }
      return input.slice();
    default: {
      const k = (layer as { kind?: unknown }).kind;
      throw new ShapeError(`layer '${(layer as { name?: string }).name ?? '?'}' has unknown kind ${JSON.stringify(k)}`);
    }
  }
}

/** Shapes of the weight tensors of a layer, given its input shape. */
export function layerWeightShapes(layer: Layer, input: Shape): Record<string, Shape> {
  const names = weightNames(layer);
  const out: Record<string, Shape> = {};
  switch (layer.kind) {
    case 'conv2d': {
      out[names[0]] = [layer.filters, layer.kernel[0], layer.kernel[1], input[2]];
      if (layer.bias) out[names[1]] = [layer.filters];
      break;
    }
    case 'depthwiseConv2d': {
      out[names[0]] = [layer.kernel[0], layer.kernel[1], input[2]];
      if (layer.bias) out[names[1]] = [input[2]];
      break;
    }
    case 'dense': {
      out[names[0]] = [layer.units, input[0]];
      if (layer.bias) out[names[1]] = [layer.units];
      break;
    }
    default:
      break;
  }
  return out;
}

export interface LayerShapes {
  layer: Layer;
  input: Shape;
  output: Shape;
  weights: Record<string, Shape>;
}

/** Infer every layer's input, output and weight shapes; throws ShapeError naming the first bad layer. */
export function inferShapes(arch: Architecture): LayerShapes[] {
  const input = arch.inputShape;
  if (!Array.isArray(input) || input.length !== 3 || !input.every(positiveInt)) {
    throw new ShapeError(`architecture '${arch.name}': inputShape must be [H, W, C] positive integers, got ${JSON.stringify(input)}`);
  }
  const seen = new Set<string>();
  let cur: Shape = input.slice();
  return arch.layers.map((layer, i) => {
    if (!layer || typeof layer.name !== 'string' || layer.name === '') {
      throw new ShapeError(`architecture '${arch.name}': layer #${i} has no name`);
    }
    if (seen.has(layer.name)) throw new ShapeError(`architecture '${arch.name}': two layers are named '${layer.name}'`, layer.name);
    seen.add(layer.name);
    const output = layerOutputShape(layer, cur);
    if (output.some((d) => !(d > 0))) {
      throw new ShapeError(`layer '${layer.name}' (${layer.kind}) produces an empty output ${fmt(output)} from input ${fmt(cur)}`, layer.name);
    }
    const r: LayerShapes = { layer, input: cur, output, weights: layerWeightShapes(layer, cur) };
    cur = output;
    return r;
  });
}

/** All weight tensor shapes of an architecture, by tensor name, in layer order. */
export function weightShapes(arch: Architecture): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  for (const ls of inferShapes(arch)) Object.assign(out, ls.weights);
  return out;
}

export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Geometry of one convolution-like layer for one image: what every conv,
 * depthwise and dense kernel (forward, backward, int8) needs in its uniforms.
 * A dense layer is a 1×1 convolution of a 1×1 image with `c` = its inputs.
 */
export interface ConvGeometry {
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padT: number;
  padL: number;
}

/** ConvGeometry of a conv2d, depthwiseConv2d or dense layer from its input and output shapes. */
export function convGeometry(layer: Layer, input: Shape, output: Shape): ConvGeometry {
  if (layer.kind === 'dense') return { h: 1, w: 1, c: sizeOf(input), oh: 1, ow: 1, kh: 1, kw: 1, sh: 1, sw: 1, padT: 0, padL: 0 };
  if (layer.kind !== 'conv2d' && layer.kind !== 'depthwiseConv2d')
    throw new ShapeError(`layer '${layer.name}' (${layer.kind}) is not a convolution or dense layer`, layer.name);
  const [h, w, c] = input;
  const [kh, kw] = layer.kernel;
  const [sh, sw] = layer.stride;
  return { h, w, c, oh: output[0], ow: output[1], kh, kw, sh, sw, padT: padBefore(h, kh, sh, layer.padding), padL: padBefore(w, kw, sw, layer.padding) };
}
