/**
 * Shape inference. Shapes are per image (no batch dimension): `[H, W, C]`
 * for spatial activations, `[N]` after flatten or dense.
 */
import type { ActivationLayer, Architecture, ExplicitPadding, Layer, Padding, Pool2dLayer } from './layers.ts';
import { ACTIVATION_FNS, depthMultiplier, weightNames } from './layers.ts';

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

/** Padding along one axis: a mode, or explicit zero pixels [before, after]. */
export type AxisPadding = 'valid' | 'same' | readonly [number, number];

/** The padding of `p` along `axis` (0: rows, top/bottom; 1: columns, left/right). */
export function axisPadding(p: Padding, axis: 0 | 1): AxisPadding {
  if (typeof p === 'string') return p;
  return axis === 0 ? [p.top, p.bottom] : [p.left, p.right];
}

/** True when `p` is explicit pads (not a mode). */
export function isExplicitPadding(p: Padding): p is ExplicitPadding {
  return typeof p === 'object' && p !== null;
}

/** Output length along one axis of a convolution (TensorFlow's `same` convention; explicit: ⌊(in + before + after − k) / s⌋ + 1). */
export function convOutSize(inSize: number, k: number, s: number, padding: AxisPadding): number {
  if (padding === 'same') return Math.ceil(inSize / s);
  const [before, after] = padding === 'valid' ? [0, 0] : padding;
  return Math.floor((inSize + before + after - k) / s) + 1;
}

/**
 * Padding before the first element along one axis. `same` puts the odd pixel
 * after (bottom/right), as TensorFlow and ONNX `SAME_UPPER` do.
 */
export function padBefore(inSize: number, k: number, s: number, padding: AxisPadding): number {
  if (padding === 'valid') return 0;
  if (padding !== 'same') return padding[0];
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + k - inSize, 0);
  return Math.floor(total / 2);
}

/** Refuses padding that is neither a mode nor four non-negative integers each below the kernel along its axis. */
function checkPadding(layer: Layer & { padding: Padding }, kh: number, kw: number): void {
  const what = layer.kind === 'conv2d' || layer.kind === 'depthwiseConv2d' ? 'kernel' : 'window';
  const p = layer.padding as unknown;
  if (p === 'valid' || p === 'same') return;
  const bad = (why: string): never => {
    throw new ShapeError(`layer '${layer.name}' (${layer.kind}): padding ${why}, got ${JSON.stringify(p)}`, layer.name);
  };
  if (typeof p !== 'object' || p === null || Array.isArray(p)) bad("must be 'valid', 'same' or { top, bottom, left, right }");
  const e = p as Record<string, unknown>;
  const keys = Object.keys(e).sort().join(',');
  if (keys !== 'bottom,left,right,top') bad('must have exactly the fields top, bottom, left, right');
  for (const side of ['top', 'bottom', 'left', 'right']) {
    const v = e[side];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(`${side} must be a non-negative integer`);
    const k = side === 'top' || side === 'bottom' ? kh : kw;
    if ((v as number) >= k) bad(`${side} must be below the ${what}'s ${k} along its axis`);
  }
}

/** A pooling layer's pads, zero when it has none. */
export function poolPads(layer: Pool2dLayer): ExplicitPadding {
  return layer.padding ?? { top: 0, bottom: 0, left: 0, right: 0 };
}

/** Pads as a conv's (each below the window); countIncludePad required on a padded avgPool2d, refused elsewhere. */
function checkPoolPadding(layer: Pool2dLayer, ph: number, pw: number): void {
  if (layer.padding !== undefined) {
    if (typeof layer.padding !== 'object')
      throw new ShapeError(`layer '${layer.name}' (${layer.kind}): padding must be { top, bottom, left, right }`, layer.name);
    checkPadding(layer as Pool2dLayer & { padding: Padding }, ph, pw);
  }
  const needs = layer.kind === 'avgPool2d' && layer.padding !== undefined;
  if (needs && typeof layer.countIncludePad !== 'boolean') {
    throw new ShapeError(`layer '${layer.name}' (avgPool2d): padding needs countIncludePad (true or false)`, layer.name);
  }
  if (!needs && layer.countIncludePad !== undefined) {
    throw new ShapeError(`layer '${layer.name}' (${layer.kind}): countIncludePad is only for an avgPool2d with padding`, layer.name);
  }
}

/** Refuses an unknown fn, and an alpha that is missing or not finite on leakyRelu, or present on any other fn. */
function checkActivation(layer: ActivationLayer): void {
  const bad = (why: string): never => {
    throw new ShapeError(`layer '${layer.name}' (activation): ${why}`, layer.name);
  };
  if (!ACTIVATION_FNS.includes(layer.fn)) bad(`fn must be one of ${ACTIVATION_FNS.join(', ')}, got ${JSON.stringify(layer.fn)}`);
  if (layer.fn === 'leakyRelu') {
    if (typeof layer.alpha !== 'number' || !Number.isFinite(layer.alpha)) bad(`leakyRelu needs a finite alpha, got ${JSON.stringify(layer.alpha)}`);
  } else if (layer.alpha !== undefined) bad(`alpha is only for leakyRelu, not ${layer.fn}`);
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
      checkPadding(layer, kh, kw);
      if (layer.padding === 'valid' && (kh > h || kw > w)) {
        throw new ShapeError(`layer '${layer.name}' (${layer.kind}): kernel ${kh}×${kw} is larger than its ${h}×${w} input with valid padding`, layer.name);
      }
      if (layer.kind === 'depthwiseConv2d' && layer.multiplier !== undefined && !positiveInt(layer.multiplier)) {
        throw new ShapeError(`layer '${layer.name}': multiplier must be a positive integer, got ${JSON.stringify(layer.multiplier)}`, layer.name);
      }
      const oc = layer.kind === 'conv2d' ? layer.filters : c * depthMultiplier(layer);
      if (layer.kind === 'conv2d' && !positiveInt(layer.filters)) {
        throw new ShapeError(`layer '${layer.name}': filters must be a positive integer, got ${JSON.stringify(layer.filters)}`, layer.name);
      }
      const out = [convOutSize(h, kh, sh, axisPadding(layer.padding, 0)), convOutSize(w, kw, sw, axisPadding(layer.padding, 1)), oc];
      if (isExplicitPadding(layer.padding) && (out[0] < 1 || out[1] < 1)) {
        throw new ShapeError(`layer '${layer.name}' (${layer.kind}): kernel ${kh}×${kw} is larger than its padded ${h}×${w} input`, layer.name);
      }
      return out;
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const [h, w, c] = spatial();
      const [ph, pw] = checkPair(layer, 'window', layer.window);
      const [sh, sw] = checkPair(layer, 'stride', layer.stride);
      checkPoolPadding(layer, ph, pw);
      const p = poolPads(layer);
      if (ph > h + p.top + p.bottom || pw > w + p.left + p.right) {
        throw new ShapeError(
          `layer '${layer.name}' (${layer.kind}): window ${ph}×${pw} is larger than its ${h}×${w} input${layer.padding ? ' with its pads' : ''}`,
          layer.name,
        );
      }
      return [Math.floor((h + p.top + p.bottom - ph) / sh) + 1, Math.floor((w + p.left + p.right - pw) / sw) + 1, c];
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
    case 'activation':
      checkActivation(layer);
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
      const cm = input[2] * depthMultiplier(layer);
      out[names[0]] = [layer.kernel[0], layer.kernel[1], cm];
      if (layer.bias) out[names[1]] = [cm];
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
  return {
    h,
    w,
    c,
    oh: output[0],
    ow: output[1],
    kh,
    kw,
    sh,
    sw,
    padT: padBefore(h, kh, sh, axisPadding(layer.padding, 0)),
    padL: padBefore(w, kw, sw, axisPadding(layer.padding, 1)),
  };
}
