/**
 * What every codec shares: safetensors dtypes, the stored layout of a tensor,
 * the codec interface and its error, and little helpers on bytes.
 */
import type { EncodingKind, TensorEncoding } from '../model.ts';

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

export type CodecFor<K extends EncodingKind> = Codec<Extract<TensorEncoding, { kind: K }>>;

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function checkLength(bytes: Uint8Array, expected: number): void {
  if (bytes.length !== expected) throw new CodecError(`holds ${bytes.length} bytes, its encoding needs ${expected}`);
}

export function writeF32s(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = view(out);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
  return out;
}

export function readF32s(bytes: Uint8Array, count: number, what: string): Float32Array {
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
export function bitsOf(v: number): number {
  f32view[0] = v;
  return f32bits[0];
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
