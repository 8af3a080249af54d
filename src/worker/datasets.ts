/**
 * Copies dataset splits from the lab's server into IndexedDB: MNIST at
 * start-up (bundle.ts), any other split (Fashion-MNIST) the first time a job
 * needs it (session.ts). A split is fetched gzipped (`<file>.gz`, written by
 * scripts/build-data.ts: MNIST 55 MB raw, 11.2 MB gzipped), decompressed with
 * the browser's own `DecompressionStream`, verified on the decompressed bytes
 * (length and the file's CRC-32 by `parseDatasetFile`, then the CRC-32 the
 * manifest records) and stored in one transaction, so a failure stores nothing.
 */
import { hex32 } from '../data/crc32.ts';
import { parseDatasetFile, storedDatasetChecksum, type DatasetName, type DatasetSplit } from '../data/dataset.ts';
import { DatasetError } from '../data/errors.ts';
import { DATASET_INFO, parseManifest, type DatasetManifest, type ManifestSplit } from '../data/manifest.ts';
import { fetchGzipped, fetchManifest } from '../data/web-loader.ts';
import { getMeta, putDataset } from '../store/store.ts';
import type { JobContext } from './jobs.ts';

/** Base URL of the app (where data/ and models/ are served), from the worker's own location. */
export function appBase(): string {
  return new URL(import.meta.env.BASE_URL, self.location.origin).href;
}

/** Downloads `url`, calling `onBytes` with each chunk's size (bytes as they travel: compressed for a .gz). */
export async function fetchBytes(url: string, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<Uint8Array> {
  const r = await fetch(url, { signal, cache: 'no-cache' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}${r.status === 404 ? ' (run `npm run data` before building)' : ''}`);
  if (!r.body) {
    const b = new Uint8Array(await r.arrayBuffer());
    onBytes(b.length);
    return b;
  }
  const reader = r.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    n += value.length;
    onBytes(value.length);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** What a split costs to download: the gzipped size (the raw size for a manifest without .gz files). */
export function transferBytes(s: ManifestSplit): number {
  return s.gzBytes ?? s.bytes;
}

/** Serialises updates of the 'datasets' record (file -> CRC), which concurrent copies share. */
let metaQueue: Promise<unknown> = Promise.resolve();

/**
 * Fetches, decompresses, verifies and stores one split; returns its bytes.
 * @param onBytes decompressed bytes, chunk by chunk (of `s.bytes` in all)
 */
export async function copySplit(root: string, s: ManifestSplit, signal: AbortSignal | undefined, onBytes: (n: number) => void): Promise<Uint8Array> {
  const url = `${root}data/${s.gzFile ?? s.file}`;
  let last = 0;
  const bytes = await fetchGzipped(url, s.bytes, {
    signal,
    cache: 'no-cache',
    onProgress: (loaded) => {
      onBytes(loaded - last);
      last = loaded;
    },
  });
  // Verify before storing: a truncated download must never become "the dataset".
  parseDatasetFile(bytes, url);
  const crc = hex32(storedDatasetChecksum(bytes)!);
  if (crc !== s.crc32) throw new DatasetError(url, `CRC-32 ${crc}, the manifest says ${s.crc32} (a stale file? rebuild with \`npm run data\`)`);
  const store = metaQueue.then(async () => {
    const stored = (await getMeta<Record<string, string>>('datasets')) ?? {};
    await putDataset(s.file, bytes, ['datasets', { ...stored, [s.file]: s.crc32 }]);
  });
  metaQueue = store.catch(() => undefined);
  await store;
  return bytes;
}

/** The manifest start-up stored, else (never started here yet) the server's. */
async function currentManifest(root: string, signal: AbortSignal | undefined): Promise<DatasetManifest> {
  const stored = await getMeta<unknown>('manifest');
  return stored ? parseManifest(stored, 'stored manifest') : fetchManifest(`${root}data/`, { signal });
}

const MB = (n: number) => (n / 1e6).toFixed(1);

/**
 * The progress line under a copy's bar. Datasets are counted decompressed
 * (what a server that decodes for the browser lets us see), so say so, with
 * what actually travels.
 */
export function receivedDetail(done: number, total: number, compressed: number): string {
  return `${MB(done)} of ${MB(total)} MB, counted decompressed (about ${MB(compressed)} MB over the network: datasets travel gzip-compressed)`;
}

/** Copies in flight, by file: a job that needs a split the background copy is fetching waits for that copy. */
const inflight = new Map<string, Promise<Uint8Array>>();

/**
 * First use of a split that start-up did not copy (MNIST's training split,
 * Fashion-MNIST): fetch and store it now, with progress (compressed bytes
 * received of the .gz size) on the job that started the copy.
 * @throws DatasetError when the installation has no such dataset, or it is not
 *   stored yet and the server cannot be reached (offline)
 */
export function fetchOnFirstUse(name: DatasetName, split: DatasetSplit, ctx?: JobContext): Promise<Uint8Array> {
  const file = `${name}-${split}.bin`;
  let p = inflight.get(file);
  if (!p) {
    p = copyOnFirstUse(name, split, ctx);
    inflight.set(file, p);
    const forget = () => inflight.delete(file);
    p.then(forget, forget);
  }
  return p;
}

/**
 * Makes sure a split is stored (the background copy after start-up), without
 * reading it into memory when it already is. True when it was copied now.
 */
export async function ensureStored(name: DatasetName, split: DatasetSplit, ctx?: JobContext): Promise<boolean> {
  const file = `${name}-${split}.bin`;
  const stored = (await getMeta<Record<string, string>>('datasets')) ?? {};
  if (stored[file] !== undefined && !inflight.has(file)) return false;
  await fetchOnFirstUse(name, split, ctx);
  return true;
}

async function copyOnFirstUse(name: DatasetName, split: DatasetSplit, ctx?: JobContext): Promise<Uint8Array> {
  const root = appBase();
  const title = DATASET_INFO[name].title;
  const file = `${name}-${split}.bin`;
  const offline = (e: unknown) =>
    new DatasetError(
      file,
      `${title} (${split} split) is fetched the first time it is needed, and the lab's server cannot be reached (${(e as Error).message}). Reconnect once and try again; after that it works offline.`,
      { cause: e },
    );
  let manifest: DatasetManifest;
  try {
    manifest = await currentManifest(root, ctx?.signal);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw offline(e);
  }
  const entry = manifest.datasets.find((d) => d.name === name);
  const s = entry?.present ? entry.splits[split] : undefined;
  if (!s) throw new DatasetError(file, `${title} is not part of this installation (${entry?.absentReason ?? 'not built'})`);
  const total = s.bytes;
  const phase = `Fetching ${title} ${split} images on first use (${MB(transferBytes(s))} MB compressed)`;
  let done = 0;
  ctx?.progress({ phase, done, total, detail: receivedDetail(done, total, transferBytes(s)) });
  try {
    return await copySplit(root, s, ctx?.signal, (n) => {
      done += n;
      ctx?.progress({ phase, done, total, detail: receivedDetail(done, total, transferBytes(s)) });
    });
  } catch (e) {
    // A network that is down; HTTP errors, failed checks and storage errors
    // keep their own messages.
    if (e instanceof DatasetError && e.problem.startsWith('download failed')) throw offline(e);
    throw e;
  }
}
