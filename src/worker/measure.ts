/**
 * Measuring a variant: test accuracy (GPU, or the CPU reference without
 * WebGPU), batch-1 latency p50/p90, throughput, per-layer GPU time, and
 * single-image predictions for the Try-it screen. Every number comes from a
 * run here; the timer module decides how (timestamps or wall clock).
 */
import { describeAdapter } from '../gpu/device.ts';
import { toFloatBatch } from '../data/dataset.ts';
import { classifySet, createRunner, layerTimes, score, timeRunner, type Runner } from '../engine/index.ts';
import { datasetOf, gpuOrNull, int8ModelOf, loadDataset, runnerFor, type LoadedModel } from './session.ts';
import { yieldToEvents, type JobContext } from './jobs.ts';
import { summarize } from './describe.ts';
import type { Prediction, ResultRecord } from './types.ts';

/** The CPU reference of a variant (float, or integer for int8 variants): what runs without WebGPU. */
async function cpuRunner(loaded: LoadedModel): Promise<Runner> {
  // The CPU reference is slow: small steps keep cancel and progress responsive.
  return createRunner('cpu', loaded.stored.runtime === 'int8' ? await int8ModelOf(loaded) : loaded.model, { maxBatch: 50 });
}

/** The variant's runner: on the GPU when there is one, else the CPU reference. */
async function anyRunner(loaded: LoadedModel): Promise<Runner> {
  return (await gpuOrNull()) ? runnerFor(loaded) : cpuRunner(loaded);
}

/** Predicted classes of test images [start, start+count), on the GPU when there is one. */
export async function classify(loaded: LoadedModel, start: number, count: number, ctx?: JobContext): Promise<{ classes: Int32Array; ranOn: 'gpu' | 'cpu' }> {
  const test = await loadDataset(datasetOf(loaded), 'test', ctx);
  const gpu = await gpuOrNull();
  if (gpu && ctx)
    ctx.progress({
      phase: `Preparing ${loaded.stored.name} on the GPU (compiling kernels${gpu.report.software ? '; slow on a software adapter' : ''})`,
      done: 0,
      total: 0,
    });
  const runner = await anyRunner(loaded);
  ctx?.check();
  const classes = await classifySet(runner, test, {
    start,
    limit: count,
    step: Math.min(runner.chunk, 500),
    onStep: async (done, total) => {
      if (!ctx) return;
      ctx.progress({ phase: `Accuracy on ${total.toLocaleString('en-US')} test images`, done, total });
      await yieldToEvents(ctx);
    },
  });
  return { classes, ranOn: runner.on };
}

/** Per-layer GPU time of a float variant (median of `runs` timed batch-1 runs), or null when it cannot be had. */
export async function profileLayers(
  loaded: LoadedModel,
  runs: number,
  ctx: JobContext,
): Promise<{ method: 'timestamp' | 'wall'; runs: number; batch: number; steps: { layers: string[]; ms: number }[] } | null> {
  if (loaded.stored.runtime !== 'fp32') return null;
  if (!(await gpuOrNull())) return null;
  const runner = await runnerFor(loaded);
  const test = await loadDataset(datasetOf(loaded), 'test', ctx);
  ctx.progress({ phase: 'Timing each layer on the GPU', done: 0, total: 0 });
  const t = await layerTimes(runner, toFloatBatch(test, 0, 1), 1, runs, () => yieldToEvents(ctx));
  return t ? { method: t.method, steps: t.steps.map((s) => ({ layers: s.layers, ms: s.ms })), runs, batch: 1 } : null;
}

/** Options of a measurement. */
export interface EvaluateOptions {
  /** Test images to score (default: the whole test split). */
  limit?: number;
  /** Batch-1 latency runs after warm-up (default 20). */
  runs?: number;
}

/**
 * Accuracy on the test split, batch-1 latency (p50/p90), throughput at the
 * executor's chunk size (≤ 256) and per-layer GPU time: one result record.
 */
export async function evaluateVariant(loaded: LoadedModel, options: EvaluateOptions, ctx: JobContext): Promise<ResultRecord> {
  const dataset = datasetOf(loaded);
  const test = await loadDataset(dataset, 'test', ctx);
  const count = Math.max(1, Math.min(options.limit ?? test.count, test.count));
  const { classes, ranOn } = await classify(loaded, 0, count, ctx);
  const { accuracy, errors } = score(classes, test);
  const summary = summarize(loaded.stored, loaded.model);
  const gpu = await gpuOrNull();
  const runs = options.runs ?? 20;
  const runner = gpu ? await runnerFor(loaded) : await cpuRunner(loaded);
  const phase = `Latency (batch 1, end to end${gpu ? '' : ', CPU reference'})`;
  ctx.progress({ phase, done: 0, total: runs });
  // End-to-end: upload, all kernels, class readback — what a user waits for, and the same method for every variant.
  // Without WebGPU the CPU reference is timed instead (fewer runs: it is slow), labelled as such by `runtime`.
  const timing = await timeRunner(runner, test, {
    runs: gpu ? runs : Math.min(runs, 10),
    warmup: gpu ? 3 : 1,
    batch: gpu ? 256 : 1,
    throughputRuns: gpu ? 5 : 1,
    onLatencyRun: (done, total) => {
      ctx.progress({ phase, done, total });
      ctx.check();
    },
    onThroughput: async (b) => {
      await yieldToEvents(ctx);
      ctx.progress({ phase: `Throughput (batch ${b})`, done: 0, total: 0 });
    },
  });
  const latency = { p50: timing.latencyP50Ms, p90: timing.latencyP90Ms, method: 'wall' as const };
  const throughput = gpu ? { ips: timing.imagesPerSecond, batch: timing.batch } : undefined;
  let layerMs: { layers: string; ms: number }[] | undefined;
  if (gpu) {
    const prof = await profileLayers(loaded, 10, ctx);
    if (prof) layerMs = prof.steps.map((s) => ({ layers: s.layers.join('+'), ms: s.ms }));
  }
  const now = new Date().toISOString();
  return {
    id: `r-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
    modelId: loaded.stored.id,
    variant: loaded.stored.name,
    architecture: loaded.model.architecture.name,
    runtime: ranOn === 'cpu' ? 'cpu' : loaded.stored.runtime,
    untrained: summary.untrained,
    dataset,
    count,
    accuracy,
    errors,
    bytes: summary.bytes,
    fp32Bytes: summary.fp32Bytes,
    ratio: summary.fp32Bytes / summary.bytes,
    flops: summary.flops,
    nonZero: summary.nonZero,
    latencyP50: latency?.p50,
    latencyP90: latency?.p90,
    timingMethod: latency?.method,
    runs,
    throughput: throughput?.ips,
    throughputBatch: throughput?.batch,
    layerMs,
    ...(timing.gpuWeightBytes !== undefined ? { gpuWeightBytes: timing.gpuWeightBytes, gpuWeightFp32: timing.gpuWeightFp32 } : {}),
    ...(timing.sparseLayers?.length ? { sparseLayers: timing.sparseLayers } : {}),
    device: gpu ? describeAdapter(gpu.report) : 'CPU reference (no WebGPU)',
    source: 'measured',
    createdAt: now,
  };
}

function softmax(logits: Float32Array): number[] {
  const m = Math.max(...logits);
  const e = Array.from(logits, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Probabilities of one 28×28 image (floats 0–1) under a variant. */
export async function predictOne(loaded: LoadedModel, x: Float32Array): Promise<Prediction> {
  const runner = await anyRunner(loaded);
  const logits = await runner.logits(x, 1);
  const probabilities = softmax(logits);
  return {
    modelId: loaded.stored.id,
    variant: loaded.stored.name,
    runtime: runner.on === 'gpu' ? loaded.stored.runtime : 'cpu',
    probabilities,
    top: probabilities.indexOf(Math.max(...probabilities)),
    ranOn: runner.on,
  };
}
