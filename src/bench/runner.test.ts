import { describe, expect, it } from 'vitest';
import type { Dataset } from '../data/dataset.ts';
import type { Gpu } from '../gpu/device.ts';
import { serializeModel } from '../model/format.ts';
import { initModel } from '../model/model.ts';
import type { Architecture } from '../model/layers.ts';
import type { BenchEnv, PeerFactory } from './runner.ts';
import { runBench } from './runner.ts';
import { quickOptions } from './schema.ts';

// Budgets and cuts of the runner, without a GPU: no lab precision, no roofline, no training,
// one fake peer whose call takes `msPerImage` per image.
const tiny: Architecture = {
  name: 'tiny',
  inputShape: [28, 28, 1],
  layers: [
    { kind: 'flatten', name: 'flatten' },
    { kind: 'dense', name: 'fc', units: 10, bias: true },
  ],
};
const test = {
  name: 'mnist',
  split: 'test',
  count: 64,
  rows: 28,
  cols: 28,
  images: new Uint8Array(64 * 784),
  labels: new Uint8Array(64),
} as unknown as Dataset;

function slowPeer(msPerImage: number): PeerFactory {
  return {
    runtime: 'ort-wasm',
    async create() {
      return {
        run: async (_x: Float32Array, b: number) => {
          await new Promise((ok) => setTimeout(ok, msPerImage * b));
          return new Float32Array(b * 10);
        },
        dispose: () => {},
      };
    },
  };
}

function env(peer: PeerFactory): BenchEnv {
  return {
    environment: 'node',
    host: 'test',
    gpu: { report: null } as unknown as Gpu,
    test,
    train: null,
    loadModel: async () => ({ bytes: serializeModel(initModel(tiny, 1)), weights: 'seeded-random', source: 'test' }),
    peers: [peer],
    roofline: {},
    log: () => {},
  };
}

const base = {
  ...quickOptions(),
  models: ['tiny'],
  precisions: [],
  cpuReference: false,
  roofline: false,
  training: false,
  peers: ['ort-wasm' as const],
  warmup: 1,
};

describe('runner budgets: what does not fit is cut and labelled', () => {
  it('a slow peer gets fewer batch-1 runs (marked) and skips a batch whose call would exceed max-call', async () => {
    const run = await runBench(env(slowPeer(5)), { ...base, batches: [8, 64], latencyRuns: 200, latencyBudgetMs: 50, maxCallMs: 10, throughputBudgetMs: 10 });
    const b1 = run.results.find((r) => r.batch === 1)!;
    expect(b1.status).toBe('ok');
    expect(b1.runs).toBe(30); // the minimum: 50 ms of budget holds far fewer 5 ms calls than 200 (a 2 ms timer can fire in 1.5 ms, and 50 / 1.5 > 30)
    expect(b1.sampled).toMatch(/30 of 200/);
    expect(run.results.find((r) => r.batch === 8)!.status).toBe('ok'); // the first batch always runs, although 8 × 5 ms > max call
    const b64 = run.results.find((r) => r.batch === 64)!;
    expect(b64.status).toBe('skipped');
    expect(b64.imagesPerSecond).toBeNull();
    expect(b64.note).toMatch(/max call/);
    expect(run.notes.join('\n')).toMatch(/SAMPLED.*tiny ort-wasm b64/);
  });
  it('past the deadline, peers and further models are skipped and listed, not dropped', async () => {
    const run = await runBench(env(slowPeer(0)), { ...base, models: ['tiny', 'tiny'], batches: [8], deadline: Date.now() - 1 });
    expect(run.results.filter((r) => r.status === 'skipped').length).toBeGreaterThan(0);
    expect(run.results.some((r) => r.status === 'ok')).toBe(false);
    expect(run.notes.join('\n')).toMatch(/skipped at the run's time limit: tiny ort-wasm, model tiny/);
  });
});
