/**
 * A trained model handed over the way a PyTorch user hands it over: the
 * bundled LeNet-5's weights written in PyTorch's ONNX layout by the ONNX
 * project's own Python API (scripts/fixtures/make-trained-onnx.py, Debian
 * python3-onnx), once expecting torchvision-normalised input without saying
 * so, once with the normalisation in the graph. Imported, the lab must find
 * the convention, classify the test set as ONNX Runtime classifies the file,
 * and take the file in every command. Real GPU (SwiftShader under Node).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { configureOrtWasm } from '../peers/ort-runner.ts';
import { loadDataset } from '../data/node-loader.ts';
import { toFloatBatch } from '../data/dataset.ts';
import { runCli } from '../cli/test-helpers.ts';
import { parseModel } from '../model/format.ts';
import { classifySet, score } from './evaluate.ts';
import { createRunner } from './runner.ts';
import { readModelFile, resolveModel } from './node.ts';
import { argmaxRows, mnist, saveArtifacts, toFiles, trainedMlp } from '../import/tfjs/test-helpers.ts';

const PYTHON = '/usr/bin/python3';
let dir: string;
let normalized: string;
let preprocessed: string;
let mlp: string;

beforeAll(() => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install the Debian packages python3-onnx and python3-numpy (.ci/run does)`);
  dir = mkdtempSync(join(tmpdir(), 'lab-onnx-'));
  try {
    execFileSync(PYTHON, ['scripts/fixtures/make-trained-onnx.py', dir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`building the ONNX fixtures failed (needs Debian python3-onnx and python3-numpy): ${String((e as { stderr?: Buffer }).stderr ?? e)}`, {
      cause: e,
    });
  }
  normalized = join(dir, 'lenet5-normalized.onnx');
  preprocessed = join(dir, 'lenet5-preprocessed.onnx');
  mlp = join(dir, 'lenet-300-100-symmetric.onnx');
  configureOrtWasm(ort, { numThreads: 1 });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** ONNX Runtime's classes for the first `n` test images, fed as the file expects (NCHW; `map` applied to pixel / 255). */
async function ortClasses(file: string, n: number, map: (x: number) => number): Promise<Int32Array> {
  const test = await loadDataset('mnist', 'test');
  const session = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
  try {
    const out = new Int32Array(n);
    for (let s = 0; s < n; s += 500) {
      const b = Math.min(500, n - s);
      const x = toFloatBatch(test, s, b).map(map);
      const r = await session.run({ input: new ort.Tensor('float32', x, [b, 1, 28, 28]) });
      const y = (await r.logits.getData()) as Float32Array;
      for (let i = 0; i < b; i++) {
        const row = y.subarray(i * 10, i * 10 + 10);
        out[s + i] = row.indexOf(Math.max(...row));
      }
    }
    return out;
  } finally {
    await session.release();
  }
}

function agreement(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same;
}

describe("trained ONNX models written by the ONNX API in the exporters' layouts", () => {
  it("the lab finds the convention the file doesn't state, and classifies the test images as ONNX Runtime does", async () => {
    const test = await loadDataset('mnist', 'test');
    const r = await readModelFile(normalized);
    expect(r.imported?.choice?.chosen, r.source).toBe('mnist');
    expect(r.model.architecture.preprocess).toMatchObject({ scale: 1 / 0.3081, offset: -0.1307 / 0.3081 });
    expect(r.imported?.report?.notes.join('\n')).toMatch(/reordered from ONNX's \(c, h, w\) order/);
    expect(r.imported?.report?.dropped.map((d) => d.op)).toEqual(['Dropout']);
    // LeNet-5 on the CPU reference is ~2.3 M MACs an image: 1,000 images here, the full test set on the MLP below.
    const n = 1000;
    const runner = await createRunner('cpu', r.model);
    const bundled = await createRunner('cpu', (await resolveModel('lenet5')).model);
    try {
      const lab = await classifySet(runner, test, { limit: n });
      const ortPred = await ortClasses(normalized, n, (v) => (v - 0.1307) / 0.3081);
      expect(agreement(lab, ortPred), `top-1 agreement with ORT on ${n} images`).toBeGreaterThanOrEqual(n - 1);
      // The same weights as the bundled LeNet-5: the same answers.
      expect(Array.from(lab)).toEqual(Array.from(await classifySet(bundled, test, { limit: n })));
    } finally {
      runner.destroy();
      bundled.destroy();
    }
  }, 300_000);

  it('tf2onnx-style MatMul + Add, trained on [−1, 1]: found (a tie in accuracy broken by the loss), and on all 10,000 test images within one error of ONNX Runtime', async () => {
    const test = await loadDataset('mnist', 'test');
    const r = await readModelFile(mlp);
    expect(r.imported?.choice?.chosen, r.source).toBe('symmetric');
    const runner = await createRunner('cpu', r.model);
    try {
      const lab = await classifySet(runner, test);
      const ortPred = await ortClasses(mlp, test.count, (v) => 2 * v - 1);
      const labAcc = score(lab, test);
      const ortAcc = score(ortPred, test);
      expect(Math.abs(labAcc.errors - ortAcc.errors), `lab ${labAcc.errors} errors, ORT ${ortAcc.errors}`).toBeLessThanOrEqual(1);
      expect(agreement(lab, ortPred)).toBeGreaterThanOrEqual(test.count - 2);
      expect(labAcc.accuracy).toBeGreaterThan(0.97);
    } finally {
      runner.destroy();
    }
  }, 300_000);

  it('with the normalisation in the graph: the declared map is kept and the lab input is right as it is', async () => {
    const r = await readModelFile(preprocessed);
    expect(r.imported?.choice?.chosen, r.source).toBe('unit');
    expect(r.model.architecture.preprocess?.scale).toBeCloseTo(1 / 0.3081, 5);
    expect(r.imported?.report?.notes.join('\n')).toMatch(/\/normalize\/Sub/);
  }, 120_000);

  it('CLI: import prints layers, the convention and its scores, the test accuracy; --out writes a lab file that eval takes', async () => {
    const out = join(dir, 'imported.safetensors');
    const r = await runCli('import', normalized, '--json', '--limit', '1000', '--out', out);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.format).toBe('onnx');
    expect(j.opset).toBe(17);
    expect(j.input.chosen).toBe('mnist');
    expect(j.input.scores).toHaveLength(5);
    expect(j.layers.map((l: { kind: string }) => l.kind)).toEqual(['conv2d', 'maxPool2d', 'conv2d', 'maxPool2d', 'flatten', 'dense', 'relu', 'dense']);
    expect(j.params).toBe(431_080);
    const bundled = await runCli('eval', 'lenet5', '--json', '--limit', '1000');
    expect(j.test.errors).toBe(JSON.parse(bundled.out).errors);
    const back = parseModel(readFileSync(out));
    expect(back.provenance?.format).toBe('onnx');
    expect(back.provenance?.inputConvention).toBe('mnist');
    const e = await runCli('eval', out, '--json', '--limit', '1000');
    expect(JSON.parse(e.out).errors).toBe(j.test.errors);
    // Every command takes the .onnx itself.
    const direct = await runCli('eval', mlp, '--cpu', '--json', '--limit', '300');
    expect(direct.code, direct.err).toBe(0);
    const info = await runCli('info', normalized);
    expect(info.out).toMatch(/onnx from compression-lab fixture/);
    expect(info.out).toMatch(/conv1_Conv\s+conv2d\s+\/conv1\/Conv/);
  }, 300_000);

  it('a corrupt file: one clear error, exit 1, nothing written', async () => {
    const bad = join(dir, 'broken.onnx');
    const bytes = readFileSync(normalized);
    execFileSync('/bin/sh', ['-c', `head -c ${bytes.length >> 1} '${normalized}' > '${bad}'`]);
    const out = join(dir, 'never.safetensors');
    const r = await runCli('import', bad, '--cpu', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/compression-lab import: .*(truncated|corrupt|ONNX)/i);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

describe('a TF.js model.json on disk, saved by TensorFlow.js itself', () => {
  it('every command reads it with the shards its manifest names; a missing shard is named', async () => {
    const tf = await import('@tensorflow/tfjs');
    const model = await trainedMlp(tf, 32, 1000, 2);
    const sub = mkdtempSync(join(dir, 'tfjs-'));
    for (const f of toFiles(await saveArtifacts(tf, model), 2)) writeFileSync(join(sub, f.name), f.bytes);
    // TF.js's own answers on the first 500 test images.
    const test = await mnist('test', 500);
    const probs = model.predict(tf.tensor4d(test.x, [test.count, 28, 28, 1])) as import('@tensorflow/tfjs').Tensor;
    const tfClasses = argmaxRows((await probs.data()) as Float32Array, 10);
    let tfRight = 0;
    tfClasses.forEach((c, i) => (tfRight += c === test.labels[i] ? 1 : 0));
    tf.dispose(probs);
    model.dispose();

    const r = await runCli('eval', join(sub, 'model.json'), '--cpu', '--json', '--limit', '500');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.source).toMatch(/imported tfjs-layers/);
    expect(Math.abs(j.count - j.errors - tfRight), `lab ${j.count - j.errors} right, TF.js ${tfRight}`).toBeLessThanOrEqual(1);

    rmSync(join(sub, 'group1-shard2of2.bin'));
    const missing = await runCli('eval', join(sub, 'model.json'), '--cpu');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/names weight shard 'group1-shard2of2\.bin', which is missing/);
  }, 120_000);

  it('BatchNorms between nonlinearities (lifted to 1×1 images): the GPU, the int8 engine and a prune + int8 pipeline run it', async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 32, activation: 'relu', name: 'fc1' }),
        tf.layers.batchNormalization({ name: 'bn1' }),
        tf.layers.activation({ activation: 'tanh', name: 'tanh' }),
        tf.layers.dense({ units: 10, activation: 'softmax', name: 'fc2' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
    const data = await mnist('train', 2000);
    const xs = tf.tensor4d(data.x, [data.count, 28, 28, 1]);
    const ys = tf.tensor1d(Array.from(data.labels), 'float32');
    await model.fit(xs, ys, { epochs: 2, batchSize: 64, verbose: 0 });
    tf.dispose([xs, ys]);
    const sub = mkdtempSync(join(dir, 'tfjs-lift-'));
    for (const f of toFiles(await saveArtifacts(tf, model))) writeFileSync(join(sub, f.name), f.bytes);
    model.dispose();
    const file = join(sub, 'model.json');

    const evalJson = async (...args: string[]) => {
      const r = await runCli('eval', file, '--json', '--limit', '1000', ...args);
      expect(r.code, r.err).toBe(0);
      return JSON.parse(r.out) as { errors: number; count: number };
    };
    const cpu = await evalJson('--cpu');
    const gpu = await evalJson();
    const int8 = await evalJson('--int8');
    expect(cpu.count).toBe(1000);
    // Trained: well above chance; the GPU equals the CPU reference within float rounding; int8 costs little.
    expect(cpu.errors).toBeLessThan(250);
    expect(Math.abs(gpu.errors - cpu.errors)).toBeLessThanOrEqual(1);
    expect(Math.abs(int8.errors - cpu.errors)).toBeLessThanOrEqual(15);

    const out = join(sub, 'pruned-int8.safetensors');
    const c = await runCli(
      'compress',
      file,
      '--pipeline',
      'prune:sparsity=0.5 | int8',
      '--out',
      out,
      '--json',
      '--eval-limit',
      '300',
      '--no-baseline',
      '--quiet',
      '--no-timing',
    );
    expect(c.code, c.err).toBe(0);
    const layers = parseModel(readFileSync(out)).architecture.layers.map((l) => l.kind);
    // The int8 path ends at the logits: the trailing softmax goes (argmax is the same).
    expect(layers).toEqual(['conv2d', 'relu', 'depthwiseConv2d', 'activation', 'flatten', 'dense']);
    // Pruning leaves the per-channel scale 'bn1' whole (a zero there would silence a feature): half of fc1 and fc2 goes.
    const j = JSON.parse(c.out) as { accuracy: number; int8Gpu: { errors: number; count: number } };
    expect(j.int8Gpu.count).toBe(300);
    expect(j.accuracy).toBeGreaterThan(0.5);
    expect(j.int8Gpu.errors).toBeLessThan(150);
  }, 300_000);
});
