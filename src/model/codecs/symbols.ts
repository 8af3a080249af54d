/**
 * Symbol views of the encodings whose values come from a small alphabet
 * (linear, codebook, ternary, binary): values ⇄ side table + symbols, the
 * densely packed codecs of ternary, binary and codebook tensors, and the
 * Huffman-coded codec of any of them.
 */
import type { BinaryEncoding, CodebookEncoding, HuffmanEncoding, SymbolEncoding, TernaryEncoding } from '../model.ts';
import { indexBitsFor, packBits, packedByteLength, unpackBits } from './bits.ts';
import type { Codec, CodecFor } from './core.ts';
import { CodecError, bitsOf, checkLength, concat, elementCount, readF32s, writeF32s } from './core.ts';
import { dequantizeLinear, forEachRun, linearRange, quantizeLinear } from './dense.ts';
import { huffmanDecode, huffmanEncode } from './huffman.ts';

/** Groups along `axis` (1 when null). */
function groupCount(shape: readonly number[], axis: number | null): number {
  return axis === null ? 1 : shape[axis];
}

/** Size of the symbol alphabet of an encoding. */
export function alphabetSize(enc: SymbolEncoding): number {
  switch (enc.kind) {
    case 'linear':
      return 2 ** enc.bits;
    case 'codebook':
      return enc.k;
    case 'ternary':
      return 3;
    case 'binary':
      return 2;
  }
}

/** Bits of one symbol when packed densely. */
export function symbolBits(enc: SymbolEncoding): number {
  switch (enc.kind) {
    case 'linear':
      return enc.bits;
    case 'codebook':
      return indexBitsFor(enc.k);
    case 'ternary':
      return 2;
    case 'binary':
      return 1;
  }
}

/** Bytes of the side table written before the symbols (fp32 centroids or fp32 scales). */
export function sideBytes(shape: readonly number[], enc: SymbolEncoding): number {
  switch (enc.kind) {
    case 'linear':
      return 0; // scale and zero point live in the header
    case 'codebook':
      return 4 * enc.k;
    case 'ternary':
    case 'binary':
      return 4 * groupCount(shape, enc.axis);
  }
}

/** The distinct float32 values of `values` (by bit pattern), ascending; −0 before +0. */
export function distinctValues(values: ArrayLike<number>): Float32Array {
  const seen = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const b = bitsOf(values[i]);
    if (!seen.has(b)) seen.set(b, Math.fround(values[i]));
  }
  const list = [...seen.entries()].sort((a, b) => a[1] - b[1] || b[0] - a[0]);
  return Float32Array.from(list.map((e) => e[1]));
}

/** Values → (side table, symbols). Throws CodecError when a value is not of the encoding's form. */
export function toSymbols(values: Float32Array, shape: readonly number[], enc: SymbolEncoding): { side: Uint8Array; symbols: Int32Array } {
  const n = values.length;
  const symbols = new Int32Array(n);
  switch (enc.kind) {
    case 'linear': {
      const q = quantizeLinear(values, shape, enc);
      const { qmin } = linearRange(enc.bits, enc.signed);
      for (let i = 0; i < n; i++) symbols[i] = q[i] - qmin;
      return { side: new Uint8Array(0), symbols };
    }
    case 'codebook': {
      const centroids = distinctValues(values);
      if (centroids.length !== enc.k) {
        throw new CodecError(`holds ${centroids.length} distinct values but its codebook encoding says k = ${enc.k} (refit the encoding)`);
      }
      const index = new Map<number, number>();
      centroids.forEach((c, i) => index.set(bitsOf(c), i));
      for (let i = 0; i < n; i++) symbols[i] = index.get(bitsOf(values[i]))!;
      return { side: writeF32s(centroids), symbols };
    }
    case 'ternary':
    case 'binary': {
      const scales = new Float32Array(groupCount(shape, enc.axis));
      forEachRun(shape, enc.axis, (start, end, c) => {
        let a = 0;
        if (enc.kind === 'ternary') for (let i = start; i < end; i++) a = Math.max(a, Math.abs(values[i]));
        else a = start < end ? Math.abs(values[start]) : 0;
        scales[c] = a;
        for (let i = start; i < end; i++) {
          const v = values[i];
          if (enc.kind === 'ternary') {
            if (v === 0) symbols[i] = 0;
            else if (v === a) symbols[i] = 1;
            else if (v === -a) symbols[i] = 2;
            else throw new CodecError(`value ${v} at index ${i} is not 0 or ±${a} (ternary group ${c})`);
          } else {
            if (Math.abs(v) !== a) throw new CodecError(`value ${v} at index ${i} is not ±${a} (binary group ${c})`);
            symbols[i] = v > 0 || Object.is(v, 0) ? 1 : 0;
          }
        }
      });
      return { side: writeF32s(scales), symbols };
    }
  }
}

/** (side table, symbols) → values. */
export function fromSymbols(side: Uint8Array, symbols: Int32Array, shape: readonly number[], enc: SymbolEncoding): Float32Array {
  const n = symbols.length;
  const alphabet = alphabetSize(enc);
  for (let i = 0; i < n; i++) {
    if (!(symbols[i] >= 0 && symbols[i] < alphabet))
      throw new CodecError(`symbol ${symbols[i]} at index ${i} is outside the alphabet 0…${alphabet - 1} of ${enc.kind}`);
  }
  switch (enc.kind) {
    case 'linear': {
      const { qmin } = linearRange(enc.bits, enc.signed);
      const q = new Int32Array(n);
      for (let i = 0; i < n; i++) q[i] = symbols[i] + qmin;
      return dequantizeLinear(q, shape, enc);
    }
    case 'codebook': {
      const c = readF32s(side, enc.k, 'codebook');
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = c[symbols[i]];
      return out;
    }
    case 'ternary':
    case 'binary': {
      const scales = readF32s(side, groupCount(shape, enc.axis), `${enc.kind} scales`);
      const out = new Float32Array(n);
      forEachRun(shape, enc.axis, (start, end, c) => {
        const a = scales[c];
        if (a < 0) throw new CodecError(`${enc.kind} scale ${c} is ${a}, must be ≥ 0`);
        for (let i = start; i < end; i++) {
          const s = symbols[i];
          out[i] = enc.kind === 'ternary' ? (s === 0 ? 0 : s === 1 ? a : -a) : s === 1 ? a : -a;
        }
      });
      return out;
    }
  }
}

/** A dense codec for symbol encodings: side table, then packed symbols. */
function packedSymbolCodec<E extends TernaryEncoding | BinaryEncoding | CodebookEncoding>(): Codec<E> {
  return {
    layout: (shape, enc) => ({ dtype: 'U8', shape: [sideBytes(shape, enc) + packedByteLength(elementCount(shape), symbolBits(enc))] }),
    encode(values, shape, enc) {
      const { side, symbols } = toSymbols(values, shape, enc);
      return concat([side, packBits(symbols, symbolBits(enc))]);
    },
    decode(bytes, shape, enc) {
      const n = elementCount(shape);
      const sb = sideBytes(shape, enc);
      checkLength(bytes, sb + packedByteLength(n, symbolBits(enc)));
      const symbols = unpackBits(bytes.subarray(sb), n, symbolBits(enc), false);
      return fromSymbols(bytes.subarray(0, sb), symbols, shape, enc);
    },
  };
}

export const ternaryCodec: CodecFor<'ternary'> = packedSymbolCodec<TernaryEncoding>();
export const binaryCodec: CodecFor<'binary'> = packedSymbolCodec<BinaryEncoding>();
export const codebookCodec: CodecFor<'codebook'> = packedSymbolCodec<CodebookEncoding>();

export function huffmanSizes(shape: readonly number[], enc: HuffmanEncoding): { side: number; table: number } {
  return { side: sideBytes(shape, enc.of), table: alphabetSize(enc.of) };
}

export const huffmanCodec: CodecFor<'huffman'> = {
  layout(shape, enc) {
    const { side, table } = huffmanSizes(shape, enc);
    return { dtype: 'U8', shape: [side + table + enc.payloadBytes] };
  },
  encode(values, shape, enc) {
    const { side, symbols } = toSymbols(values, shape, enc.of);
    const { table, payload } = huffmanEncode(symbols, alphabetSize(enc.of));
    if (payload.length !== enc.payloadBytes)
      throw new CodecError(`codes take ${payload.length} bytes, its huffman encoding says ${enc.payloadBytes} (refit the encoding)`);
    return concat([side, table, payload]);
  },
  decode(bytes, shape, enc) {
    const { side, table } = huffmanSizes(shape, enc);
    checkLength(bytes, side + table + enc.payloadBytes);
    const symbols = huffmanDecode(bytes.subarray(side, side + table), bytes.subarray(side + table), elementCount(shape));
    return fromSymbols(bytes.subarray(0, side), symbols, shape, enc.of);
  },
};
