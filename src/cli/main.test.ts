import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runCli } from './test-helpers.ts';

const run = runCli;

describe('compression-lab flops', () => {
  it('--json prints the per-layer table and totals of article-net', async () => {
    const r = await run('flops', 'article-net', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.layers[0]).toEqual({ name: 'conv1', kind: 'conv2d', outputShape: [26, 26, 5], params: 50, macs: 30_420, flops: 60_840, activationBytes: 13_520 });
    const flops = Object.fromEntries(j.layers.map((l: { name: string; flops: number }) => [l.name, l.flops]));
    expect(flops).toMatchObject({ conv1: 60_840, pool1: 3_380, conv2: 54_450, pool2: 500, fc1: 32_000, fc2: 2_560 });
    expect(j.total).toMatchObject({ params: 17_698, macs: 74_925, flops: 153_730 });
    expect(j.energyEstimate.fp32.estimate).toBe(true);
  });
  it('prints a readable table with the estimated time', async () => {
    const r = await run('flops', 'lenet5', '--speed', '4e12');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/conv2\s+conv2d\s+8×8×50\s+25,050\s+1,600,000\s+3,200,000/);
    expect(r.out).toMatch(/total\s+431,080\s+2,293,000\s+4,600,720/);
    expect(r.out).toContain('1.150 µs per image'); // 4,600,720 / 4e12 s
    expect(r.out).toMatch(/estimated time at 4\.00e\+12 FLOP\/s: 1\.150 µs per image/);
    expect(r.out).toMatch(/energy per image, estimated \(not measured;/);
  });
  it('rejects unknown models, bad options and missing arguments with a clear message', async () => {
    expect(await run('flops', 'nope')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/neither a built-in architecture \(lenet5, .*\) nor an existing file/),
    });
    expect(await run('flops')).toMatchObject({ code: 2, err: expect.stringMatching(/missing <model>/) });
    expect(await run('flops', 'lenet5', '--speed=-3')).toMatchObject({ code: 2, err: expect.stringMatching(/--speed must be a positive number/) });
    expect(await run('flops', 'lenet5', '--bogus')).toMatchObject({ code: 2 });
    expect(await run('frobnicate')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown command 'frobnicate'/) });
  });
});

describe('compression-lab init / info', () => {
  it('writes a model file that info and flops read back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-cli-'));
    const file = join(dir, 'm.safetensors');
    expect((await run('init', 'lenet-300-100', '--seed', '5', '--out', file)).code).toBe(0);
    const info = await run('info', file);
    expect(info.code).toBe(0);
    expect(info.out).toMatch(/architecture: lenet-300-100, 6 layers, 266,610 parameters/);
    expect(info.out).toMatch(/fc1\.weight\s+F32\s+300×784\s+235,200\s+940,800\s+fp32/);
    const j = JSON.parse((await run('info', file, '--json')).out);
    expect(j.provenance).toMatchObject({ source: 'random', seed: 5 });
    const fl = JSON.parse((await run('flops', file, '--json')).out);
    expect(fl.total.params).toBe(266_610);
    expect(fl.fileBytes).toBe((await readFile(file)).byteLength);
  });
  it('a truncated file is a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-cli-'));
    const file = join(dir, 'bad.safetensors');
    await writeFile(file, new Uint8Array([1, 2, 3]));
    const r = await run('info', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(file);
    expect((await run('info', join(dir, 'missing.safetensors'))).err).toMatch(/no such file/);
  });
});

describe('the installed bin', () => {
  it('npx compression-lab --help runs the CLI through Node', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/compression-lab.mjs', '--help'], { cwd: join(import.meta.dirname, '../..') });
    expect(stdout).toMatch(/usage: compression-lab <command>/);
    expect(stdout).toMatch(/flops/);
  });
});
