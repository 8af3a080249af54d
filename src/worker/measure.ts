/**
 * Measuring a variant: test accuracy (GPU, or the CPU reference without
 * WebGPU), batch-1 latency p50/p90, throughput, per-layer GPU time, and
 * single-image predictions for the Try-it screen. Every number comes from a
 * run here; the timer module decides how (timestamps or wall clock).
 */
import { measure } from '../gpu/timer.ts';
import type { Executor } from '../gpu/executor.ts';
import { describeAdapter } from '../gpu/device.ts';
import { modelForward } from '../cpu/forward.ts';
import { int8ModelForward } from '../cpu/quantized.ts';
import { toFloatBatch, type DatasetName } from '../data/dataset.ts';
import { executorFor, gpuOrNull, int8ModelOf, loadDataset, type AnyExecutor, type LoadedModel } from './session.ts';
import { yieldToEvents, type JobContext } from './jobs.ts';
import { summarize } from './describe.ts';
import type { Prediction, ResultRecord } from './types.ts';

/** The part of both executors' API the lab uses. */
interface Runner {
  chunk: number;
  run(input: Float32Array, batch: number, options: { readback: 'argmax' }): Promise<Int32Array>;
  run(input: Float32Array, batch: number, options: { readback: 'logits' }): Promise<Float32Array>;
  run(input: Float32Array, batch: number, options: { readback: 'none' }): Promise<null>;
}
const runner = (e: AnyExecutor): Runner => e as unknown as Runner;

/** Dataset a variant was trained for (provenance), MNIST by default. */
export function datasetOf(loaded: LoadedModel): DatasetName {
  const d = loaded.model.provenance?.dataset ?? loaded.stored.runtimeOptions?.dataset;
  return d === 'fashion-mnist' ? 'fashion-mnist' : 'mnist';
}

function argmaxRows(logits: Float32Array, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** Class indices of `n` images on the CPU reference (float, or integer for int8 variants). */
async function cpuClasses(loaded: LoadedModel, x: Float32Array, n: number): Promise<Int32Array> {
  if (loaded.stored.runtime === 'int8') return argmaxRows(int8ModelForward(await int8ModelOf(loaded), x, n).logits, 10);
  return argmaxRows(modelForward(loaded.model, x, n), 10);
}

/** Predicted classes of test images [start, start+count), on the GPU when there is one. */
export async function classify(loaded: LoadedModel, start: number, count: number, ctx?: JobContext): Promise<{ classes: Int32Array; ranOn: 'gpu' | 'cpu' }> {
  const test = await loadDataset(datasetOf(loaded), 'test');
  const gpu = await gpuOrNull();
  if (gpu && ctx) ctx.progress({ phase: `Preparing ${loaded.stored.name} on the GPU (compiling kernels${gpu.report.software ? '; slow on a software adapter' : ''})`, done: 0, total: 0 });
  const exec = gpu ? runner(await executorFor(loaded)) : null;
  ctx?.check();
  // The CPU reference is slow: small steps keep cancel and progress responsive.
  const step = exec ? Math.min(exec.chunk, 500) : 50;
  const classes = new Int32Array(count);
  for (let s = 0; s < count; s += step) {
    const n = Math.min(step, count - s);
    const x = toFloatBatch(test, start + s, n);
    classes.set(exec ? await exec.run(x, n, { readback: 'argmax' }) : await cpuClasses(loaded, x, n), s);
    if (ctx) {
      ctx.progress({ phase: `Accuracy on ${count.toLocaleString('en-US')} test images`, done: s + n, total: count });
      await yieldToEvents(ctx);
    }
  }
  return { classes, ranOn: exec ? 'gpu' : 'cpu' };
}

/** Median of each step's time over repeated timed runs (fp32 executor with timestamp-query). */
async function layerTimes(exec: Executor, x: Float32Array, runs: number, ctx: JobContext): Promise<{ method: 'timestamp' | 'wall'; steps: { layers: string[]; ms: number }[] } | null> {
  await exec.time(x, 1); // warm-up
  const samples: { layers: string[]; ms: number }[][] = [];
  let method: 'timestamp' | 'wall' = 'timestamp';
  for (let i = 0; i < runs; i++) {
    const t = await exec.time(x, 1);
    if (t.method === 'wall') {
      method = 'wall';
      break;
    }
    samples.push(t.layers);
    await yieldToEvents(ctx);
  }
  if (method === 'wall' || !samples.length) return null;
  const steps = samples[0].map((s, i) => {
    const v = samples.map((r) => r[i].ms).sort((a, b) => a - b);
    return { layers: s.layers, ms: v[Math.floor((v.length - 1) / 2)] };
  });
  return { method, steps };
}

/** Per-layer GPU time of a float variant (median of `runs` timed batch-1 runs), or null when it cannot be had. */
export async function profileLayers(loaded: LoadedModel, runs: number, ctx: JobContext): Promise<{ method: 'timestamp' | 'wall'; runs: number; batch: number; steps: { layers: string[]; ms: number }[] } | null> {
  if (loaded.stored.runtime !== 'fp32') return null;
  const gpu = await gpuOrNull();
  if (!gpu) return null;
  const exec = (await executorFor(loaded)) as Executor;
  const test = await loadDataset(datasetOf(loaded), 'test');
  ctx.progress({ phase: 'Timing each layer on the GPU', done: 0, total: 0 });
  const t = await layerTimes(exec, toFloatBatch(test, 0, 1), runs, ctx);
  return t ? { ...t, runs, batch: 1 } : null;
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
  const test = await loadDataset(dataset, 'test');
  const count = Math.max(1, Math.min(options.limit ?? test.count, test.count));
  const { classes, ranOn } = await classify(loaded, 0, count, ctx);
  let right = 0;
  for (let i = 0; i < count; i++) if (classes[i] === test.labels[i]) right++;
  const summary = summarize(loaded.stored, loaded.model);
  const gpu = await gpuOrNull();
  const runs = options.runs ?? 20;
  const x1 = toFloatBatch(test, 0, 1);
  let latency: { p50: number; p90: number; method: 'timestamp' | 'wall' } | undefined;
  let throughput: { ips: number; batch: number } | undefined;
  let layerMs: { layers: string; ms: number }[] | undefined;
  let gpuWeights: { bytes: number; fp32: number } | undefined;
  let sparseLayers: string[] | undefined;
  if (gpu) {
    const exec = runner(await executorFor(loaded));
    ctx.progress({ phase: 'Latency (batch 1, end to end)', done: 0, total: runs });
    let k = 0;
    // End-to-end: upload, all kernels, class readback — what a user waits for, and the same method for every variant.
    const lat = await measure(
      async () => {
        await exec.run(x1, 1, { readback: 'argmax' });
        ctx.progress({ phase: 'Latency (batch 1, end to end)', done: Math.max(0, ++k - 3), total: runs });
        ctx.check();
      },
      { warmup: 3, runs },
    );
    latency = { p50: lat.p50, p90: lat.p90, method: 'wall' };
    await yieldToEvents(ctx);
    const b = Math.min(exec.chunk, 256, test.count);
    const xb = toFloatBatch(test, 0, b);
    ctx.progress({ phase: `Throughput (batch ${b})`, done: 0, total: 0 });
    const thr = await measure(
      async () => {
        await exec.run(xb, b, { readback: 'none' });
        ctx.check();
      },
      { warmup: 1, runs: 5 },
    );
    throughput = { ips: b / (thr.p50 / 1000), batch: b };
    // What the float executor holds and chose (the int8 executor has its own int8 buffers and no sparse kernel).
    const fexec = (await executorFor(loaded)) as Partial<Executor>;
    if (fexec.weightBytes) {
      gpuWeights = { bytes: fexec.weightBytes.bytes, fp32: fexec.weightBytes.fp32 };
      sparseLayers = [...new Set((fexec.sparseDecisions ?? []).filter((d) => d.chosen === 'sparse').map((d) => d.layers[0]))];
    }
    const prof = await profileLayers(loaded, 10, ctx);
    if (prof) layerMs = prof.steps.map((s) => ({ layers: s.layers.join('+'), ms: s.ms }));
  } else {
    // Without WebGPU: the CPU reference's latency, labelled as such.
    const lat = await measure(() => cpuClasses(loaded, x1, 1), { warmup: 1, runs: Math.min(runs, 10) });
    latency = { p50: lat.p50, p90: lat.p90, method: 'wall' };
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
    accuracy: right / count,
    errors: count - right,
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
    ...(gpuWeights ? { gpuWeightBytes: gpuWeights.bytes, gpuWeightFp32: gpuWeights.fp32 } : {}),
    ...(sparseLayers?.length ? { sparseLayers } : {}),
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
  const gpu = await gpuOrNull();
  let logits: Float32Array;
  if (gpu) logits = await runner(await executorFor(loaded)).run(x, 1, { readback: 'logits' });
  else if (loaded.stored.runtime === 'int8') logits = int8ModelForward(await int8ModelOf(loaded), x, 1).logits;
  else logits = modelForward(loaded.model, x, 1);
  const probabilities = softmax(logits);
  return {
    modelId: loaded.stored.id,
    variant: loaded.stored.name,
    runtime: gpu ? loaded.stored.runtime : 'cpu',
    probabilities,
    top: probabilities.indexOf(Math.max(...probabilities)),
    ranOn: gpu ? 'gpu' : 'cpu',
  };
}
