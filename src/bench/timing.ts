/**
 * How the benchmark times one runtime: every runtime (the lab, its peers, the
 * CPU reference) behind the same call shape, batch-1 round trips cycled over
 * distinct images, then images/s per throughput batch within a time budget.
 */
import { layerTimes as engineLayerTimes, type Runner } from '../engine/index.ts';
import type { Dataset } from '../data/dataset.ts';
import { toFloatBatch } from '../data/dataset.ts';
import type { BenchOptions, BenchResult, Environment, LayerTime, Precision, Runtime } from './schema.ts';
import { imagesPerSecond, runsForBudget, summarize } from './stats.ts';

/** Distinct batch-1 inputs cycled through, so no runtime times one cached image. */
const LATENCY_IMAGES = 64;
/** Per-layer timestamp runs per batch (median taken). */
const LAYER_RUNS = 15;
/** Batch-1 runs a peer or the CPU reference gets at least, whatever the latency budget. */
const MIN_PEER_LATENCY_RUNS = 30;

export interface Timed {
  p50: number;
  p90: number;
  mean: number;
  ips: number;
  runs: number;
}

/** Warm up, then time `runs` calls one after another; images/s from the total wall time. */
export async function timeCalls(call: (i: number) => Promise<unknown>, batch: number, warmup: number, runs: number): Promise<Timed> {
  for (let i = 0; i < warmup; i++) await call(i);
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await call(i);
    samples.push(performance.now() - t0);
  }
  const total = performance.now() - start;
  const s = summarize(samples);
  return { p50: s.p50, p90: s.p90, mean: s.mean, ips: imagesPerSecond(batch * runs, total), runs };
}

/**
 * One warm-up call tells how long a call takes; the budget then sets the
 * number of timed runs (at least `minRuns`).
 */
export async function timeWithBudget(
  call: (i: number) => Promise<unknown>,
  batch: number,
  options: BenchOptions,
  minRuns = options.minThroughputRuns,
): Promise<Timed> {
  const t0 = performance.now();
  await call(0);
  const estimate = performance.now() - t0;
  const runs = runsForBudget(estimate, options.throughputBudgetMs, minRuns, 200);
  return timeCalls(call, batch, 0, runs);
}

/** Inputs shared by every runtime: the first images of the MNIST test split, float NHWC /255. */
export class Inputs {
  private readonly single: Float32Array[];
  private readonly batches = new Map<number, Float32Array>();
  constructor(private readonly test: Dataset) {
    this.single = Array.from({ length: Math.min(LATENCY_IMAGES, test.count) }, (_, i) => toFloatBatch(test, i, 1));
  }
  one(i: number): Float32Array {
    return this.single[i % this.single.length];
  }
  batch(n: number): Float32Array {
    let x = this.batches.get(n);
    if (!x) {
      // Batches larger than the test set wrap around (never the case for MNIST's 10,000).
      x = new Float32Array(n * this.test.rows * this.test.cols);
      const per = this.test.rows * this.test.cols;
      for (let s = 0; s < n; s += this.test.count) x.set(toFloatBatch(this.test, 0, Math.min(this.test.count, n - s)), s * per);
      this.batches.set(n, x);
    }
    return x;
  }
}

export function row(
  env: Environment,
  runtime: Runtime,
  model: string,
  precision: Precision,
  batch: number,
  t: Timed | null,
  status: BenchResult['status'] = 'ok',
  note?: string,
): BenchResult {
  return {
    runtime,
    environment: env,
    model,
    precision,
    batch,
    latencyP50Ms: t ? t.p50 : null,
    latencyP90Ms: t ? t.p90 : null,
    latencyMeanMs: t ? t.mean : null,
    imagesPerSecond: t ? t.ips : null,
    runs: t ? t.runs : 0,
    status,
    ...(note ? { note } : {}),
  };
}

/**
 * The run of one runtime over batch 1 and the throughput batches, as result
 * rows, and its per-image time at the last batch it ran (ms, for budgeting).
 *
 * The lab's fp32 engine always does `latencyRuns` batch-1 runs (its int8 path
 * within 3 × `latencyBudgetMs`), and the lab every batch. A peer or
 * the CPU reference gets `latencyBudgetMs` for its batch-1 runs (at least
 * MIN_PEER_LATENCY_RUNS, marked `sampled` when fewer than `latencyRuns`), at
 * least one timed call per batch after the warm-up call, and a throughput
 * batch after the first whose estimated call (per-image time of the previous
 * batch × batch) exceeds `maxCallMs` is skipped, with the estimate in its note.
 */
export async function timeRuntime(
  env: { environment: Environment; log(line: string): void },
  options: BenchOptions,
  inputs: Inputs,
  runtime: Runtime,
  model: string,
  precision: Precision,
  call: (x: Float32Array, batch: number) => Promise<unknown>,
  note?: string,
): Promise<{ rows: BenchResult[]; perImageMs: number }> {
  const rows: BenchResult[] = [];
  const label = `${runtime} ${model} ${precision}`;
  const isLab = runtime === 'lab';
  let latency: Timed;
  let sampled: string | undefined;
  // The lab's fp32 engine always gets every run asked for; its int8 path (a different executor, slow at
  // batch 1 on some adapters) gets 3× the peers' budget, and is marked when that cuts it short.
  const fullLatency = isLab && precision === 'fp32';
  const latencyBudget = isLab ? 3 * options.latencyBudgetMs : options.latencyBudgetMs;
  if (fullLatency) latency = await timeCalls((i) => call(inputs.one(i), 1), 1, options.warmup, options.latencyRuns);
  else {
    const warm = isLab ? options.warmup : Math.max(1, Math.min(3, options.warmup));
    let last = 0;
    for (let i = 0; i < warm; i++) {
      const t0 = performance.now();
      await call(inputs.one(i), 1);
      last = performance.now() - t0;
    }
    // The last warm-up call is the estimate: the first ones may compile.
    const runs = runsForBudget(last, latencyBudget, Math.min(options.latencyRuns, MIN_PEER_LATENCY_RUNS), options.latencyRuns);
    latency = await timeCalls((i) => call(inputs.one(i), 1), 1, 0, runs);
    if (runs < options.latencyRuns) sampled = `${runs} of ${options.latencyRuns} batch-1 runs (latency budget ${(latencyBudget / 1000).toFixed(0)} s)`;
  }
  rows.push({ ...row(env.environment, runtime, model, precision, 1, latency, 'ok', note), ...(sampled ? { sampled } : {}) });
  env.log(`  ${label} batch 1: p50 ${latency.p50.toFixed(3)} ms, p90 ${latency.p90.toFixed(3)} ms, ${latency.ips.toFixed(0)} img/s (${latency.runs} runs)`);
  let perImageMs = latency.mean;
  let from = 1;
  for (const [i, b] of options.batches.entries()) {
    const estimate = perImageMs * b;
    // The smallest throughput batch always runs: batch 1's per-image time overestimates a batched call several times over.
    if (!isLab && i > 0 && estimate > options.maxCallMs) {
      const why = `not measured: one call estimated at ${(estimate / 1000).toFixed(0)} s (batch ${from} per-image time × ${b}) > max call ${(options.maxCallMs / 1000).toFixed(0)} s`;
      rows.push(row(env.environment, runtime, model, precision, b, null, 'skipped', why));
      env.log(`  ${label} batch ${b}: ${why}`);
      continue;
    }
    const x = inputs.batch(b);
    // The lab compiles nothing per batch size (pipelines are made at load, buffers for the largest batch),
    // so after its first throughput batch the previous batch is the warm-up and the estimate. Peers
    // (TF.js compiles per shape) warm up at every batch, then one timed call is enough when a call is long.
    const t =
      isLab && i > 0
        ? await timeCalls(() => call(x, b), b, 0, runsForBudget(estimate, options.throughputBudgetMs, options.minThroughputRuns, 200))
        : await timeWithBudget(() => call(x, b), b, options, isLab ? options.minThroughputRuns : 1);
    rows.push(row(env.environment, runtime, model, precision, b, t, 'ok', note));
    env.log(`  ${label} batch ${b}: ${t.ips.toFixed(0)} img/s, p50 ${t.p50.toFixed(2)} ms (${t.runs} runs)`);
    perImageMs = t.mean / b;
    from = b;
  }
  return { rows, perImageMs };
}

/** Per-layer GPU time (median of LAYER_RUNS, 5 at larger batches) at each of `batches`; 'wall' when the device has no timestamps. */
export async function layerTimes(
  ex: Runner,
  precision: Precision,
  inputs: Inputs,
  batches: number[],
): Promise<{ method: 'timestamp' | 'wall'; layers: LayerTime[] }> {
  const out: LayerTime[] = [];
  for (const b of batches) {
    const t = await engineLayerTimes(ex, b === 1 ? inputs.one(0) : inputs.batch(b), b, b === 1 ? LAYER_RUNS : 5);
    if (!t) return { method: 'wall', layers: out };
    for (const s of t.steps) out.push({ precision, batch: b, layers: s.layers, kernel: s.kernel, ms: s.ms });
  }
  return { method: 'timestamp', layers: out };
}
