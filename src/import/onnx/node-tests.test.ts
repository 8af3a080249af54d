// The ONNX project's own node tests (Debian package libonnx-testdata): each model.onnx holds one
// node whose weights are extra graph inputs; they are turned into initializers (as an exporter
// writes them), the model is imported, and the lab's CPU reference must reproduce output_0.pb.
// Node tests that use what the lab does not support yet must be refused, naming node and op.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type protobuf from 'protobufjs/light.js';
import { describe, expect, it } from 'vitest';
import { modelForward } from '../../cpu/forward.ts';
import { validateModel } from '../../model/model.ts';
import { ImportError } from '../types.ts';
import { importOnnx } from './import.ts';
import type { DecodedTensor } from './schema.ts';
import { modelProtoType, tensorProtoType } from './schema.ts';
import { readTensor } from './tensors.ts';

const ROOT = '/usr/share/libonnx-testdata/data/node';

function need(path: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`${path} is missing: install the Debian package libonnx-testdata (apt-get install libonnx-testdata)`);
  return new Uint8Array(readFileSync(path));
}

function readPb(path: string): { message: protobuf.Message; dims: number[]; values: Float64Array } {
  const type = tensorProtoType();
  const message = type.decode(need(path));
  const obj = type.toObject(message, { longs: Number, arrays: true, defaults: false }) as DecodedTensor;
  const { dims, values } = readTensor(obj, path);
  return { message, dims, values };
}

/**
 * The test's model with graph inputs 1… turned into initializers; plus input 0 and the expected output.
 * `opset` re-stamps the default-domain opset (for ops whose definition has not changed since the file's).
 */
function loadNodeTest(test: string, opset?: number) {
  const dir = join(ROOT, test);
  const type = modelProtoType();
  const msg = type.decode(need(join(dir, 'model.onnx'))) as unknown as {
    graph: { input: { name: string }[]; initializer: unknown[] };
    opsetImport: { domain?: string; version: number }[];
  };
  if (opset !== undefined) for (const o of msg.opsetImport) if (!o.domain) o.version = opset;
  const inputs = msg.graph.input;
  for (let i = 1; i < inputs.length; i++) {
    const t = readPb(join(dir, 'test_data_set_0', `input_${i}.pb`)).message as unknown as { name: string };
    t.name = inputs[i].name;
    msg.graph.initializer.push(t);
  }
  msg.graph.input = inputs.slice(0, 1);
  const bytes = type.encode(msg as unknown as protobuf.Message).finish();
  return { bytes, input: readPb(join(dir, 'test_data_set_0', 'input_0.pb')), output: readPb(join(dir, 'test_data_set_0', 'output_0.pb')) };
}

/** NCHW → NHWC of a rank-4 tensor (other ranks unchanged: one channel or flat). */
function toNhwc(values: Float64Array, dims: number[]): Float32Array {
  if (dims.length !== 4) return Float32Array.from(values);
  const [n, c, h, w] = dims;
  const out = new Float32Array(values.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ch] = values[((b * c + ch) * h + y) * w + x];
  return out;
}

function expectClose(got: Float32Array, want: ArrayLike<number>, label: string): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) > 1e-4 * (1 + Math.abs(want[i]))) throw new Error(`${label}: index ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

/**
 * Node tests that map onto lab layers; `flat` marks outputs that are a flatten of the (NCHW) input, `log` a LogSoftmax.
 * `opset` re-stamps a file written at an opset below the lab's 9: GlobalAveragePool and GlobalMaxPool are
 * unchanged since version 1, so the same node at opset 9 has the same outputs (the opset-1 file itself is refused).
 */
const SUPPORTED: { test: string; kinds: string[]; flat?: boolean; log?: boolean; opset?: number }[] = [
  { test: 'test_basic_conv_without_padding', kinds: ['conv2d'] },
  { test: 'test_basic_conv_with_padding', kinds: ['conv2d'] },
  { test: 'test_conv_with_strides_no_padding', kinds: ['conv2d'] },
  { test: 'test_conv_with_strides_padding', kinds: ['conv2d'] },
  { test: 'test_conv_with_autopad_same', kinds: ['conv2d'] },
  { test: 'test_conv_with_strides_and_asymmetric_padding', kinds: ['conv2d'] },
  { test: 'test_gemm_default_no_bias', kinds: ['flatten', 'dense'] },
  { test: 'test_gemm_default_vector_bias', kinds: ['flatten', 'dense'] },
  { test: 'test_gemm_default_scalar_bias', kinds: ['flatten', 'dense'] },
  { test: 'test_gemm_default_single_elem_vector_bias', kinds: ['flatten', 'dense'] },
  { test: 'test_gemm_default_zero_bias', kinds: ['flatten', 'dense'] },
  { test: 'test_gemm_transposeB', kinds: ['flatten', 'dense'] },
  { test: 'test_gemm_alpha', kinds: ['flatten', 'dense'] },
  { test: 'test_gemm_beta', kinds: ['flatten', 'dense'] },
  { test: 'test_matmul_2d', kinds: ['flatten', 'dense'] },
  { test: 'test_maxpool_2d_default', kinds: ['maxPool2d'] },
  { test: 'test_maxpool_2d_strides', kinds: ['maxPool2d'] },
  { test: 'test_maxpool_2d_precomputed_strides', kinds: ['maxPool2d'] },
  { test: 'test_maxpool_2d_pads', kinds: ['maxPool2d'] },
  { test: 'test_maxpool_2d_precomputed_pads', kinds: ['maxPool2d'] },
  { test: 'test_maxpool_2d_same_upper', kinds: ['maxPool2d'] },
  { test: 'test_maxpool_2d_same_lower', kinds: ['maxPool2d'] },
  { test: 'test_maxpool_2d_precomputed_same_upper', kinds: ['maxPool2d'] },
  { test: 'test_averagepool_2d_default', kinds: ['avgPool2d'] },
  { test: 'test_averagepool_2d_strides', kinds: ['avgPool2d'] },
  { test: 'test_averagepool_2d_precomputed_strides', kinds: ['avgPool2d'] },
  { test: 'test_averagepool_2d_pads', kinds: ['avgPool2d'] },
  { test: 'test_averagepool_2d_pads_count_include_pad', kinds: ['avgPool2d'] },
  { test: 'test_averagepool_2d_precomputed_pads', kinds: ['avgPool2d'] },
  { test: 'test_averagepool_2d_precomputed_pads_count_include_pad', kinds: ['avgPool2d'] },
  { test: 'test_averagepool_2d_same_upper', kinds: ['avgPool2d'] },
  { test: 'test_averagepool_2d_same_lower', kinds: ['avgPool2d'] },
  { test: 'test_averagepool_2d_precomputed_same_upper', kinds: ['avgPool2d'] },
  { test: 'test_globalaveragepool', kinds: ['avgPool2d'], opset: 9 },
  { test: 'test_globalaveragepool_precomputed', kinds: ['avgPool2d'], opset: 9 },
  { test: 'test_globalmaxpool', kinds: ['maxPool2d'], opset: 9 },
  { test: 'test_globalmaxpool_precomputed', kinds: ['maxPool2d'], opset: 9 },
  { test: 'test_batchnorm_example', kinds: ['depthwiseConv2d'] },
  { test: 'test_batchnorm_epsilon', kinds: ['depthwiseConv2d'] },
  { test: 'test_relu', kinds: ['relu'] },
  { test: 'test_clip_default_min', kinds: ['relu'] },
  { test: 'test_leakyrelu', kinds: ['activation'] },
  { test: 'test_leakyrelu_default', kinds: ['activation'] },
  { test: 'test_sigmoid', kinds: ['activation'] },
  { test: 'test_tanh', kinds: ['activation'] },
  { test: 'test_flatten_axis1', kinds: ['flatten'], flat: true },
  { test: 'test_flatten_default_axis', kinds: ['flatten'], flat: true },
  { test: 'test_flatten_negative_axis3', kinds: ['flatten'], flat: true },
  { test: 'test_reshape_reduced_dims', kinds: ['flatten'] },
  { test: 'test_softmax_example', kinds: ['flatten', 'softmax'] },
  { test: 'test_softmax_large_number', kinds: ['flatten', 'softmax'] },
  { test: 'test_logsoftmax_example_1', kinds: ['flatten', 'softmax'], log: true },
  { test: 'test_logsoftmax_large_number', kinds: ['flatten', 'softmax'], log: true },
];

/** Node tests the lab must refuse, and what the message must say besides the node's op. */
const REFUSED: { test: string; op: string; says: RegExp }[] = [
  { test: 'test_gemm_transposeA', op: 'Gemm', says: /transA 1 — the lab does not support/ },
  { test: 'test_gemm_all_attributes', op: 'Gemm', says: /transA 1/ },
  { test: 'test_gemm_default_matrix_bias', op: 'Gemm', says: /not one value per output/ },
  { test: 'test_matmul_3d', op: 'MatMul', says: /needs a flat \[N, K\] input/ },
  { test: 'test_maxpool_2d_ceil', op: 'MaxPool', says: /ceil_mode 1 .* does not support pooling in ceil mode yet/ },
  { test: 'test_maxpool_2d_dilations', op: 'MaxPool', says: /dilations \[2, 2\] — the lab does not support dilated pooling yet/ },
  { test: 'test_maxpool_1d_default', op: 'MaxPool', says: /needs an NCHW image input|not 2-D/ },
  { test: 'test_averagepool_2d_ceil', op: 'AveragePool', says: /ceil mode/ },
  // Graph-level refusals (op ''): the file itself is outside what the lab reads.
  {
    test: 'test_batchnorm_example_training_mode',
    op: '',
    says: /^the graph has 3 outputs \('y', 'output_mean', 'output_var'\); the lab imports models with one output$/,
  },
  { test: 'test_flatten_axis2', op: 'Flatten', says: /axis 2: the lab flattens everything but the batch/ },
  { test: 'test_flatten_negative_axis1', op: 'Flatten', says: /axis -1/ },
  { test: 'test_reshape_extended_dims', op: 'Reshape', says: /the lab imports Reshape only as a flatten/ },
  { test: 'test_softmax_axis_1', op: 'Softmax', says: /needs a flat \[N, K\] input/ },
  { test: 'test_clip', op: 'Clip', says: /min -1, max 1 — the lab does not support clipped activations other than relu and relu6 yet/ },
  { test: 'test_clip_default_max', op: 'Clip', says: /min −∞, max 0 — the lab does not support clipped activations other than relu and relu6/ },
  // Every global pooling node test is written at opset 1, below the lab's 9: the files are refused as they are.
  { test: 'test_globalaveragepool', op: '', says: /^the model uses opset 1; the lab imports opsets 9–21/ },
  { test: 'test_globalaveragepool_precomputed', op: '', says: /^the model uses opset 1; the lab imports opsets 9–21/ },
  { test: 'test_globalmaxpool', op: '', says: /^the model uses opset 1; the lab imports opsets 9–21/ },
  { test: 'test_globalmaxpool_precomputed', op: '', says: /^the model uses opset 1; the lab imports opsets 9–21/ },
  { test: 'test_transpose_default', op: 'Transpose', says: /is not a layout conversion/ },
];

describe('libonnx-testdata node tests that map onto lab layers', () => {
  it('the Debian package libonnx-testdata is installed', () => {
    need(join(ROOT, 'test_relu', 'model.onnx'));
  });
  for (const c of SUPPORTED) {
    it(c.test, () => {
      const { bytes, input, output } = loadNodeTest(c.test, c.opset);
      const { model } = importOnnx(bytes);
      validateModel(model);
      expect(model.architecture.layers.map((l) => l.kind)).toEqual(c.kinds);
      const batch = input.dims[0];
      const y = modelForward(model, toNhwc(input.values, input.dims), batch);
      let want: ArrayLike<number> = toNhwc(output.values, output.dims);
      if (c.flat) {
        // ONNX flattens (c, h, w), the lab (h, w, c): flatten the NHWC view of the input instead.
        want = toNhwc(input.values, input.dims);
      }
      expectClose(c.log ? y.map(Math.log) : y, want, c.test);
    });
  }
});

describe('libonnx-testdata node tests the lab refuses, naming node and op', () => {
  for (const c of REFUSED) {
    it(c.test, () => {
      const { bytes } = loadNodeTest(c.test);
      let err: unknown;
      try {
        importOnnx(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ImportError);
      const msg = (err as Error).message;
      if (c.op) expect(msg).toMatch(new RegExp(`^node '[^']+' \\(${c.op}\\): `));
      expect(msg).toMatch(c.says);
    });
  }
});
