// Every refusal class: an ImportError whose message names the node (or tensor, or input) and the op.
import { describe, expect, it } from 'vitest';
import { modelForward } from '../../cpu/forward.ts';
import { ImportError } from '../types.ts';
import { importOnnx } from './import.ts';
import { NOT_YET_SUPPORTED } from './support.ts';
import type { TestGraph, TestNode } from './test-helpers.ts';
import { buildOnnx, float, int, ints, str, tensor } from './test-helpers.ts';

function refusal(g: TestGraph): ImportError {
  try {
    importOnnx(buildOnnx(g));
  } catch (e) {
    expect(e).toBeInstanceOf(ImportError);
    return e as ImportError;
  }
  throw new Error('expected an ImportError, the import succeeded');
}

/** A conv stem on [N, 1, 28, 28] producing 'c' ([N, 4, 26, 26]), then `rest`. */
function afterConv(rest: TestNode[], extraInits = [] as TestGraph['inits'], opset = 13): TestGraph {
  return {
    opset,
    nodes: [{ op: 'Conv', name: 'stem', inputs: ['x', 'w0', 'b0'], outputs: ['c'], attrs: [ints('kernel_shape', [3, 3])] }, ...rest],
    inits: [tensor('w0', [4, 1, 3, 3]), tensor('b0', [4]), ...(extraInits ?? [])],
  };
}

const conv = (name: string, attrs: ReturnType<typeof int>[], w = 'w1'): TestNode => ({ op: 'Conv', name, inputs: ['c', w], outputs: ['y'], attrs });

describe('refusals of what the lab has no layer for yet (one table)', () => {
  const cases: { label: string; graph: TestGraph; says: RegExp }[] = [
    {
      label: 'Clip with bounds other than relu and relu6',
      graph: afterConv(
        [{ op: 'Clip', name: 'clip', inputs: ['c', 'lo', 'hi'], outputs: ['y'] }],
        [
          { name: 'lo', dims: [], values: [-1] },
          { name: 'hi', dims: [], values: [1] },
        ],
      ),
      says: /^node 'clip' \(Clip\): min -1, max 1 — the lab does not support clipped activations other than relu and relu6 yet; it supports Clip with min 0 and no max/,
    },
    {
      label: 'relu6 with a non-zero floor, opset 9 attributes',
      graph: afterConv([{ op: 'Clip', name: 'r6', inputs: ['c'], outputs: ['y'], attrs: [float('min', 1), float('max', 6)] }], [], 9),
      says: /^node 'r6' \(Clip\): min 1, max 6 — the lab does not support clipped activations other than relu and relu6/,
    },
    {
      label: 'PRelu',
      graph: afterConv([{ op: 'PRelu', name: 'pr', inputs: ['c', 'slope'], outputs: ['y'] }], [tensor('slope', [4, 1, 1])]),
      says: /^node 'pr' \(PRelu\): op PRelu — the lab does not support parametric ReLU yet; it supports Relu, Clip\(0, 6\) \(relu6\), LeakyRelu, Sigmoid and Tanh/,
    },
    {
      label: 'conv pads as large as the kernel',
      graph: afterConv([conv('cv', [ints('pads', [3, 0, 0, 0])])], [tensor('w1', [4, 4, 3, 3])]),
      says: /^node 'cv' \(Conv\): pads \[3, 0, 0, 0\]: pad 3 is not below the kernel 3 along the height — the lab does not support convolution pads as large as the kernel yet/,
    },
    {
      label: 'dilated conv',
      graph: afterConv([conv('dil', [ints('dilations', [2, 2])])], [tensor('w1', [4, 4, 3, 3])]),
      says: /^node 'dil' \(Conv\): dilations \[2, 2\] — the lab does not support dilated convolutions yet/,
    },
    {
      label: 'grouped conv',
      graph: afterConv([conv('grp', [int('group', 2)])], [tensor('w1', [4, 2, 3, 3])]),
      says: /^node 'grp' \(Conv\): group 2 .*does not support grouped convolutions yet/,
    },
    {
      // A multiple of the groups imports as a depthwise multiplier (depth-multiplier.test.ts); 6 outputs over 4 groups is no conv.
      label: 'depthwise group with output channels not a multiple of the groups',
      graph: afterConv([conv('dm', [int('group', 4)])], [tensor('w1', [6, 1, 3, 3])]),
      says: /^node 'dm' \(Conv\): group 4: 6 output channels are not a multiple of the 4 groups/,
    },
    {
      label: 'stand-alone BatchNormalization of a vector',
      graph: afterConv(
        [
          { op: 'Flatten', name: 'f', inputs: ['c'], outputs: ['fc'] },
          { op: 'Relu', name: 'r', inputs: ['fc'], outputs: ['rc'] },
          { op: 'BatchNormalization', name: 'bn', inputs: ['rc', 'g', 'b', 'm', 'v'], outputs: ['y'] },
        ],
        [tensor('g', [2704]), tensor('b', [2704]), tensor('m', [2704]), { name: 'v', dims: [2704], values: new Array<number>(2704).fill(1) }],
      ),
      says: /^node 'bn' \(BatchNormalization\): on a flat tensor with no Gemm\/MatMul right after it \(it ends the chain\), and no dense layer lies between the flatten 'f' and it: it would scale each of the 2704 pixels and channels on its own, which no lab layer holds — the lab does not support a BatchNormalization of a flattened image \(one statistic per pixel and channel\) with no Gemm or MatMul right after it yet/,
    },
    {
      label: 'stand-alone BatchNormalization of a vector before a Relu',
      graph: afterConv(
        [
          { op: 'Flatten', name: 'f', inputs: ['c'], outputs: ['fc'] },
          { op: 'BatchNormalization', name: 'bn', inputs: ['fc', 'g', 'b', 'm', 'v'], outputs: ['bc'] },
          { op: 'Relu', name: 'r', inputs: ['bc'], outputs: ['y'] },
        ],
        [tensor('g', [2704]), tensor('b', [2704]), tensor('m', [2704]), { name: 'v', dims: [2704], values: new Array<number>(2704).fill(1) }],
      ),
      says: /^node 'bn' \(BatchNormalization\): on a flat tensor with no Gemm\/MatMul right after it \('r' \(Relu\) follows it\), and no dense layer lies between the flatten 'f' and it/,
    },
    {
      label: 'GlobalAveragePool of a flat tensor',
      graph: afterConv([
        { op: 'Flatten', name: 'f', inputs: ['c'], outputs: ['fc'] },
        { op: 'GlobalAveragePool', name: 'gap', inputs: ['fc'], outputs: ['y'] },
      ]),
      says: /^node 'gap' \(GlobalAveragePool\): needs an NCHW image input, but the tensor here is \[N, 2704\]/,
    },
    {
      label: 'BatchNormalization in training mode',
      graph: afterConv(
        [{ op: 'BatchNormalization', name: 'bnt', inputs: ['c', 'g', 'b', 'm', 'v'], outputs: ['y'], attrs: [int('training_mode', 1)] }],
        [tensor('g', [4]), tensor('b', [4]), tensor('m', [4]), tensor('v', [4])],
        15,
      ),
      says: /^node 'bnt' \(BatchNormalization\): training_mode 1 — the lab does not support BatchNormalization in training mode yet/,
    },
    {
      label: 'pooling pads as large as the window',
      graph: afterConv([{ op: 'MaxPool', name: 'mp', inputs: ['c'], outputs: ['y'], attrs: [ints('kernel_shape', [2, 2]), ints('pads', [1, 2, 1, 1])] }]),
      says: /^node 'mp' \(MaxPool\): pads \[1, 2, 1, 1\]: pad 2 is not below the window 2 along the width — the lab does not support pooling pads as large as the window yet/,
    },
    {
      label: 'pooling in ceil mode with a partial window',
      graph: afterConv([
        { op: 'AveragePool', name: 'ap', inputs: ['c'], outputs: ['y'], attrs: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), int('ceil_mode', 1)] },
      ]),
      says: /^node 'ap' \(AveragePool\): ceil_mode 1 on a 26×26 input .* does not support pooling in ceil mode yet/,
    },
    {
      label: 'per-channel input normalization',
      graph: { nodes: [{ op: 'Sub', name: 'norm', inputs: ['x', 'mean'], outputs: ['y'] }], inits: [tensor('mean', [1, 3, 1, 1])], input: [1, 3, 8, 8] },
      says: /^node 'norm' \(Sub\): Sub by \[1, 3, 1, 1\] different values — the lab does not support per-channel or non-constant input normalization yet/,
    },
    {
      label: 'Softmax before the end',
      graph: {
        nodes: [
          { op: 'Flatten', name: 'f', inputs: ['x'], outputs: ['fx'] },
          { op: 'Softmax', name: 'sm', inputs: ['fx'], outputs: ['s'] },
          { op: 'Relu', name: 'r', inputs: ['s'], outputs: ['y'] },
        ],
      },
      says: /^node 'sm' \(Softmax\): its output feeds further nodes — the lab does not support Softmax or LogSoftmax anywhere but at the end yet/,
    },
  ];
  for (const c of cases) {
    it(c.label, () => {
      const e = refusal(c.graph);
      expect(e.message).toMatch(c.says);
      expect(e.where).toBeTruthy();
    });
  }

  it('every table entry says what is missing and what the lab supports', () => {
    for (const [key, e] of Object.entries(NOT_YET_SUPPORTED)) {
      expect(e.what.length, key).toBeGreaterThanOrEqual(3);
      expect(e.supported.length, key).toBeGreaterThan(3);
    }
  });
});

describe('refusals of graphs that are not one chain', () => {
  it('a tensor consumed twice names both consumers', () => {
    const e = refusal(
      afterConv([
        { op: 'Relu', name: 'a', inputs: ['c'], outputs: ['ra'] },
        { op: 'Relu', name: 'b', inputs: ['c'], outputs: ['y'] },
      ]),
    );
    expect(e.message).toBe("tensor 'c' is consumed by 2 nodes (node 'a' (Relu), node 'b' (Relu)); the lab imports sequential models, without branches");
  });

  it('Add of two activations (a residual) names the Add', () => {
    const e = refusal(
      afterConv([
        { op: 'Relu', name: 'r', inputs: ['c'], outputs: ['rc'] },
        { op: 'Conv', name: 'c2', inputs: ['rc', 'w1'], outputs: ['c2o'], attrs: [ints('pads', [1, 1, 1, 1])] },
        { op: 'Add', name: 'res', inputs: ['c2o', 'rc'], outputs: ['y'] },
      ]),
    );
    // 'rc' feeds both the Conv and the Add: the branch is found at 'rc'.
    expect(e.message).toMatch(/^tensor 'rc' is consumed by 2 nodes \(node 'c2' \(Conv\), node 'res' \(Add\)\)/);
  });

  it('Concat of the input with a computed tensor names the Concat', () => {
    const e = refusal({
      nodes: [
        { op: 'Relu', name: 'r', inputs: ['x'], outputs: ['rx'] },
        { op: 'Concat', name: 'cat', inputs: ['rx', 'other'], outputs: ['y'], attrs: [int('axis', 1)] },
        { op: 'Relu', name: 'r2', inputs: ['x2'], outputs: ['other'] },
      ],
      outputs: ['y'],
    });
    expect(e.message).toMatch(/^node 'cat' \(Concat\): combines two computed tensors \('rx' and 'other'\)/);
  });

  it('an op the lab never imports, and a foreign domain', () => {
    expect(refusal(afterConv([{ op: 'Resize', name: 'rs', inputs: ['c'], outputs: ['y'] }])).message).toMatch(
      /^node 'rs' \(Resize\): op Resize is not one the lab imports; it imports sequential models of Conv, MaxPool/,
    );
    expect(refusal(afterConv([{ op: 'Relu', name: 'ms', inputs: ['c'], outputs: ['y'], domain: 'com.microsoft' }])).message).toMatch(
      /^node 'ms' \(Relu\): its domain 'com.microsoft' is not the default ONNX domain/,
    );
  });
});

describe('refusals of files and inputs', () => {
  it('truncated and corrupt protobuf: ImportError, never a raw protobufjs error', () => {
    const good = buildOnnx(afterConv([{ op: 'Relu', inputs: ['c'], outputs: ['y'] }]));
    for (const bad of [good.subarray(0, good.length - 7), Uint8Array.of(0x0a, 0xff, 0xff), Uint8Array.of(0xff, 0xff, 0xff, 0xff), new Uint8Array(0)]) {
      expect(() => importOnnx(bad)).toThrow(ImportError);
    }
    expect(() => importOnnx(Uint8Array.of(0x3a, 0x05, 0x0a))).toThrow(/not a readable ONNX file \(the protobuf is truncated or corrupt/);
  });

  it('external data without the data names the tensor', () => {
    const g = afterConv([{ op: 'Relu', inputs: ['c'], outputs: ['y'] }]);
    g.inits![0] = { name: 'w0', dims: [4, 1, 3, 3], external: 'weights.bin' };
    const e = refusal(g);
    expect(e.message).toMatch(/^tensor 'w0' keeps its values in an external file \('weights.bin'\), which was not given/);
    expect(e.where).toBe('w0');
  });

  it('opsets outside 9–21', () => {
    for (const opset of [8, 22]) {
      expect(refusal({ ...afterConv([{ op: 'Relu', inputs: ['c'], outputs: ['y'] }]), opset }).message).toMatch(
        new RegExp(`^the model uses opset ${opset}; the lab imports opsets 9–21`),
      );
    }
  });

  it('a dynamic dimension other than the batch', () => {
    expect(refusal({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], input: ['N', 1, 'H', 28] }).message).toBe(
      "input 'x' is [N, 1, H, 28]: dimension 2 is symbolic ('H'); only the batch may be dynamic",
    );
  });

  it('expectInput names the input and what the MNIST flows need', () => {
    const g = buildOnnx({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], input: [1, 3, 32, 32] });
    expect(() => importOnnx(g, { expectInput: [28, 28, 1] })).toThrow("input 'x' is [1,3,32,32]; the lab's MNIST flows need a 28×28 single-channel image");
  });

  it('non-finite weights name the tensor and node', () => {
    const g = afterConv([{ op: 'Relu', inputs: ['c'], outputs: ['y'] }]);
    g.inits![1] = { name: 'b0', dims: [4], values: [0, NaN, 0, 0] };
    expect(refusal(g).message).toMatch(/^tensor 'stem.bias' \(from stem\) holds a non-finite value \(NaN\) at index 1/);
  });
});

describe('what maps although it looks unusual', () => {
  it('Clip(0, no max) is a relu; explicit symmetric pads that equal same; Squeeze of 1×1; Softmax with the opset-11 axis default', () => {
    const bytes = buildOnnx({
      opset: 11,
      nodes: [
        { op: 'Conv', name: 'c1', inputs: ['x', 'w'], outputs: ['a'], attrs: [ints('pads', [1, 1, 1, 1])] },
        { op: 'Clip', name: 'clip', inputs: ['a', 'zero'], outputs: ['b'] },
        { op: 'Conv', name: 'c2', inputs: ['b', 'w2'], outputs: ['c'], attrs: [str('auto_pad', 'VALID')] },
        { op: 'Squeeze', name: 'sq', inputs: ['c'], outputs: ['d'], attrs: [ints('axes', [2, 3])] },
        { op: 'Softmax', name: 'sm', inputs: ['d'], outputs: ['y'] },
      ],
      inits: [tensor('w', [2, 1, 3, 3]), { name: 'zero', dims: [], values: [0] }, tensor('w2', [3, 2, 8, 8], 3)],
      input: [1, 1, 8, 8],
    });
    const { model } = importOnnx(bytes);
    expect(model.architecture.layers.map((l) => l.kind)).toEqual(['conv2d', 'relu', 'conv2d', 'flatten', 'softmax']);
    expect(model.architecture.layers[0]).toMatchObject({ padding: 'same', stride: [1, 1] });
    const y = modelForward(model, new Float32Array(64).fill(0.5), 1);
    expect(y.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});

describe('global pooling and a stand-alone BatchNormalization (mapped onto existing lab layers)', () => {
  /** [1, 2, 3, 3] NCHW values → the lab's NHWC order. */
  const nchw = Array.from({ length: 18 }, (_, i) => ((i * 37) % 11) / 10 - 0.4);
  const nhwc = Float32Array.from({ length: 18 }, (_, i) => nchw[(i % 2) * 9 + Math.floor(i / 2)]);

  it('BatchNormalization right after the input, then Relu, BatchNormalization, GlobalMaxPool, Flatten: 1×1 depthwise convs and a 3×3 max pool', () => {
    const [g, b, m, v] = [
      [1.5, -0.5],
      [0.1, 0.2],
      [0.3, -0.2],
      [0.25, 4],
    ];
    const bytes = buildOnnx({
      nodes: [
        { op: 'BatchNormalization', name: 'bn_in', inputs: ['x', 'g', 'b', 'm', 'v'], outputs: ['a'], attrs: [float('epsilon', 0.01)] },
        { op: 'Relu', name: 'r', inputs: ['a'], outputs: ['ra'] },
        { op: 'BatchNormalization', name: 'bn_mid', inputs: ['ra', 'g', 'b', 'm', 'v'], outputs: ['c'] },
        { op: 'GlobalMaxPool', name: 'gmp', inputs: ['c'], outputs: ['p'] },
        { op: 'Flatten', name: 'f', inputs: ['p'], outputs: ['y'] },
      ],
      inits: [
        { name: 'g', dims: [2], values: g },
        { name: 'b', dims: [2], values: b },
        { name: 'm', dims: [2], values: m },
        { name: 'v', dims: [2], values: v },
      ],
      input: [1, 2, 3, 3],
    });
    const { model, report } = importOnnx(bytes);
    expect(model.architecture.layers).toEqual([
      { name: 'bn_in', kind: 'depthwiseConv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
      { name: 'r', kind: 'relu' },
      { name: 'bn_mid', kind: 'depthwiseConv2d', kernel: [1, 1], stride: [1, 1], padding: 'valid', bias: true },
      { name: 'gmp', kind: 'maxPool2d', window: [3, 3], stride: [3, 3] },
      { name: 'f', kind: 'flatten' },
    ]);
    expect(report.layers.slice(0, 3).map((l) => l.from)).toEqual([['bn_in'], ['r'], ['bn_mid']]);
    const notes = report.notes.join('\n');
    expect(notes).toMatch(
      /BatchNormalization 'bn_in' \(epsilon 0\.01\) has no Conv\/Gemm\/MatMul right before it to fold into: it became the 1×1 depthwise conv 'bn_in'/,
    );
    expect(notes).toMatch(/GlobalMaxPool 'gmp' on a 3×3 input became the maxPool2d 'gmp' with window = stride = \[3, 3\]/);
    const bn = (x: number, c: number, eps: number) => ((x - m[c]) / Math.sqrt(v[c] + eps)) * g[c] + b[c];
    const want = [0, 1].map((c) => Math.max(...nchw.slice(c * 9, c * 9 + 9).map((x) => bn(Math.max(bn(x, c, 0.01), 0), c, 1e-5))));
    const y = modelForward(model, nhwc, 1);
    expect(y.length).toBe(2);
    for (let c = 0; c < 2; c++) expect(y[c]).toBeCloseTo(want[c], 5);
  });

  it('GlobalAveragePool then Flatten: the mean over H×W of each channel', () => {
    const bytes = buildOnnx({
      nodes: [
        { op: 'GlobalAveragePool', name: 'gap', inputs: ['x'], outputs: ['p'] },
        { op: 'Flatten', name: 'f', inputs: ['p'], outputs: ['y'] },
      ],
      input: [1, 2, 3, 3],
    });
    const { model } = importOnnx(bytes);
    expect(model.architecture.layers.map((l) => l.kind)).toEqual(['avgPool2d', 'flatten']);
    const y = modelForward(model, nhwc, 1);
    for (let c = 0; c < 2; c++) expect(y[c]).toBeCloseTo(nchw.slice(c * 9, c * 9 + 9).reduce((s, x) => s + x, 0) / 9, 5);
  });
});

describe('relu6, leaky ReLU, sigmoid, tanh and explicit pads (the activation layer, explicit padding)', () => {
  const x = Float32Array.from({ length: 64 }, (_, i) => ((i * 53) % 17) / 2 - 4);

  /** A direct NCHW convolution of the 1×8×8 input `x` (one input channel, so NCHW = NHWC), returned NHWC. */
  function refConv(w: number[], o: number, k: number, s: number, [t, l, b, r]: number[]): Float32Array {
    const oh = Math.floor((8 + t + b - k) / s) + 1;
    const ow = Math.floor((8 + l + r - k) / s) + 1;
    const out = new Float32Array(oh * ow * o);
    for (let oc = 0; oc < o; oc++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let acc = 0;
          for (let i = 0; i < k; i++)
            for (let j = 0; j < k; j++) {
              const iy = y * s + i - t;
              const ix = xx * s + j - l;
              if (iy >= 0 && iy < 8 && ix >= 0 && ix < 8) acc += w[(oc * k + i) * k + j] * x[iy * 8 + ix];
            }
          out[(y * ow + xx) * o + oc] = acc;
        }
    return out;
  }

  it('Clip(0, 6) is a relu6, as opset-11+ inputs and as opset-9 attributes', () => {
    const w = tensor('w', [2, 1, 3, 3], 5);
    for (const opset of [13, 9]) {
      const clip =
        opset >= 11
          ? { op: 'Clip', name: 'r6', inputs: ['a', 'lo', 'hi'], outputs: ['y'] }
          : { op: 'Clip', name: 'r6', inputs: ['a'], outputs: ['y'], attrs: [float('min', 0), float('max', 6)] };
      const { model } = importOnnx(
        buildOnnx({
          opset,
          nodes: [{ op: 'Conv', name: 'c1', inputs: ['x', 'w'], outputs: ['a'], attrs: [ints('pads', [1, 1, 1, 1])] }, clip],
          inits: [
            { ...w, values: w.values!.map((v) => v * 8) },
            ...(opset >= 11
              ? [
                  { name: 'lo', dims: [], values: [0] },
                  { name: 'hi', dims: [], values: [6] },
                ]
              : []),
          ],
          input: [1, 1, 8, 8],
        }),
      );
      expect(model.architecture.layers[1]).toEqual({ name: 'r6', kind: 'activation', fn: 'relu6' });
      const want = refConv(
        w.values!.map((v) => v * 8),
        2,
        3,
        1,
        [1, 1, 1, 1],
      ).map((v) => Math.min(Math.max(v, 0), 6));
      expect(want.some((v) => v === 6) && want.some((v) => v === 0)).toBe(true);
      const y = modelForward(model, x, 1);
      for (let i = 0; i < want.length; i++) expect(y[i]).toBeCloseTo(want[i], 4);
    }
  });

  it('explicit pads and SAME_LOWER with an odd total become explicit padding; the output matches a direct convolution', () => {
    const w = tensor('w', [2, 1, 3, 3], 3);
    const cases: { attrs: ReturnType<typeof ints>[]; s: number; pads: number[]; padding: object }[] = [
      { attrs: [ints('pads', [1, 1, 1, 1]), ints('strides', [2, 2])], s: 2, pads: [1, 1, 1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 } },
      { attrs: [ints('pads', [2, 0, 1, 1])], s: 1, pads: [2, 0, 1, 1], padding: { top: 2, bottom: 1, left: 0, right: 1 } },
      { attrs: [str('auto_pad', 'SAME_LOWER'), ints('strides', [2, 2])], s: 2, pads: [1, 1, 0, 0], padding: { top: 1, bottom: 0, left: 1, right: 0 } },
    ];
    for (const c of cases) {
      const { model } = importOnnx(
        buildOnnx({ nodes: [{ op: 'Conv', name: 'c1', inputs: ['x', 'w'], outputs: ['y'], attrs: c.attrs }], inits: [w], input: [1, 1, 8, 8] }),
      );
      expect(model.architecture.layers[0]).toMatchObject({ kind: 'conv2d', padding: c.padding });
      const want = refConv(w.values!, 2, 3, c.s, [c.pads[0], c.pads[1], c.pads[2], c.pads[3]]);
      const y = modelForward(model, x, 1);
      expect(y.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(y[i]).toBeCloseTo(want[i], 5);
    }
  });

  it('LeakyRelu keeps its alpha (default 0.01); Sigmoid and Tanh also on a flat tensor', () => {
    const { model } = importOnnx(
      buildOnnx({
        nodes: [
          { op: 'LeakyRelu', name: 'lr', inputs: ['x'], outputs: ['a'], attrs: [float('alpha', 0.25)] },
          { op: 'LeakyRelu', name: 'lr2', inputs: ['a'], outputs: ['b'] },
          { op: 'Flatten', name: 'f', inputs: ['b'], outputs: ['c'] },
          { op: 'Sigmoid', name: 'sg', inputs: ['c'], outputs: ['d'] },
          { op: 'Tanh', name: 'th', inputs: ['d'], outputs: ['y'] },
        ],
        input: [1, 1, 8, 8],
      }),
    );
    expect(model.architecture.layers).toEqual([
      { name: 'lr', kind: 'activation', fn: 'leakyRelu', alpha: 0.25 },
      { name: 'lr2', kind: 'activation', fn: 'leakyRelu', alpha: 0.01 },
      { name: 'f', kind: 'flatten' },
      { name: 'sg', kind: 'activation', fn: 'sigmoid' },
      { name: 'th', kind: 'activation', fn: 'tanh' },
    ]);
    const y = modelForward(model, x, 1);
    const alpha2 = 0.01;
    x.forEach((v, i) => expect(y[i]).toBeCloseTo(Math.tanh(1 / (1 + Math.exp(-(v > 0 ? v : v * 0.25 * alpha2)))), 5));
  });
});
