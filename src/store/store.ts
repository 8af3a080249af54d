/**
 * IndexedDB persistence of the lab (idb-keyval): the bundled datasets and
 * models copied on first load, the user's variants and measured results.
 *
 * One object store, keys prefixed by kind (`dataset:`, `model:`, `result:`,
 * `meta:`), so that a write touching several kinds is one transaction:
 * idb-keyval's `setMany` is atomic, so a quota error or a crash leaves what was
 * stored before untouched. Plain structured-clone data only; no GPU handles,
 * no DOM. Runs in the worker (IndexedDB exists there) and in the page.
 */
import { createStore, del, delMany, get, getMany, keys, setMany, type UseStore } from 'idb-keyval';
import type { Precision } from '../model/precision.ts';
import type { TrainingCurve } from '../engine/curves.ts';

/** Name of the IndexedDB database (tests and the e2e suite look for it). */
export const DB_NAME = 'compression-lab';
const STORE_NAME = 'kv';

/** Where a variant came from. */
export type ModelOrigin = 'bundled' | 'untrained' | 'user' | 'imported';

/** How a variant runs: float executor ('fp32'), or the integer-only int8 executor ('int8'). */
export type Runtime = Precision;

/**
 * One model variant as stored: its model file bytes (the lab's safetensors
 * format, so export is a copy and import is a parse) plus what the lab needs
 * to list it without parsing.
 */
export interface StoredModel {
  id: string;
  name: string;
  origin: ModelOrigin;
  runtime: Runtime;
  /** Architecture name, for lists. */
  architecture: string;
  /** The model file (see src/model/format.ts). */
  file: Uint8Array;
  /** Variant this one was compressed from, if any. */
  parentId?: string;
  /** The pipeline that produced it: pass labels and options, for display. */
  pipeline?: { pass: string; label: string; options: Record<string, unknown> }[];
  /** Runtime options (e.g. int8 calibration method) needed to run it again. */
  runtimeOptions?: Record<string, unknown>;
  /** Training curves of the runs that made it (training from scratch, fine-tuning steps); optional, so records stored before it still load. */
  curves?: TrainingCurve[];
  createdAt: string;
}

/** Thrown for storage failures; the message says what was being saved and that nothing changed. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly quota: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

let store: UseStore | null = null;
function db(): UseStore {
  store ??= createStore(DB_NAME, STORE_NAME);
  return store;
}

/** True for the errors browsers raise when a write exceeds the origin's quota. */
export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name ?? '';
  const msg = String((e as { message?: string } | null)?.message ?? '');
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED' || /quota/i.test(msg);
}

/**
 * Writes `entries` in one transaction. On failure nothing is written, and
 * the error says what `what` was and, for a quota error, what to do.
 */
export async function putAtomically(what: string, entries: [string, unknown][]): Promise<void> {
  try {
    await setMany(entries, db());
  } catch (e) {
    if (isQuotaError(e)) {
      throw new StoreError(
        `Storage is full: the browser refused to save ${what} (quota exceeded). Nothing stored was changed. ` +
          'Delete variants or results you no longer need, or free disk space, then try again.',
        true,
        { cause: e },
      );
    }
    throw new StoreError(`Could not save ${what}: ${(e as Error).message}. Nothing stored was changed.`, false, { cause: e });
  }
}

const datasetKey = (file: string): string => `dataset:${file}`;
const modelKey = (id: string): string => `model:${id}`;
const resultKey = (id: string): string => `result:${id}`;
const metaKey = (name: string): string => `meta:${name}`;

/** Raw bytes of a built dataset file, or undefined when not stored yet. */
export function getDataset(file: string): Promise<Uint8Array | undefined> {
  return get<Uint8Array>(datasetKey(file), db());
}

/** Stores a dataset file (and, atomically, an updated metadata record). */
export function putDataset(file: string, bytes: Uint8Array, meta?: [string, unknown]): Promise<void> {
  const entries: [string, unknown][] = [[datasetKey(file), bytes]];
  if (meta) entries.push([metaKey(meta[0]), meta[1]]);
  return putAtomically(`the dataset file ${file} (${(bytes.length / 1e6).toFixed(1)} MB)`, entries);
}

/** A metadata record (e.g. the dataset manifest and the bundled-models index as stored). */
export function getMeta<T>(name: string): Promise<T | undefined> {
  return get<T>(metaKey(name), db());
}

/** Stores a metadata record. */
export function putMeta(name: string, value: unknown): Promise<void> {
  return putAtomically(`the record ${name}`, [[metaKey(name), value]]);
}

async function keysWith(prefix: string): Promise<string[]> {
  const all = await keys<IDBValidKey>(db());
  return all.filter((k): k is string => typeof k === 'string' && k.startsWith(prefix));
}

/** Every stored variant. */
export async function listModels(): Promise<StoredModel[]> {
  const ks = await keysWith('model:');
  const vs = await getMany<StoredModel>(ks, db());
  return vs.filter((v): v is StoredModel => !!v).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

/** One stored variant, or undefined. */
export function getModel(id: string): Promise<StoredModel | undefined> {
  return get<StoredModel>(modelKey(id), db());
}

/** Stores variants in one transaction (all or none). */
export function putModels(models: StoredModel[]): Promise<void> {
  const what = models.length === 1 ? `the model '${models[0].name}'` : `${models.length} models`;
  return putAtomically(
    what,
    models.map((m) => [modelKey(m.id), m]),
  );
}

/** Deletes a variant and the results measured on it, in one transaction. */
export async function deleteModel(id: string, resultIds: string[]): Promise<void> {
  await delMany([modelKey(id), ...resultIds.map(resultKey)], db());
}

/** Every stored result of type T (the worker defines the record). */
export async function listResults<T>(): Promise<T[]> {
  const ks = await keysWith('result:');
  const vs = await getMany<T>(ks, db());
  return vs.filter((v): v is Awaited<T> => v !== undefined) as T[];
}

/** Stores results in one transaction. */
export function putResults(results: { id: string }[]): Promise<void> {
  return putAtomically(
    results.length === 1 ? 'the result' : `${results.length} results`,
    results.map((r) => [resultKey(r.id), r]),
  );
}

/** Deletes one result. */
export function deleteResult(id: string): Promise<void> {
  return del(resultKey(id), db());
}

/** Bytes the browser says this origin uses and may use (undefined when it does not say). */
export async function storageEstimate(): Promise<{ usage?: number; quota?: number }> {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  if (!nav?.storage?.estimate) return {};
  const e = await nav.storage.estimate();
  return { usage: e.usage, quota: e.quota };
}
