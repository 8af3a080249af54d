/**
 * What the worker keeps in memory between calls: the GPU (acquired once),
 * parsed datasets and models, and compiled executors (a small LRU, since each
 * holds GPU buffers). Everything persistent lives in src/store.
 */
import { acquireGpu, type Gpu } from '../gpu/device.ts';
import { createRunner, type Runner } from '../engine/runner.ts';
import { DEFAULTS } from '../model/defaults.ts';
import { parseDatasetFile, type Dataset, type DatasetName, type DatasetSplit } from '../data/dataset.ts';
import { parseModel } from '../model/format.ts';
import type { Model } from '../model/model.ts';
import type { Int8Model } from '../model/int8.ts';
import { getDataset, getModel, type StoredModel } from '../store/store.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import { toFloatBatch } from '../data/dataset.ts';
import { fetchOnFirstUse } from './datasets.ts';
import { datasetOfStored } from './describe.ts';
import { fetchBundledOnFirstUse } from './bundled.ts';
import type { JobContext } from './jobs.ts';

let gpu: Promise<Gpu> | null = null;
let gpuError: string | null = null;

/** The worker's GPU, acquired on first use. Throws WebGPUUnavailableError (message says what to enable). */
export async function getGpu(): Promise<Gpu> {
  gpu ??= acquireGpu();
  try {
    const g = await gpu;
    if (g.isLost()) {
      gpu = acquireGpu();
      return await gpu;
    }
    return g;
  } catch (e) {
    gpu = null;
    gpuError = (e as Error).message;
    throw e;
  }
}

/** The GPU or null when WebGPU is unavailable (the CPU reference takes over). */
export async function gpuOrNull(): Promise<Gpu | null> {
  if (gpuError) return null;
  try {
    return await getGpu();
  } catch {
    return null;
  }
}

/** Why there is no GPU, once acquisition failed. */
export function gpuFailure(): string | null {
  return gpuError;
}

const datasets = new Map<string, Promise<Dataset>>();

/**
 * A dataset split from IndexedDB, parsed and checked once per worker. MNIST
 * is copied there at start-up; a split that is not there yet (Fashion-MNIST
 * before its first use) is fetched now, with progress on `ctx` when given, or
 * fails with a clear error when the server cannot be reached.
 */
export function loadDataset(name: DatasetName, split: DatasetSplit, ctx?: JobContext): Promise<Dataset> {
  const file = `${name}-${split}.bin`;
  let p = datasets.get(file);
  if (!p) {
    p = (async () => {
      const bytes = (await getDataset(file)) ?? (await fetchOnFirstUse(name, split, ctx));
      return parseDatasetFile(bytes, `stored ${file}`);
    })();
    datasets.set(file, p);
    p.catch(() => datasets.delete(file));
  }
  return p;
}

/** Forgets parsed datasets (after start-up replaced them). */
export function forgetDatasets(): void {
  datasets.clear();
}

/** A stored variant with its parsed model. */
export interface LoadedModel {
  stored: StoredModel;
  model: Model;
}

/**
 * The dataset a variant is evaluated, calibrated and fine-tuned on: the one
 * its model records (engine/models.ts), else the one its stored options
 * name, else MNIST.
 */
export function datasetOf(loaded: LoadedModel): DatasetName {
  return datasetOfStored(loaded.stored, loaded.model);
}

const models = new Map<string, LoadedModel>();

/** The stored variant `id`, parsed once. Throws when it is gone. */
export async function loadModel(id: string): Promise<LoadedModel> {
  const hit = models.get(id);
  if (hit) return hit;
  // A bundled model's file is fetched the first time it is used (bundled.ts).
  const stored = (await getModel(id)) ?? (await fetchBundledOnFirstUse(id));
  if (!stored) throw new Error(`model ${id} is not stored (deleted?)`);
  const model = parseModel(stored.file, `stored model '${stored.name}'`);
  const loaded = { stored, model };
  models.set(id, loaded);
  return loaded;
}

/** Drops a variant's parsed model and executors (after delete). */
export function forgetModel(id: string): void {
  models.delete(id);
  const e = executors.get(id);
  if (e) {
    executors.delete(id);
    void e.then((x) => x.destroy()).catch(() => undefined);
  }
  int8Models.delete(id);
}

/**
 * The training split for fine-tuning, distillation and training from
 * scratch: the same IndexedDB copy calibration reads (never the test split).
 * The trainer uploads it to the GPU once per run.
 */
export function trainingSplit(dataset: DatasetName, ctx?: JobContext): Promise<Dataset> {
  return loadDataset(dataset, 'train', ctx);
}

/** Images used to calibrate int8 activation ranges: the first N training images (never the test set). */
export async function calibrationImages(dataset: DatasetName, count: number): Promise<{ images: Float32Array; count: number }> {
  const train = await trainingSplit(dataset);
  const n = Math.min(count, train.count);
  return { images: toFloatBatch(train, 0, n), count: n };
}

const int8Models = new Map<string, Int8Model>();

/** Caches the integer model a pipeline just built for variant `id` (saves a re-calibration). */
export function rememberInt8(id: string, q: Int8Model): void {
  int8Models.set(id, q);
}

/**
 * The integer model of an int8 variant: re-calibrated from its stored options
 * (calibration is deterministic: same images, same method), cached.
 */
export async function int8ModelOf(loaded: LoadedModel): Promise<Int8Model> {
  const hit = int8Models.get(loaded.stored.id);
  if (hit) return hit;
  const o = loaded.stored.runtimeOptions ?? {};
  const dataset = datasetOf(loaded);
  const cal = await calibrationImages(dataset, Number(o.calibrationImages ?? DEFAULTS.calibrationImages));
  const q = quantizeInt8Model(loaded.model, {
    calibration: cal.images,
    batch: cal.count,
    method: o.method === 'percentile' ? 'percentile' : 'minmax',
    percentile: Number(o.percentile ?? 99.99),
  });
  int8Models.set(loaded.stored.id, q);
  return q;
}

const executors = new Map<string, Promise<Runner>>();
/** GPU memory is finite (a phone!): keep few executors alive. */
const MAX_EXECUTORS = 4;

/** A compiled GPU runner for the variant on the worker's GPU (int8 variants run the integer executor). */
export async function runnerFor(loaded: LoadedModel): Promise<Runner> {
  const id = loaded.stored.id;
  let p = executors.get(id);
  if (p) {
    // Refresh LRU order.
    executors.delete(id);
    executors.set(id, p);
    return p;
  }
  p = (async () => {
    const g = await getGpu();
    return createRunner(g, loaded.stored.runtime === 'int8' ? await int8ModelOf(loaded) : loaded.model);
  })();
  executors.set(id, p);
  p.catch(() => executors.delete(id));
  while (executors.size > MAX_EXECUTORS) {
    const [oldId, old] = executors.entries().next().value as [string, Promise<Runner>];
    executors.delete(oldId);
    void old.then((x) => x.destroy()).catch(() => undefined);
  }
  return p;
}
