/**
 * The weights manifest of a TF.js model.json and its binary shards: shards of
 * a group are concatenated in manifest order, then each weight is read in
 * order, dequantized when the converter quantized it (uint8/uint16 affine:
 * value = q · scale + min, computed in double and rounded to float32 as
 * tfjs's own `decodeWeights` does; float16 as IEEE half).
 */
import { float16BitsToFloat32 } from '../../model/fp16.ts';
import type { ImportFile } from '../types.ts';
import { ImportError } from '../types.ts';

/** How a weight was stored in its shard. */
export type StoredDtype = 'float32' | 'int32' | 'uint8' | 'uint16' | 'float16';

/** One weight, decoded to float32. */
export interface DecodedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
  stored: StoredDtype;
}

/** Largest weight the importer reads (elements); a guard against absurd shapes before any arithmetic. */
const MAX_ELEMENTS = 2 ** 30;

const VALUE_BYTES: Record<StoredDtype, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

interface Spec {
  name: string;
  shape: number[];
  size: number;
  dtype: 'float32' | 'int32';
  stored: StoredDtype;
  scale: number;
  min: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function parseSpec(raw: unknown, where: string): Spec {
  if (!isObject(raw)) throw new ImportError(`${where} must be an object with name, shape and dtype, got ${show(raw)}`, where);
  const name = raw.name;
  if (typeof name !== 'string' || name === '') throw new ImportError(`${where}: name must be a non-empty string, got ${show(name)}`, where);
  const at = `weight '${name}'`;
  const shape = raw.shape;
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw new ImportError(`${at}: shape must be a list of non-negative integers, got ${show(shape)}`, name);
  }
  let size = 1;
  for (const d of shape as number[]) {
    size *= d;
    if (size > MAX_ELEMENTS) throw new ImportError(`${at}: shape ${show(shape)} is too large (over ${MAX_ELEMENTS} values)`, name);
  }
  const dtype = raw.dtype;
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new ImportError(`${at}: dtype ${show(dtype)} is not supported (the lab reads float32 and int32 weights)`, name);
  }
  const spec: Spec = { name, shape: shape as number[], size, dtype, stored: dtype, scale: 1, min: 0 };
  const q = raw.quantization;
  if (q === undefined || q === null) return spec;
  if (!isObject(q)) throw new ImportError(`${at}: quantization must be an object, got ${show(q)}`, name);
  if (q.dtype === 'uint8' || q.dtype === 'uint16') {
    if (typeof q.scale !== 'number' || !Number.isFinite(q.scale) || typeof q.min !== 'number' || !Number.isFinite(q.min)) {
      throw new ImportError(`${at}: ${q.dtype} quantization needs finite numbers scale and min, got scale ${show(q.scale)}, min ${show(q.min)}`, name);
    }
    return { ...spec, stored: q.dtype, scale: q.scale, min: q.min };
  }
  if (q.dtype === 'float16') {
    if (dtype !== 'float32') throw new ImportError(`${at}: float16 quantization applies to float32 weights only, not ${dtype}`, name);
    return { ...spec, stored: 'float16' };
  }
  throw new ImportError(`${at}: quantization dtype ${show(q.dtype)} is not one of uint8, uint16, float16`, name);
}

function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1];
}

/** The picked file a manifest path names: the exact name, else the same file name without folders. */
function findShard(files: ImportFile[], path: string): ImportFile | undefined {
  const clean = path.replace(/^\.\//, '');
  return files.find((f) => f.name === path || f.name === clean) ?? files.find((f) => baseName(f.name) === baseName(clean));
}

function decode(spec: Spec, bytes: Uint8Array, offset: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, spec.size * VALUE_BYTES[spec.stored]);
  const out = new Float32Array(spec.size);
  switch (spec.stored) {
    case 'float32':
      for (let i = 0; i < spec.size; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'int32':
      for (let i = 0; i < spec.size; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'float16':
      for (let i = 0; i < spec.size; i++) out[i] = float16BitsToFloat32(view.getUint16(i * 2, true));
      break;
    case 'uint8':
    case 'uint16': {
      const wide = spec.stored === 'uint16';
      for (let i = 0; i < spec.size; i++) {
        const q = wide ? view.getUint16(i * 2, true) : view.getUint8(i);
        const v = q * spec.scale + spec.min;
        // An int32 weight is rounded back to an integer, as tfjs does.
        out[i] = spec.dtype === 'int32' ? Math.round(v) : v;
      }
      break;
    }
  }
  return out;
}

/**
 * Reads every weight the manifest lists from the picked files.
 * @throws ImportError naming the shard when one is missing or its size does
 *   not match the manifest, or the weight when its entry is malformed
 */
export function readWeights(manifest: unknown, files: ImportFile[]): Map<string, DecodedWeight> {
  if (!Array.isArray(manifest)) throw new ImportError(`weightsManifest must be a list of groups, got ${show(manifest)}`, 'weightsManifest');
  const out = new Map<string, DecodedWeight>();
  manifest.forEach((group: unknown, g) => {
    const where = `weightsManifest[${g}]`;
    if (!isObject(group)) throw new ImportError(`${where} must be an object with paths and weights, got ${show(group)}`, where);
    const { paths, weights } = group;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
      throw new ImportError(`${where}.paths must be a list of file names, got ${show(paths)}`, where);
    }
    if (!Array.isArray(weights)) throw new ImportError(`${where}.weights must be a list, got ${show(weights)}`, where);
    const specs = weights.map((w: unknown, i) => parseSpec(w, `${where}.weights[${i}]`));
    const shards = (paths as string[]).map((p) => {
      const f = findShard(files, p);
      if (!f) throw new ImportError(`weight shard '${p}' (${where}) was not given: pick it together with model.json`, p);
      return f;
    });
    const total = shards.reduce((n, f) => n + f.bytes.length, 0);
    const need = specs.reduce((n, s) => n + s.size * VALUE_BYTES[s.stored], 0);
    const names = (paths as string[]).map((p) => `'${p}'`).join(', ');
    if (total !== need) {
      throw new ImportError(
        `weight shard${shards.length === 1 ? '' : 's'} ${names || '(none)'} of ${where} hold${shards.length === 1 ? 's' : ''} ${total} bytes, ` +
          `but its ${specs.length} weights need ${need} (${total < need ? 'truncated or missing data' : 'extra data'})`,
        (paths as string[])[0] ?? where,
      );
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const f of shards) {
      bytes.set(f.bytes, at);
      at += f.bytes.length;
    }
    let offset = 0;
    for (const spec of specs) {
      if (out.has(spec.name)) throw new ImportError(`weight '${spec.name}' is listed twice in the weights manifest`, spec.name);
      out.set(spec.name, { name: spec.name, shape: spec.shape, values: decode(spec, bytes, offset), stored: spec.stored });
      offset += spec.size * VALUE_BYTES[spec.stored];
    }
  });
  return out;
}
