import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../test-helpers.ts';
import { recordedInt8Method } from '../../engine/int8.ts';
import { initModel } from '../../model/model.ts';
import { architecture } from '../../model/architectures.ts';
import { serializeModel } from '../../model/format.ts';
import { lutArchitecture } from '../../peers/lut-model.ts';

const run = runCli;

describe('eval --int8: the calibration method a file recorded', () => {
  it('is read from the pipeline text compress writes, and from in-memory step lists', () => {
    const m = initModel(architecture('lenet-300-100'), 1);
    m.provenance = { pipeline: 'prune:sparsity=0.5 | int8:method=percentile,percentile=99.9 | fp16' };
    expect(recordedInt8Method(m)).toEqual({ method: 'percentile', percentile: 99.9 });
    m.provenance = { pipeline: 'int8:method=minmax' };
    expect(recordedInt8Method(m)).toEqual({ method: 'minmax' });
    m.provenance = { pipeline: [{ step: 'int8', options: { method: 'percentile', percentile: 99 } }] };
    expect(recordedInt8Method(m)).toEqual({ method: 'percentile', percentile: 99 });
    m.provenance = { pipeline: 'prune:sparsity=0.5' };
    expect(recordedInt8Method(m)).toBeUndefined();
    m.provenance = { pipeline: 'no-such-step:x=1' };
    expect(recordedInt8Method(m)).toBeUndefined();
  });
});

describe('compression-lab eval --int8', () => {
  it("scores the integer-only model: GPU integer path = CPU integer reference, and = what compress's int8 step measured", async () => {
    const file = 'models/article-net.safetensors';
    const gpu = await run('eval', file, '--int8', '--json', '--limit', '300');
    expect(gpu.err).toBe('');
    expect(gpu.code).toBe(0);
    const g = JSON.parse(gpu.out);
    expect(g).toMatchObject({ count: 300, precision: 'int8', int8: { calibration: 256, method: 'minmax' } });
    expect(g.device).toMatch(/int8 GPU path/);
    const cpu = JSON.parse((await run('eval', file, '--int8', '--json', '--limit', '300', '--cpu')).out);
    expect(cpu.device).toMatch(/integer reference/);
    // Integer arithmetic: the two paths must agree exactly, not within a tolerance.
    expect(cpu.errors).toBe(g.errors);
    const fp32 = JSON.parse((await run('eval', file, '--json', '--limit', '300')).out);
    expect(fp32.precision).toBe('fp32');
    expect(Math.abs(g.errors - fp32.errors)).toBeLessThanOrEqual(3);

    const dir = await mkdtemp(join(tmpdir(), 'eval-int8-'));
    const c = await run(
      'compress',
      file,
      '--pipeline',
      'int8',
      '--out',
      join(dir, 'a.safetensors'),
      '--json',
      '--eval-limit',
      '300',
      '--no-baseline',
      '--quiet',
    );
    expect(c.code).toBe(0);
    const cj = JSON.parse(c.out);
    expect(cj.int8Gpu.errors).toBe(g.errors);
    // compress also times input, result and the int8 model on the GPU in the same run.
    for (const k of ['input', 'output', 'int8']) {
      const t = cj.timing[k];
      expect(t.latencyP50Ms, k).toBeGreaterThan(0);
      expect(t.latencyP90Ms, k).toBeGreaterThanOrEqual(t.latencyP50Ms);
      expect(t.imagesPerSecond, k).toBeGreaterThan(0);
      expect(t.batch).toBe(256);
    }
    // fp32 weights as the kernels lay them out (GEMM blocks padded): at least 4 bytes per weight, not much more.
    expect(cj.timing.input.gpuWeightBytes).toBeGreaterThanOrEqual(4 * (17_698 - 10 - 5 - 5 - 128));
    expect(cj.timing.input.gpuWeightBytes).toBeLessThan(1.1 * 4 * 17_698);
    expect(cj.timing.int8.gpuWeightBytes).toBeUndefined();
    const quick = await run(
      'compress',
      file,
      '--pipeline',
      'fp16',
      '--out',
      join(dir, 'b.safetensors'),
      '--json',
      '--eval-limit',
      '50',
      '--no-baseline',
      '--quiet',
      '--no-timing',
    );
    expect(JSON.parse(quick.out).timing).toBeUndefined();
    // The percentile method changes the ranges, so (for this model) the result; and the choice is reported.
    const p = JSON.parse(
      (await run('eval', file, '--int8', '--json', '--limit', '300', '--cpu', '--calibration-method', 'percentile', '--calibration', '64')).out,
    );
    expect(p.int8).toEqual({ calibration: 64, method: 'percentile' });
  }, 300_000);

  it('runs a model file with leakyRelu, tanh and sigmoid integer-only (lookup tables): GPU integer path = CPU integer reference', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eval-int8-lut-'));
    const file = join(dir, 'lut-net.safetensors');
    await writeFile(file, serializeModel(initModel(lutArchitecture(), 3)));
    const gpu = await run('eval', file, '--int8', '--json', '--limit', '300');
    expect(gpu.err).toBe('');
    const g = JSON.parse(gpu.out);
    expect(g).toMatchObject({ count: 300, precision: 'int8' });
    expect(g.device).toMatch(/int8 GPU path/);
    const cpu = JSON.parse((await run('eval', file, '--int8', '--json', '--limit', '300', '--cpu')).out);
    expect(cpu.errors).toBe(g.errors);
  }, 300_000);

  it('rejects bad int8 options clearly', async () => {
    expect(await run('eval', 'article-net', '--int8', '--calibration', '0')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--calibration must be an integer ≥ 1/),
    });
    expect(await run('eval', 'article-net', '--int8', '--calibration-method', 'kl')).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--calibration-method must be minmax or percentile/),
    });
  });
});

describe('one rule for naming a model and its data', () => {
  it('a built-in name is its bundled trained model; --untrained asks for seeded random weights and every output says so', async () => {
    const bundled = JSON.parse((await run('eval', 'lenet5', '--json', '--limit', '200', '--cpu')).out);
    expect(bundled).toMatchObject({ weights: 'bundled', source: 'models/lenet5.safetensors', dataset: 'mnist', count: 200 });
    expect(bundled.untrained).toBeUndefined();
    expect(bundled.accuracy).toBeGreaterThan(0.95);
    const untrained = JSON.parse((await run('eval', 'lenet5', '--untrained', '--json', '--limit', '200', '--cpu')).out);
    expect(untrained).toMatchObject({ weights: 'untrained', untrained: true, count: 200 });
    expect(untrained.accuracy).toBeLessThan(0.5);
    const text = await run('eval', 'lenet5', '--untrained', '--limit', '50', '--cpu');
    expect(text.out).toMatch(/UNTRAINED/);
    expect(await run('eval', 'models/lenet5.safetensors', '--untrained')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/--untrained takes a built-in architecture name/),
    });
  });

  it("a model's recorded dataset is the default; a contradicting --dataset is honoured with a warning", async () => {
    const file = 'models/lenet5-fashion.safetensors';
    const own = await run('eval', file, '--json', '--limit', '200', '--cpu');
    expect(own.err).toBe('');
    const j = JSON.parse(own.out);
    expect(j.dataset).toBe('fashion-mnist');
    expect(j.accuracy).toBeGreaterThan(0.8);
    const other = await run('eval', file, '--dataset', 'mnist', '--json', '--limit', '50', '--cpu');
    expect(other.code).toBe(0);
    expect(JSON.parse(other.out).dataset).toBe('mnist');
    expect(other.err).toMatch(/records that it was trained on fashion-mnist; using mnist as asked/);
    // compress calibrates and evaluates on the same recorded dataset.
    const dir = await mkdtemp(join(tmpdir(), 'eval-dataset-'));
    const c = await run(
      'compress',
      file,
      '--pipeline',
      'prune:sparsity=0.5',
      '--out',
      join(dir, 'f.safetensors'),
      '--json',
      '--trainer',
      'cpu',
      '--eval-limit',
      '200',
      '--no-baseline',
      '--quiet',
    );
    expect(c.code).toBe(0);
    const cj = JSON.parse(c.out);
    expect(cj.dataset).toBe('fashion-mnist');
    expect(cj.accuracy).toBeGreaterThan(0.8);
  });
});
