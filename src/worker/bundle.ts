/**
 * First load: copy MNIST's test split into IndexedDB, with progress, and
 * store the bundled models' index (each model's list entry, without its
 * file: a model's file is fetched the first time it is used, bundled.ts);
 * later loads check the manifest (when the network answers) and read
 * everything from IndexedDB, so the lab works offline. A file is verified
 * (dataset CRC-32, model parser and SHA-256) before it is stored, and stored
 * in one transaction, so a failure changes nothing.
 */
import { DATASET_INFO, parseManifest, type DatasetManifest, type ManifestSplit } from '../data/manifest.ts';
import { fetchManifest } from '../data/web-loader.ts';
import { type DatasetName } from '../data/dataset.ts';
import { ARCHITECTURES, architecture } from '../model/architectures.ts';
import { initModel } from '../model/model.ts';
import { serializeModel } from '../model/format.ts';
import { getDataset, getMeta, listModels, putMeta, putModels, storageEstimate, type StoredModel } from '../store/store.ts';
import { forgetDatasets } from './session.ts';
import { appBase, copySplit, fetchBytes, receivedDetail, transferBytes } from './datasets.ts';
import type { JobContext } from './jobs.ts';
import type { StartupReport } from './types.ts';
import { bundledId, storedBundled, type BundledIndex } from './bundled-index.ts';

async function fetchJson(url: string, signal: AbortSignal): Promise<unknown> {
  const r = await fetch(url, { signal, cache: 'no-cache' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

/**
 * The splits start-up copies: MNIST's test split, which every screen reads.
 * The rest is fetched on first need (session.ts `loadDataset`): MNIST's
 * training split right after start-up by `completeOfflineCopy` (so the lab is
 * usable sooner on a slow link), Fashion-MNIST the first time a job runs a
 * Fashion model.
 */
export const STARTUP_SPLITS: readonly string[] = ['mnist-test.bin'];

/** Untrained stand-ins, one per built-in architecture (used where no trained model is bundled). Seeded, so reproducible. */
function untrainedModels(): StoredModel[] {
  const now = new Date().toISOString();
  return Object.keys(ARCHITECTURES).map((name) => {
    const m = initModel(architecture(name), 1);
    m.provenance = { ...m.provenance, source: 'random', note: 'untrained: He-initialised weights, seed 1; accuracy is chance (~10 %)', dataset: 'mnist' };
    return {
      id: `untrained:${name}`,
      name: `${name} (untrained)`,
      origin: 'untrained',
      runtime: 'fp32',
      architecture: name,
      file: serializeModel(m),
      createdAt: now,
    };
  });
}

/**
 * Makes sure IndexedDB holds the current datasets and bundled models.
 * Throws a clear error when a first load has no network.
 */
export async function startup(ctx: JobContext): Promise<StartupReport> {
  const root = appBase();
  let offline = false;
  let manifest: DatasetManifest | undefined;
  try {
    manifest = await fetchManifest(`${root}data/`, { signal: ctx.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    const stored = await getMeta<unknown>('manifest');
    if (!stored) {
      throw new Error(
        `First start needs the lab's own server once, to copy its datasets into this browser (${(e as Error).message}). Reload while the server is reachable; after that the lab works offline.`,
        { cause: e },
      );
    }
    manifest = parseManifest(stored, 'stored manifest');
    offline = true;
  }

  let index: BundledIndex;
  if (!offline) {
    try {
      index = (await fetchJson(`${root}models/index.json`, ctx.signal)) as BundledIndex;
    } catch {
      index = (await getMeta<BundledIndex>('bundled-index')) ?? { models: [] };
    }
  } else {
    index = (await getMeta<BundledIndex>('bundled-index')) ?? { models: [] };
  }

  // What is missing or stale: compared by the CRC-32 each split carries. A
  // split start-up does not copy but an older build stored is refreshed too.
  const stored = (await getMeta<Record<string, string>>('datasets')) ?? {};
  const todo: ManifestSplit[] = [];
  for (const d of manifest.datasets) {
    if (!d.present) continue;
    for (const s of Object.values(d.splits)) {
      if (!s) continue;
      if (!STARTUP_SPLITS.includes(s.file) && stored[s.file] === undefined) continue;
      if (stored[s.file] === s.crc32 && (await getDataset(s.file))) continue;
      todo.push(s);
    }
  }
  // Bundled models are fetched on first use (bundled.ts), so a first load copies none. Copied here: a stored
  // one an older build left that differs from this build's file, and any model an index without list entries
  // (an older build's) names.
  const have = new Map((await listModels()).map((m) => [m.id, m]));
  const modelTodo = index.models.filter((m) => {
    const h = have.get(bundledId(m.file));
    return h ? h.file.length !== m.bytes : !m.summary;
  });
  if ((todo.length || modelTodo.length) && offline) {
    throw new Error('Some datasets or bundled models are not in this browser yet and the server cannot be reached. Reload once while online.');
  }

  // Progress counts bytes: datasets decompressed (see receivedDetail), models as files.
  const total = todo.reduce((a, t) => a + t.bytes, 0) + modelTodo.reduce((a, m) => a + m.bytes, 0);
  const wire = todo.reduce((a, t) => a + transferBytes(t), 0) + modelTodo.reduce((a, m) => a + m.bytes, 0);
  let done = 0;
  const tick = (phase: string) => (n: number) => {
    done += n;
    ctx.progress({ phase, done, total, detail: receivedDetail(done, total, wire) });
  };
  for (const t of todo) {
    await copySplit(root, t, ctx.signal, tick(`Copying ${t.file} into this browser`));
    ctx.check();
  }
  const newModels: StoredModel[] = [];
  for (const m of modelTodo) {
    const bytes = await fetchBytes(`${root}models/${m.file}`, ctx.signal, tick(`Copying model ${m.file}`));
    newModels.push(storedBundled(m.file, bytes));
  }
  // Architectures with no trained model bundled get a seeded untrained stand-in,
  // so every architecture can be explored and measured (labelled untrained).
  const trained = new Set([
    ...[...have.values(), ...newModels].filter((m) => m.origin === 'bundled').map((m) => m.architecture),
    ...index.models.flatMap((m) => (m.summary ? [m.summary.architecture] : [])),
  ]);
  newModels.push(...untrainedModels().filter((m) => !trained.has(m.architecture) && !have.has(m.id)));
  if (newModels.length) await putModels(newModels);
  if (!offline) {
    await putMeta('manifest', manifest);
    await putMeta('bundled-index', index);
  }
  if (todo.length) forgetDatasets();
  ctx.progress({ phase: 'Ready', done: total, total });

  return {
    copied: todo.length + modelTodo.length > 0,
    offline,
    bundledModels: index.models.length,
    datasets: manifest.datasets
      .filter((d) => d.present)
      .map((d) => ({
        name: d.name,
        title: DATASET_INFO[d.name as DatasetName].title,
        credit: d.credit,
        licence: d.licence,
        testCount: d.splits.test?.count ?? 0,
        trainCount: d.splits.train?.count ?? 0,
      })),
    storage: await storageEstimate(),
  };
}
