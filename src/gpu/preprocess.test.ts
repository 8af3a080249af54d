/**
 * A model's input map (architecture.preprocess, x · scale + offset) on every
 * runtime: the float executor and the int8 executor run it as their first
 * step, the trainer's forward and its GPU evaluation read it from the same
 * plan, and each equals the CPU reference (the int8 codes bit for bit).
 * Real GPU (SwiftShader under Node); no skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { architecture } from '../model/architectures.ts';
import type { Preprocess } from '../model/layers.ts';
import { applyPreprocess } from '../model/layers.ts';
import { initModel, type Model } from '../model/model.ts';
import { parseModel, serializeModel } from '../model/format.ts';
import { modelForward, modelForwardAll } from '../cpu/forward.ts';
import { modelBackward } from '../cpu/backward.ts';
import { softmaxCrossEntropy } from '../cpu/loss.ts';
import { sgdStep } from '../cpu/optim.ts';
import { int8ModelForward } from '../cpu/quantized.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import { gatherFloatBatch, gatherLabels, toFloatBatch } from '../data/dataset.ts';
import { loadDataset } from '../data/node-loader.ts';
import { createRunner } from '../engine/runner.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { createInt8Executor } from './executor-i8.ts';
import { DOT_VARIANTS } from './kernels/int8-common.ts';
import { planModel } from './plan.ts';
import { planInt8 } from './plan-i8.ts';
import { evaluateModel, trainModel } from './trainer.ts';
import { expectNear } from './test-helpers.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await acquireGpu();
});
afterAll(() => gpu?.device.destroy());

/** PyTorch's MNIST normalisation: (x − 0.1307) / 0.3081. */
const NORMALIZE: Preprocess = { scale: 1 / 0.3081, offset: -0.1307 / 0.3081, label: '(x − 0.1307) / 0.3081' };

function withPreprocess(model: Model, p: Preprocess): Model {
  return { ...model, architecture: { ...model.architecture, name: `${model.architecture.name}-pre`, preprocess: p } };
}

describe('preprocess: CPU reference and file format', () => {
  it('applies x · scale + offset in f32 before the first layer, and changes the logits', async () => {
    const test = await loadDataset('mnist', 'test');
    const model = initModel(architecture('lenet-300-100'), 2);
    const x = toFloatBatch(test, 0, 4);
    const pre = withPreprocess(model, NORMALIZE);
    expect(Array.from(modelForward(pre, x, 4))).toEqual(Array.from(modelForward(model, applyPreprocess(NORMALIZE, x), 4)));
    expect(Array.from(modelForward(pre, x, 4))).not.toEqual(Array.from(modelForward(model, x, 4)));
    // The identity map is no map at all.
    expect(applyPreprocess({ scale: 1, offset: 0 }, x)).toBe(x);
  });

  it('survives a file round trip; a zero scale or an unknown field is refused by name', () => {
    const model = withPreprocess(initModel(architecture('lenet-300-100'), 2), NORMALIZE);
    const back = parseModel(serializeModel(model));
    expect(back.architecture.preprocess).toEqual(NORMALIZE);
    const bad = (p: unknown): Model => ({ ...model, architecture: { ...model.architecture, preprocess: p as Preprocess } });
    expect(() => parseModel(serializeModel(bad({ scale: 0, offset: 0 })))).toThrow(/preprocess\.scale must be a finite non-zero number/);
    expect(() => parseModel(serializeModel(bad({ scale: 2, offset: 0, mean: 3 })))).toThrow(/preprocess has an unknown field 'mean'/);
  });
});

describe('preprocess on the GPU', () => {
  it('the float executor runs it as its first step: logits equal the CPU reference (dense-first and conv-first models)', async () => {
    const test = await loadDataset('mnist', 'test');
    for (const name of ['lenet-300-100', 'lenet5']) {
      const model = withPreprocess(initModel(architecture(name), 3), NORMALIZE);
      expect(planModel(model, { variant: 'register', fuse: true }).steps[0].kernel).toBe('preprocess');
      const runner = await createRunner(gpu, model, { maxBatch: 33 });
      try {
        for (const batch of [1, 33]) {
          const x = toFloatBatch(test, 0, batch);
          expectNear(await runner.logits(x, batch), modelForward(model, x, batch), `${name} batch ${batch}`, 1e-4, 1e-4);
        }
      } finally {
        runner.destroy();
      }
    }
  });

  it('the int8 executor maps the floats before it quantizes them: codes equal the CPU integer reference bit for bit', async () => {
    const train = await loadDataset('mnist', 'train');
    const test = await loadDataset('mnist', 'test');
    // Inverted images (scale −1, offset 1) and the normalisation: a dense first layer (quantize folded into it) and a conv (row-packed input).
    for (const [name, p] of [
      ['lenet-300-100', NORMALIZE],
      ['lenet5', { scale: -1, offset: 1 }],
    ] as const) {
      const model = withPreprocess(initModel(architecture(name), 4), p);
      const q = quantizeInt8Model(model, { calibration: toFloatBatch(train, 0, 64), batch: 64, method: 'minmax' });
      expect(planInt8(q).steps[0].kernel).toBe('preprocess');
      for (const dot of DOT_VARIANTS) {
        const ex = await createInt8Executor(gpu, q, { maxBatch: 37, dot });
        try {
          for (const batch of [1, 37]) {
            const x = toFloatBatch(test, 0, batch);
            const ref = int8ModelForward(q, x, batch);
            const codes = await ex.run(x, batch, { readback: 'codes' });
            expect(Array.from(codes), `${name} [${dot}] batch ${batch}`).toEqual(Array.from(ref.tensors[ref.tensors.length - 1]));
          }
        } finally {
          ex.destroy();
        }
      }
    }
  });

  it('the trainer: one SGD step on a preprocessed model equals the CPU reference, and its GPU evaluation counts what the CPU counts', async () => {
    const train = await loadDataset('mnist', 'train');
    const test = await loadDataset('mnist', 'test');
    const model = withPreprocess(initModel(architecture('lenet-300-100'), 5), NORMALIZE);
    const batch = 16;
    const r = await trainModel(gpu, model, train, null, { epochs: 1, batch, limit: batch, optimizer: 'sgd', lr: 0.05, momentum: 0 });
    const idx = Uint32Array.from({ length: batch }, (_, i) => i);
    const x = gatherFloatBatch(train, idx);
    const acts = modelForwardAll(model, x, batch);
    const { dLogits } = softmaxCrossEntropy(acts[acts.length - 1], batch, 10, { labels: gatherLabels(train, idx) });
    // The CPU backward takes the layer-0 input, i.e. the mapped images.
    const { grads } = modelBackward(
      { ...model, architecture: { ...model.architecture, preprocess: undefined } },
      applyPreprocess(NORMALIZE, x),
      batch,
      acts,
      dLogits,
    );
    for (const [name, w0] of Object.entries(model.weights)) {
      const w = Float32Array.from(w0);
      sgdStep(w, grads[name], new Float32Array(w.length), { lr: 0.05, momentum: 0, weightDecay: 0 });
      expectNear(r.model.weights[name], w, name, 1e-5, 1e-4);
    }
    expect(r.model.architecture.preprocess).toEqual(NORMALIZE);

    const n = 500;
    const gpuEval = await evaluateModel(gpu, r.model, test, { limit: n });
    const logits = modelForward(r.model, toFloatBatch(test, 0, n), n);
    let right = 0;
    for (let i = 0; i < n; i++) {
      const row = logits.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === test.labels[i]) right++;
    }
    expect(gpuEval.count).toBe(n);
    expect(Math.abs(gpuEval.count - gpuEval.errors - right), `GPU ${gpuEval.count - gpuEval.errors} right, CPU ${right}`).toBeLessThanOrEqual(1);
  });
});
