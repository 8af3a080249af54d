/**
 * Helpers of the model-file tests (format*.test.ts): reference quantization
 * written apart from codecs.ts, file surgery (header, metadata, data section)
 * and the mixed-encoding article-net model and file they start from.
 */
import { expect } from 'vitest';
import { articleNet } from './architectures.ts';
import type { LinearEncoding, Model } from './model.ts';
import { initModel } from './model.ts';
import { weightShapes } from './shapes.ts';
import { ModelFileError, parseModel, serializeModel } from './format.ts';

export const SRC = 'bad.safetensors';

/** A linear encoding fitted to the values (symmetric when signed, min/max when unsigned), per channel along `axis`. */
export function fitLinear(values: Float32Array, shape: number[], bits: number, signed: boolean, axis: number | null): LinearEncoding {
  const channels = axis === null ? 1 : shape[axis];
  let inner = 1;
  if (axis !== null) for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const lo = new Array<number>(channels).fill(0);
  const hi = new Array<number>(channels).fill(0);
  for (let i = 0; i < values.length; i++) {
    const c = axis === null ? 0 : Math.floor(i / inner) % channels;
    lo[c] = Math.min(lo[c], values[i]);
    hi[c] = Math.max(hi[c], values[i]);
  }
  const qmax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const scale: number[] = [];
  const zeroPoint: number[] = [];
  for (let c = 0; c < channels; c++) {
    if (signed) {
      scale.push(Math.max(-lo[c], hi[c]) / qmax || 1);
      zeroPoint.push(0);
    } else {
      const s = (hi[c] - lo[c]) / qmax || 1;
      scale.push(s);
      zeroPoint.push(Math.min(qmax, Math.max(0, Math.round(-lo[c] / s))));
    }
  }
  return { kind: 'linear', bits, signed, axis, scale, zeroPoint };
}

/** Reference de-quantized values, written independently of codecs.ts: scale * (clamp(rint(v / scale) + zp) - zp). */
export function refLinear(values: Float32Array, shape: number[], enc: LinearEncoding): Float32Array {
  const qmin = enc.signed ? -(2 ** (enc.bits - 1)) : 0;
  const qmax = enc.signed ? 2 ** (enc.bits - 1) - 1 : 2 ** enc.bits - 1;
  let inner = 1;
  if (enc.axis !== null) for (let i = enc.axis + 1; i < shape.length; i++) inner *= shape[i];
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = enc.axis === null ? 0 : Math.floor(i / inner) % shape[enc.axis];
    const x = values[i] / enc.scale[c];
    let r = Math.floor(x + 0.5);
    if (r - x === 0.5 && r % 2 !== 0) r -= 1; // ties to even
    const q = Math.min(qmax, Math.max(qmin, r + enc.zeroPoint[c]));
    out[i] = enc.scale[c] * (q - enc.zeroPoint[c]);
  }
  return out;
}

export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** JSON with object keys sorted, so that two values compare by meaning (and -0 reads as 0, as JSON does). */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

export function headerLength(file: Uint8Array): number {
  return Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** Header object and data section of a well-formed file. */
export function decompose(file: Uint8Array): { header: Json; data: Uint8Array } {
  const n = headerLength(file);
  return { header: JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n))), data: file.slice(8 + n) };
}

/** A file from a header (object or raw text) and a data section; padded like safetensors unless `pad` is false. */
export function assemble(header: Json, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  if (pad && json.length % 8 !== 0) {
    const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The file with its header changed by `fn` and its data left as is. */
export function withHeader(file: Uint8Array, fn: (header: Json) => void): Uint8Array {
  const { header, data } = decompose(file);
  fn(header);
  return assemble(header, data);
}

/** The file with one metadata JSON field changed by `fn` (which mutates it or returns a replacement). */
export function withMeta(file: Uint8Array, key: string, fn: (value: Json) => Json): Uint8Array {
  return withHeader(file, (h) => {
    const v = JSON.parse(h.__metadata__[key]);
    const r = fn(v);
    h.__metadata__[key] = JSON.stringify(r === undefined ? v : r);
  });
}

export interface TensorPart {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Rebuilds the data section from a list of tensors (after `fn` edits it), recomputing offsets. */
export function retile(file: Uint8Array, fn: (tensors: TensorPart[]) => void): Uint8Array {
  const { header, data } = decompose(file);
  const tensors: TensorPart[] = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, e]: [string, Json]) => ({ name, dtype: e.dtype, shape: e.shape, data: data.slice(e.data_offsets[0], e.data_offsets[1]) }));
  fn(tensors);
  const out: Json = { __metadata__: header.__metadata__ };
  let offset = 0;
  for (const t of tensors) {
    out[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  const body = new Uint8Array(offset);
  offset = 0;
  for (const t of tensors) {
    body.set(t.data, offset);
    offset += t.data.length;
  }
  return assemble(out, body);
}

/** Asserts that parsing fails with a ModelFileError naming the source and matching `message`. */
export function expectReject(bytes: Uint8Array | ArrayBuffer, message: RegExp): ModelFileError {
  let error: unknown;
  try {
    parseModel(bytes, SRC);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ModelFileError);
  const e = error as ModelFileError;
  expect(e.message.startsWith(`${SRC}: `)).toBe(true);
  expect(e.message).not.toMatch(/unexpected/);
  expect(e.message).toMatch(message);
  return e;
}

/** article-net with one tensor per storage path: fp16, I8, packed int11, U16, fp32 and packed uint3. */
export function mixedArticleModel(): Model {
  const m = initModel(articleNet(), 7);
  // Non-zero biases, so that their quantization is exercised too.
  for (const [name, w] of Object.entries(m.weights)) if (name.endsWith('.bias')) for (let i = 0; i < w.length; i++) w[i] = 0.01 * (i - 2);
  const shapes = weightShapes(m.architecture);
  const fit = (name: string, bits: number, signed: boolean, axis: number | null) => fitLinear(m.weights[name], shapes[name], bits, signed, axis);
  m.encodings = {
    'conv1.weight': { kind: 'fp16' },
    'conv2.weight': fit('conv2.weight', 8, true, 0),
    'fc1.weight': fit('fc1.weight', 11, true, 0),
    'fc1.bias': fit('fc1.bias', 16, false, null),
    'fc2.bias': fit('fc2.bias', 3, false, null),
  };
  m.provenance = { source: 'test', seed: 7 };
  return m;
}

export const mixedModel = mixedArticleModel();
export const mixedFile = serializeModel(mixedModel);
