/**
 * The batch-1 latency path's choices: conv2d's INSIDE variant (no bounds
 * checks when no tap reaches the padding) and the latency plan's workgroup
 * fitting (fitWorkgroup), checked on their definitions and, on the GPU,
 * against the CPU reference at batches 1–4 with the workgroup fitting on
 * and off. Real GPU (SwiftShader under Node); no skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelForward } from '../cpu/forward.ts';
import { architecture } from '../model/architectures.ts';
import type { Layer } from '../model/layers.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { createExecutor, LATENCY_MIN_WORKGROUPS, SMALL_DENSE_TILING, SMALL_TILING } from './executor.ts';
import type { Conv2dParams } from './kernels/conv2d.ts';
import { conv2d, fitWorkgroup, MIN_FIT_WG, tapsInside } from './kernels/conv2d.ts';
import { planModel } from './plan.ts';
import { expectNear, modelOf, randomInput } from './test-helpers.ts';

const LIMITS = { maxComputeWorkgroupsPerDimension: 65535 };

function latencyPlan(name: string, minWorkgroups?: number) {
  const arch = architecture(name);
  const model = modelOf(arch.name, arch.inputShape as [number, number, number], arch.layers, 3);
  return planModel(model, { variant: 'register', fuse: true, registerTiling: SMALL_TILING, denseRegisterTiling: SMALL_DENSE_TILING, minWorkgroups });
}

const workgroups = (p: Conv2dParams): number => conv2d.dispatch(p, LIMITS).reduce((a, b) => a * b, 1);

describe('conv2d INSIDE: taps never in the padding', () => {
  const shape = (h: number, k: number, s: number, pad: number, oh: number) =>
    ({ h, w: h, kh: k, kw: k, sh: s, sw: s, padT: pad, padL: pad, oh, ow: oh }) as Conv2dParams;
  it('holds for valid convolutions, including strides that leave the last rows unread', () => {
    expect(tapsInside(shape(28, 5, 1, 0, 24))).toBe(true);
    expect(tapsInside(shape(8, 3, 2, 0, 3))).toBe(true);
    expect(tapsInside(shape(1, 1, 1, 0, 1))).toBe(true);
  });
  it('fails for padding before, and for padding only after (same padding with padT = 0)', () => {
    expect(tapsInside(shape(7, 3, 2, 1, 4))).toBe(false);
    // 5 rows, 2-tall kernel, stride 2, same: 3 outputs, the last window reads row 5 (the bottom pad).
    expect(tapsInside({ ...shape(5, 2, 2, 0, 3), kw: 1, sw: 1, w: 6, ow: 6 })).toBe(false);
  });
  it("is the code constant the LeNet-5 plan's convolutions compile with", () => {
    const convs = latencyPlan('lenet5').steps.filter((s) => s.kernel === 'conv2d');
    expect(convs.map((s) => conv2d.constants({ ...(s.params as Conv2dParams), batch: 1 }).INSIDE)).toEqual([1, 1, 1, 1]);
  });
});

describe('latency plan: workgroups fitted so one image spreads over the cores', () => {
  it("LeNet-5's conv2 at batch 1 was two half-empty workgroups of 16 and now gets 4 of 4 threads, with the same register block", () => {
    const before = latencyPlan('lenet5').steps[1].params as Conv2dParams;
    const after = latencyPlan('lenet5', LATENCY_MIN_WORKGROUPS).steps[1].params as Conv2dParams;
    expect(before.tiling.wg).toBe(16);
    expect(workgroups({ ...before, batch: 1 })).toBe(2);
    expect(after.tiling).toEqual({ ...before.tiling, wg: MIN_FIT_WG });
    expect(workgroups({ ...after, batch: 1 })).toBe(4);
    const k = (p: Conv2dParams) => conv2d.constants({ ...p, batch: 1 });
    expect([k(after).TM, k(after).TN4]).toEqual([k(before).TM, k(before).TN4]);
  });
  it('every batch-1 GEMM step of every built-in model reaches the minimum or the 4-thread floor, never more threads than before', () => {
    for (const name of ['lenet5', 'lenet-300-100', 'article-net', 'lenet5-separable']) {
      const base = latencyPlan(name).steps;
      latencyPlan(name, LATENCY_MIN_WORKGROUPS).steps.forEach((s, i) => {
        if (s.kernel !== 'conv2d') return;
        const p = { ...(s.params as Conv2dParams), batch: 1 };
        const wg = p.tiling.wg;
        expect(wg).toBeLessThanOrEqual((base[i].params as Conv2dParams).tiling.wg);
        if (wg > MIN_FIT_WG) expect(workgroups(p), `${name} ${s.layers[0]}`).toBeGreaterThanOrEqual(LATENCY_MIN_WORKGROUPS);
        // Halving once more would have been needed only if it fell short: the largest workgroup that reaches the minimum.
        if (wg < (base[i].params as Conv2dParams).tiling.wg)
          expect(workgroups({ ...p, tiling: { ...p.tiling, wg: wg * 2 } })).toBeLessThan(LATENCY_MIN_WORKGROUPS);
      });
    }
  });
  it('minWorkgroups 1 keeps the tilings as they are', () => {
    const plain = latencyPlan('lenet5').steps.map((s) => (s.params as Conv2dParams).tiling);
    expect(latencyPlan('lenet5', 1).steps.map((s) => (s.params as Conv2dParams).tiling)).toEqual(plain);
    expect(fitWorkgroup({ ...(latencyPlan('lenet5').steps[0].params as Conv2dParams) }, 1)).toBe(SMALL_TILING.wg);
  });
});

describe('latency path on the GPU vs the CPU reference (batches 1–4, fitted and unfitted workgroups)', () => {
  let gpu: Gpu;
  beforeAll(async () => {
    gpu = await acquireGpu();
  });
  afterAll(() => gpu?.device.destroy());

  const cases: { name: string; input: [number, number, number]; layers: Layer[] }[] = [
    { name: 'lenet5', input: [28, 28, 1], layers: architecture('lenet5').layers },
    {
      name: 'same-padded conv + pool + dense',
      input: [9, 9, 3],
      layers: [
        { kind: 'conv2d', name: 'c', filters: 10, kernel: [3, 3], stride: [1, 1], padding: 'same', bias: true },
        { kind: 'relu', name: 'r' },
        { kind: 'maxPool2d', name: 'p', window: [2, 2], stride: [2, 2] },
        { kind: 'flatten', name: 'f' },
        { kind: 'dense', name: 'd', units: 7, bias: true },
      ],
    },
  ];
  for (const c of cases) {
    for (const min of [1, LATENCY_MIN_WORKGROUPS]) {
      it(`${c.name}, latencyMinWorkgroups ${min}`, async () => {
        const model = modelOf(c.name, c.input, c.layers, 9);
        const exec = await createExecutor(gpu, model, { maxBatch: 8, variant: 'register', latencyMinWorkgroups: min });
        try {
          for (const batch of [1, 4]) {
            const x = randomInput(batch * c.input[0] * c.input[1] * c.input[2], 60 + batch);
            expectNear(await exec.run(x, batch), modelForward(model, x, batch), `${c.name} min ${min} batch ${batch}`);
          }
        } finally {
          exec.destroy();
        }
      });
    }
  }
});
