/**
 * "Does sparsity pay?" rows: the schema check and the tables on a hand-made
 * row, and measureSparsity end to end on a small two-dense-layer model on the
 * GPU (SwiftShader under Node; without WebGPU this fails with the reason).
 * Times are whatever the device gives: only their presence and the
 * bookkeeping around them are checked, never their size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../gpu/device.ts';
import { acquireGpu } from '../gpu/device.ts';
import { modelOf, randomInput } from '../gpu/test-helpers.ts';
import { formatRun } from './format.ts';
import { sparsityLayersTable, sparsityTable } from './format.ts';
import type { Roofline, SparsityResult } from './schema.ts';
import { benchFile, finalizeRun, quickOptions, validateBenchFile } from './schema.ts';
import { denseMacShare, measureSparsity } from './sparsity.ts';
import { architecture } from '../model/architectures.ts';
import { initModel } from '../model/model.ts';

const roofline: Roofline = { matmulGflops: null, int8Gops: null, copyGBps: null, roundTripMs: null, notes: [] };
const timing = (p50: number, ips: number) => ({ latencyP50Ms: p50, latencyRuns: 50, imagesPerSecond: ips, throughputRuns: 3 });
const row: SparsityResult = {
  environment: 'node',
  model: 'lenet-300-100',
  sparsity: 0.9,
  zeroFraction: 0.9,
  batch: 256,
  dense: timing(2, 800),
  sparse: timing(1, 1600),
  auto: timing(1.1, 1500),
  latencySpeedup: 2,
  throughputRatio: 2,
  agreement: 1,
  layerTimingMethod: 'timestamp',
  layers: [
    {
      layers: 'fc1+relu1',
      batch: 256,
      density: 0.1,
      denseKernel: 'conv2d',
      denseMs: 300,
      sparseMs: 100,
      autoPick: 'sparse',
      autoDenseMs: 290,
      autoSparseMs: 95,
      autoMethod: 'timestamp',
      autoCostMs: 2500,
    },
    { layers: 'fc3', batch: 1, density: 1, denseKernel: 'conv2d', denseMs: 0.07, sparseMs: 0.07, autoPick: 'dense' },
  ],
  status: 'ok',
};

describe('sparsity rows in the bench file', () => {
  const run = finalizeRun({
    environment: 'node',
    startedAt: 't',
    durationMs: 1,
    adapter: null,
    host: 'h',
    options: quickOptions(),
    roofline,
    results: [],
    models: [],
    notes: [],
    sparsity: [row],
  });

  it('validate, and a broken row lists its problems', () => {
    expect(validateBenchFile(benchFile([run], 'cmd', 'now'))).toEqual([]);
    const bad = JSON.parse(JSON.stringify(benchFile([run], 'cmd', 'now')));
    bad.runs[0].sparsity[0].sparse.latencyP50Ms = null;
    bad.runs[0].sparsity[0].layers[1].autoPick = 'maybe';
    bad.runs[0].sparsity[0].sparsity = 1.5;
    expect(validateBenchFile(bad)).toEqual([
      expect.stringMatching(/sparsity\[0\]\.sparsity must be in \[0, 1\)/),
      expect.stringMatching(/sparsity\[0\]\.sparse\.latencyP50Ms is null on an 'ok' row/),
      expect.stringMatching(/sparsity\[0\]\.layers\[1\]\.autoPick must be dense\|sparse/),
    ]);
  });

  it('tabulate: ratios, auto picks with the times they were made on, layers never measured', () => {
    const t = sparsityTable(run);
    expect(t).toMatch(/lenet-300-100\s+90\.0 %\s+2\.00\s+1\.00\s+1\.10\s+2\.00×\s+800\s+1,600\s+1,500\s+2\.00×\s+100\.0 %/);
    const l = sparsityLayersTable(run);
    expect(l).toMatch(/fc1\+relu1\s+256\s+10\.0 %\s+300\s+100\s+3\.00×\s+sparse \(290 vs 95\.0 ms\)\s+2,500/);
    expect(l).toMatch(/fc3\s+1\s+100\.0 %\s+0\.070\s+0\.070\s+1\.00×\s+dense \(no zeros\)/);
    expect(formatRun(run)).toContain('does sparsity pay?');
    expect(formatRun({ ...run, sparsity: undefined })).not.toContain('does sparsity pay?');
  });
});

describe('measureSparsity on the GPU', () => {
  it('skips a model whose dense layers hold under half the MACs, with a row saying so', async () => {
    const lenet5 = initModel(architecture('lenet5'), 1);
    expect(denseMacShare(lenet5)).toBeLessThan(0.5);
    expect(denseMacShare(initModel(architecture('lenet-300-100'), 1))).toBe(1);
    const env = { gpu, environment: 'node' as const, one: () => new Float32Array(784), batch: (n: number) => new Float32Array(n * 784), log: () => {} };
    const rows = await measureSparsity(env, lenet5, quickOptions());
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('skipped');
    expect(rows[0].note).toMatch(/dense layers hold \d+ % of the MACs \(< 50 %\)/);
    const run = finalizeRun({
      environment: 'node',
      startedAt: 't',
      durationMs: 1,
      adapter: null,
      host: 'h',
      options: quickOptions(),
      roofline,
      results: [],
      models: [],
      notes: [],
      sparsity: rows,
    });
    expect(validateBenchFile(benchFile([run], 'cmd', 'now'))).toEqual([]);
    expect(sparsityTable(run)).toMatch(/lenet5\s+—.*skipped: dense layers hold/);
  });

  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await acquireGpu();
  });
  afterAll(() => gpu?.device.destroy());

  it('one ok row per level (and per pruned + k-means level), both batches per dense layer, auto measured only where there are zeros', async () => {
    const model = modelOf(
      'tiny-mlp',
      [6, 6, 1],
      [
        { kind: 'flatten', name: 'flatten' },
        { kind: 'dense', name: 'fc1', units: 24, bias: true },
        { kind: 'relu', name: 'relu1' },
        { kind: 'dense', name: 'fc2', units: 10, bias: true },
      ],
    );
    const images = randomInput(256 * 36, 5).map((v) => (v + 1) / 2);
    const env = {
      gpu,
      environment: 'node' as const,
      one: (i: number) => images.subarray((i % 256) * 36, ((i % 256) + 1) * 36),
      batch: (n: number) => images.subarray(0, n * 36),
      log: () => {},
    };
    const options = { ...quickOptions(), latencyRuns: 3, warmup: 1, throughputBudgetMs: 1, minThroughputRuns: 1 };
    const rows = await measureSparsity(env, model, options, [0, 0.9], [{ sparsity: 0.9, bits: 4 }]);
    expect(rows.map((r) => [r.sparsity, r.kmeansBits, r.status, r.batch])).toEqual([
      [0, undefined, 'ok', 256],
      [0.9, undefined, 'ok', 256],
      [0.9, 4, 'ok', 256],
    ]);
    // Held compressed, the dense side of the shared level is the codebook kernel.
    expect(rows[2].layers.every((l) => l.denseKernel === 'conv2d:codebook')).toBe(true);
    expect(rows[2].zeroFraction).toBe(rows[1].zeroFraction);
    expect(rows[0].zeroFraction).toBe(0);
    // round(0.9 · 36·24) and round(0.9 · 24·10) zeros.
    expect(rows[1].zeroFraction).toBeCloseTo((778 + 216) / (864 + 240), 6);
    for (const r of rows) {
      expect(r.layers.map((l) => [l.layers, l.batch])).toEqual([
        ['fc1+relu1', 1],
        ['fc2', 1],
        ['fc1+relu1', 256],
        ['fc2', 256],
      ]);
      expect(r.agreement).toBe(1);
      for (const m of [r.dense, r.sparse, r.auto]) {
        expect(m.latencyP50Ms).toBeGreaterThan(0);
        expect(m.imagesPerSecond).toBeGreaterThan(0);
      }
      if (r.layerTimingMethod === 'timestamp') for (const l of r.layers) expect(l.denseMs !== null && l.sparseMs !== null).toBe(true);
    }
    // No zero weight: auto has nothing to choose between.
    expect(rows[0].layers.every((l) => l.autoPick === 'dense' && l.autoDenseMs === undefined)).toBe(true);
    for (const l of [...rows[1].layers, ...rows[2].layers]) {
      expect(l.autoDenseMs).toBeGreaterThanOrEqual(0);
      expect(l.autoPick).toBe(l.autoSparseMs! < l.autoDenseMs! ? 'sparse' : 'dense');
    }
  });
});
