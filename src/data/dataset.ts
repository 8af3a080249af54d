/**
 * The lab's in-memory dataset and its compact file format ("CLDS"), plus the
 * batching helpers training and evaluation use. Pure: no Node or DOM APIs, so
 * the browser worker, the Node CLI and the build script share one decoder.
 *
 * File layout (all integers little-endian, 32-byte header):
 *
 * | offset | size | field                                             |
 * |-------:|-----:|---------------------------------------------------|
 * |      0 |    4 | magic, ASCII "CLDS"                               |
 * |      4 |    2 | format version (1)                                |
 * |      6 |    1 | dataset: 1 = mnist, 2 = fashion-mnist             |
 * |      7 |    1 | split: 1 = train, 2 = test                        |
 * |      8 |    4 | count (number of examples)                        |
 * |     12 |    2 | rows                                              |
 * |     14 |    2 | cols                                              |
 * |     16 |   12 | reserved, zero                                    |
 * |     28 |    4 | CRC-32 of bytes [0, 28) followed by [32, end)     |
 * |     32 |    N | labels, one byte each (0–9)                       |
 * | 32 + N | N·R·C| images, uint8 pixels, example-major, row-major     |
 *
 * The CRC covers the header too (all but its own four bytes), so a flipped
 * byte anywhere — including the dataset or split code — is caught. Labels come
 * first so a caller that only needs labels reads a tiny prefix.
 */
import { mulberry32 } from '../model/model.ts';
import { crc32, hex32 } from './crc32.ts';
import { DatasetError, formatCount, lengthProblem } from './errors.ts';
import { checkLabels } from './idx.ts';

/** Datasets the lab knows. */
export type DatasetName = 'mnist' | 'fashion-mnist';
/** The two published splits of each dataset. */
export type DatasetSplit = 'train' | 'test';

/** All dataset names, in the order the UI offers them. */
export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'fashion-mnist'];
/** Both splits. */
export const DATASET_SPLITS: readonly DatasetSplit[] = ['train', 'test'];
/** Both datasets have ten classes, labels 0–9. */
export const NUM_CLASSES = 10;

/**
 * One split of a dataset, fully loaded and verified. `labels` and `images`
 * are raw bytes (pixels 0–255, 0 = background); use `toFloatBatch` or
 * `gatherFloatBatch` for network input.
 */
export interface Dataset {
  name: DatasetName;
  split: DatasetSplit;
  /** Number of examples. */
  count: number;
  /** Image height (28). */
  rows: number;
  /** Image width (28). */
  cols: number;
  /** `count` class indices, 0–9. */
  labels: Uint8Array;
  /** `count × rows × cols` pixels, example-major then row-major (NHW; C = 1). */
  images: Uint8Array;
}

/** "CLDS" as the four header bytes. */
export const DATASET_MAGIC = [0x43, 0x4c, 0x44, 0x53] as const;
/** The format version this code writes and reads. */
export const DATASET_FORMAT_VERSION = 1;
/** Header size in bytes; the payload starts here. */
export const DATASET_HEADER_BYTES = 32;
const CRC_OFFSET = 28;

const NAME_CODES: Record<DatasetName, number> = { mnist: 1, 'fashion-mnist': 2 };
const SPLIT_CODES: Record<DatasetSplit, number> = { train: 1, test: 2 };

/** Runtime guard for names arriving from a CLI argument or a message. */
export function isDatasetName(value: unknown): value is DatasetName {
  return value === 'mnist' || value === 'fashion-mnist';
}

/** Runtime guard for splits arriving from a CLI argument or a message. */
export function isDatasetSplit(value: unknown): value is DatasetSplit {
  return value === 'train' || value === 'test';
}

/** File name of a built split inside `public/data/`, e.g. "mnist-test.bin". */
export function datasetFileName(name: DatasetName, split: DatasetSplit): string {
  return `${name}-${split}.bin`;
}

/** Total file size of a dataset file with these dimensions. */
export function datasetFileBytes(count: number, rows: number, cols: number): number {
  return DATASET_HEADER_BYTES + count + count * rows * cols;
}

/**
 * Encodes a dataset into the CLDS format (see the module comment). Used by
 * `scripts/build-data.ts` and by tests to make files.
 * @throws DatasetError when the arrays disagree with count/rows/cols or a
 *   label is out of range — a file is never written from inconsistent data
 */
export function encodeDatasetFile(ds: Dataset): Uint8Array {
  const source = `${ds.name}/${ds.split}`;
  if (!isDatasetName(ds.name)) throw new DatasetError(source, `unknown dataset name "${String(ds.name)}"`);
  if (!isDatasetSplit(ds.split)) throw new DatasetError(source, `unknown split "${String(ds.split)}"`);
  for (const [key, value, max] of [
    ['count', ds.count, 0xffffffff],
    ['rows', ds.rows, 0xffff],
    ['cols', ds.cols, 0xffff],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new DatasetError(source, `${key} must be an integer in 1…${formatCount(max)}, got ${value}`);
    }
  }
  if (ds.labels.length !== ds.count) {
    throw new DatasetError(source, `${formatCount(ds.labels.length)} labels for ${formatCount(ds.count)} examples`);
  }
  const pixels = ds.count * ds.rows * ds.cols;
  if (ds.images.length !== pixels) {
    throw new DatasetError(source, `${formatCount(ds.images.length)} pixels, expected ${formatCount(pixels)} (count × rows × cols)`);
  }
  checkLabels(ds.labels, source, NUM_CLASSES);

  const out = new Uint8Array(datasetFileBytes(ds.count, ds.rows, ds.cols));
  const view = new DataView(out.buffer);
  out.set(DATASET_MAGIC, 0);
  view.setUint16(4, DATASET_FORMAT_VERSION, true);
  view.setUint8(6, NAME_CODES[ds.name]);
  view.setUint8(7, SPLIT_CODES[ds.split]);
  view.setUint32(8, ds.count, true);
  view.setUint16(12, ds.rows, true);
  view.setUint16(14, ds.cols, true);
  out.set(ds.labels, DATASET_HEADER_BYTES);
  out.set(ds.images, DATASET_HEADER_BYTES + ds.count);
  view.setUint32(CRC_OFFSET, fileCrc(out), true);
  return out;
}

/** CRC-32 over the whole file except the four checksum bytes themselves. */
function fileCrc(bytes: Uint8Array): number {
  const head = crc32(bytes.subarray(0, CRC_OFFSET));
  return crc32(bytes.subarray(DATASET_HEADER_BYTES), head);
}

/**
 * Reads the checksum stored in a CLDS header without verifying anything (the
 * build script compares it against the manifest). Returns null when `bytes`
 * is too short to hold a header.
 */
export function storedDatasetChecksum(bytes: Uint8Array): number | null {
  if (bytes.length < DATASET_HEADER_BYTES) return null;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(CRC_OFFSET, true);
}

/**
 * Decodes and verifies a CLDS file: magic, version, known dataset and split,
 * exact length, CRC-32 and label range. All checks run before anything is
 * returned, so a caller never sees a half-loaded dataset.
 *
 * The returned `labels` and `images` are views into `bytes` (no copy): keep
 * `bytes` unmodified for as long as the dataset is in use.
 * @param source file name or URL, used in error messages
 * @throws DatasetError naming `source` and the first check that failed
 */
export function parseDatasetFile(bytes: Uint8Array, source: string): Dataset {
  if (bytes.length < DATASET_HEADER_BYTES) {
    throw new DatasetError(source, `file is ${formatCount(bytes.length)} bytes, shorter than the ${DATASET_HEADER_BYTES}-byte header (truncated?)`);
  }
  if (DATASET_MAGIC.some((b, i) => bytes[i] !== b)) {
    // A dev server answers a missing file with its HTML page (status 200):
    // that is the common way to get here, so name it.
    const html = bytes[0] === 0x3c; // '<'
    throw new DatasetError(
      source,
      html
        ? 'got an HTML page instead of a dataset file — the file is probably missing; run `npm run data`'
        : `not a Compression Lab dataset file (magic ${hex32(new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false))}, expected "CLDS")`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== DATASET_FORMAT_VERSION) {
    throw new DatasetError(source, `format version ${version}, this build reads version ${DATASET_FORMAT_VERSION}; rebuild with \`npm run data\``);
  }
  const name = (Object.keys(NAME_CODES) as DatasetName[]).find((k) => NAME_CODES[k] === view.getUint8(6));
  const split = (Object.keys(SPLIT_CODES) as DatasetSplit[]).find((k) => SPLIT_CODES[k] === view.getUint8(7));
  if (!name) throw new DatasetError(source, `unknown dataset code ${view.getUint8(6)} in header`);
  if (!split) throw new DatasetError(source, `unknown split code ${view.getUint8(7)} in header`);
  const count = view.getUint32(8, true);
  const rows = view.getUint16(12, true);
  const cols = view.getUint16(14, true);
  if (count === 0 || rows === 0 || cols === 0) {
    throw new DatasetError(source, `empty dimensions in header (count ${count}, ${rows}×${cols})`);
  }
  for (let i = 16; i < CRC_OFFSET; i++) {
    if (bytes[i] !== 0) throw new DatasetError(source, `reserved header byte ${i} is ${bytes[i]}, expected 0 (corrupt?)`);
  }
  const expected = datasetFileBytes(count, rows, cols);
  if (bytes.length !== expected) throw new DatasetError(source, lengthProblem(expected, bytes.length));
  const stored = view.getUint32(CRC_OFFSET, true);
  const actual = fileCrc(bytes);
  if (stored !== actual) {
    throw new DatasetError(source, `checksum mismatch: header says CRC-32 ${hex32(stored)}, contents give ${hex32(actual)} (corrupt file?)`);
  }
  const base = bytes.byteOffset + DATASET_HEADER_BYTES;
  const labels = new Uint8Array(bytes.buffer, base, count);
  const images = new Uint8Array(bytes.buffer, base + count, count * rows * cols);
  // Redundant with the CRC for files this code wrote, but cheap, and it keeps
  // the promise "labels are 0–9" independent of how the file was produced.
  checkLabels(labels, source, NUM_CLASSES);
  return { name, split, count, rows, cols, labels, images };
}

/** pixel → pixel / 255 as float32, precomputed so batching is a table lookup. */
const PIXEL_TO_FLOAT = (() => {
  const t = new Float32Array(256);
  for (let p = 0; p < 256; p++) t[p] = p / 255;
  return t;
})();

function outputFor(ds: Dataset, count: number, out: Float32Array | undefined, what: string): Float32Array {
  const n = count * ds.rows * ds.cols;
  if (!out) return new Float32Array(n);
  if (out.length < n) {
    throw new RangeError(`${what}: output holds ${out.length} floats, batch needs ${n} (${count} × ${ds.rows} × ${ds.cols})`);
  }
  return out.length === n ? out : out.subarray(0, n);
}

/**
 * Network input for examples `start … start + count − 1`: float32 NHWC
 * `[count, rows, cols, 1]`.
 *
 * Normalisation: each pixel is mapped to `pixel / 255`, i.e. [0, 1] with 0 =
 * background — no mean/std standardisation. Every model in the lab is trained
 * and evaluated on this scaling, and int8 input quantisation uses scale 1/255,
 * zero point 0; change it here and in neither place alone.
 *
 * @param out optional buffer to reuse across batches (avoids a 47 MB→188 MB
 *   float copy of the whole set); must hold at least count × rows × cols
 *   floats. The returned array is `out` itself, or a prefix view of it.
 */
export function toFloatBatch(ds: Dataset, start: number, count: number, out?: Float32Array): Float32Array {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > ds.count) {
    throw new RangeError(`toFloatBatch: examples ${start}…${start + count - 1} are outside ${ds.name}/${ds.split} (0…${ds.count - 1})`);
  }
  const dst = outputFor(ds, count, out, 'toFloatBatch');
  const px = ds.rows * ds.cols;
  const src = ds.images.subarray(start * px, (start + count) * px);
  for (let i = 0; i < src.length; i++) dst[i] = PIXEL_TO_FLOAT[src[i]];
  return dst;
}

/**
 * Like `toFloatBatch` but for arbitrary example indices (a shuffled batch):
 * float32 NHWC `[indices.length, rows, cols, 1]`, pixel / 255.
 */
export function gatherFloatBatch(ds: Dataset, indices: ArrayLike<number>, out?: Float32Array): Float32Array {
  const dst = outputFor(ds, indices.length, out, 'gatherFloatBatch');
  const px = ds.rows * ds.cols;
  for (let b = 0; b < indices.length; b++) {
    const idx = indices[b];
    if (!Number.isInteger(idx) || idx < 0 || idx >= ds.count) {
      throw new RangeError(`gatherFloatBatch: index ${idx} is outside ${ds.name}/${ds.split} (0…${ds.count - 1})`);
    }
    const src = idx * px;
    const o = b * px;
    for (let i = 0; i < px; i++) dst[o + i] = PIXEL_TO_FLOAT[ds.images[src + i]];
  }
  return dst;
}

/** Labels of the given examples, in the same order as `gatherFloatBatch`. */
export function gatherLabels(ds: Dataset, indices: ArrayLike<number>, out?: Uint8Array): Uint8Array {
  const dst = out ? out.subarray(0, indices.length) : new Uint8Array(indices.length);
  if (dst.length < indices.length) {
    throw new RangeError(`gatherLabels: output holds ${dst.length} labels, batch needs ${indices.length}`);
  }
  for (let b = 0; b < indices.length; b++) {
    const idx = indices[b];
    if (!Number.isInteger(idx) || idx < 0 || idx >= ds.count) {
      throw new RangeError(`gatherLabels: index ${idx} is outside ${ds.name}/${ds.split} (0…${ds.count - 1})`);
    }
    dst[b] = ds.labels[idx];
  }
  return dst;
}

/**
 * A seeded random permutation of 0 … n − 1 (Fisher–Yates driven by
 * `mulberry32(seed)`), so a run's example order is reproducible on every
 * device. For per-epoch reshuffles derive the seed, e.g. `seed + epoch`.
 */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`shuffledIndices: n must be a non-negative integer, got ${n}`);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Splits an example order (e.g. from `shuffledIndices`) into consecutive
 * batches of `batchSize`. The batches are views into `order`, not copies.
 * The last batch is shorter when `batchSize` does not divide the length,
 * unless `dropLast` is set (useful when a kernel is compiled for one batch size).
 */
export function batchIndices(order: Uint32Array, batchSize: number, options: { dropLast?: boolean } = {}): Uint32Array[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchIndices: batchSize must be a positive integer, got ${batchSize}`);
  }
  const batches: Uint32Array[] = [];
  for (let s = 0; s < order.length; s += batchSize) {
    const e = Math.min(s + batchSize, order.length);
    if (e - s < batchSize && options.dropLast) break;
    batches.push(order.subarray(s, e));
  }
  return batches;
}

/** Examples per class: `result[c]` = how many labels equal c. */
export function labelHistogram(labels: Uint8Array, classes = NUM_CLASSES): number[] {
  const h = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) if (labels[i] < classes) h[labels[i]]++;
  return h;
}
