/**
 * The guided FP32 vs INT8 experiment, run through the worker API in Node:
 * Dawn on SwiftShader for the GPU, idb-keyval replaced by an in-memory map
 * (src/store/memory-idb.ts) holding MNIST from public/data and the
 * bundled LeNet-300-100 (dense only: its kernels compile in seconds here).
 */
import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('idb-keyval', () => import('../store/memory-idb.ts'));
const { memory: mem } = await import('../store/memory-idb.ts');

const { labApi } = await import('./api.ts');
const { followUps, int8Verdict, speedOf } = await import('./experiment.ts');
const { listModels, listResults, putDataset, putModels } = await import('../store/store.ts');
const { parseModel } = await import('../model/format.ts');
import type { ResultRecord } from './types.ts';
import type { Int8Outlook } from '../gpu/int8-multiply.ts';

const SOURCE = 'bundled:lenet-300-100.safetensors';
const modelFile = new Uint8Array(readFileSync('models/lenet-300-100.safetensors'));
const datasets = {
  test: new Uint8Array(readFileSync('public/data/mnist-test.bin')),
  train: new Uint8Array(readFileSync('public/data/mnist-train.bin')),
};

async function seed(): Promise<void> {
  mem.clear();
  await putDataset('mnist-test.bin', datasets.test);
  await putDataset('mnist-train.bin', datasets.train);
  await putModels([
    {
      id: SOURCE,
      name: 'lenet-300-100',
      origin: 'bundled',
      runtime: 'fp32',
      architecture: 'lenet-300-100',
      file: modelFile,
      createdAt: '2026-01-01T00:00:00Z',
    },
  ]);
}

describe('int8Experiment (worker API, Node, SwiftShader)', () => {
  beforeEach(seed);

  it('stores an int8 variant and both results; the ratios are those of the two measurements', async () => {
    const phases: string[] = [];
    const out = await labApi.int8Experiment({ sourceId: SOURCE, limit: 300, runs: 5 }, (p) => phases.push(p.phase));

    // The variant is stored like any other and runs as int8, calibrated on training images.
    const stored = (await listModels()).find((m) => m.id === out.variant.id);
    expect(stored?.runtime).toBe('int8');
    expect(stored?.parentId).toBe(SOURCE);
    expect(stored?.runtimeOptions).toMatchObject({ calibrationImages: 256, method: 'minmax', dataset: 'mnist' });
    expect(out.variant.runtime).toBe('int8');
    expect(out.calibration).toEqual({ method: 'minmax', images: 256, dataset: 'MNIST training split' });

    // Both measurements are stored as Compare rows, on the same subset, labelled as one.
    const results = await listResults<ResultRecord>();
    expect(results.map((r) => r.id).sort()).toEqual([out.fp32.id, out.int8.id].sort());
    expect(out.fp32).toMatchObject({ modelId: SOURCE, runtime: 'fp32', count: 300, runs: 5, source: 'measured' });
    expect(out.int8).toMatchObject({ modelId: out.variant.id, runtime: 'int8', count: 300, runs: 5, source: 'measured' });
    expect(out.evaluation).toEqual({ count: 300, of: 10_000, subset: true, dataset: 'MNIST test split' });

    console.info(
      `fp32 ${out.fp32.accuracy} ${out.fp32.throughput?.toFixed(0)} img/s p50 ${out.fp32.latencyP50?.toFixed(2)} ms; int8 ${out.int8.accuracy} ${out.int8.throughput?.toFixed(0)} img/s p50 ${out.int8.latencyP50?.toFixed(2)} ms; ratio ${out.throughputRatio?.toFixed(3)} on ${out.device.name}`,
    );
    // The headline numbers are computed from these two measurements, nothing else.
    expect(out.fp32.throughput).toBeGreaterThan(0);
    expect(out.int8.throughput).toBeGreaterThan(0);
    expect(out.throughputRatio).toBe(out.int8.throughput! / out.fp32.throughput!);
    expect(out.latencyRatio).toBe(out.fp32.latencyP50! / out.int8.latencyP50!);
    expect(out.accuracyDeltaPoints).toBe((out.int8.accuracy - out.fp32.accuracy) * 100);
    expect(out.sizeRatio).toBe(out.fp32.bytes / out.int8.bytes);
    expect(out.speed).toBe(speedOf(out.throughputRatio));
    // int8 weights: about 4× fewer bytes (biases stay 32-bit).
    expect(out.sizeRatio).toBeGreaterThan(3.5);
    expect(out.sizeRatio).toBeLessThan(4.01);
    // A trained LeNet-300-100 and its calibrated int8 twin both score far above chance, within a few points.
    expect(out.fp32.accuracy).toBeGreaterThan(0.9);
    expect(Math.abs(out.accuracyDeltaPoints)).toBeLessThan(3);
    // The errors are the same images counted: accuracy × count.
    expect(out.int8.errors).toBe(Math.round(300 * (1 - out.int8.accuracy)));

    // The adapter's int8 multiply comes from the Device screen's outlook, and the verdict uses it.
    const device = await labApi.device();
    expect(device.ok).toBe(true);
    if (device.ok) {
      expect(out.device.outlook?.multiply).toEqual(device.int8.multiply);
      expect(out.device.software).toBe(device.report.software);
      expect(out.verdict).toContain(device.int8.multiply.label);
    }
    expect(out.verdict).toContain(`${out.throughputRatio!.toPrecision(2)}×`);

    // Progress walked through the three stages; LeNet-300-100 has no convolution to make separable.
    for (const s of ['Step 1/3: quantizing', 'Step 2/3: measuring fp32', 'Step 3/3: measuring int8'])
      expect(
        phases.some((p) => p.startsWith(s)),
        s,
      ).toBe(true);
    expect(out.followUps.map((f) => [f.id, f.applicable])).toEqual([
      ['prune-finetune', true],
      ['kmeans5', true],
      ['separable', false],
    ]);
  }, 300_000);

  it('a cancelled experiment stores nothing: no variant, no result', async () => {
    const before = (await listModels()).map((m) => m.id);
    let measuring = false;
    const run = labApi.int8Experiment(
      { sourceId: SOURCE, limit: 200, runs: 5 },
      (p) => {
        if (p.phase.startsWith('Step 3/3') && !measuring) {
          measuring = true;
          // The int8 variant is stored by now; cancel while it is being measured.
          labApi.cancel('exp-cancel');
        }
      },
      'exp-cancel',
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(measuring).toBe(true);
    await expect.poll(async () => (await listModels()).map((m) => m.id)).toEqual(before);
    expect(await listResults()).toEqual([]);
  }, 300_000);

  it('refuses an int8 source and a bad subset with clear errors', async () => {
    await expect(labApi.int8Experiment({ sourceId: 'nope' })).rejects.toThrow('model nope is not stored');
    await expect(labApi.int8Experiment({ sourceId: SOURCE, limit: 0 })).rejects.toThrow('test images must be an integer from 1 to 10,000, got 0');
    await putModels([{ id: 'user:q', name: 'q', origin: 'user', runtime: 'int8', architecture: 'lenet-300-100', file: modelFile, createdAt: '' }]);
    await expect(labApi.int8Experiment({ sourceId: 'user:q' })).rejects.toThrow("'q' already runs as int8");
  });
});

describe('follow-ups and verdict', () => {
  it('offers separable only for a model with a spatial convolution; the pipelines use the passes as promised', () => {
    const lenet5 = parseModel(new Uint8Array(readFileSync('models/lenet5.safetensors')), 'lenet5');
    const f = followUps({ name: 'lenet5', model: lenet5 });
    expect(f.map((x) => [x.id, x.applicable])).toEqual([
      ['prune-finetune', true],
      ['kmeans5', true],
      ['separable', true],
    ]);
    expect(f[0].steps.map((s) => s.pass)).toEqual(['prune', 'finetune']);
    expect(f[0].steps[0].options.sparsity).toBe(0.9);
    expect(f[1].steps).toEqual([{ pass: 'kmeans', options: expect.objectContaining({ bits: 5 }) }]);
    expect(f[2].steps.map((s) => s.pass)).toEqual(['separable']);
    expect(f[0].trains && !f[1].trains && !f[2].trains).toBe(true);
  });

  const outlook = (ratio?: number): Int8Outlook => ({
    multiply: { kind: 'outer-f32', dot: 'dot4', label: 'exact f32 outer product', detail: 'a CPU adapter.' },
    caveat: '',
    ...(ratio !== undefined ? { f32Gflops: 10, int8Gops: 10 * ratio, ratio } : {}),
    expectation: ratio !== undefined ? `int8 will not be faster than fp32 on this adapter (its int8 matmul runs at ${ratio}× the f32 rate)` : 'Measure to see',
  });

  it('calls a ratio within 10 % of 1 about the same', () => {
    expect([0.5, 0.89, 0.9, 1, 1.1, 1.11, 3].map(speedOf)).toEqual([
      'slower',
      'slower',
      'about the same',
      'about the same',
      'about the same',
      'faster',
      'faster',
    ]);
    expect(speedOf(undefined)).toBeUndefined();
  });

  it('explains a slower int8 on a software adapter instead of hiding it', () => {
    const v = int8Verdict(
      { throughputRatio: 0.62, latencyRatio: 0.8, sizeRatio: 3.9 },
      { name: 'SwiftShader (software)', software: true, outlook: outlook(0.71) },
    );
    expect(v).toMatch(/^int8 ran slower than fp32 here: 0\.62× its throughput\./);
    expect(v).toContain('exact f32 outer product');
    expect(v).toContain('software adapter');
    expect(v).toContain('0.71× the f32 rate');
    expect(v).toContain('3.9× smaller');
  });

  it('says faster / about the same from the measured ratio, and owns up to CPU timing', () => {
    expect(int8Verdict({ throughputRatio: 2.5, sizeRatio: 3.9 }, { name: 'gpu', software: false, outlook: outlook() })).toMatch(
      /^int8 ran 2\.5× as fast as fp32 here \(throughput\)\./,
    );
    const same = int8Verdict({ throughputRatio: 1.02, sizeRatio: 3.9 }, { name: 'gpu', software: false, outlook: outlook() });
    expect(same).toMatch(/^int8 ran at about fp32's speed here/);
    expect(same).toContain('Measure GFLOP/s, int8 rate and GB/s');
    expect(same).not.toContain('software adapter');
    expect(int8Verdict({ latencyRatio: 1.3, sizeRatio: 3.9 }, { name: 'CPU reference (no WebGPU)', software: false })).toMatch(/^Timed on the CPU reference/);
  });
});
