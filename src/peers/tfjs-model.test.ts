import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { modelForward } from '../cpu/forward.ts';
import { buildTfjsModel } from './tfjs-model.ts';
import { allTestModels, expectLogitsClose, testInput } from './test-cases.ts';

beforeAll(async () => {
  // IS_TEST silences tfjs's one-time "install tfjs-node" console warning (it logs only when IS_TEST and PROD are off).
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('TF.js model (cpu backend) matches the CPU reference', () => {
  for (const model of allTestModels()) {
    for (const fuseRelu of [true, false]) {
      it(`${model.architecture.name}${fuseRelu ? '' : ', relu not fused'}: batch 1 and 7`, async () => {
        const runner = buildTfjsModel(tf, model, { fuseRelu });
        try {
          expect(runner.backend).toBe('cpu');
          for (const batch of [1, 7]) {
            const x = testInput(model, batch, 200 + batch);
            expectLogitsClose(await runner.predict(x, batch), modelForward(model, x, batch), batch, `${model.architecture.name} batch ${batch}`);
          }
        } finally {
          runner.dispose();
        }
      });
    }
  }

  it('leaks no tensors: predict frees its intermediates, dispose frees the weights', async () => {
    const before = tf.memory().numTensors;
    const model = allTestModels()[0];
    const runner = buildTfjsModel(tf, model);
    const afterBuild = tf.memory().numTensors;
    expect(afterBuild - before).toBe(Object.keys(model.weights).length);
    await runner.predict(testInput(model, 2, 1), 2);
    expect(tf.memory().numTensors).toBe(afterBuild);
    runner.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(runner.predict(testInput(model, 1, 1), 1)).rejects.toThrow(/disposed/);
  });

  it('rejects a wrong input size and a missing weight, naming them', async () => {
    const model = allTestModels()[2];
    const runner = buildTfjsModel(tf, model);
    await expect(runner.predict(new Float32Array(10), 1)).rejects.toThrow(/expected 784/);
    runner.dispose();
    const before = tf.memory().numTensors;
    const missing = { ...model, weights: { ...model.weights } };
    delete missing.weights['fc2.weight'];
    expect(() => buildTfjsModel(tf, missing)).toThrow(/fc2\.weight/);
    // Weights uploaded before the failure are freed again.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves the lab model untouched', async () => {
    const model = allTestModels()[3];
    const before = Object.fromEntries(Object.entries(model.weights).map(([k, v]) => [k, v.slice()]));
    const runner = buildTfjsModel(tf, model);
    await runner.predict(testInput(model, 1, 9), 1);
    runner.dispose();
    for (const [k, v] of Object.entries(before))
      expect(
        model.weights[k].every((a, i) => Object.is(a, v[i])),
        k,
      ).toBe(true);
  });
});
