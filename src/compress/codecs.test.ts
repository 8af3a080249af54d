import { describe, expect, it } from 'vitest';
import type { Architecture } from '../model/layers.ts';
import type { Model, TensorEncoding } from '../model/model.ts';
import { initModel } from '../model/model.ts';
import {
  CodecError,
  canonicalCodes,
  decodeTensor,
  encodeTensor,
  encodedByteLength,
  fitEncoding,
  fmix32,
  hashedIndex,
  huffmanDecode,
  huffmanEncode,
  huffmanLengths,
  murmur3Words,
  normalizeEncoding,
  sparseEntries,
} from '../model/codecs.ts';
import { ModelFileError, parseModel, serializeModel } from '../model/format.ts';
import { huffmanBytes, relativeIndexEntries } from '../model/size.ts';
import { sizeBreakdown } from './breakdown.ts';
import { hashWeights } from './hashing.ts';
import { huffman } from './huffman.ts';
import { kmeans } from './kmeans.ts';
import { prune } from './prune.ts';
import { quantize } from './quantize.ts';
import { sparsify } from './sparse.ts';

/** Reference MurmurHash3_x86_32 over bytes, straight from the published algorithm. */
function murmur3Bytes(key: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const nblocks = key.length >> 2;
  for (let i = 0; i < nblocks; i++) {
    let k = key[4 * i] | (key[4 * i + 1] << 8) | (key[4 * i + 2] << 16) | (key[4 * i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const tail = nblocks * 4;
  const rest = key.length & 3;
  if (rest >= 3) k ^= key[tail + 2] << 16;
  if (rest >= 2) k ^= key[tail + 1] << 8;
  if (rest >= 1) {
    k ^= key[tail];
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= key.length;
  return fmix32(h);
}

const tiny: Architecture = {
  name: 'tiny',
  inputShape: [6, 6, 1],
  layers: [
    { kind: 'conv2d', name: 'conv', filters: 4, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
    { kind: 'relu', name: 'r1' },
    { kind: 'maxPool2d', name: 'pool', window: [2, 2], stride: [2, 2] },
    { kind: 'flatten', name: 'flat' },
    { kind: 'dense', name: 'fc1', units: 40, bias: true },
    { kind: 'relu', name: 'r2' },
    { kind: 'dense', name: 'fc2', units: 10, bias: true },
  ],
};

function roundTrip(model: Model): Model {
  const bytes = serializeModel(model);
  const back = parseModel(bytes, 'test');
  for (const [name, w] of Object.entries(model.weights)) expect(back.weights[name], name).toEqual(w);
  expect(back.encodings).toEqual(Object.fromEntries(Object.keys(model.weights).map((n) => [n, model.encodings?.[n] ?? { kind: 'fp32' }])));
  expect(sizeBreakdown(back).total).toBe(bytes.length);
  return back;
}

describe('Huffman coding', () => {
  it('gives the textbook lengths and exact sizes for a known stream', () => {
    const symbols = [0, 0, 0, 0, 0, 1, 1, 2, 3];
    const lengths = huffmanLengths([5, 2, 1, 1]);
    expect(Array.from(lengths)).toEqual([1, 2, 3, 3]);
    expect(canonicalCodes(lengths)).toEqual([0b0, 0b10, 0b110, 0b111]);
    const { table, payload } = huffmanEncode(symbols, 4);
    // 5·1 + 2·2 + 3 + 3 = 15 bits → 2 bytes; table one byte per symbol.
    expect(payload.length).toBe(2);
    expect(table.length).toBe(4);
    expect(payload.length + table.length).toBe(huffmanBytes([5, 2, 1, 1]).total);
    // codes MSB first into a little-endian bit stream: 0 0 0 0 0 10 10 110 111
    expect(Array.from(payload)).toEqual([0b10100000, 0b01110110]);
    expect(Array.from(huffmanDecode(table, payload, symbols.length))).toEqual(symbols);
  });

  it('round-trips random streams, including one-symbol and empty ones', () => {
    let seed = 7;
    const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (const alphabet of [1, 2, 3, 17, 256]) {
      for (const n of [0, 1, 5, 1000]) {
        const s = Int32Array.from({ length: n }, () => Math.floor(rand() ** 3 * alphabet));
        const { table, payload } = huffmanEncode(s, alphabet);
        expect(Array.from(huffmanDecode(table, payload, n))).toEqual(Array.from(s));
      }
    }
  });

  it('refuses padding garbage and over-subscribed tables', () => {
    const { table, payload } = huffmanEncode([0, 1, 1], 2);
    const bad = payload.slice();
    bad[0] |= 0x80;
    expect(() => huffmanDecode(table, bad, 3)).toThrow(CodecError);
    expect(() => huffmanDecode(Uint8Array.from([1, 1, 1]), new Uint8Array(1), 1)).toThrow(/over-subscribe/);
  });
});

describe('hashing', () => {
  it('murmur3Words is MurmurHash3_x86_32 of the 8-byte key', () => {
    expect(murmur3Bytes(new TextEncoder().encode('Hello, world!'), 1234)).toBe(0xfaf6cdb3);
    expect(murmur3Bytes(new Uint8Array(0), 0)).toBe(0);
    for (const [a, b, seed] of [
      [0, 0, 0],
      [1, 2, 3],
      [0xdeadbeef, 12345, 42],
    ]) {
      const key = new Uint8Array(new Uint32Array([a, b]).buffer);
      expect(murmur3Words(a, b, seed)).toBe(murmur3Bytes(key, seed));
    }
  });

  it('is deterministic and depends on the seed and the salt', () => {
    const enc = { k: 16, seed: 1, salt: 99 };
    const a = Array.from({ length: 64 }, (_, i) => hashedIndex(enc, i));
    expect(Array.from({ length: 64 }, (_, i) => hashedIndex(enc, i))).toEqual(a);
    expect(Array.from({ length: 64 }, (_, i) => hashedIndex({ ...enc, seed: 2 }, i))).not.toEqual(a);
    expect(Array.from({ length: 64 }, (_, i) => hashedIndex({ ...enc, salt: 100 }, i))).not.toEqual(a);
    expect(a.every((j) => j >= 0 && j < 16)).toBe(true);
    const m = initModel(tiny, 3);
    const h1 = hashWeights(m, { ratio: 4, seed: 5 });
    const h2 = hashWeights(m, { ratio: 4, seed: 5 });
    const h3 = hashWeights(m, { ratio: 4, seed: 6 });
    expect(h1.weights['fc1.weight']).toEqual(h2.weights['fc1.weight']);
    expect(h1.weights['fc1.weight']).not.toEqual(h3.weights['fc1.weight']);
  });
});

describe('sparse entries', () => {
  it('match size.ts relative indexing, fillers included', () => {
    const v = new Float32Array(40);
    v[0] = 1;
    v[3] = 2;
    v[30] = 3; // gap 27 > 8: fillers
    const e = sparseEntries(v, 3);
    const ref = relativeIndexEntries(
      Array.from(v, (x) => (x !== 0 ? 1 : 0)),
      3,
    );
    expect(Array.from(e.gaps, (g) => g + 1)).toEqual(ref.gaps);
    expect(Array.from(e.values)).toEqual([1, 2, 0, 0, 0, 3]);
  });
});

describe('every new encoding round-trips through serializeModel / parseModel', () => {
  const base = initModel(tiny, 11);
  const pruned = prune(base, { sparsity: 0.8 });
  const cases: Record<string, Model> = {
    ternary: quantize(base, { mode: 'ternary', granularity: 'channel' }),
    'ternary per tensor': quantize(base, { mode: 'ternary', granularity: 'tensor' }),
    binary: quantize(base, { mode: 'binary', granularity: 'channel' }),
    codebook: kmeans(base, { bits: 4 }),
    'codebook pruned': kmeans(pruned, { bits: 3 }),
    hashed: hashWeights(base, { ratio: 4 }),
    'hashed network': hashWeights(base, { ratio: 4, scope: 'network' }),
    'huffman linear': huffman(quantize(base, { bits: 5 }), { when: 'always' }),
    'huffman codebook': huffman(kmeans(base, { bits: 3 }), { when: 'always' }),
    'huffman ternary': huffman(quantize(base, { mode: 'ternary' }), { when: 'always' }),
    'sparse fp32': sparsify(pruned, { when: 'always', gapBits: 2 }),
    'sparse fp16': sparsify(quantize(pruned, { mode: 'fp16' }), { when: 'always', gapBits: 3 }),
    'sparse linear': sparsify(quantize(pruned, { bits: 6, granularity: 'tensor' }), { when: 'always', gapBits: 2 }),
    'sparse codebook': sparsify(kmeans(pruned, { bits: 3 }), { when: 'always', gapBits: 2 }),
    'sparse codebook huffman': huffman(sparsify(kmeans(pruned, { bits: 3 }), { when: 'always', gapBits: 2 }), { when: 'always' }),
    'int11 linear': quantize(base, { bits: 11, scheme: 'asymmetric' }),
  };
  for (const [name, model] of Object.entries(cases)) {
    it(name, () => {
      const kinds = new Set(Object.values(model.encodings ?? {}).map((e) => e.kind));
      expect(kinds.size).toBeGreaterThan(0);
      roundTrip(model);
    });
  }

  it('ternary stores 2 bits per weight plus one fp32 scale per channel', () => {
    const m = cases.ternary;
    const enc = m.encodings!['fc1.weight'];
    expect(encodedByteLength([40, 16], enc)).toBe(40 * 4 + Math.ceil((640 * 2) / 8));
    expect(encodedByteLength([40, 16], cases.binary.encodings!['fc1.weight'])).toBe(40 * 4 + 640 / 8);
  });

  it('refuses a stale or corrupt description with a clear error', () => {
    const m = cases['sparse codebook'];
    const enc = m.encodings!['fc1.weight'] as Extract<TensorEncoding, { kind: 'sparse' }>;
    expect(() => encodeTensor(m.weights['fc1.weight'], [40, 16], { ...enc, entries: enc.entries + 1 })).toThrow(/stale/);
    expect(() => normalizeEncoding({ kind: 'codebook', k: 0 }, [4])).toThrow(/k must be/);
    expect(() => normalizeEncoding({ kind: 'hashed', k: 4, seed: 1 }, [4])).toThrow(/salt/);
    expect(() =>
      normalizeEncoding({ kind: 'sparse', gapBits: 3, of: { kind: 'binary', axis: null }, huffman: false, entries: 1, valueBytes: 1, gapBytes: 1 }, [4]),
    ).toThrow(CodecError);
    const bytes = serializeModel(cases['hashed']);
    const text = new TextDecoder().decode(bytes);
    // Tamper with one shared value's tensor length: the parser names the tensor.
    const tampered = new TextEncoder().encode(text.replace('"kind\\":\\"hashed\\",\\"k\\":', '"kind\\":\\"hashed\\",\\"k\\":1'));
    expect(() => parseModel(tampered, 'x')).toThrow(ModelFileError);
  });

  it('fitEncoding is idempotent and the codec decodes what it encodes', () => {
    const m = cases['sparse codebook huffman'];
    const enc = m.encodings!['fc1.weight'];
    expect(fitEncoding(m.weights['fc1.weight'], [40, 16], enc)).toEqual(enc);
    const bytes = encodeTensor(m.weights['fc1.weight'], [40, 16], enc);
    expect(bytes.length).toBe(encodedByteLength([40, 16], enc));
    expect(decodeTensor(bytes, [40, 16], enc)).toEqual(m.weights['fc1.weight']);
  });
});

describe('sizeBreakdown', () => {
  it('attributes every byte of the file', () => {
    const m = huffman(sparsify(kmeans(prune(initModel(tiny, 2), { sparsity: 0.7 }), { bits: 3 }), { when: 'always' }), { when: 'always' });
    const q = quantize(initModel(tiny, 2), { bits: 4 });
    for (const model of [m, q, initModel(tiny, 2)]) {
      const b = sizeBreakdown(model);
      expect(b.values + b.indices + b.codebooks + b.scales + b.metadata).toBe(b.total);
      expect(b.total).toBe(serializeModel(model).length);
      expect(b.fp32Bytes).toBe(4 * Object.values(model.weights).reduce((a, w) => a + w.length, 0));
    }
    expect(sizeBreakdown(q).tensors.find((t) => t.name === 'fc1.weight')!.elements).toBe(40 * 16);
    const bq = sizeBreakdown(q);
    expect(bq.scales).toBeGreaterThan(0); // linear scales, counted from the header text
    const bm = sizeBreakdown(m);
    expect(bm.indices).toBeGreaterThan(0);
    expect(bm.codebooks).toBeGreaterThan(0);
  });
});

describe('corrupt compressed tensors', () => {
  it('a flipped byte in the data gives a ModelFileError naming the tensor, never an unexpected failure', () => {
    const m = huffman(sparsify(kmeans(prune(initModel(tiny, 4), { sparsity: 0.7 }), { bits: 3 }), { when: 'always' }), { when: 'always' });
    const t = quantize(hashWeights(initModel(tiny, 4), { ratio: 4, layers: ['conv'] }), { mode: 'ternary', layers: ['fc1'] });
    let seed = 1;
    const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (const model of [m, t]) {
      const bytes = serializeModel(model);
      const dataStart = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
      for (let run = 0; run < 300; run++) {
        const bad = bytes.slice();
        const at = dataStart + Math.floor(rand() * (bytes.length - dataStart));
        bad[at] ^= 1 << Math.floor(rand() * 8);
        try {
          parseModel(bad, 'fuzz');
        } catch (e) {
          expect(e).toBeInstanceOf(ModelFileError);
          expect((e as Error).message).not.toMatch(/unexpected/);
          expect((e as Error).message).toMatch(/tensor '/);
        }
      }
    }
  });
});
