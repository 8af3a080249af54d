/** The compressed-weights rows of the bench schema: ratios against the matching decoded row, and their table. No GPU. */
import { describe, expect, it } from 'vitest';
import type { BenchRun, CompressedWeightsResult } from './schema.ts';
import { benchFile, compressedWeightRatios, finalizeRun, quickOptions, validateBenchFile } from './schema.ts';
import { compressedWeightsTable } from './format.ts';

const row = (
  compression: string,
  weights: 'decoded' | 'compressed',
  bytes: number,
  p50: number,
  ips: number,
  extra: Partial<CompressedWeightsResult> = {},
): CompressedWeightsResult => ({
  environment: 'node',
  model: 'lenet5',
  compression,
  weights,
  residentWeightBytes: bytes,
  fp32WeightBytes: weights === 'decoded' ? bytes : 0,
  kernels: [weights === 'decoded' ? 'conv2d' : 'conv2d:codebook'],
  latencyP50Ms: p50,
  latencyRuns: 50,
  batch: 256,
  imagesPerSecond: ips,
  throughputRuns: 3,
  status: 'ok',
  ...extra,
});

describe('compressedWeightRatios', () => {
  it('divides each compressed row by the decoded row of the same model and compression', () => {
    const rows = compressedWeightRatios([
      row('k-means 5-bit', 'decoded', 1000, 4, 200),
      row('k-means 5-bit', 'compressed', 160, 5, 150),
      row('hashed 1/8', 'decoded', 2000, 8, 100),
      row('hashed 1/8', 'compressed', 250, 2, 400),
    ]);
    expect(rows[0].bytesRatio).toBeUndefined();
    expect(rows[1].bytesRatio).toBeCloseTo(0.16);
    expect(rows[1].latencySpeedup).toBeCloseTo(0.8);
    expect(rows[1].throughputRatio).toBeCloseTo(0.75);
    expect(rows[3].bytesRatio).toBeCloseTo(0.125);
    expect(rows[3].latencySpeedup).toBeCloseTo(4);
    expect(rows[3].throughputRatio).toBeCloseTo(4);
  });

  it('gives no ratio without an ok decoded row to compare with', () => {
    const failed = row('k-means 5-bit', 'decoded', 0, 0, 0, { status: 'error', residentWeightBytes: null, latencyP50Ms: null, imagesPerSecond: null });
    const rows = compressedWeightRatios([failed, row('k-means 5-bit', 'compressed', 160, 5, 150), row('hashed 1/8', 'compressed', 250, 2, 400)]);
    expect(rows[1].bytesRatio).toBeUndefined();
    expect(rows[2].throughputRatio).toBeUndefined();
  });

  it('prints one table row per measured configuration', () => {
    const run = {
      compressedWeights: compressedWeightRatios([
        row('k-means 5-bit', 'decoded', 1024 * 1000, 4, 200),
        row('k-means 5-bit', 'compressed', 1024 * 160, 5, 150, { agreement: 1 }),
      ]),
    } as unknown as BenchRun;
    const t = compressedWeightsTable(run, true);
    const lines = t.split('\n').filter((l) => l.includes('k-means 5-bit'));
    expect(lines.length).toBe(2);
    expect(lines[1]).toContain('conv2d:codebook');
    expect(lines[1]).toContain('100 %');
  });

  it('validates in a bench file; a broken row is named', () => {
    const rows = compressedWeightRatios([row('k-means 5-bit', 'decoded', 1000, 4, 200), row('k-means 5-bit', 'compressed', 160, 5, 150)]);
    const roofline = { matmulGflops: null, int8Gops: null, copyGBps: null, roundTripMs: null, notes: [] };
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
      compressedWeights: rows,
    });
    const file = benchFile([run], 'cmd', 'now');
    expect(validateBenchFile(file)).toEqual([]);
    const bad = JSON.parse(JSON.stringify(file));
    bad.runs[0].compressedWeights[1].residentWeightBytes = null;
    bad.runs[0].compressedWeights[0].weights = 'fp16';
    expect(validateBenchFile(bad)).toEqual([
      expect.stringMatching(/compressedWeights\[0\].weights/),
      expect.stringMatching(/compressedWeights\[1\].residentWeightBytes is null/),
    ]);
  });
});
