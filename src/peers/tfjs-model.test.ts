import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { modelForward } from '../cpu/forward.ts';
import { buildTfjsModel } from './tfjs-model.ts';
import { allTestModels, expectLogitsClose, testInput } from './test-cases.ts';
import { tfjsPeerModels } from './tfjs-test-cases.ts';

beforeAll(async () => {
  // IS_TEST silences tfjs's one-time "install tfjs-node" console warning (it logs only when IS_TEST and PROD are off).
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('TF.js model (cpu backend, loaded from the lab export) matches the CPU reference', () => {
  for (const model of tfjsPeerModels()) {
    it(`${model.architecture.name}: batch 1 and 7`, async () => {
      const runner = await buildTfjsModel(tf, model);
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

  it('folds each relu into the conv or dense layer before it, as a TF.js user writes it', async () => {
    const runner = await buildTfjsModel(tf, allTestModels()[0]);
    const layers = runner.model.layers.map((l) => `${l.name}:${l.getClassName()}:${(l.getConfig().activation as string | undefined) ?? ''}`);
    runner.dispose();
    expect(layers).toEqual([
      'conv1:Conv2D:linear',
      'pool1:MaxPooling2D:',
      'conv2:Conv2D:linear',
      'pool2:MaxPooling2D:',
      'flatten:Flatten:',
      'fc1:Dense:relu',
      'fc2:Dense:linear',
    ]);
  });

  it('leaks no tensors: predict and forward free their intermediates, dispose frees the weights', async () => {
    const before = tf.memory().numTensors;
    const model = allTestModels()[0];
    const runner = await buildTfjsModel(tf, model);
    const afterBuild = tf.memory().numTensors;
    expect(afterBuild - before).toBe(Object.keys(model.weights).length);
    await runner.predict(testInput(model, 2, 1), 2);
    expect(tf.memory().numTensors).toBe(afterBuild);
    const x = tf.tensor4d(testInput(model, 3, 2), [3, 28, 28, 1]);
    const y = runner.forward(x);
    expect(y.shape).toEqual([3, 10]);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(afterBuild);
    runner.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(runner.predict(testInput(model, 1, 1), 1)).rejects.toThrow(/disposed/);
  });

  it('rejects a wrong input size, a missing weight and a layer with no TF.js form, naming them', async () => {
    const model = allTestModels()[2];
    const runner = await buildTfjsModel(tf, model);
    await expect(runner.predict(new Float32Array(10), 1)).rejects.toThrow(/expected 784/);
    runner.dispose();
    const before = tf.memory().numTensors;
    const missing = { ...model, weights: { ...model.weights } };
    delete missing.weights['fc2.weight'];
    await expect(buildTfjsModel(tf, missing)).rejects.toThrow(/fc2\.weight/);
    const imported = allTestModels().find((m) => m.architecture.name === 'imported')!;
    await expect(buildTfjsModel(tf, imported)).rejects.toThrow(/layer 'apx' \(avgPool2d\).*no exact TF\.js Layers form/);
    // Nothing was uploaded for the refused models.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves the lab model untouched', async () => {
    const model = allTestModels()[3];
    const before = Object.fromEntries(Object.entries(model.weights).map(([k, v]) => [k, v.slice()]));
    const runner = await buildTfjsModel(tf, model);
    await runner.predict(testInput(model, 1, 9), 1);
    runner.dispose();
    for (const [k, v] of Object.entries(before))
      expect(
        model.weights[k].every((a, i) => Object.is(a, v[i])),
        k,
      ).toBe(true);
  });
});
