/**
 * The model file: one self-describing binary file per model, in the
 * safetensors layout so that common tools (Python `safetensors`, the
 * Hugging Face viewers) open it:
 *
 *   u64 little-endian N | N bytes of UTF-8 JSON header | tensor bytes
 *
 * The header maps each tensor name to `{dtype, shape, data_offsets}` (offsets
 * relative to the first byte after the header, covering that section exactly)
 * and holds `__metadata__`, a string -> string map (safetensors allows no
 * other values) with:
 *   format: "compression-lab", formatVersion: "1",
 *   architecture: JSON of the Architecture,
 *   encodings: JSON of the TensorEncoding of every tensor,
 *   provenance: JSON of the Provenance.
 * How each encoding maps to dtype and bytes is in codecs.ts.
 *
 * Files come from users, so the parser trusts nothing: every failure is a
 * ModelFileError naming the file and the tensor or field at fault.
 */
import type { Architecture, Layer, LayerKind, Preprocess } from './layers.ts';
import type { FieldCheck } from './layer-fields.ts';
import { FIELD_HINTS, LAYER_FIELDS, OPTIONAL_FIELDS, positiveInt } from './layer-fields.ts';
import { LAYER_KINDS } from './layers.ts';
import type { Model, Provenance, TensorEncoding } from './model.ts';
import { validateModel } from './model.ts';
import type { Shape } from './shapes.ts';
import { ShapeError, inferShapes } from './shapes.ts';
import type { Dtype } from './codecs.ts';
import { CodecError, DTYPE_BYTES, decodeTensor, describeEncoding, encodeTensor, isDtype, normalizeEncoding, storedLayout } from './codecs.ts';

export { encodedByteLength } from './codecs.ts';

/** Value of `__metadata__.format` in every lab model file. */
export const FORMAT_NAME = 'compression-lab';
/** The one `formatVersion` this code reads and writes. */
export const FORMAT_VERSION = '1';
/** Same limit as the safetensors reference implementation: a larger header is corrupt, not big. */
export const MAX_HEADER_BYTES = 100_000_000;
/** Largest tensor (and activation) the lab accepts, in elements: beyond it a typed array or GPU buffer could not hold it anyway. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31;

/**
 * Why a model file was refused. `message` starts with the file's `source`
 * and names the tensor or header field at fault; `where` holds that name
 * alone when there is one.
 */
export class ModelFileError extends Error {
  constructor(
    readonly source: string,
    readonly detail: string,
    readonly where?: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${detail}`, options);
    this.name = 'ModelFileError';
  }
}

/** One tensor entry of a safetensors header, after the container-level checks. */
export interface TensorEntryInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  elements: number;
  /** Bytes in the data section. */
  byteLength: number;
  /** [begin, end) relative to the start of the data section. */
  dataOffsets: [number, number];
}

/** What `describeModelFile` reports: enough for a CLI `info` command. */
export interface ModelFileInfo {
  totalBytes: number;
  /** N: the JSON header's length in bytes, padding included (the 8-byte prefix is not counted). */
  headerBytes: number;
  /** Bytes of tensor data after the header. */
  dataBytes: number;
  /** `__metadata__` as stored (all values strings); empty when the file has none. */
  metadata: Record<string, string>;
  /** True when `__metadata__.format` says this is a Compression Lab model file. */
  isLabFile: boolean;
  /** Tensors in data order. */
  tensors: TensorEntryInfo[];
}

type Fail = (detail: string, where?: string) => never;

function failer(source: string): Fail {
  return (detail, where) => {
    throw new ModelFileError(source, detail, where);
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function toBytes(input: unknown, fail: Fail): Uint8Array {
  // Always a plain Uint8Array view: a Node Buffer is a Uint8Array whose
  // slice() shares memory instead of copying, which the codecs rely on.
  if (input instanceof Uint8Array) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  return fail(`expected the bytes of a model file (Uint8Array or ArrayBuffer), got ${input === null ? 'null' : typeof input}`);
}

// ---------------------------------------------------------------------------
// Container: the safetensors layer, independent of what the lab puts in it

interface Container {
  bytes: Uint8Array;
  headerBytes: number;
  dataStart: number;
  /** Undefined when the header has no `__metadata__`. */
  metadata: Record<string, string> | undefined;
  /** In data order. */
  tensors: TensorEntryInfo[];
}

const TENSOR_ENTRY_KEYS = ['dtype', 'shape', 'data_offsets'];

function readContainer(bytes: Uint8Array, fail: Fail): Container {
  if (bytes.length < 8) fail(`is ${bytes.length} bytes long, too short for the 8-byte header length of a safetensors file`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${n64} is absurd (limit ${MAX_HEADER_BYTES} bytes): not a safetensors file, or a corrupt one`, 'header length');
  }
  const headerBytes = Number(n64);
  if (headerBytes > bytes.length - 8) {
    fail(`header length ${headerBytes} is larger than the file (${bytes.length - 8} bytes after the length prefix): truncated or corrupt`, 'header length');
  }
  const dataStart = 8 + headerBytes;
  let text: string;
  try {
    // fatal: refuse invalid UTF-8 instead of inventing U+FFFD; ignoreBOM: keep a BOM so JSON.parse refuses it, as safetensors does.
    // slice(): TextDecoder refuses views of a SharedArrayBuffer, which a worker may hand us.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.slice(8, dataStart));
  } catch {
    return fail('header is not valid UTF-8', 'header');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${e instanceof Error ? e.message : String(e)})`, 'header');
  }
  if (!isPlainObject(header)) fail(`header must be a JSON object, got ${Array.isArray(header) ? 'an array' : show(header)}`, 'header');

  let metadata: Record<string, string> | undefined;
  const dataBytes = bytes.length - dataStart;
  const tensors: TensorEntryInfo[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isPlainObject(entry)) fail(`__metadata__ must be an object of strings, got ${show(entry)}`, '__metadata__');
      metadata = {};
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} must be a string (safetensors metadata holds only strings), got ${show(v)}`, `__metadata__.${k}`);
        // defineProperty: a key such as "__proto__" must stay a plain key.
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const t = `tensor '${name}'`;
    if (!isPlainObject(entry)) fail(`${t}: header entry must be an object with dtype, shape and data_offsets, got ${show(entry)}`, name);
    for (const k of Object.keys(entry)) {
      if (!TENSOR_ENTRY_KEYS.includes(k)) fail(`${t}: header entry has an unknown field '${k}'`, name);
    }
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!isDtype(dtype)) fail(`${t}: unknown dtype ${show(dtype)}`, name);
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) fail(`${t}: shape must be an array of non-negative integers, got ${show(shape)}`, name);
    let elements = 1;
    for (const d of shape as number[]) elements *= d;
    // Checked as a product of doubles: an overflow shows up as a huge or infinite count, never wraps.
    if (elements > MAX_TENSOR_ELEMENTS) {
      fail(`${t}: shape ${fmtShape(shape as number[])} has ${elements} elements, more than the limit of 2^31`, name);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2) fail(`${t}: data_offsets must be [begin, end], got ${show(offsets)}`, name);
    const [begin, end] = offsets as unknown[];
    if (!isNonNegInt(begin) || !isNonNegInt(end)) fail(`${t}: data_offsets must be two non-negative integers, got ${show(offsets)}`, name);
    if (end < begin) fail(`${t}: data_offsets [${begin}, ${end}] are reversed`, name);
    if (end > dataBytes) fail(`${t}: data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes)`, name);
    const byteLength = elements * DTYPE_BYTES[dtype];
    if (end - begin !== byteLength) {
      fail(`${t}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} ${fmtShape(shape as number[])} needs ${byteLength}`, name);
    }
    tensors.push({ name, dtype, shape: (shape as number[]).slice(), elements, byteLength, dataOffsets: [begin, end] });
  }

  // Like safetensors: the entries, taken in offset order, must tile the data
  // section exactly — no byte shared, none unowned, nothing after.
  tensors.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let next = 0;
  let prev: TensorEntryInfo | undefined;
  for (const t of tensors) {
    const [begin, end] = t.dataOffsets;
    if (begin < next) fail(`tensor '${t.name}': data_offsets [${begin}, ${end}] overlap those of tensor '${prev?.name}'`, t.name);
    if (begin > next) fail(`tensor '${t.name}': data_offsets [${begin}, ${end}] leave a gap: bytes ${next}..${begin} belong to no tensor`, t.name);
    next = end;
    prev = t;
  }
  if (next !== dataBytes)
    fail(`${dataBytes - next} trailing bytes after the last tensor's data (data section is ${dataBytes} bytes, tensors cover ${next})`, 'data');
  return { bytes, headerBytes, dataStart, metadata, tensors };
}

/**
 * Header-level facts about a safetensors file (a lab model file or any other):
 * tensors with dtype, shape and size, the metadata, and byte counts. Checks
 * the container (header length, JSON, offsets tiling the data) but not the
 * lab's metadata or the tensor values; `parseModel` does that.
 * Throws ModelFileError naming `source`.
 */
export function describeModelFile(bytes: Uint8Array | ArrayBuffer, source = 'model file'): ModelFileInfo {
  const fail: Fail = failer(source);
  return guard(source, () => {
    const c = readContainer(toBytes(bytes, fail), fail);
    const metadata = c.metadata ?? {};
    return {
      totalBytes: c.bytes.length,
      headerBytes: c.headerBytes,
      dataBytes: c.bytes.length - c.dataStart,
      metadata,
      isLabFile: metadata.format === FORMAT_NAME,
      tensors: c.tensors,
    };
  });
}

// ---------------------------------------------------------------------------
// Architecture: rebuilt field by field from untrusted JSON

function copyValue(v: unknown): unknown {
  return Array.isArray(v) ? v.slice() : isPlainObject(v) ? { ...v } : v;
}

function normalizeLayer(raw: unknown, index: number, fail: Fail): Layer {
  const at = `architecture: layer #${index}`;
  if (!isPlainObject(raw)) return fail(`${at} must be an object, got ${show(raw)}`, 'architecture');
  const { kind, name } = raw;
  if (typeof name !== 'string' || name === '') return fail(`${at} needs a non-empty string name, got ${show(name)}`, 'architecture');
  const here = `architecture: layer '${name}' (#${index})`;
  if (typeof kind !== 'string' || !(LAYER_KINDS as readonly string[]).includes(kind)) {
    return fail(`${here} has unknown kind ${show(kind)} (known: ${LAYER_KINDS.join(', ')})`, name);
  }
  const fields: Record<string, FieldCheck> = LAYER_FIELDS[kind as LayerKind];
  const optional = OPTIONAL_FIELDS[kind as LayerKind] ?? {};
  for (const k of Object.keys(raw)) {
    // A field this version does not know could change what the layer computes: refuse it.
    if (k !== 'kind' && k !== 'name' && !hasOwn(fields, k) && !hasOwn(optional, k)) fail(`${here} has an unknown field '${k}'`, name);
  }
  const layer: Record<string, unknown> = { kind, name };
  for (const [field, check] of Object.entries({ ...fields, ...optional })) {
    if (!hasOwn(raw, field)) {
      if (hasOwn(optional, field)) continue;
      fail(`${here} is missing its '${field}' field`, name);
    }
    if (!check(raw[field])) fail(`${here}: ${field} must be ${FIELD_HINTS.get(check)}, got ${show(raw[field])}`, name);
    layer[field] = copyValue(raw[field]);
  }
  return layer as unknown as Layer;
}

function normalizeArchitecture(raw: unknown, fail: Fail): Architecture {
  if (!isPlainObject(raw)) return fail(`architecture must be a JSON object, got ${show(raw)}`, 'architecture');
  for (const k of Object.keys(raw)) {
    if (k !== 'name' && k !== 'inputShape' && k !== 'layers' && k !== 'preprocess') fail(`architecture has an unknown field '${k}'`, 'architecture');
  }
  const { name, inputShape, layers, preprocess } = raw;
  if (typeof name !== 'string' || name === '') fail(`architecture needs a non-empty string name, got ${show(name)}`, 'architecture');
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || !inputShape.every(positiveInt)) {
    fail(`architecture '${name}': inputShape must be [H, W, C] positive integers, got ${show(inputShape)}`, 'architecture');
  }
  if (!Array.isArray(layers)) return fail(`architecture '${name}': layers must be an array, got ${show(layers)}`, 'architecture');
  return {
    name: name as string,
    inputShape: (inputShape as number[]).slice() as [number, number, number],
    ...(preprocess === undefined ? {} : { preprocess: normalizePreprocess(preprocess, name as string, fail) }),
    layers: layers.map((l, i) => normalizeLayer(l, i, fail)),
  };
}

function normalizePreprocess(raw: unknown, name: string, fail: Fail): Preprocess {
  const here = `architecture '${name}': preprocess`;
  if (!isPlainObject(raw)) return fail(`${here} must be a JSON object {scale, offset, label?}, got ${show(raw)}`, 'architecture');
  for (const k of Object.keys(raw)) if (k !== 'scale' && k !== 'offset' && k !== 'label') fail(`${here} has an unknown field '${k}'`, 'architecture');
  const { scale, offset, label } = raw;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale === 0)
    fail(`${here}.scale must be a finite non-zero number, got ${show(scale)}`, 'architecture');
  if (typeof offset !== 'number' || !Number.isFinite(offset)) fail(`${here}.offset must be a finite number, got ${show(offset)}`, 'architecture');
  if (label !== undefined && typeof label !== 'string') fail(`${here}.label must be a string, got ${show(label)}`, 'architecture');
  return { scale: scale as number, offset: offset as number, ...(label === undefined ? {} : { label: label as string }) };
}

/**
 * Weight shapes of an architecture, in layer order, with its layer shapes
 * checked: ShapeErrors become ModelFileErrors naming the layer, and absurd
 * sizes are refused before anything is allocated for them.
 */
function checkedWeightShapes(arch: Architecture, fail: Fail): Map<string, { shape: Shape; layer: string }> {
  let layers;
  try {
    layers = inferShapes(arch);
  } catch (e) {
    if (e instanceof ShapeError) {
      const where = e.layerName ? ` at layer '${e.layerName}'` : '';
      return fail(`architecture '${arch.name}' does not fit together${where}: ${e.message}`, e.layerName ?? 'architecture');
    }
    throw e;
  }
  const out = new Map<string, { shape: Shape; layer: string }>();
  for (const ls of layers) {
    const name = ls.layer.name;
    for (const [tensor, shape] of Object.entries(ls.weights)) {
      const n = shape.reduce((a, b) => a * b, 1);
      if (!shape.every((d) => Number.isSafeInteger(d) && d > 0) || n > MAX_TENSOR_ELEMENTS) {
        fail(`architecture '${arch.name}': tensor '${tensor}' of layer '${name}' would have shape ${fmtShape(shape)}, more than 2^31 values`, tensor);
      }
      out.set(tensor, { shape, layer: name });
    }
    // Activations too: an executor would have to allocate them for every image.
    if (ls.output.reduce((a, b) => a * b, 1) > MAX_TENSOR_ELEMENTS) {
      fail(`architecture '${arch.name}': layer '${name}' outputs ${fmtShape(ls.output)}, more than 2^31 values per image`, name);
    }
  }
  return out;
}

function parseJsonField(metadata: Record<string, string>, field: string, fail: Fail): unknown {
  if (!hasOwn(metadata, field)) return fail(`__metadata__ has no '${field}' field`, `__metadata__.${field}`);
  try {
    return JSON.parse(metadata[field]);
  } catch (e) {
    return fail(`__metadata__.${field} is not valid JSON (${e instanceof Error ? e.message : String(e)})`, `__metadata__.${field}`);
  }
}

// Turns any unforeseen exception into a ModelFileError, so that callers can
// rely on the one error type. The word "unexpected" marks these: the tests
// treat one as a bug.
function guard<T>(source: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(source, `unexpected failure while reading: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
  }
}

/**
 * Reads a model file written by `serializeModel` (or by any tool that follows
 * the same layout). Returns decoded float32 weights, every tensor's encoding
 * and the provenance; the result passes `validateModel`.
 * Throws ModelFileError, whose message names `source` and the tensor or
 * field at fault, for any file that is truncated, corrupt, inconsistent with
 * its architecture or holds non-finite weights — and never another error type.
 */
export function parseModel(bytes: Uint8Array | ArrayBuffer, source = 'model file'): Model {
  const fail: Fail = failer(source);
  return guard(source, () => {
    const c = readContainer(toBytes(bytes, fail), fail);
    const metadata = c.metadata;
    if (!metadata) return fail('header has no __metadata__: not a Compression Lab model file (a bare safetensors file?)', '__metadata__');
    if (!hasOwn(metadata, 'format')) fail(`__metadata__ has no 'format' field: not a Compression Lab model file`, '__metadata__.format');
    if (metadata.format !== FORMAT_NAME)
      fail(`unknown format ${show(metadata.format)} in __metadata__.format (expected '${FORMAT_NAME}')`, '__metadata__.format');
    if (!hasOwn(metadata, 'formatVersion')) fail(`__metadata__ has no 'formatVersion' field`, '__metadata__.formatVersion');
    if (metadata.formatVersion !== FORMAT_VERSION) {
      fail(`unsupported formatVersion ${show(metadata.formatVersion)} (this version of the lab reads '${FORMAT_VERSION}')`, '__metadata__.formatVersion');
    }

    const architecture = normalizeArchitecture(parseJsonField(metadata, 'architecture', fail), fail);
    const expected = checkedWeightShapes(architecture, fail);

    const rawEncodings = parseJsonField(metadata, 'encodings', fail);
    if (!isPlainObject(rawEncodings)) fail(`__metadata__.encodings must be a JSON object by tensor name, got ${show(rawEncodings)}`, '__metadata__.encodings');
    for (const name of Object.keys(rawEncodings)) {
      if (!expected.has(name)) fail(`__metadata__.encodings names tensor '${name}', which architecture '${architecture.name}' does not have`, name);
    }
    const provenance = parseJsonField(metadata, 'provenance', fail);
    if (!isPlainObject(provenance)) fail(`__metadata__.provenance must be a JSON object, got ${show(provenance)}`, '__metadata__.provenance');

    const entries = new Map(c.tensors.map((t) => [t.name, t]));
    for (const [name, { layer }] of expected) {
      if (!entries.has(name)) fail(`tensor '${name}' (of layer '${layer}') is missing from the file`, name);
    }
    for (const name of entries.keys()) {
      if (!expected.has(name)) fail(`tensor '${name}' is in the file but architecture '${architecture.name}' has no such tensor`, name);
    }

    const weights: Record<string, Float32Array> = {};
    const encodings: Record<string, TensorEncoding> = {};
    for (const [name, { shape }] of expected) {
      const entry = entries.get(name)!;
      const t = `tensor '${name}'`;
      let encoding: TensorEncoding;
      try {
        // A tensor without an entry is fp32, as in Model.encodings.
        encoding = normalizeEncoding(hasOwn(rawEncodings, name) ? rawEncodings[name] : { kind: 'fp32' }, shape);
      } catch (e) {
        if (e instanceof CodecError) return fail(`${t}: ${e.message} (in __metadata__.encodings)`, name);
        throw e;
      }
      const layout = storedLayout(shape, encoding);
      if (entry.dtype !== layout.dtype) {
        fail(`${t}: dtype ${entry.dtype} does not match its encoding ${describeEncoding(encoding)}, which is stored as ${layout.dtype}`, name);
      }
      const packed = layout.shape.length !== shape.length || layout.shape.some((d, i) => d !== shape[i]);
      if (entry.shape.length !== layout.shape.length || entry.shape.some((d, i) => d !== layout.shape[i])) {
        fail(
          packed
            ? `${t}: shape ${fmtShape(entry.shape)} does not match ${fmtShape(layout.shape)}, the bytes of ${describeEncoding(encoding)} packing of the architecture's ${fmtShape(shape)}`
            : `${t}: shape ${fmtShape(entry.shape)} does not match the architecture's ${fmtShape(shape)}`,
          name,
        );
      }
      const [begin, end] = entry.dataOffsets;
      let values: Float32Array;
      try {
        values = decodeTensor(c.bytes.subarray(c.dataStart + begin, c.dataStart + end), shape, encoding);
      } catch (e) {
        if (e instanceof CodecError) return fail(`${t}: data ${e.message}`, name);
        throw e;
      }
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) fail(`${t} holds ${values[i]} at index ${i} ${fmtShape(unflatten(i, shape))}: weights must be finite`, name);
      }
      weights[name] = values;
      encodings[name] = encoding;
    }
    const model: Model = { architecture, weights, encodings, provenance: provenance as Provenance };
    try {
      validateModel(model);
    } catch (e) {
      // Not reachable with the checks above; kept so that a gap in them still yields a ModelFileError.
      fail(e instanceof Error ? e.message : String(e));
    }
    return model;
  });
}

function unflatten(index: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = index % shape[d];
    index = Math.floor(index / shape[d]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Writing

function checkArchitectureForWriting(arch: Architecture): Architecture {
  try {
    return normalizeArchitecture(JSON.parse(JSON.stringify(arch)), failer('serializeModel'));
  } catch (e) {
    // The file must be readable by parseModel; say why this one would not be.
    throw new Error(`cannot serialize model '${arch.name}': ${e instanceof ModelFileError ? e.detail : String(e)}`, { cause: e });
  }
}

function provenanceJson(model: Model): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(model.provenance ?? {});
  } catch (e) {
    throw new Error(`cannot serialize model '${model.architecture.name}': provenance is not JSON (${e instanceof Error ? e.message : String(e)})`, {
      cause: e,
    });
  }
  if (json === undefined || !isPlainObject(JSON.parse(json))) {
    throw new Error(`cannot serialize model '${model.architecture.name}': provenance must be a plain object`);
  }
  return json;
}

/**
 * The model as a model file (see the top of this module). Every weight is
 * encoded with its `encodings` entry (fp32 when absent): fp16 rounds to
 * nearest even, linear quantizes with the encoding's scale and zero point.
 * Throws an Error naming the tensor when the model is invalid, an encoding
 * does not fit its tensor or a value does not fit its encoding (e.g. beyond
 * ±65504 in fp16): a file that `parseModel` would refuse is never written.
 */
export function serializeModel(model: Model): Uint8Array {
  validateModel(model);
  const modelName = model.architecture.name;
  const architecture = checkArchitectureForWriting(model.architecture);
  const shapes = new Map(inferShapes(architecture).flatMap((ls) => Object.entries(ls.weights)));
  const given = model.encodings ?? {};
  for (const name of Object.keys(given)) {
    if (!shapes.has(name)) throw new Error(`cannot serialize model '${modelName}': encodings name tensor '${name}', which the architecture does not have`);
  }

  const encodings: Record<string, TensorEncoding> = {};
  const tensors: { name: string; dtype: Dtype; shape: number[]; data: Uint8Array }[] = [];
  for (const [name, shape] of shapes) {
    try {
      const encoding = normalizeEncoding(hasOwn(given, name) ? given[name] : { kind: 'fp32' }, shape);
      const layout = storedLayout(shape, encoding);
      encodings[name] = encoding;
      tensors.push({ name, dtype: layout.dtype, shape: layout.shape, data: encodeTensor(model.weights[name], shape, encoding) });
    } catch (e) {
      if (e instanceof CodecError) throw new Error(`cannot serialize model '${modelName}': tensor '${name}': ${e.message}`, { cause: e });
      throw e;
    }
  }

  // Widest elements first (stable otherwise, so layer order within a dtype
  // size), as safetensors does: every tensor then starts at a multiple of its
  // element size, and readers that map the file zero-copy see aligned data.
  tensors.sort((a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype]);

  const header: Record<string, unknown> = {
    __metadata__: {
      format: FORMAT_NAME,
      formatVersion: FORMAT_VERSION,
      architecture: JSON.stringify(architecture),
      encodings: JSON.stringify(encodings),
      provenance: provenanceJson(model),
    },
  };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Spaces up to a multiple of 8, as safetensors pads, so the data starts 8-byte aligned.
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const t of tensors) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return out;
}
