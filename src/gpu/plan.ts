/**
 * Lowering: a model's layers → a list of GPU kernel steps, with fusion
 * (conv → relu → pool → relu, dense → relu, depthwise → relu or relu6, pool → relu)
 * and flatten as a free reshape. Pure: no device here, so the plan can be
 * inspected and tested without a GPU.
 */
import type { Layer } from '../model/layers.ts';
import { depthMultiplier, hasPreprocess } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import type { LayerShapes, Shape } from '../model/shapes.ts';
import { axisPadding, inferShapes, convGeometry, padBefore, sizeOf } from '../model/shapes.ts';
import type { KernelName } from './registry.ts';
import type { Step, Unbatched } from './step.ts';
import type { Conv2dParams, ConvShape, GemmTiling } from './kernels/conv2d.ts';
import { canFusePool, DEFAULT_REGISTER_TILING, fitWorkgroup, packBias, packGemmWeight } from './kernels/conv2d.ts';
import type { DenseParams, DenseTiling } from './kernels/dense.ts';
import { DEFAULT_DENSE_TILING } from './kernels/dense.ts';
import type { DenseSparseParams } from './kernels/dense-sparse.ts';
import { packCsr, packCsrCodebook } from './kernels/dense-sparse.ts';
import type { CodebookTensor } from './kernels/weight-source.ts';
import type { DepthwiseConv2dParams } from './kernels/depthwise-conv2d.ts';
import type { Pool2dParams } from './kernels/pool2d.ts';
import { poolPadParams } from './kernels/pool2d.ts';
import type { WeightsMode } from './compressed-weights.ts';
import { compressedDepthwiseKernel, compressedKernel, compressedSource } from './compressed-weights.ts';
import type { ReluParams } from './kernels/relu.ts';
import type { ActivationParams } from './kernels/activation.ts';
import type { PreprocessParams } from './kernels/preprocess.ts';
import type { SoftmaxParams } from './kernels/softmax.ts';

export type { HostData } from './step.ts';
export { stepLabel } from './step.ts';

/**
 * Which GEMM implementation conv/dense/pointwise layers use. 'register':
 * register-blocked, no workgroup memory (CPU adapters); 'tiled': dense and
 * pointwise layers through workgroup-memory tiles (real GPUs; convolutions
 * with k > 1 still use the register kernel — a tiled implicit GEMM is not
 * written yet).
 */
export type GemmVariant = 'register' | 'tiled';

/**
 * Dense layers through the sparse (CSR) kernel: 'never'; 'always' (every
 * dense layer); 'auto' — a dense layer with at least one zero weight gets the
 * sparse step as its `alternative`, and the executor keeps whichever it
 * measures faster on the device at the batch size in use.
 */
export type SparseMode = 'auto' | 'always' | 'never';

export interface PlanOptions {
  variant: GemmVariant;
  /** Fuse relu/pool into producers (default true). Off, every layer's output exists for readback. */
  fuse: boolean;
  registerTiling?: GemmTiling;
  /**
   * Register tiling of dense layers (GEMMs whose rows are images), default
   * `registerTiling`. The latency path sets 1 row per thread: a thread's
   * surplus rows are clamped duplicates, so at batch 1 a 16-row block would
   * compute the layer 16 times.
   */
  denseRegisterTiling?: GemmTiling;
  denseTiling?: DenseTiling;
  /**
   * Codebook- and hash-encoded weights of conv/dense/depthwise layers (bare,
   * or a codebook under Huffman/sparse): 'compressed' lowers them to conv2d
   * and depthwise-conv2d reading a compressed weight source (their code
   * constant WEIGHTS), which upload only indices + centroids or the table
   * (in either GEMM variant: those kernels are register-blocked);
   * 'decoded' (default here; the executor defaults to 'compressed') gives
   * them an fp32 copy like any tensor. Other layers and encodings are fp32.
   */
  weights?: WeightsMode;
  /** Default 'never' here; the executor defaults to 'auto'. */
  sparse?: SparseMode;
  /**
   * The latency plan's: shrink each register GEMM's workgroup (fitWorkgroup,
   * down to 4 threads) until one image's dispatch has at least this many
   * workgroups, so a batch-1 layer spreads over a CPU adapter's cores.
   */
  minWorkgroups?: number;
}

/** One float kernel launch. */
export interface PlanStep extends Step<KernelName> {
  params:
    | Unbatched<Conv2dParams>
    | Unbatched<DenseParams>
    | Unbatched<DepthwiseConv2dParams>
    | Unbatched<Pool2dParams>
    | Unbatched<ReluParams>
    | Unbatched<ActivationParams>
    | Unbatched<SoftmaxParams>
    | Unbatched<DenseSparseParams>
    | Unbatched<PreprocessParams>;
  /** Host data for 'weight' and 'bias' bindings, already in the kernel's layout (fp32). */
  weight?: Float32Array;
  bias?: Float32Array;
  alternative?: PlanStep;
}

export interface Plan {
  steps: PlanStep[];
  /** Floats per image of each tensor, by id. */
  tensorSizes: number[];
  /** Tensor holding each layer's output; absent when fusion removed it. */
  layerTensor: Map<string, number>;
  /** Output tensor of the model (the logits unless the model ends in softmax). */
  output: number;
  outputShape: Shape;
  inputSize: number;
  /** The tensor the first layer reads: 0 (the uploaded input), or the preprocess step's output. */
  layerInput: number;
}

function same(shape: Shape): [number, number, number] {
  return shape as [number, number, number];
}

/**
 * The sparse (CSR) step for a dense layer, same layers, input and output as
 * `denseStep`. Threads and images per thread follow the dense register
 * tiling of the plan, so the latency plan gets one image per thread. With a
 * codebook (a pruned + k-means layer held compressed) the nonzeros are
 * centroid indices and the codebook is the dense step's own array.
 */
function sparseStep(
  denseStep: PlanStep,
  weight: Float32Array,
  n: number,
  k: number,
  relu: boolean,
  bias: Float32Array,
  tiling: GemmTiling,
  codebook: CodebookTensor | null,
): PlanStep {
  const { input, output, layers } = denseStep;
  const shape = { k, n, relu, wg: tiling.wg, tm: Math.min(16, Math.max(1, tiling.tm)) };
  if (codebook) {
    const csr = packCsrCodebook(weight, codebook.symbols, n, k);
    const params: Unbatched<DenseSparseParams> = { ...shape, pack16: csr.pack16, centroids: codebook.codebook.length };
    const data = { rows: csr.rows, cols: csr.cols, codes: csr.codes, codebook: codebook.codebook };
    return { kernel: 'dense-sparse', params, layers, input, output, data, bias, macs: csr.nnz };
  }
  const csr = packCsr(weight, n, k);
  const params: Unbatched<DenseSparseParams> = { ...shape, pack16: csr.pack16 };
  return { kernel: 'dense-sparse', params, layers, input, output, data: { rows: csr.rows, cols: csr.cols, values: csr.values }, bias, macs: csr.nnz };
}

/** The state of one lowering: steps and tensors so far, and the tensor the next step reads. */
interface Lowering {
  model: Model;
  options: PlanOptions;
  layers: readonly Layer[];
  shapes: LayerShapes[];
  steps: PlanStep[];
  tensorSizes: number[];
  layerTensor: Map<string, number>;
  cur: number;
}

function newTensor(ctx: Lowering, shape: Shape): number {
  ctx.tensorSizes.push(sizeOf(shape));
  return ctx.tensorSizes.length - 1;
}

function weightOf(ctx: Lowering, layer: Layer, which: 'weight' | 'bias'): Float32Array | undefined {
  const t = ctx.model.weights[`${layer.name}.${which}`];
  if (which === 'weight' && !t) throw new Error(`gpu plan: layer '${layer.name}' has no tensor '${layer.name}.weight'`);
  return t;
}

/** Layer `i` is a `kind` that fusion may take into the step before it. */
function fusable(ctx: Lowering, i: number, kind: Layer['kind']): boolean {
  return ctx.options.fuse && ctx.layers[i]?.kind === kind;
}

/** Append `step` (computing `covered`, output tensor `out`) and make its output the current tensor. */
function emit(ctx: Lowering, step: Omit<PlanStep, 'layers' | 'input' | 'output'>, covered: string[], out: number): PlanStep {
  const s: PlanStep = { ...step, layers: covered, input: ctx.cur, output: out };
  ctx.steps.push(s);
  ctx.layerTensor.set(covered[covered.length - 1], out);
  ctx.cur = out;
  return s;
}

/** What a conv/dense step takes in after the layer: relu, then (convolutions) a pool it can fuse, then relu. */
interface GemmEpilogue {
  covered: string[];
  next: number;
  reluPre: boolean;
  reluPost: boolean;
  pool: ConvShape['pool'];
  win: [number, number];
  pstride: [number, number];
  outShape: Shape;
}

function gemmEpilogue(ctx: Lowering, i: number, isDense: boolean): GemmEpilogue {
  const { layers, shapes } = ctx;
  const e: GemmEpilogue = {
    covered: [layers[i].name],
    next: i + 1,
    reluPre: false,
    reluPost: false,
    pool: 'none',
    win: [1, 1],
    pstride: [1, 1],
    outShape: shapes[i].output,
  };
  if (fusable(ctx, e.next, 'relu')) {
    e.reluPre = true;
    e.covered.push(layers[e.next].name);
    e.outShape = shapes[e.next].output;
    e.next++;
  }
  const pl = layers[e.next];
  // A padded pool runs on its own (the fused epilogue has no pads).
  const fusePool = pl && (pl.kind === 'maxPool2d' || pl.kind === 'avgPool2d') && !pl.padding && canFusePool(pl.window[0], pl.window[1]);
  if (!isDense && ctx.options.fuse && fusePool) {
    e.pool = pl.kind === 'maxPool2d' ? 'max' : 'avg';
    e.win = pl.window;
    e.pstride = pl.stride;
    e.covered.push(pl.name);
    e.outShape = shapes[e.next].output;
    e.next++;
    if (fusable(ctx, e.next, 'relu')) {
      e.reluPost = true;
      e.covered.push(layers[e.next].name);
      e.next++;
    }
  }
  return e;
}

/** conv2d params of a conv or dense layer (a dense layer is a 1×1 conv of a 1×1 image) with its epilogue. */
function gemmParams(ctx: Lowering, layer: Extract<Layer, { kind: 'conv2d' | 'dense' }>, ls: LayerShapes, e: GemmEpilogue): Unbatched<Conv2dParams> {
  const isDense = layer.kind === 'dense';
  const [h, w, c] = isDense ? [1, 1, ls.input[0]] : same(ls.input);
  const [kh, kw] = isDense ? [1, 1] : layer.kernel;
  const [sh, sw] = isDense ? [1, 1] : layer.stride;
  const padding = isDense ? 'valid' : layer.padding;
  const [oh, ow] = isDense ? [1, 1] : [ls.output[0], ls.output[1]];
  const regTiling = ctx.options.registerTiling ?? DEFAULT_REGISTER_TILING;
  const p: Unbatched<Conv2dParams> = {
    ...{ h, w, c, oc: isDense ? layer.units : layer.filters, kh, kw, sh, sw },
    ...{ padT: padBefore(h, kh, sh, axisPadding(padding, 0)), padL: padBefore(w, kw, sw, axisPadding(padding, 1)), oh, ow },
    ...{ pool: e.pool, winH: e.win[0], winW: e.win[1], psh: e.pstride[0], psw: e.pstride[1] },
    poh: e.pool === 'none' ? oh : e.outShape[0],
    pow: e.pool === 'none' ? ow : e.outShape[1],
    reluPre: e.reluPre,
    reluPost: e.reluPost,
    tiling: isDense ? (ctx.options.denseRegisterTiling ?? regTiling) : regTiling,
  };
  const min = ctx.options.minWorkgroups;
  return min ? { ...p, tiling: { ...p.tiling, wg: fitWorkgroup(p, min) } } : p;
}

/** A conv2d or dense layer with what it fuses: the workgroup-tiled dense kernel (tiled variant, pointwise, fp32 weights) or conv2d. */
function lowerGemm(ctx: Lowering, i: number): number {
  const layer = ctx.layers[i] as Extract<Layer, { kind: 'conv2d' | 'dense' }>;
  const isDense = layer.kind === 'dense';
  const e = gemmEpilogue(ctx, i, isDense);
  const p = gemmParams(ctx, layer, ctx.shapes[i], e);
  const out = newTensor(ctx, e.outShape);
  const weight = weightOf(ctx, layer, 'weight')!;
  const bias = packBias(weightOf(ctx, layer, 'bias'), p.oc);
  const source = ctx.options.weights === 'compressed' ? compressedSource(ctx.model, `${layer.name}.weight`) : null;
  const packed = source ? undefined : packGemmWeight(weight, p.oc);
  const macs = p.oh * p.ow * p.oc * p.kh * p.kw * p.c;
  const pointwise = p.kh === 1 && p.kw === 1 && p.sh === 1 && p.sw === 1;
  let step: PlanStep;
  if (!source && ctx.options.variant === 'tiled' && pointwise && e.pool === 'none') {
    const params: Unbatched<DenseParams> = { rowsPerImage: p.h * p.w, k: p.c, n: p.oc, relu: e.reluPre, tile: ctx.options.denseTiling ?? DEFAULT_DENSE_TILING };
    step = emit(ctx, { kernel: 'dense', params, weight: packed, bias, macs }, e.covered, out);
  } else if (source) step = emit(ctx, { ...compressedKernel(source, p), bias, macs }, e.covered, out);
  else step = emit(ctx, { kernel: 'conv2d', params: p, weight: packed, bias, macs }, e.covered, out);
  const sparse = ctx.options.sparse ?? 'never';
  // A compressed step keeps no fp32 weights, so neither may its CSR alternative: a codebook layer's keeps centroid
  // indices (dense-sparse with a codebook); a hashed layer gets none (its zeros are not stored apart from its table).
  const codebook = source?.kind === 'codebook' ? source : null;
  if ((!source || codebook) && isDense && (sparse === 'always' || (sparse === 'auto' && weight.includes(0)))) {
    const alt = sparseStep(step, weight, p.oc, p.c, e.reluPre, bias, p.tiling, codebook);
    if (sparse === 'always') ctx.steps[ctx.steps.length - 1] = alt;
    else step.alternative = alt;
  }
  return e.next;
}

function lowerDepthwise(ctx: Lowering, i: number): number {
  const layer = ctx.layers[i] as Extract<Layer, { kind: 'depthwiseConv2d' }>;
  const ls = ctx.shapes[i];
  const c = same(ls.input)[2];
  const covered = [layer.name];
  let j = i + 1;
  // A ReLU or a relu6 (MobileNet's depthwise → relu6) becomes the step's clamp.
  const next = ctx.layers[j];
  const relu6 = ctx.options.fuse && next?.kind === 'activation' && next.fn === 'relu6';
  const relu = relu6 || fusable(ctx, j, 'relu');
  if (relu) covered.push(ctx.layers[j++].name);
  const out = newTensor(ctx, ls.output);
  const m = depthMultiplier(layer);
  const params: Unbatched<DepthwiseConv2dParams> = { ...convGeometry(layer, ls.input, ls.output), ...(m > 1 ? { m } : {}), relu, ...(relu6 ? { relu6 } : {}) };
  const bias = weightOf(ctx, layer, 'bias') ?? new Float32Array(c * m);
  const macs = ls.output[0] * ls.output[1] * c * m * layer.kernel[0] * layer.kernel[1];
  const source = ctx.options.weights === 'compressed' ? compressedSource(ctx.model, `${layer.name}.weight`) : null;
  if (source) emit(ctx, { ...compressedDepthwiseKernel(source, params), bias, macs }, covered, out);
  else emit(ctx, { kernel: 'depthwise-conv2d', params, weight: weightOf(ctx, layer, 'weight'), bias, macs }, covered, out);
  return j;
}

function lowerPool(ctx: Lowering, i: number): number {
  const layer = ctx.layers[i] as Extract<Layer, { kind: 'maxPool2d' | 'avgPool2d' }>;
  const ls = ctx.shapes[i];
  const [h, w, c] = same(ls.input);
  const covered = [layer.name];
  let j = i + 1;
  const relu = fusable(ctx, j, 'relu');
  if (relu) covered.push(ctx.layers[j++].name);
  const out = newTensor(ctx, ls.output);
  const params: Unbatched<Pool2dParams> = {
    ...{ h, w, c, oh: ls.output[0], ow: ls.output[1] },
    ...{ winH: layer.window[0], winW: layer.window[1], sh: layer.stride[0], sw: layer.stride[1] },
    mode: layer.kind === 'maxPool2d' ? 'max' : 'avg',
    relu,
    ...poolPadParams(layer),
  };
  emit(ctx, { kernel: 'pool2d', params, macs: 0 }, covered, out);
  return j;
}

/** Lower layer `i` (and what it fuses); returns the next layer to lower. */
function lowerLayer(ctx: Lowering, i: number): number {
  const layer = ctx.layers[i];
  const ls = ctx.shapes[i];
  switch (layer.kind) {
    case 'conv2d':
    case 'dense':
      return lowerGemm(ctx, i);
    case 'depthwiseConv2d':
      return lowerDepthwise(ctx, i);
    case 'maxPool2d':
    case 'avgPool2d':
      return lowerPool(ctx, i);
    case 'relu':
      emit(ctx, { kernel: 'relu', params: { size: sizeOf(ls.output) }, macs: 0 }, [layer.name], newTensor(ctx, ls.output));
      return i + 1;
    case 'activation': {
      const params: Unbatched<ActivationParams> = { size: sizeOf(ls.output), fn: layer.fn, alpha: layer.fn === 'leakyRelu' ? layer.alpha! : 0 };
      emit(ctx, { kernel: 'activation', params, macs: 0 }, [layer.name], newTensor(ctx, ls.output));
      return i + 1;
    }
    case 'flatten':
      // NHWC flattened is the same memory: a reshape, no kernel.
      ctx.layerTensor.set(layer.name, ctx.cur);
      return i + 1;
    case 'softmax':
      emit(ctx, { kernel: 'softmax', params: { classes: ls.output[0], t: 1 }, macs: 0 }, [layer.name], newTensor(ctx, ls.output));
      return i + 1;
    default: {
      const never: never = layer;
      throw new Error(`gpu plan: no lowering for layer kind ${JSON.stringify((never as Layer).kind)}`);
    }
  }
}

/** Lower `model` to kernel steps. Throws naming the layer when a weight is missing. */
export function planModel(model: Model, options: PlanOptions): Plan {
  const shapes = inferShapes(model.architecture);
  const inputShape = model.architecture.inputShape;
  const ctx: Lowering = {
    model,
    options,
    layers: model.architecture.layers,
    shapes,
    steps: [],
    tensorSizes: [sizeOf(inputShape)],
    layerTensor: new Map(),
    cur: 0,
  };
  const pre = model.architecture.preprocess;
  if (hasPreprocess(pre)) {
    // Not through emit: 'preprocess' is no layer (a model may have a layer of that name), so no layer tensor.
    const out = newTensor(ctx, inputShape);
    ctx.steps.push({
      kernel: 'preprocess',
      params: { size: sizeOf(inputShape), scale: pre.scale, offset: pre.offset },
      layers: ['preprocess'],
      input: 0,
      output: out,
      macs: 0,
    });
    ctx.cur = out;
  }
  const layerInput = ctx.cur;
  for (let i = 0; i < ctx.layers.length;) i = lowerLayer(ctx, i);
  const outputShape = shapes.length ? shapes[shapes.length - 1].output : inputShape.slice();
  return {
    steps: ctx.steps,
    tensorSizes: ctx.tensorSizes,
    layerTensor: ctx.layerTensor,
    output: ctx.cur,
    outputShape,
    inputSize: sizeOf(inputShape),
    layerInput,
  };
}
