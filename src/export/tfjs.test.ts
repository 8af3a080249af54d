/**
 * The TF.js Layers export, loaded by @tensorflow/tfjs 4.22 itself (cpu
 * backend) and run on the first 1,000 MNIST test images against the lab's
 * CPU reference: every bundled trained model, a pruned + k-means one, one
 * with an input preprocessing, and one with every activation and
 * explicit-pad form; the uint8 and float16 shards; the round trip back
 * through the lab's TF.js importer; and the refusals.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../compress/pipeline.ts';
import { modelForward } from '../cpu/forward.ts';
import { importTfjs } from '../import/tfjs/index.ts';
import { hwioToOhwi, inOutToOutIn } from '../import/tfjs/layout.ts';
import { argmaxRows, mnist } from '../import/tfjs/test-helpers.ts';
import { ARCHITECTURES } from '../model/architectures.ts';
import { parseModel } from '../model/format.ts';
import type { Architecture } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { initModel } from '../model/model.ts';
import { allTestModels, multiplierArchitecture, testModel } from '../peers/test-cases.ts';
import { tfjsFilesHandler } from '../peers/tfjs-model.ts';
import type { TfjsExportOptions } from './tfjs.ts';
import { LAB_VERSION, TFJS_SHARD_BYTES, exportTfjs, quantizeUint8 } from './tfjs.ts';
import type { ExportResult } from './types.ts';

const COUNT = 1000;
let test: Awaited<ReturnType<typeof mnist>>;

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  await tf.ready();
  test = await mnist('test', COUNT);
});

/** A bundled trained model, read once (so its CPU reference is computed once too). */
const bundledModels = new Map<string, Model>();
function bundled(name: string): Model {
  let m = bundledModels.get(name);
  if (!m) bundledModels.set(name, (m = parseModel(readFileSync(new URL(`../../models/${name}.safetensors`, import.meta.url)), `${name}.safetensors`)));
  return m;
}

/** The lab's CPU reference on the test images, computed once per model. */
const references = new Map<Model, Float32Array>();
function reference(model: Model): Float32Array {
  let r = references.get(model);
  if (!r) references.set(model, (r = modelForward(model, test.x, COUNT)));
  return r;
}

async function load(ex: ExportResult): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tfjsFilesHandler(tf, ex.files));
}

/** TF.js's output of LeNet-5's float32 export on the test images, computed once (the cpu backend takes seconds). */
let lenetFloat: Promise<Float32Array> | undefined;
function lenetFloatOutput(): Promise<Float32Array> {
  lenetFloat ??= (async () => {
    const m = await load(exportTfjs(bundled('lenet5')));
    const out = run(m);
    m.dispose();
    return out;
  })();
  return lenetFloat;
}

/** TF.js's output on the test images. */
function run(m: tf.LayersModel, x: Float32Array = test.x, count = COUNT): Float32Array {
  const [h, w, c] = m.inputs[0].shape.slice(1) as number[];
  return tf.tidy(() => (m.predict(tf.tensor4d(x, [count, h, w, c]), { batchSize: count }) as tf.Tensor).dataSync() as Float32Array);
}

/** Top-1 agreement, the largest |difference| and the largest |reference|, accuracy of each against the labels. */
function compare(got: Float32Array, want: Float32Array, classes = 10) {
  const a = argmaxRows(got, classes);
  const b = argmaxRows(want, classes);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  const acc = (p: number[]) => p.filter((v, i) => v === test.labels[i]).length / a.length;
  return { agreement: a.filter((v, i) => v === b[i]).length / a.length, worst, scale, acc: acc(a), refAcc: acc(b) };
}

/** ≥ 99.9 % top-1 agreement and float-tolerance logits (1e-4 of the largest logit, i.e. summation-order differences only). */
function expectAgrees(r: ReturnType<typeof compare>, label: string): void {
  expect(r.agreement, `${label}: top-1 agreement`).toBeGreaterThanOrEqual(0.999);
  expect(r.worst, `${label}: largest |logit difference| (largest logit ${r.scale})`).toBeLessThanOrEqual(1e-4 * Math.max(1, r.scale));
}

const modelJson = (ex: ExportResult) => JSON.parse(new TextDecoder().decode(ex.files[0].bytes));

/** LeNet-300-100 with the (x − 0.1307) / 0.3081 normalisation as its preprocessing and fc1 compensating it, so it still reads digits. */
function withPreprocess(m: Model): Model {
  const [scale, offset] = [1 / 0.3081, -0.1307 / 0.3081];
  // x = (x' − offset) / scale, so w' = w / scale and b' = b − Σ w'·offset.
  const w = m.weights['fc1.weight'].map((v) => v / scale);
  const b = m.weights['fc1.bias'].slice();
  for (let o = 0; o < 300; o++) for (let i = 0; i < 784; i++) b[o] -= w[o * 784 + i] * offset;
  return {
    ...m,
    architecture: { ...m.architecture, name: 'lenet-300-100-normalized', preprocess: { scale, offset, label: '(x − 0.1307) / 0.3081' } },
    weights: { ...m.weights, 'fc1.weight': w, 'fc1.bias': b },
  };
}

/** MNIST-shaped, with every activation and pad form the export writes: explicit and 'same'-equal pads, fused and stand-alone activations. */
function kindsArchitecture(): Architecture {
  return {
    name: 'kinds',
    inputShape: [28, 28, 1],
    layers: [
      // Pads no 'same' gives: a ZeroPadding2D first. 28×28 → 14×15.
      { kind: 'conv2d', name: 'c1', filters: 6, kernel: [3, 3], stride: [2, 2], padding: { top: 2, bottom: 0, left: 1, right: 2 }, bias: true },
      { kind: 'activation', name: 'a1', fn: 'leakyRelu', alpha: 0.1 },
      // Pads equal to 'same': written as 'same', relu6 fused.
      { kind: 'depthwiseConv2d', name: 'dw', kernel: [3, 3], stride: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 }, bias: true },
      { kind: 'activation', name: 'a2', fn: 'relu6' },
      // Not 'same' (that would be top 0, bottom 1), but after relu6 a zero pad never wins: ZeroPadding2D. → 7×8.
      { kind: 'maxPool2d', name: 'mp', window: [3, 3], stride: [2, 2], padding: { top: 1, bottom: 0, left: 1, right: 1 } },
      { kind: 'conv2d', name: 'c2', filters: 12, kernel: [3, 3], stride: [1, 1], padding: 'same', bias: false },
      { kind: 'activation', name: 'a3', fn: 'sigmoid' },
      // Pads counted: ZeroPadding2D then a 'valid' average. → 7×8.
      { kind: 'avgPool2d', name: 'api', window: [2, 2], stride: [1, 1], padding: { top: 1, bottom: 0, left: 0, right: 1 }, countIncludePad: true },
      // Pads left out and equal to 'same': 'same'. → 4×4.
      { kind: 'avgPool2d', name: 'apx', window: [3, 3], stride: [2, 2], padding: { top: 1, bottom: 1, left: 0, right: 1 }, countIncludePad: false },
      { kind: 'activation', name: 't1', fn: 'tanh' },
      { kind: 'relu', name: 'r1' },
      { kind: 'flatten', name: 'flat' },
      { kind: 'dense', name: 'fc1', units: 32, bias: true },
      { kind: 'activation', name: 'a4', fn: 'leakyRelu', alpha: 0.2 },
      { kind: 'dense', name: 'fc2', units: 10, bias: true },
      { kind: 'softmax', name: 'sm' },
    ],
  };
}

describe('TF.js export of the bundled models runs in tfjs 4.22 as in the lab', () => {
  for (const name of Object.keys(ARCHITECTURES)) {
    it(`${name}: loads, agrees with the CPU reference on ${COUNT} MNIST test images, and imports back identically`, async () => {
      const model = bundled(name);
      const ex = exportTfjs(model);
      const want = reference(model);
      let got: Float32Array;
      if (name === 'lenet5') got = await lenetFloatOutput();
      else {
        const m = await load(ex);
        got = run(m);
        m.dispose();
      }
      const r = compare(got, want);
      expectAgrees(r, name);
      expect(r.acc).toBeGreaterThan(0.95);
      console.info(
        `${name}: ${ex.bytes} bytes, agreement ${r.agreement}, max |Δlogit| ${r.worst.toExponential(2)} (largest ${r.scale.toFixed(1)}), accuracy ${r.acc}`,
      );

      // Lab → TF.js → lab through the lab's own importer: the same computation.
      const back = importTfjs(ex.files, { expectInput: [28, 28, 1] }).model;
      expect(back.architecture.preprocess).toBeUndefined();
      const again = compare(modelForward(back, test.x, COUNT), want);
      expect(again.agreement).toBe(1);
      expect(again.worst).toBe(0);
    });
  }
});

describe('TF.js export: what it writes', () => {
  it('model.json is a tfjs 4.22 Sequential layers-model with the lab names, the input shape and the provenance', async () => {
    const model = bundled('lenet5');
    const ex = exportTfjs(model);
    expect(ex.format).toBe('tfjs');
    expect(ex.files.map((f) => f.name)).toEqual(['model.json', 'group1-shard1of1.bin']);
    expect(ex.bytes).toBe(ex.files[0].bytes.length + ex.files[1].bytes.length);
    // 431,080 float32 parameters.
    expect(ex.files[1].bytes.length).toBe(431_080 * 4);
    const json = modelJson(ex);
    expect(json).toMatchObject({ format: 'layers-model', generatedBy: `compression-lab ${LAB_VERSION}`, convertedBy: null });
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(LAB_VERSION).toBe(pkg.version);
    expect(json.modelTopology).toMatchObject({ class_name: 'Sequential', keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' });
    const layers = json.modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[];
    expect(json.modelTopology.config.name).toBe('lenet5');
    expect(layers.map((l) => `${l.config.name}:${l.class_name}`)).toEqual([
      'conv1:Conv2D',
      'pool1:MaxPooling2D',
      'conv2:Conv2D',
      'pool2:MaxPooling2D',
      'flatten:Flatten',
      'fc1:Dense',
      'fc2:Dense',
    ]);
    expect(layers[0].config).toMatchObject({ batch_input_shape: [null, 28, 28, 1], dtype: 'float32', kernel_size: [5, 5], padding: 'valid' });
    expect(layers[5].config.activation).toBe('relu');
    expect(json.weightsManifest).toEqual([
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'conv1/kernel', shape: [5, 5, 1, 20], dtype: 'float32' },
          { name: 'conv1/bias', shape: [20], dtype: 'float32' },
          { name: 'conv2/kernel', shape: [5, 5, 20, 50], dtype: 'float32' },
          { name: 'conv2/bias', shape: [50], dtype: 'float32' },
          { name: 'fc1/kernel', shape: [800, 500], dtype: 'float32' },
          { name: 'fc1/bias', shape: [500], dtype: 'float32' },
          { name: 'fc2/kernel', shape: [500, 10], dtype: 'float32' },
          { name: 'fc2/bias', shape: [10], dtype: 'float32' },
        ],
      },
    ]);
    // tfjs reads userDefinedMetadata back: the provenance and where each lab layer went.
    const m = await load(ex);
    const meta = m.getUserDefinedMetadata() as { compressionLab: Record<string, unknown> };
    expect(meta.compressionLab).toMatchObject({ architecture: 'lenet5', inputShape: [28, 28, 1], preprocess: null, weights: 'float32' });
    expect(meta.compressionLab.provenance).toMatchObject({ source: 'trained', testAccuracy: model.provenance!.testAccuracy });
    expect(meta.compressionLab.layers).toContainEqual({ name: 'relu1', kind: 'relu', tfjs: 'fc1', how: 'fused activation' });
    // The weights tfjs holds are the lab's, transposed: conv1 [20, 5, 5, 1] → [5, 5, 1, 20].
    const kernel = m.getLayer('conv1').getWeights()[0].dataSync();
    expect(kernel[(2 * 5 + 3) * 20 + 7]).toBe(model.weights['conv1.weight'][7 * 25 + 2 * 5 + 3]);
    m.dispose();
    expect(ex.keeps.join(' ')).toMatch(/431,080 parameters\) as float32/);
    expect(ex.loses).toEqual([]);
    expect(ex.loses.join(' ')).not.toMatch(/Sparsity/);
  });

  it('a preprocessing becomes a Rescaling layer first; tfjs applies it and the importer reads it back', async () => {
    const model = withPreprocess(bundled('lenet-300-100'));
    const ex = exportTfjs(model);
    const layers = modelJson(ex).modelTopology.config.layers;
    expect(layers[0]).toMatchObject({ class_name: 'Rescaling', config: { scale: 1 / 0.3081, offset: -0.1307 / 0.3081, batch_input_shape: [null, 28, 28, 1] } });
    expect(layers[1].config.batch_input_shape).toBeUndefined();
    const m = await load(ex);
    expect(m.layers[0].getClassName()).toBe('Rescaling');
    const r = compare(run(m), reference(model));
    m.dispose();
    expectAgrees(r, 'lenet-300-100 + preprocess');
    // Still reads digits: the preprocessing was applied (without it the compensated fc1 would be far off).
    expect(r.acc).toBeGreaterThan(0.95);
    expect(ex.keeps.join(' ')).toMatch(/preprocessing x · 3\.24\d+ \+ -0\.42\d+ \(\(x − 0\.1307\) \/ 0\.3081\) as a Rescaling layer first/);
    const back = importTfjs(ex.files).model;
    expect(back.architecture.preprocess).toMatchObject({ scale: model.architecture.preprocess!.scale, offset: model.architecture.preprocess!.offset });
    const again = compare(modelForward(back, test.x, COUNT), reference(model));
    expect([again.agreement, again.worst]).toEqual([1, 0]);
  });

  it('every activation and pad form (ZeroPadding2D, same, fused and stand-alone activations, LeakyReLU) runs as in the lab', async () => {
    const model = testModel(kindsArchitecture(), 3);
    const ex = exportTfjs(model);
    const layers = modelJson(ex).modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[];
    expect(layers.map((l) => `${l.config.name}:${l.class_name}${typeof l.config.activation === 'string' ? `(${l.config.activation})` : ''}`)).toEqual([
      'c1_pad:ZeroPadding2D',
      'c1:Conv2D(linear)',
      'a1:LeakyReLU',
      'dw:DepthwiseConv2D(relu6)',
      'mp_pad:ZeroPadding2D',
      'mp:MaxPooling2D',
      'c2:Conv2D(sigmoid)',
      'api_pad:ZeroPadding2D',
      'api:AveragePooling2D',
      'apx:AveragePooling2D',
      't1:Activation(tanh)',
      'r1:Activation(relu)',
      'flat:Flatten',
      'fc1:Dense(linear)',
      'a4:LeakyReLU',
      'fc2:Dense(softmax)',
    ]);
    expect(layers[0].config).toMatchObject({
      padding: [
        [2, 0],
        [1, 2],
      ],
      batch_input_shape: [null, 28, 28, 1],
    });
    expect(layers[3].config.padding).toBe('same');
    expect(layers[9].config.padding).toBe('same');
    const m = await load(ex);
    const r = compare(run(m), reference(model));
    m.dispose();
    expectAgrees(r, 'kinds');
    // And back: the importer reads the ZeroPadding2D layers as the explicit pads they came from.
    const back = importTfjs(ex.files).model;
    const again = compare(modelForward(back, test.x, COUNT), reference(model));
    expect(again.agreement).toBe(1);
    expect(again.worst).toBeLessThan(1e-5);
    // The peers' odd shapes too (random inputs): strided 'same' with odd totals, a trailing unread column, no biases.
    for (const odd of [allTestModels()[4]]) {
      const x = new Float32Array(50 * 15 * 13 * 2).map((_, i) => Math.sin(i * 0.37));
      const om = await load(exportTfjs(odd));
      const got = run(om, x, 50);
      om.dispose();
      const want = modelForward(odd, x, 50);
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-5);
    }
  });

  it('a pruned + k-means model exports its decoded float weights (zeros stored densely) and runs as in the lab', async () => {
    const base = bundled('lenet-300-100');
    const { model } = await runPipeline(base, 'prune:sparsity=0.7 | kmeans:bits=5 | huffman');
    const ex = exportTfjs(model);
    expect(ex.files[1].bytes.length).toBe(266_610 * 4);
    const m = await load(ex);
    const r = compare(run(m), reference(model));
    expectAgrees(r, 'pruned + k-means');
    const fc1 = m.getLayer('fc1').getWeights()[0].dataSync();
    expect(fc1.filter((v) => v === 0).length / fc1.length).toBeGreaterThanOrEqual(0.69);
    expect(new Set(fc1).size).toBeLessThanOrEqual(32);
    m.dispose();
    const loses = ex.loses.join(' ');
    expect(loses).toMatch(/huffman\(codebook k=\d+ \(\d-bit indices\)\)/);
    expect(loses).toMatch(/1,066,440 weight bytes here against [\d,]+ in the lab's file/);
    expect(loses).toMatch(/Sparsity is kept only as zeros: 69\.9 % of the weights are 0/);
    const meta = modelJson(ex).userDefinedMetadata.compressionLab;
    expect(meta.provenance.pipeline).toBe('prune:sparsity=0.7 | kmeans:bits=5 | huffman');
    expect(meta.encodings['fc1.weight']).toMatch(/^huffman\(codebook k=/);
    console.info(`pruned + k-means LeNet-300-100: accuracy ${r.acc} in tfjs (lab ${r.refAcc}), ${loses}`);
    const back = importTfjs(ex.files, { expectInput: [28, 28, 1] }).model;
    const again = compare(modelForward(back, test.x, COUNT), reference(model));
    expect([again.agreement, again.worst]).toEqual([1, 0]);
  });
});

describe('TF.js export: uint8 and float16 weights, as the tfjs converter quantizes them', () => {
  it('LeNet-5 as float32, uint8 and float16: sizes, accuracy, and the values tfjs decodes', async () => {
    const model = bundled('lenet5');
    const want = reference(model);
    const rows: string[] = [];
    const results: Record<string, ReturnType<typeof compare> & { shard: number }> = {};
    for (const quantize of [undefined, 'uint8', 'float16'] as const) {
      const ex = exportTfjs(model, { quantize });
      const m = await load(ex);
      const r = { ...compare(quantize ? run(m) : await lenetFloatOutput(), want), shard: ex.files[1].bytes.length };
      results[quantize ?? 'float32'] = r;
      rows.push(
        `${quantize ?? 'float32'}: shard ${r.shard} B, accuracy ${r.acc} (lab fp32 ${r.refAcc}), agreement ${r.agreement}, max |Δlogit| ${r.worst.toFixed(4)}`,
      );
      if (quantize) {
        // tfjs's decoded weights are the quantized values: within half a step (uint8) or float16 rounding of the lab's.
        const spec = modelJson(ex).weightsManifest[0].weights.find((s: { name: string }) => s.name === 'fc1/kernel');
        const got = m.getLayer('fc1').getWeights()[0].dataSync();
        const lab = model.weights['fc1.weight'];
        let worst = 0;
        for (let o = 0; o < 500; o += 7) for (let i = 0; i < 800; i += 3) worst = Math.max(worst, Math.abs(got[i * 500 + o] - lab[o * 800 + i]));
        if (quantize === 'uint8') {
          expect(spec.quantization).toMatchObject({ dtype: 'uint8', original_dtype: 'float32' });
          expect(worst).toBeLessThanOrEqual(spec.quantization.scale / 2 + 1e-7);
        } else {
          expect(spec.quantization).toEqual({ dtype: 'float16', original_dtype: 'float32' });
          expect(worst).toBeLessThan(1e-3);
        }
        // The lab's importer decodes every weight to the very float32 values tfjs holds.
        const back = importTfjs(ex.files).model;
        const held = (layer: string, i: number) => m.getLayer(layer).getWeights()[i].dataSync() as Float32Array;
        const same = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, k) => Object.is(v, y[k]));
        expect(same(back.weights['conv1.weight'], hwioToOhwi(held('conv1', 0), 5, 5, 1, 20))).toBe(true);
        expect(same(back.weights['conv2.weight'], hwioToOhwi(held('conv2', 0), 5, 5, 20, 50))).toBe(true);
        expect(same(back.weights['fc1.weight'], inOutToOutIn(held('fc1', 0), 800, 500))).toBe(true);
        expect(same(back.weights['fc2.weight'], inOutToOutIn(held('fc2', 0), 500, 10))).toBe(true);
        for (const l of ['conv1', 'conv2', 'fc1', 'fc2']) expect(same(back.weights[`${l}.bias`], held(l, 1)), l).toBe(true);
      }
      m.dispose();
    }
    console.info(`LeNet-5 TF.js export, ${COUNT} MNIST test images:\n  ${rows.join('\n  ')}`);
    expect(results.uint8.shard).toBe(431_080);
    expect(results.float16.shard).toBe(431_080 * 2);
    expect(results.float32.shard / results.uint8.shard).toBe(4);
    expect(Math.abs(results.uint8.acc - results.float32.acc)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(results.float16.acc - results.float32.acc)).toBeLessThanOrEqual(0.002);
    expect(results.uint8.agreement).toBeGreaterThanOrEqual(0.99);
    expect(results.float16.agreement).toBeGreaterThanOrEqual(0.998);
  });

  it('uint8 follows quantization.py: range nudged so 0 is exact, round half to even, constant tensors as zeros with scale 1', () => {
    // min −1, max 2: scale 3/255, zero point round(85) = 85, so min stays −85·scale.
    const a = quantizeUint8(new Float32Array([-1, 0, 0.5, 2]));
    expect(a.scale).toBe(3 / 255);
    expect(a.min).toBe(0 - 85 * (3 / 255));
    expect(Array.from(a.q)).toEqual([0, 85, 128, 255]);
    // min −0.1, max 1.2: zero point 0.1 / (1.3/255) = 19.615… → 20, min nudged to −20·scale; values below it clip to q 0.
    const b = quantizeUint8(new Float32Array([-0.1, 0, 1.2]));
    expect(b.scale).toBe((Math.fround(1.2) - Math.fround(-0.1)) / 255);
    expect(b.min).toBe(0 - 20 * b.scale);
    expect(Array.from(b.q)).toEqual([0, 20, 255]);
    expect(b.q[1] * b.scale + b.min).toBe(0);
    // All positive: no nudging, min is the minimum.
    const c = quantizeUint8(new Float32Array([1, 2, 3]));
    expect([c.min, c.scale, Array.from(c.q)]).toEqual([1, 2 / 255, [0, 128, 255]]);
    // Half-way cases round to even: (0.5 + k)·scale.
    const d = quantizeUint8(new Float32Array([0, 255, 0.5, 1.5, 2.5]));
    expect([d.min, d.scale, Array.from(d.q)]).toEqual([0, 1, [0, 255, 0, 2, 2]]);
    // A constant tensor: all zeros, scale 1, min = the value.
    const e = quantizeUint8(new Float32Array([0.25, 0.25]));
    expect([e.min, e.scale, Array.from(e.q)]).toEqual([0.25, 1, [0, 0]]);
  });
});

describe('TF.js export: shards and loading', () => {
  it('splits one weight group at 4 MiB like the converter (or at shardBytes), and tfjs loads the pieces', async () => {
    const arch: Architecture = {
      name: 'mlp-2x1200',
      inputShape: [28, 28, 1],
      layers: [
        { kind: 'flatten', name: 'flatten' },
        { kind: 'dense', name: 'fc1', units: 1200, bias: true },
        { kind: 'relu', name: 'relu1' },
        { kind: 'dense', name: 'fc2', units: 1200, bias: true },
        { kind: 'relu', name: 'relu2' },
        { kind: 'dense', name: 'fc3', units: 10, bias: true },
      ],
    };
    const model = initModel(arch, 2);
    const ex = exportTfjs(model);
    const total = (784 * 1200 + 1200 + 1200 * 1200 + 1200 + 1200 * 10 + 10) * 4;
    expect(ex.files.map((f) => [f.name, f.bytes.length])).toEqual([
      ['model.json', ex.files[0].bytes.length],
      ['group1-shard1of3.bin', TFJS_SHARD_BYTES],
      ['group1-shard2of3.bin', TFJS_SHARD_BYTES],
      ['group1-shard3of3.bin', total - 2 * TFJS_SHARD_BYTES],
    ]);
    const x = test.x.subarray(0, 20 * 784);
    const want = modelForward(model, x, 20);
    for (const e of [ex, exportTfjs(bundled('lenet-300-100'), { shardBytes: 100_000, name: 'small-shards' })]) {
      const m = await load(e);
      const w = e === ex ? want : modelForward(bundled('lenet-300-100'), x, 20);
      const got = run(m, x, 20);
      m.dispose();
      expect(Math.max(...got.map((v, i) => Math.abs(v - w[i])))).toBeLessThan(1e-4);
    }
    const small = exportTfjs(bundled('lenet-300-100'), { shardBytes: 100_000 });
    expect(small.files.length).toBe(1 + Math.ceil((266_610 * 4) / 100_000));
    expect(small.files.at(-1)!.name).toBe('group1-shard11of11.bin');
  });

  it('loads over HTTP with tf.loadLayersModel(url), as a web page would (the snippet the docs show)', async () => {
    const ex = exportTfjs(bundled('lenet5'));
    const server = createServer((req, res) => {
      const file = ex.files.find((f) => `/lenet5/${f.name}` === req.url);
      res.writeHead(file ? 200 : 404, { 'content-type': file?.name.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
      res.end(file ? Buffer.from(file.bytes) : undefined);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lenet5/model.json`;
    try {
      const pixels = Array.from(test.x.subarray(0, 784), (v) => Math.round(v * 255)); // one MNIST digit, 0–255
      // --- the snippet ---
      const model = await tf.loadLayersModel(url);
      const x = tf.tensor4d(
        pixels.map((p) => p / 255),
        [1, 28, 28, 1],
      ); // NHWC, pixel / 255
      const logits = model.predict(x) as tf.Tensor;
      const digit = (await logits.argMax(-1).data())[0];
      // ---
      expect(digit).toBe(test.labels[0]);
      tf.dispose([x, logits]);
      model.dispose();
    } finally {
      server.close();
    }
  });
});

describe('TF.js export: refusals name the layer, tensor or option', () => {
  const lenet = () => allTestModels()[0];

  it('pools whose pads no TF.js layer computes exactly', () => {
    const imported = allTestModels().find((m) => m.architecture.name === 'imported')!;
    expect(() => exportTfjs(imported)).toThrow(
      /exportTfjs: model 'imported', layer 'apx' \(avgPool2d\): average pooling with pads \(top 0, bottom 1, left 1, right 0\) left out of the average has no exact TF\.js Layers form/,
    );
    // A max pool with pads other than 'same' on an input that can be negative (here the raw conv output).
    const arch = kindsArchitecture();
    arch.layers.splice(3, 1); // drop relu6: the max pool now sees the depthwise output
    expect(() => exportTfjs(testModel(arch, 1))).toThrow(/layer 'mp' \(maxPool2d\): max pooling with pads \(top 1, bottom 0, left 1, right 1\).*a zero win/);
  });

  it('a layer kind the lab does not know, a missing, mis-sized or non-finite weight', () => {
    const m = lenet();
    const odd = { ...m, architecture: { ...m.architecture, layers: [...m.architecture.layers, { kind: 'lstm', name: 'rnn' } as never] } };
    expect(() => exportTfjs(odd)).toThrow(/layer 'rnn' has unknown kind "lstm"/);
    const missing = { ...m, weights: { ...m.weights } };
    delete missing.weights['fc2.bias'];
    expect(() => exportTfjs(missing)).toThrow(/exportTfjs: model 'lenet5': tensor 'fc2\.bias' is missing/);
    expect(() => exportTfjs({ ...m, weights: { ...m.weights, 'fc2.bias': new Float32Array(3) } })).toThrow(/'fc2\.bias' has 3 values/);
    const nan = { ...m, weights: { ...m.weights, 'conv1.bias': m.weights['conv1.bias'].map((v, i) => (i === 4 ? NaN : v)) } };
    expect(() => exportTfjs(nan)).toThrow(/'conv1\.bias' holds a non-finite value \(NaN\) at index 4/);
  });

  it('bad options, and a weight beyond float16 range', () => {
    const m = lenet();
    const bad: [TfjsExportOptions, RegExp][] = [
      [{ quantize: 'int8' as never }, /quantize must be 'uint8' or 'float16'.*"int8"/],
      [{ shardBytes: 0 }, /shardBytes must be a positive integer, got 0/],
      [{ shardBytes: 1.5 }, /shardBytes must be a positive integer/],
      [{ name: ' ' }, /name must be a non-empty string/],
    ];
    for (const [opts, msg] of bad) expect(() => exportTfjs(m, opts)).toThrow(msg);
    expect(() => exportTfjs(null as never)).toThrow(/exportTfjs: expected a lab model \{ architecture, weights \}, got null/);
    const big = { ...m, weights: { ...m.weights, 'fc1.bias': m.weights['fc1.bias'].map((v, i) => (i === 9 ? 70000 : v)) } };
    expect(() => exportTfjs(big, { quantize: 'float16' })).toThrow(/weight 'fc1\/bias': value 70000 at index 9 is beyond float16's range/);
    expect(exportTfjs(big, { quantize: 'uint8' }).format).toBe('tfjs');
  });

  it('a lab name TF.js does not allow is rewritten, and said so', async () => {
    const m = lenet();
    const rename = (n: string) => (n === 'fc1' ? 'fc 1/a' : n === 'pool1' ? '_pool' : n);
    const arch = { ...m.architecture, layers: m.architecture.layers.map((l) => ({ ...l, name: rename(l.name) })) };
    const weights = Object.fromEntries(Object.entries(m.weights).map(([k, v]) => [k.replace(/^fc1\./, 'fc 1/a.'), v]));
    const ex = exportTfjs({ ...m, architecture: arch, weights });
    expect(ex.keeps.join(' ')).toMatch(/'_pool' → 'l_pool', 'fc 1\/a' → 'fc_1_a'/);
    const loaded = await load(ex);
    expect(loaded.layers.map((l) => l.name)).toContain('fc_1_a');
    loaded.dispose();
  });
});

afterAll(() => {
  references.clear();
  bundledModels.clear();
});

describe('TF.js export: a depthwise channel multiplier', () => {
  it('DepthwiseConv2D depth_multiplier M with kernel [kH, kW, C, M]: tfjs runs it as the lab does, and it imports back', async () => {
    const model = testModel(multiplierArchitecture(), 5);
    const ex = exportTfjs(model);
    const json = modelJson(ex);
    const layers = json.modelTopology.config.layers as { class_name: string; config: Record<string, unknown> }[];
    const dws = layers.filter((l) => l.class_name === 'DepthwiseConv2D');
    expect(dws.map((l) => l.config.depth_multiplier)).toEqual([2, 3]);
    const specs = json.weightsManifest.flatMap((g: { weights: { name: string; shape: number[] }[] }) => g.weights);
    expect(specs.find((w: { name: string }) => w.name === 'dw2/depthwise_kernel').shape).toEqual([3, 3, 2, 3]);
    const m = await load(ex);
    const r = compare(run(m), reference(model));
    m.dispose();
    expectAgrees(r, 'dw-multiplier');
    const back = importTfjs(ex.files).model;
    expect(back.architecture.layers.filter((l) => l.kind === 'depthwiseConv2d').map((l) => l.multiplier)).toEqual([2, 3]);
    const again = compare(modelForward(back, test.x, COUNT), reference(model));
    expect(again.worst).toBeLessThan(1e-5);
  });
});
