/**
 * What a user waits for, measured on this device the same way in every front
 * end: batch-1 round trips (upload, all kernels, class readback) after
 * warm-up, as p50/p90, and images per second at a batch. Per-layer GPU time
 * comes from the runner's `time()` (timestamp queries where the device has
 * them).
 */
import { measure, type TimingMethod } from '../gpu/timer.ts';
import type { Dataset } from '../data/dataset.ts';
import { toFloatBatch } from '../data/dataset.ts';
import { DEFAULTS } from '../model/defaults.ts';
import type { Runner } from './runner.ts';

/** Batch-1 latency and throughput of a runner. */
export interface RunnerTiming {
  latencyP50Ms: number;
  latencyP90Ms: number;
  runs: number;
  imagesPerSecond: number;
  batch: number;
  /** Float GPU runners: weight bytes resident on the GPU, and the layers the sparse kernel won. */
  gpuWeightBytes?: number;
  gpuWeightFp32?: number;
  sparseLayers?: string[];
}

/** Options of `timeRunner`. */
export interface TimeOptions {
  runs?: number;
  warmup?: number;
  /** Throughput batch (default DEFAULTS.throughputBatch, at most the runner's chunk and the set). */
  batch?: number;
  throughputRuns?: number;
  /** Called after each timed batch-1 run and before the throughput phase (progress, cancellation). */
  onLatencyRun?: (done: number, total: number) => void | Promise<void>;
  onThroughput?: (batch: number) => void | Promise<void>;
}

/** Times `runner` on images of `ds`: batch-1 p50/p90 (wall clock, end to end), then images/s at `batch` (median). */
export async function timeRunner(runner: Runner, ds: Dataset, options: TimeOptions = {}): Promise<RunnerTiming> {
  const runs = options.runs ?? DEFAULTS.latencyRuns;
  const warmup = options.warmup ?? DEFAULTS.latencyWarmup;
  const x1 = toFloatBatch(ds, 0, 1);
  let k = 0;
  const lat = await measure(
    async () => {
      await runner.classify(x1, 1);
      await options.onLatencyRun?.(Math.max(0, ++k - warmup), runs);
    },
    { warmup, runs },
  );
  const batch = Math.max(1, Math.min(options.batch ?? DEFAULTS.throughputBatch, runner.chunk, ds.count));
  await options.onThroughput?.(batch);
  const xb = toFloatBatch(ds, 0, batch);
  const thr = await measure(() => runner.run(xb, batch), { warmup: 1, runs: options.throughputRuns ?? DEFAULTS.throughputRuns });
  const out: RunnerTiming = { latencyP50Ms: lat.p50, latencyP90Ms: lat.p90, runs, imagesPerSecond: batch / (thr.p50 / 1000), batch };
  const w = runner.gpuWeights();
  if (w) {
    out.gpuWeightBytes = w.bytes;
    out.gpuWeightFp32 = w.fp32;
  }
  const sparse = runner.sparseLayers();
  if (sparse.length) out.sparseLayers = sparse;
  return out;
}

/** Per-step GPU time: the median over `runs` timed inferences of `n` images, or null without timestamps. */
export async function layerTimes(
  runner: Runner,
  x: Float32Array,
  n: number,
  runs: number,
  onRun?: () => void | Promise<void>,
): Promise<{ method: TimingMethod; steps: { layers: string[]; kernel: string; ms: number }[] } | null> {
  if (!(await runner.time(x, n))) return null; // warm-up, and the CPU has no per-layer time
  const samples: { layers: string[]; kernel: string; ms: number }[][] = [];
  for (let i = 0; i < runs; i++) {
    const t = await runner.time(x, n);
    if (!t || t.method === 'wall') return null;
    samples.push(t.layers);
    await onRun?.();
  }
  if (!samples.length) return null;
  const steps = samples[0].map((s, i) => {
    const v = samples.map((r) => r[i].ms).sort((a, b) => a - b);
    return { layers: s.layers, kernel: s.kernel, ms: v[Math.floor((v.length - 1) / 2)] };
  });
  return { method: 'timestamp', steps };
}
