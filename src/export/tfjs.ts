/**
 * Writes a lab model as a TensorFlow.js Layers model: `model.json` (format
 * 'layers-model', a Sequential topology as tfjs 4.22's `model.toJSON()`
 * writes it) and its weight shards, which `tf.loadLayersModel` loads as they
 * are. Hand-written, with no tfjs code at run time: it runs in the browser
 * worker as well as in Node, and the benchmark's TF.js peer loads these very
 * bytes (src/peers/tfjs-model.ts).
 *
 * The interface is TF.js's own: input `[N, H, W, C]` float32 holding
 * pixel / 255 (channels-last like the lab, so activations and the flatten
 * order need no change), output `[N, classes]`. The model's preprocessing
 * x · scale + offset is a Keras `Rescaling` layer first.
 *
 * Layers map one to one, named as in the lab; weights move to Keras layouts:
 * - conv2d `[outC, kH, kW, inC]` → Conv2D `<layer>/kernel` `[kH, kW, inC, outC]`;
 * - depthwiseConv2d `[kH, kW, C·M]` → DepthwiseConv2D (depth_multiplier M)
 *   `<layer>/depthwise_kernel` `[kH, kW, C, M]` (the same bytes);
 * - dense `[out, in]` → Dense `<layer>/kernel` `[in, out]`.
 * A relu (or relu6 / sigmoid / tanh, or softmax after a dense) right after a
 * weighted layer becomes that layer's `activation`, as a TF.js user would
 * write it; elsewhere it is an Activation (LeakyReLU for leaky relu) layer.
 * Conv pads: 'same' and 'valid' pass through (TF's 'same' puts the odd pixel
 * after, as the lab does); explicit pads equal to the 'same' pads are
 * 'same', others a ZeroPadding2D before a 'valid' conv. Pool pads must be
 * exact too: TF's 'same' pooling leaves padded taps out (the lab's max pool
 * and its countIncludePad: false average), a ZeroPadding2D counts them (the
 * lab's countIncludePad: true average, or a max pool over non-negative
 * inputs, where a zero never wins). Anything else is refused, naming the layer.
 *
 * Weights are written as float32, or quantized per tensor as the tfjs
 * converter does (`--quantize_uint8`: value = q · scale + min with 0 exactly
 * representable; `--quantize_float16`: IEEE half), one group split into
 * 4 MiB shards like the converter's.
 */
import { describeEncoding, encodedByteLength, roundHalfEven } from '../model/codecs.ts';
import { float32ToFloat16Bits } from '../model/fp16.ts';
import type { ExplicitPadding, Layer, Padding, Pool2dLayer } from '../model/layers.ts';
import { depthMultiplier, hasPreprocess } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { validateModel } from '../model/model.ts';
import type { LayerShapes, Shape } from '../model/shapes.ts';
import { inferShapes, sizeOf } from '../model/shapes.ts';
import type { ExportedFile, ExportResult } from './types.ts';
import { totalBytes } from './types.ts';

/** Options of {@link exportTfjs}. */
export interface TfjsExportOptions {
  /** Store weights as uint8 (affine per tensor) or float16, as the tfjs converter's --quantize_uint8 / --quantize_float16. Default float32. */
  quantize?: 'uint8' | 'float16';
  /** Model name in the topology (default: the architecture's name). */
  name?: string;
  /** Largest shard in bytes (default 4 MiB, the converter's). */
  shardBytes?: number;
}

/** The tfjs-layers version whose `toJSON()` output model.json follows (and the tests load it with). */
export const TFJS_LAYERS_VERSION = '4.22.0';
/** The converter's default shard size: 4 MiB, the largest file every major browser caches. */
export const TFJS_SHARD_BYTES = 4 * 1024 * 1024;
/** Written in model.json's generatedBy (package.json's version; a test keeps them equal). */
export const LAB_VERSION = '0.1.0';
/** The key of the lab's entry in model.json's userDefinedMetadata. */
export const TFJS_METADATA_KEY = 'compressionLab';

/** One layer of the Keras JSON. */
interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

/** One weight in Keras layout, in the order tfjs creates a layer's weights. */
interface KerasWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Where a lab layer went: the TF.js layer that computes it, and how. */
export interface TfjsLayerMapping {
  name: string;
  kind: Layer['kind'];
  tfjs: string;
  how: 'layer' | 'fused activation' | 'after ZeroPadding2D';
}

/** A Keras padding mode, and whether a ZeroPadding2D was put before the layer to get the lab's pads. */
interface KerasPadding {
  padding: 'same' | 'valid';
  zeroPadded: boolean;
}

/** TF.js's rule for layer and weight names (tfjs-layers common.ts); a lab name outside it is rewritten. */
const TFJS_NAME = /^[A-Za-z0-9][-A-Za-z0-9._]*$/;

/** Activations a Keras conv/dense layer takes as its `activation`, by the lab layer that would be folded in. */
function fusable(weighted: Layer, next: Layer | undefined): string | undefined {
  if (!next) return undefined;
  if (next.kind === 'relu') return 'relu';
  if (next.kind === 'activation' && next.fn !== 'leakyRelu') return next.fn;
  if (next.kind === 'softmax' && weighted.kind === 'dense') return 'softmax';
  return undefined;
}

/** Activations whose output is never negative (so a zero pad can never win a max). */
const NON_NEGATIVE = new Set(['relu', 'relu6', 'sigmoid', 'softmax']);

/** TF's 'same' pads of one layer on its input: total = max((⌈in/s⌉ − 1)·s + k − in, 0), the odd pixel after. */
function samePads(input: Shape, k: readonly [number, number], s: readonly [number, number]): ExplicitPadding {
  const axis = (a: 0 | 1): [number, number] => {
    const total = Math.max((Math.ceil(input[a] / s[a]) - 1) * s[a] + k[a] - input[a], 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [top, bottom] = axis(0);
  const [left, right] = axis(1);
  return { top, bottom, left, right };
}

const samePadding = (a: ExplicitPadding, b: ExplicitPadding): boolean => a.top === b.top && a.bottom === b.bottom && a.left === b.left && a.right === b.right;
const noPadding = (p: ExplicitPadding): boolean => p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0;
const showPads = (p: ExplicitPadding): string => `top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right}`;

/** conv2d weight `[outC, kH, kW, inC]` → Keras `[kH, kW, inC, outC]`. */
function ohwiToHwio(w: Float32Array, outC: number, kh: number, kw: number, inC: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < outC; o++) {
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < inC; i++) out[((y * kw + x) * inC + i) * outC + o] = w[((o * kh + y) * kw + x) * inC + i];
      }
    }
  }
  return out;
}

/** dense weight `[out, in]` → Keras `[in, out]`. */
function outInToInOut(w: Float32Array, out: number, inN: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inN; i++) t[i * out + o] = w[o * inN + i];
  return t;
}

// Config fields tfjs writes for every weighted layer; with loaded weights the initializers never run.
const GLOROT_NORMAL = { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } };
const ZEROS = { class_name: 'Zeros', config: {} };

/** Builds the Keras layer list and weights of one model. */
class Writer {
  readonly layers: KerasLayer[] = [];
  readonly weights: KerasWeight[] = [];
  readonly mapping: TfjsLayerMapping[] = [];
  /** Lab layer name → its TF.js name, when TF.js's naming rule forced a change. */
  readonly renamed: Record<string, string> = {};
  private readonly used = new Set<string>();
  private readonly labNames = new Map<string, string>();
  /** The current activation is never negative (after a relu, relu6, sigmoid or softmax and any pooling or flatten of it). */
  nonNegative = false;

  constructor(
    private readonly model: Model,
    private readonly batchInputShape: (number | null)[],
  ) {
    // Lab names first, so an added layer (a pad, the rescaling) never takes a lab layer's name.
    for (const layer of model.architecture.layers) {
      const name = this.unique(layer.name);
      this.labNames.set(layer.name, name);
      if (name !== layer.name) this.renamed[layer.name] = name;
    }
  }

  fail(layer: Layer, why: string): never {
    throw new Error(`exportTfjs: model '${this.model.architecture.name}', layer '${layer.name}' (${layer.kind}): ${why}`);
  }

  private unique(base: string): string {
    let name = base.replace(/[^-A-Za-z0-9._]/g, '_');
    if (!TFJS_NAME.test(name)) name = `l${name}`;
    const stem = name;
    for (let k = 2; this.used.has(name); k++) name = `${stem}_${k}`;
    this.used.add(name);
    return name;
  }

  nameOf(layer: Layer): string {
    return this.labNames.get(layer.name)!;
  }

  /** Appends a layer; the first one carries the input shape, as tfjs's toJSON writes it. */
  push(className: string, config: Record<string, unknown>, name: string): void {
    const base: Record<string, unknown> = { ...config, name, trainable: true };
    if (this.layers.length === 0) Object.assign(base, { batch_input_shape: this.batchInputShape, dtype: 'float32' });
    this.layers.push({ class_name: className, config: base });
  }

  rescaling(scale: number, offset: number): void {
    this.push('Rescaling', { scale, offset }, this.unique('rescaling'));
  }

  zeroPadding(layer: Layer, p: ExplicitPadding): void {
    const padding = [
      [p.top, p.bottom],
      [p.left, p.right],
    ];
    this.push('ZeroPadding2D', { padding, data_format: 'channels_last' }, this.unique(`${this.nameOf(layer)}_pad`));
  }

  /** A conv's padding in Keras terms: 'same'/'valid', with a ZeroPadding2D first for pads 'same' does not give. */
  convPadding(layer: Layer & { padding: Padding; kernel: [number, number]; stride: [number, number] }, input: Shape): KerasPadding {
    const p = layer.padding;
    if (typeof p === 'string') return { padding: p, zeroPadded: false };
    if (noPadding(p)) return { padding: 'valid', zeroPadded: false };
    if (samePadding(p, samePads(input, layer.kernel, layer.stride))) return { padding: 'same', zeroPadded: false };
    this.zeroPadding(layer, p);
    return { padding: 'valid', zeroPadded: true };
  }

  weight(layer: Layer, suffix: 'weight' | 'bias'): Float32Array {
    // validateModel has checked every tensor's presence and size.
    return this.model.weights[`${layer.name}.${suffix}`];
  }

  addWeight(layer: Layer, param: string, shape: number[], values: Float32Array): void {
    this.weights.push({ name: `${this.nameOf(layer)}/${param}`, shape, values });
  }

  map(layer: Layer, how: TfjsLayerMapping['how'], tfjs = this.nameOf(layer)): void {
    this.mapping.push({ name: layer.name, kind: layer.kind, tfjs, how });
  }

  /** Keras' padding for a pool, with a ZeroPadding2D first when that is what is exact; refuses what has no exact form. */
  poolPadding(layer: Pool2dLayer, input: Shape): KerasPadding {
    const p = layer.padding;
    if (!p || noPadding(p)) return { padding: 'valid', zeroPadded: false };
    const same = samePadding(p, samePads(input, layer.window, layer.stride));
    const zeroPadded = (): KerasPadding => {
      this.zeroPadding(layer, p);
      return { padding: 'valid', zeroPadded: true };
    };
    if (layer.kind === 'maxPool2d') {
      if (same) return { padding: 'same', zeroPadded: false };
      if (this.nonNegative) return zeroPadded();
      this.fail(
        layer,
        `max pooling with pads (${showPads(p)}) on its ${input[0]}×${input[1]} input has no exact TF.js Layers form: ` +
          `the lab skips padded taps, TF's 'same' pads (${showPads(samePads(input, layer.window, layer.stride))}) differ, ` +
          'and a ZeroPadding2D would let a zero win over negative inputs',
      );
    }
    if (layer.countIncludePad) return zeroPadded();
    if (same) return { padding: 'same', zeroPadded: false };
    this.fail(
      layer,
      `average pooling with pads (${showPads(p)}) left out of the average has no exact TF.js Layers form on its ${input[0]}×${input[1]} input: ` +
        `TF's 'same' pads there are (${showPads(samePads(input, layer.window, layer.stride))}), and a ZeroPadding2D would count the pads`,
    );
  }
}

/** Maps every layer (folding activations where Keras would), recording where each lab layer went. */
function writeLayers(w: Writer, shapes: LayerShapes[]): void {
  for (let i = 0; i < shapes.length; i++) {
    const ls = shapes[i];
    const { layer, input } = ls;
    const next = shapes[i + 1]?.layer;
    switch (layer.kind) {
      case 'conv2d':
      case 'depthwiseConv2d':
      case 'dense': {
        const activation = fusable(layer, next);
        const name = w.nameOf(layer);
        if (layer.kind === 'dense') {
          const inN = input[0];
          w.push(
            'Dense',
            {
              units: layer.units,
              activation: activation ?? 'linear',
              use_bias: layer.bias,
              kernel_initializer: GLOROT_NORMAL,
              bias_initializer: ZEROS,
              kernel_regularizer: null,
              bias_regularizer: null,
              activity_regularizer: null,
              kernel_constraint: null,
              bias_constraint: null,
            },
            name,
          );
          w.addWeight(layer, 'kernel', [inN, layer.units], outInToInOut(w.weight(layer, 'weight'), layer.units, inN));
          w.map(layer, 'layer');
        } else {
          const { padding, zeroPadded } = w.convPadding(layer, input);
          const common = {
            kernel_size: layer.kernel,
            strides: layer.stride,
            padding,
            data_format: 'channels_last',
            dilation_rate: [1, 1],
            activation: activation ?? 'linear',
            use_bias: layer.bias,
            bias_initializer: ZEROS,
            bias_regularizer: null,
            activity_regularizer: null,
            bias_constraint: null,
          };
          const [kh, kw] = layer.kernel;
          const inC = input[2];
          if (layer.kind === 'conv2d') {
            w.push('Conv2D', { filters: layer.filters, kernel_initializer: GLOROT_NORMAL, kernel_regularizer: null, kernel_constraint: null, ...common }, name);
            w.addWeight(layer, 'kernel', [kh, kw, inC, layer.filters], ohwiToHwio(w.weight(layer, 'weight'), layer.filters, kh, kw, inC));
          } else {
            w.push(
              'DepthwiseConv2D',
              {
                ...common,
                depth_multiplier: depthMultiplier(layer),
                depthwise_initializer: GLOROT_NORMAL,
                depthwise_regularizer: null,
                depthwise_constraint: null,
              },
              name,
            );
            // [kH, kW, C·M] and [kH, kW, C, M] are the same bytes.
            w.addWeight(layer, 'depthwise_kernel', [kh, kw, inC, depthMultiplier(layer)], w.weight(layer, 'weight').slice());
          }
          w.map(layer, zeroPadded ? 'after ZeroPadding2D' : 'layer');
        }
        if (layer.bias) w.addWeight(layer, 'bias', [sizeOf(ls.output.slice(-1))], w.weight(layer, 'bias').slice());
        if (activation !== undefined) {
          w.map(next!, 'fused activation', name);
          i++;
        }
        w.nonNegative = activation !== undefined && NON_NEGATIVE.has(activation);
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const { padding, zeroPadded } = w.poolPadding(layer, input);
        const className = layer.kind === 'maxPool2d' ? 'MaxPooling2D' : 'AveragePooling2D';
        w.push(className, { pool_size: layer.window, padding, strides: layer.stride, data_format: 'channels_last' }, w.nameOf(layer));
        w.map(layer, zeroPadded ? 'after ZeroPadding2D' : 'layer');
        break;
      }
      case 'flatten':
        w.push('Flatten', {}, w.nameOf(layer));
        w.map(layer, 'layer');
        break;
      case 'relu':
      case 'softmax':
        w.push('Activation', { activation: layer.kind }, w.nameOf(layer));
        w.map(layer, 'layer');
        w.nonNegative = true;
        break;
      case 'activation':
        if (layer.fn === 'leakyRelu') w.push('LeakyReLU', { alpha: layer.alpha }, w.nameOf(layer));
        else w.push('Activation', { activation: layer.fn }, w.nameOf(layer));
        w.map(layer, 'layer');
        w.nonNegative = NON_NEGATIVE.has(layer.fn);
        break;
      default: {
        const unknown: never = layer;
        const l = unknown as Layer;
        throw new Error(`exportTfjs: layer '${l.name}' has kind ${JSON.stringify(l.kind)}, which has no TF.js Layers form`);
      }
    }
  }
}

/** The manifest entry of one weight and its stored bytes. */
interface Stored {
  spec: { name: string; shape: number[]; dtype: 'float32'; quantization?: Record<string, unknown> };
  bytes: Uint8Array;
}

/**
 * uint8 affine quantization of one tensor, as tfjs-converter's quantization.py
 * computes it (in double precision, numpy's round-half-to-even):
 * scale = (max − min) / 255; when min ≤ 0 ≤ max the range is nudged so that
 * 0 is exactly q0 · scale + min' (q0 = round(−min / scale), min' = −q0 · scale,
 * max' = 255 · scale + min'); q = round((clip(v, min', max') − min') / scale).
 * A constant tensor stores all zeros with scale 1 and min = its value.
 */
export function quantizeUint8(values: Float32Array): { q: Uint8Array; scale: number; min: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const q = new Uint8Array(values.length);
  if (lo === hi) return { q, scale: 1, min: lo };
  const scale = (hi - lo) / 255;
  let min = lo;
  let max = hi;
  if (lo <= 0 && hi >= 0) {
    const zeroPoint = roundHalfEven((0 - lo) / scale);
    // `0 -` keeps a zero point of 0 from writing min as −0.
    min = 0 - zeroPoint * scale;
    max = 255 * scale + min;
  }
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(Math.max(values[i], min), max);
    q[i] = Math.min(255, Math.max(0, roundHalfEven((v - min) / scale)));
  }
  return { q, scale, min };
}

function storeWeight(w: KerasWeight, quantize: TfjsExportOptions['quantize'], modelName: string): Stored {
  const spec: Stored['spec'] = { name: w.name, shape: w.shape, dtype: 'float32' };
  if (quantize === 'uint8') {
    const { q, scale, min } = quantizeUint8(w.values);
    spec.quantization = { dtype: 'uint8', min, scale, original_dtype: 'float32' };
    return { spec, bytes: q };
  }
  if (quantize === 'float16') {
    const bytes = new Uint8Array(w.values.length * 2);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < w.values.length; i++) {
      const bits = float32ToFloat16Bits(w.values[i]);
      if ((bits & 0x7c00) === 0x7c00) {
        throw new Error(
          `exportTfjs: model '${modelName}', weight '${w.name}': value ${w.values[i]} at index ${i} is beyond float16's range (±65504); export it as float32 or uint8`,
        );
      }
      view.setUint16(i * 2, bits, true);
    }
    spec.quantization = { dtype: 'float16', original_dtype: 'float32' };
    return { spec, bytes };
  }
  const bytes = new Uint8Array(w.values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < w.values.length; i++) view.setFloat32(i * 4, w.values[i], true);
  return { spec, bytes };
}

/** One weight group, concatenated in order and cut into shards of `shardBytes` (the last one shorter), named as the converter names them. */
function shards(stored: Stored[], shardBytes: number): ExportedFile[] {
  const total = stored.reduce((n, s) => n + s.bytes.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const s of stored) {
    data.set(s.bytes, at);
    at += s.bytes.length;
  }
  const n = Math.ceil(total / shardBytes);
  return Array.from({ length: n }, (_, k) => ({ name: `group1-shard${k + 1}of${n}.bin`, bytes: data.slice(k * shardBytes, (k + 1) * shardBytes) }));
}

/** The provenance as plain JSON (tfjs accepts only plain objects in userDefinedMetadata); what JSON cannot hold is dropped. */
function plainJson(v: unknown): unknown {
  try {
    const text = JSON.stringify(v);
    return text === undefined ? null : (JSON.parse(text) as unknown);
  } catch (e) {
    return { unreadable: String((e as Error)?.message ?? e) };
  }
}

function checkOptions(model: Model, opts: TfjsExportOptions): void {
  const name = model?.architecture?.name ?? '?';
  const bad = (why: string): never => {
    throw new Error(`exportTfjs: model '${name}': ${why}`);
  };
  if (opts.quantize !== undefined && opts.quantize !== 'uint8' && opts.quantize !== 'float16')
    bad(`quantize must be 'uint8' or 'float16' (or absent for float32), got ${JSON.stringify(opts.quantize)}`);
  if (opts.shardBytes !== undefined && !(Number.isInteger(opts.shardBytes) && opts.shardBytes > 0))
    bad(`shardBytes must be a positive integer, got ${JSON.stringify(opts.shardBytes)}`);
  if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name.trim() === ''))
    bad(`name must be a non-empty string, got ${JSON.stringify(opts.name)}`);
}

/** What the file keeps and loses of this model, one sentence each. */
function statement(model: Model, w: Writer, quantize: TfjsExportOptions['quantize'], weightBytes: number): { keeps: string[]; loses: string[] } {
  const arch = model.architecture;
  const params = Object.values(model.weights).reduce((n, t) => n + t.length, 0);
  const p = arch.preprocess;
  const stored =
    quantize === 'uint8'
      ? 'as uint8 with one scale and min per tensor (value = q · scale + min, 0 exactly representable when the tensor spans it; TF.js dequantizes to float32 when it loads them)'
      : quantize === 'float16'
        ? 'as IEEE float16 (TF.js widens them to float32 when it loads them)'
        : 'as float32, exactly the values the lab computes with';
  const keeps = [
    `Every weight (${w.weights.length} tensors, ${params.toLocaleString('en-US')} parameters) ${stored}, in Keras layouts.`,
    `The input convention: [N, ${arch.inputShape.join(', ')}] channels-last float32 holding pixel / 255${hasPreprocess(p) ? `, with the preprocessing x · ${p.scale} + ${p.offset}${p.label ? ` (${p.label})` : ''} as a Rescaling layer first` : ''}.`,
    `The lab's layer names${
      Object.keys(w.renamed).length
        ? ` (${Object.entries(w.renamed)
            .map(([a, b]) => `'${a}' → '${b}'`)
            .join(', ')}, as TF.js names allow)`
        : ''
    }; activations folded into the layer before them are listed in model.json's userDefinedMetadata with the provenance (source, pipeline, accuracy).`,
  ];
  const loses: string[] = [];
  const encodings = Object.entries(model.encodings ?? {}).filter(([, e]) => e.kind !== 'fp32');
  if (encodings.length > 0) {
    const shapes = Object.fromEntries(inferShapes(arch).flatMap((ls) => Object.entries(ls.weights)));
    let labBytes: number | undefined;
    try {
      labBytes = Object.entries(model.weights).reduce(
        (n, [name, t]) => n + encodedByteLength(shapes[name] ?? [t.length], model.encodings?.[name] ?? { kind: 'fp32' }),
        0,
      );
    } catch {
      labBytes = undefined;
    }
    const kinds = [...new Set(encodings.map(([, e]) => describeEncoding(e).replace(/ \d+ entries.*$|, seed=.*$/, '')))];
    loses.push(
      `The lab's storage encodings (${kinds.join('; ')}): TF.js Layers has no codebook, Huffman, hashed or sparse weight storage, so the decoded values are written densely` +
        (labBytes !== undefined
          ? ` — ${weightBytes.toLocaleString('en-US')} weight bytes here against ${labBytes.toLocaleString('en-US')} in the lab's file.`
          : '.'),
    );
  }
  const zeros = Object.values(model.weights).reduce((n, t) => n + t.reduce((z, v) => z + (v === 0 ? 1 : 0), 0), 0);
  if (zeros >= 0.01 * params) {
    loses.push(
      `Sparsity is kept only as zeros: ${((100 * zeros) / params).toFixed(1)} % of the weights are 0 and are stored and multiplied like any other (TF.js Layers has no sparse storage or sparse kernels).`,
    );
  }
  if (quantize === 'uint8') loses.push('uint8 rounds each weight to one of 256 levels of its tensor (error up to half a step, scale / 2).');
  if (quantize === 'float16') loses.push('float16 rounds each weight to 11 significant bits.');
  return { keeps, loses };
}

/**
 * A lab model as a TF.js Layers model: model.json first, then the weight
 * shard(s) `group1-shardKofN.bin`. Pure: no tfjs code, nothing written.
 * @throws Error naming the layer (and kind) that has no exact TF.js form, the
 *   tensor that is missing, mis-sized or not finite, or the bad option
 */
export function exportTfjs(model: Model, opts: TfjsExportOptions = {}): ExportResult {
  if (typeof model !== 'object' || model === null || typeof model.architecture !== 'object' || model.architecture === null) {
    throw new Error(`exportTfjs: expected a lab model { architecture, weights }, got ${model === null ? 'null' : typeof model}`);
  }
  opts ??= {};
  checkOptions(model, opts);
  try {
    validateModel(model);
  } catch (e) {
    throw new Error(`exportTfjs: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  const arch = model.architecture;
  const shapes = inferShapes(arch);
  const w = new Writer(model, [null, ...arch.inputShape]);
  if (hasPreprocess(arch.preprocess)) w.rescaling(arch.preprocess.scale, arch.preprocess.offset);
  writeLayers(w, shapes);

  const stored = w.weights.map((kw) => storeWeight(kw, opts.quantize, arch.name));
  const shardFiles = shards(stored, opts.shardBytes ?? TFJS_SHARD_BYTES);
  const weightBytes = totalBytes(shardFiles);
  const p = arch.preprocess;
  const metadata = {
    [TFJS_METADATA_KEY]: {
      architecture: arch.name,
      inputShape: arch.inputShape,
      input: 'NHWC float32, pixel / 255',
      preprocess: hasPreprocess(p) ? { scale: p.scale, offset: p.offset, ...(p.label ? { label: p.label } : {}) } : null,
      layers: w.mapping,
      ...(Object.keys(w.renamed).length ? { renamed: w.renamed } : {}),
      weights: opts.quantize ?? 'float32',
      encodings: Object.fromEntries(Object.entries(model.encodings ?? {}).map(([k, e]) => [k, describeEncoding(e)])),
      provenance: plainJson(model.provenance),
    },
  };
  const json = {
    modelTopology: {
      class_name: 'Sequential',
      config: { name: opts.name ?? arch.name, layers: w.layers },
      keras_version: `tfjs-layers ${TFJS_LAYERS_VERSION}`,
      backend: 'tensor_flow.js',
    },
    format: 'layers-model',
    generatedBy: `compression-lab ${LAB_VERSION}`,
    convertedBy: null,
    weightsManifest: [{ paths: shardFiles.map((f) => f.name), weights: stored.map((s) => s.spec) }],
    userDefinedMetadata: metadata,
  };
  const files: ExportedFile[] = [{ name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(json)) }, ...shardFiles];
  return { format: 'tfjs', files, bytes: totalBytes(files), ...statement(model, w, opts.quantize, weightBytes) };
}
