import { describe, it, expect } from 'vitest';
import { DatasetError } from './errors.ts';
import { parseIdxImages, parseIdxLabels } from './idx.ts';

/** Big-endian IDX header followed by `payload`. */
function idx(magic: number, dims: number[], payload: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic, false);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(payload, 4 + 4 * dims.length);
  return out;
}

const images2x3x2 = () => idx(0x803, [2, 3, 2], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
const small = { rows: 3, cols: 2 };

function problem(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('parseIdxImages', () => {
  it('decodes count, dims and pixels of a hand-built file', () => {
    const r = parseIdxImages(images2x3x2(), 'tiny', small);
    expect(r.count).toBe(2);
    expect(r.rows).toBe(3);
    expect(r.cols).toBe(2);
    expect(Array.from(r.images)).toEqual([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  });

  it('works on a view that does not start at offset 0', () => {
    const file = images2x3x2();
    const padded = new Uint8Array(file.length + 7);
    padded.set(file, 5);
    const r = parseIdxImages(padded.subarray(5, 5 + file.length), 'tiny', small);
    expect(Array.from(r.images.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it('defaults to 28×28 and says what it got', () => {
    const e = problem(() => parseIdxImages(images2x3x2(), 'tiny'));
    expect(e.message).toBe('tiny: images are 3×2, expected 28×28');
  });

  it('rejects a truncated file with the expected and actual byte counts', () => {
    const file = images2x3x2().subarray(0, 20);
    const e = problem(() => parseIdxImages(file, 't10k-images-idx3-ubyte', small));
    expect(e.message).toBe('t10k-images-idx3-ubyte: expected 28 bytes, got 20 (truncated?)');
    expect(e.source).toBe('t10k-images-idx3-ubyte');
  });

  it('formats large counts with thousands separators', () => {
    const header = idx(0x803, [10_000, 28, 28], []);
    const file = new Uint8Array(1234);
    file.set(header);
    const e = problem(() => parseIdxImages(file, 't10k-images-idx3-ubyte'));
    expect(e.message).toBe('t10k-images-idx3-ubyte: expected 7,840,016 bytes, got 1,234 (truncated?)');
  });

  it('rejects trailing bytes', () => {
    const file = new Uint8Array(images2x3x2().length + 1);
    file.set(images2x3x2());
    expect(problem(() => parseIdxImages(file, 'f', small)).message).toMatch(/expected 28 bytes, got 29 \(trailing data\?\)/);
  });

  it('rejects a buffer shorter than the header', () => {
    expect(problem(() => parseIdxImages(new Uint8Array(3), 'f')).message).toMatch(/shorter than its 16-byte IDX header/);
  });

  it('rejects a wrong magic, naming a label file for what it is', () => {
    const e = problem(() => parseIdxImages(idx(0x801, [2, 3, 2], new Array(12).fill(0)), 'f', small));
    expect(e.message).toBe('f: bad magic 0x00000801 (an IDX label file), expected 0x00000803 (an IDX image file)');
    expect(problem(() => parseIdxImages(idx(0x0d03, [2, 3, 2], new Array(12).fill(0)), 'f', small)).message).toMatch(
      /bad magic 0x00000d03, expected 0x00000803/,
    );
  });

  it('recognises an undecompressed gzip stream', () => {
    const gz = new Uint8Array(40);
    gz.set([0x1f, 0x8b, 0x08]);
    expect(problem(() => parseIdxImages(gz, 'f.gz')).message).toMatch(/gzip-compressed/);
  });

  it('rejects an unexpected count and a zero count', () => {
    expect(problem(() => parseIdxImages(images2x3x2(), 'f', { ...small, count: 60_000 })).message).toBe('f: header says 2 images, expected 60,000');
    expect(problem(() => parseIdxImages(idx(0x803, [0, 3, 2], []), 'f', small)).message).toMatch(/0 images/);
  });
});

describe('parseIdxLabels', () => {
  it('decodes labels', () => {
    const r = parseIdxLabels(idx(0x801, [4], [7, 2, 1, 0]), 'l');
    expect(r.count).toBe(4);
    expect(Array.from(r.labels)).toEqual([7, 2, 1, 0]);
  });

  it('rejects labels above 9 with their index', () => {
    const e = problem(() => parseIdxLabels(idx(0x801, [4], [7, 2, 10, 0]), 'train-labels-idx1-ubyte'));
    expect(e.message).toBe('train-labels-idx1-ubyte: label 10 at index 2 is out of range 0–9');
  });

  it('rejects truncation, trailing data, wrong magic and a wrong count', () => {
    expect(problem(() => parseIdxLabels(idx(0x801, [4], [7, 2, 1]), 'l')).message).toBe('l: expected 12 bytes, got 11 (truncated?)');
    expect(problem(() => parseIdxLabels(idx(0x801, [4], [7, 2, 1, 0, 0]), 'l')).message).toMatch(/trailing data/);
    expect(problem(() => parseIdxLabels(idx(0x803, [4], [7, 2, 1, 0]), 'l')).message).toMatch(/bad magic 0x00000803 \(an IDX image file\)/);
    expect(problem(() => parseIdxLabels(idx(0x801, [4], [7, 2, 1, 0]), 'l', { count: 10_000 })).message).toBe('l: header says 4 labels, expected 10,000');
    expect(problem(() => parseIdxLabels(new Uint8Array(5), 'l')).message).toMatch(/shorter than its 8-byte IDX header/);
  });
});
