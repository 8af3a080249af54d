/**
 * Lowering: a model's layers → a list of GPU kernel steps, with fusion
 * (conv → relu → pool → relu, dense → relu, depthwise → relu, pool → relu)
 * and flatten as a free reshape. Pure: no device here, so the plan can be
 * inspected and tested without a GPU.
 */
import type { Layer } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import type { Shape } from '../model/shapes.ts';
import { inferShapes, convGeometry, padBefore, sizeOf } from '../model/shapes.ts';
import type { KernelName } from './registry.ts';
import { KERNELS } from './registry.ts';
import type { AnyKernel } from './kernels/types.ts';
import { variantLabel } from './kernels/types.ts';
import type { Conv2dParams, ConvShape, GemmTiling } from './kernels/conv2d.ts';
import { canFusePool, DEFAULT_REGISTER_TILING, packBias, packGemmWeight } from './kernels/conv2d.ts';
import type { DenseParams, DenseTiling } from './kernels/dense.ts';
import { DEFAULT_DENSE_TILING } from './kernels/dense.ts';
import type { DenseSparseParams } from './kernels/dense-sparse.ts';
import { packCsr, packCsrCodebook } from './kernels/dense-sparse.ts';
import type { CodebookTensor } from './kernels/weight-source.ts';
import type { DepthwiseConv2dParams } from './kernels/depthwise-conv2d.ts';
import type { Pool2dParams } from './kernels/pool2d.ts';
import type { WeightsMode } from './compressed-weights.ts';
import { compressedDepthwiseKernel, compressedKernel, compressedSource } from './compressed-weights.ts';
import type { ReluParams } from './kernels/relu.ts';
import type { SoftmaxParams } from './kernels/softmax.ts';

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
}

/** Kernel params with the batch left to be filled per run. */
type Unbatched<P> = Omit<P, 'batch'>;

/** A typed array the executor uploads as-is into a read-only storage buffer. */
export type HostData = Float32Array | Uint32Array | Int32Array;

/** One kernel launch. `params` lacks the batch; the executor adds it per run. */
export interface PlanStep {
  kernel: KernelName;
  params: Unbatched<Conv2dParams> | Unbatched<DenseParams> | Unbatched<DepthwiseConv2dParams> | Unbatched<Pool2dParams> | Unbatched<ReluParams> | Unbatched<SoftmaxParams> | Unbatched<DenseSparseParams>;
  /** The model layers this step computes (fusion makes it several). */
  layers: string[];
  /** Tensor ids: 0 is the model input. */
  input: number;
  output: number;
  /** Host data for 'weight' and 'bias' bindings, already in the kernel's layout. */
  weight?: Float32Array;
  bias?: Float32Array;
  /**
   * Host data for any other bindings, by the kernel's binding name (row
   * pointers, column indices, codebooks…): the executor uploads each once and
   * binds it by name, so a new kernel needs no executor change.
   */
  data?: Record<string, HostData>;
  /** MACs per image, for reporting (for a sparse step, the nonzeros). */
  macs: number;
  /**
   * Another step computing the same layers from the same input into the same
   * output (the sparse kernel for a pruned dense layer): the executor times
   * both on the device and runs the faster one.
   */
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
}

/** How timings name a step: its kernel and the variant its constants select (variantLabel), e.g. 'conv2d:codebook'. */
export function stepLabel(s: Pick<PlanStep, 'kernel' | 'params'>): string {
  const k: AnyKernel = KERNELS[s.kernel];
  return variantLabel(k, k.constants({ ...s.params, batch: 1 }));
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
function sparseStep(denseStep: PlanStep, weight: Float32Array, n: number, k: number, relu: boolean, bias: Float32Array, tiling: GemmTiling, codebook: CodebookTensor | null): PlanStep {
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

/** Lower `model` to kernel steps. Throws naming the layer when a weight is missing. */
export function planModel(model: Model, options: PlanOptions): Plan {
  const shapes = inferShapes(model.architecture);
  const layers = model.architecture.layers;
  const regTiling = options.registerTiling ?? DEFAULT_REGISTER_TILING;
  const denseTiling = options.denseTiling ?? DEFAULT_DENSE_TILING;
  const inputShape = model.architecture.inputShape;
  const tensorSizes = [sizeOf(inputShape)];
  const layerTensor = new Map<string, number>();
  const steps: PlanStep[] = [];
  let cur = 0;
  const newTensor = (shape: Shape): number => {
    tensorSizes.push(sizeOf(shape));
    return tensorSizes.length - 1;
  };
  const weightOf = (layer: Layer, which: 'weight' | 'bias'): Float32Array | undefined => {
    const t = model.weights[`${layer.name}.${which}`];
    if (which === 'weight' && !t) throw new Error(`gpu plan: layer '${layer.name}' has no tensor '${layer.name}.weight'`);
    return t;
  };
  const next = (i: number, kind: Layer['kind']): boolean => options.fuse && layers[i]?.kind === kind;

  for (let i = 0; i < layers.length; ) {
    const layer = layers[i];
    const ls = shapes[i];
    switch (layer.kind) {
      case 'conv2d':
      case 'dense': {
        const isDense = layer.kind === 'dense';
        const [h, w, c] = isDense ? [1, 1, ls.input[0]] : same(ls.input);
        const oc = isDense ? layer.units : layer.filters;
        const [kh, kw] = isDense ? [1, 1] : layer.kernel;
        const [sh, sw] = isDense ? [1, 1] : layer.stride;
        const padding = isDense ? 'valid' : layer.padding;
        const [oh, ow] = isDense ? [1, 1] : [ls.output[0], ls.output[1]];
        const covered = [layer.name];
        let j = i + 1;
        let reluPre = false;
        let reluPost = false;
        let pool: ConvShape['pool'] = 'none';
        let win: [number, number] = [1, 1];
        let pstride: [number, number] = [1, 1];
        let outShape = ls.output;
        if (next(j, 'relu')) {
          reluPre = true;
          covered.push(layers[j].name);
          outShape = shapes[j].output;
          j++;
        }
        const pl = layers[j];
        if (!isDense && options.fuse && pl && (pl.kind === 'maxPool2d' || pl.kind === 'avgPool2d') && canFusePool(pl.window[0], pl.window[1])) {
          pool = pl.kind === 'maxPool2d' ? 'max' : 'avg';
          win = pl.window;
          pstride = pl.stride;
          covered.push(pl.name);
          outShape = shapes[j].output;
          j++;
          if (next(j, 'relu')) {
            reluPost = true;
            covered.push(layers[j].name);
            j++;
          }
        }
        const out = newTensor(outShape);
        const weight = weightOf(layer, 'weight')!;
        const bias = packBias(weightOf(layer, 'bias'), oc);
        const source = options.weights === 'compressed' ? compressedSource(model, `${layer.name}.weight`) : null;
        const packed = source ? undefined : packGemmWeight(weight, oc);
        const macs = oh * ow * oc * kh * kw * c;
        const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1;
        if (!source && options.variant === 'tiled' && pointwise && pool === 'none') {
          const params: Unbatched<DenseParams> = { rowsPerImage: h * w, k: c, n: oc, relu: reluPre, tile: denseTiling };
          steps.push({ kernel: 'dense', params, layers: covered, input: cur, output: out, weight: packed, bias, macs });
        } else {
          const params: Unbatched<Conv2dParams> = {
            h,
            w,
            c,
            oc,
            kh,
            kw,
            sh,
            sw,
            padT: padBefore(h, kh, sh, padding),
            padL: padBefore(w, kw, sw, padding),
            oh,
            ow,
            pool,
            winH: win[0],
            winW: win[1],
            psh: pstride[0],
            psw: pstride[1],
            poh: pool === 'none' ? oh : outShape[0],
            pow: pool === 'none' ? ow : outShape[1],
            reluPre,
            reluPost,
            tiling: isDense ? (options.denseRegisterTiling ?? regTiling) : regTiling,
          };
          if (source) steps.push({ ...compressedKernel(source, params), layers: covered, input: cur, output: out, bias, macs });
          else steps.push({ kernel: 'conv2d', params, layers: covered, input: cur, output: out, weight: packed, bias, macs });
        }
        const sparse = options.sparse ?? 'never';
        // A compressed step keeps no fp32 weights, so neither may its CSR alternative: a codebook layer's keeps centroid
        // indices (dense-sparse with a codebook); a hashed layer gets none (its zeros are not stored apart from its table).
        const codebook = source?.kind === 'codebook' ? source : null;
        if ((!source || codebook) && isDense && (sparse === 'always' || (sparse === 'auto' && weight.includes(0)))) {
          const denseStep = steps[steps.length - 1];
          const alt = sparseStep(denseStep, weight, oc, c, reluPre, bias, options.denseRegisterTiling ?? regTiling, codebook);
          if (sparse === 'always') steps[steps.length - 1] = alt;
          else denseStep.alternative = alt;
        }
        layerTensor.set(covered[covered.length - 1], out);
        cur = out;
        i = j;
        break;
      }
      case 'depthwiseConv2d': {
        const c = same(ls.input)[2];
        const covered = [layer.name];
        let j = i + 1;
        const relu = next(j, 'relu');
        if (relu) covered.push(layers[j++].name);
        const out = newTensor(ls.output);
        const params: Unbatched<DepthwiseConv2dParams> = { ...convGeometry(layer, ls.input, ls.output), relu };
        const bias = weightOf(layer, 'bias') ?? new Float32Array(c);
        const macs = ls.output[0] * ls.output[1] * c * layer.kernel[0] * layer.kernel[1];
        const source = options.weights === 'compressed' ? compressedSource(model, `${layer.name}.weight`) : null;
        if (source) steps.push({ ...compressedDepthwiseKernel(source, params), layers: covered, input: cur, output: out, bias, macs });
        else steps.push({ kernel: 'depthwise-conv2d', params, layers: covered, input: cur, output: out, weight: weightOf(layer, 'weight'), bias, macs });
        layerTensor.set(covered[covered.length - 1], out);
        cur = out;
        i = j;
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const [h, w, c] = same(ls.input);
        const covered = [layer.name];
        let j = i + 1;
        const relu = next(j, 'relu');
        if (relu) covered.push(layers[j++].name);
        const out = newTensor(ls.output);
        const params: Unbatched<Pool2dParams> = {
          h,
          w,
          c,
          oh: ls.output[0],
          ow: ls.output[1],
          winH: layer.window[0],
          winW: layer.window[1],
          sh: layer.stride[0],
          sw: layer.stride[1],
          mode: layer.kind === 'maxPool2d' ? 'max' : 'avg',
          relu,
        };
        steps.push({ kernel: 'pool2d', params, layers: covered, input: cur, output: out, macs: 0 });
        layerTensor.set(covered[covered.length - 1], out);
        cur = out;
        i = j;
        break;
      }
      case 'relu': {
        const out = newTensor(ls.output);
        steps.push({ kernel: 'relu', params: { size: sizeOf(ls.output) }, layers: [layer.name], input: cur, output: out, macs: 0 });
        layerTensor.set(layer.name, out);
        cur = out;
        i++;
        break;
      }
      case 'flatten':
        // NHWC flattened is the same memory: a reshape, no kernel.
        layerTensor.set(layer.name, cur);
        i++;
        break;
      case 'softmax': {
        const out = newTensor(ls.output);
        steps.push({ kernel: 'softmax', params: { classes: ls.output[0], t: 1 }, layers: [layer.name], input: cur, output: out, macs: 0 });
        layerTensor.set(layer.name, out);
        cur = out;
        i++;
        break;
      }
      default: {
        const never: never = layer;
        throw new Error(`gpu plan: no lowering for layer kind ${JSON.stringify((never as Layer).kind)}`);
      }
    }
  }
  const outputShape = shapes.length ? shapes[shapes.length - 1].output : inputShape.slice();
  return { steps, tensorSizes, layerTensor, output: cur, outputShape, inputSize: sizeOf(inputShape) };
}
