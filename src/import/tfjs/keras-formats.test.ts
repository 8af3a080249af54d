/**
 * model.json forms beyond what tfjs's own `save` writes: the converter's
 * `{ model_config }` wrapper of a Keras 2 file (weights named
 * `<layer>/<param>` or with a model prefix and `:0`), TF.js's camelCase
 * config keys, Keras 3-style Sequential configs, and the small mappings
 * (composed Rescalings, Reshape to a vector, 'same' pooling that equals
 * 'valid', identity activations, unique lab names). Handwritten configs that
 * tfjs can load are also run through tfjs and compared.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelForward } from '../../cpu/forward.ts';
import type { ImportFile } from '../types.ts';
import { importTfjs } from './index.ts';
import { handwritten } from './test-helpers.ts';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  await tf.ready();
});

type L = { class_name: string; config: Record<string, unknown> };

/** Runs the handwritten model in tfjs (loaded from the same JSON and bytes) and in the lab, on the same input. */
async function expectSameAsTfjs(files: ImportFile[], shape: [number, number, number]): Promise<void> {
  const json = JSON.parse(new TextDecoder().decode(files[0].bytes));
  const weightSpecs = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const m = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: files[1].bytes.slice().buffer }));
  const n = 3;
  const x = new Float32Array(n * shape[0] * shape[1] * shape[2]).map((_, i) => ((i * 37) % 101) / 100);
  const inShape = m.inputs[0].shape.slice(1) as number[];
  const xt = tf.tensor(x, [n, ...inShape]);
  const y = m.predict(xt) as tf.Tensor;
  const want = y.dataSync();
  const got = modelForward(importTfjs(files).model, x, n);
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5 + 1e-4 * Math.abs(want[i]));
  tf.dispose([xt, y]);
  m.dispose();
}

describe('model.json forms', () => {
  it("the converter's model_config wrapper, camelCase keys, prefixed weight names with :0", () => {
    const files = handwritten(
      [
        { class_name: 'Conv2D', config: { name: 'conv', filters: 2, kernelSize: 3, batchInputShape: [null, 6, 6, 1], useBias: true, activation: 'relu' } },
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'fc', units: 3 } },
      ],
      [
        { name: 'net/conv/kernel:0', shape: [3, 3, 1, 2] },
        { name: 'net/conv/bias:0', shape: [2] },
        { name: 'fc/kernel', shape: [32, 3] },
        { name: 'fc/bias', shape: [3] },
      ],
    );
    const json = JSON.parse(new TextDecoder().decode(files[0].bytes));
    json.modelTopology = { keras_version: '2.13.1', backend: 'tensorflow', model_config: json.modelTopology, training_config: {} };
    json.generatedBy = 'keras v2.13.1';
    json.convertedBy = 'TensorFlow.js Converter v4.22.0';
    const { model, report } = importTfjs([{ name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(json)) }, files[1]]);
    expect(model.architecture.layers.map((l) => `${l.name}:${l.kind}`)).toEqual(['conv:conv2d', 'conv_relu:relu', 'flat:flatten', 'fc:dense']);
    expect(report.producer).toEqual({ name: 'TensorFlow.js Converter', version: '4.22.0' });
  });

  it('Keras 3-style Sequential: InputLayer with batch_shape, dtype policies, module fields', () => {
    const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    const k3 = (class_name: string, config: Record<string, unknown>): L & Record<string, unknown> => ({
      module: 'keras.layers',
      class_name,
      config: { trainable: true, dtype: policy, ...config },
      registered_name: null,
    });
    const files = handwritten(
      [
        k3('InputLayer', { name: 'input_layer', batch_shape: [null, 5, 5, 2], sparse: false, ragged: false }),
        k3('DepthwiseConv2D', {
          name: 'dw',
          kernel_size: [2, 2],
          strides: [1, 1],
          padding: 'valid',
          data_format: 'channels_last',
          dilation_rate: [1, 1],
          depth_multiplier: 1,
          activation: 'linear',
          use_bias: false,
        }),
        k3('ReLU', { name: 're_lu', max_value: null, negative_slope: 0.0, threshold: 0.0 }),
        k3('Flatten', { name: 'flatten', data_format: 'channels_last' }),
        k3('Dense', {
          name: 'dense',
          units: 4,
          activation: { module: 'keras.activations', class_name: 'function', config: 'softmax', registered_name: 'function' },
          use_bias: true,
        }),
      ],
      [
        { name: 'dw/depthwise_kernel', shape: [2, 2, 2, 1] },
        { name: 'dense/kernel', shape: [32, 4] },
        { name: 'dense/bias', shape: [4] },
      ],
    );
    const { model } = importTfjs(files);
    expect(model.architecture.inputShape).toEqual([5, 5, 2]);
    expect(model.architecture.layers.map((l) => l.kind)).toEqual(['depthwiseConv2d', 'relu', 'flatten', 'dense', 'softmax']);
  });

  it('composed Rescalings, Reshape to a vector, same = valid pooling, linear Activation, GaussianNoise — and tfjs agrees', async () => {
    const files = handwritten(
      [
        { class_name: 'Rescaling', config: { name: 'r1', scale: 255, offset: 0, batch_input_shape: [null, 8, 8, 1] } },
        { class_name: 'Rescaling', config: { name: 'r2', scale: 1 / 127.5, offset: -1 } },
        {
          class_name: 'Conv2D',
          config: { name: 'c', filters: 3, kernel_size: [3, 3], padding: 'same', strides: [2, 2], use_bias: true, activation: 'linear' },
        },
        { class_name: 'Activation', config: { name: 'lin', activation: 'linear' } },
        { class_name: 'GaussianNoise', config: { name: 'noise', stddev: 0.1 } },
        { class_name: 'AveragePooling2D', config: { name: 'pool', pool_size: [2, 2], strides: [2, 2], padding: 'same' } },
        { class_name: 'Reshape', config: { name: 'to.vector', target_shape: [12] } },
        { class_name: 'Dense', config: { name: 'to/vector', units: 4, activation: 'softmax' } },
      ],
      [
        { name: 'c/kernel', shape: [3, 3, 1, 3] },
        { name: 'c/bias', shape: [3] },
        { name: 'to/vector/kernel', shape: [12, 4] },
        { name: 'to/vector/bias', shape: [4] },
      ],
    );
    const { model, report } = importTfjs(files);
    expect(model.architecture.preprocess!.scale).toBeCloseTo(2, 12);
    expect(model.architecture.preprocess!.offset).toBe(-1);
    expect(model.architecture.layers.map((l) => `${l.name}:${l.kind}`)).toEqual([
      'c:conv2d',
      'pool:avgPool2d',
      'to_vector:flatten',
      'to_vector_2:dense',
      'to_vector_2_softmax:softmax',
    ]);
    expect(report.dropped.map((d) => d.name)).toEqual(['r1', 'r2', 'lin', 'noise']);
    expect(report.notes.join('\n')).toMatch(/padding 'same' equals 'valid'/);
    await expectSameAsTfjs(files, [8, 8, 1]);
  });

  it('a Rescaling of 1/255 is kept literally, with a note about raw pixels', () => {
    const files = handwritten(
      [
        { class_name: 'Rescaling', config: { name: 'r', scale: 1 / 255, offset: 0, batch_input_shape: [null, 4, 4, 1] } },
        { class_name: 'Flatten', config: { name: 'f' } },
      ],
      [],
    );
    const { model, report } = importTfjs(files);
    expect(model.architecture.preprocess!.scale).toBeCloseTo(1 / 255, 12);
    expect(report.notes.join('\n')).toMatch(/raw 0–255 pixels/);
  });

  it('unused manifest weights are reported; a [H, W] input becomes [H, W, 1]', () => {
    const files = handwritten(
      [
        { class_name: 'Flatten', config: { name: 'f', batch_input_shape: [null, 4, 4] } },
        { class_name: 'Dense', config: { name: 'd', units: 2, use_bias: false } },
      ],
      [
        { name: 'd/kernel', shape: [16, 2] },
        { name: 'optimizer/iter', shape: [] },
      ],
    );
    const { model, report } = importTfjs(files);
    expect(model.architecture.inputShape).toEqual([4, 4, 1]);
    expect(report.notes.join('\n')).toMatch(/1 weight in the manifest belong to no imported layer.*optimizer\/iter/);
  });

  it('Keras GlobalAveragePooling2D with keepdims true (no flatten) and the GlobalMaxPool2D alias', () => {
    const files = handwritten(
      [
        { class_name: 'GlobalAvgPool2D', config: { name: 'gap', keepdims: true, data_format: 'channels_last', batch_input_shape: [null, 3, 3, 2] } },
        { class_name: 'GlobalMaxPool2D', config: { name: 'gmp' } },
      ],
      [],
    );
    const { model, report } = importTfjs(files);
    expect(model.architecture.layers).toEqual([
      { name: 'gap', kind: 'avgPool2d', window: [3, 3], stride: [3, 3] },
      { name: 'gmp', kind: 'maxPool2d', window: [1, 1], stride: [1, 1] },
      { name: 'gmp_flatten', kind: 'flatten' },
    ]);
    expect(report.notes.join('\n')).toMatch(/GlobalAvgPool2D 'gap' on a 3×3 input became the avgPool2d 'gap' with window = stride = \[3, 3\]\./);
    const x = Float32Array.from({ length: 18 }, (_, i) => ((i * 37) % 11) / 10);
    const y = modelForward(model, x, 1);
    for (let c = 0; c < 2; c++) expect(y[c]).toBeCloseTo([0, 2, 4, 6, 8, 10, 12, 14, 16].reduce((a, i) => a + x[i + c], 0) / 9, 6);
  });

  it('ZeroPadding2D before a valid conv, a counting average pool and a max pool after a relu become their explicit pads — and tfjs agrees', async () => {
    const files = handwritten(
      [
        {
          class_name: 'ZeroPadding2D',
          config: {
            name: 'zp1',
            padding: [
              [2, 0],
              [1, 1],
            ],
            batch_input_shape: [null, 7, 6, 2],
          },
        },
        { class_name: 'Conv2D', config: { name: 'c1', filters: 3, kernel_size: [3, 2], strides: [2, 1], padding: 'valid', activation: 'relu' } },
        { class_name: 'ZeroPadding2D', config: { name: 'zp2', padding: 1 } },
        { class_name: 'MaxPooling2D', config: { name: 'mp', pool_size: [3, 3], strides: [1, 1] } },
        { class_name: 'ZeroPadding2D', config: { name: 'zp3', padding: [0, 1] } },
        { class_name: 'AveragePooling2D', config: { name: 'ap', pool_size: [2, 2], strides: [1, 1] } },
        {
          class_name: 'ZeroPadding2D',
          config: {
            name: 'zp4',
            padding: [
              [1, 0],
              [0, 1],
            ],
          },
        },
        { class_name: 'DepthwiseConv2D', config: { name: 'dw', kernel_size: [2, 2], padding: 'valid' } },
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'fc', units: 4 } },
      ],
      [
        { name: 'c1/kernel', shape: [3, 2, 2, 3] },
        { name: 'c1/bias', shape: [3] },
        { name: 'dw/depthwise_kernel', shape: [2, 2, 3, 1] },
        { name: 'dw/bias', shape: [3] },
        { name: 'fc/kernel', shape: [3 * 8 * 3, 4] },
        { name: 'fc/bias', shape: [4] },
      ],
    );
    const { model, report } = importTfjs(files);
    const byName = new Map(model.architecture.layers.map((l) => [l.name, l]));
    expect(byName.get('c1')).toMatchObject({ kind: 'conv2d', padding: { top: 2, bottom: 0, left: 1, right: 1 } });
    expect(byName.get('mp')).toMatchObject({ kind: 'maxPool2d', padding: { top: 1, bottom: 1, left: 1, right: 1 } });
    expect(byName.get('ap')).toMatchObject({ kind: 'avgPool2d', padding: { top: 0, bottom: 0, left: 1, right: 1 }, countIncludePad: true });
    expect(byName.get('dw')).toMatchObject({ kind: 'depthwiseConv2d', padding: { top: 1, bottom: 0, left: 0, right: 1 } });
    expect(report.layers.find((l) => l.name === 'c1')!.from).toEqual(['zp1', 'c1']);
    await expectSameAsTfjs(files, [7, 6, 2]);
  });

  it('BatchNormalization on a vector folds forward into the Dense after it (after a Flatten, after a ReLU) — and tfjs agrees', async () => {
    const bnW = (name: string, n: number) => [
      { name: `${name}/gamma`, shape: [n] },
      { name: `${name}/beta`, shape: [n] },
      { name: `${name}/moving_mean`, shape: [n] },
      // Variances must be positive: 0.5 … 1.5.
      { name: `${name}/moving_variance`, shape: [n], values: Array.from({ length: n }, (_, i) => 0.5 + ((i * 7) % n) / n) },
    ];
    const files = handwritten(
      [
        { class_name: 'Conv2D', config: { name: 'c1', filters: 2, kernel_size: 3, batch_input_shape: [null, 5, 5, 1] } },
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'BatchNormalization', config: { name: 'bn1', epsilon: 0.001 } },
        { class_name: 'Dropout', config: { name: 'drop', rate: 0.5 } },
        { class_name: 'Dense', config: { name: 'fc1', units: 6, activation: 'relu' } },
        { class_name: 'BatchNormalization', config: { name: 'bn2', epsilon: 0.01, center: false } },
        { class_name: 'Dense', config: { name: 'fc2', units: 3, use_bias: false } },
      ],
      [
        { name: 'c1/kernel', shape: [3, 3, 1, 2] },
        { name: 'c1/bias', shape: [2] },
        ...bnW('bn1', 18),
        { name: 'fc1/kernel', shape: [18, 6] },
        { name: 'fc1/bias', shape: [6] },
        ...bnW('bn2', 6).filter((w) => !w.name.endsWith('beta')),
        { name: 'fc2/kernel', shape: [6, 3] },
      ],
    );
    const { model, report } = importTfjs(files);
    expect(model.architecture.layers.map((l) => l.kind)).toEqual(['conv2d', 'flatten', 'dense', 'relu', 'dense']);
    expect(report.layers.find((l) => l.name === 'fc2')!.from).toEqual(['bn2', 'fc2']);
    expect(report.notes.join('\n')).toMatch(/BatchNormalization 'bn1' on the flat vector before 'fc1' was folded forward into it/);
    await expectSameAsTfjs(files, [5, 5, 1]);
  });

  it('DepthwiseConv2D with depth_multiplier 3 (+ BatchNormalization folded) and SeparableConv2D with depth_multiplier 2 — and tfjs agrees', async () => {
    const files = handwritten(
      [
        {
          class_name: 'DepthwiseConv2D',
          config: { name: 'dw', kernel_size: [3, 2], strides: [2, 1], padding: 'same', depth_multiplier: 3, batch_input_shape: [null, 7, 6, 2] },
        },
        { class_name: 'BatchNormalization', config: { name: 'bn', epsilon: 0.001 } },
        { class_name: 'ReLU', config: { name: 'r' } },
        { class_name: 'SeparableConv2D', config: { name: 'sep', filters: 4, kernel_size: 3, depth_multiplier: 2, activation: 'relu' } },
        { class_name: 'Flatten', config: { name: 'flat' } },
        { class_name: 'Dense', config: { name: 'fc', units: 3 } },
      ],
      [
        { name: 'dw/depthwise_kernel', shape: [3, 2, 2, 3] },
        { name: 'dw/bias', shape: [6] },
        { name: 'bn/gamma', shape: [6] },
        { name: 'bn/beta', shape: [6] },
        { name: 'bn/moving_mean', shape: [6] },
        { name: 'bn/moving_variance', shape: [6], values: [0.5, 0.7, 0.9, 1.1, 1.3, 1.5] },
        { name: 'sep/depthwise_kernel', shape: [3, 3, 6, 2] },
        { name: 'sep/pointwise_kernel', shape: [1, 1, 12, 4] },
        { name: 'sep/bias', shape: [4] },
        { name: 'fc/kernel', shape: [2 * 4 * 4, 3] },
        { name: 'fc/bias', shape: [3] },
      ],
    );
    const { model } = importTfjs(files);
    const byName = new Map(model.architecture.layers.map((l) => [l.name, l]));
    expect(byName.get('dw')).toMatchObject({ kind: 'depthwiseConv2d', multiplier: 3 });
    expect(byName.get('sep_depthwise')).toMatchObject({ kind: 'depthwiseConv2d', multiplier: 2 });
    expect(byName.get('sep_pointwise')).toMatchObject({ kind: 'conv2d', filters: 4 });
    await expectSameAsTfjs(files, [7, 6, 2]);
  });
});
