/**
 * Writes a lab model as a standard ONNX file (IR version 8, default-domain
 * opset 17) that ONNX Runtime (web, mobile, server) loads as it is. The
 * benchmark's ORT peers run these same bytes.
 *
 * The interface is ONNX's own convention, whatever the lab model is:
 * - input "input", float32 `[N, C, H, W]` (NCHW; the batch is the symbolic
 *   dimension "N" unless a fixed batch is asked for), holding pixel / 255;
 * - output "logits", float32 `[N, classes]`.
 * The model's preprocessing (x · scale + offset) is baked in as Mul and Add
 * right after the input, so a caller never needs to know it.
 *
 * The lab is NHWC inside; the file is NCHW throughout, as a PyTorch export
 * would be. Weights are converted once:
 * - conv2d `[outC, kH, kW, inC]` → `[outC, inC, kH, kW]`;
 * - depthwiseConv2d `[kH, kW, C·M]` → `[C·M, 1, kH, kW]` with `group = C` (M the channel multiplier);
 * - dense `[out, in]` is Gemm's B with `transB = 1`; the first dense layer
 *   after a flatten of an image gets its columns reordered from the lab's
 *   (h, w, c) order to ONNX's (c, h, w) flatten order, so no Transpose is
 *   needed (the importer undoes exactly this on the way back in).
 * `same` padding becomes explicit `pads` (the odd pixel after).
 *
 * int8 models (an `Int8Model` from the lab's calibration) are written in the
 * QDQ form ONNX Runtime fuses into its integer kernels: int8 weights with one
 * scale per output channel (DequantizeLinear axis 0), int32 biases at scale
 * input · weight, and each activation tensor as QuantizeLinear →
 * DequantizeLinear with the lab's calibrated per-tensor scale and zero point.
 * Node names are the lab's layer names throughout.
 */
import type { Conv2dLayer, DenseLayer, DepthwiseConv2dLayer, Layer, Pool2dLayer } from '../model/layers.ts';
import { depthMultiplier, hasPreprocess } from '../model/layers.ts';
import type { Int8Model, Int8WeightedOp, QuantParams } from '../model/int8.ts';
import type { Model } from '../model/model.ts';
import type { LayerShapes, Shape } from '../model/shapes.ts';
import { axisPadding, inferShapes, padBefore, sizeOf } from '../model/shapes.ts';
import { ONNX_ATTR, ONNX_DTYPE, modelProtoType } from '../import/onnx/schema.ts';

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /**
   * Batch dimension of "input" and "logits": a fixed size, or `'dynamic'`
   * (a symbolic dimension "N", so one session serves any batch). A fixed
   * batch lets a runtime plan every buffer ahead. Default `'dynamic'`.
   */
  batch?: number | 'dynamic';
  /** Recorded in `ModelProto.producer_version`. */
  producerVersion?: string;
  /**
   * Write this integer-only model (calibrated from `model`) in QDQ form
   * instead of the float graph. Its architecture must be the model's.
   */
  int8?: Int8Model;
  /** Extra `metadata_props` entries (the provenance's are added anyway). */
  metadata?: Record<string, string>;
  /**
   * Default-domain opset to declare, 17 (default) to 21. Every op the lab
   * writes means the same from 17 to 21 (later versions only widen types or
   * add attributes it does not use), so the graph is the same.
   */
  opset?: number;
}

/** The graph input and output names (the lab's, and what the runners feed and fetch). */
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'logits';
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

interface Attr {
  name: string;
  type: number;
  i?: number;
  f?: number;
  ints?: number[];
}

interface Node {
  name: string;
  opType: string;
  input: string[];
  output: string[];
  attribute: Attr[];
}

interface Initializer {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

const intAttr = (name: string, i: number): Attr => ({ name, type: ONNX_ATTR.INT, i });
const intsAttr = (name: string, ints: number[]): Attr => ({ name, type: ONNX_ATTR.INTS, ints });
const floatAttr = (name: string, f: number): Attr => ({ name, type: ONNX_ATTR.FLOAT, f });

/** Little-endian bytes, whatever the host's byte order (ONNX raw_data is little-endian by spec). */
function float32Bytes(data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}
function int32Bytes(data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setInt32(i * 4, data[i], true);
  return out;
}
function int8Bytes(data: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Int8Array.from(data).buffer);
}

/** conv2d weight `[outC, kH, kW, inC]` → ONNX `[outC, inC, kH, kW]` (any element type). */
function convWeightToOihw<T extends Float32Array | Int8Array>(w: T, outC: number, kh: number, kw: number, inC: number): T {
  const out = new (w.constructor as new (n: number) => T)(w.length);
  for (let o = 0; o < outC; o++) {
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < inC; i++) out[((o * inC + i) * kh + y) * kw + x] = w[((o * kh + y) * kw + x) * inC + i];
      }
    }
  }
  return out;
}

/** depthwise weight `[kH, kW, C·M]` → ONNX grouped-conv weight `[C·M, 1, kH, kW]` (`c` = C·M; group C keeps output o on input ⌊o / M⌋). */
function depthwiseWeightToC1hw<T extends Float32Array | Int8Array>(w: T, kh: number, kw: number, c: number): T {
  const out = new (w.constructor as new (n: number) => T)(w.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let ch = 0; ch < c; ch++) out[(ch * kh + y) * kw + x] = w[(y * kw + x) * c + ch];
    }
  }
  return out;
}

/** dense weight `[out, in]` with `in` in (h, w, c) order → the same rows with columns in (c, h, w) order. */
function denseColumnsToChw<T extends Float32Array | Int8Array>(w: T, units: number, [h, wd, c]: Shape): T {
  const inN = h * wd * c;
  const out = new (w.constructor as new (n: number) => T)(w.length);
  for (let o = 0; o < units; o++) {
    const row = o * inN;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < wd; x++) {
        for (let ch = 0; ch < c; ch++) out[row + (ch * h + y) * wd + x] = w[row + (y * wd + x) * c + ch];
      }
    }
  }
  return out;
}

/** ONNX `pads` `[top, left, bottom, right]` reproducing the lab's padding rule exactly. */
function convPads(layer: Conv2dLayer | DepthwiseConv2dLayer, inShape: Shape, outShape: Shape): number[] {
  const pads = [0, 0, 0, 0];
  for (let axis = 0; axis < 2; axis++) {
    const ap = axisPadding(layer.padding, axis as 0 | 1);
    const before = padBefore(inShape[axis], layer.kernel[axis], layer.stride[axis], ap);
    // Whatever the output size needs beyond the input plus the leading pad goes after; for 'valid' this is
    // negative (trailing pixels the kernel never reaches), which ONNX expresses as pad 0.
    // Explicit pads are written as given (ONNX's output size is the same floor formula).
    const after = typeof ap === 'string' ? Math.max((outShape[axis] - 1) * layer.stride[axis] + layer.kernel[axis] - inShape[axis] - before, 0) : ap[1];
    pads[axis] = before;
    pads[axis + 2] = after;
  }
  return pads;
}

function convAttrs(layer: Conv2dLayer | DepthwiseConv2dLayer, inShape: Shape, outShape: Shape, group: number): Attr[] {
  return [
    intsAttr('kernel_shape', [...layer.kernel]),
    intsAttr('strides', [...layer.stride]),
    intsAttr('pads', convPads(layer, inShape, outShape)),
    intsAttr('dilations', [1, 1]),
    intAttr('group', group),
  ];
}

function poolAttrs(layer: Pool2dLayer): Attr[] {
  // The lab floors the output size (ceil_mode 0); ONNX's MaxPool skips padded taps as the lab does, and
  // AveragePool's count_include_pad is the lab's countIncludePad.
  const p = layer.padding ?? { top: 0, bottom: 0, left: 0, right: 0 };
  const attrs = [
    intsAttr('kernel_shape', [...layer.window]),
    intsAttr('strides', [...layer.stride]),
    intsAttr('pads', [p.top, p.left, p.bottom, p.right]),
    intAttr('ceil_mode', 0),
  ];
  if (layer.kind === 'avgPool2d' && layer.padding) attrs.push(intAttr('count_include_pad', layer.countIncludePad ? 1 : 0));
  return attrs;
}

/**
 * Which dense layers read a flattened image (and so get their columns
 * reordered to CHW), keyed by layer name with the image's [H, W, C]; and
 * which flattens must instead transpose back to NHWC first, because no dense
 * layer follows them (the flat vector itself is an output).
 */
function flattenPlan(shapes: LayerShapes[]): { reorder: Map<string, Shape>; flattenOf: Map<string, string>; transpose: Set<string> } {
  const reorder = new Map<string, Shape>();
  const flattenOf = new Map<string, string>();
  const transpose = new Set<string>();
  for (let i = 0; i < shapes.length; i++) {
    const { layer, input } = shapes[i];
    if (layer.kind !== 'flatten' || input.length !== 3) continue;
    // Elementwise layers and softmax commute with a permutation of the features; the next dense undoes it.
    let j = i + 1;
    while (j < shapes.length && ['relu', 'activation', 'flatten', 'softmax'].includes(shapes[j].layer.kind)) j++;
    if (j < shapes.length && shapes[j].layer.kind === 'dense') {
      reorder.set(shapes[j].layer.name, input);
      flattenOf.set(shapes[j].layer.name, layer.name);
    } else transpose.add(layer.name);
  }
  return { reorder, flattenOf, transpose };
}

/** One graph under construction: nodes in topological order and their initializers. */
class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly inits: Initializer[] = [];
  readonly #used = new Set<string>();

  constructor(private readonly modelName: string) {}

  /** A value or node name not taken yet (`base`, else `base_2`, …). */
  unique(base: string): string {
    let name = base;
    for (let k = 2; this.#used.has(name); k++) name = `${base}_${k}`;
    this.#used.add(name);
    return name;
  }

  init(name: string, dims: number[], dataType: number, rawData: Uint8Array, count: number): string {
    if (count !== sizeOf(dims)) {
      throw new Error(`exportOnnx: model '${this.modelName}': tensor '${name}' has ${count} values, shape [${dims.join(', ')}] needs ${sizeOf(dims)}`);
    }
    const unique = this.unique(name);
    this.inits.push({ name: unique, dims, dataType, rawData });
    return unique;
  }
  floats(name: string, dims: number[], data: ArrayLike<number>): string {
    return this.init(name, dims, ONNX_DTYPE.FLOAT, float32Bytes(data), data.length);
  }
  int8s(name: string, dims: number[], data: ArrayLike<number>): string {
    return this.init(name, dims, ONNX_DTYPE.INT8, int8Bytes(data), data.length);
  }
  int32s(name: string, dims: number[], data: ArrayLike<number>): string {
    return this.init(name, dims, ONNX_DTYPE.INT32, int32Bytes(data), data.length);
  }

  /** Adds a node named `name` (made unique); its one output value gets the node's name. */
  add(opType: string, name: string, input: string[], attribute: Attr[] = []): string {
    const unique = this.unique(name);
    this.nodes.push({ name: unique, opType, input, output: [unique], attribute });
    return unique;
  }
}

function weightOf(model: Model, name: string, layer: Layer): Float32Array {
  const t = model.weights[name];
  if (!t) throw new Error(`exportOnnx: model '${model.architecture.name}', layer '${layer.name}' (${layer.kind}): tensor '${name}' is missing`);
  return t;
}

/** The weight of a conv, depthwise or dense layer in ONNX layout (float or int8 codes), with its ONNX dims. */
function onnxWeight<T extends Float32Array | Int8Array>(
  layer: Conv2dLayer | DepthwiseConv2dLayer | DenseLayer,
  w: T,
  inShape: Shape,
  reorder: Map<string, Shape>,
): { data: T; dims: number[] } {
  const expect = (n: number): void => {
    if (w.length !== n) throw new Error(`exportOnnx: tensor '${layer.name}.weight' has ${w.length} values, expected ${n}`);
  };
  switch (layer.kind) {
    case 'conv2d': {
      const [kh, kw] = layer.kernel;
      const inC = inShape[2];
      expect(layer.filters * kh * kw * inC);
      return { data: convWeightToOihw(w, layer.filters, kh, kw, inC), dims: [layer.filters, inC, kh, kw] };
    }
    case 'depthwiseConv2d': {
      const [kh, kw] = layer.kernel;
      const c = inShape[2] * depthMultiplier(layer);
      expect(kh * kw * c);
      return { data: depthwiseWeightToC1hw(w, kh, kw, c), dims: [c, 1, kh, kw] };
    }
    case 'dense': {
      const inN = sizeOf(inShape);
      expect(layer.units * inN);
      const image = reorder.get(layer.name);
      return { data: image ? denseColumnsToChw(w, layer.units, image) : w, dims: [layer.units, inN] };
    }
  }
}

/** The ONNX op and attributes of a conv, depthwise or dense layer. */
function weightedNode(layer: Conv2dLayer | DepthwiseConv2dLayer | DenseLayer, inShape: Shape, outShape: Shape): { op: string; attrs: Attr[] } {
  if (layer.kind === 'dense') return { op: 'Gemm', attrs: [intAttr('transB', 1)] }; // A · Bᵀ + C = W x + b on the lab's [out, in] rows
  return { op: 'Conv', attrs: convAttrs(layer, inShape, outShape, layer.kind === 'depthwiseConv2d' ? inShape[2] : 1) };
}

/** An elementwise activation layer as its ONNX node. */
function activationNode(g: GraphBuilder, layer: Layer, cur: string): string {
  if (layer.kind === 'relu') return g.add('Relu', layer.name, [cur]);
  if (layer.kind !== 'activation') throw new Error(`exportOnnx: layer '${layer.name}' (${layer.kind}) is not an activation`);
  switch (layer.fn) {
    case 'relu6':
      return g.add('Clip', layer.name, [cur, g.floats(`${layer.name}.min`, [], [0]), g.floats(`${layer.name}.max`, [], [6])]);
    case 'leakyRelu':
      return g.add('LeakyRelu', layer.name, [cur], [floatAttr('alpha', layer.alpha ?? 0.01)]);
    case 'sigmoid':
      return g.add('Sigmoid', layer.name, [cur]);
    case 'tanh':
      return g.add('Tanh', layer.name, [cur]);
  }
}

/** Input preprocessing as Mul then Add, in f32 as every lab runtime computes it. */
function preprocessNodes(g: GraphBuilder, model: Model, cur: string): string {
  const p = model.architecture.preprocess;
  if (!hasPreprocess(p)) return cur;
  if (p.scale !== 1) cur = g.add('Mul', 'preprocess_scale', [cur, g.floats('preprocess.scale', [], [p.scale])]);
  if (p.offset !== 0) cur = g.add('Add', 'preprocess_offset', [cur, g.floats('preprocess.offset', [], [p.offset])]);
  return cur;
}

function floatGraph(g: GraphBuilder, model: Model, shapes: LayerShapes[]): string {
  const { reorder, transpose } = flattenPlan(shapes);
  let cur = preprocessNodes(g, model, ONNX_INPUT_NAME);
  let spatial = true;
  for (const { layer, input: inShape, output: outShape } of shapes) {
    switch (layer.kind) {
      case 'conv2d':
      case 'depthwiseConv2d':
      case 'dense': {
        const { data, dims } = onnxWeight(layer, weightOf(model, `${layer.name}.weight`, layer), inShape, reorder);
        const inputs = [cur, g.floats(`${layer.name}.weight`, dims, data)];
        if (layer.bias) inputs.push(g.floats(`${layer.name}.bias`, [dims[0]], weightOf(model, `${layer.name}.bias`, layer)));
        const { op, attrs } = weightedNode(layer, inShape, outShape);
        cur = g.add(op, layer.name, inputs, attrs);
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d':
        cur = g.add(layer.kind === 'maxPool2d' ? 'MaxPool' : 'AveragePool', layer.name, [cur], poolAttrs(layer));
        break;
      case 'flatten':
        if (spatial) {
          if (transpose.has(layer.name)) cur = g.add('Transpose', `${layer.name}_to_nhwc`, [cur], [intsAttr('perm', [0, 2, 3, 1])]);
          cur = g.add('Flatten', layer.name, [cur], [intAttr('axis', 1)]);
          spatial = false;
        }
        // Flattening a flat vector changes nothing: no node.
        break;
      case 'relu':
      case 'activation':
        cur = activationNode(g, layer, cur);
        break;
      case 'softmax':
        // Opset ≥ 13 Softmax normalises along the one axis given; the lab's softmax is over the features of each image.
        cur = g.add('Softmax', layer.name, [cur], [intAttr('axis', -1)]);
        break;
      default: {
        const unknown: never = layer;
        throw new Error(`exportOnnx: layer '${(unknown as Layer).name}' has unknown kind ${JSON.stringify((unknown as Layer).kind)}`);
      }
    }
  }
  // A model that ends spatially hands back NHWC, like the lab's own executors.
  if (spatial) cur = g.add('Transpose', 'output_to_nhwc', [cur], [intsAttr('perm', [0, 2, 3, 1])]);
  return cur;
}

/**
 * The QDQ graph of an int8 model. Every activation tensor is the float value
 * of an int8 code (Q then DQ at its calibrated scale and zero point), so a
 * runtime that fuses QDQ runs integer kernels and one that does not still
 * computes the same quantized model in float.
 */
function int8Graph(g: GraphBuilder, model: Model, int8: Int8Model, shapes: LayerShapes[]): string {
  const { reorder, flattenOf } = flattenPlan(shapes);
  const byLayer = new Map(shapes.map((s) => [s.layer.name, s]));
  const qparams = (name: string, q: QuantParams): [string, string] => [
    g.floats(`${name}.scale`, [], [q.scale]),
    g.int8s(`${name}.zero_point`, [], [q.zeroPoint]),
  ];
  /** Q → DQ of a float value: the float value of its int8 code. */
  const qdq = (cur: string, name: string, q: QuantParams): string => {
    const p = qparams(name, q);
    return g.add('DequantizeLinear', `${name}_dequantize`, [g.add('QuantizeLinear', `${name}_quantize`, [cur, ...p]), ...p]);
  };
  /** The op's fused ReLUs and relu6 clamps (exact before the Q that follows: quantizeInt8Model checked the clamp). */
  const fusedActivations = (cur: string, op: { layers: string[] }): string => {
    for (const name of op.layers.slice(1)) {
      const layer = byLayer.get(name)?.layer;
      if (layer && (layer.kind === 'relu' || layer.kind === 'activation')) cur = activationNode(g, layer, cur);
    }
    return cur;
  };

  let cur = preprocessNodes(g, model, ONNX_INPUT_NAME);
  let t = qdq(cur, 'input', int8.input);
  if (int8.inputRelu) {
    // A ReLU before any weighted layer: relu of a dequantized code is the code clamped at the zero point, exactly.
    const first = int8.architecture.layers.find((l) => l.kind === 'relu' || l.kind === 'activation');
    t = qdq(activationNode(g, first!, t), 'input_relu', int8.input);
  }
  let spatial = true;
  for (const op of int8.ops) {
    const layer = op.layer;
    const inShape = op.inShape;
    if (op.kind === 'maxPool2d' || op.kind === 'avgPool2d') {
      cur = g.add(op.kind === 'maxPool2d' ? 'MaxPool' : 'AveragePool', layer.name, [t], poolAttrs(layer as Pool2dLayer));
      t = qdq(fusedActivations(cur, op), layer.name, op.quant);
      continue;
    }
    if (op.kind === 'lut') {
      // The lab's lookup table (sigmoid, tanh, leakyRelu) as DQ → f → Q at the table's output scale: ORT evaluates f
      // in float (or builds its own table from the same QDQ) and rounds once, so a code may differ from the lab's by one.
      t = qdq(fusedActivations(activationNode(g, op.layer, t), op), layer.name, op.output);
      continue;
    }
    const w = op as Int8WeightedOp;
    let x = t;
    if (w.kind === 'dense' && spatial && inShape.length === 3) {
      // Flatten the dequantized value and quantize it again at the same scale (exact: a reshape moves no value).
      // Keeping every op between a DQ and a Q is the pattern ORT's QDQ passes recognise: a Flatten between a Q and
      // its DQ would leave that pair int8 when ORT turns int8 activations into uint8, and the Gemm unfused.
      const flatName = flattenOf.get(layer.name) ?? `${layer.name}_flatten`;
      x = qdq(g.add('Flatten', flatName, [t], [intAttr('axis', 1)]), flatName, w.input);
      spatial = false;
    } else if (w.kind === 'dense') spatial = false;
    const real = byLayer.get(layer.name);
    if (!real) throw new Error(`exportOnnx: int8 op '${layer.name}' is not a layer of model '${model.architecture.name}'`);
    const { data, dims } = onnxWeight(w.layer, w.weight, real.input, reorder);
    const channels = dims[0];
    const wq = g.int8s(`${layer.name}.weight_quantized`, dims, data);
    const ws = g.floats(`${layer.name}.weight_scale`, [channels], w.weightScale);
    const wz = g.int8s(`${layer.name}.weight_zero_point`, [channels], new Int8Array(channels));
    const wdq = g.add('DequantizeLinear', `${layer.name}.weight_dequantize`, [wq, ws, wz], [intAttr('axis', 0)]);
    const inputs = [x, wdq];
    if (w.layer.bias) {
      // int32 bias at scale input · weight[c], zero point 0: the form QLinearConv / QGemm take their bias in.
      const bScale = Float32Array.from(w.weightScale, (s) => w.input.scale * s);
      const bq = g.int32s(`${layer.name}.bias_quantized`, [channels], w.bias);
      const bs = g.floats(`${layer.name}.bias_scale`, [channels], bScale);
      const bz = g.int32s(`${layer.name}.bias_zero_point`, [channels], new Int32Array(channels));
      inputs.push(g.add('DequantizeLinear', `${layer.name}.bias_dequantize`, [bq, bs, bz], [intAttr('axis', 0)]));
    }
    const { op: opType, attrs } = weightedNode(w.layer, real.input, real.output);
    cur = g.add(opType, layer.name, inputs, attrs);
    t = qdq(fusedActivations(cur, op), layer.name, w.output);
  }
  return t;
}

/** Provenance as `metadata_props` strings (objects as JSON). */
function metadataOf(model: Model, extra: Record<string, string> = {}): { key: string; value: string }[] {
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(model.provenance ?? {})) {
    if (v === undefined || v === null) continue;
    props[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  props['compression-lab.architecture'] = model.architecture.name;
  const p = model.architecture.preprocess;
  if (hasPreprocess(p)) props['compression-lab.preprocess'] = `${p.label ?? `x * ${p.scale} + ${p.offset}`} (baked in: feed pixel / 255)`;
  Object.assign(props, extra);
  return Object.entries(props).map(([key, value]) => ({ key, value }));
}

/**
 * Builds the ONNX graph of a lab model (the float graph, or the QDQ graph of
 * `opts.int8`) and serialises it as a ModelProto. Throws (naming the layer
 * or tensor) when the architecture does not fit or a weight is missing or
 * mis-sized; the model itself is not modified.
 */
export function exportOnnx(model: Model, opts: OnnxExportOptions = {}): Uint8Array {
  const arch = model.architecture;
  const batch = opts.batch ?? 'dynamic';
  if (batch !== 'dynamic' && !(Number.isInteger(batch) && batch > 0)) {
    throw new Error(`exportOnnx: batch must be a positive integer or 'dynamic', got ${JSON.stringify(batch)}`);
  }
  const opset = opts.opset ?? ONNX_OPSET;
  if (!(Number.isInteger(opset) && opset >= ONNX_OPSET && opset <= 21))
    throw new Error(`exportOnnx: opset must be an integer from ${ONNX_OPSET} to 21, got ${opset}`);
  const shapes = inferShapes(arch);
  if (shapes.length === 0) throw new Error(`exportOnnx: model '${arch.name}' has no layers`);
  if (opts.int8 && opts.int8.architecture.layers.length !== arch.layers.length) {
    throw new Error(`exportOnnx: the int8 model ('${opts.int8.architecture.name}') was not calibrated from model '${arch.name}'`);
  }

  const g = new GraphBuilder(arch.name);
  g.unique(ONNX_INPUT_NAME);
  const last = opts.int8 ? int8Graph(g, model, opts.int8, shapes) : floatGraph(g, model, shapes);
  // Name the last value "logits" by renaming the producing node's output (no extra Identity node).
  const producer = g.nodes.find((n) => n.output[0] === last);
  if (!producer) throw new Error(`exportOnnx: model '${arch.name}' computes nothing`);
  producer.output = [ONNX_OUTPUT_NAME];

  const outShape = shapes[shapes.length - 1].output;
  const [h, w, c] = arch.inputShape;
  const batchDim = batch === 'dynamic' ? { dimParam: 'N' } : { dimValue: batch };
  const valueInfo = (name: string, dims: readonly number[]) => ({
    name,
    type: { tensorType: { elemType: ONNX_DTYPE.FLOAT, shape: { dim: [batchDim, ...dims.map((d) => ({ dimValue: d }))] } } },
  });
  const type = modelProtoType();
  const message = type.fromObject({
    // The IR version each opset shipped with (ONNX 1.12/1.13 IR 8, 1.14/1.15 IR 9, 1.16 IR 10).
    irVersion: opset <= 18 ? ONNX_IR_VERSION : opset <= 20 ? 9 : 10,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'compression-lab',
    producerVersion: opts.producerVersion ?? '0.1.0',
    docString: `Compression Lab model '${arch.name}'${opts.int8 ? ' (int8, QDQ)' : ''}. Input NCHW [N, ${c}, ${h}, ${w}] = pixel / 255; output logits.`,
    metadataProps: metadataOf(model, opts.metadata),
    graph: {
      name: arch.name,
      node: g.nodes,
      initializer: g.inits,
      input: [valueInfo(ONNX_INPUT_NAME, [c, h, w])],
      // A model ending on an image hands it back NHWC, as the lab's executors do.
      output: [valueInfo(ONNX_OUTPUT_NAME, outShape)],
    },
  });
  return type.encode(message).finish();
}
