import { describe, it, expect } from 'vitest';
import { architecture } from '../model/architectures.ts';
import { exportOnnx } from './onnx-export.ts';
import type { DecodedAttribute, DecodedOnnx } from '../import/onnx/schema.ts';
import { decodeOnnx, ONNX_DTYPE } from '../import/onnx/schema.ts';
import { importedArchitecture, oddArchitecture, testModel } from './test-cases.ts';

const attr = (node: DecodedOnnx['graph']['node'][number], name: string): DecodedAttribute => {
  const a = node.attribute.find((x) => x.name === name);
  if (!a) throw new Error(`node ${node.name} has no attribute ${name}`);
  return a;
};
const dims = (vi: DecodedOnnx['graph']['input'][number]) => vi.type!.tensorType!.shape!.dim.map((d) => d.dimParam ?? d.dimValue);
const floatsOf = (raw: Uint8Array | undefined): Float32Array => {
  if (!raw) throw new Error('initializer without raw_data');
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
};

/** Bitwise-equal float arrays (vitest's deep toEqual is slow on 400k elements). */
const sameFloats = (a: Float32Array | undefined, b: Float32Array): boolean => !!a && a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('exportOnnx: the bytes decode back to the graph we meant', () => {
  it('lenet5: header, op sequence, initializer shapes, interface', () => {
    const model = testModel(architecture('lenet5'), 1);
    const onnx = decodeOnnx(exportOnnx(model));
    expect(onnx.irVersion).toBe(8);
    expect(onnx.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(onnx.producerName).toBe('compression-lab');
    expect(onnx.graph.node.map((n) => n.opType)).toEqual(['Transpose', 'Conv', 'MaxPool', 'Conv', 'MaxPool', 'Transpose', 'Flatten', 'Gemm', 'Relu', 'Gemm']);
    expect(Object.fromEntries(onnx.graph.initializer.map((t) => [t.name, t.dims]))).toEqual({
      'conv1.weight': [20, 1, 5, 5],
      'conv1.bias': [20],
      'conv2.weight': [50, 20, 5, 5],
      'conv2.bias': [50],
      'fc1.weight': [500, 800],
      'fc1.bias': [500],
      'fc2.weight': [10, 500],
      'fc2.bias': [10],
    });
    for (const t of onnx.graph.initializer) expect(t.dataType).toBe(ONNX_DTYPE.FLOAT);
    expect(onnx.graph.input.map((v) => v.name)).toEqual(['input']);
    expect(onnx.graph.output.map((v) => v.name)).toEqual(['logits']);
    expect(dims(onnx.graph.input[0])).toEqual(['N', 28, 28, 1]);
    expect(dims(onnx.graph.output[0])).toEqual(['N', 10]);
    expect(onnx.graph.input[0].type?.tensorType?.elemType).toBe(ONNX_DTYPE.FLOAT);
    const nodes = onnx.graph.node;
    expect(attr(nodes[0], 'perm').ints).toEqual([0, 3, 1, 2]);
    expect(attr(nodes[5], 'perm').ints).toEqual([0, 2, 3, 1]);
    expect(attr(nodes[6], 'axis').i).toBe(1);
    expect(attr(nodes[7], 'transB').i).toBe(1);
    expect(nodes[nodes.length - 1].output).toEqual(['logits']);
    // Every node input is the graph input, an initializer or an earlier node's output: topologically sorted.
    const known = new Set(['input', ...onnx.graph.initializer.map((t) => t.name)]);
    for (const n of nodes) {
      for (const i of n.input) expect(known.has(i), `${n.name} reads ${i}`).toBe(true);
      for (const o of n.output) known.add(o);
    }
  });

  it('conv weights go [outC,kH,kW,inC] → [outC,inC,kH,kW]; dense weights stay [out,in]', () => {
    const model = testModel(architecture('lenet5'), 2);
    const onnx = decodeOnnx(exportOnnx(model));
    const byName = new Map(onnx.graph.initializer.map((t) => [t.name, floatsOf(t.rawData)]));
    const src = model.weights['conv2.weight']; // [50, 5, 5, 20]
    const dst = byName.get('conv2.weight')!; // [50, 20, 5, 5]
    for (const [o, y, x, i] of [
      [0, 0, 0, 0],
      [3, 1, 4, 7],
      [49, 4, 2, 19],
      [17, 2, 3, 11],
    ]) {
      expect(dst[((o * 20 + i) * 5 + y) * 5 + x]).toBe(src[((o * 5 + y) * 5 + x) * 20 + i]);
    }
    expect(sameFloats(byName.get('fc1.weight'), model.weights['fc1.weight'])).toBe(true);
    expect(sameFloats(byName.get('fc2.bias'), model.weights['fc2.bias'])).toBe(true);
  });

  it('depthwise becomes a grouped Conv with [C,1,kH,kW] weights', () => {
    const model = testModel(oddArchitecture(), 3);
    const onnx = decodeOnnx(exportOnnx(model));
    const dw = onnx.graph.node.find((n) => n.name === 'dw')!;
    expect(dw.opType).toBe('Conv');
    expect(attr(dw, 'group').i).toBe(4);
    expect(attr(dw, 'kernel_shape').ints).toEqual([3, 2]);
    expect(attr(dw, 'strides').ints).toEqual([2, 1]);
    const init = onnx.graph.initializer.find((t) => t.name === 'dw.weight')!;
    expect(init.dims).toEqual([4, 1, 3, 2]);
    const src = model.weights['dw.weight']; // [3, 2, 4]
    const dst = floatsOf(init.rawData);
    for (let c = 0; c < 4; c++)
      for (let y = 0; y < 3; y++)
        for (let x = 0; x < 2; x++) {
          expect(dst[(c * 3 + y) * 2 + x]).toBe(src[(y * 2 + x) * 4 + c]);
        }
  });

  it('same padding becomes explicit pads with the odd pixel after; valid pads nothing', () => {
    const onnx = decodeOnnx(exportOnnx(testModel(oddArchitecture(), 4)));
    const pads = (name: string) =>
      attr(
        onnx.graph.node.find((n) => n.name === name)!,
        'pads',
      ).ints;
    // Hand-computed in oddArchitecture(): [top, left, bottom, right].
    expect(pads('c1')).toEqual([1, 1, 2, 1]);
    expect(pads('dw')).toEqual([0, 0, 1, 1]);
    expect(pads('c2')).toEqual([0, 0, 0, 0]);
    expect(onnx.graph.node.map((n) => n.opType)).toEqual([
      'Transpose',
      'Conv',
      'Relu',
      'Conv',
      'Conv',
      'MaxPool',
      'AveragePool',
      'Transpose',
      'Flatten',
      'Gemm',
      'Relu',
      'Gemm',
      'Softmax',
    ]);
    // Bias-free layers pass no C / B input.
    expect(onnx.graph.node.find((n) => n.name === 'c2')!.input).toHaveLength(2);
    expect(onnx.graph.node.find((n) => n.name === 'fc2')!.input).toHaveLength(2);
    expect(
      attr(
        onnx.graph.node.find((n) => n.name === 'sm')!,
        'axis',
      ).i,
    ).toBe(-1);
    expect(dims(onnx.graph.input[0])).toEqual(['N', 15, 13, 2]);
  });

  it('explicit conv and pool pads are written as given (count_include_pad too); activations become Clip(0, 6), LeakyRelu(alpha), Sigmoid, Tanh', () => {
    const onnx = decodeOnnx(exportOnnx(testModel(importedArchitecture(), 4)));
    const node = (name: string) => onnx.graph.node.find((n) => n.name === name)!;
    expect(attr(node('c1'), 'pads').ints).toEqual([2, 1, 0, 2]);
    expect(attr(node('dw'), 'pads').ints).toEqual([0, 1, 1, 0]);
    expect(['a1', 'a2', 'a3', 'a4'].map((n) => node(n).opType)).toEqual(['LeakyRelu', 'Clip', 'Sigmoid', 'Tanh']);
    expect(attr(node('a1'), 'alpha').f).toBeCloseTo(0.125, 7);
    expect(node('a2').input).toHaveLength(3);
    expect(attr(node('mp'), 'pads').ints).toEqual([1, 1, 1, 1]);
    expect(attr(node('apx'), 'pads').ints).toEqual([0, 1, 1, 0]);
    expect(attr(node('apx'), 'count_include_pad').i).toBe(0);
    expect(attr(node('api'), 'count_include_pad').i).toBe(1);
  });

  it('a fixed batch is written as a number; a flatten-first MLP has no spatial ops', () => {
    const onnx = decodeOnnx(exportOnnx(testModel(architecture('lenet-300-100'), 5), { batch: 7 }));
    expect(dims(onnx.graph.input[0])).toEqual([7, 28, 28, 1]);
    expect(dims(onnx.graph.output[0])).toEqual([7, 10]);
    expect(onnx.graph.node.map((n) => n.opType)).toEqual(['Transpose', 'Transpose', 'Flatten', 'Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm']);
  });

  it('rejects a bad batch and a missing or mis-sized weight, naming it', () => {
    const model = testModel(architecture('article-net'), 6);
    expect(() => exportOnnx(model, { batch: 0 })).toThrow(/batch/);
    const missing = { ...model, weights: { ...model.weights } };
    delete missing.weights['fc1.bias'];
    expect(() => exportOnnx(missing)).toThrow(/fc1\.bias/);
    const short = { ...model, weights: { ...model.weights, 'conv2.weight': new Float32Array(3) } };
    expect(() => exportOnnx(short)).toThrow(/conv2\.weight/);
  });

  it('does not modify the model', () => {
    const model = testModel(architecture('lenet5-separable'), 7);
    const before = Object.fromEntries(Object.entries(model.weights).map(([k, v]) => [k, v.slice()]));
    exportOnnx(model);
    for (const [k, v] of Object.entries(before)) expect(sameFloats(model.weights[k], v), k).toBe(true);
  });
});
