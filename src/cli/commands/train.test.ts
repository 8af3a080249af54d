/**
 * `compression-lab train` and `eval` through the CLI entry point, on the GPU
 * (SwiftShader under Node; no skips). Small subsets via the hidden --limit
 * options keep it quick; the full-size runs are scripts/train-bundled.ts.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../test-helpers.ts';
import { parseModel } from '../../model/format.ts';

const run = runCli;

describe('compression-lab train / eval', () => {
  it('train lenet5 --epochs 1 --seed 1 twice on a subset gives identical weights; eval agrees on GPU and CPU', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'train-'));
    const files = [join(dir, 'a.safetensors'), join(dir, 'b.safetensors')];
    for (const f of files) {
      const r = await run('train', 'lenet5', '--epochs', '1', '--seed', '1', '--out', f, '--limit', '64', '--batch', '32', '--eval-limit', '100');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/epoch 1\/1: loss [\d.]+, test accuracy [\d.]+% \(\d+ errors of 100\), [\d,]+ images\/s/);
    }
    const [a, b] = await Promise.all(files.map(async (f) => readFile(f)));
    const ma = parseModel(a, 'a');
    const mb = parseModel(b, 'b');
    for (const name of Object.keys(ma.weights)) expect(Buffer.from(mb.weights[name].buffer).equals(Buffer.from(ma.weights[name].buffer)), name).toBe(true);
    expect(ma.provenance).toMatchObject({
      source: 'trained',
      architecture: 'lenet5',
      epochs: 1,
      seed: 1,
      optimizer: 'adam',
      lr: 0.001,
      batch: 32,
      dataset: 'mnist',
    });
    expect(typeof ma.provenance?.testAccuracy).toBe('number');
    expect(String(ma.provenance?.adapter)).toMatch(/\[node\]/);

    const gpu = await run('eval', files[0], '--json', '--limit', '100');
    const cpu = await run('eval', files[0], '--json', '--limit', '100', '--cpu');
    expect(gpu.code).toBe(0);
    const g = JSON.parse(gpu.out);
    const c = JSON.parse(cpu.out);
    expect(g).toMatchObject({ count: 100, dataset: 'mnist' });
    expect(g.accuracy).toBeCloseTo(1 - g.errors / 100, 10);
    expect(Math.abs(g.errors - c.errors)).toBeLessThanOrEqual(1);
  }, 300_000);
  it('rejects bad options clearly', async () => {
    expect(await run('train', 'lenet5', '--epochs', '1')).toMatchObject({ code: 2, err: expect.stringMatching(/missing --out/) });
    expect(await run('train', 'lenet5', '--out', 'x', '--epochs', 'two')).toMatchObject({ code: 2, err: expect.stringMatching(/--epochs must be an integer/) });
    expect(await run('train', 'lenet5', '--out', 'x', '--epochs', '1', '--optimizer', 'lbfgs')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--optimizer must be sgd or adam/),
    });
    expect(await run('eval', 'lenet5', '--dataset', 'cifar')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--dataset must be mnist or fashion-mnist/),
    });
  });
});
