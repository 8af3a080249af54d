/**
 * lut-i8 (sigmoid, tanh and leakyRelu as 256-entry tables in the int8 path)
 * against the CPU integer reference (src/cpu/quantized.ts lutInt8),
 * bit-exact: the kernel alone on random codes and tables (odd channel counts,
 * so a pixel's last word is partial; batch 1 and 257), then whole models with
 * the codes of EVERY tensor compared (each op's output read back as the last
 * tensor of the model cut after it), both dot-product forms; and the int8
 * model of a trained net with every table fn against its float model on real
 * MNIST test images. Real GPU (SwiftShader under Node); no skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Int8Model } from '../model/int8.ts';
import type { Layer } from '../model/layers.ts';
import { mulberry32 } from '../model/model.ts';
import type { Model } from '../model/model.ts';
import { modelForward } from '../cpu/forward.ts';
import { int8ModelForward, lutInt8 } from '../cpu/quantized.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import { calibrateInt8 } from '../engine/int8.ts';
import { loadDataset } from '../data/node-loader.ts';
import { toFloatBatch } from '../data/dataset.ts';
import { importedArchitecture, testInput, testModel } from '../peers/test-cases.ts';
import { trainedLutModel } from '../peers/lut-model.ts';
import type { Gpu } from './device.ts';
import { acquireGpu, describeAdapter } from './device.ts';
import { PipelineCache } from './pipelines.ts';
import { runKernel } from './kernel-runner.ts';
import { DOT_VARIANTS, packActivations, unpackActivations } from './kernels/int8-common.ts';
import { packLutI8 } from './kernels/lut-i8.ts';
import { i8Kernel } from './registry-i8.ts';
import { planInt8 } from './plan-i8.ts';
import { stepLabel } from './step.ts';
import { createInt8Executor } from './executor-i8.ts';
import { modelOf, randomInput } from './test-helpers.ts';

let gpu: Gpu;
let cache: PipelineCache;
beforeAll(async () => {
  gpu = await acquireGpu();
  cache = new PipelineCache(gpu.device);
});
afterAll(() => gpu?.device.destroy());

/** Equal arrays; the failure names the first differing index and both values. */
function expectExact(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) expect.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

const randomCodes = (n: number, rand: () => number): Int8Array => Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128);

describe.each(DOT_VARIANTS.map((d) => [d]))('lut-i8 kernel, %s form, vs lutInt8 (exact)', (dot) => {
  const CASES: [string, number, number, number][] = [
    ['c=1 (3 tail bytes per word)', 1, 7, 257],
    ['c=3', 3, 5, 2],
    ['c=4 (whole words)', 4, 9, 1],
    ['c=5 (one byte in the last word)', 5, 13, 257],
    ['c=7', 7, 3, 3],
    ['flat 33 values (dense output)', 33, 1, 257],
    ['flat 10 values, batch 1', 10, 1, 1],
  ];
  it.each(CASES.map((c, i) => [...c, i] as const))('%s, %i channels × %i pixels, batch %i', async (_what, c, pixels, batch, i) => {
    const rand = mulberry32(40 + i);
    const table = randomCodes(256, rand);
    const zp = Math.floor(rand() * 256) - 128;
    const x = randomCodes(batch * pixels * c, rand);
    const want = new Int8Array(x.length);
    lutInt8(x, table, want);
    const words = (await runKernel(
      cache,
      i8Kernel('lut-i8'),
      { batch, pixels, c, zeroPoint: zp, dot },
      // Input tail bytes hold garbage (0x5a): the kernel writes the output zero point there, whatever they hold.
      { inputs: { input: packActivations(x, c, 0x5a), table: packLutI8(table) }, outputLength: batch * pixels * Math.ceil(c / 4), outputType: 'u32' },
    )) as Uint32Array;
    expectExact(unpackActivations(words, c, batch * pixels), want, `codes [${dot}]`);
    expectExact(words, packActivations(want, c, zp), `words with zero-point tails [${dot}]`);
  });
});

it('one pipeline for both dot forms (byte shifts only), named lut-i8; a table must have 256 entries', () => {
  const s = { kernel: 'lut-i8', params: { pixels: 1, c: 5, zeroPoint: 0 } };
  expect(DOT_VARIANTS.map((dot) => stepLabel({ ...s, params: { ...s.params, dot } }))).toEqual(['lut-i8', 'lut-i8']);
  expect(() => packLutI8(new Int8Array(16))).toThrow(/256 entries, got 16/);
});

/** `q` cut after its first `k` ops: its last tensor is op k − 1's output, read back as codes. */
function cutAfter(q: Int8Model, k: number): Int8Model {
  const ops = q.ops.slice(0, k);
  const last = ops[k - 1];
  return { ...q, ops, output: 'quant' in last ? last.quant : last.output, outputShape: last.outShape };
}

/**
 * GPU codes of every tensor of `q` == the CPU reference's, both dot forms, on
 * `x` (`batch` images; chunks of `maxBatch`), and the logits' bits.
 */
async function expectEveryTensor(q: Int8Model, x: Float32Array, batch: number, maxBatch: number, what: string): Promise<void> {
  const ref = int8ModelForward(q, x, batch);
  for (const dot of DOT_VARIANTS) {
    for (let k = 1; k <= q.ops.length; k++) {
      const ex = await createInt8Executor(gpu, cutAfter(q, k), { maxBatch, dot, cache });
      try {
        expectExact(await ex.run(x, batch, { readback: 'codes' }), ref.tensors[k], `${what}: codes after ${q.ops[k - 1].layers.join('+')} [${dot}]`);
        if (k === q.ops.length) {
          const logits = await ex.run(x, batch);
          expectExact(new Uint32Array(logits.buffer), new Uint32Array(ref.logits.buffer), `${what}: logit bits [${dot}]`);
          const one = await ex.run(x.subarray(0, x.length / batch), 1);
          expectExact(new Uint32Array(one.buffer), new Uint32Array(ref.logits.buffer, 0, one.length), `${what}: batch 1 [${dot}]`);
        }
      } finally {
        ex.destroy();
      }
    }
  }
}

describe('int8 models with tables: GPU codes of every tensor == CPU integer reference (exact)', () => {
  it('imported architecture (leakyRelu after a padded conv, sigmoid after depthwise + relu6, padded pools on a table, tanh logits)', async () => {
    const model = testModel(importedArchitecture(), 6);
    const x = testInput(model, 67, 3);
    const q = quantizeInt8Model(model, { calibration: x.subarray(0, 64 * 220), batch: 64, method: 'minmax' });
    expect(
      planInt8(q)
        .steps.filter((s) => s.kernel === 'lut-i8')
        .map((s) => s.layers.join('+')),
    ).toEqual(['a1', 'a3', 'a4']);
    await expectEveryTensor(q, x, 67, 32, 'imported');
  }, 600_000);

  it('tables as the first op (on the quantized input), before a pool and a dense layer, with a ReLU folded in; odd channels', async () => {
    const layers: Layer[] = [
      { kind: 'activation', name: 'th', fn: 'tanh' },
      { kind: 'conv2d', name: 'c', filters: 5, kernel: [3, 3], stride: [1, 1], padding: 'same', bias: true },
      { kind: 'activation', name: 'sg', fn: 'sigmoid' },
      { kind: 'avgPool2d', name: 'ap', window: [2, 2], stride: [2, 2] },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 3, bias: true },
      { kind: 'activation', name: 'lr', fn: 'leakyRelu', alpha: 0.3 },
      { kind: 'relu', name: 'r' },
    ];
    const model = modelOf('lut-first', [9, 7, 3], layers, 5);
    const x = randomInput(40 * 189, 8).map((v) => 3 * v);
    const q = quantizeInt8Model(model, { calibration: x.subarray(0, 32 * 189), batch: 32, method: 'minmax' });
    expect(q.ops.map((o) => `${o.kind}:${o.layers.join('+')}`)).toEqual(['lut:th', 'conv2d:c', 'lut:sg', 'avgPool2d:ap+f', 'dense:fc', 'lut:lr+r']);
    await expectEveryTensor(q, x, 40, 16, 'lut-first');
  }, 600_000);
});

/** Top-1 of each row of `batch` × 10 logits. */
function argmaxRows(logits: Float32Array, batch: number): Int32Array {
  return Int32Array.from({ length: batch }, (_, i) => {
    const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
    return row.indexOf(Math.max(...row));
  });
}

describe('a trained net with leakyRelu, tanh and sigmoid (src/peers/lut-model.ts) in int8, on MNIST test images', () => {
  let model: Model;
  let q: Int8Model;
  beforeAll(async () => {
    model = await trainedLutModel();
    // Calibrated as every front end calibrates: the first 256 training images.
    q = calibrateInt8(model, await loadDataset('mnist', 'train')).int8;
  }, 120_000);

  it('GPU codes of every tensor == CPU reference on 257 real images', async () => {
    expect(q.ops.filter((o) => o.kind === 'lut').map((o) => o.layers[0])).toEqual(['leaky', 'tanh', 'sigmoid']);
    const test = await loadDataset('mnist', 'test');
    await expectEveryTensor(q, toFloatBatch(test, 0, 257), 257, 128, 'lut-net');
  }, 600_000);

  it('int8 (GPU) classifies like the float model: ≥ 99 % top-1 agreement on 2,000 images, accuracy within 0.5 points', async () => {
    const test = await loadDataset('mnist', 'test');
    const n = 2000;
    const x = toFloatBatch(test, 0, n);
    const f = argmaxRows(modelForward(model, x, n), n);
    const ex = await createInt8Executor(gpu, q, { maxBatch: 500, cache });
    let top: Int32Array;
    try {
      top = await ex.run(x, n, { readback: 'argmax' });
    } finally {
      ex.destroy();
    }
    let agree = 0;
    let right32 = 0;
    let right8 = 0;
    for (let i = 0; i < n; i++) {
      if (top[i] === f[i]) agree++;
      if (f[i] === test.labels[i]) right32++;
      if (top[i] === test.labels[i]) right8++;
    }
    const pct = (k: number): string => `${((100 * k) / n).toFixed(2)}%`;
    console.log(
      `lut-net, ${n} MNIST test images (int8 on ${describeAdapter(gpu.report)}): ` + `fp32 ${pct(right32)}, int8 ${pct(right8)}, top-1 agreement ${pct(agree)}`,
    );
    expect(right32 / n, 'the float net is trained').toBeGreaterThan(0.85);
    expect(agree / n).toBeGreaterThanOrEqual(0.99);
    expect(Math.abs(right8 - right32) / n).toBeLessThanOrEqual(0.005);
  }, 300_000);
});
