/**
 * Loading built datasets from disk in Node (the CLI, scripts, tests). The
 * browser and worker use `web-loader.ts`; both end in `parseDatasetFile`, so
 * they accept and reject exactly the same files.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset, DatasetName, DatasetSplit } from './dataset.ts';
import { datasetFileName, isDatasetName, isDatasetSplit, parseDatasetFile } from './dataset.ts';
import { DatasetError } from './errors.ts';
import type { DatasetManifest } from './manifest.ts';
import { DATASET_INFO, MANIFEST_FILE, parseManifest } from './manifest.ts';

/** `<repo>/public/data`: where `npm run data` writes and Vite serves from. */
export const DEFAULT_DATA_DIR: string = fileURLToPath(new URL('../../public/data/', import.meta.url));

/**
 * Reads and verifies one split (`<dir>/<name>-<split>.bin`).
 * @throws DatasetError when the file is missing (saying to run `npm run data`,
 *   or how to install Fashion-MNIST when the build found it absent), corrupt,
 *   or holds a different dataset/split than its name says
 */
export async function loadDataset(name: DatasetName, split: DatasetSplit, dir: string = DEFAULT_DATA_DIR): Promise<Dataset> {
  if (!isDatasetName(name)) throw new DatasetError(String(name), `unknown dataset; choose one of mnist, fashion-mnist`);
  if (!isDatasetSplit(split)) throw new DatasetError(String(split), `unknown split; choose train or test`);
  const path = join(dir, datasetFileName(name, split));
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw await missingFileError(name, path, dir);
    throw new DatasetError(path, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  const ds = parseDatasetFile(bytes, path);
  if (ds.name !== name || ds.split !== split) {
    throw new DatasetError(path, `holds ${ds.name}/${ds.split}, expected ${name}/${split} (renamed file?)`);
  }
  return ds;
}

/**
 * Reads `<dir>/manifest.json`: which datasets were built, with counts,
 * checksums and credits.
 * @throws DatasetError when it is missing (run `npm run data`) or malformed
 */
export async function loadManifest(dir: string = DEFAULT_DATA_DIR): Promise<DatasetManifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatasetError(path, 'not found; run `npm run data` first to build the datasets');
    }
    throw new DatasetError(path, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DatasetError(path, `invalid JSON (${(err as Error).message}); rebuild with \`npm run data\``, { cause: err });
  }
  return parseManifest(json, path);
}

/** The most helpful message for a missing split: absent source, or no build yet. */
async function missingFileError(name: DatasetName, path: string, dir: string): Promise<DatasetError> {
  const manifest = await loadManifest(dir).catch(() => null);
  const entry = manifest?.datasets.find((d) => d.name === name);
  if (entry && !entry.present) {
    return new DatasetError(path, `not built: ${DATASET_INFO[name].title} was absent at build time (${entry.absentReason ?? 'no reason recorded'})`);
  }
  return new DatasetError(path, 'not found; run `npm run data` first to build the datasets');
}
