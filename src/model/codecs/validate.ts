/**
 * Validation of encoding descriptions: they come from files, so they are
 * unknown data until `normalizeEncoding` has checked every field.
 */
import type { LinearEncoding, TensorEncoding } from '../model.ts';
import { CodecError, elementCount } from './core.ts';
import { FLOAT32_MAX, MIN_LINEAR_SCALE, linearRange } from './dense.ts';

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
      if (typeof raw.huffman !== 'boolean')
        throw new CodecError(`sparse encoding: huffman must be true or false, got ${JSON.stringify(raw.huffman) ?? String(raw.huffman)}`);
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
      `linear encoding: needs ${channels} scale${channels === 1 ? '' : 's'} (${where}), got ${Array.isArray(scale) ? scale.length : (JSON.stringify(scale) ?? String(scale))}`,
    );
  }
  if (!Array.isArray(zeroPoint) || zeroPoint.length !== channels) {
    throw new CodecError(
      `linear encoding: needs ${channels} zero point${channels === 1 ? '' : 's'} (${where}), got ${Array.isArray(zeroPoint) ? zeroPoint.length : (JSON.stringify(zeroPoint) ?? String(zeroPoint))}`,
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
