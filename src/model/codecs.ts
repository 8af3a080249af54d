/**
 * Tensor codecs: how each `TensorEncoding` kind turns a model's float32
 * values into the bytes of a model file (safetensors layout) and back.
 *
 * One codec per encoding kind, in `CODECS`, typed so that adding an encoding
 * kind to `TensorEncoding` without writing its codec is a compile error.
 * The codecs only move bytes; the file format (format.ts) owns the header,
 * and reports codec failures with the file and tensor name.
 */
import type { EncodingKind, LinearEncoding, TensorEncoding } from './model.ts';
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

/** One codec per encoding kind; a kind without a codec fails to compile here. */
export const CODECS = {
  fp32: fp32Codec,
  fp16: fp16Codec,
  linear: linearCodec,
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
  if (kind !== 'linear') throw new CodecError(`unknown encoding kind ${JSON.stringify(kind) ?? String(kind)}`);
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
  if (enc.kind !== 'linear') return enc.kind;
  const type = `${enc.signed ? 'int' : 'uint'}${enc.bits}`;
  return enc.axis === null ? `${type} per-tensor` : `${type} per-channel (axis ${enc.axis}, ${enc.scale.length} scales)`;
}
