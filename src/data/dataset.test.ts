import { describe, it, expect } from 'vitest';
import type { Dataset } from './dataset.ts';
import {
  DATASET_HEADER_BYTES,
  batchIndices,
  datasetFileName,
  encodeDatasetFile,
  gatherFloatBatch,
  gatherLabels,
  labelHistogram,
  parseDatasetFile,
  shuffledIndices,
  toFloatBatch,
} from './dataset.ts';
import { DatasetError } from './errors.ts';

/** 5 examples of 2×3 pixels; pixel value encodes (example, position). */
function tiny(overrides: Partial<Dataset> = {}): Dataset {
  const count = 5;
  const images = new Uint8Array(count * 6);
  for (let i = 0; i < images.length; i++) images[i] = (i * 9) % 256;
  images[7] = 255;
  return { name: 'fashion-mnist', split: 'test', count, rows: 2, cols: 3, labels: Uint8Array.from([9, 0, 3, 3, 7]), images, ...overrides };
}

function problem(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('dataset file format', () => {
  it('round-trips every field', () => {
    const ds = tiny();
    const bytes = encodeDatasetFile(ds);
    expect(bytes.length).toBe(DATASET_HEADER_BYTES + 5 + 30);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('CLDS');
    const back = parseDatasetFile(bytes, 'tiny.bin');
    expect(back.name).toBe('fashion-mnist');
    expect(back.split).toBe('test');
    expect([back.count, back.rows, back.cols]).toEqual([5, 2, 3]);
    expect(Array.from(back.labels)).toEqual(Array.from(ds.labels));
    expect(Array.from(back.images)).toEqual(Array.from(ds.images));
  });

  it('parses a file at a non-zero byte offset', () => {
    const bytes = encodeDatasetFile(tiny({ name: 'mnist', split: 'train' }));
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const back = parseDatasetFile(padded.subarray(3), 'x');
    expect(back.name).toBe('mnist');
    expect(back.split).toBe('train');
    expect(back.labels[0]).toBe(9);
  });

  it('rejects every truncation and trailing data', () => {
    const bytes = encodeDatasetFile(tiny());
    for (let n = 0; n < bytes.length; n++) expect(() => parseDatasetFile(bytes.subarray(0, n), 'f')).toThrow(DatasetError);
    expect(problem(() => parseDatasetFile(bytes.subarray(0, bytes.length - 1), 'mnist-test.bin')).message).toBe(
      'mnist-test.bin: expected 67 bytes, got 66 (truncated?)',
    );
    expect(problem(() => parseDatasetFile(bytes.subarray(0, 10), 'f')).message).toMatch(/shorter than the 32-byte header/);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(problem(() => parseDatasetFile(longer, 'f')).message).toMatch(/trailing data/);
  });

  it('detects a flipped byte anywhere, header included', () => {
    const bytes = encodeDatasetFile(tiny());
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i] ^= 0x01;
      expect(() => parseDatasetFile(bad, 'f'), `byte ${i}`).toThrow(DatasetError);
    }
    const bad = bytes.slice();
    bad[bytes.length - 1] ^= 0x80; // a pixel: only the checksum can see this
    expect(problem(() => parseDatasetFile(bad, 'f')).message).toMatch(/^f: checksum mismatch: header says CRC-32 0x[0-9a-f]{8}, contents give 0x[0-9a-f]{8}/);
  });

  it('rejects a wrong magic, an HTML page, a future version and unknown codes', () => {
    const bytes = encodeDatasetFile(tiny());
    const magic = bytes.slice();
    magic[0] = 0x00;
    expect(problem(() => parseDatasetFile(magic, 'f')).message).toMatch(/not a Compression Lab dataset file \(magic 0x004c4453, expected "CLDS"\)/);
    const html = new TextEncoder().encode('<!doctype html><html><head></head><body></body></html>');
    expect(problem(() => parseDatasetFile(html, '/data/mnist-test.bin')).message).toMatch(/HTML page.*npm run data/);
    const version = bytes.slice();
    version[4] = 2;
    expect(problem(() => parseDatasetFile(version, 'f')).message).toMatch(/format version 2, this build reads version 1/);
    const name = bytes.slice();
    name[6] = 9;
    expect(problem(() => parseDatasetFile(name, 'f')).message).toMatch(/unknown dataset code 9/);
  });

  it('refuses to encode inconsistent data', () => {
    expect(problem(() => encodeDatasetFile(tiny({ count: 4 }))).message).toMatch(/5 labels for 4 examples/);
    expect(problem(() => encodeDatasetFile(tiny({ images: new Uint8Array(29) }))).message).toMatch(/29 pixels, expected 30/);
    expect(problem(() => encodeDatasetFile(tiny({ labels: Uint8Array.from([1, 2, 3, 4, 10]) }))).message).toMatch(/label 10 at index 4 is out of range 0–9/);
  });

  it('names files by dataset and split', () => {
    expect(datasetFileName('fashion-mnist', 'train')).toBe('fashion-mnist-train.bin');
  });
});

describe('batching', () => {
  it('toFloatBatch is NHWC pixel/255 for a contiguous range', () => {
    const ds = tiny();
    const x = toFloatBatch(ds, 1, 2);
    expect(x.length).toBe(2 * 6);
    for (let i = 0; i < 12; i++) expect(x[i]).toBe(Math.fround(ds.images[6 + i] / 255));
    expect(x[1]).toBe(1); // images[7] = 255
    expect(Math.min(...x)).toBeGreaterThanOrEqual(0);
  });

  it('toFloatBatch reuses a larger output buffer and checks bounds', () => {
    const ds = tiny();
    const out = new Float32Array(100);
    const x = toFloatBatch(ds, 0, 5, out);
    expect(x.buffer).toBe(out.buffer);
    expect(x.length).toBe(30);
    expect(() => toFloatBatch(ds, 4, 2)).toThrow(RangeError);
    expect(() => toFloatBatch(ds, 0, 5, new Float32Array(29))).toThrow(RangeError);
  });

  it('gatherFloatBatch and gatherLabels follow the index order', () => {
    const ds = tiny();
    const x = gatherFloatBatch(ds, [4, 0]);
    expect(Array.from(x.subarray(0, 6))).toEqual(Array.from(toFloatBatch(ds, 4, 1)));
    expect(Array.from(x.subarray(6))).toEqual(Array.from(toFloatBatch(ds, 0, 1)));
    expect(Array.from(gatherLabels(ds, [4, 0, 2]))).toEqual([7, 9, 3]);
    expect(() => gatherLabels(ds, [5])).toThrow(RangeError);
    expect(() => gatherFloatBatch(ds, [-1])).toThrow(RangeError);
  });

  it('shuffledIndices is a seeded permutation', () => {
    const a = shuffledIndices(1000, 42);
    expect(Array.from(a).sort((p, q) => p - q)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(shuffledIndices(1000, 42))).toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(1000, 43))).not.toEqual(Array.from(a));
    expect(Array.from(a.subarray(0, 20))).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(shuffledIndices(0, 1).length).toBe(0);
    expect(Array.from(shuffledIndices(1, 1))).toEqual([0]);
  });

  it('shuffledIndices is unbiased enough: each position sees each value about equally', () => {
    const n = 4;
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const trials = 8000;
    for (let s = 0; s < trials; s++) shuffledIndices(n, s).forEach((v, pos) => counts[pos][v]++);
    for (const row of counts) for (const c of row) expect(Math.abs(c - trials / n)).toBeLessThan(trials / n / 10);
  });

  it('batchIndices splits into views, with an optional dropped remainder', () => {
    const order = shuffledIndices(10, 7);
    const b = batchIndices(order, 4);
    expect(b.map((x) => x.length)).toEqual([4, 4, 2]);
    expect(b[1].buffer).toBe(order.buffer);
    expect(Array.from(b[2])).toEqual(Array.from(order.subarray(8)));
    expect(batchIndices(order, 4, { dropLast: true }).map((x) => x.length)).toEqual([4, 4]);
    expect(batchIndices(order, 5, { dropLast: true }).length).toBe(2);
    expect(() => batchIndices(order, 0)).toThrow(RangeError);
  });

  it('labelHistogram counts per class', () => {
    expect(labelHistogram(Uint8Array.from([9, 0, 3, 3, 7]))).toEqual([1, 0, 0, 2, 0, 0, 0, 1, 0, 1]);
  });
});
