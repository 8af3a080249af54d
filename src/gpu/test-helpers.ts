/** Shared by the GPU test files: one device per file, models from layer lists, CPU comparison. */
import { expect } from 'vitest';
import type { Architecture, Layer, Padding } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { initModel, mulberry32 } from '../model/model.ts';

/** A seeded model for `layers` with non-zero biases (initModel leaves them at zero, which would hide bias bugs). */
export function modelOf(name: string, inputShape: [number, number, number], layers: Layer[], seed = 7): Model {
  const arch: Architecture = { name, inputShape, layers };
  const model = initModel(arch, seed);
  const rand = mulberry32(seed + 1);
  for (const [k, v] of Object.entries(model.weights)) if (k.endsWith('.bias')) for (let i = 0; i < v.length; i++) v[i] = rand() - 0.5;
  return model;
}

export function randomInput(n: number, seed = 3): Float32Array {
  const rand = mulberry32(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rand() * 2 - 1;
  return x;
}

/** |a − e| ≤ abs + rel·|e| everywhere; the failure names the worst index. */
export function expectNear(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, abs = 1e-4, rel = 1e-4): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (abs + rel * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (±${abs} + ${rel}·|e|)`);
}

/** Argmax agreement wherever the reference's top-2 margin is larger than the tolerance (ties may flip legitimately). */
export function expectSameClasses(gpu: Int32Array, logits: Float32Array, classes: number, what: string, margin = 1e-3): void {
  for (let r = 0; r < gpu.length; r++) {
    const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    const sorted = row.slice().sort((a, b) => b - a);
    if (sorted[0] - sorted[1] <= margin) continue;
    expect(gpu[r], `${what}: row ${r}`).toBe(row.indexOf(sorted[0]));
  }
}

/**
 * A small net with every op kind the int8 path lowers: same padding, channels
 * 3 and 5, avg pool then relu, depthwise stride 2, pointwise, a max pool that
 * cannot fuse (stride 1), dense. Input [11, 13, 2].
 */
export const EVERY_OP_INPUT: [number, number, number] = [11, 13, 2];
export const EVERY_OP_LAYERS: Layer[] = [
  { kind: 'conv2d', name: 'c1', filters: 5, kernel: [3, 3], stride: [1, 1], padding: 'same', bias: true },
  { kind: 'avgPool2d', name: 'p1', window: [2, 2], stride: [2, 2] },
  { kind: 'relu', name: 'r1' },
  { kind: 'depthwiseConv2d', name: 'd1', kernel: [3, 3], stride: [2, 2], padding: 'same', bias: true },
  { kind: 'relu', name: 'r2' },
  { kind: 'conv2d', name: 'pw', filters: 3, kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
  { kind: 'maxPool2d', name: 'p2', window: [2, 2], stride: [1, 1] },
  { kind: 'flatten', name: 'flat' },
  { kind: 'dense', name: 'fc', units: 7, bias: true },
];

const convLayer = (name: string, filters: number, k: [number, number], stride: [number, number], padding: Padding, bias = true): Layer => ({
  kind: 'conv2d',
  name,
  filters,
  kernel: k,
  stride,
  padding,
  bias,
});
const dwLayer = (name: string, k: [number, number], stride: [number, number], padding: Padding, multiplier = 1): Layer => ({
  kind: 'depthwiseConv2d',
  name,
  kernel: k,
  stride,
  padding,
  bias: true,
  ...(multiplier > 1 ? { multiplier } : {}),
});
const poolLayer = (kind: 'maxPool2d' | 'avgPool2d', name: string, w: [number, number], s: [number, number]): Layer => ({ kind, name, window: w, stride: s });
const reluLayer = (name: string): Layer => ({ kind: 'relu', name });
const flattenLayer: Layer = { kind: 'flatten', name: 'flatten' };
const denseLayer = (name: string, units: number, bias = true): Layer => ({ kind: 'dense', name, units, bias });

/** A kernels.test case: a one-layer (or fused few-layer) model exercising `kernel`. */
export interface KernelCase {
  /** Kernel(s) exercised, as named in shaders/ and src/gpu/kernels/. */
  kernel: string;
  what: string;
  input: [number, number, number];
  layers: Layer[];
}

/** Every float inference kernel's cases (kernels.test.ts runs them all; default-limits.test.ts a few). */
export const KERNEL_CASES: KernelCase[] = [
  { kernel: 'conv2d', what: 'lenet conv1: 5×5 valid, c=1 (scalar path), oc=20', input: [12, 12, 1], layers: [convLayer('c', 20, [5, 5], [1, 1], 'valid')] },
  { kernel: 'conv2d', what: '3×3 same stride 2, odd 7×9, c=3, oc=5', input: [7, 9, 3], layers: [convLayer('c', 5, [3, 3], [2, 2], 'same')] },
  {
    kernel: 'conv2d',
    what: '3×3 valid stride 2 on 8×8 (last row and column never read: INSIDE loads without bounds checks), c=4, oc=6',
    input: [8, 8, 4],
    layers: [convLayer('c', 6, [3, 3], [2, 2], 'valid')],
  },
  { kernel: 'conv2d', what: '2×1 kernel stride (2,1) same, c=5, oc=7, no bias', input: [5, 6, 5], layers: [convLayer('c', 7, [2, 1], [2, 1], 'same', false)] },
  {
    kernel: 'conv2d',
    what: 'vec4 path c=8, 3×3 same + relu + max pool 2×2 fused',
    input: [8, 6, 8],
    layers: [convLayer('c', 6, [3, 3], [1, 1], 'same'), reluLayer('r'), poolLayer('maxPool2d', 'p', [2, 2], [2, 2])],
  },
  {
    kernel: 'conv2d',
    what: 'relu → avg pool 2×2 → relu fused (pre and post), odd output 7×7 floors',
    input: [9, 9, 4],
    layers: [convLayer('c', 9, [3, 3], [1, 1], 'valid'), reluLayer('r1'), poolLayer('avgPool2d', 'p', [2, 2], [2, 2]), reluLayer('r2')],
  },
  {
    kernel: 'conv2d',
    what: 'max pool 1×2 stride (1,2) fused, oc=50 (13 channel words in blocks of 7: a partial last block)',
    input: [6, 6, 20],
    layers: [convLayer('c', 50, [3, 3], [1, 1], 'valid'), poolLayer('maxPool2d', 'p', [1, 2], [1, 2])],
  },
  {
    kernel: 'conv2d + pool2d',
    what: '3×3/2 pool cannot fuse: standalone pool2d',
    input: [9, 9, 2],
    layers: [convLayer('c', 3, [2, 2], [1, 1], 'valid'), poolLayer('maxPool2d', 'p', [3, 3], [2, 2])],
  },
  {
    kernel: 'conv2d | dense',
    what: 'pointwise 1×1, c=12, oc=10 (dense GEMM in the tiled variant)',
    input: [5, 3, 12],
    layers: [convLayer('pw', 10, [1, 1], [1, 1], 'valid'), reluLayer('r')],
  },
  { kernel: 'depthwise-conv2d', what: '3×3 same stride 2, c=6, + relu', input: [7, 8, 6], layers: [dwLayer('d', [3, 3], [2, 2], 'same'), reluLayer('r')] },
  { kernel: 'depthwise-conv2d', what: '5×5 valid, c=1', input: [9, 9, 1], layers: [dwLayer('d', [5, 5], [1, 1], 'valid')] },
  {
    kernel: 'depthwise-conv2d',
    what: 'multiplier 2, 3×3 same stride 2, c=3, + relu',
    input: [7, 8, 3],
    layers: [dwLayer('d', [3, 3], [2, 2], 'same', 2), reluLayer('r')],
  },
  { kernel: 'depthwise-conv2d', what: 'multiplier 3, 2×3 valid, c=5', input: [6, 7, 5], layers: [dwLayer('d', [2, 3], [1, 1], 'valid', 3)] },
  {
    kernel: 'pool2d',
    what: 'max 2×2/2 on odd 7×7, c=3, then relu (fused into the pool)',
    input: [7, 7, 3],
    layers: [poolLayer('maxPool2d', 'p', [2, 2], [2, 2]), reluLayer('r')],
  },
  { kernel: 'pool2d', what: 'avg 3×3 stride 1, c=5', input: [6, 5, 5], layers: [poolLayer('avgPool2d', 'p', [3, 3], [1, 1])] },
  {
    kernel: 'relu',
    what: 'standalone relu on the input, then flatten + dense',
    input: [3, 3, 3],
    layers: [reluLayer('r'), flattenLayer, denseLayer('fc', 10)],
  },
  {
    kernel: 'dense',
    what: '37 → 13 + relu → 10 (K and N not multiples of 4)',
    input: [37, 1, 1],
    layers: [flattenLayer, denseLayer('fc1', 13), reluLayer('r'), denseLayer('fc2', 10)],
  },
  { kernel: 'dense', what: '800 → 130, no bias', input: [10, 10, 8], layers: [flattenLayer, denseLayer('fc', 130, false)] },
  {
    kernel: 'conv2d',
    what: 'explicit pads t2 b0 l1 r2, 5×5 stride 2, c=1 (scalar path), oc=6',
    input: [13, 12, 1],
    layers: [convLayer('c', 6, [5, 5], [2, 2], { top: 2, bottom: 0, left: 1, right: 2 })],
  },
  {
    kernel: 'conv2d',
    what: 'explicit pads t0 b2 l2 r1, vec4 path c=8, 3×3 + relu + max pool 2×2 fused',
    input: [8, 7, 8],
    layers: [convLayer('c', 6, [3, 3], [1, 1], { top: 0, bottom: 2, left: 2, right: 1 }), reluLayer('r'), poolLayer('maxPool2d', 'p', [2, 2], [2, 2])],
  },
  {
    kernel: 'depthwise-conv2d',
    what: 'explicit pads t1 b0 l0 r2, 3×3 stride (2,1), c=5, + relu',
    input: [8, 7, 5],
    layers: [dwLayer('d', [3, 3], [2, 1], { top: 1, bottom: 0, left: 0, right: 2 }), reluLayer('r')],
  },
  {
    kernel: 'activation',
    what: 'relu6 after a 3×3 same conv',
    input: [6, 5, 3],
    layers: [convLayer('c', 5, [3, 3], [1, 1], 'same'), { kind: 'activation', name: 'a', fn: 'relu6' }],
  },
  {
    kernel: 'activation',
    what: 'leakyRelu α = 0.1 on the input, then flatten + dense',
    input: [3, 3, 3],
    layers: [{ kind: 'activation', name: 'a', fn: 'leakyRelu', alpha: 0.1 }, flattenLayer, denseLayer('fc', 10)],
  },
  {
    kernel: 'activation',
    what: 'sigmoid and tanh after dense layers (odd sizes)',
    input: [37, 1, 1],
    layers: [
      flattenLayer,
      denseLayer('fc1', 13),
      { kind: 'activation', name: 's', fn: 'sigmoid' },
      denseLayer('fc2', 7),
      { kind: 'activation', name: 't', fn: 'tanh' },
    ],
  },
  { kernel: 'softmax', what: 'dense 10 → softmax', input: [4, 4, 2], layers: [flattenLayer, denseLayer('fc', 10), { kind: 'softmax', name: 'sm' }] },
];
