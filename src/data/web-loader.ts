/**
 * Loading built datasets over HTTP in the browser or its worker (Vite serves
 * `public/data/` at `/data/`). Verification is `parseDatasetFile`, the same as
 * in Node, so a truncated or corrupted download is an error, never a dataset.
 */
import type { Dataset, DatasetName, DatasetSplit } from './dataset.ts';
import { datasetFileName, isDatasetName, isDatasetSplit, parseDatasetFile } from './dataset.ts';
import { DatasetError } from './errors.ts';
import type { DatasetManifest } from './manifest.ts';
import { MANIFEST_FILE, parseManifest } from './manifest.ts';

/** Options shared by the fetch helpers. */
export interface FetchDatasetOptions {
  /** Cancels the download (the UI's cancel button). */
  signal?: AbortSignal;
  /**
   * Called as bytes arrive. `total` is the Content-Length (null when absent;
   * with HTTP compression it is the compressed size, so treat it as approximate).
   */
  onProgress?: (loaded: number, total: number | null) => void;
  /** Injected `fetch`, for tests; defaults to the global one. */
  fetch?: typeof fetch;
}

function join(baseUrl: string, file: string): string {
  return baseUrl.endsWith('/') ? baseUrl + file : `${baseUrl}/${file}`;
}

/**
 * Downloads and verifies one split from `<baseUrl><name>-<split>.bin`.
 * @param baseUrl where `public/data/` is served; pass `import.meta.env.BASE_URL + 'data/'`
 *   when the app is not at the site root
 * @throws DatasetError on an HTTP error, a network failure or a file that fails
 *   verification; an AbortError when `signal` fires
 */
export async function fetchDataset(name: DatasetName, split: DatasetSplit, baseUrl = '/data/', options: FetchDatasetOptions = {}): Promise<Dataset> {
  if (!isDatasetName(name)) throw new DatasetError(String(name), 'unknown dataset; choose one of mnist, fashion-mnist');
  if (!isDatasetSplit(split)) throw new DatasetError(String(split), 'unknown split; choose train or test');
  const url = join(baseUrl, datasetFileName(name, split));
  const bytes = await fetchBytes(url, options);
  const ds = parseDatasetFile(bytes, url);
  if (ds.name !== name || ds.split !== split) {
    throw new DatasetError(url, `holds ${ds.name}/${ds.split}, expected ${name}/${split}`);
  }
  return ds;
}

/**
 * Downloads `<baseUrl>manifest.json`: which datasets this installation has.
 * @throws DatasetError when it is missing or malformed
 */
export async function fetchManifest(baseUrl = '/data/', options: FetchDatasetOptions = {}): Promise<DatasetManifest> {
  const url = join(baseUrl, MANIFEST_FILE);
  const bytes = await fetchBytes(url, options);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    // A dev server's HTML fallback for a missing file lands here.
    throw new DatasetError(url, 'not valid JSON (missing file served as HTML?); run `npm run data`', { cause: err });
  }
  return parseManifest(json, url);
}

async function fetchResponse(url: string, options: FetchDatasetOptions, init: RequestInit = {}): Promise<Response> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, { ...init, signal: options.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new DatasetError(url, `download failed: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok) {
    const hint = response.status === 404 ? '; run `npm run data` before starting the app' : '';
    throw new DatasetError(url, `HTTP ${response.status} ${response.statusText}${hint}`);
  }
  return response;
}

async function fetchBytes(url: string, options: FetchDatasetOptions): Promise<Uint8Array> {
  const response = await fetchResponse(url, options);
  const header = response.headers.get('content-length');
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  if (!options.onProgress || !response.body) {
    return new Uint8Array(await response.arrayBuffer());
  }
  // Stream so the UI can show progress on a slow link (a phone at a workshop).
  return readAll(response.body, total, options.onProgress);
}

async function readAll(
  body: ReadableStream<Uint8Array>,
  total: number | null,
  onProgress?: (loaded: number, total: number | null) => void,
): Promise<Uint8Array> {
  // Stream so the UI can show progress on a slow link (a phone at a workshop).
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress?.(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress?.(loaded, total);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  return bytes;
}

/**
 * Downloads a gzipped file (a dataset's `<file>.gz`, scripts/build-data.ts)
 * and decompresses it as it arrives with the platform's own
 * `DecompressionStream` (browsers, workers, Node ≥ 18; no library). A server
 * that sends the file with `Content-Encoding: gzip` (Vite's preview and dev
 * servers do, for any .gz) has `fetch` decompress it already: the first bytes
 * tell which (gzip starts 1f 8b), so both work. The caller verifies the
 * result (`parseDatasetFile`: length and CRC-32).
 *
 * `onProgress(loaded, total)` counts **decompressed** bytes — the one count
 * both kinds of server allow — of `rawBytes`, the size the manifest records.
 * @throws DatasetError on an HTTP error, a network failure or a corrupt or
 *   truncated gzip stream; an AbortError when `signal` fires
 */
export async function fetchGzipped(url: string, rawBytes: number | null, options: FetchDatasetOptions & { cache?: RequestCache } = {}): Promise<Uint8Array> {
  const response = await fetchResponse(url, options, options.cache ? { cache: options.cache } : {});
  if (!response.body) return readAll(new Blob([await response.arrayBuffer()]).stream(), rawBytes, options.onProgress);
  const reader = response.body.getReader();
  const first = await reader.read().catch((err: unknown) => {
    throw downloadFailed(url, err);
  });
  const head = first.done ? new Uint8Array(0) : first.value;
  // The chunk already read, then the rest of the body.
  let body: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>({
    start(c) {
      if (head.length) c.enqueue(head);
      if (first.done) c.close();
    },
    async pull(c) {
      // A failed read is the network's fault; anything else the decompressor's.
      const r = await reader.read().catch((err: unknown) => {
        throw downloadFailed(url, err);
      });
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  const gzipped = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (gzipped) body = body.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>);
  try {
    return await readAll(body, rawBytes, options.onProgress);
  } catch (err) {
    if ((err as Error).name === 'AbortError' || options.signal?.aborted || err instanceof DatasetError) throw err;
    if (gzipped) {
      throw new DatasetError(url, `corrupt or truncated gzip stream (${(err as Error).message}); rebuild with \`npm run data\``, { cause: err });
    }
    throw downloadFailed(url, err);
  }
}

function downloadFailed(url: string, err: unknown): Error {
  if ((err as Error).name === 'AbortError') return err as Error;
  return new DatasetError(url, `download failed: ${(err as Error).message}`, { cause: err });
}
