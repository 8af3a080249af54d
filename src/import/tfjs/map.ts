/**
 * Keras layers (a linear chain) → lab layers and float32 weights in the
 * lab's layouts. One handler per source class; each checks the options the
 * lab can hold, reads its weights by name with their shapes checked against
 * the config, and appends lab layers, tracking the activation shape so that a
 * mismatch is reported at the layer that causes it.
 */
import type { ExplicitPadding } from '../../model/layers.ts';
import type { Shape } from '../../model/shapes.ts';
import { ImportError } from '../types.ts';
import type { Handler, Mapped } from './mapper.ts';
import { ACTIVATIONS, activationOf, fmt, isPositiveInt, Mapper } from './mapper.ts';
import type { BatchNorm } from './layout.ts';
import { liftFlatTail, liftNote } from '../lift.ts';
import { foldAffineIntoDense, foldBatchNorm, hwioToOhwi, inOutToOutIn } from './layout.ts';
import type { SourceLayer } from './topology.ts';
import { field, show } from './topology.ts';
import { INFERENCE_NO_OPS, layerLabel, NOT_YET_ACTIVATIONS, NOT_YET_LAYERS, refuse, refuseActivation, refuseLayerClass, refuseOption } from './support.ts';
import type { DecodedWeight } from './weights.ts';

function conv2d(m: Mapper, l: SourceLayer): void {
  m.channelsLast(l);
  m.checkDilation(l);
  const filters = field(l.config, 'filters');
  if (!isPositiveInt(filters)) throw new ImportError(`${layerLabel(l.name, l.className)}: filters must be a positive integer, got ${show(filters)}`, l.name);
  const kernel = m.pair(l, 'kernel_size');
  const stride = m.pair(l, 'strides', [1, 1]);
  const pad = m.pendingPad;
  const padding = m.padding(l);
  const bias = m.bool(l, 'use_bias', true);
  m.activation(l);
  const inC = m.shape.length === 3 ? m.shape[2] : 0;
  if (m.shape.length !== 3) throw new ImportError(`${layerLabel(l.name, l.className)} needs an [H, W, C] input, got ${fmt(m.shape)}`, l.name);
  const weights: Record<string, Float32Array> = {
    weight: hwioToOhwi(m.weight(l, 'kernel', [kernel[0], kernel[1], inC, filters]), kernel[0], kernel[1], inC, filters),
  };
  if (bias) weights.bias = m.weight(l, 'bias', [filters]).slice();
  const layer = m.add(l, l.name, (name) => ({ name, kind: 'conv2d', filters, kernel, stride, padding, bias }), weights);
  m.tookPad(pad);
  m.fusedActivation(l, layer.name);
}

/** The layer's depth_multiplier (absent: 1), the lab's depthwise `multiplier`. */
function depthMultiplier(l: SourceLayer): number {
  const dm = field(l.config, 'depth_multiplier');
  if (dm === undefined || dm === null) return 1;
  if (!isPositiveInt(dm)) throw new ImportError(`${layerLabel(l.name, l.className)}: depth_multiplier must be a positive integer, got ${show(dm)}`, l.name);
  return dm;
}

/** The `multiplier` field of a depthwise layer: absent when 1, as the lab writes it. */
const multiplierField = (dm: number): { multiplier?: number } => (dm > 1 ? { multiplier: dm } : {});

function depthwise(m: Mapper, l: SourceLayer): void {
  m.channelsLast(l);
  m.checkDilation(l);
  const dm = depthMultiplier(l);
  const kernel = m.pair(l, 'kernel_size');
  const stride = m.pair(l, 'strides', [1, 1]);
  const pad = m.pendingPad;
  const padding = m.padding(l);
  const bias = m.bool(l, 'use_bias', true);
  m.activation(l);
  if (m.shape.length !== 3) throw new ImportError(`${layerLabel(l.name, l.className)} needs an [H, W, C] input, got ${fmt(m.shape)}`, l.name);
  const c = m.shape[2];
  // [kH, kW, C, M] and [kH, kW, C·M] are the same bytes (output channel c·M + m).
  const weights: Record<string, Float32Array> = { weight: m.weight(l, 'depthwise_kernel', [kernel[0], kernel[1], c, dm]).slice() };
  if (bias) weights.bias = m.weight(l, 'bias', [c * dm]).slice();
  const layer = m.add(l, l.name, (name) => ({ name, kind: 'depthwiseConv2d', kernel, stride, padding, bias, ...multiplierField(dm) }), weights);
  m.tookPad(pad);
  m.fusedActivation(l, layer.name);
}

function separable(m: Mapper, l: SourceLayer): void {
  m.channelsLast(l);
  m.checkDilation(l);
  const dm = depthMultiplier(l);
  const filters = field(l.config, 'filters');
  if (!isPositiveInt(filters)) throw new ImportError(`${layerLabel(l.name, l.className)}: filters must be a positive integer, got ${show(filters)}`, l.name);
  const kernel = m.pair(l, 'kernel_size');
  const stride = m.pair(l, 'strides', [1, 1]);
  const pad = m.pendingPad;
  const padding = m.padding(l);
  const bias = m.bool(l, 'use_bias', true);
  m.activation(l);
  if (m.shape.length !== 3) throw new ImportError(`${layerLabel(l.name, l.className)} needs an [H, W, C] input, got ${fmt(m.shape)}`, l.name);
  const c = m.shape[2];
  // Depthwise with multiplier M, then the pointwise conv on its C·M channels.
  const dw = m.weight(l, 'depthwise_kernel', [kernel[0], kernel[1], c, dm]).slice();
  const pw = hwioToOhwi(m.weight(l, 'pointwise_kernel', [1, 1, c * dm, filters]), 1, 1, c * dm, filters);
  const pwWeights: Record<string, Float32Array> = { weight: pw };
  if (bias) pwWeights.bias = m.weight(l, 'bias', [filters]).slice();
  m.add(l, `${l.name}_depthwise`, (name) => ({ name, kind: 'depthwiseConv2d', kernel, stride, padding, bias: false, ...multiplierField(dm) }), {
    weight: dw,
  });
  m.tookPad(pad);
  const layer = m.add(
    l,
    `${l.name}_pointwise`,
    (name) => ({ name, kind: 'conv2d', filters, kernel: [1, 1], stride: [1, 1], padding: 'valid', bias }),
    pwWeights,
  );
  m.out.notes.push(`SeparableConv2D '${l.name}' became a depthwise layer and a 1×1 conv2d ('${m.out.layers.at(-2)!.name}', '${layer.name}').`);
  m.fusedActivation(l, layer.name);
}

function dense(m: Mapper, l: SourceLayer): void {
  const units = field(l.config, 'units');
  if (!isPositiveInt(units)) throw new ImportError(`${layerLabel(l.name, l.className)}: units must be a positive integer, got ${show(units)}`, l.name);
  const bias = m.bool(l, 'use_bias', true);
  m.activation(l);
  if (m.shape.length !== 1) {
    refuse(
      l.name,
      l.className,
      `the input is ${fmt(m.shape)}: a Dense on a non-flat tensor acts on its last axis only, and the lab's dense needs a flat input (add a Flatten before it)`,
    );
  }
  const inN = m.shape[0];
  const weights: Record<string, Float32Array> = { weight: inOutToOutIn(m.weight(l, 'kernel', [inN, units]), inN, units) };
  if (bias) weights.bias = m.weight(l, 'bias', [units]).slice();
  const affine = m.pendingAffine;
  if (affine) {
    Object.assign(weights, foldAffineIntoDense(weights.weight, weights.bias, units, affine));
    m.pendingAffine = undefined;
  }
  const layer = m.add(l, l.name, (name) => ({ name, kind: 'dense', units, bias: bias || !!affine }), weights);
  if (affine) {
    m.out.imported.at(-1)!.from.unshift(affine.layer.name);
    m.out.notes.push(
      `BatchNormalization '${affine.layer.name}' on the flat vector before '${layer.name}' was folded forward into it: W·diag(γ/√(σ²+ε)), b + W·(β − μ·γ/√(σ²+ε)).`,
    );
  }
  m.fusedActivation(l, layer.name);
}

function pool(m: Mapper, l: SourceLayer): void {
  m.channelsLast(l);
  const window = m.pair(l, 'pool_size', [2, 2]);
  const stride = m.pair(l, 'strides', window);
  const pad = m.pendingPad;
  const padding = m.padding(l);
  if (m.shape.length !== 3) throw new ImportError(`${layerLabel(l.name, l.className)} needs an [H, W, C] input, got ${fmt(m.shape)}`, l.name);
  const kind = l.className === 'MaxPooling2D' || l.className === 'MaxPool2D' ? 'maxPool2d' : 'avgPool2d';
  let pads: ExplicitPadding | undefined;
  if (typeof padding === 'object') {
    // Zeros padded in before the pool: an average counts them (countIncludePad); a max over them equals the lab's
    // (which skips pads) only when the input is never negative.
    const prev = m.out.layers.at(-1);
    const nonNegative = prev?.kind === 'relu' || prev?.kind === 'softmax' || (prev?.kind === 'activation' && (prev.fn === 'relu6' || prev.fn === 'sigmoid'));
    if (kind === 'maxPool2d' && !nonNegative) {
      refuse(
        l.name,
        l.className,
        `max pooling over the zeros of a ZeroPadding2D is exact in the lab only after a relu, relu6, sigmoid or softmax (the lab's max pool skips pads)`,
      );
    }
    const padded = padding;
    m.add(l, l.name, (name) =>
      kind === 'avgPool2d' ? { name, kind, window, stride, padding: padded, countIncludePad: true } : { name, kind, window, stride, padding: padded },
    );
    m.tookPad(pad);
    return;
  }
  if (padding === 'same') {
    // TF's 'same': out = ceil(in / s), total = (out − 1)·s + window − in, the odd pixel after (each side below the window).
    const side = [0, 1].map((a) => {
      const total = Math.max((Math.ceil(m.shape[a] / stride[a]) - 1) * stride[a] + window[a] - m.shape[a], 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
    if (side.every(([b, e]) => b === 0 && e === 0)) {
      m.out.notes.push(`${l.className} '${l.name}': padding 'same' equals 'valid' on its ${m.shape[0]}×${m.shape[1]} input, imported as valid.`);
    } else {
      pads = { top: side[0][0], bottom: side[0][1], left: side[1][0], right: side[1][1] };
      m.out.notes.push(
        `${l.className} '${l.name}': padding 'same' on its ${m.shape[0]}×${m.shape[1]} input became explicit pads (top ${pads.top}, bottom ${pads.bottom}, left ${pads.left}, right ${pads.right})${kind === 'avgPool2d' ? ', the padded taps left out of the average as TF does' : ''}.`,
      );
    }
  }
  if (!pads) return void m.add(l, l.name, (name) => ({ name, kind, window, stride }));
  const padded = pads;
  m.add(l, l.name, (name) =>
    kind === 'avgPool2d' ? { name, kind, window, stride, padding: padded, countIncludePad: false } : { name, kind, window, stride, padding: padded },
  );
}

function flatten(m: Mapper, l: SourceLayer): void {
  m.channelsLast(l);
  m.add(l, l.name, (name) => ({ name, kind: 'flatten' }));
}

function reshape(m: Mapper, l: SourceLayer): void {
  const target = field(l.config, 'target_shape');
  const n = m.shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(target) || target.length !== 1 || (target[0] !== -1 && target[0] !== n)) {
    refuse(l.name, l.className, `Reshape to ${show(target)} from ${fmt(m.shape)}: the lab supports Reshape to a flat vector only ([${n}] or [-1])`);
  }
  m.add(l, l.name, (name) => ({ name, kind: 'flatten' }));
  m.out.notes.push(`Reshape '${l.name}' to a vector became a flatten layer.`);
}

function activationLayer(m: Mapper, l: SourceLayer): void {
  const a = m.activation(l);
  if (a === 'linear') return m.drop(l, "activation 'linear' is the identity");
  const fn = ACTIVATIONS.get(a);
  if (fn === undefined) refuseActivation(l.name, l.className, a);
  m.add(l, l.name, (name) => activationOf(name, fn));
}

/** ReLU: plain (relu), max_value 6 (relu6) or a negative_slope alone (leaky relu); other clips and thresholds are refused. */
function reluLayer(m: Mapper, l: SourceLayer): void {
  const max = field(l.config, 'max_value');
  const slope = m.num(l, 'negative_slope', 0);
  const threshold = m.num(l, 'threshold', 0);
  if (threshold !== 0) refuseOption(l.name, l.className, 'ReLU threshold', `threshold ${threshold}`);
  if (max !== undefined && max !== null) {
    if (max !== 6) refuseOption(l.name, l.className, 'ReLU max_value', `max_value ${show(max)}`);
    if (slope !== 0) refuseOption(l.name, l.className, 'ReLU max_value', `max_value 6 with negative_slope ${slope}`);
    m.add(l, l.name, (name) => ({ name, kind: 'activation', fn: 'relu6' }));
    return;
  }
  if (slope !== 0) {
    m.add(l, l.name, (name) => ({ name, kind: 'activation', fn: 'leakyRelu', alpha: slope }));
    return;
  }
  m.add(l, l.name, (name) => ({ name, kind: 'relu' }));
}

/** LeakyReLU: `alpha` (Keras 2, tfjs) or `negative_slope` (Keras 3), default 0.3. */
function leakyReluLayer(m: Mapper, l: SourceLayer): void {
  const has = (k: string) => field(l.config, k) !== undefined && field(l.config, k) !== null;
  const alpha = has('negative_slope') ? m.num(l, 'negative_slope') : m.num(l, 'alpha', 0.3);
  m.add(l, l.name, (name) => ({ name, kind: 'activation', fn: 'leakyRelu', alpha }));
}

function softmaxLayer(m: Mapper, l: SourceLayer): void {
  const axis = field(l.config, 'axis');
  const last = axis === undefined || axis === null || axis === -1 || (Array.isArray(axis) && axis.length === 1 && axis[0] === -1) || axis === m.shape.length;
  if (!last) refuse(l.name, l.className, `softmax over axis ${show(axis)}: the lab's softmax is over the last axis of a flat vector`);
  m.add(l, l.name, (name) => ({ name, kind: 'softmax' }));
}

function globalPool(m: Mapper, l: SourceLayer): void {
  m.channelsLast(l);
  const keepdims = m.bool(l, 'keepdims', false);
  if (m.shape.length !== 3) refuse(l.name, l.className, `global pooling needs an [H, W, C] image input, got ${fmt(m.shape)}`);
  const [h, w] = m.shape;
  const kind = l.className.startsWith('GlobalMax') ? 'maxPool2d' : 'avgPool2d';
  const pool = m.add(l, l.name, (name) => ({ name, kind, window: [h, w], stride: [h, w] }));
  let flat = '';
  if (!keepdims) flat = `, then the flatten '${m.add(l, `${l.name}_flatten`, (name) => ({ name, kind: 'flatten' })).name}' to a vector`;
  m.out.notes.push(`${l.className} '${l.name}' on a ${h}×${w} input became the ${kind} '${pool.name}' with window = stride = [${h}, ${w}]${flat}.`);
}

/** A BatchNormalization with no conv/depthwise/dense right before it, on an image: the 1×1 depthwise conv γ/√(σ²+ε), β − μ·γ/√(σ²+ε). */
function standaloneBatchNorm(m: Mapper, l: SourceLayer, bn: BatchNorm): void {
  const c = bn.gamma.length;
  const folded = foldBatchNorm(new Float32Array(c).fill(1), undefined, bn, (i) => i);
  const layer = m.add(l, l.name, (name) => ({ name, kind: 'depthwiseConv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true }), {
    weight: folded.weight,
    bias: folded.bias,
  });
  m.out.notes.push(
    `BatchNormalization '${l.name}' (epsilon ${bn.epsilon}) has no conv/depthwise/dense right before it to fold into: it became the 1×1 depthwise conv '${layer.name}' (weight γ/√(σ²+ε), bias β − μ·γ/√(σ²+ε)) on its ${c} channels.`,
  );
}

function batchNorm(m: Mapper, l: SourceLayer): void {
  const prev = m.out.layers.at(-1);
  const foldable = prev !== undefined && (prev.kind === 'conv2d' || prev.kind === 'depthwiseConv2d' || prev.kind === 'dense');
  const onVector = !foldable && m.shape.length !== 3;
  const axis = field(l.config, 'axis');
  // On a lifted tail the source still sees a vector: its axis 1 (or −1) is the lab's channels.
  const rank = m.lifted !== undefined ? 1 : m.shape.length;
  const lastAxis =
    axis === undefined || axis === null || axis === -1 || axis === rank || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === rank));
  if (!lastAxis) refuse(l.name, l.className, `axis ${show(axis)} is not the channel (last) axis`);
  const c = m.shape[m.shape.length - 1];
  const epsilon = m.num(l, 'epsilon', 1e-3);
  if (!(epsilon >= 0)) throw new ImportError(`${layerLabel(l.name, l.className)}: epsilon must be ≥ 0, got ${epsilon}`, l.name);
  const ones = new Float32Array(c).fill(1);
  const bn: BatchNorm = {
    gamma: m.bool(l, 'scale', true) ? m.weight(l, 'gamma', [c]) : ones,
    beta: m.bool(l, 'center', true) ? m.weight(l, 'beta', [c]) : new Float32Array(c),
    mean: m.weight(l, 'moving_mean', [c]),
    variance: m.weight(l, 'moving_variance', [c]),
    epsilon,
  };
  if (onVector) {
    // Nothing before it to fold into: fold it forward into the dense layer that must come next (checked in mapLayers).
    const scale = Float64Array.from(bn.gamma, (g, i) => g / Math.sqrt(bn.variance[i] + bn.epsilon));
    const shift = Float64Array.from(scale, (sc, i) => bn.beta[i] - bn.mean[i] * sc);
    m.pendingAffine = { layer: l, scale, shift };
    return;
  }
  if (!foldable) return standaloneBatchNorm(m, l, bn);
  const wName = `${prev.name}.weight`;
  const w = m.out.weights[wName];
  const perOut = w.length / c;
  const channelOf = prev.kind === 'depthwiseConv2d' ? (i: number) => i % c : (i: number) => Math.floor(i / perOut);
  const folded = foldBatchNorm(w, m.out.weights[`${prev.name}.bias`], bn, channelOf);
  m.out.weights[wName] = folded.weight;
  m.out.weights[`${prev.name}.bias`] = folded.bias;
  prev.bias = true;
  m.out.imported.at(-1)!.from.push(l.name);
  m.out.notes.push(`BatchNormalization '${l.name}' (epsilon ${epsilon}) was folded into '${prev.name}': w·γ/√(σ²+ε), (b−μ)·γ/√(σ²+ε)+β.`);
}

/** ZeroPadding2D: `padding` n, [h, w] or [[top, bottom], [left, right]]; it becomes the explicit pads of the conv or pool after it. */
function zeroPadding(m: Mapper, l: SourceLayer): void {
  m.channelsLast(l);
  if (m.shape.length !== 3) throw new ImportError(`${layerLabel(l.name, l.className)} needs an [H, W, C] input, got ${fmt(m.shape)}`, l.name);
  const p = field(l.config, 'padding') ?? 1;
  const nat = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  let pads: ExplicitPadding | undefined;
  if (nat(p)) pads = { top: p, bottom: p, left: p, right: p };
  else if (Array.isArray(p) && p.length === 2 && nat(p[0]) && nat(p[1])) pads = { top: p[0], bottom: p[0], left: p[1], right: p[1] };
  else if (Array.isArray(p) && p.length === 2 && p.every((a) => Array.isArray(a) && a.length === 2 && nat(a[0]) && nat(a[1]))) {
    const [[top, bottom], [left, right]] = p as [[number, number], [number, number]];
    pads = { top, bottom, left, right };
  }
  if (!pads)
    throw new ImportError(
      `${layerLabel(l.name, l.className)}: padding must be n, [h, w] or [[top, bottom], [left, right]] of integers ≥ 0, got ${show(p)}`,
      l.name,
    );
  if (m.pendingPad) refuse(l.name, l.className, `two ZeroPadding2D in a row ('${m.pendingPad.layer.name}', '${l.name}') are not supported`);
  m.pendingPad = { layer: l, pads };
}

function rescaling(m: Mapper, l: SourceLayer): void {
  if (m.computed) refuse(l.name, l.className, 'Rescaling after other layers: the lab supports it only at the input, where it becomes the preprocessing');
  const scale = m.num(l, 'scale');
  const offset = m.num(l, 'offset', 0);
  const p = m.out.preprocess ?? { scale: 1, offset: 0 };
  // x·s1+o1 then ·s2+o2 = x·(s1·s2) + (o1·s2 + o2)
  m.out.preprocess = { scale: p.scale * scale, offset: p.offset * scale + offset };
  m.drop(l, `became the preprocessing x·${scale} + ${offset}`);
}

/** Handlers by Keras class name (aliases as Keras and TF.js register them). */
const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ['Conv2D', conv2d],
  ['Convolution2D', conv2d],
  ['DepthwiseConv2D', depthwise],
  ['SeparableConv2D', separable],
  ['SeparableConvolution2D', separable],
  ['Dense', dense],
  ['MaxPooling2D', pool],
  ['MaxPool2D', pool],
  ['AveragePooling2D', pool],
  ['AvgPool2D', pool],
  ['GlobalAveragePooling2D', globalPool],
  ['GlobalAvgPool2D', globalPool],
  ['GlobalMaxPooling2D', globalPool],
  ['GlobalMaxPool2D', globalPool],
  ['Flatten', flatten],
  ['Reshape', reshape],
  ['Activation', activationLayer],
  ['ReLU', reluLayer],
  ['LeakyReLU', leakyReluLayer],
  ['Softmax', softmaxLayer],
  ['BatchNormalization', batchNorm],
  ['Rescaling', rescaling],
  ['ZeroPadding2D', zeroPadding],
]);

/** Who may take a pending ZeroPadding2D or vector BatchNormalization. */
const TAKES_PAD = new Set([
  'Conv2D',
  'Convolution2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'SeparableConvolution2D',
  'MaxPooling2D',
  'MaxPool2D',
  'AveragePooling2D',
  'AvgPool2D',
]);
const TAKES_AFFINE = new Set(['Dense']);
/** Layers that act element-wise, so they run on a lifted [1, 1, K] tail as they would on the vector (a softmax Activation is not one of them). */
const ON_LIFTED = new Set(['Activation', 'ReLU', 'LeakyReLU', 'BatchNormalization']);

/** Lifts the flat tail so the pending vector BatchNormalization becomes a 1×1 depthwise conv (src/import/lift.ts); refuses when it cannot. */
function liftAffine(m: Mapper, next: SourceLayer | null): void {
  const p = m.pendingAffine!;
  const lift = liftFlatTail({ layers: m.out.layers, weights: m.out.weights, imported: m.out.imported, inputShape: m.inputShape });
  if (typeof lift === 'string') {
    const where = next ? `'${next.name}' (${next.className}) follows it` : 'it ends the model';
    refuseOption(p.layer.name, p.layer.className, 'standalone BatchNormalization', `on a flat vector with no Dense right after it (${where}), and ${lift}`);
  }
  m.pendingAffine = undefined;
  m.shape = lift.shape;
  m.add(p.layer, p.layer.name, (name) => ({ name, kind: 'depthwiseConv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true }), {
    weight: Float32Array.from(p.scale),
    bias: Float32Array.from(p.shift),
  });
  m.lifted = p.layer.name;
  m.out.notes.push(liftNote(p.layer.name, lift));
}

/** Maps the chain (InputLayer already removed) onto lab layers, starting from `input`. */
export function mapLayers(chain: SourceLayer[], source: Map<string, DecodedWeight>, input: Shape, flatInput: boolean): Mapped {
  const m = new Mapper(source, input);
  if (flatInput) {
    m.add({ name: 'input', className: 'InputLayer', config: {} }, 'input_flatten', (name) => ({ name, kind: 'flatten' }), {}, []);
    m.out.notes.push(
      `The model's input is a flat vector; the lab feeds it an [${input.join(', ')}] image through the flatten layer '${m.out.layers[0].name}'.`,
    );
  }
  for (const l of chain) {
    if (INFERENCE_NO_OPS.has(l.className)) {
      m.drop(l, 'no computation at inference');
      continue;
    }
    if (l.className === 'InputLayer') refuse(l.name, l.className, 'an InputLayer inside the chain (a nested model?) is not supported');
    if (l.className === 'Sequential' || l.className === 'Model' || l.className === 'Functional') {
      refuse(l.name, l.className, 'nested models are not supported; save the inner model on its own or flatten the model');
    }
    if (m.pendingPad && !TAKES_PAD.has(l.className)) {
      const p = m.pendingPad.layer;
      refuse(p.name, p.className, `a ZeroPadding2D is supported right before a conv or pool only; '${l.name}' (${l.className}) follows it`);
    }
    if (m.pendingAffine && !TAKES_AFFINE.has(l.className)) liftAffine(m, l);
    if (m.lifted !== undefined && !(ON_LIFTED.has(l.className) && !(l.className === 'Activation' && m.activation(l) === 'softmax'))) m.unlift();
    const handler = HANDLERS.get(l.className);
    if (!handler) {
      if (!NOT_YET_LAYERS.has(l.className) && NOT_YET_ACTIVATIONS.has(l.className.toLowerCase()))
        refuseActivation(l.name, l.className, l.className.toLowerCase());
      refuseLayerClass(l.name, l.className);
    }
    handler(m, l);
  }
  if (m.pendingPad) refuse(m.pendingPad.layer.name, m.pendingPad.layer.className, 'a ZeroPadding2D at the end of the model is not supported');
  if (m.pendingAffine) liftAffine(m, null);
  m.unlift();
  if (m.out.layers.length === 0)
    throw new ImportError('the model has no layers the lab can run (only input, dropped or preprocessing layers)', 'modelTopology');
  return m.out;
}

export type { Mapped } from './mapper.ts';
