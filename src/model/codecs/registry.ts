/**
 * The codec registry and what callers use: one codec per encoding kind, the
 * stored layout and byte length of a tensor, encode and decode, fitting an
 * encoding to values, where the bytes go by role, and a short description.
 */
import type { EncodingKind, SymbolEncoding, TensorEncoding } from '../model.ts';
import { indexBitsFor, packedByteLength } from './bits.ts';
import type { Codec, CodecFor, StoredLayout } from './core.ts';
import { DTYPE_BYTES, elementCount } from './core.ts';
import { fp16Codec, fp32Codec, linearCodec } from './dense.ts';
import { hashedCodec } from './hashing.ts';
import { huffmanEncode } from './huffman.ts';
import { buildSparse, sparseCodec, sparseSizes } from './sparse.ts';
import {
  alphabetSize,
  binaryCodec,
  codebookCodec,
  distinctValues,
  huffmanCodec,
  huffmanSizes,
  sideBytes,
  symbolBits,
  ternaryCodec,
  toSymbols,
} from './symbols.ts';

/**
 * The encoding with its value-dependent counts recomputed for `values`
 * (codebook k, Huffman payload bytes, sparse entries and stream bytes), so
 * that `encodeTensor` accepts it. Other encodings come back unchanged.
 * Throws CodecError when the values do not have the encoding's form.
 */
export function fitEncoding(values: Float32Array, shape: readonly number[], enc: TensorEncoding): TensorEncoding {
  switch (enc.kind) {
    case 'codebook':
      return { kind: 'codebook', k: Math.max(1, distinctValues(values).length) };
    case 'huffman': {
      const of = fitEncoding(values, shape, enc.of) as SymbolEncoding;
      const { symbols } = toSymbols(values, shape, of);
      return { kind: 'huffman', of, payloadBytes: huffmanEncode(symbols, alphabetSize(of)).payload.length };
    }
    case 'sparse':
      return buildSparse(values, enc).fitted;
    default:
      return enc;
  }
}

/**
 * Where a tensor's data bytes go, by role (they sum to its encoded byte
 * length): `values` = per-weight payload (raw values, quantized values,
 * codebook indices, ternary/binary codes, Huffman payload of those);
 * `indices` = sparse position (gap) streams; `codebooks` = centroid tables,
 * hashed shared values and Huffman code tables; `scales` = fp32 scales held
 * in the data (ternary/binary). Linear scales live in the file header.
 */
export function encodingParts(shape: readonly number[], enc: TensorEncoding): { values: number; indices: number; codebooks: number; scales: number } {
  const n = elementCount(shape);
  const parts = { values: 0, indices: 0, codebooks: 0, scales: 0 };
  switch (enc.kind) {
    case 'fp32':
    case 'fp16':
    case 'linear':
      parts.values = encodedByteLength(shape, enc);
      break;
    case 'ternary':
    case 'binary':
      parts.scales = sideBytes(shape, enc);
      parts.values = packedByteLength(n, symbolBits(enc));
      break;
    case 'codebook':
      parts.codebooks = sideBytes(shape, enc);
      parts.values = packedByteLength(n, symbolBits(enc));
      break;
    case 'hashed':
      parts.codebooks = 4 * enc.k;
      break;
    case 'huffman': {
      const { side, table } = huffmanSizes(shape, enc);
      if (enc.of.kind === 'codebook') parts.codebooks += side;
      else parts.scales += side;
      parts.codebooks += table;
      parts.values = enc.payloadBytes;
      break;
    }
    case 'sparse': {
      const { side, tables } = sparseSizes(enc);
      parts.codebooks = side + tables;
      parts.values = enc.valueBytes;
      parts.indices = enc.gapBytes;
      break;
    }
  }
  return parts;
}

/** One codec per encoding kind; a kind without a codec fails to compile here. */
export const CODECS = {
  fp32: fp32Codec,
  fp16: fp16Codec,
  linear: linearCodec,
  ternary: ternaryCodec,
  binary: binaryCodec,
  codebook: codebookCodec,
  hashed: hashedCodec,
  huffman: huffmanCodec,
  sparse: sparseCodec,
} satisfies { [K in EncodingKind]: CodecFor<K> };

function codecFor(enc: TensorEncoding): Codec {
  // The mapped type above ties each key to its kind, so this widening is sound.
  return CODECS[enc.kind] as Codec;
}

/** The dtype and stored shape of a tensor with logical `shape` under `encoding`. */
export function storedLayout(shape: readonly number[], encoding: TensorEncoding): StoredLayout {
  return codecFor(encoding).layout(shape, encoding);
}

/**
 * Bytes a tensor of logical `shape` occupies in the data section of a model
 * file under `encoding`. Scales and zero points are not counted: they live in
 * the JSON header (a few bytes per output channel at most).
 */
export function encodedByteLength(shape: readonly number[], encoding: TensorEncoding): number {
  const { dtype, shape: stored } = storedLayout(shape, encoding);
  return elementCount(stored) * DTYPE_BYTES[dtype];
}

/** Encodes a tensor's float values; `encoding` must have passed `normalizeEncoding` for `shape`. */
export function encodeTensor(values: Float32Array, shape: readonly number[], encoding: TensorEncoding): Uint8Array {
  return codecFor(encoding).encode(values, shape, encoding);
}

/** Decodes a tensor's bytes to float32 values; throws CodecError on a wrong length or non-canonical data. */
export function decodeTensor(bytes: Uint8Array, shape: readonly number[], encoding: TensorEncoding): Float32Array {
  return codecFor(encoding).decode(bytes, shape, encoding);
}

/** Short human description, e.g. `fp16`, `int8 per-tensor`, `uint11 per-channel (axis 0, 300 scales)`. */
export function describeEncoding(enc: TensorEncoding): string {
  switch (enc.kind) {
    case 'fp32':
    case 'fp16':
      return enc.kind;
    case 'ternary':
    case 'binary':
      return enc.axis === null ? `${enc.kind} per-tensor` : `${enc.kind} per-channel (axis ${enc.axis})`;
    case 'codebook':
      return `codebook k=${enc.k} (${indexBitsFor(enc.k)}-bit indices)`;
    case 'hashed':
      return `hashed k=${enc.k} seed=${enc.seed}`;
    case 'huffman':
      return `huffman(${describeEncoding(enc.of)})`;
    case 'sparse':
      return `sparse ${enc.entries} entries, ${enc.gapBits}-bit gaps, ${describeEncoding(enc.of)}${enc.huffman ? ', huffman' : ''}`;
    case 'linear':
      break;
  }
  const type = `${enc.signed ? 'int' : 'uint'}${enc.bits}`;
  return enc.axis === null ? `${type} per-tensor` : `${type} per-channel (axis ${enc.axis}, ${enc.scale.length} scales)`;
}
