/**
 * The GPU trainer end to end on real MNIST (SwiftShader under Node; no skips):
 * one step against the CPU reference, loss going down, bit-identical reruns,
 * masks, frozen layers, cancellation, and the QAT / distillation / hint hooks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../data/dataset.ts';
import { gatherFloatBatch, gatherLabels } from '../data/dataset.ts';
import { loadDataset } from '../data/node-loader.ts';
import { architecture } from '../model/architectures.ts';
import type { Model } from '../model/model.ts';
import { initModel } from '../model/model.ts';
import { modelForwardAll } from '../cpu/forward.ts';
import { modelBackward } from '../cpu/backward.ts';
import { softmaxCrossEntropy } from '../cpu/loss.ts';
import { sgdStep } from '../cpu/optim.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { evaluateModel, trainModel } from './trainer.ts';
import type { TrainProfile } from './trainer.ts';
import { expectNear } from './test-helpers.ts';
import { fineTuneCpu } from '../compress/cpu-trainer.ts';

let gpu: Gpu;
let train: Dataset;
let test: Dataset;
beforeAll(async () => {
  gpu = await acquireGpu();
  train = await loadDataset('mnist', 'train');
  test = await loadDataset('mnist', 'test');
});
afterAll(() => gpu?.device.destroy());

const bits = (m: Model): Record<string, number[]> =>
  Object.fromEntries(Object.entries(m.weights).map(([k, v]) => [k, Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length))]));

describe('GPU trainer', () => {
  it('one SGD step equals the CPU reference (forward, loss, backward, update)', async () => {
    const model = initModel(architecture('article-net'), 3);
    const batch = 16;
    const r = await trainModel(gpu, model, train, null, { epochs: 1, batch, limit: batch, optimizer: 'sgd', lr: 0.1, momentum: 0 });
    // The one batch is the first 16 examples (in some order; the gradient is a sum over them).
    const idx = Uint32Array.from({ length: batch }, (_, i) => i);
    const x = gatherFloatBatch(train, idx);
    const labels = gatherLabels(train, idx);
    const acts = modelForwardAll(model, x, batch);
    const { dLogits } = softmaxCrossEntropy(acts[acts.length - 1], batch, 10, { labels });
    const { grads } = modelBackward(model, x, batch, acts, dLogits);
    for (const [name, w0] of Object.entries(model.weights)) {
      const w = Float32Array.from(w0);
      sgdStep(w, grads[name], new Float32Array(w.length), { lr: 0.1, momentum: 0, weightDecay: 0 });
      expectNear(r.model.weights[name], w, name, 1e-5, 1e-4);
    }
  });

  it('one SGD step equals the CPU reference with depthwise channel multipliers 3 and 2', async () => {
    const model = initModel(
      {
        name: 'dw-multiplier',
        inputShape: [28, 28, 1],
        layers: [
          { kind: 'depthwiseConv2d', name: 'dw1', kernel: [5, 5], stride: [2, 2], padding: 'valid', bias: true, multiplier: 3 },
          { kind: 'relu', name: 'r1' },
          { kind: 'depthwiseConv2d', name: 'dw2', kernel: [3, 3], stride: [2, 2], padding: 'same', bias: true, multiplier: 2 },
          { kind: 'flatten', name: 'f' },
          { kind: 'dense', name: 'fc', units: 10, bias: true },
        ],
      },
      5,
    );
    const batch = 8;
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

  it('article-net, 2 epochs on 1,024 images: the loss decreases, and a rerun with the same seed is bit-identical', async () => {
    const opts = { epochs: 2, seed: 5, limit: 1024, evalLimit: 500, batch: 64 };
    const a = await trainModel(gpu, initModel(architecture('article-net'), 5), train, test, opts);
    expect(a.epochs).toHaveLength(2);
    expect(a.epochs[1].trainLoss).toBeLessThan(a.epochs[0].trainLoss);
    expect(a.epochs[1].testAccuracy!).toBeGreaterThan(0.5);
    expect(a.epochs[1].testCount).toBe(500);
    const b = await trainModel(gpu, initModel(architecture('article-net'), 5), train, test, opts);
    expect(b.epochs.map((e) => e.trainLoss)).toEqual(a.epochs.map((e) => e.trainLoss));
    expect(bits(b.model)).toEqual(bits(a.model));
    // The standalone evaluator agrees with the trainer's end-of-epoch evaluation.
    const ev = await evaluateModel(gpu, a.model, test, { limit: 500 });
    expect(ev.count).toBe(500);
    expect(Math.abs(ev.errors - a.epochs[1].testErrors!)).toBeLessThanOrEqual(2);
  });

  it('masks keep pruned weights exactly zero; frozen layers stay unchanged', async () => {
    const model = initModel(architecture('article-net'), 2);
    const masks: Record<string, Float32Array> = {};
    for (const name of ['conv2.weight', 'fc1.weight']) masks[name] = Float32Array.from(model.weights[name], (_, i) => (i % 3 === 0 ? 0 : 1));
    const r = await trainModel(gpu, model, train, null, { epochs: 1, limit: 256, masks, freeze: ['conv1'] });
    for (const [name, m] of Object.entries(masks)) {
      const w = r.model.weights[name];
      let changed = 0;
      for (let i = 0; i < w.length; i++) {
        if (m[i] === 0) expect(Object.is(w[i], 0), `${name}[${i}]`).toBe(true);
        else if (w[i] !== model.weights[name][i]) changed++;
      }
      expect(changed, `${name}: unmasked weights train`).toBeGreaterThan(0);
    }
    expect(bits({ ...r.model, weights: { a: r.model.weights['conv1.weight'], b: r.model.weights['conv1.bias'] } })).toEqual(
      bits({ ...model, weights: { a: model.weights['conv1.weight'], b: model.weights['conv1.bias'] } }),
    );
    expect(Array.from(r.model.weights['fc2.weight'])).not.toEqual(Array.from(model.weights['fc2.weight']));
  });

  it('cancellation stops a run promptly with an AbortError', async () => {
    const ac = new AbortController();
    let abortedAt = 0;
    const run = trainModel(gpu, initModel(architecture('article-net'), 1), train, test, {
      epochs: 5,
      stepsPerSubmit: 2,
      onProgress: () => {
        if (!abortedAt) {
          abortedAt = performance.now();
          ac.abort();
        }
      },
      signal: ac.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - abortedAt).toBeLessThan(5000);
  });
});

describe('GPU trainer: QAT, distillation, shared values, profile mode, bad options', () => {
  it('quantization-aware training, distillation and a hint loss run and keep the loss finite', async () => {
    const teacher = initModel(architecture('article-net'), 9);
    const r = await trainModel(gpu, initModel(architecture('article-net'), 4), train, null, {
      epochs: 1,
      limit: 256,
      fakeQuant: { bits: 4, perChannel: true },
      distill: { teacher, temperature: 4, alpha: 0.5, hint: { layer: 'pool2', teacherLayer: 'pool2', weight: 0.1 } },
    });
    expect(Number.isFinite(r.epochs[0].trainLoss)).toBe(true);
    // The master weights stay full precision: far more distinct values than 2·7 + 1 levels per channel.
    expect(new Set(r.model.weights['fc1.weight'].subarray(0, 245)).size).toBeGreaterThan(15);
  });

  it('shared values (codebook with a pruned zero value, and a hashed table shared by two layers) step like the CPU fine-tuner (summed gradients, Deep Compression eq. 3)', async () => {
    const model = initModel(architecture('article-net'), 6);
    const rnd = (i: number): number => ((Math.imul(i + 1, 2654435761) >>> 0) % 1000) / 1000;
    // fc1: a 9-value codebook, value 0 fixed at 0 for the pruned weights (every 5th).
    const w1 = model.weights['fc1.weight'];
    const k1 = 9;
    // Irregular values: a symmetric table makes exact cancellations, and ReLU at exactly 0 differs by rounding between CPU and GPU.
    const table1 = Float32Array.of(0, -0.131, -0.077, -0.029, 0.013, 0.041, 0.083, 0.127, 0.173);
    const a1 = new Int32Array(w1.length);
    const mask1 = new Uint8Array(w1.length);
    for (let i = 0; i < w1.length; i++) {
      mask1[i] = i % 5 === 0 ? 0 : 1;
      a1[i] = mask1[i] ? 1 + Math.floor(rnd(i) * (k1 - 1)) : 0;
      w1[i] = table1[a1[i]];
    }
    // conv1 and conv2 share one 7-value hashed table.
    const k2 = 7;
    const table2 = Float32Array.of(-0.307, -0.171, -0.053, 0.023, 0.113, 0.229, 0.371);
    const centroids: Record<string, { assignments: Int32Array; k: number; group?: string }> = { 'fc1.weight': { assignments: a1, k: k1 } };
    for (const n of ['conv1.weight', 'conv2.weight']) {
      const w = model.weights[n];
      const a = Int32Array.from(w, (_, i) => Math.floor(rnd(i + 77) * k2));
      for (let i = 0; i < w.length; i++) w[i] = table2[a[i]];
      centroids[n] = { assignments: a, k: k2, group: 'hashed' };
    }
    const batch = 16;
    const lr = 0.05;
    const gpuOut = await trainModel(gpu, model, train, null, {
      epochs: 1,
      batch,
      limit: batch,
      optimizer: 'sgd',
      lr,
      momentum: 0.9,
      masks: { 'fc1.weight': mask1 },
      shared: centroids,
    });
    // The CPU fine-tuner's first SGD step with momentum 0.9 is a plain step (velocity starts at 0).
    const cpuOut = fineTuneCpu(model, train, { epochs: 1, lr, batch, limit: batch, seed: 1, masks: { 'fc1.weight': mask1 }, centroids });
    // A value's gradient sums ~40–2,000 per-weight f32 gradients: the tolerance scales with it.
    for (const name of Object.keys(model.weights)) expectNear(gpuOut.model.weights[name], cpuOut.weights[name], name, 1e-4, 1e-3);
    // ...and the step is far larger than that tolerance: the shared values really moved.
    const moved = gpuOut.model.weights['conv1.weight'].reduce((m, v, i) => Math.max(m, Math.abs(v - model.weights['conv1.weight'][i])), 0);
    expect(moved).toBeGreaterThan(1e-3);
    // Still on the tables: at most k distinct values, pruned weights exactly 0, conv1 and conv2 read the same table.
    expect(new Set(gpuOut.model.weights['fc1.weight']).size).toBeLessThanOrEqual(k1);
    expect(gpuOut.model.weights['fc1.weight'].every((v, i) => mask1[i] || v === 0)).toBe(true);
    const v1 = new Map<number, number>();
    for (const n of ['conv1.weight', 'conv2.weight']) gpuOut.model.weights[n].forEach((v, i) => v1.set(centroids[n].assignments[i], v));
    expect(gpuOut.model.weights['conv2.weight'].every((v, i) => v1.get(centroids['conv2.weight'].assignments[i]) === v)).toBe(true);
    expect(new Set(gpuOut.model.weights['conv1.weight']).size).toBeGreaterThan(1);
  });

  it('ternary and binary QAT: the forward pass sees TWN / BWN weights (the loss matches the CPU on the projected weights), the masters stay float', async () => {
    const { ternarize, binarize } = await import('../compress/quantize.ts');
    const { weightShapes } = await import('../model/shapes.ts');
    for (const mode of ['ternary', 'binary'] as const) {
      const model = initModel(architecture('article-net'), 8);
      const batch = 32;
      const r = await trainModel(gpu, model, train, null, {
        epochs: 1,
        batch,
        limit: batch,
        optimizer: 'sgd',
        lr: 0,
        fakeQuant: { mode, bits: 2, perChannel: true },
      });
      const shapes = weightShapes(model.architecture);
      const projected = { ...model, weights: { ...model.weights } };
      for (const n of Object.keys(shapes))
        if (n.endsWith('.weight')) projected.weights[n] = (mode === 'ternary' ? ternarize : binarize)(model.weights[n], shapes[n], 0);
      const idx = Uint32Array.from({ length: batch }, (_, i) => i);
      const acts = modelForwardAll(projected, gatherFloatBatch(train, idx), batch);
      const { loss } = softmaxCrossEntropy(acts[acts.length - 1], batch, 10, { labels: gatherLabels(train, idx) });
      expect(r.epochs[0].trainLoss).toBeCloseTo(loss, 4);
      expect(new Set(r.model.weights['fc1.weight']).size).toBeGreaterThan(3);
    }
  });

  it('profile mode times every dispatch without training: Adam after a profile gives the same weights and a finite loss', async () => {
    const opts = { epochs: 1, batch: 16, limit: 64, optimizer: 'adam' as const, seed: 2 };
    const plain = await trainModel(gpu, initModel(architecture('article-net'), 2), train, null, opts);
    let prof: TrainProfile | undefined;
    const profiled = await trainModel(gpu, initModel(architecture('article-net'), 2), train, null, {
      ...opts,
      profile: (p) => (prof = p),
    });
    expect(prof!.dispatches.length).toBeGreaterThan(10);
    // GPU time per dispatch from timestamp queries exactly when the device has them; bytes bound and the step's wall and encode times.
    expect(prof!.method).toBe(gpu.device.features.has('timestamp-query') ? 'timestamp' : 'wall');
    for (const d of prof!.dispatches) {
      expect(d.bytes, d.label).toBeGreaterThan(0);
      expect(d.ms, d.label).toBeGreaterThan(0);
      if (prof!.method === 'timestamp') expect(d.gpuMs, d.label).toBeGreaterThanOrEqual(0);
    }
    expect(prof!.stepMs).toBeGreaterThan(0);
    expect(prof!.encodeMs).toBeGreaterThan(0);
    expect(prof!.encodeMs).toBeLessThan(prof!.stepMs);
    expect(Number.isFinite(profiled.epochs[0].trainLoss)).toBe(true);
    expect(profiled.epochs[0].trainLoss).toBeCloseTo(plain.epochs[0].trainLoss, 5);
    for (const n of Object.keys(plain.model.weights)) expectNear(profiled.model.weights[n], plain.model.weights[n], n, 1e-6, 1e-5);
  });

  it('rejects bad options with messages that name the culprit', async () => {
    const m = initModel(architecture('article-net'), 1);
    await expect(trainModel(gpu, m, train, null, { epochs: 1, freeze: ['nope'] })).rejects.toThrow(/cannot freeze 'nope'/);
    await expect(trainModel(gpu, m, train, null, { epochs: 1, masks: { 'fc1.weight': new Float32Array(3) } })).rejects.toThrow(
      /mask for 'fc1.weight' has 3 values/,
    );
  });
});
