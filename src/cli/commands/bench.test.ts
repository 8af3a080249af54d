/**
 * `compression-lab bench`: the flags it shares with scripts/bench.ts
 * (optionsFromFlags, timeLimitFromFlags — parsed once for both), and one real
 * small run in Node on Dawn through the CLI's main(), written with --out.
 */
import { runCli } from '../test-helpers.ts';
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultOptions, quickOptions, validateBenchFile } from '../../bench/schema.ts';
import type { BenchFile } from '../../bench/schema.ts';
import { BENCH_FLAGS, DEFAULT_TIME_LIMIT_MIN, optionsFromFlags, timeLimitFromFlags } from './bench.ts';

const run = runCli;

describe('bench flags shared by compression-lab bench and npm run bench', () => {
  it('--quick starts from the quick options; budgets, --no-train, precision and peers override them', () => {
    const o = optionsFromFlags(
      {
        quick: true,
        precision: 'int8',
        peers: 'none',
        'no-cpu': true,
        'no-train': true,
        'latency-budget': '1500',
        'max-call': '2000',
        'agreement-budget': '700',
        'train-images': '32',
        'train-cpu-budget': '900',
        batch: '1,64,3',
      },
      ['lenet-300-100'],
    );
    expect(o).toMatchObject({
      models: ['lenet-300-100'],
      precisions: ['int8'],
      peers: [],
      cpuReference: false,
      training: false,
      latencyBudgetMs: 1500,
      maxCallMs: 2000,
      agreementBudgetMs: 700,
      trainImages: 32,
      trainCpuBudgetMs: 900,
      batches: [3, 64],
      latencyRuns: quickOptions().latencyRuns,
    });
    // Without flags: the full-size defaults.
    expect(optionsFromFlags({})).toEqual(defaultOptions());
  });

  it('rejects bad values naming the flag', () => {
    expect(() => optionsFromFlags({ 'agreement-budget': '0' })).toThrow(/--agreement-budget must be a positive integer, got '0'/);
    expect(() => optionsFromFlags({ 'max-call': '1.5' })).toThrow(/--max-call must be a positive integer/);
    expect(() => optionsFromFlags({ precision: 'int4' })).toThrow(/--precision takes fp32,int8; got 'int4'/);
    expect(() => timeLimitFromFlags({ 'time-limit': '-1' })).toThrow(/--time-limit must be minutes ≥ 0/);
    expect(() => timeLimitFromFlags({ 'time-limit': 'soon' })).toThrow(/--time-limit/);
    expect(timeLimitFromFlags({})).toBe(DEFAULT_TIME_LIMIT_MIN);
    expect(timeLimitFromFlags({ 'time-limit': '0' })).toBe(0);
    expect(timeLimitFromFlags({ 'time-limit': '2.5' })).toBe(2.5);
  });

  it('every flag scripts/bench.ts documents for measuring is a CLI flag too', () => {
    for (const f of [
      'quick',
      'precision',
      'no-cpu',
      'time-limit',
      'agreement-budget',
      'out',
      'latency-budget',
      'max-call',
      'no-train',
      'train-images',
      'train-cpu-budget',
    ]) {
      expect(Object.keys(BENCH_FLAGS), f).toContain(f);
    }
  });
});

describe('compression-lab bench (Node, Dawn on SwiftShader)', () => {
  it('usage errors exit 2 before any GPU work', async () => {
    expect(await run('bench', 'lenet5', '--time-limit', 'x')).toMatchObject({ code: 2, err: expect.stringMatching(/--time-limit/) });
    expect(await run('bench', 'lenet5', '--agreement-budget', '-3')).toMatchObject({ code: 2, err: expect.stringMatching(/--agreement-budget/) });
    expect(await run('bench', 'lenet5', '--models', 'lenet5,article-net')).toMatchObject({ code: 2, err: expect.stringMatching(/one <model>/) });
    expect(await run('bench')).toMatchObject({ code: 2, err: expect.stringMatching(/missing <model>/) });
  });

  it('a quick int8-only run of lenet-300-100 writes --out (JSON valid against the schema, .txt, .md) with per-layer rows labelled by their MAC', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-bench-'));
    const out = join(dir, 'r.json');
    const r = await run(
      'bench',
      'lenet-300-100',
      '--quick',
      '--precision',
      'int8',
      '--peers',
      'none',
      '--no-cpu',
      '--no-roofline',
      '--no-train',
      '--batch',
      '8',
      '--runs',
      '3',
      '--images',
      '16',
      '--budget',
      '50',
      '--agreement-budget',
      '2000',
      '--time-limit',
      '5',
      '--out',
      out,
    );
    expect(r.code, r.err).toBe(0);
    const file = JSON.parse(await readFile(out, 'utf8')) as BenchFile;
    expect(validateBenchFile(file)).toEqual([]);
    expect(file.command).toMatch(/^compression-lab bench lenet-300-100 .*--precision int8.*--out /);
    const [runRes] = file.runs;
    expect(runRes.environment).toBe('node');
    expect(runRes.options).toMatchObject({ precisions: ['int8'], agreementBudgetMs: 2000, cpuReference: false, training: false, batches: [8] });
    expect(runRes.notes.some((n) => /time limit 5 min/.test(n))).toBe(true);
    const lab = runRes.results.filter((x) => x.runtime === 'lab' && x.precision === 'int8' && x.status === 'ok');
    expect(lab.map((x) => x.batch).sort((a, b) => a - b)).toEqual([1, 8]);
    // Per-layer rows: the conv2d-i8 steps say which MAC ran (the exact-f32 outer product on this CPU adapter), never a bare variant.
    const layers = runRes.models[0].layers.filter((l) => l.precision === 'int8');
    expect(layers.length).toBeGreaterThan(0);
    const kernels = new Set(layers.map((l) => l.kernel));
    expect([...kernels].filter((k) => k.startsWith('conv2d-i8'))).toEqual(['conv2d-i8:outer-f32']);
    expect([...kernels].some((k) => k.endsWith(':dot4'))).toBe(false);
    expect(await readFile(out.replace(/\.json$/, '.txt'), 'utf8')).toContain('conv2d-i8:outer-f32');
    expect(await readFile(out.replace(/\.json$/, '.md'), 'utf8')).toContain('lenet-300-100');
    expect(r.out).toContain('lenet-300-100');
  }, 300_000);
});
