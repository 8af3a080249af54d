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
import { expectNear } from './test-helpers.ts';

let gpu: Gpu;
let train: Dataset;
let test: Dataset;
beforeAll(async () => {
  gpu = await acquireGpu();
  train = await loadDataset('mnist', 'train');
  test = await loadDataset('mnist', 'test');
});
afterAll(() => gpu?.device.destroy());

const bits = (m: Model): Record<string, number[]> => Object.fromEntries(Object.entries(m.weights).map(([k, v]) => [k, Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length))]));

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

  it('rejects bad options with messages that name the culprit', async () => {
    const m = initModel(architecture('article-net'), 1);
    await expect(trainModel(gpu, m, train, null, { epochs: 1, freeze: ['nope'] })).rejects.toThrow(/cannot freeze 'nope'/);
    await expect(trainModel(gpu, m, train, null, { epochs: 1, masks: { 'fc1.weight': new Float32Array(3) } })).rejects.toThrow(/mask for 'fc1.weight' has 3 values/);
  });
});
