import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ARCHITECTURES, articleNet, lenet5 } from './architectures.ts';
import type { Architecture } from './layers.ts';
import { LAYER_KINDS } from './layers.ts';
import type { LinearEncoding, Model, TensorEncoding } from './model.ts';
import { initModel, validateModel } from './model.ts';
import { weightShapes } from './shapes.ts';
import { roundArrayToFloat16 } from './fp16.ts';
import { encodeTensor, encodedByteLength, storedLayout } from './codecs.ts';
import { FORMAT_NAME, ModelFileError, describeModelFile, parseModel, serializeModel } from './format.ts';

// ---------------------------------------------------------------------------
// Helpers

const SRC = 'bad.safetensors';

/** A linear encoding fitted to the values (symmetric when signed, min/max when unsigned), per channel along `axis`. */
function fitLinear(values: Float32Array, shape: number[], bits: number, signed: boolean, axis: number | null): LinearEncoding {
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
function refLinear(values: Float32Array, shape: number[], enc: LinearEncoding): Float32Array {
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

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** JSON with object keys sorted, so that two values compare by meaning (and -0 reads as 0, as JSON does). */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

function headerLength(file: Uint8Array): number {
  return Number(new DataView(file.buffer, file.byteOffset, 8).getBigUint64(0, true));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Header object and data section of a well-formed file. */
function decompose(file: Uint8Array): { header: Json; data: Uint8Array } {
  const n = headerLength(file);
  return { header: JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n))), data: file.slice(8 + n) };
}

/** A file from a header (object or raw text) and a data section; padded like safetensors unless `pad` is false. */
function assemble(header: Json, data: Uint8Array, pad = true): Uint8Array {
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
function withHeader(file: Uint8Array, fn: (header: Json) => void): Uint8Array {
  const { header, data } = decompose(file);
  fn(header);
  return assemble(header, data);
}

/** The file with one metadata JSON field changed by `fn` (which mutates it or returns a replacement). */
function withMeta(file: Uint8Array, key: string, fn: (value: Json) => Json): Uint8Array {
  return withHeader(file, (h) => {
    const v = JSON.parse(h.__metadata__[key]);
    const r = fn(v);
    h.__metadata__[key] = JSON.stringify(r === undefined ? v : r);
  });
}

interface TensorPart {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Rebuilds the data section from a list of tensors (after `fn` edits it), recomputing offsets. */
function retile(file: Uint8Array, fn: (tensors: TensorPart[]) => void): Uint8Array {
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
function expectReject(bytes: Uint8Array | ArrayBuffer, message: RegExp): ModelFileError {
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
function mixedArticleModel(): Model {
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

const mixedModel = mixedArticleModel();
const mixedFile = serializeModel(mixedModel);

// ---------------------------------------------------------------------------

describe('round trip', () => {
  type Scheme = 'fp32' | 'fp16' | 'linear8-per-channel' | 'linear11' | 'linear2' | 'linear16';
  const schemes: Scheme[] = ['fp32', 'fp16', 'linear8-per-channel', 'linear11', 'linear2', 'linear16'];

  function encodingsFor(model: Model, scheme: Scheme): Record<string, TensorEncoding> {
    const shapes = weightShapes(model.architecture);
    const out: Record<string, TensorEncoding> = {};
    for (const [name, shape] of Object.entries(shapes)) {
      const w = model.weights[name];
      // Output channel: axis 0 for conv and dense, the last axis for depthwise [kh, kw, C].
      const channelAxis = name.endsWith('.weight') ? (name.includes('_dw') ? 2 : 0) : null;
      switch (scheme) {
        case 'fp32':
        case 'fp16':
          out[name] = { kind: scheme };
          break;
        case 'linear8-per-channel':
          out[name] = fitLinear(w, shape, 8, true, channelAxis);
          break;
        case 'linear11':
          out[name] = fitLinear(w, shape, 11, true, channelAxis);
          break;
        case 'linear2':
          out[name] = fitLinear(w, shape, 2, true, null);
          break;
        case 'linear16':
          out[name] = fitLinear(w, shape, 16, false, null);
          break;
      }
    }
    return out;
  }

  for (const archName of Object.keys(ARCHITECTURES) as (keyof typeof ARCHITECTURES)[]) {
    for (const scheme of schemes) {
      it(`${archName} ${scheme}`, () => {
        const model = initModel(ARCHITECTURES[archName](), 3);
        // Give biases values so they are not all zero.
        for (const [name, w] of Object.entries(model.weights)) if (name.endsWith('.bias')) for (let i = 0; i < w.length; i++) w[i] = Math.sin(i) * 0.05;
        model.encodings = encodingsFor(model, scheme);
        const file = serializeModel(model);
        const back = parseModel(file, `${archName}.safetensors`);
        validateModel(back);
        expect(back.architecture).toEqual(model.architecture);
        expect(back.encodings).toEqual(model.encodings);
        expect(back.provenance).toEqual(model.provenance);
        const shapes = weightShapes(model.architecture);
        let body = 0;
        for (const [name, shape] of Object.entries(shapes)) {
          const enc = model.encodings[name];
          body += encodedByteLength(shape, enc);
          const expected =
            enc.kind === 'fp32' ? model.weights[name] : enc.kind === 'fp16' ? roundArrayToFloat16(model.weights[name]) : refLinear(model.weights[name], shape, enc as LinearEncoding);
          expect(sameBits(back.weights[name], expected), name).toBe(true);
          if (enc.kind === 'linear') {
            // Within half a step of the original (no clipping: the encodings were fitted to the values).
            const w = model.weights[name];
            const maxScale = Math.max(...enc.scale);
            for (let i = 0; i < w.length; i += 97) expect(Math.abs(back.weights[name][i] - w[i])).toBeLessThanOrEqual(maxScale / 2 + 1e-6);
          }
        }
        const n = headerLength(file);
        expect(n % 8).toBe(0);
        expect(file.length - 8 - n).toBe(body);
        // Canonical: writing what was read gives the same bytes.
        expect(sameBytes(serializeModel(back), file)).toBe(true);
      });
    }
  }

  it('keeps a model without encodings or provenance readable (all fp32, empty provenance)', () => {
    const model: Model = { architecture: articleNet(), weights: initModel(articleNet(), 1).weights };
    const back = parseModel(serializeModel(model));
    expect(Object.values(back.encodings ?? {}).every((e) => e.kind === 'fp32')).toBe(true);
    expect(Object.keys(back.encodings ?? {})).toEqual(Object.keys(weightShapes(model.architecture)));
    expect(back.provenance).toEqual({});
  });

  it('accepts an ArrayBuffer and a Uint8Array view at an offset', () => {
    const copy = new Uint8Array(mixedFile.length + 3);
    copy.set(mixedFile, 3);
    const a = parseModel(copy.subarray(3));
    const b = parseModel(mixedFile.slice().buffer);
    expect(sameBits(a.weights['fc1.weight'], b.weights['fc1.weight'])).toBe(true);
  });

  it('mixed encodings round-trip through every storage path', () => {
    const back = parseModel(mixedFile);
    expect(back.encodings).toEqual({
      'conv1.weight': { kind: 'fp16' },
      'conv1.bias': { kind: 'fp32' },
      'conv2.weight': mixedModel.encodings!['conv2.weight'],
      'conv2.bias': { kind: 'fp32' },
      'fc1.weight': mixedModel.encodings!['fc1.weight'],
      'fc1.bias': mixedModel.encodings!['fc1.bias'],
      'fc2.weight': { kind: 'fp32' },
      'fc2.bias': mixedModel.encodings!['fc2.bias'],
    });
    expect(describeModelFile(mixedFile).tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      // Widest dtype first, layer order within a width: every tensor starts aligned to its element size.
      ['conv1.bias', 'F32', [5]],
      ['conv2.bias', 'F32', [5]],
      ['fc2.weight', 'F32', [10, 128]],
      ['conv1.weight', 'F16', [5, 3, 3, 1]],
      ['fc1.bias', 'U16', [128]],
      ['conv2.weight', 'I8', [5, 3, 3, 5]],
      ['fc1.weight', 'U8', [22000]],
      ['fc2.bias', 'U8', [4]],
    ]);
  });
});

describe('byte lengths', () => {
  it('lenet5 fp32: the body is 431,080 × 4 bytes', () => {
    const file = serializeModel(initModel(lenet5(), 1));
    const info = describeModelFile(file, 'lenet5.safetensors');
    expect(info.dataBytes).toBe(431_080 * 4);
    expect(info.totalBytes).toBe(file.length);
    expect(info.totalBytes).toBe(8 + info.headerBytes + 1_724_320);
    expect(info.tensors).toHaveLength(8);
    expect(info.tensors.every((t) => t.dtype === 'F32')).toBe(true);
    expect(info.isLabFile).toBe(true);
    expect(info.metadata.format).toBe(FORMAT_NAME);
    expect(info.metadata.formatVersion).toBe('1');
    expect(JSON.parse(info.metadata.architecture)).toEqual(lenet5());
    expect(info.tensors.find((t) => t.name === 'fc1.weight')).toMatchObject({ shape: [500, 800], elements: 400_000, byteLength: 1_600_000 });
  });

  it('lenet-300-100 fp16: 266,610 × 2 bytes', () => {
    const m = initModel(ARCHITECTURES['lenet-300-100'](), 1);
    m.encodings = Object.fromEntries(Object.keys(m.weights).map((k) => [k, { kind: 'fp16' } as TensorEncoding]));
    expect(describeModelFile(serializeModel(m)).dataBytes).toBe(266_610 * 2);
  });

  it('lenet5 int11: each tensor rounded up to whole bytes, 592,737 bytes in all', () => {
    const m = initModel(lenet5(), 1);
    const shapes = weightShapes(m.architecture);
    m.encodings = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, fitLinear(m.weights[k], s, 11, true, null)]));
    // conv1 688 + 28, conv2 34,375 + 69, fc1 550,000 + 688, fc2 6,875 + 14 (ceil(n × 11 / 8) each)
    expect(describeModelFile(serializeModel(m)).dataBytes).toBe(592_737);
  });
});

describe('a hand-built file', () => {
  // tiny: 1×1×2 input, flatten, dense 1 unit. fc.weight F32 [1, 2] = [1.5, -2];
  // fc.bias: uint3 per-tensor, scale 0.5, zero point 4, q = 6 -> 0.5 × (6 − 4) = 1.
  const arch: Architecture = {
    name: 'tiny',
    inputShape: [1, 1, 2],
    layers: [
      { kind: 'flatten', name: 'flat' },
      { kind: 'dense', name: 'fc', units: 1, bias: true },
    ],
  };
  const encodings = { 'fc.bias': { kind: 'linear', bits: 3, signed: false, axis: null, scale: [0.5], zeroPoint: [4] } };
  // Bias entry listed first, not padded: order of keys and padding are not the reader's business.
  const headerText =
    '{"fc.bias":{"dtype":"U8","shape":[1],"data_offsets":[8,9]},' +
    '"fc.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},' +
    `"__metadata__":${JSON.stringify({
      format: 'compression-lab',
      formatVersion: '1',
      architecture: JSON.stringify(arch),
      encodings: JSON.stringify(encodings),
      provenance: '{"source":"hand"}',
      note: 'extra metadata is kept by describe and ignored by parse',
    })}}`;
  const data = Uint8Array.from([0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x06]);
  const json = new TextEncoder().encode(headerText);
  const file = new Uint8Array(8 + json.length + data.length);
  file[0] = json.length & 0xff;
  file[1] = json.length >> 8;
  file.set(json, 8);
  file.set(data, 8 + json.length);

  it('parses', () => {
    const m = parseModel(file, 'tiny.safetensors');
    expect(m.architecture).toEqual(arch);
    expect([...m.weights['fc.weight']]).toEqual([1.5, -2]);
    expect([...m.weights['fc.bias']]).toEqual([1]);
    expect(m.encodings).toEqual({ 'fc.weight': { kind: 'fp32' }, ...encodings });
    expect(m.provenance).toEqual({ source: 'hand' });
  });

  it('describes', () => {
    const info = describeModelFile(file);
    expect(info.headerBytes).toBe(json.length);
    expect(info.dataBytes).toBe(9);
    expect(info.metadata.note).toMatch(/extra metadata/);
    expect(info.tensors).toEqual([
      { name: 'fc.weight', dtype: 'F32', shape: [1, 2], elements: 2, byteLength: 8, dataOffsets: [0, 8] },
      { name: 'fc.bias', dtype: 'U8', shape: [1], elements: 1, byteLength: 1, dataOffsets: [8, 9] },
    ]);
  });

  it('describes a foreign safetensors file, which parse refuses', () => {
    const foreign = assemble({ x: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4));
    const info = describeModelFile(foreign);
    expect(info.isLabFile).toBe(false);
    expect(info.metadata).toEqual({});
    expect(info.tensors[0]).toMatchObject({ name: 'x', dtype: 'BF16', byteLength: 4 });
    expectReject(foreign, /no __metadata__: not a Compression Lab model file/);
  });
});

describe('rejections', () => {
  const f = mixedFile;

  describe('container', () => {
    it('a buffer shorter than 8 bytes', () => {
      expectReject(new Uint8Array(5), /5 bytes long, too short/);
      expectReject(new ArrayBuffer(0), /0 bytes long/);
    });
    it('a header length larger than the file', () => {
      const g = f.slice();
      new DataView(g.buffer).setBigUint64(0, BigInt(g.length), true);
      expectReject(g, /header length \d+ is larger than the file/);
      expectReject(f.subarray(0, 100), /larger than the file/);
    });
    it('an absurd header length', () => {
      const g = f.slice();
      new DataView(g.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
      expectReject(g, /header length 18446744073709551615 is absurd/);
      new DataView(g.buffer).setBigUint64(0, 100_000_001n, true);
      expectReject(g, /absurd \(limit 100000000 bytes\)/);
    });
    it('a header that is not UTF-8', () => {
      const g = f.slice();
      g[8 + headerLength(g) - 1] = 0xff; // a padding space becomes an invalid byte
      expectReject(g, /header is not valid UTF-8/);
    });
    it('a header that is not JSON, or not an object', () => {
      expectReject(assemble('{"a": ', new Uint8Array()), /header is not valid JSON/);
      expectReject(assemble('\uFEFF{}', new Uint8Array()), /header is not valid JSON/);
      expectReject(assemble('[1, 2]', new Uint8Array()), /header must be a JSON object, got an array/);
      expectReject(assemble('null', new Uint8Array()), /header must be a JSON object, got null/);
    });
    it('bytes that are not bytes', () => {
      expectReject('hello' as unknown as Uint8Array, /expected the bytes of a model file .* got string/);
    });
    it('a tensor entry that is not an object, or has unknown fields', () => {
      expectReject(withHeader(f, (h) => (h['fc2.bias'] = 3)), /tensor 'fc2.bias': header entry must be an object/);
      expectReject(withHeader(f, (h) => (h['fc2.bias'].extra = 1)), /tensor 'fc2.bias': header entry has an unknown field 'extra'/);
    });
  });

  describe('metadata', () => {
    it('missing or not strings', () => {
      expectReject(withHeader(f, (h) => delete h.__metadata__), /header has no __metadata__/);
      expectReject(withHeader(f, (h) => (h.__metadata__ = 'x')), /__metadata__ must be an object of strings/);
      expectReject(withHeader(f, (h) => (h.__metadata__.formatVersion = 1)), /__metadata__.formatVersion must be a string .* got 1/);
    });
    it('unknown format or version', () => {
      expectReject(withHeader(f, (h) => delete h.__metadata__.format), /__metadata__ has no 'format' field/);
      expectReject(withHeader(f, (h) => (h.__metadata__.format = 'gguf')), /unknown format "gguf"/);
      expectReject(withHeader(f, (h) => delete h.__metadata__.formatVersion), /no 'formatVersion' field/);
      expectReject(withHeader(f, (h) => (h.__metadata__.formatVersion = '2')), /unsupported formatVersion "2" \(this version of the lab reads '1'\)/);
    });
    it('architecture, encodings or provenance missing or not JSON objects', () => {
      expectReject(withHeader(f, (h) => delete h.__metadata__.architecture), /no 'architecture' field/);
      expectReject(withHeader(f, (h) => (h.__metadata__.architecture = '{oops')), /__metadata__.architecture is not valid JSON/);
      expectReject(withHeader(f, (h) => (h.__metadata__.architecture = '[]')), /architecture must be a JSON object/);
      expectReject(withHeader(f, (h) => delete h.__metadata__.encodings), /no 'encodings' field/);
      expectReject(withHeader(f, (h) => (h.__metadata__.encodings = '7')), /__metadata__.encodings must be a JSON object/);
      expectReject(withHeader(f, (h) => delete h.__metadata__.provenance), /no 'provenance' field/);
      expectReject(withHeader(f, (h) => (h.__metadata__.provenance = 'null')), /__metadata__.provenance must be a JSON object, got null/);
    });
  });

  describe('architecture', () => {
    it('fails shape inference, naming the layer', () => {
      const e = expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[0].kernel = [30, 30])),
        /architecture 'article-net' does not fit together at layer 'conv1': .*kernel 30×30 is larger than its 28×28 input/,
      );
      expect(e.where).toBe('conv1');
      expectReject(
        withMeta(f, 'architecture', (a) => void a.layers.splice(6, 1)), // drop flatten
        /does not fit together at layer 'fc1'.*needs a flat input/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[1].name = 'conv1')),
        /two layers are named 'conv1'/,
      );
    });
    it('unknown kinds, unknown or missing or ill-typed fields', () => {
      expectReject(withMeta(f, 'architecture', (a) => void (a.layers[1].kind = 'gelu')), /layer 'relu1' \(#1\) has unknown kind "gelu"/);
      expectReject(withMeta(f, 'architecture', (a) => void (a.layers[0].groups = 2)), /layer 'conv1' \(#0\) has an unknown field 'groups'/);
      expectReject(withMeta(f, 'architecture', (a) => void delete a.layers[7].units), /layer 'fc1' \(#7\) is missing its 'units' field/);
      expectReject(withMeta(f, 'architecture', (a) => void (a.layers[7].bias = 'yes')), /layer 'fc1' \(#7\): bias must be true or false, got "yes"/);
      expectReject(withMeta(f, 'architecture', (a) => void (a.layers[0].padding = 'full')), /padding must be 'valid' or 'same'/);
      expectReject(withMeta(f, 'architecture', (a) => void (a.layers[2].window = [2])), /window must be two positive integers, got \[2\]/);
      expectReject(withMeta(f, 'architecture', (a) => void (a.layers[3] = null)), /layer #3 must be an object/);
      expectReject(withMeta(f, 'architecture', (a) => void (a.layers[3].name = '')), /layer #3 needs a non-empty string name/);
      expectReject(withMeta(f, 'architecture', (a) => void (a.inputShape = [28, 28])), /inputShape must be \[H, W, C\]/);
      expectReject(withMeta(f, 'architecture', (a) => void (a.layers = {})), /layers must be an array/);
      expectReject(withMeta(f, 'architecture', (a) => void (a.extra = 1)), /architecture has an unknown field 'extra'/);
    });
    it('absurd sizes', () => {
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[9].units = 2 ** 40)),
        /tensor 'fc2.weight' of layer 'fc2' would have shape \[1099511627776, 128\], more than 2\^31 values/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[7].units = 2 ** 52)),
        /tensor 'fc1.weight' .* more than 2\^31 values/,
      );
      expectReject(withMeta(f, 'architecture', (a) => void (a.inputShape = [1e6, 1e6, 1])), /layer 'conv1' outputs \[999998, 999998, 5\], more than 2\^31 values per image/);
      expectReject(withMeta(f, 'architecture', (a) => void (a.layers[7].units = 2 ** 53)), /fc1: units must be|units must be a positive integer/);
    });
  });

  describe('tensors vs the architecture', () => {
    it('a missing tensor', () => {
      expectReject(
        retile(f, (ts) => ts.splice(ts.findIndex((t) => t.name === 'fc2.bias'), 1)),
        /tensor 'fc2.bias' \(of layer 'fc2'\) is missing from the file/,
      );
    });
    it('an extra tensor', () => {
      expectReject(
        retile(f, (ts) => ts.push({ name: 'fc3.weight', dtype: 'F32', shape: [1], data: new Uint8Array(4) })),
        /tensor 'fc3.weight' is in the file but architecture 'article-net' has no such tensor/,
      );
    });
    it('an unknown dtype', () => {
      expectReject(withHeader(f, (h) => (h['fc2.weight'].dtype = 'Q4')), /tensor 'fc2.weight': unknown dtype "Q4"/);
      expectReject(withHeader(f, (h) => (h['fc2.weight'].dtype = 'f32')), /unknown dtype "f32"/);
    });
    it('a dtype that does not match the encoding', () => {
      expectReject(withHeader(f, (h) => (h['fc2.weight'].dtype = 'I32')), /tensor 'fc2.weight': dtype I32 does not match its encoding fp32, which is stored as F32/);
      expectReject(withHeader(f, (h) => (h['conv1.weight'].dtype = 'BF16')), /tensor 'conv1.weight': dtype BF16 does not match its encoding fp16, which is stored as F16/);
      expectReject(withHeader(f, (h) => (h['conv2.weight'].dtype = 'U8')), /dtype U8 does not match its encoding int8 per-channel/);
      expectReject(withHeader(f, (h) => (h['fc1.bias'].dtype = 'I16')), /dtype I16 does not match its encoding uint16 per-tensor, which is stored as U16/);
    });
    it('a shape that does not match the architecture', () => {
      expectReject(
        withHeader(f, (h) => (h['fc2.weight'].shape = [128, 10])),
        /tensor 'fc2.weight': shape \[128, 10\] does not match the architecture's \[10, 128\]/,
      );
      expectReject(
        withHeader(f, (h) => (h['fc1.weight'].shape = [11000, 2])),
        /tensor 'fc1.weight': shape \[11000, 2\] does not match \[22000\], the bytes of int11 per-channel .* packing of the architecture's \[128, 125\]/,
      );
      expectReject(withHeader(f, (h) => (h['fc2.weight'].shape = [10, 127])), /data_offsets \[\d+, \d+\] span 5120 bytes but F32 \[10, 127\] needs 5080/);
      expectReject(withHeader(f, (h) => (h['fc2.weight'].shape = [10, -128])), /shape must be an array of non-negative integers/);
      expectReject(withHeader(f, (h) => (h['fc2.weight'].shape = [1e300])), /shape must be an array of non-negative integers/);
      expectReject(withHeader(f, (h) => (h['fc2.weight'].shape = [2 ** 20, 2 ** 20, 2 ** 20])), /has 1152921504606847000 elements, more than the limit of 2\^31/);
    });
    it('encodings naming an unknown tensor', () => {
      expectReject(
        withMeta(f, 'encodings', (e) => void (e['fc9.weight'] = { kind: 'fp32' })),
        /__metadata__.encodings names tensor 'fc9.weight', which architecture 'article-net' does not have/,
      );
    });
  });

  describe('data_offsets', () => {
    const offsetsOf = (name: string) => describeModelFile(f).tensors.find((t) => t.name === name)!.dataOffsets;
    it('not integers', () => {
      expectReject(withHeader(f, (h) => (h['conv1.bias'].data_offsets = [0.5, 20])), /tensor 'conv1.bias': data_offsets must be two non-negative integers, got \[0.5,20\]/);
      expectReject(withHeader(f, (h) => (h['conv1.bias'].data_offsets = ['0', '20'])), /data_offsets must be two non-negative integers/);
      expectReject(withHeader(f, (h) => (h['conv1.bias'].data_offsets = [0])), /data_offsets must be \[begin, end\]/);
      expectReject(withHeader(f, (h) => (h['conv1.bias'].data_offsets = [-4, 16])), /data_offsets must be two non-negative integers/);
    });
    it('reversed', () => {
      expectReject(withHeader(f, (h) => (h['conv1.bias'].data_offsets = [20, 0])), /tensor 'conv1.bias': data_offsets \[20, 0\] are reversed/);
    });
    it('out of range', () => {
      expectReject(withHeader(f, (h) => (h['fc2.bias'].data_offsets = [1e9, 1e9 + 4])), /tensor 'fc2.bias': data_offsets \[1000000000, 1000000004\] run past the end of the data/);
    });
    it('overlapping', () => {
      expect(offsetsOf('conv1.bias')).toEqual([0, 20]);
      expectReject(withHeader(f, (h) => (h['conv2.bias'].data_offsets = [0, 20])), /tensor '(conv1|conv2).bias': data_offsets \[0, 20\] overlap those of tensor '(conv1|conv2).bias'/);
      expectReject(withHeader(f, (h) => (h['conv2.bias'].data_offsets = [16, 36])), /tensor 'conv2.bias': data_offsets \[16, 36\] overlap those of tensor 'conv1.bias'/);
    });
    it('leaving a gap', () => {
      expectReject(withHeader(f, (h) => (h['conv2.bias'].data_offsets = [24, 44])), /tensor 'conv2.bias': data_offsets \[24, 44\] leave a gap: bytes 20..24 belong to no tensor/);
      // first tensor not at 0
      const [b, e] = offsetsOf('fc2.bias');
      expect(e).toBe(describeModelFile(f).dataBytes);
      expectReject(withHeader(f, (h) => delete h['conv1.bias']), /tensor 'conv2.bias': data_offsets \[20, 40\] leave a gap: bytes 0..20/);
      expect(b).toBeGreaterThan(0);
    });
    it('trailing bytes', () => {
      const g = new Uint8Array(f.length + 3);
      g.set(f);
      expectReject(g, /3 trailing bytes after the last tensor's data/);
    });
  });

  describe('values', () => {
    it('NaN or Infinity in decoded weights, naming tensor and index', () => {
      const info = describeModelFile(f);
      const at = (name: string) => 8 + info.headerBytes + info.tensors.find((t) => t.name === name)!.dataOffsets[0];
      const g = f.slice();
      new DataView(g.buffer).setFloat32(at('fc2.weight') + 4 * 130, NaN, true);
      expectReject(g, /tensor 'fc2.weight' holds NaN at index 130 \[1, 2\]: weights must be finite/);
      const h = f.slice();
      new DataView(h.buffer).setUint16(at('conv1.weight') + 2 * 3, 0xfc00, true);
      expectReject(h, /tensor 'conv1.weight' holds -Infinity at index 3 \[0, 1, 0, 0\]/);
    });
    it('non-zero padding bits of packed data', () => {
      const info = describeModelFile(f);
      const t = info.tensors.find((x) => x.name === 'fc2.bias')!; // 10 × 3 bits = 30 bits in 4 bytes
      const g = f.slice();
      g[8 + info.headerBytes + t.dataOffsets[1] - 1] |= 0x80;
      expectReject(g, /tensor 'fc2.bias': data has non-zero padding bits/);
    });
  });

  describe('linear encodings', () => {
    const enc = (name: string, fn: (e: Json) => void) => withMeta(f, 'encodings', (all) => void fn(all[name]));
    it.each<[string, (e: Json) => void, RegExp]>([
      ['bits 1', (e) => (e.bits = 1), /tensor 'fc1.weight': linear encoding: bits must be an integer from 2 to 16, got 1 \(in __metadata__.encodings\)/],
      ['bits 17', (e) => (e.bits = 17), /bits must be an integer from 2 to 16, got 17/],
      ['scale 0', (e) => (e.scale[5] = 0), /tensor 'fc1.weight': linear encoding: scale\[5\] must be a finite number > 0, got 0/],
      ['scale negative', (e) => (e.scale[0] = -0.1), /scale\[0\] must be a finite number > 0, got -0.1/],
      ['scale NaN (null in JSON)', (e) => (e.scale[0] = null), /scale\[0\] must be a finite number > 0, got null/],
      ['scale a string', (e) => (e.scale[0] = '0.1'), /scale\[0\] must be a finite number > 0, got "0.1"/],
      ['too few scales', (e) => e.scale.pop(), /needs 128 scales \(along axis 0 of \[128, 125\]\), got 127/],
      ['per-tensor with 128 scales', (e) => (e.axis = null), /needs 1 scale \(per-tensor\), got 128/],
      ['axis out of the shape', (e) => (e.axis = 2), /axis must be null or an integer from 0 to 1/],
      ['zero point out of range', (e) => (e.zeroPoint[3] = 1024), /zeroPoint\[3\] must be an integer from -1024 to 1023 \(11-bit signed\), got 1024/],
      ['zero point not an integer', (e) => (e.zeroPoint[0] = 0.5), /zeroPoint\[0\] must be an integer/],
      ['signed missing', (e) => delete e.signed, /signed must be true or false/],
      ['unknown kind', (e) => (e.kind = 'kmeans'), /tensor 'fc1.weight': unknown encoding kind "kmeans"/],
    ])('%s', (_label, fn, message) => {
      expectReject(enc('fc1.weight', fn), message);
    });
    it('bits changed consistently with the dtype still must match the stored shape', () => {
      expectReject(enc('fc1.weight', (e) => (e.bits = 12)), /shape \[22000\] does not match \[24000\], the bytes of int12/);
    });
  });
});

describe('serializeModel refuses what parseModel would refuse', () => {
  it('a value beyond the float16 range', () => {
    const m = initModel(articleNet(), 1);
    m.weights['fc2.weight'][3] = 1e5;
    m.encodings = { 'fc2.weight': { kind: 'fp16' } };
    expect(() => serializeModel(m)).toThrow(/tensor 'fc2.weight': value 100000 at index 3 is outside the float16 range/);
  });
  it('an invalid encoding, or one for an unknown tensor', () => {
    const m = initModel(articleNet(), 1);
    m.encodings = { 'fc2.weight': { kind: 'linear', bits: 1, signed: true, axis: null, scale: [1], zeroPoint: [0] } };
    expect(() => serializeModel(m)).toThrow(/tensor 'fc2.weight': linear encoding: bits must be/);
    m.encodings = { 'fc9.weight': { kind: 'fp32' } };
    expect(() => serializeModel(m)).toThrow(/encodings name tensor 'fc9.weight'/);
  });
  it('an invalid model or architecture', () => {
    const m = initModel(articleNet(), 1);
    m.weights['fc2.bias'][0] = NaN;
    expect(() => serializeModel(m)).toThrow(/fc2.bias/);
    const n = initModel(articleNet(), 1);
    (n.architecture.layers[0] as unknown as Record<string, unknown>).groups = 2;
    expect(() => serializeModel(n)).toThrow(/cannot serialize model 'article-net': .*unknown field 'groups'/);
  });
});

// ---------------------------------------------------------------------------
// Corruption fuzzing

describe('corruption fuzzing', () => {
  const original = mixedFile;
  const reference = parseModel(original);
  const origInfo = describeModelFile(original);
  const N = origInfo.headerBytes;
  const headerEnd = 8 + N;
  const names = origInfo.tensors.map((t) => t.name);
  const floatTensors = origInfo.tensors.filter((t) => t.dtype === 'F32' || t.dtype === 'F16');
  const origArchJson = origInfo.metadata.architecture;

  interface Corruption {
    label: string;
    apply: (file: Uint8Array) => Uint8Array;
    /** Set when this corruption alone must be refused, with a message matching it. */
    mustFail?: RegExp;
  }

  /** Header edits are made on the decomposed header; a file too broken to decompose is left as is. */
  const headerEdit = (label: string, fn: (h: Json) => void, pad = true): Corruption => ({
    label,
    apply: (file) => {
      let parts;
      try {
        parts = decompose(file);
      } catch {
        return file;
      }
      if (typeof parts.header !== 'object' || parts.header === null) return file;
      try {
        fn(parts.header);
      } catch {
        return file;
      }
      return assemble(parts.header, parts.data, pad);
    },
  });
  const metaEdit = (label: string, key: string, fn: (v: Json) => Json): Corruption =>
    headerEdit(label, (h) => {
      const v = JSON.parse(h.__metadata__[key]);
      const r = fn(v);
      h.__metadata__[key] = JSON.stringify(r === undefined ? v : r);
    });

  const json = fc.jsonValue({ maxDepth: 2 });
  const name = fc.constantFrom(...names);
  const anyInt = fc.oneof(fc.integer({ min: -3, max: 40 }), fc.integer({ min: -1e6, max: 1e10 }), fc.constant(2 ** 31), fc.double());

  const flips = fc
    .array(fc.tuple(fc.oneof(fc.nat(headerEnd - 1), fc.nat(original.length - 1)), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 })
    .map(
      (fl): Corruption => ({
        label: `flip ${JSON.stringify(fl)}`,
        apply: (file) => {
          const g = file.slice();
          for (const [p, m] of fl) if (p < g.length) g[p] ^= m;
          return g;
        },
      }),
    );
  const dataFlips = fc
    .array(fc.tuple(fc.integer({ min: headerEnd, max: original.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 })
    .map(
      (fl): Corruption => ({
        label: `data flip ${JSON.stringify(fl)}`,
        apply: (file) => {
          const g = file.slice();
          for (const [p, m] of fl) if (p < g.length) g[p] ^= m;
          return g;
        },
      }),
    );
  const truncate = fc.nat(original.length - 1).map(
    (k): Corruption => ({ label: `truncate to ${k}`, apply: (file) => file.slice(0, Math.min(k, file.length - 1)), mustFail: /./ }),
  );
  const headerLen = fc
    .oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -64, max: 64 }).map((d) => BigInt(Math.max(0, N + d))))
    .map(
      (v): Corruption => ({
        label: `header length ${v}`,
        apply: (file) => {
          const g = file.slice();
          if (g.length >= 8) new DataView(g.buffer).setBigUint64(0, v, true);
          return g;
        },
        mustFail: v === BigInt(N) ? undefined : /header length|JSON|UTF-8|trailing|data_offsets|tensor/,
      }),
    );
  const insert = fc.tuple(fc.nat(original.length), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(
    ([p, bytes]): Corruption => ({
      label: `insert ${bytes.length} bytes at ${p}`,
      apply: (file) => {
        const q = Math.min(p, file.length);
        const g = new Uint8Array(file.length + bytes.length);
        g.set(file.subarray(0, q));
        g.set(bytes, q);
        g.set(file.subarray(q), q + bytes.length);
        return g;
      },
    }),
  );
  const remove = fc.tuple(fc.nat(original.length - 1), fc.integer({ min: 1, max: 16 })).map(
    ([p, n]): Corruption => ({
      label: `delete ${n} bytes at ${p}`,
      apply: (file) => {
        const g = new Uint8Array(Math.max(0, file.length - n));
        g.set(file.subarray(0, Math.min(p, g.length)));
        if (p + n < file.length) g.set(file.subarray(p + n), p);
        return g;
      },
    }),
  );

  const headerMutation: fc.Arbitrary<Corruption> = fc.oneof(
    fc.tuple(name, fc.tuple(anyInt, anyInt)).map(([n, o]) => headerEdit(`offsets of ${n} = ${o}`, (h) => (h[n].data_offsets = o))),
    fc.tuple(name, fc.integer({ min: -8, max: 8 }), fc.boolean()).map(([n, d, both]) =>
      headerEdit(`shift offsets of ${n} by ${d}`, (h) => {
        h[n].data_offsets[1] += d;
        if (both) h[n].data_offsets[0] += d;
      }),
    ),
    fc.tuple(name, name).map(([a, b]) =>
      headerEdit(`swap offsets ${a} ${b}`, (h) => ([h[a].data_offsets, h[b].data_offsets] = [h[b].data_offsets, h[a].data_offsets])),
    ),
    fc
      .tuple(name, fc.constantFrom('F32', 'F16', 'BF16', 'I8', 'U8', 'I16', 'U16', 'I32', 'U32', 'F64', 'BOOL', 'Q4', 'f32', ''))
      .map(([n, d]) => headerEdit(`dtype of ${n} = ${d}`, (h) => (h[n].dtype = d))),
    fc
      .tuple(name, fc.oneof(fc.array(fc.nat(300), { maxLength: 4 }), fc.constant('reverse' as const), json))
      .map(([n, s]) => headerEdit(`shape of ${n} = ${JSON.stringify(s)}`, (h) => (h[n].shape = s === 'reverse' ? h[n].shape.slice().reverse() : s))),
    name.map((n) => headerEdit(`delete ${n}`, (h) => delete h[n])),
    fc.tuple(fc.oneof(fc.string(), name), json).map(([n, v]) => headerEdit(`set entry ${JSON.stringify(n)}`, (h) => (h[n] = v))),
    fc
      .tuple(fc.constantFrom('format', 'formatVersion', 'architecture', 'encodings', 'provenance', 'other'), fc.oneof(fc.string(), json.map((v) => JSON.stringify(v) ?? ''), json, fc.constant(undefined)))
      .map(([k, v]) =>
        headerEdit(`metadata ${k} = ${JSON.stringify(v)}`, (h) => {
          if (v === undefined) delete h.__metadata__[k];
          else h.__metadata__[k] = v;
        }),
      ),
    // Architecture: one field of one layer, or the layer list.
    fc
      .tuple(
        fc.nat(12),
        fc.constantFrom('kind', 'name', 'filters', 'kernel', 'stride', 'padding', 'bias', 'units', 'window', 'extra'),
        fc.oneof(
          json,
          fc.constantFrom(...LAYER_KINDS),
          fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 })),
          fc.integer({ min: -2, max: 300 }),
          fc.boolean(),
          fc.constantFrom('valid', 'same', 'relu9'),
        ),
      )
      .map(([i, k, v]) =>
        metaEdit(`architecture layer ${i}.${k} = ${JSON.stringify(v)}`, 'architecture', (a) => {
          const l = a.layers[i % a.layers.length];
          if (v === null && k !== 'name') delete l[k];
          else l[k] = v;
        }),
      ),
    fc.tuple(fc.nat(12), fc.nat(12), fc.constantFrom('swap', 'delete', 'duplicate')).map(([i, j, op]) =>
      metaEdit(`architecture ${op} layers ${i} ${j}`, 'architecture', (a) => {
        const L = a.layers;
        const x = i % L.length;
        const y = j % L.length;
        if (op === 'swap') [L[x], L[y]] = [L[y], L[x]];
        else if (op === 'delete') L.splice(x, 1);
        else L.splice(y, 0, { ...L[x] });
      }),
    ),
    fc
      .tuple(fc.constantFrom('name', 'inputShape', 'layers'), fc.oneof(json, fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 }))))
      .map(([k, v]) => metaEdit(`architecture.${k} = ${JSON.stringify(v)}`, 'architecture', (a) => void (a[k] = v))),
    // Encodings: one field of one tensor's encoding, a nudge to a scale or zero point, or a whole new encoding.
    fc
      .tuple(
        name,
        fc.constantFrom('kind', 'bits', 'signed', 'axis', 'scale', 'zeroPoint', 'extra'),
        fc.oneof(json, fc.integer({ min: -2, max: 18 }), fc.boolean(), fc.constantFrom('fp32', 'fp16', 'linear'), fc.array(fc.double(), { maxLength: 6 })),
      )
      .map(([n, k, v]) =>
        metaEdit(`encoding ${n}.${k} = ${JSON.stringify(v)}`, 'encodings', (e) => {
          e[n] ??= { kind: 'fp32' };
          e[n][k] = v;
        }),
      ),
    fc.tuple(name, fc.nat(200), fc.double({ min: -2, max: 4, noNaN: true }), fc.integer({ min: -3, max: 3 })).map(([n, i, factor, dz]) =>
      metaEdit(`encoding ${n} scale[${i}] *= ${factor}, zeroPoint += ${dz}`, 'encodings', (e) => {
        if (e[n]?.kind !== 'linear') return;
        const c = i % e[n].scale.length;
        e[n].scale[c] *= factor;
        e[n].zeroPoint[c] += dz;
      }),
    ),
    fc
      .tuple(name, fc.constantFrom<Json>({ kind: 'fp32' }, { kind: 'fp16' }, undefined, { kind: 'linear', bits: 8, signed: true, axis: null, scale: [0.01], zeroPoint: [0] }))
      .map(([n, v]) =>
        metaEdit(`encoding ${n} = ${JSON.stringify(v)}`, 'encodings', (e) => {
          if (v === undefined) delete e[n];
          else e[n] = v;
        }),
      ),
    json.map((v) => metaEdit(`provenance = ${JSON.stringify(v)}`, 'provenance', () => v)),
    fc.constant(headerEdit('unpadded header', () => {}, false)),
  );

  const nanInjection = fc
    .tuple(fc.constantFrom(...floatTensors), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity))
    .map(([t, k, v]): Corruption => {
      const i = k % t.elements;
      return {
        label: `${v} into ${t.name}[${i}]`,
        apply: (file) => {
          const g = file.slice();
          const at = headerEnd + t.dataOffsets[0];
          if (at + 4 > g.length) return g;
          const dv = new DataView(g.buffer);
          if (t.dtype === 'F32') dv.setFloat32(at + 4 * i, v, true);
          else dv.setUint16(at + 2 * i, Number.isNaN(v) ? 0x7e00 : v > 0 ? 0x7c00 : 0xfc00, true);
          return g;
        },
        mustFail: new RegExp(`tensor '${t.name.replace('.', '\\.')}' holds ${v} at index ${i} `),
      };
    });

  const corruption = fc
    .oneof(
    { arbitrary: flips, weight: 2 },
    { arbitrary: dataFlips, weight: 2 },
    { arbitrary: truncate, weight: 1 },
    { arbitrary: headerLen, weight: 1 },
    { arbitrary: insert, weight: 1 },
    { arbitrary: remove, weight: 1 },
    { arbitrary: headerMutation, weight: 4 },
    { arbitrary: nanInjection, weight: 1 },
    )
    // Counterexamples print as their label rather than as source code.
    .map((c) => Object.assign(c, { [fc.toStringMethod]: () => c.label }));

  it('every corrupted file is refused with a ModelFileError or read as a fully valid model (1,200 runs)', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.array(corruption, { minLength: 1, maxLength: 2 }), (chain) => {
        let file = original;
        for (const c of chain) file = c.apply(file);
        let parsed: Model;
        try {
          parsed = parseModel(file, 'fuzz.safetensors');
        } catch (e) {
          // Only the one error type, naming the file, and never a caught-unexpected failure.
          if (!(e instanceof ModelFileError)) throw e;
          expect(e.message.startsWith('fuzz.safetensors: ')).toBe(true);
          expect(e.message).not.toMatch(/unexpected/);
          if (chain.length === 1 && chain[0].mustFail) expect(e.message).toMatch(chain[0].mustFail);
          refused++;
          return;
        }
        accepted++;
        if (chain.length === 1 && chain[0].mustFail) throw new Error(`${chain[0].label} was accepted`);
        validateModel(parsed);
        const info = describeModelFile(file);
        if (sameBytes(file, original)) {
          // (Not toEqual on the whole model: element-wise typed-array comparison is slow.)
          expect({ ...parsed, weights: null }).toEqual({ ...reference, weights: null });
          for (const n of Object.keys(reference.weights)) expect(sameBits(parsed.weights[n], reference.weights[n]), n).toBe(true);
        }
        if (info.metadata.architecture === origArchJson) expect(parsed.architecture).toEqual(reference.architecture);
        // Tensors whose entry, encoding and bytes did not change decode exactly as before.
        for (const t of info.tensors) {
          const o = origInfo.tensors.find((x) => x.name === t.name);
          if (!o || o.dtype !== t.dtype || JSON.stringify(o.shape) !== JSON.stringify(t.shape)) continue;
          if (JSON.stringify(parsed.encodings![t.name]) !== JSON.stringify(reference.encodings![t.name])) continue;
          const now = file.subarray(8 + info.headerBytes + t.dataOffsets[0], 8 + info.headerBytes + t.dataOffsets[1]);
          const before = original.subarray(headerEnd + o.dataOffsets[0], headerEnd + o.dataOffsets[1]);
          if (sameBytes(now, before)) expect(sameBits(parsed.weights[t.name], reference.weights[t.name]), t.name).toBe(true);
        }
        // Nothing in an accepted file was ignored: every data byte is the
        // canonical encoding of the returned weights, and the metadata says
        // exactly what the returned model holds (no unknown field dropped).
        let covered = 0;
        for (const t of info.tensors) {
          const enc = parsed.encodings![t.name];
          const shape = weightShapes(parsed.architecture)[t.name];
          expect(storedLayout(shape, enc)).toEqual({ dtype: t.dtype, shape: t.shape });
          const stored = file.subarray(8 + info.headerBytes + t.dataOffsets[0], 8 + info.headerBytes + t.dataOffsets[1]);
          expect(sameBytes(encodeTensor(parsed.weights[t.name], shape, enc), stored), t.name).toBe(true);
          covered += stored.length;
        }
        expect(covered).toBe(info.dataBytes);
        expect(canonical(JSON.parse(info.metadata.architecture))).toBe(canonical(parsed.architecture));
        const rawEncodings = JSON.parse(info.metadata.encodings);
        for (const n of Object.keys(parsed.weights)) expect(canonical(rawEncodings[n] ?? { kind: 'fp32' })).toBe(canonical(parsed.encodings![n]));
        expect(canonical(JSON.parse(info.metadata.provenance))).toBe(canonical(parsed.provenance));
        // What was accepted is a first-class model: it writes and reads back identically.
        const again = parseModel(serializeModel(parsed));
        expect(again.architecture).toEqual(parsed.architecture);
        expect(again.encodings).toEqual(parsed.encodings);
        for (const n of Object.keys(parsed.weights)) expect(sameBits(again.weights[n], parsed.weights[n]), n).toBe(true);
      }),
      { numRuns: 1200 },
    );
    // The corruptions must exercise both outcomes, or the test proves little.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(500);
  });
});
