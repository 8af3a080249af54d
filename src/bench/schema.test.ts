import { describe, expect, it } from 'vitest';
import type { BenchResult, ModelReport, Roofline, TrainingResult } from './schema.ts';
import {
  benchFile,
  checkRelations,
  computeRatios,
  computeRoofline,
  evaluateTargets,
  finalizeRun,
  latencyFloorMs,
  quickOptions,
  validateBenchFile,
} from './schema.ts';
import { formatRun, table, trainingTable } from './format.ts';

function r(
  runtime: BenchResult['runtime'],
  batch: number,
  p50: number,
  ips: number,
  precision: BenchResult['precision'] = 'fp32',
  model = 'lenet5',
): BenchResult {
  return {
    runtime,
    environment: 'chromium',
    model,
    precision,
    batch,
    latencyP50Ms: p50,
    latencyP90Ms: p50 * 1.2,
    latencyMeanMs: p50,
    imagesPerSecond: ips,
    runs: 10,
    status: 'ok',
  };
}
const roofline: Roofline = { matmulGflops: 10, int8Gops: 20, copyGBps: 3, roundTripMs: 2.5, notes: [] };
const report: ModelReport = {
  model: 'lenet5',
  weights: 'seeded-random',
  weightSource: 'seed 1',
  flopsPerImage: 4.6e6,
  macsPerImage: 2.3e6,
  load: {},
  layerTimingMethod: 'timestamp',
  layers: [],
  labAccuracy: 0.1,
  agreement: [
    { runtime: 'tfjs-webgpu', images: 10000, requested: 10000, agree: 9995, fraction: 0.9995, accuracy: 0.1 },
    { runtime: 'lab-int8', images: 10000, requested: 10000, agree: 9000, fraction: 0.9, accuracy: 0.1 },
  ],
};
const results: BenchResult[] = [
  r('lab', 1, 3, (1000 / 3) * 0.9),
  r('lab', 1024, 200, 5120),
  r('lab', 1024, 100, 10240, 'int8'),
  r('tfjs-webgpu', 1, 40, 25),
  r('tfjs-webgpu', 1024, 2000, 512),
  r('ort-webgpu', 1, 20, 50),
  r('ort-webgpu', 1024, 1000, 1024),
];

describe('relations on measured numbers', () => {
  it('batch 1: throughput against 1/latency; batched: latency against batch/throughput', () => {
    const rel = checkRelations(results);
    const b1 = rel.find((x) => x.runtime === 'lab' && x.batch === 1)!;
    expect(b1.relation).toBe('throughput = 1/latency');
    expect(b1.predicted).toBeCloseTo(1000 / 3);
    expect(b1.deviation).toBeCloseTo(-0.1);
    expect(b1.holds).toBe(true);
    const b1024 = rel.find((x) => x.runtime === 'lab' && x.batch === 1024 && x.precision === 'fp32')!;
    expect(b1024.predicted).toBeCloseTo(200);
    expect(b1024.holds).toBe(true);
    expect(checkRelations([r('lab', 64, 100, 320)])[0].holds).toBe(false); // predicts 200 ms, measured 100
  });
  it('skips rows that did not run', () => {
    expect(checkRelations([{ ...r('lab', 1, 1, 1), status: 'error', latencyP50Ms: null, imagesPerSecond: null }])).toEqual([]);
  });
});

describe('ratios, roofline and targets', () => {
  it('lab/peer ratios are >1 when the lab is better, int8 compared with the peers fp32', () => {
    const q = computeRatios(results);
    const t = q.find((x) => x.peer === 'ort-webgpu' && x.batch === 1024 && x.precision === 'fp32')!;
    expect(t.throughputRatio).toBeCloseTo(5);
    expect(t.latencySpeedup).toBeCloseTo(5);
    expect(q.find((x) => x.peer === 'tfjs-webgpu' && x.precision === 'int8')!.throughputRatio).toBeCloseTo(20);
  });
  it('roofline fraction uses the fp32 or int8 peak', () => {
    const rows = computeRoofline(results, { lenet5: 4.6e6 }, roofline);
    const f = rows.find((x) => x.batch === 1024 && x.precision === 'fp32')!;
    expect(f.achievedGops).toBeCloseTo((4.6e6 * 5120) / 1e9);
    expect(f.fraction).toBeCloseTo(f.achievedGops / 10);
    expect(rows.find((x) => x.precision === 'int8')!.peakGops).toBe(20);
    expect(latencyFloorMs(1e9, roofline)).toBeCloseTo(102.5);
    expect(latencyFloorMs(1e9, { ...roofline, roundTripMs: null })).toBeNull();
  });
  it('targets: PASS/MISS on measured values, N/A without data', () => {
    const t = evaluateTargets('chromium', results, [report], roofline);
    const by = (s: string) => t.find((x) => x.name.includes(s))!;
    expect(by('≥ 10× the faster').measured).toBeCloseTo(5); // against ORT's 1024 img/s
    expect(by('≥ 10× the faster').status).toBe('MISS');
    expect(by('0.1× the faster').measured).toBeCloseTo(3 / 20);
    expect(by('int8 throughput').status).toBe('PASS');
    expect(by('agreement lab vs tfjs-webgpu').status).toBe('PASS');
    expect(t.some((x) => x.name.includes('lab-int8'))).toBe(false);
    const none = evaluateTargets('node', results, [report], roofline);
    expect(none.find((x) => x.name.includes('≥ 10×'))!.status).toBe('N/A');
  });
});

describe('JSON file and tables', () => {
  const run = finalizeRun({
    environment: 'chromium',
    startedAt: 't',
    durationMs: 1,
    adapter: null,
    host: 'h',
    options: quickOptions(),
    roofline,
    results,
    models: [report],
    notes: ['n'],
  });
  it('a finished run validates; a broken one lists its problems', () => {
    const file = benchFile([run], 'cmd', 'now');
    expect(validateBenchFile(file)).toEqual([]);
    expect(file.results.every((x) => x.environment === 'chromium')).toBe(true);
    const bad = JSON.parse(JSON.stringify(file));
    bad.results[0].runtime = 'webgl';
    bad.runs[0].roofline.matmulGflops = 'fast';
    expect(validateBenchFile(bad)).toEqual([expect.stringMatching(/roofline.matmulGflops/), expect.stringMatching(/runtime 'webgl'/)]);
  });
  it('tables align numbers right and render as Markdown', () => {
    expect(
      table(
        ['a', 'n'],
        [
          ['x', '1'],
          ['yy', '10'],
        ],
      ),
    ).toBe('a    n\n--  --\nx    1\nyy  10');
    expect(table(['a', 'b'], [['x|y', '1']], true)).toBe('| a | b |\n|---|---|\n| x\\|y | 1 |');
    // Sampled counts (30*) and skipped cells keep a numeric column right-aligned.
    expect(table(['n'], [['30*'], ['200'], ['skipped']])).toBe('      n\n-------\n    30*\n    200\nskipped');
    const text = formatRun(run);
    expect(text).toContain('MISS');
    expect(text).toContain('throughput = 1/latency');
    expect(formatRun(run, true)).toContain('| model |');
  });
});

function tr(runtime: TrainingResult['runtime'], ips: number | null, environment: TrainingResult['environment'] = 'chromium'): TrainingResult {
  return {
    runtime,
    environment,
    model: 'lenet5',
    batch: 64,
    optimizer: 'adam',
    imagesPerSecond: ips,
    images: 256,
    steps: 4,
    seconds: 1,
    warmupImagesPerSecond: ips,
    setupMs: 10,
    status: ips === null ? 'error' : 'ok',
  };
}

describe('sampled measurements are labelled, never silently full', () => {
  it('a peer whose batch-1024 call was skipped is compared at its best measured batch, marked sampled', () => {
    const skipped: BenchResult = {
      ...r('ort-webgpu', 1024, 0, 0),
      latencyP50Ms: null,
      latencyP90Ms: null,
      latencyMeanMs: null,
      imagesPerSecond: null,
      status: 'skipped',
      note: 'not measured',
    };
    const rows = [
      r('lab', 1, 3, 300),
      r('lab', 1024, 200, 5120),
      r('ort-webgpu', 1, 20, 50),
      r('ort-webgpu', 64, 500, 128),
      r('ort-webgpu', 256, 1000, 256),
      skipped,
    ];
    const t = evaluateTargets('chromium', rows, [report], roofline).find((x) => x.name.includes('≥ 10× the faster'))!;
    expect(t.measured).toBeCloseTo(20); // 5120 / 256, the peer's best
    expect(t.status).toBe('PASS');
    expect(t.sampled).toMatch(/batch 256/);
    const full = evaluateTargets('chromium', results, [report], roofline).find((x) => x.name.includes('≥ 10× the faster'))!;
    expect(full.sampled).toBeUndefined();
    const run = finalizeRun({
      environment: 'chromium',
      startedAt: 't',
      durationMs: 1,
      adapter: null,
      host: 'h',
      options: quickOptions(),
      roofline,
      results: rows,
      models: [report],
      notes: [],
    });
    const text = formatRun(run);
    expect(text).toMatch(/PASS\*/);
    expect(text).toContain('skipped');
  });
  it('agreement on fewer than 10,000 images is sampled; zero images is N/A, not a PASS', () => {
    const part: ModelReport = {
      ...report,
      agreement: [
        { runtime: 'ort-wasm', images: 512, requested: 10000, agree: 512, fraction: 1, accuracy: 0.99 },
        { runtime: 'ort-webgpu', images: 0, requested: 10000, agree: 0, fraction: 0, accuracy: 0 },
      ],
    };
    const t = evaluateTargets('chromium', results, [part], roofline);
    const wasm = t.find((x) => x.name.includes('vs ort-wasm'))!;
    expect(wasm.status).toBe('PASS');
    expect(wasm.sampled).toMatch(/first 512 of the 10,000/);
    expect(t.find((x) => x.name.includes('vs ort-webgpu'))!.status).toBe('N/A');
  });
});

describe('training throughput', () => {
  it('the LeNet-5 epoch target is extrapolated from measured img/s and compares with the CPU', () => {
    const t = evaluateTargets('chromium', results, [report], roofline, [tr('lab', 200), tr('cpu-reference', 50)]);
    const e = t.find((x) => x.name.includes('GPU training'))!;
    expect(e.measured).toBeCloseTo(60000 / 200 / 60); // 5 minutes
    expect(e.status).toBe('PASS');
    expect(e.unit).toBe('min');
    expect(e.detail).toMatch(/4\.00× the CPU/);
    const slow = evaluateTargets('chromium', results, [report], roofline, [tr('lab', 20)]).find((x) => x.name.includes('GPU training'))!;
    expect(slow.status).toBe('MISS'); // 50 minutes
    const failed = evaluateTargets('chromium', results, [report], roofline, [tr('lab', null)]).find((x) => x.name.includes('GPU training'))!;
    expect(failed.status).toBe('N/A');
    expect(evaluateTargets('chromium', results, [report], roofline, []).some((x) => x.name.includes('GPU training'))).toBe(false);
  });
  it('training rows go into the file, are validated and tabulated', () => {
    const run = finalizeRun({
      environment: 'chromium',
      startedAt: 't',
      durationMs: 1,
      adapter: null,
      host: 'h',
      options: quickOptions(),
      roofline,
      results,
      training: [tr('lab', 200), tr('cpu-reference', 50)],
      models: [report],
      notes: [],
    });
    const file = benchFile([run], 'cmd', 'now');
    expect(file.training).toHaveLength(2);
    expect(validateBenchFile(file)).toEqual([]);
    const bad = JSON.parse(JSON.stringify(file));
    bad.training[0].imagesPerSecond = -1;
    bad.training[1].runtime = 'tfjs-webgpu';
    expect(validateBenchFile(bad)).toEqual([expect.stringMatching(/training\[0\].imagesPerSecond/), expect.stringMatching(/training\[1\].runtime/)]);
    delete bad.training;
    expect(validateBenchFile(bad)).toContain('training must be an array');
    const text = trainingTable(run);
    expect(text).toMatch(/lab \(GPU trainer\)\s+64\s+200/);
    expect(text).toContain('4.00×');
    expect(text).toContain('5.00 min');
  });
});
