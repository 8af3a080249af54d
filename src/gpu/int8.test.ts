/**
 * int8 GPU kernels and the int8 executor against the CPU integer reference
 * (src/cpu/quantized.ts), bit-exact, with BOTH dot-product code variants
 * ('dot4' = dot4I8Packed, 'shift' = shift-and-mask) on the same inputs.
 * Real GPU (SwiftShader under Node); no skips: without WebGPU these fail
 * with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conv2dLayer, DenseLayer, DepthwiseConv2dLayer, Layer, Padding, Pool2dLayer } from '../model/layers.ts';
import type { Int8Model, Int8PoolOp, Int8WeightedOp } from '../model/int8.ts';
import { inverseScaleF32 } from '../model/int8.ts';
import type { Shape } from '../model/shapes.ts';
import { layerOutputShape, sizeOf } from '../model/shapes.ts';
import { ARCHITECTURES, architecture } from '../model/architectures.ts';
import type { Model } from '../model/model.ts';
import { initModel, mulberry32 } from '../model/model.ts';
import { modelForward, modelForwardAll } from '../cpu/forward.ts';
import { dequantizeInt8, int8ModelForward, int8OpForward, quantizeInt8 } from '../cpu/quantized.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import { loadDataset } from '../data/node-loader.ts';
import { toFloatBatch } from '../data/dataset.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { PipelineCache } from './pipelines.ts';
import { runKernel } from './kernel-runner.ts';
import type { DotVariant } from './kernels/int8-common.ts';
import { DOT_VARIANTS, packActivations, unpackActivations } from './kernels/int8-common.ts';
import type { Conv2dI8Params, I8Mac, I8Tiling } from './kernels/conv2d-i8.ts';
import { i8ChannelWords, i8Mac, i8KWords, i8RowsPerThread, MAX_EXACT_F32_WORDS, SOFTWARE_I8_TILING } from './kernels/conv2d-i8.ts';
import { planInt8 } from './plan-i8.ts';
import type { I8KernelName } from './registry-i8.ts';
import { i8Kernel } from './registry-i8.ts';
import { variantLabel } from './kernels/types.ts';
import { createInt8Executor } from './executor-i8.ts';
import { EVERY_OP_INPUT, EVERY_OP_LAYERS, modelOf, randomInput } from './test-helpers.ts';

let gpu: Gpu;
let cache: PipelineCache;
beforeAll(async () => {
  gpu = await acquireGpu();
  cache = new PipelineCache(gpu.device);
});
afterAll(() => gpu?.device.destroy());

it('the adapter offers packed_4x8_integer_dot_product (else the dot4 variant is not being tested)', () => {
  expect(gpu.report.wgslLanguageFeatures.packed4x8IntegerDotProduct).toBe(true);
});

/** Equal arrays; the failure names the first differing index and both values. */
function expectExact(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) expect.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

function randomCodes(n: number, rand: () => number): Int8Array {
  return Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128);
}

interface OpCase {
  what: string;
  layer: Layer;
  inShape: Shape;
  inZp: number;
  outZp: number;
  relu: boolean;
  batch: number;
}

/**
 * A weighted op with random int8 weights and biases and per-channel
 * multipliers spread so that some outputs saturate at −128/127; channel 0
 * uses a left shift (multiplier > 1) and the last a zero multiplier.
 */
function randomWeightedOp(c: OpCase, seed: number): Int8WeightedOp {
  const rand = mulberry32(seed);
  const layer = c.layer as Conv2dLayer | DepthwiseConv2dLayer | DenseLayer;
  // A dense op reads its producer's stored shape (flatten is free), so its output shape is [units] whatever that is.
  const outShape = layer.kind === 'dense' ? [layer.units] : layerOutputShape(layer, c.inShape);
  const inC = c.inShape[c.inShape.length - 1];
  const channels = layer.kind === 'dense' ? layer.units : layer.kind === 'conv2d' ? layer.filters : inC * (layer.multiplier ?? 1);
  const wLen =
    layer.kind === 'dense'
      ? layer.units * sizeOf(c.inShape)
      : layer.kind === 'conv2d'
        ? layer.filters * layer.kernel[0] * layer.kernel[1] * inC
        : layer.kernel[0] * layer.kernel[1] * channels;
  const weight = Int8Array.from({ length: wLen }, () => Math.floor(rand() * 255) - 127);
  // Odd seeds carry one −128 weight (asymmetric int8): the exact-f32 MAC must then unpack weights as it does activations.
  if (seed % 2 === 1) weight[wLen >> 1] = -128;
  const fanIn = wLen / channels;
  const bias = Int32Array.from({ length: channels }, () => Math.floor((rand() - 0.5) * 4000 * Math.sqrt(fanIn)));
  const multiplier = Int32Array.from({ length: channels }, () => 2 ** 30 + Math.floor(rand() * (2 ** 30 - 1)));
  // acc ~ 70·70·√fanIn: scale it to ~±150 so both clamps are hit.
  const base = -Math.round(Math.log2((70 * 70 * Math.sqrt(fanIn)) / 150));
  const shift = Int32Array.from({ length: channels }, () => base + Math.floor(rand() * 3) - 1);
  shift[0] = 1;
  if (channels > 1) multiplier[channels - 1] = 0;
  const q = (zp: number) => ({ scale: 1, zeroPoint: zp });
  return {
    kind: layer.kind,
    layer,
    layers: [layer.name],
    inShape: c.inShape,
    outShape,
    input: q(c.inZp),
    output: q(c.outZp),
    weight,
    weightScale: new Float64Array(channels).fill(1),
    bias,
    multiplier,
    shift,
    relu: c.relu,
  };
}

/** An Int8Model of one op (or a conv and the max pool fused into it) so that the plan's packing and the kernel are tested together. */
function oneOpModel(op: Int8WeightedOp | Int8PoolOp, inShape: Shape, pool?: Int8PoolOp): Int8Model {
  const isPool = op.kind === 'maxPool2d' || op.kind === 'avgPool2d';
  const q = isPool ? (op as Int8PoolOp).quant : undefined;
  const last = pool ?? op;
  return {
    architecture: { name: 'one-op', inputShape: inShape as [number, number, number], layers: pool ? [op.layer, pool.layer] : [op.layer] },
    input: q ?? (op as Int8WeightedOp).input,
    inputRelu: false,
    ops: pool ? [op, pool] : [op],
    output: q ?? (op as Int8WeightedOp).output,
    outputShape: last.outShape,
    calibration: { method: 'minmax', images: 0 },
  };
}

/** Small register blocks: every formulation compiles fast and row/channel tails are hit. */
const TEST_TILING = (mac: I8Mac): I8Tiling => ({ wg: 64, tm: 4, tn4: 2, mac });
const MACS: readonly I8Mac[] = [0, 1, 2];

/**
 * Runs the op's plan step alone through runKernel on random codes packed as
 * the plan's quantize step packs the input (flat for a dense layer, along
 * rows for a SLIDE conv), returns the unpacked output. With `pool` the step
 * is the conv with that pool fused.
 */
async function runOpOnGpu(
  op: Int8WeightedOp | Int8PoolOp,
  x: Int8Array,
  batch: number,
  dot: DotVariant,
  tiling?: I8Tiling,
  pool?: Int8PoolOp,
): Promise<Int8Array> {
  // The step reads codes here (the float-input fold has its own test below).
  const plan = planInt8(oneOpModel(op, op.inShape, pool), { tiling, foldQuantize: false });
  const step = plan.steps[1];
  if (pool) expect(step.layers, 'the pool is fused into the conv').toEqual([...op.layers, ...pool.layers]);
  // The plan's own input layout: its quantize step's "pixel" (a flat input is one pixel, a SLIDE image row is one).
  const inC = (plan.steps[0].params as { c: number }).c;
  const last = pool ?? op;
  const outC = last.outShape[last.outShape.length - 1];
  const slide = (step.params as Partial<Conv2dI8Params>).slide === true;
  // Pad bytes hold garbage (0x5a): their weights are zero. Rows packed for SLIDE need the zero point past the row's end (real zero for 'same' padding).
  const inputs: Record<string, Uint32Array | Int32Array> = { input: packActivations(x, inC, slide ? (op as Int8WeightedOp).input.zeroPoint : 0x5a) };
  if (step.weight) inputs.weight = step.weight;
  if (step.bias) inputs.bias = step.bias;
  const outWords = batch * plan.tensorSizes[step.output];
  const out = (await runKernel(
    cache,
    i8Kernel(step.kernel as I8KernelName),
    { ...step.params, batch, dot },
    { inputs, outputLength: outWords, outputType: 'u32' },
  )) as Uint32Array;
  return unpackActivations(out, outC, (batch * sizeOf(last.outShape)) / outC);
}

const conv = (filters: number, k: [number, number], stride: [number, number], padding: Padding): Conv2dLayer => ({
  kind: 'conv2d',
  name: 'c',
  filters,
  kernel: k,
  stride,
  padding,
  bias: true,
});
const dw = (k: [number, number], stride: [number, number], padding: Padding, multiplier = 1): DepthwiseConv2dLayer => ({
  kind: 'depthwiseConv2d',
  name: 'd',
  kernel: k,
  stride,
  padding,
  bias: true,
  ...(multiplier > 1 ? { multiplier } : {}),
});
const dense = (units: number): DenseLayer => ({ kind: 'dense', name: 'fc', units, bias: true });

const WEIGHTED: OpCase[] = [
  {
    what: 'conv 5×5 valid c=1 oc=20 (lenet conv1)',
    layer: conv(20, [5, 5], [1, 1], 'valid'),
    inShape: [12, 12, 1],
    inZp: -128,
    outZp: 3,
    relu: false,
    batch: 3,
  },
  {
    what: 'conv 3×3 same stride 2, odd 7×9, c=3 oc=5, relu',
    layer: conv(5, [3, 3], [2, 2], 'same'),
    inShape: [7, 9, 3],
    inZp: -17,
    outZp: -128,
    relu: true,
    batch: 2,
  },
  { what: 'conv 2×1 stride (2,1) same, c=5 oc=7', layer: conv(7, [2, 1], [2, 1], 'same'), inShape: [5, 6, 5], inZp: 40, outZp: -5, relu: true, batch: 257 },
  {
    what: 'conv 3×3 valid c=20 oc=50 (lenet conv2 shape)',
    layer: conv(50, [3, 3], [1, 1], 'valid'),
    inShape: [6, 6, 20],
    inZp: -100,
    outZp: 0,
    relu: false,
    batch: 5,
  },
  { what: 'pointwise 1×1 c=20 oc=50', layer: conv(50, [1, 1], [1, 1], 'valid'), inShape: [4, 4, 20], inZp: 12, outZp: -20, relu: false, batch: 1 },
  { what: 'pointwise 1×1 c=1 oc=1', layer: conv(1, [1, 1], [1, 1], 'valid'), inShape: [3, 3, 1], inZp: 0, outZp: 127, relu: true, batch: 4 },
  { what: 'depthwise 3×3 same stride 2, c=5', layer: dw([3, 3], [2, 2], 'same'), inShape: [7, 8, 5], inZp: -3, outZp: -128, relu: true, batch: 257 },
  { what: 'depthwise 5×5 valid c=1', layer: dw([5, 5], [1, 1], 'valid'), inShape: [9, 9, 1], inZp: -128, outZp: 10, relu: false, batch: 2 },
  { what: 'depthwise 2×2 valid c=20', layer: dw([2, 2], [1, 1], 'valid'), inShape: [4, 5, 20], inZp: 90, outZp: -60, relu: false, batch: 3 },
  {
    what: 'depthwise multiplier 2, 3×3 same stride 2, c=3 (6 output channels, input lanes cross words)',
    layer: dw([3, 3], [2, 2], 'same', 2),
    inShape: [7, 8, 3],
    inZp: -7,
    outZp: -128,
    relu: true,
    batch: 33,
  },
  {
    what: 'depthwise multiplier 3, 2×3 valid, c=5 (15 output channels)',
    layer: dw([2, 3], [1, 1], 'valid', 3),
    inShape: [5, 6, 5],
    inZp: 21,
    outZp: 4,
    relu: false,
    batch: 3,
  },
  { what: 'dense 20 → 50', layer: dense(50), inShape: [20], inZp: -128, outZp: 5, relu: true, batch: 257 },
  { what: 'dense after flatten of [3,3,5] (padded channels) → 10', layer: dense(10), inShape: [3, 3, 5], inZp: -9, outZp: -128, relu: false, batch: 3 },
  { what: 'dense 3 → 1', layer: dense(1), inShape: [3], inZp: 7, outZp: -7, relu: false, batch: 1 },
  // c = 1 first convs take the sliding-word layout (4 taps per word): padding on every side, stride 2, odd sizes, kw = 4 and 7.
  {
    what: 'conv 5×5 same stride 2, c=1, odd 9×11, oc=6 (sliding words)',
    layer: conv(6, [5, 5], [2, 2], 'same'),
    inShape: [9, 11, 1],
    inZp: 33,
    outZp: -2,
    relu: false,
    batch: 257,
  },
  {
    what: 'conv 3×4 same, c=1, 5×6, oc=3, relu (sliding words, kw = 4)',
    layer: conv(3, [3, 4], [1, 1], 'same'),
    inShape: [5, 6, 1],
    inZp: -128,
    outZp: -50,
    relu: true,
    batch: 2,
  },
  {
    what: 'conv 1×7 valid stride (1,3), c=1, 4×13, oc=9 (sliding words, 2 words per row)',
    layer: conv(9, [1, 7], [1, 3], 'valid'),
    inShape: [4, 13, 1],
    inZp: 5,
    outZp: 0,
    relu: false,
    batch: 3,
  },
  // K = 1100 > 4·MAX_EXACT_F32_WORDS inputs: the exact-f32 formulation must fall back to the i32 outer product.
  { what: 'dense 1100 → 5 (K past the exact-f32 bound)', layer: dense(5), inShape: [1100], inZp: -1, outZp: 2, relu: false, batch: 2 },
];

it('the exact-f32 formulation falls back to the i32 outer product past its K bound, and takes LeNet-sized K', () => {
  const base = {
    h: 1,
    w: 1,
    c: 4 * MAX_EXACT_F32_WORDS,
    oc: 5,
    kh: 1,
    kw: 1,
    sh: 1,
    sw: 1,
    padT: 0,
    padL: 0,
    oh: 1,
    ow: 1,
    batch: 1,
    inZp: 0,
    outZp: 0,
    relu: false,
    tiling: TEST_TILING(2),
  };
  expect(i8KWords(base)).toBe(MAX_EXACT_F32_WORDS);
  expect(i8Mac(base)).toBe(2);
  expect(i8Mac({ ...base, c: base.c + 1 })).toBe(1);
  expect(i8Mac({ ...base, tiling: TEST_TILING(0) })).toBe(0);
});

it('CPU adapters: dense steps take a 128-accumulator block (16 images × 8 words), convolutions 64', () => {
  const dense = {
    h: 1,
    w: 1,
    c: 784,
    oc: 300,
    kh: 1,
    kw: 1,
    sh: 1,
    sw: 1,
    padT: 0,
    padL: 0,
    oh: 1,
    ow: 1,
    batch: 1024,
    inZp: 0,
    outZp: 0,
    relu: false,
    tiling: SOFTWARE_I8_TILING,
  };
  expect([i8RowsPerThread(dense), i8ChannelWords(dense)]).toEqual([16, 8]);
  const conv = { ...dense, h: 28, w: 28, c: 1, oc: 20, kh: 5, kw: 5, oh: 24, ow: 24, pool: { winH: 2, winW: 2, sh: 2, sw: 2, oh: 12, ow: 12 } };
  // oc 20 = 5 words; 64 / 5 = 12 rows = 3 whole pool windows.
  expect([i8RowsPerThread(conv), i8ChannelWords(conv)]).toEqual([12, 5]);
});

/** The label timings give a step of kernel `name` in the form `dot` (variantLabel of its constants). */
function i8StepLabel(name: I8KernelName, dot: DotVariant, params: Record<string, unknown>): string {
  const k = i8Kernel(name);
  return variantLabel(k, k.constants({ ...params, batch: 1, dot }));
}

it('step labels name the MAC formulation that runs (K past the exact-f32 bound runs the i32 outer product), and the unpack variant', () => {
  const conv = { h: 1, w: 1, c: 8, oc: 5, kh: 1, kw: 1, sh: 1, sw: 1, padT: 0, padL: 0, oh: 1, ow: 1, inZp: 0, outZp: 0, relu: false };
  expect(i8StepLabel('conv2d-i8', 'dot4', { ...conv, tiling: TEST_TILING(0) })).toBe('conv2d-i8:dot4I8Packed');
  expect(i8StepLabel('conv2d-i8', 'shift', { ...conv, tiling: TEST_TILING(0) })).toBe('conv2d-i8:dot4-shift');
  expect(i8StepLabel('conv2d-i8', 'dot4', { ...conv, tiling: TEST_TILING(1) })).toBe('conv2d-i8:outer-i32');
  expect(i8StepLabel('conv2d-i8', 'dot4', { ...conv, tiling: TEST_TILING(2) })).toBe('conv2d-i8:outer-f32');
  expect(i8StepLabel('conv2d-i8', 'shift', { ...conv, c: 4 * MAX_EXACT_F32_WORDS + 4, tiling: TEST_TILING(2) })).toBe('conv2d-i8:outer-i32');
  expect(i8StepLabel('pool2d-i8', 'dot4', {})).toBe('pool2d-i8:unpack4xI8');
  expect(i8StepLabel('depthwise-conv2d-i8', 'shift', {})).toBe('depthwise-conv2d-i8:unpack-shift');
  expect(i8StepLabel('quantize-i8', 'shift', {})).toBe('quantize-i8');
});

describe.each(DOT_VARIANTS.map((d) => [d]))('int8 kernels, %s variant, vs the CPU integer reference (exact)', (dot) => {
  it.each(WEIGHTED.flatMap((c, i) => MACS.map((mac) => [c.what, mac, c, i] as const)))('%s, mac %i', async (_what, mac, c, i) => {
    const op = randomWeightedOp(c, 100 + i);
    const x = randomCodes(c.batch * sizeOf(c.inShape), mulberry32(200 + i));
    const want = int8OpForward(op, x, c.batch);
    const got = await runOpOnGpu(op, x, c.batch, dot, TEST_TILING(mac));
    expectExact(got, want, `${c.what} [${dot}, mac ${mac}]`);
    // The case must exercise both clamps unless it is tiny.
    if (want.length >= 64) {
      expect(
        want.some((v) => v === 127),
        'saturates at 127',
      ).toBe(true);
      expect(
        want.some((v) => v === (c.relu ? Math.max(c.outZp, -128) : -128)),
        'hits the lower clamp',
      ).toBe(true);
    }
  });

  // conv → max pool fused into conv2d-i8's epilogue. Channel 0 shifts left (randomWeightedOp), so its word requantizes
  // every pixel before the max; the other words take the max of the accumulators first. An average pool requantizes
  // every pixel and averages the codes; a ReLU after it clamps after the mean, one before it (the conv's) before.
  const FUSED: { what: string; c: OpCase; win: [number, number]; stride: [number, number]; poolRelu: boolean; avg?: boolean }[] = [
    {
      what: 'conv 5×5 valid c=1 oc=20 + max 2×2/2 (lenet conv1, sliding words)',
      c: { what: '', layer: conv(20, [5, 5], [1, 1], 'valid'), inShape: [28, 28, 1], inZp: -128, outZp: -3, relu: false, batch: 2 },
      win: [2, 2],
      stride: [2, 2],
      poolRelu: false,
    },
    {
      what: 'conv 3×3 same c=20 oc=50 odd 7×9 + max 2×2/2 (floor), relu after the pool',
      c: { what: '', layer: conv(50, [3, 3], [1, 1], 'same'), inShape: [7, 9, 20], inZp: 10, outZp: -20, relu: false, batch: 3 },
      win: [2, 2],
      stride: [2, 2],
      poolRelu: true,
    },
    {
      what: 'conv 3×3 stride 2 same c=6 oc=7 + max 2×1/(1,1), relu before the pool, batch 257',
      c: { what: '', layer: conv(7, [3, 3], [2, 2], 'same'), inShape: [9, 7, 6], inZp: -60, outZp: 4, relu: true, batch: 257 },
      win: [2, 1],
      stride: [1, 1],
      poolRelu: false,
    },
    {
      what: 'conv 3×3 same c=1 oc=5 odd 9×11, relu + avg 2×2/2 (article-net conv1, sliding words), batch 257',
      c: { what: '', layer: conv(5, [3, 3], [1, 1], 'same'), inShape: [9, 11, 1], inZp: -128, outZp: -40, relu: true, batch: 257 },
      win: [2, 2],
      stride: [2, 2],
      poolRelu: false,
      avg: true,
    },
    {
      what: 'conv 3×3 valid c=6 oc=7 + avg 2×1/(2,1), relu after the pool only',
      c: { what: '', layer: conv(7, [3, 3], [1, 1], 'valid'), inShape: [8, 7, 6], inZp: 25, outZp: 9, relu: false, batch: 3 },
      win: [2, 1],
      stride: [2, 1],
      poolRelu: true,
      avg: true,
    },
    {
      what: 'conv 2×2 same stride 2 c=5 oc=9 + avg 2×4/(1,2) (8 pixels, negative sums round away from zero), batch 1',
      c: { what: '', layer: conv(9, [2, 2], [2, 2], 'same'), inShape: [7, 13, 5], inZp: -3, outZp: -100, relu: false, batch: 1 },
      win: [2, 4],
      stride: [1, 2],
      poolRelu: false,
      avg: true,
    },
  ];
  it.each(FUSED.flatMap((f, i) => MACS.map((mac) => [f.what, mac, f, i] as const)))('fused %s, mac %i', async (_what, mac, f, i) => {
    const op = randomWeightedOp(f.c, 500 + i);
    const kind = f.avg ? 'avgPool2d' : 'maxPool2d';
    const layer: Pool2dLayer = { kind, name: 'p', window: f.win, stride: f.stride };
    const pool: Int8PoolOp = {
      kind,
      layer,
      layers: ['p'],
      inShape: op.outShape,
      outShape: layerOutputShape(layer, op.outShape),
      quant: op.output,
      relu: f.poolRelu,
    };
    const x = randomCodes(f.c.batch * sizeOf(f.c.inShape), mulberry32(600 + i));
    const want = int8OpForward(pool, int8OpForward(op, x, f.c.batch), f.c.batch);
    expectExact(await runOpOnGpu(op, x, f.c.batch, dot, TEST_TILING(mac), pool), want, `fused ${f.what} [${dot}, mac ${mac}]`);
  });

  // A dense first layer quantizes the float input itself (conv2d-i8 FLOATIN): the same codes as quantize-i8 + the layer.
  const FLOAT_IN: { what: string; c: OpCase; inputRelu: boolean }[] = [
    {
      what: 'dense [28,28,1] → 37 (lenet-300-100 fc1 shape), batch 257',
      c: { what: '', layer: dense(37), inShape: [28, 28, 1], inZp: -128, outZp: 3, relu: true, batch: 257 },
      inputRelu: false,
    },
    {
      what: 'dense [20] → 6, a ReLU before it (input clamp at zp 9), batch 1',
      c: { what: '', layer: dense(6), inShape: [20], inZp: 9, outZp: -128, relu: false, batch: 1 },
      inputRelu: true,
    },
    {
      what: 'dense [2,2,3] → 11, negative zp, batch 5',
      c: { what: '', layer: dense(11), inShape: [2, 2, 3], inZp: -40, outZp: 0, relu: false, batch: 5 },
      inputRelu: false,
    },
  ];
  it.each(FLOAT_IN.flatMap((f, i) => MACS.map((mac) => [f.what, mac, f, i] as const)))('float input folded into %s, mac %i', async (_what, mac, f, i) => {
    const op = randomWeightedOp(f.c, 700 + i);
    op.input = { scale: 0.0375, zeroPoint: f.c.inZp };
    const model = { ...oneOpModel(op, f.c.inShape), inputRelu: f.inputRelu };
    const plan = planInt8(model, { tiling: TEST_TILING(mac) });
    const step = plan.steps[0];
    expect(step.kernel, 'no quantize pass: the dense step reads the floats').toBe('conv2d-i8');
    expect((step.params as Partial<Conv2dI8Params>).floatInput).toEqual({ invScale: inverseScaleF32(op.input), relu: f.inputRelu });
    const n = f.c.batch * sizeOf(f.c.inShape);
    const rand = mulberry32(800 + i);
    // Plain values, exact ties (k + 0.5)·scale, far out of range.
    const x = Float32Array.from({ length: n }, (_, k) =>
      k % 3 === 0
        ? (Math.floor(rand() * 300) - 150 + 0.5) / inverseScaleF32(op.input)
        : k % 3 === 1
          ? (rand() - 0.5) * 300 * op.input.scale
          : (rand() - 0.5) * 1e3,
    );
    const want = int8OpForward(op, quantizeInt8(x, op.input, f.inputRelu), f.c.batch);
    const out = (await runKernel(
      cache,
      i8Kernel('conv2d-i8'),
      { ...step.params, batch: f.c.batch, dot },
      {
        inputs: { input: x, weight: step.weight!, bias: step.bias! },
        outputLength: f.c.batch * plan.tensorSizes[step.output],
        outputType: 'u32',
      },
    )) as Uint32Array;
    expectExact(unpackActivations(out, op.outShape[0], f.c.batch), want, `float-input ${f.what} [${dot}, mac ${mac}]`);
  });
});

describe.each(DOT_VARIANTS.map((d) => [d]))('int8 pool and quantize kernels, %s variant, vs the CPU integer reference (exact)', (dot) => {
  const pool = (kind: 'maxPool2d' | 'avgPool2d', w: [number, number], s: [number, number]): Pool2dLayer => ({ kind, name: 'p', window: w, stride: s });
  const POOLS: { what: string; layer: Pool2dLayer; inShape: Shape; zp: number; relu: boolean; batch: number }[] = [
    { what: 'max 2×2/2, c=20', layer: pool('maxPool2d', [2, 2], [2, 2]), inShape: [8, 8, 20], zp: -128, relu: false, batch: 3 },
    { what: 'max 3×3/2 odd 7×9, c=5, relu at zp −20', layer: pool('maxPool2d', [3, 3], [2, 2]), inShape: [7, 9, 5], zp: -20, relu: true, batch: 257 },
    { what: 'avg 2×2/2, c=5, odd 7×7 floors', layer: pool('avgPool2d', [2, 2], [2, 2]), inShape: [7, 7, 5], zp: 4, relu: false, batch: 2 },
    { what: 'avg 3×2/(1,2), c=1, relu at zp 30', layer: pool('avgPool2d', [3, 2], [1, 2]), inShape: [6, 6, 1], zp: 30, relu: true, batch: 5 },
  ];
  it.each(POOLS.map((c, i) => [c.what, c, i] as const))('pool %s', async (_what, c, i) => {
    const op: Int8PoolOp = {
      kind: c.layer.kind,
      layer: c.layer,
      layers: ['p'],
      inShape: c.inShape,
      outShape: layerOutputShape(c.layer, c.inShape),
      quant: { scale: 1, zeroPoint: c.zp },
      relu: c.relu,
    };
    const x = randomCodes(c.batch * sizeOf(c.inShape), mulberry32(300 + i));
    expectExact(await runOpOnGpu(op, x, c.batch, dot), int8OpForward(op, x, c.batch), `pool ${c.what} [${dot}]`);
  });

  it.each([
    ['c=1, zp −128, relu', 1, { scale: 1 / 255, zeroPoint: -128 }, true],
    ['c=5, negative zp, ties and saturation', 5, { scale: 0.05, zeroPoint: -37 }, false],
    ['c=20, zp 100', 20, { scale: 0.3, zeroPoint: 100 }, false],
    ['c=30 (an image row of 30 pixels packed along the row: SLIDE input), zp 3', 30, { scale: 0.02, zeroPoint: 3 }, true],
  ] as const)('quantize + dequantize %s', async (_what, c, q, relu) => {
    const rand = mulberry32(400 + c);
    const batch = 257;
    const pixels = 3;
    // Mix: plain values, exact ties (k + 0.5)·scale, far out of range.
    const x = Float32Array.from({ length: batch * pixels * c }, (_, i) =>
      i % 3 === 0 ? (Math.floor(rand() * 300) - 150 + 0.5) / inverseScaleF32(q) : i % 3 === 1 ? (rand() - 0.5) * 400 * q.scale : (rand() - 0.5) * 1e4,
    );
    const want = quantizeInt8(x, q, relu);
    const qk = i8Kernel('quantize-i8');
    const words = (await runKernel(
      cache,
      qk,
      { batch, pixels, c, invScale: inverseScaleF32(q), zeroPoint: q.zeroPoint, relu, dot },
      { inputs: { input: x }, outputLength: batch * pixels * Math.ceil(c / 4), outputType: 'u32' },
    )) as Uint32Array;
    expectExact(unpackActivations(words, c, batch * pixels), want, `quantize [${dot}]`);
    const codes = randomCodes(batch * pixels * c, rand);
    // Tail bytes of a pixel's last word hold the zero point (a SLIDE conv reads them as real zero past the row's end).
    expectExact(words, packActivations(want, c, q.zeroPoint), `quantize words with tails [${dot}]`);
    const dk = i8Kernel('dequantize-i8');
    const f = (await runKernel(
      cache,
      dk,
      { batch, pixels, c, scale: Math.fround(q.scale), zeroPoint: q.zeroPoint, dot },
      { inputs: { input: packActivations(codes, c) }, outputLength: batch * pixels * c, outputType: 'f32' },
    )) as Float32Array;
    expectExact(new Uint32Array(f.buffer), new Uint32Array(dequantizeInt8(codes, q).buffer), `dequantize bits [${dot}]`);
  });
});

/** Calibration images: MNIST test images when built (`npm run data`), else the test fails saying so. */
async function mnist(count: number, start = 0): Promise<{ x: Float32Array; labels: Uint8Array }> {
  const ds = await loadDataset('mnist', 'test');
  return { x: toFloatBatch(ds, start, count), labels: ds.labels.subarray(start, start + count) };
}

describe('int8 executor: whole models, GPU int8 == CPU integer reference exactly', () => {
  const names = Object.keys(ARCHITECTURES);
  it.each(names.map((n) => [n]))(
    '%s (both variants, batch 1 and 257, codes and logits)',
    async (name) => {
      const model = initModel(architecture(name), 3);
      const cal = await mnist(64);
      const q = quantizeInt8Model(model, { calibration: cal.x, batch: 64, method: 'minmax' });
      const { x } = await mnist(257, 1000);
      const ref = int8ModelForward(q, x, 257);
      for (const dot of DOT_VARIANTS) {
        const ex = await createInt8Executor(gpu, q, { maxBatch: 300, dot, cache });
        try {
          const codes = await ex.run(x, 257, { readback: 'codes' });
          expectExact(codes, ref.tensors[ref.tensors.length - 1], `${name} codes [${dot}]`);
          const logits = await ex.run(x, 257);
          expectExact(new Uint32Array(logits.buffer), new Uint32Array(ref.logits.buffer), `${name} logits bits [${dot}]`);
          const one = await ex.run(x.subarray(0, 784), 1);
          expectExact(one, ref.logits.subarray(0, 10), `${name} batch 1 [${dot}]`);
          const top = await ex.run(x, 257, { readback: 'argmax' });
          for (let i = 0; i < 257; i++) {
            const row = Array.from(ref.logits.subarray(i * 10, i * 10 + 10));
            expect(top[i], `${name} argmax row ${i}`).toBe(row.indexOf(Math.max(...row)));
          }
        } finally {
          ex.destroy();
        }
      }
      // Both variants compile every big register block of the model: slow on a software adapter, slower on a shared machine.
    },
    400_000,
  );

  it('a synthetic net with every op kind: same padding, depthwise, avg pool, relu after pool, channels 3/5, chunked batch', async () => {
    const model = modelOf('synthetic', EVERY_OP_INPUT, EVERY_OP_LAYERS, 21);
    const batch = 300;
    const x = randomInput(batch * 11 * 13 * 2, 5);
    const q = quantizeInt8Model(model, { calibration: x.subarray(0, 64 * 286), batch: 64, method: 'percentile', percentile: 99.9 });
    const ref = int8ModelForward(q, x, batch);
    for (const dot of DOT_VARIANTS) {
      const ex = await createInt8Executor(gpu, q, { maxBatch: 128, dot, cache }); // 3 chunks
      try {
        expectExact(await ex.run(x, batch, { readback: 'codes' }), ref.tensors[ref.tensors.length - 1], `synthetic codes [${dot}]`);
      } finally {
        ex.destroy();
      }
    }
  });
});

describe('int8 executor: depthwise channel multiplier through quantizeInt8Model', () => {
  it('dw ×2 same stride 2 + relu → dw ×3 valid → flatten → dense: GPU codes == CPU codes', async () => {
    const layers: Layer[] = [
      { ...dw([3, 3], [2, 2], 'same', 2), name: 'dw1' },
      { kind: 'relu', name: 'r1' },
      { ...dw([2, 2], [1, 1], 'valid', 3), name: 'dw2' },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 10, bias: true },
    ];
    const model = modelOf('dw-multiplier', [9, 8, 3], layers, 31);
    const batch = 40;
    const x = randomInput(batch * 9 * 8 * 3, 6);
    const q = quantizeInt8Model(model, { calibration: x, batch, method: 'minmax' });
    expect(q.ops.find((o) => o.layers[0] === 'dw2')!.outShape).toEqual([4, 3, 18]);
    const ref = int8ModelForward(q, x, batch);
    for (const dot of DOT_VARIANTS) {
      const ex = await createInt8Executor(gpu, q, { maxBatch: batch, dot, cache });
      try {
        expectExact(await ex.run(x, batch, { readback: 'codes' }), ref.tensors[ref.tensors.length - 1], `dw-multiplier codes [${dot}]`);
      } finally {
        ex.destroy();
      }
    }
  });
});

describe('int8 executor: per-step timing and device loss', () => {
  it('time(): one timestamped pass per plan step, named by its layers', async () => {
    const model = modelOf(
      't',
      [6, 6, 1],
      [
        { kind: 'conv2d', name: 'c1', filters: 4, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
        { kind: 'maxPool2d', name: 'p1', window: [2, 2], stride: [2, 2] },
        { kind: 'flatten', name: 'flat' },
        { kind: 'dense', name: 'fc', units: 3, bias: true },
      ],
    );
    const x = randomInput(8 * 36, 9);
    const q = quantizeInt8Model(model, { calibration: x, batch: 8, method: 'minmax' });
    const ex = await createInt8Executor(gpu, q, { maxBatch: 8, cache });
    try {
      await expect(ex.time(x, 9)).rejects.toThrow(/input has/);
      const t = await ex.time(x, 8);
      expect(t.method).toBe('timestamp');
      expect(t.layers.map((l) => l.layers.join('+'))).toEqual(['quantize', 'c1+p1+flat', 'fc', 'dequantize']);
      // Labelled by what ran: on this CPU adapter the default tiling's exact-f32 outer product, not dot4I8Packed.
      expect(gpu.report.software).toBe(true);
      expect(t.layers.map((l) => l.kernel)).toEqual(['quantize-i8', 'conv2d-i8:outer-f32', 'conv2d-i8:outer-f32', 'dequantize-i8:unpack4xI8']);
      expect(ex.stepLabels).toEqual(t.layers.map((l) => l.kernel));
      for (const l of t.layers) expect(l.ms).toBeGreaterThanOrEqual(0);
      expect(t.totalMs).toBeGreaterThan(0);
      expect(t.totalMs).toBeGreaterThanOrEqual(Math.max(...t.layers.map((l) => l.ms)));
      // Timing must not disturb the results.
      expectExact(await ex.run(x, 8, { readback: 'codes' }), int8ModelForward(q, x, 8).tensors.at(-1)!, 'codes after time()');
    } finally {
      ex.destroy();
    }
  });

  it('batches of 1–4 run dense steps one image per thread (their own pipeline), exact at every batch size around the switch', async () => {
    const model = modelOf(
      'dense-net',
      [5, 5, 1],
      [
        { kind: 'flatten', name: 'flatten' },
        { kind: 'dense', name: 'fc1', units: 37, bias: true },
        { kind: 'relu', name: 'r1' },
        { kind: 'dense', name: 'fc2', units: 10, bias: true },
      ],
    );
    const x = randomInput(6 * 25, 12);
    const q = quantizeInt8Model(model, { calibration: x, batch: 6, method: 'minmax' });
    const ex = await createInt8Executor(gpu, q, { maxBatch: 8, cache });
    try {
      expect(ex.smallBatchSteps, 'fc1 and fc2 have a batch ≤ 4 pipeline').toBe(2);
      for (let b = 1; b <= 6; b++) {
        const xb = x.subarray(0, b * 25);
        expectExact(await ex.run(xb, b, { readback: 'codes' }), int8ModelForward(q, xb, b).tensors.at(-1)!, `codes at batch ${b}`);
      }
      const t = await ex.time(x.subarray(0, 25), 1);
      // 25 floats are not whole vec4s: the input is quantized by its own pass (flat, the last word's tail at the zero point).
      expect(t.layers.map((l) => l.layers.join('+'))).toEqual(['quantize', 'fc1+r1', 'fc2', 'dequantize']);
    } finally {
      ex.destroy();
    }
  });

  it('without timestamp-query time() is the wall clock, labelled; after device.destroy() run() recreates the device, retries, and is exact', async () => {
    // Its own device (the file's must survive), without timestamps, and a one-dense-layer model: every pipeline compiles twice here.
    const own = await acquireGpu({ timestamps: false });
    const model = modelOf(
      'tiny',
      [4, 4, 1],
      [
        { kind: 'flatten', name: 'flatten' },
        { kind: 'dense', name: 'fc', units: 5, bias: true },
      ],
    );
    const x = randomInput(6 * 16, 4);
    const q = quantizeInt8Model(model, { calibration: x, batch: 6, method: 'minmax' });
    const want = int8ModelForward(q, x, 6).logits;
    const ex = await createInt8Executor(own, q, { maxBatch: 8 });
    try {
      const t = await ex.time(x, 6);
      expect(t.method).toBe('wall');
      expect(t.layers).toEqual([]);
      // A dense first layer over 16 floats quantizes its input itself: no quantize pass.
      expect(ex.plan.steps.map((st) => st.layers.join('+'))).toEqual(['fc', 'dequantize']);
      expect(t.totalMs).toBeGreaterThan(0);
      expectExact(await ex.run(x, 6), want, 'before loss');
      const lostDevice = ex.gpu.device;
      lostDevice.destroy();
      await ex.gpu.lost;
      const got = await ex.run(x, 6);
      expect(ex.gpu.device).not.toBe(lostDevice);
      expect(ex.gpu.isLost()).toBe(false);
      expectExact(got, want, 'after loss');
      expect((await ex.time(x, 6)).method).toBe('wall');
    } finally {
      ex.destroy();
      ex.gpu.device.destroy();
    }
  });
});

/**
 * A "trained-like" LeNet-5: random He-initialised features with the last
 * layer (fc2) trained by softmax-regression SGD on 500 MNIST training images.
 * Trained readouts have real top-1 margins; a fully random net's logits are
 * nearly tied, so int8 rounding flips its argmax far more often than it would
 * on any model worth quantizing.
 */
async function trainedLikeLenet5(): Promise<Model> {
  const model = initModel(architecture('lenet5'), 1);
  const tr = await loadDataset('mnist', 'train');
  const n = 500;
  const outs = modelForwardAll(model, toFloatBatch(tr, 0, n), n);
  const h = outs[outs.length - 2];
  const d = h.length / n;
  const w = model.weights['fc2.weight'];
  const b = model.weights['fc2.bias'];
  w.fill(0);
  const lr = 0.01;
  const z = new Float64Array(10);
  for (let epoch = 0; epoch < 10; epoch++) {
    for (let i = 0; i < n; i++) {
      const f = h.subarray(i * d, (i + 1) * d);
      for (let o = 0; o < 10; o++) {
        let s = b[o];
        for (let k = 0; k < d; k++) s += w[o * d + k] * f[k];
        z[o] = s;
      }
      const m = Math.max(...z);
      let sum = 0;
      for (let o = 0; o < 10; o++) sum += z[o] = Math.exp(z[o] - m);
      for (let o = 0; o < 10; o++) {
        const g = lr * (z[o] / sum - (o === tr.labels[i] ? 1 : 0));
        b[o] -= g;
        for (let k = 0; k < d; k++) w[o * d + k] -= g * f[k];
      }
    }
  }
  return model;
}

async function agreement(model: Model, what: string): Promise<number> {
  const cal = await mnist(64, 5000);
  const q = quantizeInt8Model(model, { calibration: cal.x, batch: 64, method: 'minmax' });
  const { x, labels } = await mnist(512);
  const ex = await createInt8Executor(gpu, q, { maxBatch: 512, cache });
  try {
    const top = await ex.run(x, 512, { readback: 'argmax' });
    const f = modelForward(model, x, 512);
    let agree = 0;
    let right32 = 0;
    let right8 = 0;
    for (let i = 0; i < 512; i++) {
      const row = Array.from(f.subarray(i * 10, i * 10 + 10));
      const t = row.indexOf(Math.max(...row));
      if (top[i] === t) agree++;
      if (t === labels[i]) right32++;
      if (top[i] === labels[i]) right8++;
    }
    console.log(
      `int8/fp32 top-1 agreement, ${what}, 512 MNIST test images: ${agree}/512 = ${((100 * agree) / 512).toFixed(1)}% ` +
        `(accuracy fp32 ${((100 * right32) / 512).toFixed(1)}%, int8 ${((100 * right8) / 512).toFixed(1)}%)`,
    );
    return agree / 512;
  } finally {
    ex.destroy();
  }
}

describe('int8 vs float top-1 agreement (MNIST test images, int8 on the GPU, fp32 on the CPU reference)', () => {
  it('trained-like LeNet-5 (trained readout): ≥ 97% of 512 images', async () => {
    expect(await agreement(await trainedLikeLenet5(), 'lenet5 (random features, trained fc2)')).toBeGreaterThanOrEqual(0.97);
  });

  it('random-weight LeNet-5: ≥ 90% (near-tied logits; the fraction is reported)', async () => {
    expect(await agreement(initModel(architecture('lenet5'), 1), 'lenet5 (random He init)')).toBeGreaterThanOrEqual(0.9);
  });
});
