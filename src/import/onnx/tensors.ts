/**
 * Reading the values out of ONNX messages: tensors (raw_data or the typed
 * repeated fields, external data refused by name) and node attributes
 * (by the type field, or by which value field is present in old files).
 * Every problem is an ImportError naming the tensor or node.
 */
import { ImportError } from '../types.ts';
import type { DecodedAttribute, DecodedNode, DecodedTensor } from './schema.ts';
import { ONNX_ATTR, ONNX_DTYPE, ONNX_EXTERNAL } from './schema.ts';

/** A constant: its dims and its values as doubles (floats, doubles and integers alike). */
export interface Const {
  name: string;
  dims: number[];
  values: Float64Array;
}

/** Largest tensor the importer reads (values); far above any MNIST-class model, far below memory trouble. */
const MAX_VALUES = 1 << 27;

const DTYPE_NAMES: Record<number, string> = {
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  8: 'string',
  9: 'bool',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
};

/** Element count of `dims`, checking each is a non-negative integer and the total is readable. */
export function checkedCount(dims: number[], where: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ImportError(`tensor '${where}' has an invalid dimension ${d} in [${dims.join(', ')}]`, where);
    n *= d;
    if (n > MAX_VALUES) throw new ImportError(`tensor '${where}' is too large ([${dims.join(', ')}]); the lab imports MNIST-class models`, where);
  }
  return n;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function fromRaw(raw: Uint8Array, dataType: number, n: number, where: string): Float64Array {
  const size = { [ONNX_DTYPE.FLOAT]: 4, [ONNX_DTYPE.DOUBLE]: 8, [ONNX_DTYPE.INT64]: 8, [ONNX_DTYPE.INT32]: 4, [ONNX_DTYPE.FLOAT16]: 2 }[dataType]!;
  if (raw.length !== n * size) {
    throw new ImportError(`tensor '${where}': raw_data holds ${raw.length} bytes, its shape needs ${n * size} (file truncated or corrupt)`, where);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (dataType) {
      case ONNX_DTYPE.FLOAT:
        out[i] = view.getFloat32(i * 4, true);
        break;
      case ONNX_DTYPE.DOUBLE:
        out[i] = view.getFloat64(i * 8, true);
        break;
      case ONNX_DTYPE.INT64:
        out[i] = Number(view.getBigInt64(i * 8, true));
        break;
      case ONNX_DTYPE.INT32:
        out[i] = view.getInt32(i * 4, true);
        break;
      default:
        out[i] = halfToFloat(view.getUint16(i * 2, true));
    }
  }
  return out;
}

/** The values of a TensorProto; refuses external data, segments and data types the lab does not read. */
export function readTensor(t: DecodedTensor, fallbackName: string): Const {
  const name = t.name || fallbackName;
  if (t.dataLocation === ONNX_EXTERNAL || t.externalData.length > 0) {
    const loc = t.externalData.find((e) => e.key === 'location')?.value;
    throw new ImportError(
      `tensor '${name}' keeps its values in an external file${loc ? ` ('${loc}')` : ''}, which was not given; the lab imports single-file ONNX models — ` +
        `re-save with onnx.save_model(model, path, save_as_external_data=False)`,
      name,
    );
  }
  if (t.segment) throw new ImportError(`tensor '${name}' is a segment of a larger tensor; the lab does not read segmented tensors`, name);
  const dims = t.dims;
  const n = checkedCount(dims, name);
  const dt = t.dataType;
  const known = [ONNX_DTYPE.FLOAT, ONNX_DTYPE.DOUBLE, ONNX_DTYPE.INT64, ONNX_DTYPE.INT32, ONNX_DTYPE.FLOAT16] as number[];
  if (!known.includes(dt)) {
    throw new ImportError(`tensor '${name}' has data type ${DTYPE_NAMES[dt] ?? dt}; the lab reads float32, float16, float64, int32 and int64 constants`, name);
  }
  if (t.rawData && t.rawData.length > 0) return { name, dims, values: fromRaw(t.rawData, dt, n, name) };
  const field = dt === ONNX_DTYPE.FLOAT ? t.floatData : dt === ONNX_DTYPE.DOUBLE ? t.doubleData : dt === ONNX_DTYPE.INT64 ? t.int64Data : t.int32Data;
  if (field.length !== n) throw new ImportError(`tensor '${name}' holds ${field.length} values, its shape [${dims.join(', ')}] needs ${n}`, name);
  const values = Float64Array.from(field, (v) => Number(v));
  if (dt === ONNX_DTYPE.FLOAT16) for (let i = 0; i < n; i++) values[i] = halfToFloat(values[i] & 0xffff);
  return { name, dims, values };
}

/** Typed access to one node's attributes, with defaults. */
export class Attrs {
  private readonly byName = new Map<string, DecodedAttribute>();
  constructor(private readonly node: DecodedNode) {
    for (const a of node.attribute) if (a.name) this.byName.set(a.name, a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  private bad(name: string, want: string): never {
    const n = this.node;
    throw new ImportError(`node '${n.name ?? ''}' (${n.opType}): attribute '${name}' is not ${want}`, n.name);
  }

  int(name: string, def: number): number {
    const a = this.byName.get(name);
    if (!a) return def;
    if ((a.type && a.type !== ONNX_ATTR.INT) || a.i === undefined || !Number.isSafeInteger(a.i)) this.bad(name, 'an integer');
    return a.i;
  }

  float(name: string, def: number): number {
    const a = this.byName.get(name);
    if (!a) return def;
    if ((a.type && a.type !== ONNX_ATTR.FLOAT) || a.f === undefined) this.bad(name, 'a float');
    return a.f;
  }

  ints(name: string, def: number[]): number[] {
    const a = this.byName.get(name);
    if (!a) return def;
    if ((a.type && a.type !== ONNX_ATTR.INTS) || !a.ints.every((v) => Number.isSafeInteger(v))) this.bad(name, 'a list of integers');
    return a.ints;
  }

  floats(name: string, def: number[]): number[] {
    const a = this.byName.get(name);
    if (!a) return def;
    if (a.type && a.type !== ONNX_ATTR.FLOATS) this.bad(name, 'a list of floats');
    return a.floats;
  }

  string(name: string, def: string): string {
    const a = this.byName.get(name);
    if (!a) return def;
    if ((a.type && a.type !== ONNX_ATTR.STRING) || !a.s) this.bad(name, 'a string');
    return new TextDecoder().decode(a.s);
  }

  tensor(name: string): DecodedTensor | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    if ((a.type && a.type !== ONNX_ATTR.TENSOR) || !a.t) this.bad(name, 'a tensor');
    return a.t;
  }
}

/** The value of a Constant node (`value`, `value_float(s)`, `value_int(s)`). */
export function constantNodeValue(node: DecodedNode): Const {
  const attrs = new Attrs(node);
  const out = node.output[0] ?? '';
  const t = attrs.tensor('value');
  if (t) return { ...readTensor(t, out), name: out };
  if (attrs.has('value_float')) return { name: out, dims: [], values: Float64Array.of(attrs.float('value_float', 0)) };
  if (attrs.has('value_int')) return { name: out, dims: [], values: Float64Array.of(attrs.int('value_int', 0)) };
  if (attrs.has('value_floats')) {
    const v = attrs.floats('value_floats', []);
    return { name: out, dims: [v.length], values: Float64Array.from(v) };
  }
  if (attrs.has('value_ints')) {
    const v = attrs.ints('value_ints', []);
    return { name: out, dims: [v.length], values: Float64Array.from(v) };
  }
  throw new ImportError(`node '${node.name ?? ''}' (Constant): holds no value the lab reads (value, value_float(s), value_int(s))`, node.name);
}

/** Shortest decimal that reads back as the same float32 (0.1307, not 0.13070000708103180). */
export function fmtNum(x: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = Number(x.toPrecision(p));
    if (Math.fround(s) === Math.fround(x)) return String(s);
  }
  return String(x);
}
