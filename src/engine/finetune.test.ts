/**
 * The shared GPU fine-tuner (CLI and browser worker): how a pipeline request
 * maps to trainer options, and, on the GPU (SwiftShader under Node), that a
 * pipeline fine-tune keeps pruned weights at zero, reports progress per chunk
 * of steps and stops when its signal is aborted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../data/dataset.ts';
import { loadDataset } from '../data/node-loader.ts';
import { architecture } from '../model/architectures.ts';
import { initModel } from '../model/model.ts';
import type { Gpu } from '../gpu/device.ts';
import { acquireGpu } from '../gpu/device.ts';
import type { TrainProgress } from '../gpu/trainer.ts';
import { gpuFineTuner, trainOptionsFor } from './finetune.ts';
import { fineTuneRequestFor, finetuneDefaults, runPipeline } from '../compress/pipeline.ts';
import { prune } from '../compress/prune.ts';
import { quantize } from '../compress/quantize.ts';

describe('trainOptionsFor', () => {
  it('maps limit 0 to the whole set and symmetric 8-bit per-channel QAT to fake quantization', () => {
    const m = quantize(initModel(architecture('lenet-300-100'), 1), { mode: 'linear', bits: 8, scheme: 'symmetric', granularity: 'channel' });
    const o = trainOptionsFor(fineTuneRequestFor(m, { ...finetuneDefaults, epochs: 2, limit: 0 }));
    expect(o).toMatchObject({ epochs: 2, optimizer: 'sgd', momentum: 0.9, batch: 64 });
    expect(o.limit).toBeUndefined();
    expect(o.fakeQuant).toEqual({ bits: 8, perChannel: true, layers: ['fc1', 'fc2', 'fc3'] });
    expect(trainOptionsFor(fineTuneRequestFor(m, { ...finetuneDefaults, limit: 256 })).limit).toBe(256);
  });

  it('leaves float models without fake quantization', () => {
    const o = trainOptionsFor(fineTuneRequestFor(initModel(architecture('lenet-300-100'), 1), finetuneDefaults));
    expect(o.fakeQuant).toBeUndefined();
  });
});

describe('gpuFineTuner', () => {
  let gpu: Gpu;
  let train: Dataset;
  beforeAll(async () => {
    gpu = await acquireGpu();
    train = await loadDataset('mnist', 'train');
  });
  afterAll(() => gpu?.device.destroy());

  it('fine-tunes in a pipeline: pruned weights stay zero, weights change, progress per chunk and per epoch', async () => {
    const model = initModel(architecture('lenet-300-100'), 1);
    const progress: TrainProgress[] = [];
    const epochs: number[] = [];
    const lines: string[] = [];
    const tuner = gpuFineTuner(gpu, train, {
      log: (l) => lines.push(l),
      onProgress: (p, req) => {
        expect(req.limit).toBe(256);
        progress.push(p);
      },
      onEpoch: (r) => epochs.push(r.epoch),
    });
    const r = await runPipeline(model, 'prune:sparsity=0.5 | finetune:limit=256,batch=64,epochs=2', { fineTuner: tuner });
    expect(epochs).toEqual([1, 2]);
    expect(lines.filter((l) => l.includes('epoch')).length).toBe(2);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[progress.length - 1]).toMatchObject({ phase: 'train', epoch: 1, step: 4, steps: 4 });
    const pruned = prune(model, { sparsity: 0.5 });
    const w0 = pruned.weights['fc1.weight'];
    const w1 = r.model.weights['fc1.weight'];
    let changed = 0;
    for (let i = 0; i < w0.length; i++) {
      if (w0[i] === 0) expect(w1[i]).toBe(0);
      else if (w1[i] !== w0[i]) changed++;
    }
    expect(changed).toBeGreaterThan(w0.length / 4);
  });

  it('stops when its signal is aborted, rejecting with an AbortError', async () => {
    const ac = new AbortController();
    let calls = 0;
    const tuner = gpuFineTuner(gpu, train, {
      signal: ac.signal,
      onProgress: () => {
        calls++;
        ac.abort();
      },
    });
    const model = initModel(architecture('lenet-300-100'), 1);
    const req = fineTuneRequestFor(model, { ...finetuneDefaults, limit: 64 * 64, batch: 64 });
    await expect(tuner(model, req)).rejects.toMatchObject({ name: 'AbortError' });
    // 64 steps in chunks of 16: aborted after the first chunk, not run to the end.
    expect(calls).toBe(1);
  });
});
