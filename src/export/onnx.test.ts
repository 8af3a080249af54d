/**
 * The ONNX exporter, checked three ways: the bytes decode back to the graph
 * we meant (same schema as the importer), ONNX Runtime (onnxruntime-web's
 * wasm CPU provider, in Node) runs them to the lab's own answers on real test
 * images, and the ONNX project's checker (Debian's python3-onnx) accepts them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../compress/pipeline.ts';
import { int8ModelForward } from '../cpu/quantized.ts';
import { modelForward } from '../cpu/forward.ts';
import { toFloatBatch } from '../data/dataset.ts';
import type { Dataset } from '../data/dataset.ts';
import { loadDataset } from '../data/node-loader.ts';
import { calibrateInt8 } from '../engine/int8.ts';
import { readModelFile } from '../engine/node.ts';
import { importFiles } from '../import/index.ts';
import type { DecodedAttribute, DecodedOnnx } from '../import/onnx/schema.ts';
import { decodeOnnx, ONNX_DTYPE } from '../import/onnx/schema.ts';
import { architecture } from '../model/architectures.ts';
import type { Model } from '../model/model.ts';
import { configureOrtWasm, createOrtSession } from '../peers/ort-runner.ts';
import { importedArchitecture, multiplierArchitecture, oddArchitecture, testModel } from '../peers/test-cases.ts';
import { exportOnnx } from './onnx.ts';
import { ortKernelsRun } from './ort-test-helpers.ts';

const attr = (node: DecodedOnnx['graph']['node'][number], name: string): DecodedAttribute => {
  const a = node.attribute.find((x) => x.name === name);
  if (!a) throw new Error(`node ${node.name} has no attribute ${name}`);
  return a;
};
const dims = (vi: DecodedOnnx['graph']['input'][number]) => vi.type!.tensorType!.shape!.dim.map((d) => d.dimParam ?? d.dimValue);
const floatsOf = (raw: Uint8Array | undefined): Float32Array => {
  if (!raw) throw new Error('initializer without raw_data');
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
};
const ops = (onnx: DecodedOnnx) => onnx.graph.node.map((n) => n.opType);
const node = (onnx: DecodedOnnx, name: string) => {
  const n = onnx.graph.node.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
};

/** Bitwise-equal float arrays (vitest's deep toEqual is slow on 400k elements). */
const sameFloats = (a: Float32Array | undefined, b: Float32Array): boolean => !!a && a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** Every node input is the graph input, an initializer or an earlier node's output; every output is read. */
function expectWellFormed(onnx: DecodedOnnx): void {
  const known = new Set(['input', ...onnx.graph.initializer.map((t) => t.name)]);
  const read = new Set<string>(['logits']);
  for (const n of onnx.graph.node) {
    for (const i of n.input) {
      expect(known.has(i), `${n.name} reads ${i}`).toBe(true);
      read.add(i);
    }
    for (const o of n.output) known.add(o);
  }
  for (const n of onnx.graph.node) for (const o of n.output) expect(read.has(o), `${n.name}'s output ${o} is read`).toBe(true);
  expect(new Set(onnx.graph.node.map((n) => n.name)).size, 'node names are unique').toBe(onnx.graph.node.length);
}

describe('exportOnnx: the bytes decode back to the graph we meant', () => {
  it('lenet5: header, NCHW interface, op sequence named by the lab layers, initializer shapes, provenance', () => {
    const model = testModel(architecture('lenet5'), 1);
    model.provenance = { source: 'trained', testAccuracy: 0.991, pipeline: 'prune:sparsity=0.5' };
    const onnx = decodeOnnx(exportOnnx(model));
    expect(onnx.irVersion).toBe(8);
    expect(onnx.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(onnx.producerName).toBe('compression-lab');
    // NCHW throughout: no Transpose at the input nor before the flatten (the dense columns are reordered instead).
    expect(ops(onnx)).toEqual(['Conv', 'MaxPool', 'Conv', 'MaxPool', 'Flatten', 'Gemm', 'Relu', 'Gemm']);
    expect(onnx.graph.node.map((n) => n.name)).toEqual(['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'fc1', 'relu1', 'fc2']);
    expect(Object.fromEntries(onnx.graph.initializer.map((t) => [t.name, t.dims]))).toEqual({
      'conv1.weight': [20, 1, 5, 5],
      'conv1.bias': [20],
      'conv2.weight': [50, 20, 5, 5],
      'conv2.bias': [50],
      'fc1.weight': [500, 800],
      'fc1.bias': [500],
      'fc2.weight': [10, 500],
      'fc2.bias': [10],
    });
    for (const t of onnx.graph.initializer) expect(t.dataType).toBe(ONNX_DTYPE.FLOAT);
    expect(onnx.graph.input.map((v) => v.name)).toEqual(['input']);
    expect(onnx.graph.output.map((v) => v.name)).toEqual(['logits']);
    expect(dims(onnx.graph.input[0])).toEqual(['N', 1, 28, 28]);
    expect(dims(onnx.graph.output[0])).toEqual(['N', 10]);
    expect(attr(node(onnx, 'flatten'), 'axis').i).toBe(1);
    expect(attr(node(onnx, 'fc1'), 'transB').i).toBe(1);
    const meta = Object.fromEntries((onnx as unknown as { metadataProps: { key: string; value: string }[] }).metadataProps.map((p) => [p.key, p.value]));
    expect(meta).toMatchObject({ source: 'trained', testAccuracy: '0.991', pipeline: 'prune:sparsity=0.5', 'compression-lab.architecture': 'lenet5' });
    expectWellFormed(onnx);
  });

  it('conv weights go [outC,kH,kW,inC] → [outC,inC,kH,kW]; the first dense after the flatten gets its columns in (c, h, w) order', () => {
    const model = testModel(architecture('lenet5'), 2);
    const onnx = decodeOnnx(exportOnnx(model));
    const byName = new Map(onnx.graph.initializer.map((t) => [t.name, floatsOf(t.rawData)]));
    const src = model.weights['conv2.weight']; // [50, 5, 5, 20]
    const dst = byName.get('conv2.weight')!; // [50, 20, 5, 5]
    for (const [o, y, x, i] of [
      [0, 0, 0, 0],
      [3, 1, 4, 7],
      [49, 4, 2, 19],
      [17, 2, 3, 11],
    ]) {
      expect(dst[((o * 20 + i) * 5 + y) * 5 + x]).toBe(src[((o * 5 + y) * 5 + x) * 20 + i]);
    }
    // fc1 reads pool2's [4, 4, 50]: lab column (h·4 + w)·50 + c is ONNX column (c·4 + h)·4 + w.
    const fc1 = byName.get('fc1.weight')!;
    for (const [o, h, w, c] of [
      [0, 0, 0, 1],
      [7, 3, 2, 49],
      [499, 1, 3, 20],
    ]) {
      expect(fc1[o * 800 + (c * 4 + h) * 4 + w]).toBe(model.weights['fc1.weight'][o * 800 + (h * 4 + w) * 50 + c]);
    }
    expect(sameFloats(byName.get('fc2.weight'), model.weights['fc2.weight'])).toBe(true);
    expect(sameFloats(byName.get('fc2.bias'), model.weights['fc2.bias'])).toBe(true);
  });

  it('depthwise becomes a grouped Conv with [C,1,kH,kW] weights; same padding explicit pads with the odd pixel after', () => {
    const model = testModel(oddArchitecture(), 3);
    const onnx = decodeOnnx(exportOnnx(model));
    const dw = node(onnx, 'dw');
    expect(dw.opType).toBe('Conv');
    expect(attr(dw, 'group').i).toBe(4);
    expect(attr(dw, 'kernel_shape').ints).toEqual([3, 2]);
    expect(attr(dw, 'strides').ints).toEqual([2, 1]);
    const init = onnx.graph.initializer.find((t) => t.name === 'dw.weight')!;
    expect(init.dims).toEqual([4, 1, 3, 2]);
    const src = model.weights['dw.weight']; // [3, 2, 4]
    const dst = floatsOf(init.rawData);
    for (let c = 0; c < 4; c++) for (let y = 0; y < 3; y++) for (let x = 0; x < 2; x++) expect(dst[(c * 3 + y) * 2 + x]).toBe(src[(y * 2 + x) * 4 + c]);
    // Hand-computed in oddArchitecture(): [top, left, bottom, right].
    expect(attr(node(onnx, 'c1'), 'pads').ints).toEqual([1, 1, 2, 1]);
    expect(attr(dw, 'pads').ints).toEqual([0, 0, 1, 1]);
    expect(attr(node(onnx, 'c2'), 'pads').ints).toEqual([0, 0, 0, 0]);
    expect(ops(onnx)).toEqual(['Conv', 'Relu', 'Conv', 'Conv', 'MaxPool', 'AveragePool', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'Softmax']);
    // Bias-free layers pass no C / B input.
    expect(node(onnx, 'c2').input).toHaveLength(2);
    expect(node(onnx, 'fc2').input).toHaveLength(2);
    expect(attr(node(onnx, 'sm'), 'axis').i).toBe(-1);
    expect(dims(onnx.graph.input[0])).toEqual(['N', 2, 15, 13]);
  });

  it('explicit conv and pool pads are written as given (count_include_pad too); activations become Clip(0, 6), LeakyRelu(alpha), Sigmoid, Tanh', () => {
    const onnx = decodeOnnx(exportOnnx(testModel(importedArchitecture(), 4)));
    expect(attr(node(onnx, 'c1'), 'pads').ints).toEqual([2, 1, 0, 2]);
    expect(attr(node(onnx, 'dw'), 'pads').ints).toEqual([0, 1, 1, 0]);
    expect(['a1', 'a2', 'a3', 'a4'].map((n) => node(onnx, n).opType)).toEqual(['LeakyRelu', 'Clip', 'Sigmoid', 'Tanh']);
    expect(attr(node(onnx, 'a1'), 'alpha').f).toBeCloseTo(0.125, 7);
    expect(node(onnx, 'a2').input).toHaveLength(3);
    expect(attr(node(onnx, 'mp'), 'pads').ints).toEqual([1, 1, 1, 1]);
    expect(attr(node(onnx, 'apx'), 'pads').ints).toEqual([0, 1, 1, 0]);
    expect(attr(node(onnx, 'apx'), 'count_include_pad').i).toBe(0);
    expect(attr(node(onnx, 'api'), 'count_include_pad').i).toBe(1);
    expectWellFormed(onnx);
  });

  it('the preprocessing is baked in as Mul then Add on the input', () => {
    const model = testModel(architecture('lenet-300-100'), 5);
    model.architecture = { ...model.architecture, preprocess: { scale: 1 / 0.3081, offset: -0.1307 / 0.3081, label: '(x − 0.1307) / 0.3081' } };
    const onnx = decodeOnnx(exportOnnx(model, { batch: 7 }));
    expect(ops(onnx)).toEqual(['Mul', 'Add', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm']);
    expect(node(onnx, 'preprocess_scale').input[0]).toBe('input');
    const scalar = (name: string) => floatsOf(onnx.graph.initializer.find((t) => t.name === name)!.rawData)[0];
    expect(scalar('preprocess.scale')).toBe(Math.fround(1 / 0.3081));
    expect(scalar('preprocess.offset')).toBe(Math.fround(-0.1307 / 0.3081));
    // A fixed batch is written as a number.
    expect(dims(onnx.graph.input[0])).toEqual([7, 1, 28, 28]);
    expect(dims(onnx.graph.output[0])).toEqual([7, 10]);
  });

  it('rejects a bad batch, a missing or mis-sized weight and a foreign int8 model, naming them; leaves the model untouched', () => {
    const model = testModel(architecture('article-net'), 6);
    expect(() => exportOnnx(model, { batch: 0 })).toThrow(/batch/);
    const missing = { ...model, weights: { ...model.weights } };
    delete missing.weights['fc1.bias'];
    expect(() => exportOnnx(missing)).toThrow(/fc1\.bias/);
    const short = { ...model, weights: { ...model.weights, 'conv2.weight': new Float32Array(3) } };
    expect(() => exportOnnx(short)).toThrow(/conv2\.weight/);
    const before = Object.fromEntries(Object.entries(model.weights).map(([k, v]) => [k, v.slice()]));
    exportOnnx(model);
    for (const [k, v] of Object.entries(before)) expect(sameFloats(model.weights[k], v), k).toBe(true);
  });
});

/** Test images and the models of the runtime tests, loaded once. */
let test: Dataset;
let train: Dataset;
const IMAGES = 1000;
const bundled = (name: string): Promise<Model> => readModelFile(`models/${name}.safetensors`).then((r) => r.model);

function argmax(logits: Float32Array, i: number, classes = 10): number {
  let best = 0;
  for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
  return best;
}
function agreement(a: Float32Array, b: Float32Array, n: number): number {
  let same = 0;
  for (let i = 0; i < n; i++) if (argmax(a, i) === argmax(b, i)) same++;
  return same / n;
}
function accuracy(logits: Float32Array, ds: Dataset, n: number): number {
  let right = 0;
  for (let i = 0; i < n; i++) if (argmax(logits, i) === ds.labels[i]) right++;
  return right / n;
}
async function runOrt(bytes: Uint8Array, x: Float32Array, n: number): Promise<Float32Array> {
  const runner = await createOrtSession(ort, bytes, 'wasm');
  try {
    return await runner.run(x, n);
  } finally {
    await runner.dispose();
  }
}

beforeAll(async () => {
  configureOrtWasm(ort, { numThreads: 1 });
  [test, train] = await Promise.all([loadDataset('mnist', 'test'), loadDataset('mnist', 'train')]);
});

describe('ONNX Runtime runs the exports to the lab engine’s answers (1,000 MNIST test images)', () => {
  for (const name of ['lenet5', 'lenet-300-100', 'lenet5-separable', 'article-net']) {
    it(`${name}: fp32 agrees on ≥ 99.9 %; int8 (QDQ) agrees with the lab's integer engine on ≥ 99.5 %, is ~4× smaller`, async () => {
      const model = await bundled(name);
      const x = toFloatBatch(test, 0, IMAGES);
      const fp32 = exportOnnx(model);
      expect(agreement(await runOrt(fp32, x, IMAGES), modelForward(model, x, IMAGES), IMAGES)).toBeGreaterThanOrEqual(0.999);
      const { int8 } = calibrateInt8(model, train);
      const q = exportOnnx(model, { int8 });
      const ortInt8 = await runOrt(q, x, IMAGES);
      const lab = int8ModelForward(int8, x, IMAGES).logits;
      expect(agreement(ortInt8, lab, IMAGES)).toBeGreaterThanOrEqual(0.995);
      expect(Math.abs(accuracy(ortInt8, test, IMAGES) - accuracy(lab, test, IMAGES))).toBeLessThanOrEqual(0.002);
      // Weights are 1 byte instead of 4; per-channel scales, int32 biases and the graph stay. The tiny article-net is
      // dominated by those, the others are not.
      expect(fp32.length / q.length).toBeGreaterThan(name === 'article-net' ? 2.5 : 3.5);
    });
  }

  it('a pruned + k-means model exports as its decoded float weights and agrees; preprocessing baked in agrees too', async () => {
    const { model } = await runPipeline(await bundled('lenet5'), 'prune:sparsity=0.8 | kmeans:bits=4');
    expect(model.encodings?.['conv2.weight']?.kind).toBe('codebook');
    const x = toFloatBatch(test, 0, IMAGES);
    expect(agreement(await runOrt(exportOnnx(model), x, IMAGES), modelForward(model, x, IMAGES), IMAGES)).toBeGreaterThanOrEqual(0.999);
    // The same net fed (x − 0.1307) / 0.3081 by a baked-in map gives the same answers as the lab applying it itself.
    const mapped: Model = { ...model, architecture: { ...model.architecture, preprocess: { scale: 2, offset: -1 } } };
    expect(agreement(await runOrt(exportOnnx(mapped), x, IMAGES), modelForward(mapped, x, IMAGES), IMAGES)).toBeGreaterThanOrEqual(0.999);
  });

  it('ORT fuses the int8 graph into integer kernels: QLinearConv, QGemm and int8 max pooling, no float Conv or Gemm', async () => {
    const model = await bundled('lenet5');
    const { int8 } = calibrateInt8(model, train, { images: 64 });
    const ran = await ortKernelsRun(ort, exportOnnx(model, { int8 }), toFloatBatch(test, 0, 1), [1, 1, 28, 28]);
    expect(ran.length, 'the profiler reported kernels').toBeGreaterThan(0);
    expect(ran.filter((op) => op === 'QLinearConv')).toHaveLength(2);
    expect(ran.filter((op) => op === 'QGemm')).toHaveLength(2);
    expect(ran.some((op) => /MaxPool/.test(op))).toBe(true);
    expect(ran).not.toContain('Conv');
    expect(ran).not.toContain('Gemm');
  });
});

describe('round trip and the ONNX checker', () => {
  it('lab → ONNX → lab (the importer) gives identical predictions and the same preprocessing', async () => {
    const model = await bundled('lenet5');
    const mapped: Model = { ...model, architecture: { ...model.architecture, preprocess: { scale: 1 / 0.3081, offset: -0.1307 / 0.3081 } } };
    for (const m of [model, mapped]) {
      const back = importFiles([{ name: 'lenet5.onnx', bytes: exportOnnx(m) }], { expectInput: [28, 28, 1] }).model;
      expect(back.architecture.preprocess?.scale ?? 1).toBeCloseTo(m.architecture.preprocess?.scale ?? 1, 5);
      expect(back.architecture.preprocess?.offset ?? 0).toBeCloseTo(m.architecture.preprocess?.offset ?? 0, 5);
      const n = 300; // the CPU reference runs both models
      const x = toFloatBatch(test, 0, n);
      const want = modelForward(m, x, n);
      const got = modelForward(back, x, n);
      expect(agreement(got, want, n)).toBe(1);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst).toBeLessThan(1e-4);
    }
  });

  const dir = mkdtempSync(join(tmpdir(), 'onnx-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('python3-onnx’s full checker accepts the fp32 and the int8 export', async () => {
    const model = await bundled('lenet5-separable');
    const { int8 } = calibrateInt8(model, train, { images: 64 });
    const files = [join(dir, 'fp32.onnx'), join(dir, 'int8.onnx')];
    writeFileSync(files[0], exportOnnx(model));
    writeFileSync(files[1], exportOnnx(model, { int8 }));
    const script = 'import sys, onnx\nfor f in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(f), full_check=True)\n    print("ok", f)';
    const r = spawnSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8' });
    expect(r.error, 'python3 with the onnx package (apt python3-onnx) must be installed').toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
  });
});

describe('a depthwise channel multiplier exports as a grouped Conv with C·M outputs', () => {
  /** dw M=2 (1 → 2 channels) + relu, dw M=3 (2 → 6) + relu6, dense: both multipliers through the fp32 and the int8 export. */
  const multiplierModel = (): Model => testModel(multiplierArchitecture(), 5);

  it('group = C, weight [C·M, 1, kH, kW]; ONNX Runtime gives the lab’s logits (fp32) and codes’ logits (int8); the importer reads it back', async () => {
    const model = multiplierModel();
    const fp32 = exportOnnx(model);
    const onnx = decodeOnnx(fp32);
    const dw2 = node(onnx, 'dw2');
    expect(attr(dw2, 'group').i).toBe(2);
    const init = onnx.graph.initializer.find((t) => t.name === 'dw2.weight')!;
    expect(init.dims).toEqual([6, 1, 3, 3]);
    const src = model.weights['dw2.weight']; // [3, 3, 6]
    const dst = floatsOf(init.rawData);
    for (let o = 0; o < 6; o++) for (let k = 0; k < 9; k++) expect(dst[o * 9 + k]).toBe(src[k * 6 + o]);
    const n = 200;
    const x = toFloatBatch(test, 0, n);
    const want = modelForward(model, x, n);
    const got = await runOrt(fp32, x, n);
    expect(got.length).toBe(want.length);
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-4 + 1e-4 * Math.abs(want[i]));
    const { int8 } = calibrateInt8(model, train, { images: 64 });
    const lab = int8ModelForward(int8, x, n).logits;
    expect(agreement(await runOrt(exportOnnx(model, { int8 }), x, n), lab, n)).toBeGreaterThanOrEqual(0.99);
    const back = importFiles([{ name: 'dw.onnx', bytes: fp32 }], { expectInput: [28, 28, 1] }).model;
    // On one input channel group 1 = group C: dw1 reads back as the conv2d with 2 filters it equals.
    expect(back.architecture.layers.find((l) => l.name === 'dw1')).toMatchObject({ kind: 'conv2d', filters: 2 });
    expect(back.architecture.layers.find((l) => l.name === 'dw2')).toMatchObject({ kind: 'depthwiseConv2d', multiplier: 3 });
    const again = modelForward(back, x, n);
    for (let i = 0; i < again.length; i++) expect(Math.abs(again[i] - want[i])).toBeLessThan(1e-4 + 1e-4 * Math.abs(want[i]));
  });
});
