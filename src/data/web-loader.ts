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

async function fetchBytes(url: string, options: FetchDatasetOptions): Promise<Uint8Array> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, { signal: options.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new DatasetError(url, `download failed: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok) {
    const hint = response.status === 404 ? '; run `npm run data` before starting the app' : '';
    throw new DatasetError(url, `HTTP ${response.status} ${response.statusText}${hint}`);
  }
  const header = response.headers.get('content-length');
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  if (!options.onProgress || !response.body) {
    return new Uint8Array(await response.arrayBuffer());
  }
  // Stream so the UI can show progress on a slow link (a phone at a workshop).
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  options.onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    options.onProgress(loaded, total);
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
