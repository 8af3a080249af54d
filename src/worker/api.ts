/**
 * The one typed API the UI talks to, exposed from a dedicated worker with
 * comlink. Everything here returns plain structured-clone data; GPU handles
 * never leave the worker. Long calls take a progress callback (a
 * comlink.proxy) and a job id that `cancel(id)` aborts.
 */
import { DEFAULTS, defaultLearningRate } from '../model/defaults.ts';
import { accountModel, type ModelAccount } from '../model/accounting.ts';
import { ARCHITECTURES, architecture } from '../model/architectures.ts';
import { denseSizeTable, type SizeRow } from '../model/size.ts';
import { serializeModel } from '../model/format.ts';
import { validateModel } from '../model/model.ts';
import { describeAdapter, type AdapterReport } from '../gpu/device.ts';
import { int8MultiplyFor, int8Outlook } from '../gpu/int8-multiply.ts';
import { MATMUL_N, measureInt8Gops } from '../bench/probes.ts';
import { DATASET_INFO } from '../data/manifest.ts';
import {
  isQuotaError,
  deleteModel as storeDeleteModel,
  deleteResult as storeDeleteResult,
  getMeta,
  listModels,
  listResults,
  putMeta,
  putModels,
  putResults,
  StoreError,
  type StoredModel,
} from '../store/store.ts';
import { cancelJob, runJob, yieldToEvents } from './jobs.ts';
import { cachedExport, exportChoices, exportKey, forgetExports } from './export.ts';
import { importPicked, type ImportOutcome } from './import.ts';
import type { ImportFile } from '../import/types.ts';
import { startup } from './bundle.ts';
import { downloadAllBundled, pendingBundled } from './bundled.ts';
import { ensureStored } from './datasets.ts';
import { datasetOf, forgetModel, getGpu, gpuFailure, loadDataset, loadModel, rememberInt8, trainingSplit } from './session.ts';
import { trainVariant } from './train.ts';
import { isUntrained, modelDetail, summarize } from './describe.ts';
import { weightPictures } from './pictures.ts';
import { applyPipeline, passById, passInfos, pipelineTrains } from './passes.ts';
import { classify, evaluateVariant, predictOne, profileLayers, type EvaluateOptions } from './measure.ts';
import { drawingToMnist, pixelsToInput, type RgbaImage } from './digits.ts';
import { activationComparison } from './activations.ts';
import { compareRows, parseResultsJson, resultsCsv, resultsJson } from './share.ts';
import { runInt8Experiment, type Int8Experiment, type Int8ExperimentRequest } from './experiment.ts';
import type {
  ActivationComparison,
  CompareRow,
  DeviceStatus,
  ExportChoice,
  ExportOption,
  DrawingPrediction,
  ModelDetail,
  ModelSummary,
  PassInfo,
  PipelineStep,
  Prediction,
  Progress,
  ProgressFn,
  ResultRecord,
  RooflineReport,
  StartupReport,
  TestImage,
  TrainOutcome,
  TrainRequest,
  WeightPictures,
} from './types.ts';

export type { DeviceStatus } from './types.ts';

/** Headline numbers of a built-in architecture. */
export interface ArchitectureSummary {
  name: string;
  params: number;
  flops: number;
  layers: number;
}

/** The training settings a request falls back to. */
export interface TrainDefaults {
  optimizer: 'sgd' | 'adam';
  lr: number;
  schedule: string;
  batch: number;
  seed: number;
}

/** Per-variant GPU layer timings measured in this worker's life (re-measured after a reload). */
const profiles = new Map<string, NonNullable<Awaited<ReturnType<typeof profileLayers>>>>();
/** Test-set predictions per variant for the Try-it screen's "disagree" filter. */
const scans = new Map<string, Int32Array>();

/** Engine modules still being written land here without changing this file's imports. */
const rooflineModules = import.meta.glob('../gpu/roofline.ts');

function adapterKey(r: AdapterReport): string {
  return `roofline:${describeAdapter(r)}`;
}

async function storedRoofline(): Promise<RooflineReport | undefined> {
  try {
    const g = await getGpu();
    return await getMeta<RooflineReport>(adapterKey(g.report));
  } catch {
    return undefined;
  }
}

export const labApi = {
  /** The built-in architectures with their headline numbers. */
  architectures(): ArchitectureSummary[] {
    return Object.keys(ARCHITECTURES).map((name) => {
      const acc = accountModel(architecture(name));
      return { name, params: acc.total.params, flops: acc.total.flops, layers: acc.layers.length };
    });
  },

  /** What training from scratch uses when a request leaves it out (the engine's defaults, shared with the CLI). */
  trainDefaults(): TrainDefaults {
    return {
      optimizer: DEFAULTS.trainOptimizer,
      lr: defaultLearningRate(DEFAULTS.trainOptimizer),
      schedule: DEFAULTS.trainSchedule,
      batch: DEFAULTS.trainBatch,
      seed: 1,
    };
  },

  /** Per-layer accounting and stored sizes of a built-in architecture. */
  account(name: string): { account: ModelAccount; sizes: SizeRow[] } {
    const arch = architecture(name);
    return { account: accountModel(arch), sizes: denseSizeTable(arch) };
  },

  /** Acquire the GPU once per worker and describe it (with the last roofline measured on it); never throws. */
  async device(): Promise<DeviceStatus> {
    try {
      const g = await getGpu();
      const roofline = await storedRoofline();
      const rates = roofline ? { f32Gflops: roofline.matmulGflops, int8Gops: roofline.int8Gops } : undefined;
      return { ok: true, report: g.report, roofline, int8: int8Outlook(int8MultiplyFor(g.report), rates) };
    } catch (e) {
      return { ok: false, error: gpuFailure() ?? (e as Error).message };
    }
  },

  /** Copies datasets and bundled models into IndexedDB when needed; reports what is available. */
  startup(onProgress?: ProgressFn, jobId?: string): Promise<StartupReport> {
    return runJob(jobId, 'Start-up', onProgress, (ctx) => startup(ctx));
  },

  /**
   * Right after start-up: copies what start-up left for later but the lab
   * needs offline — MNIST's training split (fine-tuning, int8 calibration,
   * training) — with progress in compressed bytes received. A job that needs
   * the split meanwhile waits for this copy. Returns the files copied now.
   */
  completeOfflineCopy(onProgress?: ProgressFn, jobId?: string): Promise<string[]> {
    return runJob(jobId, 'Offline copy', onProgress, async (ctx) => ((await ensureStored('mnist', 'train', ctx)) ? ['mnist-train.bin'] : []));
  },

  /** Whether the roofline module has landed in this build. */
  rooflineAvailable(): boolean {
    return Object.keys(rooflineModules).length > 0;
  },

  /** Measures f32 matmul GFLOP/s, the int8 executor's matmul rate, copy GB/s and the submit round trip on this GPU; remembered per adapter. */
  roofline(onProgress?: ProgressFn, jobId?: string): Promise<RooflineReport> {
    return runJob(jobId, 'Roofline measurement', onProgress, async (ctx) => {
      const load = Object.values(rooflineModules)[0];
      if (!load) throw new Error('This build has no roofline measurement module (src/gpu/roofline.ts) yet.');
      const mod = (await load()) as Record<string, (...a: unknown[]) => Promise<unknown>>;
      const g = await getGpu();
      const num = (v: unknown, what: string): number => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`roofline: ${what} gave ${JSON.stringify(v)}`);
        return v;
      };
      // Shapes as src/gpu/roofline.ts returns them; read loosely, checked above.
      type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      ctx.progress({ phase: 'Matmul GFLOP/s (each tiling candidate)', done: 0, total: 4 });
      const mm = (await mod.measureMatmulGflops(g)) as Any;
      const gflops = num(mm?.best?.gflops, 'measureMatmulGflops');
      ctx.check();
      ctx.progress({ phase: 'int8 matmul rate (the int8 executor)', done: 1, total: 4 });
      let int8Kernel = '';
      const int8Gops = num(await measureInt8Gops(g, MATMUL_N, (l) => (int8Kernel = l)), 'measureInt8Gops');
      ctx.check();
      ctx.progress({ phase: 'Copy GB/s', done: 2, total: 4 });
      const gbps = num(((await mod.measureCopyGBps(g)) as Any)?.gbps, 'measureCopyGBps');
      ctx.check();
      ctx.progress({ phase: 'Submit + readback round trip', done: 3, total: 4 });
      const rt = mod.measureRoundTripMs ? num(((await mod.measureRoundTripMs(g)) as Any)?.p50, 'measureRoundTripMs') : undefined;
      ctx.check();
      const report: RooflineReport = {
        matmulGflops: gflops,
        copyGBps: gbps,
        roundTripMs: rt,
        int8Gops,
        method: `best of the matmul tilings at n=${mm.n} (${String(mm.best.label)}), median timings`,
        int8Method: `the int8 executor as a ${MATMUL_N}³ matmul${int8Kernel ? ` (${int8Kernel})` : ''}, median wall clock including its quantize/dequantize`,
        measuredAt: new Date().toISOString(),
      };
      await putMeta(adapterKey(g.report), report);
      ctx.progress({ phase: 'Done', done: 4, total: 4 });
      return report;
    });
  },

  /** Every variant: stored ones (bundled, untrained stand-ins, the user's) and bundled ones not downloaded yet (with `download`). */
  async models(): Promise<ModelSummary[]> {
    const out: ModelSummary[] = [];
    const stored = await listModels();
    for (const s of stored) {
      try {
        out.push(summarize(s, (await loadModel(s.id)).model));
      } catch {
        // A stored model that no longer parses is skipped rather than breaking the list.
      }
    }
    // In the stored order (created, then name), so a row stays in place once its file is downloaded.
    out.push(...(await pendingBundled(new Set(stored.map((s) => s.id)))));
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  },

  /** Downloads every bundled model not in this browser yet (for offline use), with progress; returns the files fetched. */
  downloadBundled(onProgress?: ProgressFn, jobId?: string): Promise<string[]> {
    return runJob(jobId, 'Download bundled models', onProgress, (ctx) => downloadAllBundled(ctx));
  },

  /** The Model view's per-layer table, with estimates from the measured device speed and any GPU times measured. */
  async modelDetail(id: string): Promise<ModelDetail> {
    const loaded = await loadModel(id);
    const r = await storedRoofline();
    const speed = r ? { gflops: r.matmulGflops, source: `measured matmul speed (${r.matmulGflops.toFixed(2)} GFLOP/s)` } : undefined;
    return modelDetail(loaded.stored, loaded.model, speed, profiles.get(id));
  },

  /** Weight pictures of a variant beside its parent's: histograms with levels, masks, first-layer filters, bytes by part (src/engine/pictures.ts). */
  weightPictures(id: string): Promise<WeightPictures> {
    return weightPictures(id);
  },

  /** Times each layer on the GPU (median of `runs` batch-1 runs) and returns the updated table. */
  profile(id: string, runs = 15, onProgress?: ProgressFn, jobId?: string): Promise<ModelDetail> {
    return runJob(jobId, 'Layer timing', onProgress, async (ctx) => {
      const loaded = await loadModel(id);
      if (loaded.stored.runtime !== 'fp32')
        throw new Error('Per-layer GPU time is measured for float variants; the int8 executor times the whole model (see Compare).');
      await getGpu();
      const p = await profileLayers(loaded, runs, ctx);
      if (!p) throw new Error('This adapter has no timestamp-query, so per-layer GPU time cannot be measured (whole-model wall time is in Compare).');
      profiles.set(id, p);
      return labApi.modelDetail(id);
    });
  },

  /**
   * Imports a model: the lab's .safetensors, an ONNX file, or a TF.js
   * model.json with its .bin shards (one pick). Checks it fully (format,
   * shapes, finite weights, MNIST-shaped input and 10 classes), finds an
   * outside model's input convention on training images, and only then
   * stores it; on any error nothing is stored and the message says what and
   * where.
   */
  importModel(files: ImportFile[], onProgress?: ProgressFn, jobId?: string): Promise<ImportOutcome> {
    return runJob(jobId, 'Import', onProgress, (ctx) => importPicked(files, ctx));
  },

  /** The variant as a model file (int8 variants: their int8 per-channel weights; activations are recalibrated on import). */
  async exportModel(id: string): Promise<{ fileName: string; bytes: Uint8Array }> {
    const f = await labApi.exportFile(id, 'safetensors');
    return { fileName: f.fileName, bytes: f.bytes };
  },

  /** The downloads a variant offers (no export yet: the Export panel lists them while it measures). */
  async exportChoices(id: string): Promise<ExportChoice[]> {
    return exportChoices(await loadModel(id));
  },

  /**
   * Measures the downloads of a variant by writing them (`only`: some of
   * them, in that order): size, the lab file's size, what each format keeps
   * and loses; a format that cannot hold the variant gives its option an
   * `error` naming the layer. The bytes stay cached for `exportFile`. The
   * int8 ONNX calibrates on the variant's training split as the lab does.
   */
  exportOptions(id: string, onProgress?: ProgressFn, jobId?: string, only?: string[]): Promise<ExportOption[]> {
    return runJob(jobId, 'Export measurement', onProgress, async (ctx) => {
      const loaded = await loadModel(id);
      const offered = exportChoices(loaded).map((c) => c.key);
      const keys = only ? only.map(exportKey) : offered;
      const out: ExportOption[] = [];
      for (const [i, key] of keys.entries()) {
        await yieldToEvents(ctx);
        const built = await cachedExport(loaded, key, {
          train: () => trainingSplit(datasetOf(loaded), ctx),
          progress: (phase) => ctx.progress({ phase, done: i, total: keys.length }),
          check: () => yieldToEvents(ctx),
        });
        out.push(built.option);
      }
      ctx.progress({ phase: 'Measured', done: keys.length, total: keys.length });
      return out;
    });
  },

  /** The file of one export option, the bytes `exportOptions` measured (written now if it did not). */
  async exportFile(id: string, format: string): Promise<{ fileName: string; bytes: Uint8Array; mime: string }> {
    const key = exportKey(format);
    const loaded = await loadModel(id);
    const built = await cachedExport(loaded, key, { train: () => trainingSplit(datasetOf(loaded)) });
    if (!built.file) throw new Error(`${built.option.label} of '${loaded.stored.name}': ${built.option.error ?? 'no file'}`);
    return built.file;
  },

  /** Deletes a variant and its results. Bundled models can be deleted too; they come back on the next start. */
  async deleteModel(id: string): Promise<void> {
    const results = (await listResults<ResultRecord>()).filter((r) => r.modelId === id && r.source === 'measured').map((r) => r.id);
    await storeDeleteModel(id, results);
    forgetModel(id);
    forgetExports(id);
    profiles.delete(id);
    scans.delete(id);
  },

  /** The compression passes, as metadata for the pipeline builder. */
  passes(): PassInfo[] {
    return passInfos();
  },

  /** Runs a pipeline of passes on a variant and stores the result as a new variant. */
  compress(sourceId: string, steps: PipelineStep[], name: string, onProgress?: ProgressFn, jobId?: string): Promise<ModelSummary> {
    return runJob(jobId, 'Compression', onProgress, async (ctx) => {
      if (!steps.length) throw new Error('The pipeline is empty: add at least one pass');
      const loaded = await loadModel(sourceId);
      const dataset = datasetOf(loaded);
      // A training split not stored yet (Fashion-MNIST's first use) is fetched
      // here, where the bar can show it, rather than inside a pass.
      if (pipelineTrains(steps) || steps.some((s) => s.pass === 'int8')) await trainingSplit(dataset, ctx);
      let detail: string | undefined;
      let last: Progress = { phase: 'Compression', done: 0, total: steps.length };
      const cur = await applyPipeline({ model: loaded.model, runtime: loaded.stored.runtime, runtimeOptions: loaded.stored.runtimeOptions }, steps, {
        dataset,
        signal: ctx.signal,
        onStep: (i, label) => {
          detail = undefined;
          last = { phase: `${label} (${i + 1}/${steps.length})`, done: i, total: steps.length };
          ctx.progress(last);
        },
        // Inside a training step the bar follows the batches of the current epoch.
        onTraining: (i, label, p) => {
          last = {
            phase: `${label} (${i + 1}/${steps.length}): epoch ${p.epoch}/${p.epochs}, batch ${p.step}/${p.steps}`,
            done: p.step,
            total: p.steps,
            detail,
          };
          ctx.progress(last);
        },
        onDetail: (line) => (detail = line),
        onCurve: (curve) => ctx.progress({ ...last, detail, curve }),
      });
      ctx.check();
      validateModel(cur.model);
      const { untrained: _wasUntrained, ...inherited } = cur.model.provenance ?? {};
      cur.model.provenance = {
        ...inherited,
        source: 'compressed',
        createdAt: new Date().toISOString(),
        compressedFrom: loaded.stored.name,
        // Compressing random weights does not train them: keep saying so (a training step does train them).
        ...(isUntrained(loaded.stored, loaded.model) && !pipelineTrains(steps) ? { untrained: true } : {}),
        ...(pipelineTrains(steps) ? { trainedOn: `${dataset} training split, in this browser` } : {}),
      };
      const pipeline = steps.map((s) => ({
        pass: s.pass,
        label: passById(s.pass).label,
        options: { ...passById(s.pass).defaults, ...s.options } as Record<string, unknown>,
      }));
      const stored: StoredModel = {
        id: `user:${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
        name: name.trim() || `${loaded.stored.name} → ${steps.map((s) => s.pass).join('+')}`,
        origin: 'user',
        runtime: cur.runtime,
        architecture: cur.model.architecture.name,
        file: serializeModel(cur.model),
        parentId: sourceId,
        pipeline,
        runtimeOptions: cur.runtimeOptions,
        ...(cur.curves?.length ? { curves: cur.curves } : {}),
        createdAt: new Date().toISOString(),
      };
      ctx.check();
      await putModels([stored]);
      if (cur.int8) rememberInt8(stored.id, cur.int8);
      ctx.progress({ phase: 'Stored', done: steps.length, total: steps.length });
      return summarize(stored, cur.model);
    });
  },

  /**
   * Trains a built-in architecture from scratch on the GPU (He init, seeded;
   * the trainer the CLI's `train` runs) and stores it as a new variant with
   * its provenance. Progress per chunk of batches; cancel stops it after the
   * chunk on the GPU and stores nothing.
   */
  train(request: TrainRequest, name = '', onProgress?: ProgressFn, jobId?: string): Promise<TrainOutcome> {
    return runJob(jobId, 'Training', onProgress, (ctx) => trainVariant(ctx, request, name));
  },

  /** Measures a variant (accuracy, latency, throughput, layer times) and stores the result. */
  evaluate(id: string, options: EvaluateOptions = {}, onProgress?: ProgressFn, jobId?: string): Promise<ResultRecord> {
    return runJob(jobId, 'Measurement', onProgress, async (ctx) => {
      const result = await evaluateVariant(await loadModel(id), options, ctx);
      ctx.check();
      await putResults([result]);
      return result;
    });
  },

  /**
   * The guided "FP32 vs INT8 on this GPU" experiment (src/worker/experiment.ts):
   * quantizes a float variant to int8 with `compress` (stored like any
   * variant), measures both with `evaluate`'s code and options, stores both
   * results, and returns them side by side with the ratios of this run, the
   * adapter's int8 outlook and the next experiments as pipelines.
   */
  int8Experiment(request: Int8ExperimentRequest, onProgress?: ProgressFn, jobId?: string): Promise<Int8Experiment> {
    return runJob(jobId, 'FP32 vs INT8 experiment', onProgress, (ctx) =>
      runInt8Experiment(request, ctx, {
        compress: (source, steps, name, progress, id) => labApi.compress(source, steps, name, progress, id),
        discard: (id) => labApi.deleteModel(id),
        device: () => labApi.device(),
      }),
    );
  },

  /** Every stored result as Compare rows (speed-up against `baselineId`, Pareto membership). */
  async results(baselineId?: string): Promise<CompareRow[]> {
    return compareRows(await listResults<ResultRecord>(), baselineId);
  },

  /** Deletes one result. */
  deleteResult(id: string): Promise<void> {
    return storeDeleteResult(id);
  },

  /** All results as a shareable file: JSON (for import elsewhere) or CSV (for spreadsheets). */
  async exportResults(format: 'json' | 'csv', sharedBy = ''): Promise<{ fileName: string; text: string; mime: string }> {
    const results = await listResults<ResultRecord>();
    const stamp = new Date().toISOString().slice(0, 10);
    if (format === 'csv') return { fileName: `compression-lab-results-${stamp}.csv`, text: resultsCsv(compareRows(results)), mime: 'text/csv' };
    return { fileName: `compression-lab-results-${stamp}.json`, text: resultsJson(results, sharedBy), mime: 'application/json' };
  },

  /** Imports someone's shared results (validated whole; on error nothing is stored). Returns how many were added. */
  async importResults(text: string, fileName: string): Promise<number> {
    const rs = parseResultsJson(text, fileName);
    await putResults(rs);
    return rs.length;
  },

  /** The drawing as the nets see it (28×28) and each chosen variant's probabilities. */
  async predictDrawing(img: RgbaImage, modelIds: string[]): Promise<DrawingPrediction> {
    const pixels = drawingToMnist(img);
    const x = pixelsToInput(pixels);
    const predictions: Prediction[] = [];
    for (const id of modelIds) predictions.push(await predictOne(await loadModel(id), x));
    return { input: Array.from(pixels), predictions, classNames: [...DATASET_INFO.mnist.classNames] };
  },

  /** Probabilities of chosen variants on one 28×28 image (0–255). */
  async predictPixels(pixels: number[], modelIds: string[]): Promise<Prediction[]> {
    if (pixels.length !== 784) throw new Error(`expected 784 pixels, got ${pixels.length}`);
    const x = pixelsToInput(pixels);
    const out: Prediction[] = [];
    for (const id of modelIds) out.push(await predictOne(await loadModel(id), x));
    return out;
  },

  /**
   * Try it → activations: every layer's output for one 28×28 image (0–255)
   * under variant `ids[0]` and, given a second id, under `ids[1]` with the
   * difference B − A per layer (src/worker/activations.ts says which runtime
   * computes what).
   */
  activations(ids: string[], pixels: number[], onProgress?: ProgressFn, jobId?: string): Promise<ActivationComparison> {
    if (ids.length < 1 || ids.length > 2) throw new Error(`activations: give one or two variants, got ${ids.length}`);
    if (pixels.length !== 784) throw new Error(`activations: expected 784 pixels, got ${pixels.length}`);
    return runJob(jobId, 'Activations', onProgress, async (ctx) => {
      const x = pixelsToInput(pixels);
      const a = await loadModel(ids[0]);
      const b = ids[1] !== undefined ? await loadModel(ids[1]) : undefined;
      return activationComparison(a, b, x, ctx);
    });
  },

  /**
   * Test images for the Try-it screen, with each chosen variant's predicted
   * class. `filter` 'disagree' keeps images where the variants differ,
   * 'wrong' where any is wrong; both scan the first `scan` test images.
   */
  testImages(modelIds: string[], filter: 'all' | 'disagree' | 'wrong', count = 12, scan = 2000, onProgress?: ProgressFn, jobId?: string): Promise<TestImage[]> {
    return runJob(jobId, 'Scanning test images', onProgress, async (ctx) => {
      const test = await loadDataset('mnist', 'test', ctx);
      const n = Math.min(scan, test.count);
      const preds: Int32Array[] = [];
      for (const id of modelIds) {
        let p = scans.get(id);
        if (!p || p.length < n) {
          p = (await classify(await loadModel(id), 0, n, ctx)).classes;
          scans.set(id, p);
        }
        preds.push(p);
      }
      const out: TestImage[] = [];
      for (let i = 0; i < n && out.length < count; i++) {
        const tops = preds.map((p) => p[i]);
        if (filter === 'disagree' && tops.every((t) => t === tops[0])) continue;
        if (filter === 'wrong' && tops.every((t) => t === test.labels[i])) continue;
        out.push({
          index: i,
          label: test.labels[i],
          pixels: Array.from(test.images.subarray(i * 784, (i + 1) * 784)),
          predictions: modelIds.map((id, k) => ({ modelId: id, top: tops[k] })),
        });
      }
      return out;
    });
  },

  /** Cancels a running job; true when it was running. */
  cancel(jobId: string): boolean {
    return cancelJob(jobId);
  },

  /** Whether an error is a storage quota error (for tests of the message path). */
  isQuotaError(e: unknown): boolean {
    return e instanceof StoreError ? e.quota : isQuotaError(e);
  },
};

export type LabApi = typeof labApi;
