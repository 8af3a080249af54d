/**
 * The layers importers need, through the one engine on the GPU: explicit
 * (asymmetric) convolution pads on conv2d (scalar and vec4 paths, fused
 * pool), depthwise, conv2d-i8 (SLIDE row-packed and plain) and
 * depthwise-i8; the `activation` layer (float kernel; relu6 as the int8
 * clamp, the other functions int8 lookup tables: lut-i8.test.ts); global average
 * pooling as avgPool2d. Float: GPU vs CPU reference; int8: bit-exact vs the
 * CPU integer reference for both dot forms; trainer: one SGD step vs the CPU
 * backward. Real GPU (SwiftShader under Node).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Layer } from '../model/layers.ts';
import { globalAvgPool } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { modelForward, modelForwardAll } from '../cpu/forward.ts';
import { modelBackward } from '../cpu/backward.ts';
import { softmaxCrossEntropy } from '../cpu/loss.ts';
import { sgdStep } from '../cpu/optim.ts';
import { int8ModelForward } from '../cpu/quantized.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import { gatherFloatBatch, gatherLabels } from '../data/dataset.ts';
import { loadDataset } from '../data/node-loader.ts';
import { createRunner } from '../engine/runner.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { createInt8Executor } from './executor-i8.ts';
import type { GemmVariant } from './plan.ts';
import { planModel } from './plan.ts';
import { planInt8 } from './plan-i8.ts';
import type { Conv2dI8Params } from './kernels/conv2d-i8.ts';
import { DEFAULT_I8_TILING } from './kernels/conv2d-i8.ts';
import { DOT_VARIANTS } from './kernels/int8-common.ts';
import { trainModel } from './trainer.ts';
import { KERNELS } from './registry.ts';
import type { DepthwiseConv2dParams } from './kernels/depthwise-conv2d.ts';
import { kmeans } from '../compress/kmeans.ts';
import { expectNear, modelOf, randomInput } from './test-helpers.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await acquireGpu();
});
afterAll(() => gpu?.device.destroy());

const pads = (top: number, bottom: number, left: number, right: number) => ({ top, bottom, left, right });
const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Scale a layer's weights so its outputs reach past 6 (relu6's upper clamp is then exercised). */
function scaled(model: Model, layer: string, k: number): Model {
  const w = model.weights[`${layer}.weight`];
  for (let i = 0; i < w.length; i++) w[i] *= k;
  return model;
}

/**
 * First conv on one channel (the int8 SLIDE row-packed path) with asymmetric
 * pads and relu6, depthwise with asymmetric pads and relu6, a conv with
 * asymmetric pads, relu6 and a fused max pool, global average pooling, dense.
 * Input [12, 11, 1].
 */
function slideNet(): Model {
  const layers: Layer[] = [
    { kind: 'conv2d', name: 'c1', filters: 4, kernel: [3, 3], stride: [1, 1], padding: pads(2, 0, 0, 1), bias: true },
    { kind: 'activation', name: 'a1', fn: 'relu6' },
    { kind: 'depthwiseConv2d', name: 'd1', kernel: [3, 3], stride: [2, 2], padding: pads(0, 1, 2, 0), bias: true },
    { kind: 'activation', name: 'a2', fn: 'relu6' },
    { kind: 'conv2d', name: 'c2', filters: 8, kernel: [2, 3], stride: [1, 1], padding: pads(1, 0, 0, 2), bias: true },
    { kind: 'activation', name: 'a3', fn: 'relu6' },
    { kind: 'maxPool2d', name: 'p', window: [2, 2], stride: [2, 2] },
    globalAvgPool('gap', [3, 2, 8]),
    { kind: 'flatten', name: 'f' },
    { kind: 'dense', name: 'fc', units: 10, bias: true },
  ];
  return scaled(modelOf('slide-net', [12, 11, 1], layers, 31), 'c1', 8);
}

/** First conv on three channels (plain conv2d-i8) with asymmetric pads and stride 2, relu6, global average pooling. Input [9, 10, 3]. */
function plainNet(): Model {
  const layers: Layer[] = [
    { kind: 'conv2d', name: 'c1', filters: 6, kernel: [3, 2], stride: [2, 2], padding: pads(1, 2, 1, 0), bias: true },
    { kind: 'activation', name: 'a1', fn: 'relu6' },
    globalAvgPool('gap', [5, 5, 6]),
    { kind: 'flatten', name: 'f' },
    { kind: 'dense', name: 'fc', units: 4, bias: true },
  ];
  return scaled(modelOf('plain-net', [9, 10, 3], layers, 32), 'c1', 10);
}

async function expectFloatParity(model: Model, variant: GemmVariant, batches: number[]): Promise<void> {
  const runner = await createRunner(gpu, model, { maxBatch: Math.max(...batches), executor: { variant } });
  try {
    for (const batch of batches) {
      const x = randomInput(batch * sizeOf(model.architecture.inputShape), 40 + batch);
      expectNear(await runner.logits(x, batch), modelForward(model, x, batch), `${model.architecture.name} ${variant} batch ${batch}`, 1e-3, 1e-3);
    }
  } finally {
    runner.destroy();
  }
}

describe('float: explicit pads, activations and global average pooling, GPU vs CPU', () => {
  for (const variant of ['register', 'tiled'] as GemmVariant[]) {
    it(`slide-net and plain-net (${variant} variant, batch 1 and 19)`, async () => {
      await expectFloatParity(slideNet(), variant, [1, 19]);
      await expectFloatParity(plainNet(), variant, [1, 19]);
    });
  }

  it('relu6 really clamps at 6 in these nets (the CPU reference reaches 6 after c1)', () => {
    const m = slideNet();
    const x = randomInput(8 * 132, 3);
    const acts = modelForwardAll(m, x, 8);
    expect(Math.max(...acts[1])).toBe(6);
    expect(Math.max(...acts[0])).toBeGreaterThan(6);
  });

  it('relu6 after a depthwise conv is fused as its clamp (plain and k-means compressed weights)', async () => {
    const plan = planModel(slideNet(), { variant: 'register', fuse: true });
    const dw = plan.steps.find((s) => s.kernel === 'depthwise-conv2d')!;
    expect(dw.layers).toEqual(['d1', 'a2']);
    expect(KERNELS['depthwise-conv2d'].constants({ ...(dw.params as DepthwiseConv2dParams), batch: 1 }).RELU).toBe(2);
    // d1's outputs reach past 6, so the fused clamp is exercised.
    const m = scaled(slideNet(), 'd1', 6);
    const x = randomInput(8 * 132, 3);
    expect(Math.max(...modelForwardAll(m, x, 8)[2])).toBeGreaterThan(6);
    await expectFloatParity(m, 'register', [1, 19]);
    await expectFloatParity(kmeans(m, { bits: 3 }), 'register', [19]);
  });

  it('every activation fn as its own step, on a spatial tensor and after flatten', async () => {
    const layers: Layer[] = [
      { kind: 'conv2d', name: 'c', filters: 5, kernel: [3, 3], stride: [1, 1], padding: pads(0, 1, 1, 0), bias: true },
      { kind: 'activation', name: 'lr', fn: 'leakyRelu', alpha: 0.2 },
      { kind: 'conv2d', name: 'c2', filters: 6, kernel: [2, 2], stride: [1, 1], padding: 'valid', bias: true },
      { kind: 'activation', name: 'r6', fn: 'relu6' },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc1', units: 11, bias: true },
      { kind: 'activation', name: 'th', fn: 'tanh' },
      { kind: 'dense', name: 'fc2', units: 9, bias: true },
      { kind: 'activation', name: 'sg', fn: 'sigmoid' },
    ];
    const model = scaled(modelOf('acts', [7, 6, 2], layers, 33), 'c', 12);
    const plan = planModel(model, { variant: 'register', fuse: true });
    // Not fused after a conv or dense layer (only after depthwise): each is its own step.
    expect(plan.steps.filter((s) => s.kernel === 'activation').map((s) => s.layers[0])).toEqual(['lr', 'r6', 'th', 'sg']);
    await expectFloatParity(model, 'register', [1, 21]);
  });
});

describe('int8: explicit pads, relu6 and global average pooling, GPU == CPU integer reference (exact)', () => {
  const cases: [string, () => Model, boolean][] = [
    ['slide-net (first conv SLIDE row-packed, depthwise-i8, fused pool, global avg pool)', slideNet, true],
    ['plain-net (first conv on 3 channels, stride 2, global avg pool)', plainNet, false],
  ];
  for (const [what, make, slide] of cases) {
    it(`${what}: both dot forms, the adapter's tiling and the GPU one, batch 1 and 29`, async () => {
      const model = make();
      const size = sizeOf(model.architecture.inputShape);
      const q = quantizeInt8Model(model, { calibration: randomInput(64 * size, 5), batch: 64, method: 'minmax' });
      const first = planInt8(q).steps.find((s) => s.kernel === 'conv2d-i8')!;
      expect((first.params as Conv2dI8Params).slide === true, 'SLIDE path').toBe(slide);
      expect((first.params as Conv2dI8Params).padT).toBeGreaterThan(0);
      // relu6 is the clamp: its op's codes reach no value above 6.
      const c1 = q.ops[0];
      expect(c1.kind === 'conv2d' && c1.relu && (127 - c1.output.zeroPoint) * c1.output.scale).toBeLessThanOrEqual(6 + 1e-9);
      for (const dot of DOT_VARIANTS) {
        for (const tiling of [undefined, DEFAULT_I8_TILING]) {
          const ex = await createInt8Executor(gpu, q, { maxBatch: 29, dot, tiling });
          try {
            for (const batch of [1, 29]) {
              const x = randomInput(batch * size, 70 + batch);
              const ref = int8ModelForward(q, x, batch);
              const tag = `[${dot}, ${tiling ? 'GPU' : 'adapter'} tiling] batch ${batch}`;
              expect(Array.from(await ex.run(x, batch, { readback: 'codes' })), `codes ${tag}`).toEqual(Array.from(ref.tensors[ref.tensors.length - 1]));
              const logits = await ex.run(x, batch);
              expect(Array.from(new Uint32Array(logits.buffer)), `logit bits ${tag}`).toEqual(Array.from(new Uint32Array(ref.logits.buffer)));
            }
          } finally {
            ex.destroy();
          }
        }
      }
    }, 300_000);
  }

  it('lowers sigmoid, tanh and leakyRelu to lookup tables (lut-i8, whose parity lut-i8.test.ts checks)', () => {
    for (const fn of ['sigmoid', 'tanh', 'leakyRelu'] as const) {
      const layers: Layer[] = [
        { kind: 'conv2d', name: 'c', filters: 4, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
        fn === 'leakyRelu' ? { kind: 'activation', name: 'act', fn, alpha: 0.1 } : { kind: 'activation', name: 'act', fn },
        { kind: 'flatten', name: 'f' },
        { kind: 'dense', name: 'fc', units: 3, bias: true },
      ];
      const model = modelOf('tables', [5, 5, 1], layers, 3);
      const q = quantizeInt8Model(model, { calibration: randomInput(4 * 25, 1), batch: 4, method: 'minmax' });
      expect(q.ops.map((o) => o.kind)).toEqual(['conv2d', 'lut', 'dense']);
      expect(planInt8(q).steps.map((s) => `${s.kernel}:${s.layers.join('+')}`)).toEqual([
        'quantize-i8:quantize',
        'conv2d-i8:c',
        'lut-i8:act+f',
        'conv2d-i8:fc',
        'dequantize-i8:dequantize',
      ]);
    }
  });

  it('refuses a relu6 whose tensor was calibrated above 6 (not right after a conv, dense or pool)', () => {
    const layers: Layer[] = [
      { kind: 'conv2d', name: 'c', filters: 4, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
      { kind: 'flatten', name: 'f' },
      { kind: 'activation', name: 'r6', fn: 'relu6' },
      { kind: 'dense', name: 'fc', units: 3, bias: true },
    ];
    const model = scaled(modelOf('late-relu6', [5, 5, 1], layers, 3), 'c', 20);
    expect(() => quantizeInt8Model(model, { calibration: randomInput(8 * 25, 1), batch: 8, method: 'minmax' })).toThrow(
      /layer 'r6' \(activation relu6\) clamps a tensor quantized up to .* > 6/,
    );
  });
});

describe('trainer: explicit pads, every activation and global average pooling', () => {
  it('one SGD step equals the CPU backward (dX through padded convs and each activation)', async () => {
    const layers: Layer[] = [
      { kind: 'conv2d', name: 'c1', filters: 4, kernel: [5, 5], stride: [2, 2], padding: pads(2, 1, 1, 2), bias: true },
      { kind: 'activation', name: 'a1', fn: 'leakyRelu', alpha: 0.1 },
      { kind: 'depthwiseConv2d', name: 'd1', kernel: [3, 3], stride: [1, 1], padding: pads(0, 2, 2, 0), bias: true },
      { kind: 'activation', name: 'a2', fn: 'relu6' },
      { kind: 'conv2d', name: 'c2', filters: 6, kernel: [3, 4], stride: [2, 2], padding: pads(1, 0, 2, 1), bias: true },
      { kind: 'activation', name: 'a3', fn: 'sigmoid' },
      globalAvgPool('gap', [7, 7, 6]),
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc1', units: 12, bias: true },
      { kind: 'activation', name: 'a4', fn: 'tanh' },
      { kind: 'dense', name: 'fc2', units: 10, bias: true },
    ];
    const model = scaled(modelOf('train-net', [28, 28, 1], layers, 9), 'c1', 6);
    const train = await loadDataset('mnist', 'train');
    const batch = 16;
    const r = await trainModel(gpu, model, train, null, { epochs: 1, batch, limit: batch, optimizer: 'sgd', lr: 0.1, momentum: 0 });
    const idx = Uint32Array.from({ length: batch }, (_, i) => i);
    const x = gatherFloatBatch(train, idx);
    const acts = modelForwardAll(model, x, batch);
    expect(Math.max(...acts[1])).toBeGreaterThan(6); // relu6 clamps somewhere
    const { dLogits } = softmaxCrossEntropy(acts[acts.length - 1], batch, 10, { labels: gatherLabels(train, idx) });
    const { grads } = modelBackward(model, x, batch, acts, dLogits);
    for (const [name, w0] of Object.entries(model.weights)) {
      const w = Float32Array.from(w0);
      sgdStep(w, grads[name], new Float32Array(w.length), { lr: 0.1, momentum: 0, weightDecay: 0 });
      expectNear(r.model.weights[name], w, name, 1e-5, 1e-4);
    }
  }, 300_000);
});

describe('padded pooling (explicit pads, countIncludePad): float, int8 and trainer', () => {
  /** Max pool with pads on signed values (right after a conv: fusion refused), average pools with and without the pads in the count. Input [9, 8, 3]. */
  function poolNet(): Model {
    const layers: Layer[] = [
      { kind: 'conv2d', name: 'c1', filters: 6, kernel: [3, 3], stride: [1, 1], padding: 'same', bias: true },
      { kind: 'maxPool2d', name: 'mp', window: [3, 3], stride: [2, 2], padding: pads(1, 1, 1, 0) },
      { kind: 'depthwiseConv2d', name: 'd1', kernel: [3, 3], stride: [1, 1], padding: 'same', bias: true },
      { kind: 'avgPool2d', name: 'ap1', window: [2, 2], stride: [2, 2], padding: pads(1, 0, 0, 1), countIncludePad: true },
      { kind: 'relu', name: 'r' },
      { kind: 'conv2d', name: 'c2', filters: 4, kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
      { kind: 'avgPool2d', name: 'ap2', window: [3, 2], stride: [1, 1], padding: pads(1, 1, 0, 1), countIncludePad: false },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 10, bias: true },
    ];
    return modelOf('pool-net', [9, 8, 3], layers, 34);
  }

  it('float: standalone pool2d steps with pads (never fused), register and tiled, batch 1 and 19', async () => {
    const plan = planModel(poolNet(), { variant: 'register', fuse: true });
    expect(plan.steps.filter((s) => s.kernel === 'pool2d').map((s) => s.layers[0])).toEqual(['mp', 'ap1', 'ap2']);
    await expectFloatParity(poolNet(), 'register', [1, 19]);
    await expectFloatParity(poolNet(), 'tiled', [1, 19]);
  });

  it('int8: pool2d-i8 with pads bit-exact, both dot forms, batch 1 and 23', async () => {
    const model = poolNet();
    const size = sizeOf(model.architecture.inputShape);
    const q = quantizeInt8Model(model, { calibration: randomInput(64 * size, 6), batch: 64, method: 'minmax' });
    const pools = planInt8(q).steps.filter((s) => s.kernel === 'pool2d-i8');
    expect(pools.map((s) => s.layers[0])).toEqual(['mp', 'ap1', 'ap2']);
    for (const dot of DOT_VARIANTS) {
      const ex = await createInt8Executor(gpu, q, { maxBatch: 23, dot });
      try {
        for (const batch of [1, 23]) {
          const x = randomInput(batch * size, 80 + batch);
          const ref = int8ModelForward(q, x, batch);
          expect(Array.from(await ex.run(x, batch, { readback: 'codes' })), `codes [${dot}] batch ${batch}`).toEqual(
            Array.from(ref.tensors[ref.tensors.length - 1]),
          );
        }
      } finally {
        ex.destroy();
      }
    }
  }, 300_000);

  it('trainer: one SGD step equals the CPU backward through padded max and average pools', async () => {
    const layers: Layer[] = [
      { kind: 'conv2d', name: 'c1', filters: 4, kernel: [5, 5], stride: [2, 2], padding: 'valid', bias: true },
      { kind: 'maxPool2d', name: 'mp', window: [3, 3], stride: [2, 2], padding: pads(1, 1, 1, 0) },
      { kind: 'conv2d', name: 'c2', filters: 6, kernel: [3, 3], stride: [1, 1], padding: 'same', bias: true },
      { kind: 'avgPool2d', name: 'ap1', window: [2, 2], stride: [2, 2], padding: pads(1, 0, 0, 1), countIncludePad: true },
      { kind: 'avgPool2d', name: 'ap2', window: [3, 3], stride: [1, 1], padding: pads(1, 1, 1, 1), countIncludePad: false },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 10, bias: true },
    ];
    const model = modelOf('pool-train', [28, 28, 1], layers, 10);
    const train = await loadDataset('mnist', 'train');
    const batch = 16;
    const r = await trainModel(gpu, model, train, null, { epochs: 1, batch, limit: batch, optimizer: 'sgd', lr: 0.1, momentum: 0 });
    const idx = Uint32Array.from({ length: batch }, (_, i) => i);
    const x = gatherFloatBatch(train, idx);
    const acts = modelForwardAll(model, x, batch);
    const { dLogits } = softmaxCrossEntropy(acts[acts.length - 1], batch, 10, { labels: gatherLabels(train, idx) });
    const { grads } = modelBackward(model, x, batch, acts, dLogits);
    for (const [name, w0] of Object.entries(model.weights)) {
      const w = Float32Array.from(w0);
      sgdStep(w, grads[name], new Float32Array(w.length), { lr: 0.1, momentum: 0, weightDecay: 0 });
      expectNear(r.model.weights[name], w, name, 1e-5, 1e-4);
    }
  }, 300_000);
});
