/**
 * The worker's activations against the worker's prediction path: for the same
 * image, the last row equals what `predictOne` (the Try-it screen's
 * predictions) computed, for an fp32 variant (GPU layer readbacks) and an
 * int8 one (the integer reference vs the int8 GPU executor). Runs on the
 * WebGPU adapter the tests have (SwiftShader through Dawn); no IndexedDB: the
 * stored variants are built here.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../data/node-loader.ts';
import { toFloatBatch, type Dataset } from '../data/dataset.ts';
import { parseModel } from '../model/format.ts';
import { calibrateInt8 } from '../engine/int8.ts';
import { floatActivations } from '../engine/activations.ts';
import { expectNear } from '../gpu/test-helpers.ts';
import { predictOne } from './measure.ts';
import { gpuOrNull, rememberInt8, type LoadedModel } from './session.ts';
import { activationComparison } from './activations.ts';

const file = new Uint8Array(readFileSync('models/lenet-300-100.safetensors'));
const model = parseModel(file, 'lenet-300-100');
const stored = (id: string, runtime: 'fp32' | 'int8'): LoadedModel['stored'] => ({
  id,
  name: `LeNet-300-100 ${runtime}`,
  origin: 'bundled',
  runtime,
  architecture: 'lenet-300-100',
  file,
  createdAt: '',
});
const fp32: LoadedModel = { stored: stored('t:fp32', 'fp32'), model };
const int8: LoadedModel = { stored: stored('t:int8', 'int8'), model };
let test: Dataset;

beforeAll(async () => {
  test = await loadDataset('mnist', 'test');
  // What int8ModelOf would calibrate from IndexedDB: the first 256 training images, min-max.
  rememberInt8('t:int8', calibrateInt8(model, await loadDataset('mnist', 'train'), { images: 256 }).int8);
});

const softmax = (v: Float32Array): number[] => {
  const m = Math.max(...v);
  const e = Array.from(v, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

describe('worker activations', () => {
  it('runs on the GPU here (the test would prove nothing about the GPU paths otherwise)', async () => {
    expect(await gpuOrNull(), 'no WebGPU adapter in this test process').not.toBeNull();
  });

  it('fp32: the last row, read back from the GPU executor, is the prediction path’s logits; every row matches the CPU reference', async () => {
    for (const i of [0, 1, 2, 3]) {
      const x = toFloatBatch(test, i, 1);
      const p = await predictOne(fp32, x);
      const c = await activationComparison(fp32, undefined, x);
      expect(c.a.on).toBe('gpu');
      expect(c.a.computedBy).toMatch(/GPU float executor/);
      const last = c.rows[c.rows.length - 1].a!;
      expect(last.name).toBe('fc3');
      expectNear(softmax(last.values), p.probabilities, `image ${i} probabilities`, 1e-5, 1e-4);
      expect(c.a.top).toBe(p.top);
      expect(c.a.check!.sameTop).toBe(true);
      expect(c.a.check!.maxAbsDiff).toBeLessThan(1e-4);
      const cpu = await floatActivations(model, x);
      for (const [k, row] of c.rows.entries()) expectNear(row.a!.values, cpu.layers[k].values, `image ${i} ${row.name}`, 1e-4, 1e-4);
    }
  });

  it('int8: the last row (integer reference, dequantized) equals the int8 GPU executor’s logits bit for bit', async () => {
    for (const i of [0, 1, 2, 3]) {
      const x = toFloatBatch(test, i, 1);
      const p = await predictOne(int8, x);
      const c = await activationComparison(int8, undefined, x);
      expect(c.a.precision).toBe('int8');
      expect(c.a.computedBy).toMatch(/CPU integer reference/);
      expect(p.runtime).toBe('int8');
      expect(c.a.check!.maxAbsDiff).toBe(0);
      expect(softmax(c.rows[c.rows.length - 1].a!.values)).toEqual(p.probabilities);
      expect(c.a.top).toBe(p.top);
    }
  });

  it('fp32 beside int8: a difference on every row, the predictions agree on these images', async () => {
    const x = toFloatBatch(test, 5, 1);
    const c = await activationComparison(fp32, int8, x);
    expect(c.rows.map((r) => r.name)).toEqual(['input', 'relu1', 'relu2', 'fc3']);
    for (const r of c.rows) {
      expect(r.diff, r.name).toBeDefined();
      expect(r.diff!.maxAbs, r.name).toBeLessThanOrEqual(2 * r.b!.quant!.scale + 1e-6);
    }
    expect(c.rows[3].diff!.topAgrees).toBe(true);
    expect(c.b!.top).toBe(c.a.top);
  });
});
