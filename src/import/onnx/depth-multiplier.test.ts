/**
 * A Conv with group = input channels and M·C output channels (a depthwise
 * conv with channel multiplier M) imports as the lab's depthwiseConv2d with
 * `multiplier: M`: ONNX's output channel order (group c holds outputs
 * c·M … c·M + M − 1) is the lab's. Checked against ONNX Runtime running the
 * original graph, with a BatchNormalization folded into it.
 */
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSameAsOrt } from '../../export/ort-test-helpers.ts';
import { configureOrtWasm } from '../../peers/ort-runner.ts';
import { importOnnx } from './index.ts';
import { buildOnnx, int, ints, tensor } from './test-helpers.ts';

beforeAll(() => configureOrtWasm(ort, { numThreads: 1 }));

const positive = (name: string, n: number) => ({ name, dims: [n], values: Array.from({ length: n }, (_, i) => 0.25 + ((i * 13) % n) / n) });

describe('Conv with a depth multiplier', () => {
  for (const [c, m] of [
    [4, 2],
    [3, 3],
  ]) {
    it(`group ${c}, ${c * m} output channels (M = ${m}), pads and stride 2, BN folded: the lab matches ONNX Runtime`, async () => {
      const cm = c * m;
      const bytes = buildOnnx({
        nodes: [
          {
            op: 'Conv',
            name: 'dw',
            inputs: ['input', 'w1', 'b1'],
            outputs: ['c'],
            attrs: [int('group', c), ints('strides', [2, 2]), ints('pads', [1, 0, 1, 2])],
          },
          { op: 'BatchNormalization', name: 'bn', inputs: ['c', 'g', 'be', 'mu', 'v'], outputs: ['n'] },
          { op: 'Relu', name: 'relu', inputs: ['n'], outputs: ['r'] },
          { op: 'Flatten', name: 'flat', inputs: ['r'], outputs: ['f'] },
          { op: 'Gemm', name: 'fc', inputs: ['f', 'w2', 'b2'], outputs: ['logits'], attrs: [int('transB', 1)] },
        ],
        inits: [
          tensor('w1', [cm, 1, 3, 3], 2),
          tensor('b1', [cm], 3),
          tensor('g', [cm], 4),
          tensor('be', [cm], 5),
          tensor('mu', [cm], 6),
          positive('v', cm),
          tensor('w2', [5, cm * 4 * 3], 7),
          tensor('b2', [5], 8),
        ],
        input: ['N', c, 7, 6],
        inputName: 'input',
      });
      const { model } = importOnnx(bytes);
      expect(model.architecture.layers[0]).toMatchObject({ kind: 'depthwiseConv2d', multiplier: m, kernel: [3, 3], stride: [2, 2] });
      expect(model.weights[`${model.architecture.layers[0].name}.weight`].length).toBe(9 * cm);
      const n = 3;
      const x = Float32Array.from({ length: n * 7 * 6 * c }, (_, i) => Math.sin(i * 0.37));
      await expectSameAsOrt(ort, bytes, model, x, n, [7, 6, c]);
    });
  }
});
