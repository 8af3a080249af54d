/**
 * Models built, trained briefly on MNIST and saved by @tensorflow/tfjs
 * itself (pure-JS cpu backend), imported, and run on the lab's CPU
 * reference: outputs and test accuracy must match tfjs's own predict.
 * Includes global pooling and stand-alone BatchNormalizations (1×1 depthwise convs).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelForward } from '../../cpu/forward.ts';
import { validateModel } from '../../model/model.ts';
import type { ImportedModel } from '../types.ts';
import { importTfjs } from './index.ts';
import { argmaxRows, mnist, saveArtifacts, toFiles } from './test-helpers.ts';

const TRAIN = 512;
const TEST = 1000;
let train: Awaited<ReturnType<typeof mnist>>;
let test: Awaited<ReturnType<typeof mnist>>;

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  await tf.ready();
  train = await mnist('train', TRAIN);
  test = await mnist('test', TEST);
});

async function fit(model: tf.LayersModel, flat: boolean, epochs = 1, learningRate = 0.003): Promise<void> {
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy' });
  const xs = tf.tensor(train.x, flat ? [train.count, 784] : [train.count, 28, 28, 1]);
  const ys = tf.oneHot(tf.tensor1d(Array.from(train.labels), 'int32'), 10);
  await model.fit(xs, ys, { epochs, batchSize: 32, shuffle: false, verbose: 0 });
  tf.dispose([xs, ys]);
}

/** A seeded initializer: the global-pooling models train the same way every run. */
const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });

/** tfjs's and the lab's outputs on the test images, and both accuracies. */
function compare(model: tf.LayersModel, imported: ImportedModel, flat: boolean) {
  const x = tf.tensor(test.x, flat ? [test.count, 784] : [test.count, 28, 28, 1]);
  const y = model.predict(x) as tf.Tensor;
  const want = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  const got = modelForward(imported.model, test.x, test.count);
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (1e-3 + Math.abs(want[i]));
    worst = Math.max(worst, err);
  }
  const acc = (pred: number[]) => pred.filter((p, i) => p === test.labels[i]).length / test.count;
  return { worst, tfAcc: acc(argmaxRows(want, 10)), labAcc: acc(argmaxRows(got, 10)) };
}

function expectMatches(r: ReturnType<typeof compare>): void {
  expect(r.worst).toBeLessThan(1e-4);
  expect(Math.abs(r.tfAcc - r.labAcc)).toBeLessThanOrEqual(1 / TEST);
  // Trained, not just initialised: well above chance (10%) after one short epoch.
  expect(r.tfAcc).toBeGreaterThan(0.2);
}

describe('TF.js models saved by tfjs 4.22 import and match its predictions', () => {
  it('(a) Rescaling → Conv2D(relu) → MaxPool → Conv2D → BatchNorm → ReLU → MaxPool → Flatten → Dense(relu) → Dropout → Dense(softmax)', async () => {
    const m = tf.sequential({
      name: 'small_cnn',
      layers: [
        // [0, 1] → [-1, 1]: an input Rescaling becomes the lab's preprocessing.
        tf.layers.rescaling({ scale: 2, offset: -1, inputShape: [28, 28, 1] }),
        tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same' }),
        tf.layers.batchNormalization({ momentum: 0.5 }),
        tf.layers.reLU(),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 32, activation: 'relu' }),
        tf.layers.dropout({ rate: 0.25 }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    await fit(m, false);
    const saved = await saveArtifacts(tf, m);
    const imported = importTfjs(toFiles(saved), { expectInput: [28, 28, 1] });
    validateModel(imported.model);
    const { model, report } = imported;
    expect(model.architecture.name).toBe('small_cnn');
    expect(model.architecture.preprocess).toMatchObject({ scale: 2, offset: -1 });
    expect(model.architecture.layers.map((l) => l.kind)).toEqual([
      'conv2d',
      'relu',
      'maxPool2d',
      'conv2d',
      'relu',
      'maxPool2d',
      'flatten',
      'dense',
      'relu',
      'dense',
      'softmax',
    ]);
    expect(report.format).toBe('tfjs-layers');
    expect(report.producer).toEqual({ name: 'TensorFlow.js tfjs-layers', version: '4.22.0' });
    const conv2 = report.layers[3];
    expect(conv2.from).toHaveLength(2);
    expect(conv2.from[1]).toMatch(/batch_normalization/);
    expect(report.dropped.map((d) => d.op).sort()).toEqual(['Dropout', 'Rescaling']);
    expect(report.notes.join('\n')).toMatch(/folded into/);
    expect(report.notes.join('\n')).toMatch(/fused relu activation became the separate lab layer/);
    expect(model.provenance).toMatchObject({ source: 'imported', format: 'tfjs-layers', producer: report.producer });
    expect((model.provenance!.sourceLayers as Record<string, string[]>)[conv2.name]).toEqual(conv2.from);
    expectMatches(compare(m, imported, false));
    m.dispose();
  }, 300_000);

  it('(b) SeparableConv2D + DepthwiseConv2D (+ BatchNorm folded into the depthwise), as a Functional model, in 3 shards', async () => {
    const input = tf.input({ shape: [28, 28, 1], name: 'pixels' });
    let h = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'relu', name: 'stem' }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.separableConv2d({ filters: 10, kernelSize: 3, padding: 'same', activation: 'relu', name: 'sep' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, useBias: false, name: 'dw' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({ momentum: 0.5, name: 'dw_bn' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.activation({ activation: 'relu', name: 'dw_relu' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.averagePooling2d({ poolSize: 2, padding: 'same', name: 'avg' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.flatten({ name: 'flat' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.dense({ units: 10, name: 'logits' }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.softmax({ name: 'probs' }).apply(h) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out, name: 'separable' });
    await fit(m, false, 3);
    const imported = importTfjs(toFiles(await saveArtifacts(tf, m), 3));
    const { model, report } = imported;
    expect(model.architecture.inputShape).toEqual([28, 28, 1]);
    expect(model.architecture.layers.map((l) => `${l.name}:${l.kind}`)).toEqual([
      'stem:conv2d',
      'stem_relu:relu',
      'sep_depthwise:depthwiseConv2d',
      'sep_pointwise:conv2d',
      'sep_pointwise_relu:relu',
      'dw:depthwiseConv2d',
      'dw_relu:relu',
      'avg:avgPool2d',
      'flat:flatten',
      'logits:dense',
      'probs:softmax',
    ]);
    // The depthwise layer had no bias; the folded BatchNormalization gives it one.
    expect(model.architecture.layers[5]).toMatchObject({ kind: 'depthwiseConv2d', bias: true });
    expect(report.layers[5].from).toEqual(['dw', 'dw_bn']);
    expect(report.layers[2].from).toEqual(['sep']);
    expectMatches(compare(m, imported, false));
    m.dispose();
  }, 300_000);

  it('(c) an MLP on a flat 784 input', async () => {
    const m = tf.sequential({
      layers: [tf.layers.dense({ units: 64, activation: 'relu', inputShape: [784] }), tf.layers.dense({ units: 10, activation: 'softmax' })],
    });
    await fit(m, true);
    const imported = importTfjs(toFiles(await saveArtifacts(tf, m)));
    expect(imported.model.architecture.inputShape).toEqual([28, 28, 1]);
    expect(imported.model.architecture.layers.map((l) => l.kind)).toEqual(['flatten', 'dense', 'relu', 'dense', 'softmax']);
    expect(imported.report.notes.join('\n')).toMatch(/flat vector/);
    expectMatches(compare(m, imported, true));
    // A flat input of the expected size takes the expected image shape.
    expect(importTfjs(toFiles(await saveArtifacts(tf, m)), { expectInput: [784, 1, 1] }).model.architecture.inputShape).toEqual([784, 1, 1]);
    m.dispose();
  }, 300_000);

  it('(d) BatchNorm right after the input → Conv2D(relu) ×2 → BatchNorm → GlobalAveragePooling2D → Dense(softmax)', async () => {
    const m = tf.sequential({
      name: 'gap_cnn',
      layers: [
        tf.layers.batchNormalization({ momentum: 0.5, inputShape: [28, 28, 1], name: 'bn_in' }),
        tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: seeded(1), name: 'conv' }),
        tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: seeded(2), name: 'conv2' }),
        tf.layers.batchNormalization({ momentum: 0.5, name: 'bn_mid' }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(3), name: 'fc' }),
      ],
    });
    await fit(m, false, 2, 0.02);
    const imported = importTfjs(toFiles(await saveArtifacts(tf, m)), { expectInput: [28, 28, 1] });
    validateModel(imported.model);
    const { model, report } = imported;
    expect(model.architecture.layers).toEqual([
      { name: 'bn_in', kind: 'depthwiseConv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
      { name: 'conv', kind: 'conv2d', filters: 8, kernel: [3, 3], stride: [2, 2], padding: 'valid', bias: true },
      { name: 'conv_relu', kind: 'relu' },
      { name: 'conv2', kind: 'conv2d', filters: 16, kernel: [3, 3], stride: [2, 2], padding: 'valid', bias: true },
      { name: 'conv2_relu', kind: 'relu' },
      { name: 'bn_mid', kind: 'depthwiseConv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
      { name: 'gap', kind: 'avgPool2d', window: [6, 6], stride: [6, 6] },
      { name: 'gap_flatten', kind: 'flatten' },
      { name: 'fc', kind: 'dense', units: 10, bias: true },
      { name: 'fc_softmax', kind: 'softmax' },
    ]);
    expect(report.layers.map((l) => l.from)).toEqual([['bn_in'], ['conv'], ['conv'], ['conv2'], ['conv2'], ['bn_mid'], ['gap'], ['gap'], ['fc'], ['fc']]);
    const notes = report.notes.join('\n');
    expect(notes).toMatch(
      /BatchNormalization 'bn_in' \(epsilon 0\.001\) has no conv\/depthwise\/dense right before it to fold into: it became the 1×1 depthwise conv 'bn_in'/,
    );
    expect(notes).toMatch(
      /GlobalAveragePooling2D 'gap' on a 6×6 input became the avgPool2d 'gap' with window = stride = \[6, 6\], then the flatten 'gap_flatten' to a vector/,
    );
    expectMatches(compare(m, imported, false));
    m.dispose();
  }, 300_000);

  it('(e) Conv2D → ReLU → BatchNorm → Conv2D(relu) → MaxPool → GlobalMaxPooling2D → Dense(softmax), as a Functional model', async () => {
    const input = tf.input({ shape: [28, 28, 1], name: 'pixels' });
    let h = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, kernelInitializer: seeded(4), name: 'c1' }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.reLU({ name: 'r1' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization({ momentum: 0.5, name: 'bn' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: seeded(5), name: 'c2' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: seeded(6), name: 'fc' }).apply(h) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: out, name: 'gmp_cnn' });
    await fit(m, false, 2, 0.02);
    const imported = importTfjs(toFiles(await saveArtifacts(tf, m)));
    const { model, report } = imported;
    expect(model.architecture.layers.map((l) => `${l.name}:${l.kind}`)).toEqual([
      'c1:conv2d',
      'r1:relu',
      'bn:depthwiseConv2d',
      'c2:conv2d',
      'c2_relu:relu',
      'p1:maxPool2d',
      'gmp:maxPool2d',
      'gmp_flatten:flatten',
      'fc:dense',
      'fc_softmax:softmax',
    ]);
    expect(model.architecture.layers[6]).toMatchObject({ window: [5, 5], stride: [5, 5] });
    expect(model.weights['bn.weight']).toHaveLength(8);
    expect(report.notes.join('\n')).toMatch(/GlobalMaxPooling2D 'gmp' on a 5×5 input became the maxPool2d 'gmp'/);
    expectMatches(compare(m, imported, false));
    m.dispose();
  }, 300_000);

  it('(f) stand-alone BatchNorms with center false and scale false (statistics set, not trained: tfjs cannot fit them)', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.batchNormalization({ center: false, epsilon: 0.01, inputShape: [28, 28, 1], name: 'bn_in' }),
        tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, activation: 'relu', name: 'conv' }),
        tf.layers.batchNormalization({ scale: false, name: 'bn_mid' }),
        tf.layers.globalAveragePooling2d({ name: 'gap' }),
        tf.layers.dense({ units: 10, name: 'fc' }),
      ],
    });
    const set = (name: string, values: number[][]) => m.getLayer(name).setWeights(values.map((v) => tf.tensor1d(v)));
    // bn_in: gamma, moving mean, moving variance; bn_mid: beta, moving mean, moving variance.
    set('bn_in', [[1.8], [0.2], [0.09]]);
    set('bn_mid', [
      [0.3, -0.2, 0.1, 0.5],
      [0.05, 0.1, 0.2, 0.15],
      [0.5, 2, 0.1, 1.3],
    ]);
    const imported = importTfjs(toFiles(await saveArtifacts(tf, m)));
    const { model } = imported;
    expect(model.architecture.layers.map((l) => l.kind)).toEqual(['depthwiseConv2d', 'conv2d', 'relu', 'depthwiseConv2d', 'avgPool2d', 'flatten', 'dense']);
    expect(model.weights['bn_in.weight'][0]).toBeCloseTo(1.8 / Math.sqrt(0.1), 5);
    expect(model.weights['bn_in.bias'][0]).toBeCloseTo((-0.2 * 1.8) / Math.sqrt(0.1), 5);
    expect(model.weights['bn_mid.weight'][1]).toBeCloseTo(1 / Math.sqrt(2 + 1e-3), 5);
    expect(model.weights['bn_mid.bias'][1]).toBeCloseTo(-0.2 - 0.1 / Math.sqrt(2 + 1e-3), 5);
    expect(compare(m, imported, false).worst).toBeLessThan(1e-4);
    m.dispose();
  }, 300_000);

  it('(g) an MLP with BatchNorms between nonlinearities: the tail lifts to 1×1 images (dense → conv), and back before the next Dense', async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ units: 48, activation: 'relu', inputShape: [784], name: 'fc1', kernelInitializer: seeded(7) }),
        tf.layers.batchNormalization({ name: 'bn1' }),
        tf.layers.leakyReLU({ alpha: 0.1, name: 'leaky' }),
        tf.layers.dense({ units: 24, activation: 'relu', name: 'fc2', kernelInitializer: seeded(8) }),
        tf.layers.batchNormalization({ name: 'bn2' }),
        tf.layers.activation({ activation: 'tanh', name: 'tanh' }),
        tf.layers.dense({ units: 10, name: 'fc3', kernelInitializer: seeded(9) }),
        tf.layers.batchNormalization({ name: 'bn3' }),
        tf.layers.activation({ activation: 'softmax', name: 'probs' }),
      ],
    });
    await fit(m, true, 2, 0.01);
    const imported = importTfjs(toFiles(await saveArtifacts(tf, m)), { expectInput: [28, 28, 1] });
    validateModel(imported.model);
    const { model, report } = imported;
    // bn1 and bn2 sit between two nonlinearities; bn3 folds back into fc3.
    expect(model.architecture.layers.map((l) => [l.name, l.kind])).toEqual([
      ['fc1', 'conv2d'],
      ['fc1_relu', 'relu'],
      ['bn1', 'depthwiseConv2d'],
      ['leaky', 'activation'],
      ['fc2', 'conv2d'],
      ['fc2_relu', 'relu'],
      ['bn2', 'depthwiseConv2d'],
      ['tanh', 'activation'],
      ['bn2_flatten', 'flatten'],
      ['fc3', 'dense'],
      ['probs', 'softmax'],
    ]);
    expect(model.architecture.layers[0]).toMatchObject({ kernel: [28, 28], filters: 48 });
    expect(model.architecture.layers[4]).toMatchObject({ kernel: [1, 1], filters: 24 });
    expect(report.layers.map((l) => l.kind)).toEqual(model.architecture.layers.map((l) => l.kind));
    expect(report.notes.join('\n')).toMatch(/BatchNormalization 'bn2' acts on a flat vector between two nonlinearities.*'fc2' \(1×1 kernel on \[1, 1, 48\]\)/);
    expectMatches(compare(m, imported, true));
    m.dispose();
  }, 300_000);
});
