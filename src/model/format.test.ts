/** The model file format: round trips of every encoding, byte lengths, and a file built by hand. */
import { describe, it, expect } from 'vitest';
import { ARCHITECTURES, articleNet, lenet5 } from './architectures.ts';
import type { Architecture } from './layers.ts';
import type { LinearEncoding, Model, TensorEncoding } from './model.ts';
import { initModel, validateModel } from './model.ts';
import { weightShapes } from './shapes.ts';
import { roundArrayToFloat16 } from './fp16.ts';
import { encodedByteLength } from './codecs.ts';
import { FORMAT_NAME, describeModelFile, parseModel, serializeModel } from './format.ts';
import { fitLinear, refLinear, sameBits, sameBytes, headerLength, assemble, expectReject, mixedModel, mixedFile } from './format-test-helpers.ts';

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
            enc.kind === 'fp32'
              ? model.weights[name]
              : enc.kind === 'fp16'
                ? roundArrayToFloat16(model.weights[name])
                : refLinear(model.weights[name], shape, enc as LinearEncoding);
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
