/**
 * The roofline probes and the autotune: the matmul microkernel is checked
 * against a CPU product first (a GFLOP/s figure from a wrong kernel means
 * nothing), then every probe returns finite positive figures, and autotune
 * measures once per adapter and answers from the store after. Small sizes:
 * this checks the machinery, the benchmark measures. Real GPU, no skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from './device.ts';
import { acquireGpu, describeAdapter } from './device.ts';
import { runKernel } from './kernel-runner.ts';
import { sharedPipelineCache } from './pipelines.ts';
import { KERNELS } from './registry.ts';
import type { TuneResult } from './roofline.ts';
import { autotune, MATMUL_CANDIDATES, measureCopyGBps, measureMatmulGflops, measureRoundTripMs } from './roofline.ts';
import { expectNear, randomInput } from './test-helpers.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await acquireGpu();
});
afterAll(() => gpu?.device.destroy());

describe('roofline probes', () => {
  it('matmul microkernel equals the CPU product for each register block (ragged m, n not a multiple of the block)', async () => {
    const [m, k, n] = [37, 12, 20];
    const a = randomInput(m * k, 1);
    const b = randomInput(k * n, 2);
    const want = new Float32Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let t = 0; t < k; t++) want[i * n + j] += a[i * k + t] * b[t * n + j];
    for (const c of MATMUL_CANDIDATES) {
      if (c.kind !== 'register') continue;
      const got = await runKernel(
        sharedPipelineCache(gpu.device),
        KERNELS.matmul,
        { m, n, k, tm: c.tm, tn4: c.tn4, wg: c.wg },
        { inputs: { input: a, weight: b }, outputLength: m * n },
      );
      expectNear(got, want, `matmul ${c.tm}×${c.tn4 * 4}`);
    }
  });

  it('matmul GFLOP/s, copy GB/s and the round trip are finite and positive', async () => {
    const roof = await measureMatmulGflops(gpu, 64, { warmup: 0, runs: 1 });
    expect(roof.all.length).toBe(MATMUL_CANDIDATES.length);
    for (const r of roof.all) expect(r.gflops, r.label).toBeGreaterThan(0);
    expect(Number.isFinite(roof.best.gflops)).toBe(true);
    expect(roof.best.gflops).toBe(Math.max(...roof.all.map((r) => r.gflops)));
    const copy = await measureCopyGBps(gpu, 2 ** 20, { warmup: 0, runs: 2 });
    expect(copy.gbps).toBeGreaterThan(0);
    const rt = await measureRoundTripMs(gpu, { warmup: 1, runs: 3 });
    expect(rt.p50).toBeGreaterThan(0);
    expect(rt.p90).toBeGreaterThanOrEqual(rt.p50);
    await expect(measureMatmulGflops(gpu, 100)).rejects.toThrow(/multiple of 64/);
  });

  it('autotune measures once per adapter and answers from the store after', async () => {
    const store = new Map<string, TuneResult>();
    const first = await autotune(gpu, store, { n: 64 });
    expect(store.get(describeAdapter(gpu.report))).toBe(first);
    expect(['register', 'tiled']).toContain(first.variant);
    expect(first.measured.length).toBe(MATMUL_CANDIDATES.length);
    const second = await autotune(gpu, store);
    expect(second).toBe(first);
  });
});
