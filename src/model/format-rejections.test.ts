/** The model file format: every malformed file is rejected with an error naming what and where, and serializeModel refuses what parseModel would. */
import { describe, it, expect } from 'vitest';
import { articleNet } from './architectures.ts';
import { initModel } from './model.ts';
import { describeModelFile, serializeModel } from './format.ts';
import type { Json } from './format-test-helpers.ts';
import { headerLength, assemble, withHeader, withMeta, retile, expectReject, mixedFile } from './format-test-helpers.ts';

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
      expectReject(
        withHeader(f, (h) => (h['fc2.bias'] = 3)),
        /tensor 'fc2.bias': header entry must be an object/,
      );
      expectReject(
        withHeader(f, (h) => (h['fc2.bias'].extra = 1)),
        /tensor 'fc2.bias': header entry has an unknown field 'extra'/,
      );
    });
  });

  describe('metadata', () => {
    it('missing or not strings', () => {
      expectReject(
        withHeader(f, (h) => delete h.__metadata__),
        /header has no __metadata__/,
      );
      expectReject(
        withHeader(f, (h) => (h.__metadata__ = 'x')),
        /__metadata__ must be an object of strings/,
      );
      expectReject(
        withHeader(f, (h) => (h.__metadata__.formatVersion = 1)),
        /__metadata__.formatVersion must be a string .* got 1/,
      );
    });
    it('unknown format or version', () => {
      expectReject(
        withHeader(f, (h) => delete h.__metadata__.format),
        /__metadata__ has no 'format' field/,
      );
      expectReject(
        withHeader(f, (h) => (h.__metadata__.format = 'gguf')),
        /unknown format "gguf"/,
      );
      expectReject(
        withHeader(f, (h) => delete h.__metadata__.formatVersion),
        /no 'formatVersion' field/,
      );
      expectReject(
        withHeader(f, (h) => (h.__metadata__.formatVersion = '2')),
        /unsupported formatVersion "2" \(this version of the lab reads '1'\)/,
      );
    });
    it('architecture, encodings or provenance missing or not JSON objects', () => {
      expectReject(
        withHeader(f, (h) => delete h.__metadata__.architecture),
        /no 'architecture' field/,
      );
      expectReject(
        withHeader(f, (h) => (h.__metadata__.architecture = '{oops')),
        /__metadata__.architecture is not valid JSON/,
      );
      expectReject(
        withHeader(f, (h) => (h.__metadata__.architecture = '[]')),
        /architecture must be a JSON object/,
      );
      expectReject(
        withHeader(f, (h) => delete h.__metadata__.encodings),
        /no 'encodings' field/,
      );
      expectReject(
        withHeader(f, (h) => (h.__metadata__.encodings = '7')),
        /__metadata__.encodings must be a JSON object/,
      );
      expectReject(
        withHeader(f, (h) => delete h.__metadata__.provenance),
        /no 'provenance' field/,
      );
      expectReject(
        withHeader(f, (h) => (h.__metadata__.provenance = 'null')),
        /__metadata__.provenance must be a JSON object, got null/,
      );
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
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[1].kind = 'gelu')),
        /layer 'relu1' \(#1\) has unknown kind "gelu"/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[0].groups = 2)),
        /layer 'conv1' \(#0\) has an unknown field 'groups'/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void delete a.layers[7].units),
        /layer 'fc1' \(#7\) is missing its 'units' field/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[7].bias = 'yes')),
        /layer 'fc1' \(#7\): bias must be true or false, got "yes"/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[0].padding = 'full')),
        /padding must be 'valid' or 'same'/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[2].window = [2])),
        /window must be two positive integers, got \[2\]/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[3] = null)),
        /layer #3 must be an object/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[3].name = '')),
        /layer #3 needs a non-empty string name/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.inputShape = [28, 28])),
        /inputShape must be \[H, W, C\]/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers = {})),
        /layers must be an array/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.extra = 1)),
        /architecture has an unknown field 'extra'/,
      );
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
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.inputShape = [1e6, 1e6, 1])),
        /layer 'conv1' outputs \[999998, 999998, 5\], more than 2\^31 values per image/,
      );
      expectReject(
        withMeta(f, 'architecture', (a) => void (a.layers[7].units = 2 ** 53)),
        /fc1: units must be|units must be a positive integer/,
      );
    });
  });

  describe('tensors vs the architecture', () => {
    it('a missing tensor', () => {
      expectReject(
        retile(f, (ts) =>
          ts.splice(
            ts.findIndex((t) => t.name === 'fc2.bias'),
            1,
          ),
        ),
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
      expectReject(
        withHeader(f, (h) => (h['fc2.weight'].dtype = 'Q4')),
        /tensor 'fc2.weight': unknown dtype "Q4"/,
      );
      expectReject(
        withHeader(f, (h) => (h['fc2.weight'].dtype = 'f32')),
        /unknown dtype "f32"/,
      );
    });
    it('a dtype that does not match the encoding', () => {
      expectReject(
        withHeader(f, (h) => (h['fc2.weight'].dtype = 'I32')),
        /tensor 'fc2.weight': dtype I32 does not match its encoding fp32, which is stored as F32/,
      );
      expectReject(
        withHeader(f, (h) => (h['conv1.weight'].dtype = 'BF16')),
        /tensor 'conv1.weight': dtype BF16 does not match its encoding fp16, which is stored as F16/,
      );
      expectReject(
        withHeader(f, (h) => (h['conv2.weight'].dtype = 'U8')),
        /dtype U8 does not match its encoding int8 per-channel/,
      );
      expectReject(
        withHeader(f, (h) => (h['fc1.bias'].dtype = 'I16')),
        /dtype I16 does not match its encoding uint16 per-tensor, which is stored as U16/,
      );
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
      expectReject(
        withHeader(f, (h) => (h['fc2.weight'].shape = [10, 127])),
        /data_offsets \[\d+, \d+\] span 5120 bytes but F32 \[10, 127\] needs 5080/,
      );
      expectReject(
        withHeader(f, (h) => (h['fc2.weight'].shape = [10, -128])),
        /shape must be an array of non-negative integers/,
      );
      expectReject(
        withHeader(f, (h) => (h['fc2.weight'].shape = [1e300])),
        /shape must be an array of non-negative integers/,
      );
      expectReject(
        withHeader(f, (h) => (h['fc2.weight'].shape = [2 ** 20, 2 ** 20, 2 ** 20])),
        /has 1152921504606847000 elements, more than the limit of 2\^31/,
      );
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
      expectReject(
        withHeader(f, (h) => (h['conv1.bias'].data_offsets = [0.5, 20])),
        /tensor 'conv1.bias': data_offsets must be two non-negative integers, got \[0.5,20\]/,
      );
      expectReject(
        withHeader(f, (h) => (h['conv1.bias'].data_offsets = ['0', '20'])),
        /data_offsets must be two non-negative integers/,
      );
      expectReject(
        withHeader(f, (h) => (h['conv1.bias'].data_offsets = [0])),
        /data_offsets must be \[begin, end\]/,
      );
      expectReject(
        withHeader(f, (h) => (h['conv1.bias'].data_offsets = [-4, 16])),
        /data_offsets must be two non-negative integers/,
      );
    });
    it('reversed', () => {
      expectReject(
        withHeader(f, (h) => (h['conv1.bias'].data_offsets = [20, 0])),
        /tensor 'conv1.bias': data_offsets \[20, 0\] are reversed/,
      );
    });
    it('out of range', () => {
      expectReject(
        withHeader(f, (h) => (h['fc2.bias'].data_offsets = [1e9, 1e9 + 4])),
        /tensor 'fc2.bias': data_offsets \[1000000000, 1000000004\] run past the end of the data/,
      );
    });
    it('overlapping', () => {
      expect(offsetsOf('conv1.bias')).toEqual([0, 20]);
      expectReject(
        withHeader(f, (h) => (h['conv2.bias'].data_offsets = [0, 20])),
        /tensor '(conv1|conv2).bias': data_offsets \[0, 20\] overlap those of tensor '(conv1|conv2).bias'/,
      );
      expectReject(
        withHeader(f, (h) => (h['conv2.bias'].data_offsets = [16, 36])),
        /tensor 'conv2.bias': data_offsets \[16, 36\] overlap those of tensor 'conv1.bias'/,
      );
    });
    it('leaving a gap', () => {
      expectReject(
        withHeader(f, (h) => (h['conv2.bias'].data_offsets = [24, 44])),
        /tensor 'conv2.bias': data_offsets \[24, 44\] leave a gap: bytes 20..24 belong to no tensor/,
      );
      // first tensor not at 0
      const [b, e] = offsetsOf('fc2.bias');
      expect(e).toBe(describeModelFile(f).dataBytes);
      expectReject(
        withHeader(f, (h) => delete h['conv1.bias']),
        /tensor 'conv2.bias': data_offsets \[20, 40\] leave a gap: bytes 0..20/,
      );
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
      expectReject(
        enc('fc1.weight', (e) => (e.bits = 12)),
        /shape \[22000\] does not match \[24000\], the bytes of int12/,
      );
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
