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
import { calibrateInt8, createRunner, type Runner } from '../engine/index.ts';
import { modelForward } from '../cpu/forward.ts';
import type { Dataset } from '../data/dataset.ts';
import { toFloatBatch } from '../data/dataset.ts';
import { accountModel } from '../model/accounting.ts';
import { parseModel } from '../model/format.ts';
import type { Model } from '../model/model.ts';
import type {
  Agreement,
  BenchOptions,
  BenchResult,
  BenchRun,
  CompressedWeightsResult,
  Environment,
  ModelReport,
  Roofline,
  Runtime,
  TrainingResult,
} from './schema.ts';
import { finalizeRun } from './schema.ts';
import { Inputs, layerTimes, row, timeRuntime } from './timing.ts';
import { agreement, argmaxRows } from './stats.ts';
import { measureCpuTraining, measureGpuTraining } from './training.ts';
import { measureSparsity, SPARSITY_LEVELS } from './sparsity.ts';
import type { SparsityResult } from './schema.ts';
import { measureCompressedWeights } from './compressed-weights.ts';

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
/** Batch per call when predicting the agreement set (a batch every runtime has already run in a full run). */
const AGREEMENT_BATCH = 256;
/** …and for a runtime so slow that one such call would overrun the agreement budget. */
const AGREEMENT_BATCH_SLOW = 64;
/**
 * Predict the first `images` test images in slices of `chunk` with `predict`
 * (class indices out), stopping after the slice that passes `budgetMs`: the
 * result may be shorter than `images` — its length is what was compared.
 */
async function predictAll(
  images: number,
  test: Dataset,
  predict: (x: Float32Array, n: number) => Promise<ArrayLike<number>>,
  budgetMs = Infinity,
  chunk = AGREEMENT_BATCH,
): Promise<Int32Array> {
  const out = new Int32Array(images);
  const buf = new Float32Array(chunk * test.rows * test.cols);
  const t0 = performance.now();
  let done = 0;
  while (done < images && (done === 0 || performance.now() - t0 < budgetMs)) {
    const n = Math.min(chunk, images - done);
    const x = toFloatBatch(test, done, n, buf);
    out.set(Array.from(await predict(x, n)), done);
    done += n;
  }
  return out.subarray(0, done);
}

function accuracy(pred: Int32Array, labels: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) c++;
  return pred.length ? c / pred.length : 0;
}

/** Agreement of `pred` (a prefix of the test set) with the lab fp32 reference predictions. */
function agreementRow(runtime: Agreement['runtime'], lab: Int32Array, pred: Int32Array, labels: Uint8Array, requested: number): Agreement {
  const n = Math.min(lab.length, pred.length);
  const r = agreement(lab.subarray(0, n), pred.subarray(0, n));
  return { runtime, images: n, requested, agree: r.agree, fraction: r.fraction, accuracy: accuracy(pred.subarray(0, n), labels.subarray(0, n)) };
}

/** Agreement chunk: the usual batch, or a small one when a call at it would not fit the budget. */
function agreementChunk(perImageMs: number, budgetMs: number): number {
  return perImageMs * AGREEMENT_BATCH > budgetMs ? AGREEMENT_BATCH_SLOW : AGREEMENT_BATCH;
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

/** What the lab's own rows of one model need. */
interface LabContext {
  env: BenchEnv;
  options: BenchOptions;
  inputs: Inputs;
  name: string;
  model: Model;
  parseMs: number;
  report: ModelReport;
  results: BenchResult[];
  maxBatch: number;
  agreeN: number;
  labels: Uint8Array;
}

/**
 * The lab's fp32 rows of one model: load time, latency and throughput, layer
 * times, and the reference predictions every other runtime is compared on
 * (null when the fp32 path failed).
 */
async function benchLabFp32(c: LabContext): Promise<Int32Array | null> {
  const { env, options, inputs, name, report } = c;
  let ex: Runner | null = null;
  try {
    const c0 = performance.now();
    ex = await createRunner(env.gpu, c.model, { maxBatch: c.maxBatch });
    const createMs = performance.now() - c0;
    const lt = ex.loadTime!;
    report.load.fp32 = { parseMs: c.parseMs, uploadMs: lt.uploadMs, pipelineMs: lt.pipelineMs, allocMs: lt.allocMs, totalMs: c.parseMs + createMs };
    env.log(
      `  lab fp32 load ${(c.parseMs + createMs).toFixed(0)} ms (parse ${c.parseMs.toFixed(1)}, upload ${lt.uploadMs.toFixed(1)}, pipelines ${lt.pipelineMs.toFixed(0)})`,
    );
    const exr = ex;
    const timed = await timeRuntime(env, options, inputs, 'lab', name, 'fp32', (x, b) => exr.logits(x, b), ex.codePath);
    c.results.push(...timed.rows);
    // Layers at batch 1 and the smallest throughput batch: enough to see where time goes, without another minute of batch-1024 runs on a software adapter.
    const lay = await layerTimes(ex, 'fp32', inputs, [...new Set([1, Math.min(ex.chunk, ...options.batches)])]);
    report.layerTimingMethod = lay.method;
    report.layers = lay.layers;
    // The reference predictions: every other runtime is compared on (a prefix of) these.
    const a0 = performance.now();
    const labPred = await predictAll(c.agreeN, env.test, (x, n) => exr.classify(x, n), 2 * options.agreementBudgetMs);
    report.labAccuracy = accuracy(labPred, c.labels.subarray(0, labPred.length));
    report.labAccuracyImages = labPred.length;
    env.log(
      `  lab fp32 accuracy ${(report.labAccuracy * 100).toFixed(2)} % on ${labPred.length} test images (${((performance.now() - a0) / 1000).toFixed(0)} s)`,
    );
    return labPred;
  } catch (e) {
    env.log(`  lab fp32 failed: ${(e as Error).message}`);
    c.results.push(row(env.environment, 'lab', name, 'fp32', 1, null, 'error', (e as Error).message));
    return null;
  } finally {
    ex?.destroy();
  }
}

/** The lab's int8 rows of one model: calibration and load time, latency and throughput, layer times, agreement with fp32. */
async function benchLabInt8(c: LabContext, labPred: Int32Array | null): Promise<void> {
  const { env, options, inputs, name, report } = c;
  let ex: Runner | null = null;
  try {
    const q0 = performance.now();
    // The first N training images (test images when no training split is loaded).
    const set = env.train ?? env.test;
    const q = calibrateInt8(c.model, set, { images: options.calibrationImages, calibration: { method: 'minmax' } });
    const quantizeMs = performance.now() - q0;
    const c0 = performance.now();
    ex = await createRunner(env.gpu, q.int8, { maxBatch: c.maxBatch });
    const createMs = performance.now() - c0;
    report.load.int8 = { parseMs: c.parseMs, uploadMs: null, pipelineMs: null, allocMs: null, quantizeMs, totalMs: c.parseMs + quantizeMs + createMs };
    env.log(
      `  lab int8 load ${(c.parseMs + quantizeMs + createMs).toFixed(0)} ms (quantize ${quantizeMs.toFixed(0)} on ${q.images} ${set.name}/${set.split} images, executor ${createMs.toFixed(0)})`,
    );
    const exr = ex;
    const timed = await timeRuntime(
      env,
      options,
      inputs,
      'lab',
      name,
      'int8',
      (x, b) => exr.logits(x, b),
      `${ex.codePath}, calibrated (minmax) on ${q.images} ${set.name}/${set.split} images`,
    );
    c.results.push(...timed.rows);
    // Same batches as fp32, so the two engines' steps can be read side by side.
    const lay = await layerTimes(ex, 'int8', inputs, [...new Set([1, Math.min(ex.chunk, ...options.batches)])]);
    if (report.layerTimingMethod === 'none') report.layerTimingMethod = lay.method;
    report.layers.push(...lay.layers);
    if (labPred) {
      const pred = await predictAll(labPred.length, env.test, (x, n) => exr.classify(x, n), options.agreementBudgetMs);
      report.agreement.push(agreementRow('lab-int8', labPred, pred, c.labels, c.agreeN));
    }
  } catch (e) {
    const msg = (e as Error).message;
    env.log(`  lab int8 failed: ${msg}`);
    c.results.push(row(env.environment, 'lab', name, 'int8', 1, null, 'not-available', `int8 path not runnable: ${msg}`));
  } finally {
    ex?.destroy();
  }
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
  const training: TrainingResult[] = [];
  const models: ModelReport[] = [];
  const sparsity: SparsityResult[] = [];
  const compressedWeights: CompressedWeightsResult[] = [];
  const inputs = new Inputs(env.test);
  const maxBatch = Math.max(1, ...options.batches);
  const agreeN = Math.min(options.agreementImages, env.test.count);
  const labels = env.test.labels.subarray(0, agreeN);

  env.log(`[${env.environment}] roofline`);
  const roofline = await measureRoofline(env, options.roofline);

  const late = (): boolean => options.deadline != null && Date.now() > options.deadline;
  const skippedForTime: string[] = [];
  for (const [mi, name] of options.models.entries()) {
    if (mi > 0 && late()) {
      skippedForTime.push(`model ${name}`);
      for (const precision of options.precisions)
        results.push(row(env.environment, 'lab', name, precision, 1, null, 'skipped', 'skipped: the run reached its time limit before this model'));
      env.log(`[${env.environment}] ${name}: skipped (time limit)`);
      continue;
    }
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

    const lab: LabContext = { env, options, inputs, name, model, parseMs, report, results, maxBatch, agreeN, labels };
    const labPred = options.precisions.includes('fp32') ? await benchLabFp32(lab) : null;
    if (options.precisions.includes('int8')) await benchLabInt8(lab, labPred);

    // --- peers and the CPU reference (fp32 weights) ---
    const others: PeerFactory[] = [...env.peers.filter((p) => options.peers.includes(p.runtime))];
    if (options.cpuReference) others.push(cpuReference());
    for (const peer of others) {
      let runner: PeerRunner | null = null;
      if (late()) {
        skippedForTime.push(`${name} ${peer.runtime}`);
        results.push(row(env.environment, peer.runtime, name, 'fp32', 1, null, 'skipped', 'skipped: the run reached its time limit'));
        continue;
      }
      try {
        const c0 = performance.now();
        runner = await peer.create(model);
        const createMs = performance.now() - c0;
        const r = runner;
        env.log(`  ${peer.runtime} ready in ${createMs.toFixed(0)} ms`);
        const timed = await timeRuntime(
          env,
          options,
          inputs,
          peer.runtime,
          name,
          'fp32',
          (x, b) => r.run(x, b),
          [peer.note, `created in ${createMs.toFixed(0)} ms`].filter(Boolean).join('; '),
        );
        results.push(...timed.rows);
        if (labPred && late()) {
          // Recorded with 0 images, so its target reads N/A rather than disappearing.
          skippedForTime.push(`${name} ${peer.runtime} agreement`);
          report.agreement.push(agreementRow(peer.runtime, labPred, new Int32Array(0), labels, agreeN));
        } else if (labPred) {
          const a0 = performance.now();
          const chunk = agreementChunk(timed.perImageMs, options.agreementBudgetMs);
          const pred = await predictAll(labPred.length, env.test, async (x, n) => argmaxRows(await r.run(x, n), CLASSES), options.agreementBudgetMs, chunk);
          const a = agreementRow(peer.runtime, labPred, pred, labels, agreeN);
          report.agreement.push(a);
          env.log(`  ${peer.runtime} agreement ${a.agree}/${a.images} (${((performance.now() - a0) / 1000).toFixed(0)} s)`);
        }
      } catch (e) {
        const msg = (e as Error).message;
        env.log(`  ${peer.runtime} failed: ${msg}`);
        results.push(row(env.environment, peer.runtime, name, 'fp32', 1, null, 'error', msg));
      } finally {
        await runner?.dispose();
      }
    }

    // --- executing from compressed weights vs an fp32 copy (issue 5 item 3): k-means 5-bit and hashed 1/8 ---
    if (options.compressedWeights !== false && options.precisions.includes('fp32')) {
      if (late()) skippedForTime.push(`${name} compressed weights`);
      else {
        const cwEnv = { gpu: env.gpu, environment: env.environment, one: (i: number) => inputs.one(i), batch: (n: number) => inputs.batch(n), log: env.log };
        compressedWeights.push(...(await measureCompressedWeights(cwEnv, model, options)));
      }
    }

    // --- does sparsity pay? dense vs sparse (CSR) kernel on pruned dense layers (issue 5 item 8) ---
    if (options.sparsity !== false && options.precisions.includes('fp32') && model.architecture.layers.some((l) => l.kind === 'dense')) {
      if (late()) skippedForTime.push(`${name} sparsity`);
      else {
        env.log(`  ${name}: dense vs sparse kernel at ${SPARSITY_LEVELS.map((s) => `${s * 100} %`).join(', ')} sparsity`);
        sparsity.push(
          ...(await measureSparsity(
            { gpu: env.gpu, environment: env.environment, one: (i) => inputs.one(i), batch: (n) => inputs.batch(n), log: env.log },
            model,
            options,
          )),
        );
      }
    }

    // --- training throughput (issue 4 item 5): GPU trainer and CPU reference, batch 64 ---
    if (options.training && late()) {
      skippedForTime.push(`${name} training`);
      for (const runtime of ['lab', 'cpu-reference'] as const) {
        training.push({
          runtime,
          environment: env.environment,
          model: name,
          batch: 64,
          optimizer: 'adam',
          imagesPerSecond: null,
          images: 0,
          steps: 0,
          seconds: 0,
          warmupImagesPerSecond: null,
          setupMs: null,
          status: 'not-available',
          note: 'skipped: the run reached its time limit',
        });
      }
    } else if (options.training) {
      const set = env.train ?? env.test;
      if (!env.train) notes.push('training throughput measured on MNIST test images (the training split was not loaded); the images only feed the timing');
      training.push(await measureGpuTraining(env.gpu, env.environment, model, set, options.trainImages, env.log));
      if (options.cpuReference) training.push(measureCpuTraining(env.environment, model, set, options.trainCpuBudgetMs, 2, 200, env.log));
    }
  }

  for (const p of ['tfjs-webgpu', 'ort-webgpu', 'ort-wasm'] as const) {
    if (options.peers.includes(p) && !env.peers.some((f) => f.runtime === p) && !notes.some((n) => n.startsWith(`${p}:`)))
      notes.push(`${p}: not available in ${env.environment}`);
  }
  for (const m of models) {
    const l = m.load.fp32;
    if (l && l.allocMs !== null && l.allocMs < 0) {
      notes.push(`${m.model}: the executor's pipelineMs sums concurrent compilations, so it exceeds wall time and allocMs comes out negative; read totalMs`);
      break;
    }
  }
  const sampledRuns = results.filter((r) => r.sampled).map((r) => `${r.model} ${r.precision} ${r.runtime} (${r.runs} runs)`);
  const skippedBatches = results.filter((r) => r.status === 'skipped' && r.batch > 1).map((r) => `${r.model} ${r.runtime} b${r.batch}`);
  const short = models.flatMap((m) => m.agreement.filter((a) => a.images < a.requested).map((a) => `${m.model} ${a.runtime} ${a.images}`));
  const parts = [
    sampledRuns.length ? `batch-1 latency on fewer than ${options.latencyRuns} runs: ${sampledRuns.join(', ')}` : '',
    skippedBatches.length ? `throughput batches skipped (one call over the max-call time): ${skippedBatches.join(', ')}` : '',
    short.length ? `top-1 agreement on fewer than ${agreeN} images: ${short.join(', ')}` : '',
    skippedForTime.length ? `skipped at the run's time limit: ${skippedForTime.join(', ')}` : '',
  ].filter(Boolean);
  if (parts.length) notes.push(`SAMPLED to fit the time budgets — ${parts.join('; ')}`);
  return finalizeRun({
    environment: env.environment,
    startedAt,
    durationMs: performance.now() - t0,
    adapter: env.gpu.report,
    host: env.host,
    options,
    roofline,
    results,
    training,
    models,
    notes,
    ...(sparsity.length ? { sparsity } : {}),
    ...(compressedWeights.length ? { compressedWeights } : {}),
  });
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
