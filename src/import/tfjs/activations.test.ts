/**
 * relu6, sigmoid, tanh and leaky ReLU (the lab's `activation` layer) and
 * pooling whose 'same' padding really pads (explicit pool pads, TF's odd
 * pixel after; AveragePooling2D leaves the padded taps out of the average):
 * small models built and saved by @tensorflow/tfjs itself, imported, and run
 * on the lab's CPU reference against tfjs's own `model.predict`.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelForward } from '../../cpu/forward.ts';
import { validateModel } from '../../model/model.ts';
import type { ImportedModel } from '../types.ts';
import { importTfjs } from './index.ts';
import { handwritten, saveArtifacts, toFiles } from './test-helpers.ts';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  await tf.ready();
});

const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

/** `n` deterministic images in [0, 1] of `shape`. */
function images(n: number, shape: number[]): Float32Array {
  const size = n * shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 1009) / 1008);
}

/** Saves `model` as tfjs writes it, imports it, and compares the lab's outputs with `model.predict` on the same images. */
async function importAndCompare(model: tf.LayersModel, shape: number[]): Promise<ImportedModel> {
  const imported = importTfjs(toFiles(await saveArtifacts(tf, model)));
  validateModel(imported.model);
  const n = 8;
  const x = images(n, shape);
  const xt = tf.tensor(x, [n, ...shape]);
  const y = model.predict(xt) as tf.Tensor;
  const want = y.dataSync() as Float32Array;
  tf.dispose([xt, y]);
  const got = modelForward(imported.model, x, n);
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (Math.abs(got[i] - want[i]) > 1e-5 + 1e-4 * Math.abs(want[i])) throw new Error(`index ${i}: lab ${got[i]}, tfjs ${want[i]}`);
  }
  return imported;
}

describe('activations and padded pooling saved by tfjs 4.22 import and match its predictions', () => {
  it("fused relu6 / sigmoid / tanh, ReLU(max_value 6), LeakyReLU, Activation layers, and 'same' pools that pad", async () => {
    const m = tf.sequential({
      name: 'acts',
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu6', kernelInitializer: seeded(1), biasInitializer: 'ones' }),
        // 26×26, window 3, stride 2: ceil(26/2) = 13 windows need 1 pixel of padding (after).
        tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'sigmoid', kernelInitializer: seeded(2) }),
        // 13×13, window 4, stride 3: 5 windows, total 3 pixels: 1 before, 2 after.
        tf.layers.averagePooling2d({ poolSize: 4, strides: 3, padding: 'same' }),
        tf.layers.conv2d({ filters: 4, kernelSize: 2, activation: 'tanh', kernelInitializer: seeded(3) }),
        tf.layers.reLU({ maxValue: 6 }),
        tf.layers.leakyReLU({ alpha: 0.2 }),
        tf.layers.activation({ activation: 'sigmoid' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 12, activation: 'tanh', kernelInitializer: seeded(4), biasInitializer: tf.initializers.constant({ value: -0.5 }) }),
        tf.layers.activation({ activation: 'relu6' }),
        tf.layers.dense({ units: 10, activation: 'sigmoid', kernelInitializer: seeded(5) }),
      ],
    });
    const { model, report } = await importAndCompare(m, [28, 28, 1]);
    const layers = model.architecture.layers;
    expect(layers.map((l) => (l.kind === 'activation' ? l.fn : l.kind))).toEqual([
      'conv2d',
      'relu6',
      'maxPool2d',
      'conv2d',
      'sigmoid',
      'avgPool2d',
      'conv2d',
      'tanh',
      'relu6',
      'leakyRelu',
      'sigmoid',
      'flatten',
      'dense',
      'tanh',
      'relu6',
      'dense',
      'sigmoid',
    ]);
    expect(layers[2]).toMatchObject({ window: [3, 3], stride: [2, 2], padding: { top: 0, bottom: 1, left: 0, right: 1 } });
    expect(layers[2]).not.toHaveProperty('countIncludePad');
    expect(layers[5]).toMatchObject({ window: [4, 4], stride: [3, 3], padding: { top: 1, bottom: 2, left: 1, right: 2 }, countIncludePad: false });
    expect(layers[9]).toMatchObject({ kind: 'activation', fn: 'leakyRelu', alpha: expect.closeTo(0.2, 6) });
    expect(report.notes.join('\n')).toMatch(
      /padding 'same' on its 13×13 input became explicit pads \(top 1, bottom 2, left 1, right 2\), the padded taps left out/,
    );
    m.dispose();
  });

  it('a Functional model: DepthwiseConv2D(relu6) and SeparableConv2D(tanh), LeakyReLU with the tfjs default alpha', async () => {
    const input = tf.input({ shape: [28, 28, 1] });
    let h = tf.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, kernelInitializer: seeded(6) }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.leakyReLU().apply(h) as tf.SymbolicTensor;
    h = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', activation: 'relu6', depthwiseInitializer: seeded(7) }).apply(h) as tf.SymbolicTensor;
    h = tf.layers
      .separableConv2d({ filters: 5, kernelSize: 3, activation: 'tanh', depthwiseInitializer: seeded(8), pointwiseInitializer: seeded(9) })
      .apply(h) as tf.SymbolicTensor;
    h = tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 10, kernelInitializer: seeded(10) }).apply(h) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out });
    const { model } = await importAndCompare(m, [28, 28, 1]);
    const kinds = model.architecture.layers.map((l) => (l.kind === 'activation' ? `${l.fn}${l.alpha !== undefined ? `(${l.alpha.toFixed(2)})` : ''}` : l.kind));
    expect(kinds).toEqual(['conv2d', 'leakyRelu(0.30)', 'depthwiseConv2d', 'relu6', 'depthwiseConv2d', 'conv2d', 'tanh', 'avgPool2d', 'flatten', 'dense']);
    // 28 → 13 (stride 2) → 13 (same) → 11 (valid separable); window 2, stride 2, 'same' on 11×11: 6 windows, one pixel after.
    expect(model.architecture.layers[7]).toMatchObject({ padding: { top: 0, bottom: 1, left: 0, right: 1 }, countIncludePad: false });
    m.dispose();
  });
});

describe('forms tfjs does not write', () => {
  it("Keras 3 LeakyReLU's negative_slope and ReLU's negative_slope alone are leaky relus", () => {
    const files = handwritten(
      [
        { class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 2, 2, 1], dtype: 'float32' } },
        { class_name: 'LeakyReLU', config: { name: 'lk', negative_slope: 0.5 } },
        { class_name: 'ReLU', config: { name: 'rl', max_value: null, negative_slope: 0.25, threshold: 0.0 } },
        { class_name: 'Flatten', config: { name: 'f' } },
      ],
      [],
    );
    const { model } = importTfjs(files);
    expect(model.architecture.layers).toEqual([
      { name: 'lk', kind: 'activation', fn: 'leakyRelu', alpha: 0.5 },
      { name: 'rl', kind: 'activation', fn: 'leakyRelu', alpha: 0.25 },
      { name: 'f', kind: 'flatten' },
    ]);
    const y = modelForward(model, Float32Array.from([-4, -1, 0, 2]), 1);
    expect(Array.from(y)).toEqual([-0.5, -0.125, 0, 2]);
  });
});
