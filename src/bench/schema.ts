/**
 * The benchmark's result schema and the pure arithmetic on it: the article's
 * relations checked on measured numbers, lab/peer ratios, roofline fractions
 * and the issue's targets with PASS/MISS. Shared by Node and the browser (no
 * Node or DOM APIs); everything here is plain data, so it crosses
 * `page.evaluate` and JSON unchanged.
 *
 * This file is the public entry: the types live in types.ts, the arithmetic
 * in targets.ts; here are the run options' defaults and the output file.
 */
import type { BenchFile, BenchOptions, BenchRun } from './types.ts';
import { RUNTIMES } from './types.ts';

export * from './types.ts';
export * from './targets.ts';

/** The full-size defaults (the figures); `quickOptions` shrinks them. */
export function defaultOptions(): BenchOptions {
  return {
    models: ['lenet5', 'lenet-300-100', 'article-net', 'lenet5-separable'],
    precisions: ['fp32', 'int8'],
    batches: [64, 256, 1024],
    latencyRuns: 200,
    warmup: 10,
    throughputBudgetMs: 3000,
    minThroughputRuns: 1,
    agreementImages: 10_000,
    peers: ['tfjs-webgpu', 'ort-webgpu', 'ort-wasm'],
    cpuReference: true,
    roofline: true,
    seed: 1,
    calibrationImages: 256,
    latencyBudgetMs: 10_000,
    maxCallMs: 25_000,
    agreementBudgetMs: 20_000,
    training: true,
    trainImages: 192,
    trainCpuBudgetMs: 4_000,
  };
}

/** A run that fits about a minute per environment: LeNet-5 only, fewer runs and images. */
export function quickOptions(): BenchOptions {
  return {
    ...defaultOptions(),
    models: ['lenet5'],
    batches: [64, 1024],
    latencyRuns: 50,
    warmup: 3,
    throughputBudgetMs: 1200,
    minThroughputRuns: 2,
    agreementImages: 1000,
    calibrationImages: 64,
    latencyBudgetMs: 8_000,
    maxCallMs: 15_000,
    agreementBudgetMs: 15_000,
    trainImages: 128,
    trainCpuBudgetMs: 3_000,
  };
}

/** Assemble the output file from finished runs. */
export function benchFile(runs: BenchRun[], command: string, generatedAt = new Date().toISOString()): BenchFile {
  return { schemaVersion: 1, generatedAt, command, runs, results: runs.flatMap((r) => r.results), training: runs.flatMap((r) => r.training ?? []) };
}

/**
 * Checks the shape a consumer of latest.json relies on; returns the problems
 * (empty = valid). Kept by hand rather than a schema library: the file is small.
 */
export function validateBenchFile(x: unknown): string[] {
  const errs: string[] = [];
  const o = x as Partial<BenchFile> | null;
  if (!o || typeof o !== 'object') return ['not an object'];
  if (o.schemaVersion !== 1) errs.push('schemaVersion must be 1');
  if (!Array.isArray(o.runs)) errs.push('runs must be an array');
  if (!Array.isArray(o.results)) errs.push('results must be an array');
  for (const [i, run] of (o.runs ?? []).entries()) {
    if (run.environment !== 'node' && run.environment !== 'chromium') errs.push(`runs[${i}].environment must be node|chromium`);
    if (!('adapter' in run)) errs.push(`runs[${i}].adapter missing`);
    for (const k of ['matmulGflops', 'int8Gops', 'copyGBps', 'roundTripMs'] as const) {
      const v = run.roofline?.[k];
      if (!(v === null || typeof v === 'number')) errs.push(`runs[${i}].roofline.${k} must be a number or null`);
    }
    if (!Array.isArray(run.results)) errs.push(`runs[${i}].results must be an array`);
    for (const [j, s] of (run.sparsity ?? []).entries()) {
      if (!(s.sparsity >= 0 && s.sparsity < 1)) errs.push(`runs[${i}].sparsity[${j}].sparsity must be in [0, 1)`);
      for (const m of ['dense', 'sparse', 'auto'] as const) {
        const v = s[m]?.latencyP50Ms;
        if (!(v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0)))
          errs.push(`runs[${i}].sparsity[${j}].${m}.latencyP50Ms must be a positive number or null`);
        if (s.status === 'ok' && v === null) errs.push(`runs[${i}].sparsity[${j}].${m}.latencyP50Ms is null on an 'ok' row`);
      }
      if (!Array.isArray(s.layers)) errs.push(`runs[${i}].sparsity[${j}].layers must be an array`);
      for (const [k, l] of (s.layers ?? []).entries())
        if (l.autoPick !== 'dense' && l.autoPick !== 'sparse') errs.push(`runs[${i}].sparsity[${j}].layers[${k}].autoPick must be dense|sparse`);
    }
    for (const [j, c] of (run.compressedWeights ?? []).entries()) {
      if (c.weights !== 'decoded' && c.weights !== 'compressed') errs.push(`runs[${i}].compressedWeights[${j}].weights must be decoded|compressed`);
      for (const k of ['residentWeightBytes', 'fp32WeightBytes', 'latencyP50Ms', 'imagesPerSecond'] as const) {
        const v = c[k];
        if (!(v === null || (typeof v === 'number' && Number.isFinite(v) && v >= 0)))
          errs.push(`runs[${i}].compressedWeights[${j}].${k} must be a non-negative number or null`);
        if (c.status === 'ok' && v === null) errs.push(`runs[${i}].compressedWeights[${j}].${k} is null on an 'ok' row`);
      }
    }
  }
  for (const [i, r] of (o.results ?? []).entries()) {
    if (!RUNTIMES.includes(r.runtime)) errs.push(`results[${i}].runtime '${String(r.runtime)}' unknown`);
    if (r.precision !== 'fp32' && r.precision !== 'int8') errs.push(`results[${i}].precision must be fp32|int8`);
    if (r.environment !== 'node' && r.environment !== 'chromium') errs.push(`results[${i}].environment must be node|chromium`);
    if (!(Number.isInteger(r.batch) && r.batch >= 1)) errs.push(`results[${i}].batch must be a positive integer`);
    for (const k of ['latencyP50Ms', 'latencyP90Ms', 'imagesPerSecond'] as const) {
      const v = r[k];
      if (!(v === null || (typeof v === 'number' && Number.isFinite(v)))) errs.push(`results[${i}].${k} must be a finite number or null`);
      if (r.status === 'ok' && v === null) errs.push(`results[${i}].${k} is null on an 'ok' row`);
    }
  }
  if (!Array.isArray(o.training)) errs.push('training must be an array');
  for (const [i, t] of (o.training ?? []).entries()) {
    if (t.runtime !== 'lab' && t.runtime !== 'cpu-reference') errs.push(`training[${i}].runtime must be lab|cpu-reference`);
    if (t.environment !== 'node' && t.environment !== 'chromium') errs.push(`training[${i}].environment must be node|chromium`);
    if (!(Number.isInteger(t.batch) && t.batch >= 1)) errs.push(`training[${i}].batch must be a positive integer`);
    const v = t.imagesPerSecond;
    if (!(v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0))) errs.push(`training[${i}].imagesPerSecond must be a positive number or null`);
    if (t.status === 'ok' && v === null) errs.push(`training[${i}].imagesPerSecond is null on an 'ok' row`);
  }
  return errs;
}
