/**
 * The dense encodings: float32, float16 and linear (affine integer)
 * quantization, per tensor or per channel, packed to any width 2..16.
 */
import type { LinearEncoding } from '../model.ts';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../fp16.ts';
import { packBits, packedByteLength, unpackBits } from './bits.ts';
import type { CodecFor, StoredLayout } from './core.ts';
import { CodecError, checkLength, elementCount, view } from './core.ts';

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
export function forEachRun(shape: readonly number[], axis: number | null, fn: (start: number, end: number, channel: number) => void): void {
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

function linearLayout(shape: readonly number[], enc: LinearEncoding): StoredLayout {
  if (enc.bits === 8) return { dtype: enc.signed ? 'I8' : 'U8', shape: shape.slice() };
  if (enc.bits === 16) return { dtype: enc.signed ? 'I16' : 'U16', shape: shape.slice() };
  return { dtype: 'U8', shape: [packedByteLength(elementCount(shape), enc.bits)] };
}

// Files are little-endian; so is every platform a browser runs on, where a
// plain copy replaces the per-element DataView loop (kept for the others).
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const fp32Codec: CodecFor<'fp32'> = {
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

export const fp16Codec: CodecFor<'fp16'> = {
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

export const linearCodec: CodecFor<'linear'> = {
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
