/**
 * Every GPU kernel against the CPU reference, through one-layer (or fused
 * few-layer) models: odd sizes, stride 2, same padding, channel counts not
 * divisible by 4, batch 1 and 257, both GEMM variants (the tiled one only
 * where it runs different code). Real GPU (SwiftShader
 * under Node); no skips: without WebGPU these tests fail with the reason.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Layer, Padding } from '../model/layers.ts';
import { modelForward } from '../cpu/forward.ts';
import { argmax as cpuArgmax } from '../cpu/loss.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { createExecutor } from './executor.ts';
import type { GemmVariant } from './plan.ts';
import { planModel } from './plan.ts';
import { expectNear, expectSameClasses, modelOf, randomInput } from './test-helpers.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await acquireGpu();
});
afterAll(() => gpu?.device.destroy());

const conv = (name: string, filters: number, k: [number, number], stride: [number, number], padding: Padding, bias = true): Layer => ({
  kind: 'conv2d',
  name,
  filters,
  kernel: k,
  stride,
  padding,
  bias,
});
const dw = (name: string, k: [number, number], stride: [number, number], padding: Padding): Layer => ({
  kind: 'depthwiseConv2d',
  name,
  kernel: k,
  stride,
  padding,
  bias: true,
});
const pool = (kind: 'maxPool2d' | 'avgPool2d', name: string, w: [number, number], s: [number, number]): Layer => ({ kind, name, window: w, stride: s });
const relu = (name: string): Layer => ({ kind: 'relu', name });
const flatten: Layer = { kind: 'flatten', name: 'flatten' };
const dense = (name: string, units: number, bias = true): Layer => ({ kind: 'dense', name, units, bias });

interface Case {
  /** Kernel(s) exercised, as named in shaders/ and src/gpu/kernels/. */
  kernel: string;
  what: string;
  input: [number, number, number];
  layers: Layer[];
}

const CASES: Case[] = [
  { kernel: 'conv2d', what: 'lenet conv1: 5×5 valid, c=1 (scalar path), oc=20', input: [12, 12, 1], layers: [conv('c', 20, [5, 5], [1, 1], 'valid')] },
  { kernel: 'conv2d', what: '3×3 same stride 2, odd 7×9, c=3, oc=5', input: [7, 9, 3], layers: [conv('c', 5, [3, 3], [2, 2], 'same')] },
  { kernel: 'conv2d', what: '2×1 kernel stride (2,1) same, c=5, oc=7, no bias', input: [5, 6, 5], layers: [conv('c', 7, [2, 1], [2, 1], 'same', false)] },
  { kernel: 'conv2d', what: 'vec4 path c=8, 3×3 same + relu + max pool 2×2 fused', input: [8, 6, 8], layers: [conv('c', 6, [3, 3], [1, 1], 'same'), relu('r'), pool('maxPool2d', 'p', [2, 2], [2, 2])] },
  {
    kernel: 'conv2d',
    what: 'relu → avg pool 2×2 → relu fused (pre and post), odd output 7×7 floors',
    input: [9, 9, 4],
    layers: [conv('c', 9, [3, 3], [1, 1], 'valid'), relu('r1'), pool('avgPool2d', 'p', [2, 2], [2, 2]), relu('r2')],
  },
  { kernel: 'conv2d', what: 'max pool 1×2 stride (1,2) fused, oc=50 (13 channel words in blocks of 7: a partial last block)', input: [6, 6, 20], layers: [conv('c', 50, [3, 3], [1, 1], 'valid'), pool('maxPool2d', 'p', [1, 2], [1, 2])] },
  { kernel: 'conv2d + pool2d', what: '3×3/2 pool cannot fuse: standalone pool2d', input: [9, 9, 2], layers: [conv('c', 3, [2, 2], [1, 1], 'valid'), pool('maxPool2d', 'p', [3, 3], [2, 2])] },
  { kernel: 'conv2d | dense', what: 'pointwise 1×1, c=12, oc=10 (dense GEMM in the tiled variant)', input: [5, 3, 12], layers: [conv('pw', 10, [1, 1], [1, 1], 'valid'), relu('r')] },
  { kernel: 'depthwise-conv2d', what: '3×3 same stride 2, c=6, + relu', input: [7, 8, 6], layers: [dw('d', [3, 3], [2, 2], 'same'), relu('r')] },
  { kernel: 'depthwise-conv2d', what: '5×5 valid, c=1', input: [9, 9, 1], layers: [dw('d', [5, 5], [1, 1], 'valid')] },
  { kernel: 'pool2d', what: 'max 2×2/2 on odd 7×7, c=3, then relu (fused into the pool)', input: [7, 7, 3], layers: [pool('maxPool2d', 'p', [2, 2], [2, 2]), relu('r')] },
  { kernel: 'pool2d', what: 'avg 3×3 stride 1, c=5', input: [6, 5, 5], layers: [pool('avgPool2d', 'p', [3, 3], [1, 1])] },
  { kernel: 'relu', what: 'standalone relu on the input, then flatten + dense', input: [3, 3, 3], layers: [relu('r'), flatten, dense('fc', 10)] },
  { kernel: 'dense', what: '37 → 13 + relu → 10 (K and N not multiples of 4)', input: [37, 1, 1], layers: [flatten, dense('fc1', 13), relu('r'), dense('fc2', 10)] },
  { kernel: 'dense', what: '800 → 130, no bias', input: [10, 10, 8], layers: [flatten, dense('fc', 130, false)] },
  { kernel: 'softmax', what: 'dense 10 → softmax', input: [4, 4, 2], layers: [flatten, dense('fc', 10), { kind: 'softmax', name: 'sm' }] },
];

const VARIANTS: GemmVariant[] = ['register', 'tiled'];

describe.each(VARIANTS)('kernels, %s variant, vs the CPU reference', (variant) => {
  // The tiled variant differs only where a layer lowers to the workgroup-tiled
  // 'dense' kernel; its other steps are the register variant's pipelines,
  // already checked (each distinct pipeline costs seconds to compile here).
  const cases = variant === 'register' ? CASES : CASES.filter((c) => planModel(modelOf(c.kernel, c.input, c.layers), { variant, fuse: true }).steps.some((s) => s.kernel === 'dense'));
  for (const c of cases) {
    it(`${c.kernel}: ${c.what}`, async () => {
      const model = modelOf(c.kernel, c.input, c.layers);
      const exec = await createExecutor(gpu, model, { maxBatch: 257, variant });
      try {
        for (const batch of [1, 257]) {
          const size = c.input[0] * c.input[1] * c.input[2];
          const x = randomInput(batch * size, batch);
          const want = modelForward(model, x, batch);
          const got = await exec.run(x, batch, { readback: 'logits' });
          expectNear(got, want, `${c.kernel} batch ${batch}`);
          const classes = want.length / batch;
          if (classes > 1 && classes <= 1024) {
            const idx = await exec.run(x, batch, { readback: 'argmax' });
            expectSameClasses(idx, want, classes, `argmax batch ${batch}`);
            // The CPU argmax is the reference the kernel must agree with.
            expectSameClasses(cpuArgmax(want, batch, classes), want, classes, 'cpu argmax');
          }
        }
      } finally {
        exec.destroy();
      }
    });
  }
});

describe('conv2d with channel blocks spread over threads (the latency path), batch 1 and 3', () => {
  // Dense layers at batch ≤ 4 always spread (SMALL_DENSE_TILING); convolutions only with this tiling, so it is forced
  // here on the cases with partial channel blocks, padding, stride 2 and fused pools.
  const spread = { wg: 16, tm: 4, tn4: 2, spread: true };
  const picked = CASES.filter((c) => c.kernel === 'conv2d' || c.kernel === 'dense');
  for (const c of picked) {
    it(`${c.kernel}: ${c.what}`, async () => {
      const model = modelOf(c.kernel, c.input, c.layers);
      const exec = await createExecutor(gpu, model, { maxBatch: 8, variant: 'register', latencyTiling: spread });
      try {
        for (const batch of [1, 3]) {
          const x = randomInput(batch * c.input[0] * c.input[1] * c.input[2], 40 + batch);
          expectNear(await exec.run(x, batch), modelForward(model, x, batch), `${c.kernel} spread batch ${batch}`);
        }
      } finally {
        exec.destroy();
      }
    });
  }
});
