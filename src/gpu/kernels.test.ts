/**
 * Every GPU kernel against the CPU reference, through one-layer (or fused
 * few-layer) models: odd sizes, stride 2, same padding, channel counts not
 * divisible by 4, batch 1 and 257, both GEMM variants (the tiled one only
 * where it runs different code). Real GPU (SwiftShader
 * under Node); no skips: without WebGPU these tests fail with the reason.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { modelForward } from '../cpu/forward.ts';
import { argmax as cpuArgmax } from '../cpu/loss.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { createExecutor } from './executor.ts';
import type { GemmVariant } from './plan.ts';
import { planModel } from './plan.ts';
import { expectNear, expectSameClasses, KERNEL_CASES, modelOf, randomInput } from './test-helpers.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await acquireGpu();
});
afterAll(() => gpu?.device.destroy());

const VARIANTS: GemmVariant[] = ['register', 'tiled'];

describe.each(VARIANTS)('kernels, %s variant, vs the CPU reference', (variant) => {
  // The tiled variant differs only where a layer lowers to the workgroup-tiled
  // 'dense' kernel; its other steps are the register variant's pipelines,
  // already checked (each distinct pipeline costs seconds to compile here).
  const cases =
    variant === 'register'
      ? KERNEL_CASES
      : KERNEL_CASES.filter((c) => planModel(modelOf(c.kernel, c.input, c.layers), { variant, fuse: true }).steps.some((s) => s.kernel === 'dense'));
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
  const picked = KERNEL_CASES.filter((c) => c.kernel === 'conv2d' || c.kernel === 'dense');
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
