/**
 * Writes a lab model as an ONNX file (IR version 8, default-domain opset 17)
 * so ONNX Runtime Web can run the very same weights as the lab's engine.
 *
 * The file keeps the lab's interface: input "input" is `[N, H, W, C]` NHWC
 * float32 and the output "logits" is `[N, classes]`. Inside, ONNX's Conv and
 * pooling operators only speak NCHW, so the graph transposes once at the
 * start, runs channels-first, and transposes back to NHWC right before the
 * flatten — the lab's dense weights index the flattened vector in (h, w, c)
 * order, and keeping that order means the dense weights go in unchanged.
 *
 * Weights are converted once at export:
 * - conv2d `[outC, kH, kW, inC]` → ONNX `[outC, inC, kH, kW]`;
 * - depthwiseConv2d `[kH, kW, C]` → `[C, 1, kH, kW]` with `group = C`;
 * - dense `[out, in]` is Gemm's B with `transB = 1`, as is.
 * `same` padding becomes explicit `pads` (the odd pixel after, TF SAME /
 * SAME_UPPER), since explicit pads are what every runtime implements the same.
 */
import { hasPreprocess } from '../model/layers.ts';
import type { Conv2dLayer, DepthwiseConv2dLayer, Layer } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import type { Shape } from '../model/shapes.ts';
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
}

/** The graph input and output names (the lab's, and what the runners feed and fetch). */
export const ONNX_INPUT_NAME = 'input';
export const ONNX_OUTPUT_NAME = 'logits';

const IR_VERSION = 8;
const OPSET = 17;

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

/** Little-endian float32 bytes, whatever the host's byte order (ONNX raw_data is little-endian by spec). */
function float32Bytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

/** conv2d weight `[outC, kH, kW, inC]` → ONNX `[outC, inC, kH, kW]`. */
function convWeightToOihw(w: Float32Array, outC: number, kh: number, kw: number, inC: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < outC; o++) {
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < inC; i++) {
          out[((o * inC + i) * kh + y) * kw + x] = w[((o * kh + y) * kw + x) * inC + i];
        }
      }
    }
  }
  return out;
}

/** depthwise weight `[kH, kW, C]` → ONNX grouped-conv weight `[C, 1, kH, kW]`. */
function depthwiseWeightToC1hw(w: Float32Array, kh: number, kw: number, c: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let ch = 0; ch < c; ch++) out[(ch * kh + y) * kw + x] = w[(y * kw + x) * c + ch];
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

function weightOf(model: Model, name: string, layer: Layer): Float32Array {
  const t = model.weights[name];
  if (!t) throw new Error(`exportOnnx: model '${model.architecture.name}', layer '${layer.name}' (${layer.kind}): tensor '${name}' is missing`);
  return t;
}

/**
 * Builds the ONNX graph of a lab model and serialises it as a ModelProto.
 * Throws (naming the layer or tensor) when the architecture does not fit or a
 * weight is missing or mis-sized; the model itself is not modified.
 */
export function exportOnnx(model: Model, opts: OnnxExportOptions = {}): Uint8Array {
  const arch = model.architecture;
  const batch = opts.batch ?? 'dynamic';
  if (batch !== 'dynamic' && !(Number.isInteger(batch) && batch > 0)) {
    throw new Error(`exportOnnx: batch must be a positive integer or 'dynamic', got ${JSON.stringify(batch)}`);
  }
  // Baking the input map in as ONNX ops belongs to the export feature; until then no file that would answer wrongly.
  if (hasPreprocess(arch.preprocess)) throw new Error(`exportOnnx: model '${arch.name}' has an input preprocessing, which the ONNX writer does not write yet`);
  const shapes = inferShapes(arch);
  if (shapes.length === 0) throw new Error(`exportOnnx: model '${arch.name}' has no layers`);

  const nodes: Node[] = [];
  const inits: Initializer[] = [];
  const addInit = (name: string, dims: number[], data: Float32Array): string => {
    if (data.length !== sizeOf(dims)) {
      throw new Error(`exportOnnx: tensor '${name}' has ${data.length} values, shape [${dims.join(', ')}] needs ${sizeOf(dims)}`);
    }
    inits.push({ name, dims, dataType: ONNX_DTYPE.FLOAT, rawData: float32Bytes(data) });
    return name;
  };
  let counter = 0;
  const add = (opType: string, name: string, input: string[], attribute: Attr[] = []): string => {
    const output = `${name}:${opType.toLowerCase()}${counter++}`;
    nodes.push({ name, opType, input, output: [output], attribute });
    return output;
  };

  // Where the running value lives: spatial NCHW inside the graph, or a flat [N, F] vector.
  let cur = add('Transpose', 'input_to_nchw', [ONNX_INPUT_NAME], [intsAttr('perm', [0, 3, 1, 2])]);
  let layout: 'nchw' | 'flat' = 'nchw';

  for (const { layer, input: inShape, output: outShape } of shapes) {
    switch (layer.kind) {
      case 'conv2d': {
        const [kh, kw] = layer.kernel;
        const inC = inShape[2];
        const w = weightOf(model, `${layer.name}.weight`, layer);
        if (w.length !== layer.filters * kh * kw * inC) {
          throw new Error(`exportOnnx: tensor '${layer.name}.weight' has ${w.length} values, expected ${layer.filters * kh * kw * inC}`);
        }
        const inputs = [cur, addInit(`${layer.name}.weight`, [layer.filters, inC, kh, kw], convWeightToOihw(w, layer.filters, kh, kw, inC))];
        if (layer.bias) inputs.push(addInit(`${layer.name}.bias`, [layer.filters], weightOf(model, `${layer.name}.bias`, layer)));
        cur = add('Conv', layer.name, inputs, [
          intsAttr('kernel_shape', [kh, kw]),
          intsAttr('strides', [...layer.stride]),
          intsAttr('pads', convPads(layer, inShape, outShape)),
          intsAttr('dilations', [1, 1]),
          intAttr('group', 1),
        ]);
        break;
      }
      case 'depthwiseConv2d': {
        const [kh, kw] = layer.kernel;
        const c = inShape[2];
        const w = weightOf(model, `${layer.name}.weight`, layer);
        if (w.length !== kh * kw * c) throw new Error(`exportOnnx: tensor '${layer.name}.weight' has ${w.length} values, expected ${kh * kw * c}`);
        const inputs = [cur, addInit(`${layer.name}.weight`, [c, 1, kh, kw], depthwiseWeightToC1hw(w, kh, kw, c))];
        if (layer.bias) inputs.push(addInit(`${layer.name}.bias`, [c], weightOf(model, `${layer.name}.bias`, layer)));
        cur = add('Conv', layer.name, inputs, [
          intsAttr('kernel_shape', [kh, kw]),
          intsAttr('strides', [...layer.stride]),
          intsAttr('pads', convPads(layer, inShape, outShape)),
          intsAttr('dilations', [1, 1]),
          intAttr('group', c),
        ]);
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
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
        cur = add(layer.kind === 'maxPool2d' ? 'MaxPool' : 'AveragePool', layer.name, [cur], attrs);
        break;
      }
      case 'flatten':
        if (layout === 'nchw') {
          // Back to NHWC first so the flat index is (h * W + w) * C + c, the order the dense weights were trained in.
          cur = add('Transpose', `${layer.name}_to_nhwc`, [cur], [intsAttr('perm', [0, 2, 3, 1])]);
          cur = add('Flatten', layer.name, [cur], [intAttr('axis', 1)]);
          layout = 'flat';
        }
        // Flattening a flat vector changes nothing: no node.
        break;
      case 'dense': {
        const w = weightOf(model, `${layer.name}.weight`, layer);
        if (w.length !== layer.units * inShape[0]) {
          throw new Error(`exportOnnx: tensor '${layer.name}.weight' has ${w.length} values, expected ${layer.units * inShape[0]}`);
        }
        // Gemm computes A · Bᵀ + C with transB = 1, which is exactly W x + b on the lab's [out, in] rows.
        const inputs = [cur, addInit(`${layer.name}.weight`, [layer.units, inShape[0]], w)];
        if (layer.bias) inputs.push(addInit(`${layer.name}.bias`, [layer.units], weightOf(model, `${layer.name}.bias`, layer)));
        cur = add('Gemm', layer.name, inputs, [intAttr('transB', 1)]);
        break;
      }
      case 'relu':
        cur = add('Relu', layer.name, [cur]);
        break;
      case 'activation':
        if (layer.fn === 'relu6') {
          const bounds = [addInit(`${layer.name}.min`, [], Float32Array.of(0)), addInit(`${layer.name}.max`, [], Float32Array.of(6))];
          cur = add('Clip', layer.name, [cur, ...bounds]);
        } else if (layer.fn === 'leakyRelu') cur = add('LeakyRelu', layer.name, [cur], [{ name: 'alpha', type: ONNX_ATTR.FLOAT, f: layer.alpha! }]);
        else cur = add(layer.fn === 'sigmoid' ? 'Sigmoid' : 'Tanh', layer.name, [cur]);
        break;
      case 'softmax':
        // Opset ≥ 13 Softmax normalises along the one axis given; the lab's softmax is over the features of each image.
        cur = add('Softmax', layer.name, [cur], [intAttr('axis', -1)]);
        break;
      default: {
        const unknown: never = layer;
        throw new Error(`exportOnnx: layer '${(unknown as Layer).name}' has unknown kind ${JSON.stringify((unknown as Layer).kind)}`);
      }
    }
  }

  const outShape = shapes[shapes.length - 1].output;
  // A model that ends spatially hands back NHWC, like the lab's own executors.
  if (layout === 'nchw') add('Transpose', 'output_to_nhwc', [cur], [intsAttr('perm', [0, 2, 3, 1])]);
  // Name the last value "logits" by renaming the producing node's output (no extra Identity node).
  const last = nodes[nodes.length - 1];
  last.output = [ONNX_OUTPUT_NAME];

  const batchDim = batch === 'dynamic' ? { dimParam: 'N' } : { dimValue: batch };
  const valueInfo = (name: string, dims: Shape) => ({
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE.FLOAT,
        shape: { dim: [batchDim, ...dims.map((d) => ({ dimValue: d }))] },
      },
    },
  });

  const type = modelProtoType();
  const message = type.fromObject({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'compression-lab',
    producerVersion: opts.producerVersion ?? '0.1.0',
    docString: `Exported from the Compression Lab model '${arch.name}'. Input NHWC [N, ${arch.inputShape.join(', ')}].`,
    graph: {
      name: arch.name,
      node: nodes,
      initializer: inits,
      input: [valueInfo(ONNX_INPUT_NAME, arch.inputShape)],
      output: [valueInfo(ONNX_OUTPUT_NAME, outShape)],
    },
  });
  return type.encode(message).finish();
}
