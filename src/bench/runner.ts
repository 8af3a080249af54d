/**
 * The benchmark itself, identical in Node and in the browser: no Node or DOM
 * APIs here. Everything environment-specific — how the GPU was acquired,
 * where model files and MNIST come from, which peers exist, how the device
 * roofline is measured — is handed in as a {@link BenchEnv}.
 *
 * Timing conventions (docs/benchmark.md):
 * - a "round trip" is one call that uploads the input, runs the model and
 *   reads back the 10 logits per image — the same call shape for the lab
 *   (`run(…, { readback: 'logits' })`), TF.js (`predict`), ORT (`run`) and the
 *   CPU reference (`modelForward`);
 * - latency p50/p90 are over individually timed calls after warm-up;
 * - images/s is the batch times the number of calls over the wall time of all
 *   the timed calls back to back — measured, not derived from the latency, so
 *   the article's relations are a real check.
 */
import type { Gpu } from '../gpu/device.ts';
import type { Executor } from '../gpu/executor.ts';
import { createExecutor } from '../gpu/executor.ts';
import type { Int8Executor } from '../gpu/executor-i8.ts';
import { createInt8Executor } from '../gpu/executor-i8.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import { modelForward } from '../cpu/forward.ts';
import type { Dataset } from '../data/dataset.ts';
import { toFloatBatch } from '../data/dataset.ts';
import { accountModel } from '../model/accounting.ts';
import { parseModel } from '../model/format.ts';
import type { Model } from '../model/model.ts';
import type { Agreement, BenchOptions, BenchResult, BenchRun, Environment, LayerTime, LoadBreakdown, ModelReport, Precision, Roofline, Runtime } from './schema.ts';
import { finalizeRun } from './schema.ts';
import { agreement, argmaxRows, imagesPerSecond, runsForBudget, summarize } from './stats.ts';

/** A peer (or the CPU reference) behind one call shape: float NHWC in, logits out. */
export interface PeerRunner {
  run(input: Float32Array, batch: number): Promise<Float32Array>;
  dispose(): Promise<void> | void;
}

/** How to build a peer for a model in this environment. */
export interface PeerFactory {
  runtime: Runtime;
  /** A remark printed with its rows (e.g. ORT's thread count). */
  note?: string;
  create(model: Model): Promise<PeerRunner>;
}

/**
 * The device's limits, each optional: a missing probe (or one that throws)
 * becomes null in the JSON with the reason in `roofline.notes`.
 */
export interface RooflineProbes {
  matmulGflops?: (gpu: Gpu) => Promise<number>;
  int8Gops?: (gpu: Gpu) => Promise<number>;
  copyGBps?: (gpu: Gpu) => Promise<number>;
  roundTripMs?: (gpu: Gpu) => Promise<number>;
  /** Why a probe is missing (e.g. src/gpu/roofline.ts not present yet). */
  missing?: Partial<Record<'matmulGflops' | 'int8Gops' | 'copyGBps' | 'roundTripMs', string>>;
  /** How each probe measures, for the notes. */
  describe?: Partial<Record<'matmulGflops' | 'int8Gops' | 'copyGBps' | 'roundTripMs', string>>;
}

/** A model file's bytes and where its weights came from. */
export interface ModelSource {
  bytes: Uint8Array;
  weights: 'trained' | 'seeded-random';
  source: string;
}

/** What the environment provides to {@link runBench}. */
export interface BenchEnv {
  environment: Environment;
  host: string;
  gpu: Gpu;
  /** MNIST test split (inputs for every timing and the agreement check). */
  test: Dataset;
  /** MNIST training split for int8 calibration; null → int8 calibrated on test images (said in the notes). */
  train: Dataset | null;
  /** A model's bytes: models/<name>.safetensors when present, else a serialized seeded model. */
  loadModel(name: string): Promise<ModelSource>;
  peers: PeerFactory[];
  roofline: RooflineProbes;
  log(message: string): void;
  /** Extra notes from the environment (shared machine, thread counts…). */
  notes?: string[];
}

const CLASSES = 10;
/** Distinct batch-1 inputs cycled through, so no runtime times one cached image. */
const LATENCY_IMAGES = 64;
/** Per-layer timestamp runs per batch (median taken). */
const LAYER_RUNS = 15;
/** Largest batch per call when predicting the agreement set. */
const AGREEMENT_BATCH = 1000;

interface Timed {
  p50: number;
  p90: number;
  mean: number;
  ips: number;
  runs: number;
}

/** Warm up, then time `runs` calls one after another; images/s from the total wall time. */
async function timeCalls(call: (i: number) => Promise<unknown>, batch: number, warmup: number, runs: number): Promise<Timed> {
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

/** One warm-up call tells how long a call takes; the budget then sets the number of timed runs. */
async function timeWithBudget(call: (i: number) => Promise<unknown>, batch: number, options: BenchOptions): Promise<Timed> {
  const t0 = performance.now();
  await call(0);
  const estimate = performance.now() - t0;
  const runs = runsForBudget(estimate, options.throughputBudgetMs, options.minThroughputRuns, 200);
  return timeCalls(call, batch, 0, runs);
}

/** Inputs shared by every runtime: the first images of the MNIST test split, float NHWC /255. */
class Inputs {
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

function row(env: Environment, runtime: Runtime, model: string, precision: Precision, batch: number, t: Timed | null, status: BenchResult['status'] = 'ok', note?: string): BenchResult {
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

/** Predict `images` test images in slices with `predict` (which returns class indices). */
async function predictAll(images: number, test: Dataset, predict: (x: Float32Array, n: number) => Promise<ArrayLike<number>>): Promise<Int32Array> {
  const out = new Int32Array(images);
  const buf = new Float32Array(AGREEMENT_BATCH * test.rows * test.cols);
  for (let s = 0; s < images; s += AGREEMENT_BATCH) {
    const n = Math.min(AGREEMENT_BATCH, images - s);
    const x = toFloatBatch(test, s, n, buf);
    out.set(Array.from(await predict(x, n)), s);
  }
  return out;
}

function accuracy(pred: Int32Array, labels: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) c++;
  return pred.length ? c / pred.length : 0;
}

/** The run of one runtime over batch 1 and the throughput batches, as result rows. */
async function timeRuntime(
  env: BenchEnv,
  options: BenchOptions,
  inputs: Inputs,
  runtime: Runtime,
  model: string,
  precision: Precision,
  call: (x: Float32Array, batch: number) => Promise<unknown>,
  note?: string,
): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const label = `${runtime} ${model} ${precision}`;
  // The CPU reference and wasm at batch 1 are slow on big nets: keep their batch-1 runs inside the budget too.
  const latency =
    runtime === 'lab' || runtime === 'tfjs-webgpu' || runtime === 'ort-webgpu'
      ? await timeCalls((i) => call(inputs.one(i), 1), 1, options.warmup, options.latencyRuns)
      : await (async () => {
          const t0 = performance.now();
          for (let i = 0; i < Math.min(3, options.warmup); i++) await call(inputs.one(i), 1);
          const est = (performance.now() - t0) / Math.max(1, Math.min(3, options.warmup));
          const runs = runsForBudget(est, Math.max(options.throughputBudgetMs, 1), Math.min(options.latencyRuns, 30), options.latencyRuns);
          return timeCalls((i) => call(inputs.one(i), 1), 1, 0, runs);
        })();
  rows.push(row(env.environment, runtime, model, precision, 1, latency, 'ok', note));
  env.log(`  ${label} batch 1: p50 ${latency.p50.toFixed(3)} ms, p90 ${latency.p90.toFixed(3)} ms, ${latency.ips.toFixed(0)} img/s (${latency.runs} runs)`);
  for (const b of options.batches) {
    const x = inputs.batch(b);
    const t = await timeWithBudget(() => call(x, b), b, options);
    rows.push(row(env.environment, runtime, model, precision, b, t, 'ok', note));
    env.log(`  ${label} batch ${b}: ${t.ips.toFixed(0)} img/s, p50 ${t.p50.toFixed(2)} ms (${t.runs} runs)`);
  }
  return rows;
}

/** Per-layer GPU time (median of LAYER_RUNS) at batch 1 and at the largest batch one call can take. */
async function layerTimes(ex: Executor, inputs: Inputs, batches: number[]): Promise<{ method: 'timestamp' | 'wall'; layers: LayerTime[] }> {
  const out: LayerTime[] = [];
  let method: 'timestamp' | 'wall' = 'timestamp';
  for (const b of batches) {
    const x = b === 1 ? inputs.one(0) : inputs.batch(b);
    await ex.time(x, b);
    const per: number[][] = [];
    let meta: { layers: string[]; kernel: string }[] = [];
    for (let r = 0; r < (b === 1 ? LAYER_RUNS : 5); r++) {
      const t = await ex.time(x, b);
      method = t.method;
      if (t.method === 'wall') break;
      meta = t.layers;
      t.layers.forEach((l, i) => (per[i] ??= []).push(l.ms));
    }
    meta.forEach((m, i) => out.push({ batch: b, layers: m.layers, kernel: m.kernel, ms: summarize(per[i]).p50 }));
  }
  return { method, layers: out };
}

/** Calibration images for int8: the first `n` training images (test images if no training split is loaded). */
function calibrationSet(env: BenchEnv, n: number): { data: Float32Array; n: number; from: string } {
  const ds = env.train ?? env.test;
  const count = Math.min(n, ds.count);
  return { data: toFloatBatch(ds, 0, count), n: count, from: `${ds.name}/${ds.split}` };
}

async function measureRoofline(env: BenchEnv, enabled: boolean): Promise<Roofline> {
  const r: Roofline = { matmulGflops: null, int8Gops: null, copyGBps: null, roundTripMs: null, notes: [] };
  if (!enabled) {
    r.notes.push('roofline not measured (disabled for this run)');
    return r;
  }
  for (const k of ['roundTripMs', 'copyGBps', 'matmulGflops', 'int8Gops'] as const) {
    const probe = env.roofline[k];
    if (!probe) {
      r.notes.push(`${k}: not measured — ${env.roofline.missing?.[k] ?? 'no probe in this environment'}`);
      continue;
    }
    try {
      const t0 = performance.now();
      r[k] = await probe(env.gpu);
      // Read after the probe: some descriptions name what the probe found (the best blocking).
      const how = env.roofline.describe?.[k];
      env.log(`  roofline ${k} = ${r[k]!.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      if (how) r.notes.push(`${k}: ${how}`);
    } catch (e) {
      r.notes.push(`${k}: probe failed — ${(e as Error).message}`);
      env.log(`  roofline ${k} failed: ${(e as Error).message}`);
    }
  }
  return r;
}

/**
 * Run the whole benchmark in this environment. Never throws for one failing
 * runtime or model: its rows become 'error' with the message, and the rest runs.
 */
export async function runBench(env: BenchEnv, options: BenchOptions): Promise<BenchRun> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const notes: string[] = [...(env.notes ?? [])];
  const results: BenchResult[] = [];
  const models: ModelReport[] = [];
  const inputs = new Inputs(env.test);
  const maxBatch = Math.max(1, ...options.batches);
  const agreeN = Math.min(options.agreementImages, env.test.count);
  const labels = env.test.labels.subarray(0, agreeN);

  env.log(`[${env.environment}] roofline`);
  const roofline = await measureRoofline(env, options.roofline);

  for (const name of options.models) {
    env.log(`[${env.environment}] ${name}`);
    let src: ModelSource;
    let model: Model;
    let parseMs: number;
    try {
      src = await env.loadModel(name);
      const p0 = performance.now();
      model = parseModel(src.bytes, src.source);
      parseMs = performance.now() - p0;
    } catch (e) {
      notes.push(`${name}: could not load — ${(e as Error).message}`);
      for (const precision of options.precisions) results.push(row(env.environment, 'lab', name, precision, 1, null, 'error', (e as Error).message));
      continue;
    }
    const acc = accountModel(model.architecture);
    const report: ModelReport = {
      model: name,
      weights: src.weights,
      weightSource: src.source,
      flopsPerImage: acc.total.flops,
      macsPerImage: acc.total.macs,
      load: {},
      layerTimingMethod: 'none',
      layers: [],
      agreement: [],
      labAccuracy: null,
    };
    models.push(report);
    let labPred: Int32Array | null = null;

    // --- lab fp32 ---
    if (options.precisions.includes('fp32')) {
      let ex: Executor | null = null;
      try {
        const c0 = performance.now();
        ex = await createExecutor(env.gpu, model, { maxBatch });
        const createMs = performance.now() - c0;
        const lt = ex.loadTime;
        report.load.fp32 = { parseMs, uploadMs: lt.uploadMs, pipelineMs: lt.pipelineMs, allocMs: lt.allocMs, totalMs: parseMs + createMs };
        env.log(`  lab fp32 load ${(parseMs + createMs).toFixed(0)} ms (parse ${parseMs.toFixed(1)}, upload ${lt.uploadMs.toFixed(1)}, pipelines ${lt.pipelineMs.toFixed(0)})`);
        const exr = ex;
        results.push(...(await timeRuntime(env, options, inputs, 'lab', name, 'fp32', (x, b) => exr.run(x, b, { readback: 'logits' }), `variant ${ex.variant}, chunk ${ex.chunk}`)));
        // Layers at batch 1 and the smallest throughput batch: enough to see where time goes, without another minute of batch-1024 runs on a software adapter.
        const lay = await layerTimes(ex, inputs, [...new Set([1, Math.min(ex.chunk, ...options.batches)])]);
        report.layerTimingMethod = lay.method;
        report.layers = lay.layers;
        labPred = await predictAll(agreeN, env.test, (x, n) => exr.run(x, n, { readback: 'argmax' }));
        report.labAccuracy = accuracy(labPred, labels);
        env.log(`  lab fp32 accuracy ${(report.labAccuracy * 100).toFixed(2)} % on ${agreeN} test images`);
      } catch (e) {
        env.log(`  lab fp32 failed: ${(e as Error).message}`);
        results.push(row(env.environment, 'lab', name, 'fp32', 1, null, 'error', (e as Error).message));
      } finally {
        ex?.destroy();
      }
    }

    // --- lab int8 ---
    if (options.precisions.includes('int8')) {
      let ex: Int8Executor | null = null;
      try {
        const cal = calibrationSet(env, options.calibrationImages);
        const q0 = performance.now();
        const i8 = quantizeInt8Model(model, { calibration: cal.data, batch: cal.n, method: 'minmax' });
        const quantizeMs = performance.now() - q0;
        const c0 = performance.now();
        ex = await createInt8Executor(env.gpu, i8, { maxBatch });
        const createMs = performance.now() - c0;
        report.load.int8 = { parseMs, uploadMs: null, pipelineMs: null, allocMs: null, quantizeMs, totalMs: parseMs + quantizeMs + createMs };
        env.log(`  lab int8 load ${(parseMs + quantizeMs + createMs).toFixed(0)} ms (quantize ${quantizeMs.toFixed(0)} on ${cal.n} ${cal.from} images, executor ${createMs.toFixed(0)})`);
        const exr = ex;
        results.push(
          ...(await timeRuntime(env, options, inputs, 'lab', name, 'int8', (x, b) => exr.run(x, b, { readback: 'logits' }), `${ex.dot} dot products, calibrated (minmax) on ${cal.n} ${cal.from} images`)),
        );
        const pred = await predictAll(agreeN, env.test, (x, n) => exr.run(x, n, { readback: 'argmax' }));
        if (labPred) report.agreement.push({ runtime: 'lab-int8', images: agreeN, ...agreementOf(labPred, pred), accuracy: accuracy(pred, labels) });
      } catch (e) {
        const msg = (e as Error).message;
        env.log(`  lab int8 failed: ${msg}`);
        results.push(row(env.environment, 'lab', name, 'int8', 1, null, 'not-available', `int8 path not runnable: ${msg}`));
      } finally {
        ex?.destroy();
      }
    }

    // --- peers and the CPU reference (fp32 weights) ---
    const others: PeerFactory[] = [...env.peers.filter((p) => options.peers.includes(p.runtime))];
    if (options.cpuReference) others.push(cpuReference());
    for (const peer of others) {
      let runner: PeerRunner | null = null;
      try {
        const c0 = performance.now();
        runner = await peer.create(model);
        const createMs = performance.now() - c0;
        const r = runner;
        env.log(`  ${peer.runtime} ready in ${createMs.toFixed(0)} ms`);
        results.push(...(await timeRuntime(env, options, inputs, peer.runtime, name, 'fp32', (x, b) => r.run(x, b), [peer.note, `created in ${createMs.toFixed(0)} ms`].filter(Boolean).join('; '))));
        if (labPred) {
          const pred = await predictAll(agreeN, env.test, async (x, n) => argmaxRows(await r.run(x, n), CLASSES));
          report.agreement.push({ runtime: peer.runtime, images: agreeN, ...agreementOf(labPred, pred), accuracy: accuracy(pred, labels) });
        }
      } catch (e) {
        const msg = (e as Error).message;
        env.log(`  ${peer.runtime} failed: ${msg}`);
        results.push(row(env.environment, peer.runtime, name, 'fp32', 1, null, 'error', msg));
      } finally {
        await runner?.dispose();
      }
    }
  }

  for (const p of ['tfjs-webgpu', 'ort-webgpu', 'ort-wasm'] as const) {
    if (options.peers.includes(p) && !env.peers.some((f) => f.runtime === p)) notes.push(`${p}: not available in ${env.environment}`);
  }
  for (const m of models) {
    const l = m.load.fp32;
    if (l && l.allocMs !== null && l.allocMs < 0) {
      notes.push(`${m.model}: the executor's pipelineMs sums concurrent compilations, so it exceeds wall time and allocMs comes out negative; read totalMs`);
      break;
    }
  }
  return finalizeRun({ environment: env.environment, startedAt, durationMs: performance.now() - t0, adapter: env.gpu.report, host: env.host, options, roofline, results, models, notes });
}

function agreementOf(a: Int32Array, b: Int32Array): Omit<Agreement, 'runtime' | 'images' | 'accuracy'> {
  const r = agreement(a, b);
  return { agree: r.agree, fraction: r.fraction };
}

/** The lab's float32 CPU reference (src/cpu/forward.ts) as a peer: same inputs, logits out. */
export function cpuReference(): PeerFactory {
  return {
    runtime: 'cpu-reference',
    note: 'float32 reference in plain TypeScript, one thread',
    async create(model: Model): Promise<PeerRunner> {
      return { run: async (x, b) => modelForward(model, x, b), dispose: () => {} };
    },
  };
}
