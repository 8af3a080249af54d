/**
 * Bit I/O: dense packing of fixed-width integers into bytes, and little-endian
 * bit streams of variable-width codes (the Huffman payloads).
 */
import { CodecError, checkLength } from './core.ts';

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
