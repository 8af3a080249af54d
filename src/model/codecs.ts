/**
 * Tensor codecs: how each `TensorEncoding` kind turns a model's float32
 * values into the bytes of a model file (safetensors layout) and back.
 *
 * One codec per encoding kind, in `CODECS`, typed so that adding an encoding
 * kind to `TensorEncoding` without writing its codec is a compile error.
 * The codecs only move bytes; the file format (format.ts) owns the header,
 * and reports codec failures with the file and tensor name.
 */
import type {
  BinaryEncoding,
  CodebookEncoding,
  EncodingKind,
  HashedEncoding,
  HuffmanEncoding,
  LinearEncoding,
  SparseEncoding,
  SymbolEncoding,
  TensorEncoding,
  TernaryEncoding,
} from './model.ts';
import { float16BitsToFloat32, float32ToFloat16Bits } from './fp16.ts';

/**
 * safetensors dtype names with their element size in bytes. The lab writes
 * only F32, F16, I8, U8, I16 and U16; the others are listed so that a
 * foreign safetensors file can still be described (and then rejected by name
 * rather than as "unknown").
 */
export const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const satisfies Record<string, number>;

/** A safetensors dtype name. */
export type Dtype = keyof typeof DTYPE_BYTES;

/** True when `s` is a safetensors dtype this module knows. */
export function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BYTES, s);
}

/** What a file stores for one tensor: the safetensors dtype and shape (not always the logical shape). */
export interface StoredLayout {
  dtype: Dtype;
  shape: number[];
}

/**
 * A problem found in an encoding description or in encoded data. Carries no
 * file or tensor name: the caller (the file parser, the serializer) adds them.
 */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

/**
 * Encoder/decoder of one encoding kind. `shape` is always the tensor's
 * logical shape (the architecture's); `encoding` has passed `normalizeEncoding`.
 */
export interface Codec<E extends TensorEncoding = TensorEncoding> {
  /** The dtype and stored shape a tensor of logical `shape` gets in the file. */
  layout(shape: readonly number[], encoding: E): StoredLayout;
  /** Exactly `encodedByteLength(shape, encoding)` bytes; throws CodecError when a value cannot be represented. */
  encode(values: Float32Array, shape: readonly number[], encoding: E): Uint8Array;
  /** Float32 values; `bytes.length` must be the encoded byte length. Throws CodecError on non-canonical data. */
  decode(bytes: Uint8Array, shape: readonly number[], encoding: E): Float32Array;
}

type CodecFor<K extends EncodingKind> = Codec<Extract<TensorEncoding, { kind: K }>>;

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkLength(bytes: Uint8Array, expected: number): void {
  if (bytes.length !== expected) throw new CodecError(`holds ${bytes.length} bytes, its encoding needs ${expected}`);
}

// ---------------------------------------------------------------------------
// Linear (affine integer) quantization

/** Smallest normal float32. Smaller scales would make decoded values subnormal and the round trip inexact. */
export const MIN_LINEAR_SCALE = 2 ** -126;
/** Largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Integer range of a linear encoding: two's complement when signed. */
export function linearRange(bits: number, signed: boolean): { qmin: number; qmax: number } {
  return signed ? { qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 } : { qmin: 0, qmax: 2 ** bits - 1 };
}

/**
 * Round half to even, as numpy's `round` and PyTorch's `quantize_per_tensor`
 * do, so that quantized files agree with those tools on ties.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties go toward +Infinity
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Calls `fn(start, end, channel)` for each run of consecutive flat indices
 * that share one scale: the whole tensor when `axis` is null, else each
 * stretch of the inner dimensions at one index along `axis`.
 */
function forEachRun(shape: readonly number[], axis: number | null, fn: (start: number, end: number, channel: number) => void): void {
  const n = elementCount(shape);
  if (axis === null) {
    fn(0, n, 0);
    return;
  }
  const dim = shape[axis];
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  let start = 0;
  while (start < n) {
    for (let c = 0; c < dim; c++) {
      fn(start, start + inner, c);
      start += inner;
    }
  }
}

/** q = clamp(roundHalfEven(v / scale) + zeroPoint, qmin, qmax), per tensor or per index along `axis`. */
export function quantizeLinear(values: Float32Array, shape: readonly number[], enc: LinearEncoding): Int32Array {
  const { qmin, qmax } = linearRange(enc.bits, enc.signed);
  const q = new Int32Array(values.length);
  forEachRun(shape, enc.axis, (start, end, c) => {
    const s = enc.scale[c];
    const zp = enc.zeroPoint[c];
    for (let i = start; i < end; i++) {
      const v = roundHalfEven(values[i] / s) + zp;
      // NaN compares false both ways; map it to the zero point rather than to garbage.
      q[i] = v < qmin ? qmin : v > qmax ? qmax : v === v ? v : zp;
    }
  });
  return q;
}

/** value = scale * (q - zeroPoint), rounded to float32. */
export function dequantizeLinear(q: Int32Array, shape: readonly number[], enc: LinearEncoding): Float32Array {
  const out = new Float32Array(q.length);
  forEachRun(shape, enc.axis, (start, end, c) => {
    const s = enc.scale[c];
    const zp = enc.zeroPoint[c];
    for (let i = start; i < end; i++) out[i] = s * (q[i] - zp);
  });
  return out;
}

/** Byte length of `count` values of `bits` bits each, packed densely. */
export function packedByteLength(count: number, bits: number): number {
  return Math.ceil((count * bits) / 8);
}

/*
 * Dense bit packing, used for every linear bit width other than 8 and 16
 * (those get plain I8/U8/I16/U16 tensors that any tool reads directly).
 *
 * Bit order is little-endian throughout: value i occupies stream bits
 * [i*bits, (i+1)*bits), least significant bit first, and stream bit p is
 * bit (p % 8) of byte floor(p / 8), counting from the least significant bit.
 * Equivalently the whole tensor is one little-endian integer whose
 * i-th `bits`-wide digit is value i. Signed values are stored as their
 * `bits`-bit two's complement. Unused high bits of the last byte are zero.
 * In numpy: `np.unpackbits(buf, bitorder='little')`, reshape to (-1, bits),
 * then weight column j by 2**j.
 */

/** Packs integers (already in range) into `bits`-bit fields, little-endian bit order (see above). */
export function packBits(q: Int32Array, bits: number): Uint8Array {
  const out = new Uint8Array(packedByteLength(q.length, bits));
  const mask = 2 ** bits - 1;
  // At most 7 pending bits plus a 16-bit value: fits a 32-bit accumulator.
  let acc = 0;
  let pending = 0;
  let o = 0;
  for (let i = 0; i < q.length; i++) {
    acc |= (q[i] & mask) << pending;
    pending += bits;
    while (pending >= 8) {
      out[o++] = acc & 0xff;
      acc >>>= 8;
      pending -= 8;
    }
  }
  if (pending > 0) out[o] = acc & 0xff;
  return out;
}

/**
 * Unpacks `count` `bits`-bit fields (sign-extended when `signed`). Throws
 * CodecError when the padding bits of the last byte are not zero, so that
 * every accepted file has exactly one byte representation.
 */
export function unpackBits(bytes: Uint8Array, count: number, bits: number, signed: boolean): Int32Array {
  checkLength(bytes, packedByteLength(count, bits));
  const q = new Int32Array(count);
  const mask = 2 ** bits - 1;
  const signBit = 2 ** (bits - 1);
  let acc = 0;
  let have = 0;
  let b = 0;
  for (let i = 0; i < count; i++) {
    while (have < bits) {
      acc |= bytes[b++] << have;
      have += 8;
    }
    const v = acc & mask;
    acc >>>= bits;
    have -= bits;
    q[i] = signed && v >= signBit ? v - 2 * signBit : v;
  }
  if (have > 0 && (acc & (2 ** have - 1)) !== 0) {
    throw new CodecError(`has non-zero padding bits in its last byte (${bits}-bit packing leaves ${have} unused bits)`);
  }
  return q;
}

function linearLayout(shape: readonly number[], enc: LinearEncoding): StoredLayout {
  if (enc.bits === 8) return { dtype: enc.signed ? 'I8' : 'U8', shape: shape.slice() };
  if (enc.bits === 16) return { dtype: enc.signed ? 'I16' : 'U16', shape: shape.slice() };
  return { dtype: 'U8', shape: [packedByteLength(elementCount(shape), enc.bits)] };
}

// ---------------------------------------------------------------------------
// The registry

// Files are little-endian; so is every platform a browser runs on, where a
// plain copy replaces the per-element DataView loop (kept for the others).
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const fp32Codec: CodecFor<'fp32'> = {
  layout: (shape) => ({ dtype: 'F32', shape: shape.slice() }),
  encode(values) {
    if (LITTLE_ENDIAN) return new Uint8Array(values.slice().buffer);
    const out = new Uint8Array(values.length * 4);
    const dv = view(out);
    for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
    return out;
  },
  decode(bytes, shape) {
    const n = elementCount(shape);
    checkLength(bytes, n * 4);
    // slice() copies into a fresh, 4-byte aligned buffer (the file's tensor may start anywhere).
    if (LITTLE_ENDIAN) return new Float32Array(bytes.slice().buffer);
    const out = new Float32Array(n);
    const dv = view(bytes);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  },
};

const fp16Codec: CodecFor<'fp16'> = {
  layout: (shape) => ({ dtype: 'F16', shape: shape.slice() }),
  encode(values) {
    const out = new Uint8Array(values.length * 2);
    const dv = view(out);
    for (let i = 0; i < values.length; i++) {
      const h = float32ToFloat16Bits(values[i]);
      // A finite weight that rounds to Infinity would make the file unreadable.
      if ((h & 0x7c00) === 0x7c00 && Number.isFinite(values[i])) {
        throw new CodecError(`value ${values[i]} at index ${i} is outside the float16 range (±65504)`);
      }
      dv.setUint16(i * 2, h, true);
    }
    return out;
  },
  decode(bytes, shape) {
    const n = elementCount(shape);
    checkLength(bytes, n * 2);
    const out = new Float32Array(n);
    const dv = view(bytes);
    for (let i = 0; i < n; i++) out[i] = float16BitsToFloat32(dv.getUint16(i * 2, true));
    return out;
  },
};

const linearCodec: CodecFor<'linear'> = {
  layout: linearLayout,
  encode(values, shape, enc) {
    const q = quantizeLinear(values, shape, enc);
    if (enc.bits === 8) return new Uint8Array(enc.signed ? new Int8Array(q).buffer : new Uint8Array(q).buffer);
    if (enc.bits === 16) {
      const out = new Uint8Array(q.length * 2);
      const dv = view(out);
      for (let i = 0; i < q.length; i++) {
        if (enc.signed) dv.setInt16(i * 2, q[i], true);
        else dv.setUint16(i * 2, q[i], true);
      }
      return out;
    }
    return packBits(q, enc.bits);
  },
  decode(bytes, shape, enc) {
    const n = elementCount(shape);
    let q: Int32Array;
    if (enc.bits === 8) {
      checkLength(bytes, n);
      q = enc.signed ? Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, n)) : Int32Array.from(bytes);
    } else if (enc.bits === 16) {
      checkLength(bytes, n * 2);
      q = new Int32Array(n);
      const dv = view(bytes);
      for (let i = 0; i < n; i++) q[i] = enc.signed ? dv.getInt16(i * 2, true) : dv.getUint16(i * 2, true);
    } else {
      q = unpackBits(bytes, n, enc.bits, enc.signed);
    }
    return dequantizeLinear(q, shape, enc);
  },
};

// ---------------------------------------------------------------------------
// Compressed encodings: bit streams, canonical Huffman coding, and the codecs
// of ternary, binary, codebook, hashed, huffman and sparse tensors.

/** Bits of a codebook index for `k` centroids (at least 1). */
export function indexBitsFor(k: number): number {
  return Math.max(1, Math.ceil(Math.log2(Math.max(k, 1))));
}

/**
 * Appends bits to a little-endian bit stream (stream bit p is bit p % 8 of
 * byte p / 8, as in `packBits`). Grows as needed.
 */
export class BitWriter {
  private buf = new Uint8Array(64);
  private bitLength = 0;

  /** Number of bits written so far. */
  get length(): number {
    return this.bitLength;
  }

  /** One bit (0 or 1). */
  bit(b: number): void {
    const byte = this.bitLength >>> 3;
    if (byte >= this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    if (b) this.buf[byte] |= 1 << (this.bitLength & 7);
    this.bitLength++;
  }

  /** `count` bits of `value`, least significant first (a packed field). */
  bits(value: number, count: number): void {
    for (let i = 0; i < count; i++) this.bit(Math.floor(value / 2 ** i) % 2);
  }

  /** A Huffman code of `length` bits, most significant bit first (as deflate writes codes). */
  code(code: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) this.bit(Math.floor(code / 2 ** i) % 2);
  }

  /** The bytes, the last one zero-padded. */
  finish(): Uint8Array {
    return this.buf.slice(0, Math.ceil(this.bitLength / 8));
  }
}

/** Reads a little-endian bit stream from `bytes`; refuses to run past its end. */
export class BitReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  bit(): number {
    const byte = this.pos >>> 3;
    if (byte >= this.bytes.length) throw new CodecError(`bit stream ends early (after ${this.bytes.length} bytes)`);
    const b = (this.bytes[byte] >>> (this.pos & 7)) & 1;
    this.pos++;
    return b;
  }

  bits(count: number): number {
    let v = 0;
    for (let i = 0; i < count; i++) v += this.bit() * 2 ** i;
    return v;
  }

  /** Checks that the stream was read to its last byte and that the padding bits are zero (one byte form per file). */
  finish(what: string): void {
    const used = Math.ceil(this.pos / 8);
    if (used !== this.bytes.length) throw new CodecError(`${what}: ${this.bytes.length} bytes given, the codes end after ${used}`);
    while (this.pos < used * 8) {
      if (this.bit() !== 0) throw new CodecError(`${what}: non-zero padding bits in the last byte`);
    }
  }
}

/** Longest code the lab writes: code lengths are stored in one byte each. */
export const MAX_HUFFMAN_LENGTH = 255;

/**
 * Huffman code lengths (Huffman 1952) for symbol frequencies, index =
 * symbol; absent symbols (frequency 0) get 0, a lone present symbol gets 1.
 * A binary heap keeps this O(n log n) for 16-bit alphabets; ties are broken
 * by creation order so the result is deterministic (the decoder needs only
 * the lengths, so any optimal tie-breaking is as good).
 */
export function huffmanLengths(freqs: ArrayLike<number>): Uint8Array {
  const n = freqs.length;
  const lengths = new Uint8Array(n);
  const weight: number[] = [];
  const parent: number[] = [];
  const heap: number[] = [];
  const less = (a: number, b: number): boolean => weight[a] < weight[b] || (weight[a] === weight[b] && a < b);
  const push = (node: number): void => {
    heap.push(node);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  const leafOf: number[] = [];
  for (let s = 0; s < n; s++) {
    const f = freqs[s];
    if (!(f >= 0) || !Number.isFinite(f)) throw new CodecError(`Huffman frequency of symbol ${s} must be a finite number ≥ 0, got ${f}`);
    if (f > 0) {
      leafOf[s] = weight.length;
      weight.push(f);
      parent.push(-1);
      push(leafOf[s]);
    }
  }
  const leaves = weight.length;
  if (leaves === 0) return lengths;
  if (leaves === 1) {
    for (let s = 0; s < n; s++) if (freqs[s] > 0) lengths[s] = 1;
    return lengths;
  }
  while (heap.length > 1) {
    const a = pop();
    const b = pop();
    const node = weight.length;
    weight.push(weight[a] + weight[b]);
    parent.push(-1);
    parent[a] = node;
    parent[b] = node;
    push(node);
  }
  // Depth of every node: parents are created after their children, so one backward sweep suffices.
  const depth = new Array<number>(weight.length).fill(0);
  for (let i = weight.length - 2; i >= 0; i--) depth[i] = depth[parent[i]] + 1;
  for (let s = 0; s < n; s++) {
    if (!(freqs[s] > 0)) continue;
    const d = depth[leafOf[s]];
    if (d > MAX_HUFFMAN_LENGTH) throw new CodecError(`Huffman code of symbol ${s} would be ${d} bits long (limit ${MAX_HUFFMAN_LENGTH})`);
    lengths[s] = d;
  }
  return lengths;
}

/**
 * Canonical codes from code lengths (as deflate, RFC 1951 §3.2.2): shorter
 * codes first, symbols in order within a length. Codes are plain numbers
 * (not 32-bit ints) so lengths beyond 31 stay exact. Throws CodecError when
 * the lengths over-subscribe the code space.
 */
export function canonicalCodes(lengths: ArrayLike<number>): number[] {
  let max = 0;
  for (let s = 0; s < lengths.length; s++) max = Math.max(max, lengths[s]);
  const count = new Array<number>(max + 1).fill(0);
  for (let s = 0; s < lengths.length; s++) if (lengths[s] > 0) count[lengths[s]]++;
  let left = 1;
  for (let len = 1; len <= max; len++) {
    left = left * 2 - count[len];
    if (left < 0) throw new CodecError(`Huffman code lengths over-subscribe the code space at length ${len}`);
  }
  const next = new Array<number>(max + 2).fill(0);
  let code = 0;
  for (let len = 1; len <= max; len++) {
    code = (code + count[len - 1]) * 2;
    next[len] = code;
  }
  count[0] = 0;
  const codes = new Array<number>(lengths.length).fill(0);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s];
    if (len > 0) codes[s] = next[len]++;
  }
  return codes;
}

/** Frequencies of the symbols 0 … alphabet−1 in `symbols`; throws CodecError on one outside. */
function symbolFrequencies(symbols: ArrayLike<number>, alphabet: number): number[] {
  const f = new Array<number>(alphabet).fill(0);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    if (!(s >= 0 && s < alphabet)) throw new CodecError(`symbol ${s} at ${i} is outside the alphabet 0…${alphabet - 1}`);
    f[s]++;
  }
  return f;
}

/**
 * Huffman-codes a symbol stream: the table (one code-length byte per
 * alphabet symbol) and the payload (the codes, zero-padded to a byte).
 */
export function huffmanEncode(symbols: ArrayLike<number>, alphabet: number): { table: Uint8Array; payload: Uint8Array } {
  const table = huffmanLengths(symbolFrequencies(symbols, alphabet));
  const codes = canonicalCodes(table);
  const w = new BitWriter();
  for (let i = 0; i < symbols.length; i++) w.code(codes[symbols[i]], table[symbols[i]]);
  return { table, payload: w.finish() };
}

/** Decoder of one canonical code (the counting method of zlib's puff.c). */
class HuffmanDecoder {
  private readonly count: number[];
  private readonly sorted: number[];
  constructor(lengths: Uint8Array) {
    canonicalCodes(lengths); // refuses over-subscribed tables
    let max = 0;
    for (const l of lengths) max = Math.max(max, l);
    this.count = new Array<number>(max + 1).fill(0);
    for (const l of lengths) if (l > 0) this.count[l]++;
    this.sorted = [];
    for (let len = 1; len <= max; len++) for (let s = 0; s < lengths.length; s++) if (lengths[s] === len) this.sorted.push(s);
  }

  decode(r: BitReader): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < this.count.length; len++) {
      code += r.bit();
      const c = this.count[len];
      if (code - first < c) return this.sorted[index + code - first];
      index += c;
      first = (first + c) * 2;
      code *= 2;
    }
    throw new CodecError('Huffman payload holds a code that its table does not assign');
  }
}

/** Decodes `count` symbols; the payload must end exactly after them (zero padding). */
export function huffmanDecode(table: Uint8Array, payload: Uint8Array, count: number): Int32Array {
  const out = new Int32Array(count);
  const r = new BitReader(payload);
  if (count > 0) {
    const d = new HuffmanDecoder(table);
    for (let i = 0; i < count; i++) out[i] = d.decode(r);
  }
  r.finish('Huffman payload');
  return out;
}

// -- symbol views of the encodings whose values come from a small alphabet --

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
function symbolBits(enc: SymbolEncoding): number {
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
function sideBytes(shape: readonly number[], enc: SymbolEncoding): number {
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

function writeF32s(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = view(out);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
  return out;
}

function readF32s(bytes: Uint8Array, count: number, what: string): Float32Array {
  if (bytes.length < count * 4) throw new CodecError(`${what}: needs ${count * 4} bytes, has ${bytes.length}`);
  const dv = view(bytes);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    out[i] = dv.getFloat32(i * 4, true);
    if (!Number.isFinite(out[i])) throw new CodecError(`${what}: entry ${i} is ${out[i]}, must be finite`);
  }
  return out;
}

const f32bits = new Uint32Array(1);
const f32view = new Float32Array(f32bits.buffer);
function bitsOf(v: number): number {
  f32view[0] = v;
  return f32bits[0];
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
function toSymbols(values: Float32Array, shape: readonly number[], enc: SymbolEncoding): { side: Uint8Array; symbols: Int32Array } {
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
function fromSymbols(side: Uint8Array, symbols: Int32Array, shape: readonly number[], enc: SymbolEncoding): Float32Array {
  const n = symbols.length;
  const alphabet = alphabetSize(enc);
  for (let i = 0; i < n; i++) {
    if (!(symbols[i] >= 0 && symbols[i] < alphabet)) throw new CodecError(`symbol ${symbols[i]} at index ${i} is outside the alphabet 0…${alphabet - 1} of ${enc.kind}`);
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

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
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

const ternaryCodec: CodecFor<'ternary'> = packedSymbolCodec<TernaryEncoding>();
const binaryCodec: CodecFor<'binary'> = packedSymbolCodec<BinaryEncoding>();
const codebookCodec: CodecFor<'codebook'> = packedSymbolCodec<CodebookEncoding>();

// -- HashedNets --

/** MurmurHash3's 32-bit finalizer (Appleby): full avalanche of a 32-bit word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3_x86_32 (Appleby, public domain) of the 8-byte key made of the
 * little-endian words `a`, `b`, with `seed`. Equals the reference
 * `MurmurHash3_x86_32(key, 8, seed)`.
 */
export function murmur3Words(a: number, b: number, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  for (const word of [a, b]) {
    let k = Math.imul(word >>> 0, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= 8; // key length in bytes
  return fmix32(h);
}

/** FNV-1a (32-bit) of a string's UTF-16 code units: the default salt of a tensor, from its name. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The shared-value index of position `i` of a hashed tensor: murmur3(salt, i; seed) mod k. */
export function hashedIndex(enc: Pick<HashedEncoding, 'k' | 'seed' | 'salt'>, i: number): number {
  return murmur3Words(enc.salt, i, enc.seed) % enc.k;
}

const hashedCodec: CodecFor<'hashed'> = {
  layout: (_shape, enc) => ({ dtype: 'F32', shape: [enc.k] }),
  encode(values, _shape, enc) {
    const shared = new Float32Array(enc.k);
    const set = new Uint8Array(enc.k);
    for (let i = 0; i < values.length; i++) {
      const j = hashedIndex(enc, i);
      if (!set[j]) {
        shared[j] = values[i];
        set[j] = 1;
      } else if (bitsOf(shared[j]) !== bitsOf(values[i])) {
        throw new CodecError(`value ${values[i]} at index ${i} differs from ${shared[j]}, the value it shares (bucket ${j} of ${enc.k})`);
      }
    }
    return writeF32s(shared);
  },
  decode(bytes, shape, enc) {
    checkLength(bytes, 4 * enc.k);
    const shared = readF32s(bytes, enc.k, 'hashed shared values');
    const out = new Float32Array(elementCount(shape));
    for (let i = 0; i < out.length; i++) out[i] = shared[hashedIndex(enc, i)];
    return out;
  },
};

// -- Huffman-coded symbols --

function huffmanSizes(shape: readonly number[], enc: HuffmanEncoding): { side: number; table: number } {
  return { side: sideBytes(shape, enc.of), table: alphabetSize(enc.of) };
}

const huffmanCodec: CodecFor<'huffman'> = {
  layout(shape, enc) {
    const { side, table } = huffmanSizes(shape, enc);
    return { dtype: 'U8', shape: [side + table + enc.payloadBytes] };
  },
  encode(values, shape, enc) {
    const { side, symbols } = toSymbols(values, shape, enc.of);
    const { table, payload } = huffmanEncode(symbols, alphabetSize(enc.of));
    if (payload.length !== enc.payloadBytes) throw new CodecError(`codes take ${payload.length} bytes, its huffman encoding says ${enc.payloadBytes} (refit the encoding)`);
    return concat([side, table, payload]);
  },
  decode(bytes, shape, enc) {
    const { side, table } = huffmanSizes(shape, enc);
    checkLength(bytes, side + table + enc.payloadBytes);
    const symbols = huffmanDecode(bytes.subarray(side, side + table), bytes.subarray(side + table), elementCount(shape));
    return fromSymbols(bytes.subarray(0, side), symbols, shape, enc.of);
  },
};

// -- Sparse with relative indices --

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

function sparseSizes(enc: SparseEncoding): { side: number; tables: number } {
  const side = enc.of.kind === 'codebook' ? 4 * enc.of.k : 0;
  let tables = 0;
  if (enc.huffman) tables += 2 ** enc.gapBits;
  if (sparseValueHuffman(enc)) tables += alphabetSize(enc.of as SymbolEncoding);
  return { side, tables };
}

/** Builds every part of a sparse tensor's bytes, and the encoding those parts fit. */
function buildSparse(values: Float32Array, enc: SparseEncoding): { parts: Uint8Array[]; fitted: SparseEncoding } {
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
  const fitted: SparseEncoding = { kind: 'sparse', gapBits: enc.gapBits, of, huffman: enc.huffman, entries, valueBytes: valueStream.length, gapBytes: gapStream.length };
  return { parts: [side, valueTable, gapTable, valueStream, gapStream], fitted };
}

const sparseCodec: CodecFor<'sparse'> = {
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

// -- validation of the compressed encodings' descriptions --

function intField(raw: Record<string, unknown>, field: string, what: string, lo: number, hi: number): number {
  const v = raw[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new CodecError(`${what}: ${field} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(v) ?? String(v)}`);
  }
  return v;
}

function axisField(raw: Record<string, unknown>, shape: readonly number[], what: string): number | null {
  const axis = raw.axis;
  if (axis === null) return null;
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
    throw new CodecError(`${what}: axis must be null or an integer from 0 to ${shape.length - 1}, got ${JSON.stringify(axis) ?? String(axis)}`);
  }
  return axis;
}

/** Largest codebook: indices up to 16 bits, like the widest linear encoding. */
export const MAX_CODEBOOK_K = 65536;

function normalizeCompressed(raw: Record<string, unknown>, shape: readonly number[]): TensorEncoding {
  const kind = raw.kind;
  const n = elementCount(shape);
  switch (kind) {
    case 'ternary':
    case 'binary':
      checkKeys(raw, ['kind', 'axis'], `${kind} encoding`);
      return { kind, axis: axisField(raw, shape, `${kind} encoding`) };
    case 'codebook':
      checkKeys(raw, ['kind', 'k'], 'codebook encoding');
      return { kind, k: intField(raw, 'k', 'codebook encoding', 1, MAX_CODEBOOK_K) };
    case 'hashed':
      checkKeys(raw, ['kind', 'k', 'seed', 'salt'], 'hashed encoding');
      return {
        kind,
        k: intField(raw, 'k', 'hashed encoding', 1, 2 ** 24),
        seed: intField(raw, 'seed', 'hashed encoding', 0, 0xffffffff),
        salt: intField(raw, 'salt', 'hashed encoding', 0, 0xffffffff),
      };
    case 'huffman': {
      checkKeys(raw, ['kind', 'of', 'payloadBytes'], 'huffman encoding');
      const of = normalizeEncoding(raw.of, shape);
      if (of.kind !== 'linear' && of.kind !== 'codebook' && of.kind !== 'ternary' && of.kind !== 'binary') {
        throw new CodecError(`huffman encoding: 'of' must be linear, codebook, ternary or binary, got ${of.kind}`);
      }
      return { kind, of, payloadBytes: intField(raw, 'payloadBytes', 'huffman encoding', 0, 2 ** 40) };
    }
    case 'sparse': {
      checkKeys(raw, ['kind', 'gapBits', 'of', 'huffman', 'entries', 'valueBytes', 'gapBytes'], 'sparse encoding');
      const gapBits = intField(raw, 'gapBits', 'sparse encoding', 1, 16);
      const entries = intField(raw, 'entries', 'sparse encoding', 0, n * 2 ** 16);
      const of = normalizeEncoding(raw.of, [Math.max(entries, 1)]);
      if (of.kind !== 'fp32' && of.kind !== 'fp16' && of.kind !== 'linear' && of.kind !== 'codebook') {
        throw new CodecError(`sparse encoding: 'of' must be fp32, fp16, linear or codebook, got ${of.kind}`);
      }
      if (of.kind === 'linear' && of.axis !== null) throw new CodecError('sparse encoding: linear values must be per-tensor (axis null)');
      if (typeof raw.huffman !== 'boolean') throw new CodecError(`sparse encoding: huffman must be true or false, got ${JSON.stringify(raw.huffman) ?? String(raw.huffman)}`);
      return {
        kind,
        gapBits,
        of,
        huffman: raw.huffman,
        entries,
        valueBytes: intField(raw, 'valueBytes', 'sparse encoding', 0, 2 ** 40),
        gapBytes: intField(raw, 'gapBytes', 'sparse encoding', 0, 2 ** 40),
      };
    }
    default:
      throw new CodecError(`unknown encoding kind ${JSON.stringify(kind) ?? String(kind)}`);
  }
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

// ---------------------------------------------------------------------------
// Validation of encoding descriptions (they come from files, so: unknown data)

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(obj)) {
    // An unknown field may carry meaning this version cannot honour: refuse rather than ignore it.
    if (!allowed.includes(k)) throw new CodecError(`${what} has an unknown field '${k}'`);
  }
}

/**
 * Checks an encoding description against a tensor's logical shape and returns
 * a clean copy (only known fields). Throws CodecError naming the field at
 * fault: unknown kind, bits outside 2..16, non-boolean `signed`, an axis
 * outside the shape, the wrong number of scales or zero points, a scale that
 * is not a positive normal float32 or that makes decoded values overflow
 * float32, a zero point that is not an integer in the quantized range.
 */
export function normalizeEncoding(raw: unknown, shape: readonly number[]): TensorEncoding {
  if (!isPlainObject(raw)) throw new CodecError(`encoding must be an object, got ${JSON.stringify(raw) ?? String(raw)}`);
  const kind = raw.kind;
  if (kind === 'fp32' || kind === 'fp16') {
    checkKeys(raw, ['kind'], `${kind} encoding`);
    return { kind };
  }
  if (kind === 'linear') return normalizeLinear(raw, shape);
  return normalizeCompressed(raw, shape);
}

function normalizeLinear(raw: Record<string, unknown>, shape: readonly number[]): LinearEncoding {
  checkKeys(raw, ['kind', 'bits', 'signed', 'axis', 'scale', 'zeroPoint'], 'linear encoding');
  const { bits, signed, axis, scale, zeroPoint } = raw;
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 2 || bits > 16) {
    throw new CodecError(`linear encoding: bits must be an integer from 2 to 16, got ${JSON.stringify(bits) ?? String(bits)}`);
  }
  if (typeof signed !== 'boolean') throw new CodecError(`linear encoding: signed must be true or false, got ${JSON.stringify(signed) ?? String(signed)}`);
  if (axis !== null && (typeof axis !== 'number' || !Number.isInteger(axis) || axis < 0 || axis >= shape.length)) {
    throw new CodecError(
      `linear encoding: axis must be null or an integer from 0 to ${shape.length - 1} (shape [${shape.join(', ')}]), got ${JSON.stringify(axis) ?? String(axis)}`,
    );
  }
  const channels = axis === null ? 1 : shape[axis];
  const where = axis === null ? 'per-tensor' : `along axis ${axis} of [${shape.join(', ')}]`;
  if (!Array.isArray(scale) || scale.length !== channels) {
    throw new CodecError(
      `linear encoding: needs ${channels} scale${channels === 1 ? '' : 's'} (${where}), got ${Array.isArray(scale) ? scale.length : JSON.stringify(scale) ?? String(scale)}`,
    );
  }
  if (!Array.isArray(zeroPoint) || zeroPoint.length !== channels) {
    throw new CodecError(
      `linear encoding: needs ${channels} zero point${channels === 1 ? '' : 's'} (${where}), got ${Array.isArray(zeroPoint) ? zeroPoint.length : JSON.stringify(zeroPoint) ?? String(zeroPoint)}`,
    );
  }
  const { qmin, qmax } = linearRange(bits, signed);
  const scales: number[] = [];
  const zeroPoints: number[] = [];
  for (let c = 0; c < channels; c++) {
    const s: unknown = scale[c];
    if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) {
      throw new CodecError(`linear encoding: scale[${c}] must be a finite number > 0, got ${JSON.stringify(s) ?? String(s)}`);
    }
    // Below the normal float32 range decoded values lose precision and the
    // file would not survive a save/load round trip unchanged.
    if (s < MIN_LINEAR_SCALE) throw new CodecError(`linear encoding: scale[${c}] = ${s} is below the smallest normal float32 (2^-126)`);
    // Keeps every decodable value finite, so a valid encoding never yields Infinity.
    if (s * (qmax - qmin) > FLOAT32_MAX) throw new CodecError(`linear encoding: scale[${c}] = ${s} makes decoded values overflow float32`);
    const z: unknown = zeroPoint[c];
    if (typeof z !== 'number' || !Number.isInteger(z) || z < qmin || z > qmax) {
      throw new CodecError(
        `linear encoding: zeroPoint[${c}] must be an integer from ${qmin} to ${qmax} (${bits}-bit ${signed ? 'signed' : 'unsigned'}), got ${JSON.stringify(z) ?? String(z)}`,
      );
    }
    scales.push(s);
    zeroPoints.push(z + 0); // turns -0 into 0
  }
  return { kind: 'linear', bits, signed, axis, scale: scales, zeroPoint: zeroPoints };
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
