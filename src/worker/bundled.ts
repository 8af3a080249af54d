/**
 * Bundled models on first use. Start-up stores only the index
 * (`models/index.json`, see bundled-index.ts), whose entries already carry
 * each model's list entry; a model's file is fetched from the lab's server
 * the first time a job loads it (session.ts `loadModel`), or for all of them
 * at once when the user asks for the offline copy (Models screen). A file is
 * checked against the index (length and SHA-256) and parsed before it is
 * stored, in one transaction, so a failed download stores nothing.
 */
import { getMeta, getModel, putModels, type StoredModel } from '../store/store.ts';
import { appBase, fetchBytes } from './datasets.ts';
import { bundledId, pendingSummary, sha256Hex, storedBundled, type BundledEntry, type BundledIndex } from './bundled-index.ts';
import type { JobContext } from './jobs.ts';
import type { ModelSummary } from './types.ts';

/** The index start-up stored (meta record 'bundled-index'). */
export async function storedIndex(): Promise<BundledIndex> {
  return (await getMeta<BundledIndex>('bundled-index')) ?? { models: [] };
}

/** Downloads in flight, by variant id: two jobs that need the same model share one download. */
const inflight = new Map<string, Promise<StoredModel>>();

function obtain(entry: BundledIndex['models'][number], signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<StoredModel> {
  const id = bundledId(entry.file);
  let p = inflight.get(id);
  if (!p) {
    p = download(entry, signal, onBytes);
    inflight.set(id, p);
    const forget = () => inflight.delete(id);
    p.then(forget, forget);
  }
  return p;
}

async function download(entry: BundledIndex['models'][number], signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<StoredModel> {
  const name = entry.file.replace(/\.safetensors$/, '');
  let bytes: Uint8Array;
  try {
    bytes = await fetchBytes(`${appBase()}models/${entry.file}`, signal, onBytes);
  } catch (e) {
    // fetch rejects with a TypeError when the network is down; HTTP errors keep their own message.
    if (!(e instanceof TypeError)) throw e;
    throw new Error(
      `The bundled model '${name}' is downloaded the first time it is used, and the lab's server cannot be reached (${e.message}). Reconnect once and try again; after that it works offline.`,
      { cause: e },
    );
  }
  if (bytes.length !== entry.bytes || (await sha256Hex(bytes)) !== entry.sha256) {
    throw new Error(
      `The bundled model file ${entry.file} does not match the lab's index (${bytes.length} bytes received, ${entry.bytes} listed, or a different SHA-256): the server holds another build. Reload the page. Nothing was stored.`,
    );
  }
  const stored = storedBundled(entry.file, bytes);
  await putModels([stored]);
  return stored;
}

/**
 * The stored variant `id` when it is a bundled model not downloaded yet:
 * fetches, checks and stores it now. Undefined for any other id.
 * @throws a clear error when the lab's server cannot be reached
 */
export async function fetchBundledOnFirstUse(id: string): Promise<StoredModel | undefined> {
  if (!id.startsWith('bundled:')) return undefined;
  const entry = (await storedIndex()).models.find((m) => bundledId(m.file) === id);
  return entry ? obtain(entry, undefined, () => undefined) : undefined;
}

/** List entries of the bundled models whose file is not in this browser yet. */
export async function pendingBundled(storedIds: ReadonlySet<string>): Promise<ModelSummary[]> {
  return (await storedIndex()).models.filter((e): e is BundledEntry => !!e.summary && !storedIds.has(bundledId(e.file))).map(pendingSummary);
}

/** Downloads every bundled model not stored yet, with progress in bytes; returns the files fetched. */
export async function downloadAllBundled(ctx: JobContext): Promise<string[]> {
  const todo: BundledIndex['models'] = [];
  for (const e of (await storedIndex()).models) if (!(await getModel(bundledId(e.file)))) todo.push(e);
  const total = todo.reduce((a, e) => a + e.bytes, 0);
  let done = 0;
  for (const e of todo) {
    const phase = `Downloading ${e.file}`;
    ctx.progress({ phase, done, total });
    await obtain(e, ctx.signal, (n) => {
      done += n;
      ctx.progress({ phase, done, total });
    });
    ctx.check();
  }
  ctx.progress({ phase: 'Done', done: total, total });
  return todo.map((e) => e.file);
}
