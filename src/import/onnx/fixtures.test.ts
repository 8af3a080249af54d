// Full models built with the ONNX project's Python API (scripts/fixtures/make-onnx-fixtures.py,
// committed under test-fixtures/onnx): the lab's CPU reference on the imported model must match
// the script's independent numpy outputs and ONNX Runtime on the original file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelForward } from '../../cpu/forward.ts';
import { validateModel } from '../../model/model.ts';
import { configureOrtWasm } from '../../peers/ort-runner.ts';
import { importOnnx } from './import.ts';

const DIR = join(import.meta.dirname, '../../../test-fixtures/onnx');

interface Expected {
  models: Record<string, { file: string; batch: number; inputNCHW: number[]; output: number[] }>;
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected;

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, label: string, tol = 1e-4): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (err > tol * (1 + Math.abs(want[i]))) throw new Error(`${label}: index ${i}: got ${got[i]}, want ${want[i]} (|err| ${err})`);
  }
}

async function ortRun(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const results = await session.run({ input: new ort.Tensor('float32', input, dims) });
    return new Float32Array((await results.output.getData()) as Float32Array);
  } finally {
    await session.release();
  }
}

beforeAll(() => configureOrtWasm(ort, { numThreads: 1 }));

describe('ONNX import of full models (python3-onnx fixtures)', () => {
  const cases: { name: string; onnxDims: (b: number) => number[]; map: (y: Float32Array) => number[] }[] = [
    { name: 'lenet', onnxDims: (b) => [b, 1, 28, 28], map: (y) => Array.from(y) },
    // The lab's softmax for the file's LogSoftmax: compare log-probabilities.
    { name: 'mlp', onnxDims: (b) => [b, 1, 28, 28], map: (y) => Array.from(y, Math.log) },
    { name: 'separable', onnxDims: (b) => [b, 28, 28, 1], map: (y) => Array.from(y) },
    { name: 'gap', onnxDims: (b) => [b, 1, 28, 28], map: (y) => Array.from(y) },
  ];
  for (const c of cases) {
    it(`${c.name}: lab CPU reference = numpy reference = ONNX Runtime`, async () => {
      const e = expected.models[c.name];
      const bytes = new Uint8Array(readFileSync(join(DIR, e.file)));
      const { model, report } = importOnnx(bytes, { expectInput: [28, 28, 1] });
      validateModel(model);
      // One channel: NCHW and NHWC hold the same bytes.
      const x = Float32Array.from(e.inputNCHW);
      const y = modelForward(model, x, e.batch);
      expectClose(c.map(y), e.output, `${c.name} vs numpy`);
      const fromOrt = await ortRun(bytes, x, c.onnxDims(e.batch));
      const ortCmp = c.name === 'mlp' ? Array.from(fromOrt) : fromOrt;
      expectClose(c.map(y), ortCmp, `${c.name} vs ONNX Runtime`);
      expect(report.format).toBe('onnx');
      expect(model.provenance).toMatchObject({ source: 'imported', format: 'onnx', opset: report.opset });
    });
  }

  it('lenet: report, provenance, preprocessing, BN folding and the flatten reorder', () => {
    const { model, report } = importOnnx(new Uint8Array(readFileSync(join(DIR, 'lenet.onnx'))));
    // Written by the ONNX Python API in PyTorch's layout, and named so (not as PyTorch).
    expect(report.producer).toEqual({ name: 'compression-lab fixture (PyTorch layout)', version: 'onnx 1.12.0' });
    expect(report.opset).toBe(9);
    expect(model.architecture.inputShape).toEqual([28, 28, 1]);
    expect(model.architecture.preprocess?.label).toBe('(x − 0.1307) / 0.3081');
    expect(model.architecture.preprocess?.scale).toBeCloseTo(1 / 0.3081, 5);
    expect(model.architecture.preprocess?.offset).toBeCloseTo(-0.1307 / 0.3081, 5);
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
    ]);
    expect(model.architecture.layers[3]).toMatchObject({ name: 'conv2_Conv', padding: 'same', bias: true });
    expect(report.layers[3]).toEqual({ name: 'conv2_Conv', kind: 'conv2d', from: ['/conv2/Conv', '/bn/BatchNormalization'] });
    expect(report.notes.join('\n')).toMatch(/BatchNormalization '\/bn\/BatchNormalization' \(epsilon 0\.001\) was folded into 'conv2_Conv'/);
    expect(report.notes.join('\n')).toMatch(/'\/fc1\/Gemm' follows a flatten of a 8×6×6 tensor: its 288 input columns were reordered/);
    expect(model.provenance?.sourceNodes).toMatchObject({ conv2_Conv: ['/conv2/Conv', '/bn/BatchNormalization'], fc2_Gemm: ['/fc2/Gemm'] });
    expect(model.provenance).toMatchObject({ producer: 'compression-lab fixture (PyTorch layout)', producerVersion: 'onnx 1.12.0', opset: 9 });
  });

  it('mlp: dropped Dropout and Identity, MatMul+Add as dense, LogSoftmax noted, x · 2 − 1', () => {
    const { model, report } = importOnnx(new Uint8Array(readFileSync(join(DIR, 'mlp.onnx'))), { name: 'my mlp' });
    expect(model.architecture.name).toBe('my-mlp');
    expect(model.architecture.layers.map((l) => l.kind)).toEqual(['flatten', 'dense', 'relu', 'dense', 'softmax']);
    expect(report.dropped.map((d) => d.op)).toEqual(['Dropout', 'Identity']);
    expect(report.layers[1].from).toEqual(['/fc1/MatMul', '/fc1/Add']);
    expect(report.notes.join('\n')).toMatch(/LogSoftmax '\/LogSoftmax' was imported as the lab's softmax/);
    expect(model.architecture.preprocess).toMatchObject({ scale: 2, offset: -1, label: 'x · 2 − 1' });
  });

  it('separable: NHWC input with its Transpose, depthwise conv with folded BN, no flatten reorder after the NHWC transpose', () => {
    const { model, report } = importOnnx(new Uint8Array(readFileSync(join(DIR, 'separable.onnx'))));
    expect(report.producer?.name).toBe('compression-lab fixture (tf2onnx layout)');
    expect(model.architecture.layers.map((l) => l.kind)).toEqual([
      'conv2d',
      'relu',
      'depthwiseConv2d',
      'relu',
      'conv2d',
      'relu',
      'avgPool2d',
      'flatten',
      'dense',
      'softmax',
    ]);
    expect(model.architecture.layers[0]).toMatchObject({ padding: 'same', stride: [2, 2] });
    expect(report.dropped.map((d) => d.name)).toEqual(['transpose_in', 'transpose_out']);
    expect(report.notes.join('\n')).not.toMatch(/reordered/);
    expect(model.architecture.preprocess).toBeUndefined();
  });

  it('gap: stand-alone BatchNormalizations as 1×1 depthwise convs named after them, GlobalAveragePool as a 26×26 average pool', () => {
    const { model, report } = importOnnx(new Uint8Array(readFileSync(join(DIR, 'gap.onnx'))), { expectInput: [28, 28, 1] });
    expect(report.opset).toBe(15);
    expect(model.architecture.layers).toEqual([
      { name: 'bn0_BatchNormalization', kind: 'depthwiseConv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
      { name: 'conv_Conv', kind: 'conv2d', filters: 8, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
      { name: 'Relu', kind: 'relu' },
      { name: 'bn1_BatchNormalization', kind: 'depthwiseConv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
      { name: 'gap_GlobalAveragePool', kind: 'avgPool2d', window: [26, 26], stride: [26, 26] },
      { name: 'Flatten', kind: 'flatten' },
      { name: 'fc_Gemm', kind: 'dense', units: 10, bias: true },
    ]);
    expect(model.architecture.preprocess).toBeUndefined();
    expect(model.weights['bn0_BatchNormalization.weight']).toHaveLength(1);
    expect(model.weights['bn1_BatchNormalization.bias']).toHaveLength(8);
    expect(report.layers[0].from).toEqual(['/bn0/BatchNormalization']);
    const notes = report.notes.join('\n');
    expect(notes).toMatch(
      /BatchNormalization '\/bn0\/BatchNormalization' \(epsilon 0\.00001\) has no Conv\/Gemm\/MatMul right before it to fold into: it became the 1×1 depthwise conv 'bn0_BatchNormalization'/,
    );
    expect(notes).toMatch(
      /GlobalAveragePool '\/gap\/GlobalAveragePool' on a 26×26 input became the avgPool2d 'gap_GlobalAveragePool' with window = stride = \[26, 26\]/,
    );
    expect(notes).not.toMatch(/reordered/);
  });

  it('refuses an input that is not what the flow expects, naming it', () => {
    const bytes = new Uint8Array(readFileSync(join(DIR, 'lenet.onnx')));
    expect(() => importOnnx(bytes, { expectInput: [32, 32, 3] })).toThrow("input 'input' is [batch,1,28,28]; the lab's flows need a 32×32 3-channel image");
  });
});
