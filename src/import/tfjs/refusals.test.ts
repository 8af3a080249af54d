/**
 * What the TF.js importer refuses, and how: every refusal is an ImportError
 * that names the layer and its class (and activation), says the lab does not
 * support it (yet) and what it does support. Also broken files: bad JSON,
 * missing or mis-sized shards, weights the manifest does not have.
 */
import { describe, expect, it } from 'vitest';
import type { ImportFile } from '../types.ts';
import { ImportError } from '../types.ts';
import { importTfjs } from './index.ts';
import { handwritten } from './test-helpers.ts';
import { NOT_YET_ACTIVATIONS, NOT_YET_LAYERS } from './support.ts';

type L = { class_name: string; config: Record<string, unknown> };
const input = (shape = [8, 8, 1]): L => ({ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, ...shape], dtype: 'float32' } });
const conv = (name: string, config: Record<string, unknown> = {}): L => ({
  class_name: 'Conv2D',
  config: {
    name,
    filters: 2,
    kernel_size: [3, 3],
    strides: [1, 1],
    padding: 'valid',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    use_bias: true,
    activation: 'linear',
    ...config,
  },
});
const convW = (name: string, inC = 1) => [
  { name: `${name}/kernel`, shape: [3, 3, inC, 2] },
  { name: `${name}/bias`, shape: [2] },
];
const flat: L = { class_name: 'Flatten', config: { name: 'flat' } };
const bnW = (name: string, n: number) =>
  ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) => ({ name: `${name}/${p}`, shape: [n], values: new Array(n).fill(1) }));

function thrown(files: ImportFile[], options = {}): ImportError {
  try {
    importTfjs(files, options);
  } catch (e) {
    expect(e).toBeInstanceOf(ImportError);
    return e as ImportError;
  }
  throw new Error('expected an ImportError');
}

/** A model with `layer` after one conv on an 8×8×1 input. */
function afterConv(layer: L, weights: { name: string; shape: number[] }[] = []): ImportFile[] {
  return handwritten([input(), conv('c1'), layer], [...convW('c1'), ...weights]);
}

describe('layers and activations the lab does not support yet are refused by name', () => {
  const cases: [string, ImportFile[], RegExp][] = [
    [
      'ReLU max_value 3',
      afterConv({ class_name: 'ReLU', config: { name: 'r3', max_value: 3 } }),
      /layer 'r3' \(ReLU\): max_value 3: the lab does not support this yet \(it needs a clipped relu layer kind other than relu6/,
    ],
    [
      'ReLU max_value 6 with a negative slope',
      afterConv({ class_name: 'ReLU', config: { name: 'r6l', max_value: 6, negative_slope: 0.1 } }),
      /layer 'r6l' \(ReLU\): max_value 6 with negative_slope 0.1: the lab does not support this yet/,
    ],
    [
      'Activation hard_sigmoid',
      afterConv({ class_name: 'Activation', config: { name: 'hs', activation: 'hard_sigmoid' } }),
      /layer 'hs' \(Activation, activation 'hard_sigmoid'\).*hard_sigmoid activation yet/,
    ],
    [
      'Activation elu',
      afterConv({ class_name: 'Activation', config: { name: 'e', activation: 'elu' } }),
      /layer 'e' \(Activation, activation 'elu'\).*elu activation yet/,
    ],
    [
      'fused leaky_relu',
      handwritten([input(), conv('c1', { activation: 'leaky_relu' })], convW('c1')),
      /layer 'c1' \(Conv2D, activation 'leaky_relu'\): the lab does not support the leaky_relu activation yet/,
    ],
    [
      'fused selu on Dense',
      handwritten(
        [input([4]), { class_name: 'Dense', config: { name: 'd', units: 3, activation: 'selu' } }],
        [
          { name: 'd/kernel', shape: [4, 3] },
          { name: 'd/bias', shape: [3] },
        ],
      ),
      /layer 'd' \(Dense, activation 'selu'\).*selu/,
    ],
    [
      'unknown activation',
      afterConv({ class_name: 'Activation', config: { name: 'x', activation: 'wobbly' } }),
      /layer 'x' \(Activation, activation 'wobbly'\): the lab does not support the activation 'wobbly'/,
    ],
    [
      'GlobalAveragePooling2D channels_first',
      afterConv({ class_name: 'GlobalAveragePooling2D', config: { name: 'gap', data_format: 'channels_first' } }),
      /layer 'gap' \(GlobalAveragePooling2D\): data_format channels_first is not supported/,
    ],
    [
      'GlobalMaxPooling2D of a vector',
      handwritten([input(), conv('c1'), flat, { class_name: 'GlobalMaxPooling2D', config: { name: 'gmp' } }], convW('c1')),
      /layer 'gmp' \(GlobalMaxPooling2D\): global pooling needs an \[H, W, C\] image input, got \[72\]/,
    ],
    ['ELU layer', afterConv({ class_name: 'ELU', config: { name: 'elu1' } }), /layer 'elu1' \(ELU\).*yet/],
    [
      'stand-alone BatchNormalization first, on a vector',
      handwritten([{ class_name: 'BatchNormalization', config: { name: 'bn', batch_input_shape: [null, 16] } }], bnW('bn', 16)),
      /layer 'bn' \(BatchNormalization\): on a flat vector with no Dense right after it \(it ends the model\), and no dense layer lies between the flatten 'input_flatten' and it: it would scale each of the 16 pixels and channels on its own, which no lab layer holds: the lab does not support this yet \(it needs a per-pixel scale-and-shift of a flattened image/,
    ],
    [
      'BatchNormalization after a Flatten',
      handwritten([input(), conv('c1'), flat, { class_name: 'BatchNormalization', config: { name: 'bn' } }], [...convW('c1'), ...bnW('bn', 72)]),
      /layer 'bn' \(BatchNormalization\): on a flat vector with no Dense right after it \(it ends the model\), and no dense layer lies between the flatten 'flat' and it/,
    ],
    [
      'ZeroPadding2D before a Flatten',
      handwritten([input(), conv('c1'), { class_name: 'ZeroPadding2D', config: { name: 'zp', padding: 1 } }, flat], convW('c1')),
      /layer 'zp' \(ZeroPadding2D\): a ZeroPadding2D is supported right before a conv or pool only; 'flat' \(Flatten\) follows it/,
    ],
    [
      'ZeroPadding2D before a max pool of values that can be negative',
      handwritten(
        [input(), conv('c1'), { class_name: 'ZeroPadding2D', config: { name: 'zp', padding: 1 } }, { class_name: 'MaxPooling2D', config: { name: 'mp' } }],
        convW('c1'),
      ),
      /layer 'mp' \(MaxPooling2D\): max pooling over the zeros of a ZeroPadding2D is exact in the lab only after a relu/,
    ],
    [
      'ZeroPadding2D before a same conv',
      handwritten([input(), { class_name: 'ZeroPadding2D', config: { name: 'zp', padding: 1 } }, conv('c1', { padding: 'same' })], convW('c1')),
      /layer 'zp' \(ZeroPadding2D\): a ZeroPadding2D before the 'same'-padded 'c1' is not supported/,
    ],
    [
      'BatchNormalization on a vector before a ReLU',
      handwritten(
        [input(), conv('c1'), flat, { class_name: 'BatchNormalization', config: { name: 'bn' } }, { class_name: 'ReLU', config: { name: 'r' } }],
        [...convW('c1'), ...bnW('bn', 72)],
      ),
      /layer 'bn' \(BatchNormalization\): on a flat vector with no Dense right after it \('r' \(ReLU\) follows it\), and no dense layer lies between the flatten 'flat' and it: it would scale each of the 72 pixels and channels on its own/,
    ],
    [
      'channels_first conv',
      handwritten([input(), conv('c1', { data_format: 'channels_first' })], convW('c1')),
      /layer 'c1' \(Conv2D\): data_format channels_first/,
    ],
    [
      'channels_first flatten',
      afterConv({ class_name: 'Flatten', config: { name: 'f', data_format: 'channels_first' } }),
      /layer 'f' \(Flatten\): data_format channels_first/,
    ],
    ['dilation 2', handwritten([input(), conv('c1', { dilation_rate: [2, 2] })], convW('c1')), /layer 'c1' \(Conv2D\): dilation_rate \[2, 2\]/],
    [
      'Reshape to a matrix',
      afterConv({ class_name: 'Reshape', config: { name: 'rs', target_shape: [6, 12] } }),
      /layer 'rs' \(Reshape\): Reshape to \[6,12\].*flat vector only/,
    ],
    [
      'Rescaling after a conv',
      afterConv({ class_name: 'Rescaling', config: { name: 'rsc', scale: 2, offset: 0 } }),
      /layer 'rsc' \(Rescaling\): Rescaling after other layers/,
    ],
    ['Dense on a spatial tensor', afterConv({ class_name: 'Dense', config: { name: 'd', units: 3 } }), /layer 'd' \(Dense\): the input is \[6, 6, 2\]/],
    ['nested model', afterConv({ class_name: 'Sequential', config: { name: 'inner', layers: [] } }), /layer 'inner' \(Sequential\): nested models/],
    [
      'unknown class',
      afterConv({ class_name: 'Wobble2D', config: { name: 'w' } }),
      /layer 'w' \(Wobble2D\): the lab does not support the layer class Wobble2D/,
    ],
  ];
  for (const [what, files, re] of cases) {
    it(what, () => {
      const e = thrown(files);
      expect(e.message).toMatch(re);
      // Every layer refusal also says what the lab supports.
      expect(e.message).toMatch(/The lab imports InputLayer, Conv2D/);
    });
  }

  it('every not-yet class and activation in the table is refused through the table', () => {
    for (const cls of NOT_YET_LAYERS.keys())
      expect(thrown(afterConv({ class_name: cls, config: { name: 'x' } })).message).toMatch(new RegExp(`\\(${cls}\\): the lab does not support ${cls} yet`));
    for (const a of NOT_YET_ACTIVATIONS.keys()) {
      expect(thrown(afterConv({ class_name: 'Activation', config: { name: 'x', activation: a } })).message).toMatch(
        new RegExp(`activation '${a}'\\): the lab does not support the ${a} activation yet`),
      );
    }
  });
});

describe('graphs that are not a chain are refused, naming the layer', () => {
  const node = (...from: string[]) => [from.map((f) => [f, 0, 0, {}])];
  const functional = (layers: object[], output = 'out') => {
    const files = handwritten([], []);
    const json = JSON.parse(new TextDecoder().decode(files[0].bytes));
    json.modelTopology = { class_name: 'Functional', config: { name: 'g', layers, input_layers: [['in', 0, 0]], output_layers: [[output, 0, 0]] } };
    json.weightsManifest = [];
    return [{ name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(json)) }];
  };
  const inL = { name: 'in', class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4, 4, 1] }, inbound_nodes: [] };
  const relu = (name: string, from: string) => ({ name, class_name: 'ReLU', config: { name }, inbound_nodes: node(from) });

  it('Add', () => {
    const e = thrown(
      functional([inL, relu('a', 'in'), relu('b', 'in'), { name: 'out', class_name: 'Add', config: { name: 'out' }, inbound_nodes: node('a', 'b') }]),
    );
    expect(e.message).toMatch(/layer 'out' \(Add\): the layer has 2 inputs \(a, b\); the lab supports only a linear chain/);
  });
  it('Concatenate', () => {
    const e = thrown(
      functional([inL, relu('a', 'in'), { name: 'out', class_name: 'Concatenate', config: { name: 'out', axis: -1 }, inbound_nodes: node('a', 'in') }]),
    );
    expect(e.message).toMatch(/layer 'out' \(Concatenate\).*2 inputs/);
  });
  it('a layer feeding two layers', () => {
    const e = thrown(functional([inL, relu('a', 'in'), relu('b', 'a'), relu('out', 'a')]));
    expect(e.message).toMatch(/layer 'a' \(ReLU\): its output feeds 2 layers \(b, out\)/);
  });
  it('a shared layer (two inbound nodes)', () => {
    const e = thrown(functional([inL, { name: 'out', class_name: 'ReLU', config: { name: 'out' }, inbound_nodes: [...node('in'), ...node('in')] }]));
    expect(e.message).toMatch(/layer 'out' \(ReLU\): the layer is called 2 times/);
  });
  it('Keras 3 inbound nodes are read (and an Add in that form is refused)', () => {
    const k3 = (...from: string[]) => [
      {
        args: [from.map((f) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4, 4, 1], dtype: 'float32', keras_history: [f, 0, 0] } }))],
        kwargs: {},
      },
    ];
    const ok = functional([
      { ...inL, config: { name: 'in', batch_shape: [null, 4, 4, 1] } },
      { name: 'r', class_name: 'ReLU', config: { name: 'r' }, inbound_nodes: k3('in') },
      { name: 'out', class_name: 'Flatten', config: { name: 'out' }, inbound_nodes: k3('r') },
    ]);
    expect(importTfjs(ok).model.architecture.layers.map((l) => l.kind)).toEqual(['relu', 'flatten']);
    const add = functional([inL, relu('a', 'in'), { name: 'out', class_name: 'Add', config: { name: 'out' }, inbound_nodes: k3('a', 'in') }]);
    expect(thrown(add).message).toMatch(/layer 'out' \(Add\)/);
  });
});

describe('broken files', () => {
  const good = () => handwritten([input(), conv('c1'), flat], convW('c1'));

  it('imports the good model', () => {
    expect(importTfjs(good()).model.architecture.layers.map((l) => l.kind)).toEqual(['conv2d', 'flatten']);
  });
  it('bad JSON, truncated JSON, non-UTF-8, not an object, a graph model', () => {
    const [json, shard] = good();
    expect(thrown([{ name: 'model.json', bytes: new TextEncoder().encode('{"format": ') }, shard]).message).toMatch(/'model.json' is not valid JSON/);
    expect(thrown([{ name: 'model.json', bytes: json.bytes.slice(0, json.bytes.length >> 1) }, shard]).message).toMatch(/not valid JSON \(truncated\?\)/);
    expect(thrown([{ name: 'model.json', bytes: new Uint8Array([0xff, 0xfe, 0x7b]) }, shard]).message).toMatch(/not UTF-8/);
    expect(thrown([{ name: 'model.json', bytes: new TextEncoder().encode('[1, 2]') }, shard]).message).toMatch(/must hold a JSON object/);
    const graph = { format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] };
    expect(thrown([{ name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(graph)) }]).message).toMatch(
      /format "graph-model" is not 'layers-model'.*graph model/,
    );
    expect(thrown([shard]).message).toMatch(/no model.json/);
  });
  it('a missing shard is named', () => {
    expect(thrown([good()[0]]).message).toMatch(/weight shard 'weights.bin' \(weightsManifest\[0\]\) was not given/);
  });
  it('a short or long shard is named, with both sizes', () => {
    const [json, shard] = good();
    const short = thrown([json, { name: 'weights.bin', bytes: shard.bytes.slice(0, 30) }]);
    expect(short.message).toMatch(/weight shard 'weights.bin' of weightsManifest\[0\] holds 30 bytes, but its 2 weights need 80 \(truncated/);
    expect(short.where).toBe('weights.bin');
    const long = new Uint8Array(shard.bytes.length + 4);
    long.set(shard.bytes);
    expect(thrown([json, { name: 'weights.bin', bytes: long }]).message).toMatch(/holds 84 bytes.*need 80 \(extra data\)/);
  });
  it('a weight the manifest does not have, or of the wrong shape, is named', () => {
    const missing = handwritten([input(), conv('c1')], [{ name: 'c1/kernel', shape: [3, 3, 1, 2] }]);
    const e = thrown(missing);
    expect(e.message).toMatch(/layer 'c1' \(Conv2D\): weight 'c1\/bias' is not in the weights manifest/);
    expect(e.where).toBe('c1/bias');
    const wrong = handwritten(
      [input(), conv('c1')],
      [
        { name: 'c1/kernel', shape: [3, 3, 2, 2] },
        { name: 'c1/bias', shape: [2] },
      ],
    );
    expect(thrown(wrong).message).toMatch(/weight 'c1\/kernel' has shape \[3, 3, 2, 2\], but layer 'c1' \(Conv2D\) on input \[8, 8, 1\] needs \[3, 3, 1, 2\]/);
  });
  it('non-finite weights are refused, naming the tensor', () => {
    const nan = handwritten(
      [input(), conv('c1')],
      [
        { name: 'c1/kernel', shape: [3, 3, 1, 2], values: new Array(18).fill(NaN) },
        { name: 'c1/bias', shape: [2] },
      ],
    );
    expect(thrown(nan).message).toMatch(/c1\.weight' holds a non-finite value/);
  });
  it('expectInput refuses another input shape, saying both', () => {
    expect(thrown(good(), { expectInput: [28, 28, 1] }).message).toMatch(/the model's input is \[8, 8, 1\] per image, but \[28, 28, 1\] is expected here/);
    const mlp = handwritten(
      [input([10]), { class_name: 'Dense', config: { name: 'd', units: 2 } }],
      [
        { name: 'd/kernel', shape: [10, 2] },
        { name: 'd/bias', shape: [2] },
      ],
    );
    expect(thrown(mlp, { expectInput: [28, 28, 1] }).message).toMatch(/a vector of 10, but \[28, 28, 1\] \(784 values\)/);
  });
  it('a depth_multiplier that is not a positive integer is named (a positive one imports: keras-formats.test.ts)', () => {
    expect(thrown(afterConv({ class_name: 'DepthwiseConv2D', config: { name: 'dw', kernel_size: [3, 3], depth_multiplier: 1.5 } })).message).toMatch(
      /layer 'dw' \(DepthwiseConv2D\): depth_multiplier must be a positive integer, got 1.5/,
    );
    expect(thrown(afterConv({ class_name: 'SeparableConv2D', config: { name: 'sep', filters: 2, kernel_size: 3, depth_multiplier: 0 } })).message).toMatch(
      /layer 'sep' \(SeparableConv2D\): depth_multiplier must be a positive integer, got 0/,
    );
  });

  it('an input without a fixed shape is refused', () => {
    expect(thrown(handwritten([{ class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, null, null, 1] } }, flat], [])).message).toMatch(
      /input shape \[null,null,1\] must be known positive sizes/,
    );
    expect(thrown(handwritten([flat], [])).message).toMatch(/does not say its input shape/);
  });
});
