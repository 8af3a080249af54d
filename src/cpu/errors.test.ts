import { describe, it, expect } from 'vitest';
import { lenet5 } from '../model/architectures.ts';
import type { Layer } from '../model/layers.ts';
import { initModel } from '../model/model.ts';
import { layerBackward, modelBackward } from './backward.ts';
import { layerForward, modelForward, modelForwardAll } from './forward.ts';
import { argmax, softmax, softmaxCrossEntropy } from './loss.ts';
import { conv2d, dense, pool } from './test-helpers.ts';

const zeros = (n: number): Float32Array => new Float32Array(n);

describe('layer argument errors name the layer', () => {
  const conv = conv2d({ name: 'conv7', filters: 2, kernel: [3, 3], bias: true });
  const ok = { weight: zeros(2 * 3 * 3 * 1), bias: zeros(2) };

  it('wrong input length', () => {
    // batch 2 × [5, 5, 1] needs 50 values
    expect(() => layerForward(conv, zeros(49), [5, 5, 1], 2, ok)).toThrow(/layer 'conv7' \(conv2d\): input has 49 values, expected 50/);
    expect(() => layerForward({ kind: 'relu', name: 'relu3' }, zeros(5), [2, 3], 1, {})).toThrow(/relu3.*input has 5 values, expected 6/);
    expect(() => layerForward(pool('maxPool2d', [2, 2], [2, 2], 'pool9'), zeros(3), [2, 2, 1], 1, {})).toThrow(/pool9/);
  });

  it('missing or mis-sized weight and bias', () => {
    expect(() => layerForward(conv, zeros(25), [5, 5, 1], 1, { bias: zeros(2) })).toThrow(/conv7.*'conv7\.weight' is missing/);
    expect(() => layerForward(conv, zeros(25), [5, 5, 1], 1, { weight: zeros(17), bias: zeros(2) })).toThrow(
      /conv7.*'conv7\.weight' has 17 values, expected 18/,
    );
    expect(() => layerForward(conv, zeros(25), [5, 5, 1], 1, { weight: zeros(18) })).toThrow(/conv7.*'conv7\.bias' is missing/);
    expect(() => layerForward(conv, zeros(25), [5, 5, 1], 1, { weight: zeros(18), bias: zeros(3) })).toThrow(/conv7.*'conv7\.bias' has 3 values/);
    expect(() => layerForward(dense(2, false, 'fc4'), zeros(3), [3], 1, { weight: zeros(6), bias: zeros(2) })).toThrow(/fc4.*declares no bias/);
  });

  it('an input shape the layer cannot take', () => {
    expect(() => layerForward(dense(2, true, 'fc5'), zeros(12), [2, 2, 3], 1, { weight: zeros(24), bias: zeros(2) })).toThrow(/fc5/);
    expect(() => layerForward(conv, zeros(4), [2, 2, 1], 1, ok)).toThrow(/conv7.*larger than/);
  });

  it('bad batch', () => {
    expect(() => layerForward(conv, zeros(0), [5, 5, 1], 0, ok)).toThrow(/conv7.*batch must be a positive integer/);
    expect(() => layerForward(conv, zeros(25), [5, 5, 1], 1.5, ok)).toThrow(/conv7.*batch/);
  });

  it('backward: wrong output or dOutput length', () => {
    const layer: Layer = { kind: 'softmax', name: 'sm' };
    const x = zeros(4);
    const y = layerForward(layer, x, [4], 1, {});
    expect(() => layerBackward(layer, x, [4], 1, {}, y, zeros(3))).toThrow(/layer 'sm' \(softmax\): dOutput has 3 values, expected 4/);
    expect(() => layerBackward(layer, x, [4], 1, {}, zeros(5), y)).toThrow(/sm.*forward output has 5 values/);
    expect(() => layerBackward(conv, zeros(24), [5, 5, 1], 1, ok, zeros(18), zeros(18))).toThrow(/conv7.*input has 24/);
  });
});

describe('model argument errors', () => {
  const model = initModel(lenet5(), 1);

  it('wrong input length names the model and its first layer', () => {
    expect(() => modelForward(model, zeros(784), 2)).toThrow(/model 'lenet5': input to layer 'conv1' \(conv2d\) has 784 values, expected 1568/);
    expect(() => modelForwardAll(model, zeros(783), 1)).toThrow(/conv1/);
  });

  it('a missing tensor is named', () => {
    const broken = { ...model, weights: { ...model.weights } };
    delete broken.weights['fc1.bias'];
    expect(() => modelForward(broken, zeros(784), 1)).toThrow(/layer 'fc1' \(dense\): tensor 'fc1\.bias' is missing/);
  });

  it('modelBackward checks the activations it is given', () => {
    const x = zeros(784);
    const acts = modelForwardAll(model, x, 1);
    expect(() => modelBackward(model, x, 1, acts.slice(1), zeros(10))).toThrow(/7 activations given for 8 layers/);
    expect(() => modelBackward(model, x, 1, acts, zeros(9))).toThrow(/dLogits has 9 values.*'fc2'/);
    const badActs = acts.slice();
    badActs[3] = zeros(5);
    expect(() => modelBackward(model, x, 1, badActs, zeros(10))).toThrow(
      /activations\[3\] \(output of layer 'pool2' \(maxPool2d\)\) has 5 values, expected 800/,
    );
  });
});

describe('loss argument errors', () => {
  it('sizes, labels, soft targets and temperature are checked', () => {
    const z = zeros(6);
    expect(() => softmaxCrossEntropy(z, 2, 4, { labels: [0, 1] })).toThrow(/logits have 6 values, expected batch 2 × 4 classes = 8/);
    expect(() => softmaxCrossEntropy(z, 2, 3, {})).toThrow(/labels and\/or/);
    expect(() => softmaxCrossEntropy(z, 2, 3, { labels: [0] })).toThrow(/1 labels for a batch of 2/);
    expect(() => softmaxCrossEntropy(z, 2, 3, { labels: [0, 3] })).toThrow(/label 1 is 3/);
    expect(() => softmaxCrossEntropy(z, 2, 3, { labels: [0, 1.5] })).toThrow(/label 1 is 1.5/);
    expect(() => softmaxCrossEntropy(z, 2, 3, { soft: zeros(5) })).toThrow(/soft targets have 5 values/);
    expect(() => softmaxCrossEntropy(z, 2, 3, { soft: new Float32Array([1, 0, 0, 0.5, 0.2, 0.2]) })).toThrow(/row 1 sum to 0.9/);
    expect(() => softmaxCrossEntropy(z, 2, 3, { soft: new Float32Array([1, 0, 0, -0.5, 1, 0.5]) })).toThrow(/\[1, 0\] is -0.5/);
    expect(() => softmaxCrossEntropy(z, 2, 3, { labels: [0, 1] }, 0)).toThrow(/temperature/);
    expect(() => softmax(z, 2, 3, -1)).toThrow(/temperature/);
    expect(() => argmax(z, 4, 2)).toThrow(/argmax: logits have 6 values/);
  });
});
