/**
 * Training curves from real GPU runs (SwiftShader under Node, seeded, tiny):
 * the points a run emits carry the losses and accuracies the trainer
 * returns, the chunk losses agree with the CPU reference, reading them back
 * does not change training, and a pipeline's runs continue one step axis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../data/dataset.ts';
import { gatherFloatBatch, gatherLabels } from '../data/dataset.ts';
import { loadDataset } from '../data/node-loader.ts';
import { architecture } from '../model/architectures.ts';
import { initModel } from '../model/model.ts';
import { modelForwardAll } from '../cpu/forward.ts';
import { softmaxCrossEntropy } from '../cpu/loss.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireGpu } from '../gpu/device.ts';
import { runPipeline } from '../compress/pipeline.ts';
import { train as trainOnGpu } from './train.ts';
import { gpuFineTuner } from './finetune.ts';
import type { CurvePoint, TrainingCurve } from './curves.ts';
import { addCurvePoint, CurveRecorder } from './curves.ts';

let gpu: Gpu;
let trainSet: Dataset;
let testSet: Dataset;
beforeAll(async () => {
  gpu = await acquireGpu();
  trainSet = await loadDataset('mnist', 'train');
  testSet = await loadDataset('mnist', 'test');
});
afterAll(() => gpu?.device.destroy());

const bits = (w: Float32Array): number[] => Array.from(new Uint32Array(w.buffer, w.byteOffset, w.length));

describe('training curves', () => {
  it('a short run emits a point per chunk and per epoch, in order, with the losses and accuracies the trainer returns; reading them changes nothing', async () => {
    const model = initModel(architecture('lenet-300-100'), 1);
    // 1,024 images, batch 64: 16 steps per epoch in chunks of 4.
    const base = { epochs: 2, batch: 64, limit: 1024, evalLimit: 500, seed: 3, stepsPerSubmit: 4, schedule: { kind: 'cosine' as const, minLr: 0 } };
    const points: CurvePoint[] = [];
    const rec = new CurveRecorder((p) => points.push(p));
    const r = await trainOnGpu(gpu, model, trainSet, testSet, rec.track('Training', 64, { ...base }));

    expect(rec.curves).toHaveLength(1);
    const c = rec.curves[0];
    expect(c).toMatchObject({ label: 'Training', batch: 64, stepsPerEpoch: 16 });
    expect(c.steps.map((s) => s.step)).toEqual([4, 8, 12, 16, 20, 24, 28, 32]);
    expect(c.steps.map((s) => s.epoch)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(c.epochs.map((e) => [e.epoch, e.step])).toEqual([
      [1, 16],
      [2, 32],
    ]);
    // Each epoch point is the trainer's own report; the chunk points average to it (equal chunks: a plain mean).
    r.epochs.forEach((rep, i) => {
      const e = c.epochs[i];
      expect(e.trainLoss).toBe(rep.trainLoss);
      expect(e.testAccuracy).toBe(rep.testAccuracy);
      expect(e.testCount).toBe(500);
      const chunks = c.steps.filter((s) => s.epoch === rep.epoch).map((s) => s.loss);
      const mean = chunks.reduce((a, b) => a + b, 0) / chunks.length;
      expect(Math.abs(mean - rep.trainLoss) / rep.trainLoss).toBeLessThan(1e-5);
    });
    // Adam from a random init learns: the last chunk's loss is well below the first's, and the cosine schedule shows in lr.
    expect(c.steps[7].loss).toBeLessThan(c.steps[0].loss * 0.7);
    expect(c.steps[0].lr).toBeCloseTo(1e-3, 8);
    for (let i = 1; i < c.steps.length; i++) expect(c.steps[i].lr).toBeLessThan(c.steps[i - 1].lr);
    // The points as they arrived rebuild the same curves (what the UI does live).
    const rebuilt: TrainingCurve[] = [];
    for (const p of points) addCurvePoint(rebuilt, structuredClone(p));
    expect(rebuilt).toEqual(rec.curves);
    expect(points.map((p) => p.kind)).toEqual(['step', 'step', 'step', 'step', 'epoch', 'step', 'step', 'step', 'step', 'epoch']);

    // The readbacks only observe: the same run without them gives bit-identical weights.
    const plain = await trainOnGpu(gpu, model, trainSet, testSet, { ...base });
    for (const [name, w] of Object.entries(plain.model.weights)) expect(bits(r.model.weights[name]), name).toEqual(bits(w));
    expect(plain.epochs.map((e) => e.trainLoss)).toEqual(r.epochs.map((e) => e.trainLoss));
  });

  it('at lr 0 every chunk loss is the CPU reference loss of that batch (the chunks together: the mean over every image)', async () => {
    const model = initModel(architecture('lenet-300-100'), 5);
    const n = 128;
    const rec = new CurveRecorder();
    await trainOnGpu(
      gpu,
      model,
      trainSet,
      null,
      rec.track('Training', 32, { epochs: 1, batch: 32, limit: n, optimizer: 'sgd', lr: 0, momentum: 0, stepsPerSubmit: 1 }),
    );
    const idx = Uint32Array.from({ length: n }, (_, i) => i);
    const acts = modelForwardAll(model, gatherFloatBatch(trainSet, idx), n);
    const { loss } = softmaxCrossEntropy(acts[acts.length - 1], n, 10, { labels: gatherLabels(trainSet, idx) });
    const chunks = rec.curves[0].steps;
    expect(chunks).toHaveLength(4);
    const mean = chunks.reduce((a, s) => a + s.loss, 0) / 4;
    expect(mean).toBeCloseTo(loss, 4);
    // Four different batches of an untrained net: not one number repeated.
    expect(new Set(chunks.map((s) => s.loss)).size).toBeGreaterThan(1);
  });

  it('a pipeline with two training steps records two runs on one step axis, each epoch with its test accuracy', async () => {
    const rec = new CurveRecorder();
    const tuner = gpuFineTuner(gpu, trainSet, { curves: rec, test: testSet, evalLimit: 300 });
    await runPipeline(
      initModel(architecture('lenet-300-100'), 2),
      'prune:sparsity=0.5 | finetune:limit=256,batch=64,epochs=1 | finetune:limit=256,batch=32,epochs=2',
      { fineTuner: tuner },
    );
    expect(rec.curves.map((c) => [c.label, c.batch, c.stepsPerEpoch])).toEqual([
      ['Fine-tuning', 64, 4],
      ['Fine-tuning', 32, 8],
    ]);
    const [a, b] = rec.curves;
    expect(a.epochs.map((e) => e.step)).toEqual([4]);
    // The second run starts where the first ended: steps 4 + 1..16.
    expect(b.epochs.map((e) => e.step)).toEqual([12, 20]);
    expect(b.steps[0].step).toBeGreaterThan(4);
    expect(b.steps[b.steps.length - 1].step).toBe(20);
    for (const e of [...a.epochs, ...b.epochs]) {
      expect(e.testCount).toBe(300);
      expect(e.testAccuracy).toBeGreaterThan(0);
      expect(e.testAccuracy).toBeLessThanOrEqual(1);
    }
  });
});
