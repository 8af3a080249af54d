/**
 * A BatchNormalization of a flat tensor with no Gemm/MatMul right before it
 * (after a Flatten, after a Relu) folds forward into the Gemm/MatMul right
 * after it. Checked against ONNX Runtime running the original graph.
 */
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSameAsOrt } from '../../export/ort-test-helpers.ts';
import { configureOrtWasm } from '../../peers/ort-runner.ts';
import { importOnnx } from './index.ts';
import { buildOnnx, int, tensor } from './test-helpers.ts';

beforeAll(() => configureOrtWasm(ort, { numThreads: 1 }));

const positive = (name: string, n: number) => ({ name, dims: [n], values: Array.from({ length: n }, (_, i) => 0.25 + ((i * 13) % n) / n) });

describe('BatchNormalization of a vector folds forward', () => {
  it('Conv → Flatten → BN → Gemm, Relu → BN → MatMul + Add: the lab matches ONNX Runtime', async () => {
    const bytes = buildOnnx({
      nodes: [
        { op: 'Conv', name: 'conv', inputs: ['input', 'w1', 'b1'], outputs: ['c'] },
        { op: 'Flatten', name: 'flat', inputs: ['c'], outputs: ['f'] },
        { op: 'BatchNormalization', name: 'bn1', inputs: ['f', 'g1', 'be1', 'm1', 'v1'], outputs: ['n1'] },
        { op: 'Gemm', name: 'fc1', inputs: ['n1', 'w2', 'b2'], outputs: ['h'], attrs: [int('transB', 1)] },
        { op: 'Relu', name: 'relu', inputs: ['h'], outputs: ['rh'] },
        { op: 'BatchNormalization', name: 'bn2', inputs: ['rh', 'g2', 'be2', 'm2', 'v2'], outputs: ['n2'] },
        { op: 'MatMul', name: 'fc2', inputs: ['n2', 'w3'], outputs: ['o'] },
        { op: 'Add', name: 'fc2_bias', inputs: ['o', 'b3'], outputs: ['logits'] },
      ],
      inits: [
        tensor('w1', [2, 1, 3, 3]),
        tensor('b1', [2], 2),
        tensor('g1', [32], 3),
        tensor('be1', [32], 4),
        tensor('m1', [32], 5),
        positive('v1', 32),
        tensor('w2', [5, 32], 6),
        tensor('b2', [5], 7),
        tensor('g2', [5], 8),
        tensor('be2', [5], 9),
        tensor('m2', [5], 10),
        positive('v2', 5),
        tensor('w3', [5, 3], 11),
        tensor('b3', [3], 12),
      ],
      input: ['N', 1, 6, 6],
      inputName: 'input',
    });
    const { model, report } = importOnnx(bytes);
    expect(model.architecture.layers.map((l) => l.kind)).toEqual(['conv2d', 'flatten', 'dense', 'relu', 'dense']);
    expect(report.layers.find((l) => l.kind === 'dense')!.from).toEqual(['bn1', 'fc1']);
    expect(report.notes.join('\n')).toMatch(/BatchNormalization 'bn2' on the flat tensor before 'fc2' was folded forward into it/);
    // The flatten of [2, 4, 4] is in (c, h, w) order in ONNX: the fold must happen before the lab reorders the columns.
    const n = 4;
    const x = Float32Array.from({ length: n * 36 }, (_, i) => Math.sin(i * 0.7));
    await expectSameAsOrt(ort, bytes, model, x, n, [6, 6, 1]);
  });
});

describe('BatchNormalization of a vector between two nonlinearities lifts the tail to a 1×1 image', () => {
  it('Gemm → Relu → BN → Relu → Gemm → Tanh → BN → Softmax: a conv over the whole image, 1×1 convs, 1×1 depthwise convs, and ORT’s outputs', async () => {
    const bytes = buildOnnx({
      nodes: [
        { op: 'Conv', name: 'conv', inputs: ['input', 'w1', 'b1'], outputs: ['c'] },
        { op: 'Flatten', name: 'flat', inputs: ['c'], outputs: ['f'] },
        { op: 'Gemm', name: 'fc1', inputs: ['f', 'w2', 'b2'], outputs: ['h'], attrs: [int('transB', 1)] },
        { op: 'Relu', name: 'r1', inputs: ['h'], outputs: ['rh'] },
        { op: 'BatchNormalization', name: 'bn1', inputs: ['rh', 'g1', 'be1', 'm1', 'v1'], outputs: ['n1'] },
        { op: 'Relu', name: 'r2', inputs: ['n1'], outputs: ['rn'] },
        { op: 'MatMul', name: 'fc2', inputs: ['rn', 'w3'], outputs: ['o'] },
        { op: 'Add', name: 'fc2_bias', inputs: ['o', 'b3'], outputs: ['ob'] },
        { op: 'Tanh', name: 't', inputs: ['ob'], outputs: ['to'] },
        { op: 'BatchNormalization', name: 'bn2', inputs: ['to', 'g2', 'be2', 'm2', 'v2'], outputs: ['n2'] },
        { op: 'Softmax', name: 'sm', inputs: ['n2'], outputs: ['logits'], attrs: [int('axis', 1)] },
      ],
      inits: [
        tensor('w1', [2, 1, 3, 3]),
        tensor('b1', [2], 2),
        tensor('w2', [6, 32], 3),
        tensor('b2', [6], 4),
        tensor('g1', [6], 5),
        tensor('be1', [6], 6),
        tensor('m1', [6], 7),
        positive('v1', 6),
        tensor('w3', [6, 4], 8),
        tensor('b3', [4], 9),
        tensor('g2', [4], 10),
        tensor('be2', [4], 11),
        tensor('m2', [4], 12),
        positive('v2', 4),
      ],
      input: ['N', 1, 6, 6],
      inputName: 'input',
    });
    const { model, report } = importOnnx(bytes);
    const layers = model.architecture.layers;
    expect(layers.map((l) => l.kind)).toEqual([
      'conv2d',
      'conv2d',
      'relu',
      'depthwiseConv2d',
      'relu',
      'conv2d',
      'activation',
      'depthwiseConv2d',
      'flatten',
      'softmax',
    ]);
    expect(layers[1]).toMatchObject({ name: 'fc1', kernel: [4, 4], filters: 6, padding: 'valid' });
    expect(layers[5]).toMatchObject({ name: 'fc2', kernel: [1, 1], filters: 4 });
    expect(report.layers.map((l) => l.kind)).toEqual(layers.map((l) => l.kind));
    expect(report.layers[1].from).toEqual(['flat', 'fc1']);
    expect(report.notes.join('\n')).toMatch(/BatchNormalization 'bn1' acts on a flat vector between two nonlinearities.*'fc1' \(4×4 kernel on \[4, 4, 2\]\)/);
    const n = 5;
    const x = Float32Array.from({ length: n * 36 }, (_, i) => Math.cos(i * 0.37));
    await expectSameAsOrt(ort, bytes, model, x, n, [6, 6, 1]);
  });

  it('a BatchNormalization ending the chain after a Gemm and a Relu: the lab flattens after it', async () => {
    const bytes = buildOnnx({
      nodes: [
        { op: 'Flatten', name: 'flat', inputs: ['input'], outputs: ['f'] },
        { op: 'Gemm', name: 'fc', inputs: ['f', 'w', 'b'], outputs: ['h'], attrs: [int('transB', 1)] },
        { op: 'LeakyRelu', name: 'lr', inputs: ['h'], outputs: ['lh'] },
        { op: 'BatchNormalization', name: 'bn', inputs: ['lh', 'g', 'be', 'm', 'v'], outputs: ['logits'] },
      ],
      inits: [tensor('w', [3, 16], 1), tensor('b', [3], 2), tensor('g', [3], 3), tensor('be', [3], 4), tensor('m', [3], 5), positive('v', 3)],
      input: ['N', 1, 4, 4],
      inputName: 'input',
    });
    const { model } = importOnnx(bytes);
    expect(model.architecture.layers.map((l) => l.kind)).toEqual(['conv2d', 'activation', 'depthwiseConv2d', 'flatten']);
    const n = 3;
    const x = Float32Array.from({ length: n * 16 }, (_, i) => Math.sin(i * 1.3));
    await expectSameAsOrt(ort, bytes, model, x, n, [4, 4, 1]);
  });
});
