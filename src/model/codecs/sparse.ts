/** Sparse tensors with relative (gap) indices: entries, sizes and the sparse codec. */
import type { SparseEncoding, SymbolEncoding } from '../model.ts';
import { packBits, unpackBits } from './bits.ts';
import type { CodecFor } from './core.ts';
import { CodecError, checkLength, concat, elementCount } from './core.ts';
import { fp16Codec, fp32Codec } from './dense.ts';
import { huffmanDecode, huffmanEncode } from './huffman.ts';
import { alphabetSize, distinctValues, fromSymbols, symbolBits, toSymbols } from './symbols.ts';

function isStoredEntry(v: number): boolean {
  // Only +0 is left out: −0 is stored, so every tensor round-trips bit for bit.
  return v !== 0 || Object.is(v, -0);
}

/** The entries of a sparse tensor: gap symbols (d − 1) and the values (0 for fillers). */
export function sparseEntries(values: Float32Array, gapBits: number): { gaps: Int32Array; values: Float32Array } {
  const span = 2 ** gapBits;
  const gaps: number[] = [];
  const vals: number[] = [];
  let prev = -1;
  for (let i = 0; i < values.length; i++) {
    if (!isStoredEntry(values[i])) continue;
    let d = i - prev;
    while (d > span) {
      gaps.push(span - 1);
      vals.push(0);
      d -= span;
    }
    gaps.push(d - 1);
    vals.push(values[i]);
    prev = i;
  }
  return { gaps: Int32Array.from(gaps), values: Float32Array.from(vals) };
}

function sparseValueHuffman(enc: SparseEncoding): boolean {
  return enc.huffman && (enc.of.kind === 'linear' || enc.of.kind === 'codebook');
}

export function sparseSizes(enc: SparseEncoding): { side: number; tables: number } {
  const side = enc.of.kind === 'codebook' ? 4 * enc.of.k : 0;
  let tables = 0;
  if (enc.huffman) tables += 2 ** enc.gapBits;
  if (sparseValueHuffman(enc)) tables += alphabetSize(enc.of as SymbolEncoding);
  return { side, tables };
}

/** Builds every part of a sparse tensor's bytes, and the encoding those parts fit. */
export function buildSparse(values: Float32Array, enc: SparseEncoding): { parts: Uint8Array[]; fitted: SparseEncoding } {
  const e = sparseEntries(values, enc.gapBits);
  const entries = e.values.length;
  let of = enc.of;
  if (of.kind === 'codebook') of = { kind: 'codebook', k: Math.max(1, distinctValues(e.values).length) };
  let side: Uint8Array = new Uint8Array(0);
  let valueTable: Uint8Array = new Uint8Array(0);
  let valueStream: Uint8Array;
  if (of.kind === 'fp32') valueStream = fp32Codec.encode(e.values, [entries], of);
  else if (of.kind === 'fp16') valueStream = fp16Codec.encode(e.values, [entries], of);
  else {
    const sym = toSymbols(e.values, [entries], of);
    side = sym.side;
    if (enc.huffman) {
      const h = huffmanEncode(sym.symbols, alphabetSize(of));
      valueTable = h.table;
      valueStream = h.payload;
    } else valueStream = packBits(sym.symbols, symbolBits(of));
  }
  let gapTable: Uint8Array = new Uint8Array(0);
  let gapStream: Uint8Array;
  if (enc.huffman) {
    const h = huffmanEncode(e.gaps, 2 ** enc.gapBits);
    gapTable = h.table;
    gapStream = h.payload;
  } else gapStream = packBits(e.gaps, enc.gapBits);
  const fitted: SparseEncoding = {
    kind: 'sparse',
    gapBits: enc.gapBits,
    of,
    huffman: enc.huffman,
    entries,
    valueBytes: valueStream.length,
    gapBytes: gapStream.length,
  };
  return { parts: [side, valueTable, gapTable, valueStream, gapStream], fitted };
}

export const sparseCodec: CodecFor<'sparse'> = {
  layout(_shape, enc) {
    const { side, tables } = sparseSizes(enc);
    return { dtype: 'U8', shape: [side + tables + enc.valueBytes + enc.gapBytes] };
  },
  encode(values, _shape, enc) {
    const { parts, fitted } = buildSparse(values, enc);
    if (JSON.stringify(fitted) !== JSON.stringify(enc)) {
      throw new CodecError(`its sparse encoding is stale: the values need ${JSON.stringify(fitted)} (refit the encoding)`);
    }
    return concat(parts);
  },
  decode(bytes, shape, enc) {
    const n = elementCount(shape);
    const { side, tables } = sparseSizes(enc);
    checkLength(bytes, side + tables + enc.valueBytes + enc.gapBytes);
    const m = enc.entries;
    let at = side;
    const take = (len: number): Uint8Array => bytes.subarray(at, (at += len));
    const valueTable = take(sparseValueHuffman(enc) ? alphabetSize(enc.of as SymbolEncoding) : 0);
    const gapTable = take(enc.huffman ? 2 ** enc.gapBits : 0);
    const valueStream = take(enc.valueBytes);
    const gapStream = take(enc.gapBytes);
    const of = enc.of;
    let vals: Float32Array;
    if (of.kind === 'fp32') vals = fp32Codec.decode(valueStream, [m], of);
    else if (of.kind === 'fp16') vals = fp16Codec.decode(valueStream, [m], of);
    else {
      const symbols = enc.huffman ? huffmanDecode(valueTable, valueStream, m) : unpackBits(valueStream, m, symbolBits(of), false);
      vals = fromSymbols(bytes.subarray(0, side), symbols, [m], of);
    }
    const gaps = enc.huffman ? huffmanDecode(gapTable, gapStream, m) : unpackBits(gapStream, m, enc.gapBits, false);
    const out = new Float32Array(n);
    let pos = -1;
    for (let j = 0; j < m; j++) {
      pos += gaps[j] + 1;
      if (pos >= n) throw new CodecError(`sparse entry ${j} lands at position ${pos}, past the tensor's ${n} values`);
      out[pos] = vals[j];
    }
    return out;
  },
};
