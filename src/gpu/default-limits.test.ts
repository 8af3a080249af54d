/**
 * The engine on a device created with exactly WebGPU's default limits
 * (`acquireGpu({ limits: 'default' })`: 8 storage buffers per stage, 16 KiB
 * workgroup memory, 256 invocations, 128 MiB per storage binding) — what every
 * phone and laptop guarantees. Representative GPU-vs-CPU parity for every
 * kernel family through the public entry points: float conv2d / dense
 * (both GEMM variants, explicit pads) / depthwise / pool / relu / activation / softmax, compressed
 * weights (codebook, hashed), sparse dense layers, the int8 executor
 * bit-exact for both dot forms, a trainer step, and batches chunked by the
 * 128 MiB binding limit. Real GPU (SwiftShader under Node); no skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Layer } from '../model/layers.ts';
import { architecture } from '../model/architectures.ts';
import { initModel } from '../model/model.ts';
import type { Model } from '../model/model.ts';
import { modelForward, modelForwardAll } from '../cpu/forward.ts';
import { modelBackward } from '../cpu/backward.ts';
import { softmaxCrossEntropy } from '../cpu/loss.ts';
import { sgdStep } from '../cpu/optim.ts';
import { int8ModelForward } from '../cpu/quantized.ts';
import { kmeans } from '../compress/kmeans.ts';
import { hashWeights } from '../compress/hashing.ts';
import { prune } from '../compress/prune.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import { gatherFloatBatch, gatherLabels } from '../data/dataset.ts';
import { loadDataset } from '../data/node-loader.ts';
import { createRunner } from '../engine/runner.ts';
import type { Gpu } from './device.ts';
import { acquireGpu, WEBGPU_DEFAULT_LIMITS } from './device.ts';
import { createInt8Executor } from './executor-i8.ts';
import type { ExecutorOptions } from './executor.ts';
import { DOT_VARIANTS } from './kernels/int8-common.ts';
import { DEFAULT_I8_TILING } from './kernels/conv2d-i8.ts';
import { planModel, stepLabel } from './plan.ts';
import { sharedPipelineCache } from './pipelines.ts';
import { KERNELS } from './registry.ts';
import { trainModel } from './trainer.ts';
import { EVERY_OP_INPUT, EVERY_OP_LAYERS, expectNear, expectSameClasses, KERNEL_CASES, modelOf, randomInput } from './test-helpers.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await acquireGpu({ limits: 'default' });
});
afterAll(() => gpu?.device.destroy());

const sizeOf = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** A float runner's logits equal the CPU reference (and its classes agree) at each batch; `labels` must be among the plan's step labels. */
async function expectFloatParity(
  model: Model,
  batches: number[],
  executor: ExecutorOptions = {},
  what = model.architecture.name,
  labels: string[] = [],
): Promise<void> {
  const plan = planModel(model, {
    variant: executor.variant ?? 'register',
    fuse: true,
    weights: executor.weights ?? 'compressed',
    sparse: executor.sparse ?? 'auto',
  });
  const ran = plan.steps.flatMap((s) => (s.alternative ? [s, s.alternative] : [s])).map(stepLabel);
  for (const l of labels) expect(ran, `${what}: plan steps`).toContain(l);
  const runner = await createRunner(gpu, model, { maxBatch: Math.max(...batches), executor });
  try {
    for (const batch of batches) {
      const x = randomInput(batch * sizeOf(model.architecture.inputShape), 100 + batch);
      const want = modelForward(model, x, batch);
      expectNear(await runner.logits(x, batch), want, `${what} batch ${batch}`, 1e-3, 1e-3);
      const classes = want.length / batch;
      if (classes > 1) expectSameClasses(await runner.classify(x, batch), want, classes, `${what} classes batch ${batch}`);
    }
  } finally {
    runner.destroy();
  }
}

it("the device has exactly WebGPU's default limits", () => {
  expect(gpu.report.limitsMode).toBe('default');
  const got = Object.fromEntries(Object.keys(WEBGPU_DEFAULT_LIMITS).map((k) => [k, gpu.device.limits[k as keyof GPUSupportedLimits]]));
  expect(got).toEqual(WEBGPU_DEFAULT_LIMITS);
});

it('a variant past the limits is refused by name before WebGPU sees it (a 128×128×32 dense tile)', async () => {
  const dense = KERNELS.dense;
  const constants = dense.constants({ batch: 1, rowsPerImage: 1, k: 8, n: 8, relu: false, tile: { m: 128, n: 128, k: 32 } });
  await expect(sharedPipelineCache(gpu.device).get(dense, constants)).rejects.toThrow(
    /dense\[.*maxComputeInvocationsPerWorkgroup 256 < 1024.*maxComputeWorkgroupStorageSize 16384 < 32768/,
  );
});

describe('float kernels on default limits vs the CPU reference', () => {
  const picked = [
    'vec4 path c=8',
    'max pool 1×2',
    '3×3/2 pool cannot fuse',
    'pointwise 1×1',
    '3×3 same stride 2, c=6',
    '37 → 13',
    'dense 10 → softmax',
    'explicit pads t0 b2 l2 r1',
    'sigmoid and tanh',
  ];
  const cases = KERNEL_CASES.filter((c) => picked.some((p) => c.what.startsWith(p)));
  it('picks one case per kernel family', () => expect(cases.length).toBe(picked.length));
  for (const c of cases) {
    it(`${c.kernel}: ${c.what} (register variant, batch 1 and 33)`, async () => {
      await expectFloatParity(modelOf(c.kernel, c.input, c.layers), [1, 33], { variant: 'register' }, c.kernel);
    });
  }
  it('the tiled variant (16×16 threads, 8 KiB of workgroup tiles): dense 37 → 13 → 10 and pointwise', async () => {
    for (const c of cases.filter((k) => k.kernel.includes('dense')))
      await expectFloatParity(modelOf(c.kernel, c.input, c.layers), [33], { variant: 'tiled' }, `${c.kernel} tiled`, ['dense']);
  });
});

describe('compressed and sparse weights on default limits', () => {
  const base = (): Model => modelOf('every-op', EVERY_OP_INPUT, EVERY_OP_LAYERS, 21);
  it('k-means 3-bit (conv2d:codebook, depthwise codebook) and hashed 1/4 (conv2d:hashed)', async () => {
    await expectFloatParity(kmeans(base(), { bits: 3 }), [1, 33], { weights: 'compressed' }, 'k-means', ['conv2d:codebook', 'depthwise-conv2d:codebook']);
    await expectFloatParity(hashWeights(base(), { ratio: 4, scope: 'layer' }), [33], { weights: 'compressed' }, 'hashed', [
      'conv2d:hashed',
      'depthwise-conv2d:hashed',
    ]);
  });
  it("pruned 80 %, dense layers through dense-sparse ('always') and its codebook form", async () => {
    const pruned = prune(base(), { sparsity: 0.8 });
    await expectFloatParity(pruned, [1, 33], { sparse: 'always' }, 'sparse', ['dense-sparse']);
    await expectFloatParity(kmeans(pruned, { bits: 3 }), [33], { sparse: 'always', weights: 'compressed' }, 'sparse codebook', ['dense-sparse:codebook']);
  });
});

describe('int8 executor on default limits: GPU == CPU integer reference, bit-exact', () => {
  it("a net with every op kind, both dot forms, the adapter's tiling and the GPU one, batch 1 and 37", async () => {
    const model = modelOf('every-op', EVERY_OP_INPUT, EVERY_OP_LAYERS, 21);
    const size = sizeOf(EVERY_OP_INPUT);
    const q = quantizeInt8Model(model, { calibration: randomInput(64 * size, 5), batch: 64, method: 'minmax' });
    for (const [dot, tiling] of DOT_VARIANTS.flatMap(
      (d) =>
        [
          [d, undefined],
          [d, DEFAULT_I8_TILING],
        ] as const,
    )) {
      const ex = await createInt8Executor(gpu, q, { maxBatch: 37, dot, tiling });
      try {
        for (const batch of [1, 37]) {
          const x = randomInput(batch * size, 7 + batch);
          const ref = int8ModelForward(q, x, batch);
          const codes = await ex.run(x, batch, { readback: 'codes' });
          expect(Array.from(codes), `codes [${dot}, ${tiling ? 'GPU' : 'adapter'} tiling] batch ${batch}`).toEqual(
            Array.from(ref.tensors[ref.tensors.length - 1]),
          );
          const logits = await ex.run(x, batch);
          expect(Array.from(new Uint32Array(logits.buffer)), `logit bits [${dot}, ${tiling ? 'GPU' : 'adapter'} tiling] batch ${batch}`).toEqual(
            Array.from(new Uint32Array(ref.logits.buffer)),
          );
        }
      } finally {
        ex.destroy();
      }
    }
  });
});

describe('trainer on default limits', () => {
  it('one SGD step of article-net (conv, pool, dense forward and backward) equals the CPU reference', async () => {
    const train = await loadDataset('mnist', 'train');
    const model = initModel(architecture('article-net'), 3);
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
  });
});

describe('batches chunked by the 128 MiB storage binding', () => {
  it('the trainer refuses, by name, a batch whose activations exceed one binding', async () => {
    const train = await loadDataset('mnist', 'train');
    const model = initModel(architecture('article-net'), 3);
    const perImage = Math.max(...planModel(model, { variant: 'register', fuse: false }).tensorSizes) * 4;
    const batch = Math.ceil(WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize / perImage) + 1;
    await expect(trainModel(gpu, model, train, null, { epochs: 1, batch, limit: batch })).rejects.toThrow(
      /over this device's 134217728-byte storage binding limit; use a smaller batch/,
    );
  });

  it('2 MiB per image: the runner chunks at 64 images, and 65 images (two chunks) match the CPU', async () => {
    const layers: Layer[] = [
      { kind: 'relu', name: 'r' },
      { kind: 'flatten', name: 'f' },
      { kind: 'dense', name: 'fc', units: 10, bias: true },
    ];
    const model = modelOf('wide', [128, 128, 32], layers, 4);
    const runner = await createRunner(gpu, model, { maxBatch: 256 });
    try {
      expect(runner.chunk).toBe(WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize / (128 * 128 * 32 * 4));
      const x = randomInput(65 * 128 * 128 * 32, 8);
      expectNear(await runner.logits(x, 65), modelForward(model, x, 65), 'wide, 65 images', 2e-3, 1e-3);
    } finally {
      runner.destroy();
    }
  });
});
