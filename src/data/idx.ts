/**
 * Decoding of the IDX format in which MNIST and Fashion-MNIST are published
 * (http://yann.lecun.com/exdb/mnist/): a big-endian header — magic
 * 0x000008NN (0x08 = unsigned byte, NN = number of dimensions), then one
 * uint32 per dimension — followed by the raw values.
 *
 * Every check is strict (magic, dimensions, exact length, label range) because
 * a silently short or shifted buffer would still "train", just on garbage.
 * Pure: no Node or DOM APIs, so the build script and tests share it.
 */
import { DatasetError, formatCount, lengthProblem } from './errors.ts';

/** IDX magic of an unsigned-byte 3-D array (images: count × rows × cols). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** IDX magic of an unsigned-byte 1-D array (labels: count). */
export const IDX_LABELS_MAGIC = 0x00000801;

/** Decoded IDX image file. `images` is a view into the input buffer (no copy). */
export interface IdxImages {
  /** count × rows × cols pixels, row-major, 0 = background, 255 = ink. */
  images: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** Decoded IDX label file. `labels` is a view into the input buffer (no copy). */
export interface IdxLabels {
  /** One class index (0–9) per example. */
  labels: Uint8Array;
  count: number;
}

/** What the caller knows in advance; anything given must match exactly. */
export interface IdxImageExpectations {
  /** Image height; default 28 (the lab's models are built for 28×28 input). */
  rows?: number;
  /** Image width; default 28. */
  cols?: number;
  /** Number of images, when known (60,000 / 10,000 for the published splits). */
  count?: number;
}

/** Expectations for a label file. */
export interface IdxLabelExpectations {
  /** Number of labels, when known. */
  count?: number;
  /** Labels must be below this; default 10 (both datasets have ten classes). */
  classes?: number;
}

/**
 * Parses an IDX image file (magic 0x00000803).
 * @param bytes the whole, uncompressed file
 * @param file name used in error messages, e.g. "t10k-images-idx3-ubyte"
 * @throws DatasetError on a wrong magic, unexpected dimensions or a length that
 *   is not exactly header + count × rows × cols
 */
export function parseIdxImages(bytes: Uint8Array, file: string, expect: IdxImageExpectations = {}): IdxImages {
  const header = 16;
  checkMagic(bytes, file, IDX_IMAGES_MAGIC, header);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(4, false);
  const rows = view.getUint32(8, false);
  const cols = view.getUint32(12, false);
  const wantRows = expect.rows ?? 28;
  const wantCols = expect.cols ?? 28;
  if (count === 0) throw new DatasetError(file, 'header says 0 images');
  if (rows !== wantRows || cols !== wantCols) {
    throw new DatasetError(file, `images are ${rows}×${cols}, expected ${wantRows}×${wantCols}`);
  }
  if (expect.count !== undefined && count !== expect.count) {
    throw new DatasetError(file, `header says ${formatCount(count)} images, expected ${formatCount(expect.count)}`);
  }
  const expected = header + count * rows * cols;
  if (bytes.length !== expected) throw new DatasetError(file, lengthProblem(expected, bytes.length));
  return {
    images: new Uint8Array(bytes.buffer, bytes.byteOffset + header, count * rows * cols),
    count,
    rows,
    cols,
  };
}

/**
 * Parses an IDX label file (magic 0x00000801).
 * @param bytes the whole, uncompressed file
 * @param file name used in error messages, e.g. "t10k-labels-idx1-ubyte"
 * @throws DatasetError on a wrong magic, an unexpected count, a length that is
 *   not exactly 8 + count, or a label outside 0 … classes − 1
 */
export function parseIdxLabels(bytes: Uint8Array, file: string, expect: IdxLabelExpectations = {}): IdxLabels {
  const header = 8;
  checkMagic(bytes, file, IDX_LABELS_MAGIC, header);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(4, false);
  if (count === 0) throw new DatasetError(file, 'header says 0 labels');
  if (expect.count !== undefined && count !== expect.count) {
    throw new DatasetError(file, `header says ${formatCount(count)} labels, expected ${formatCount(expect.count)}`);
  }
  const expected = header + count;
  if (bytes.length !== expected) throw new DatasetError(file, lengthProblem(expected, bytes.length));
  const labels = new Uint8Array(bytes.buffer, bytes.byteOffset + header, count);
  checkLabels(labels, file, expect.classes ?? 10);
  return { labels, count };
}

/** Throws a DatasetError naming the first label ≥ `classes`. */
export function checkLabels(labels: Uint8Array, source: string, classes = 10): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new DatasetError(source, `label ${labels[i]} at index ${formatCount(i)} is out of range 0–${classes - 1}`);
    }
  }
}

function checkMagic(bytes: Uint8Array, file: string, want: number, header: number): void {
  // A gzip stream is the likeliest wrong input (the files are published as
  // .gz): say so rather than report a meaningless magic number.
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new DatasetError(file, 'is gzip-compressed; decompress it before parsing');
  }
  if (bytes.length < header) {
    throw new DatasetError(file, `file is ${formatCount(bytes.length)} bytes, shorter than its ${header}-byte IDX header (truncated?)`);
  }
  const magic = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
  if (magic !== want) {
    const what = (m: number) => (m === IDX_IMAGES_MAGIC ? ' (an IDX image file)' : m === IDX_LABELS_MAGIC ? ' (an IDX label file)' : '');
    throw new DatasetError(file, `bad magic ${hex(magic)}${what(magic)}, expected ${hex(want)}${what(want)}`);
  }
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}
