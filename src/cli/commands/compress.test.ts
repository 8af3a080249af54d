import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../test-helpers.ts';
import { parseModel } from '../../model/format.ts';

const run = runCli;

describe('compression-lab compress', () => {
  it('writes the compressed file and prints accuracy and the exact size breakdown; info and flops read it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compress-'));
    const out = join(dir, 'an.safetensors');
    const r = await run(
      'compress',
      'article-net',
      '--pipeline',
      'prune:sparsity=0.8 | kmeans:bits=4 | sparse | huffman',
      '--out',
      out,
      '--json',
      '--trainer',
      'cpu',
      '--eval-limit',
      '200',
      '--no-baseline',
      '--quiet',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const bytes = await readFile(out);
    expect(j.bytes).toBe(bytes.length);
    expect(j.breakdown.values + j.breakdown.indices + j.breakdown.codebooks + j.breakdown.scales + j.breakdown.metadata).toBe(j.bytes);
    expect(j.fp32Bytes).toBe(4 * 17_698);
    expect(j.ratio).toBeCloseTo(j.fp32Bytes / j.bytes, 10);
    expect(j.count).toBe(200);
    expect(j.evaluator).toMatch(/cpu-reference/);
    expect(j.accuracy + j.errors / j.count).toBeCloseTo(1, 10);
    expect(j.steps.map((s: { pass: string }) => s.pass)).toEqual(['prune', 'kmeans', 'sparse', 'huffman']);
    expect(parseModel(bytes).encodings!['fc1.weight'].kind).toBe('sparse');
    const info = await run('info', out);
    expect(info.code).toBe(0);
    expect(info.out).toMatch(/fc1\.weight\s+U8.*sparse/);
    const flops = await run('flops', out);
    expect(flops.code).toBe(0);
    expect(flops.out).toContain(`model file: ${bytes.length.toLocaleString('en-US')} bytes`);
  });

  it('rejects a bad pipeline with the step named', async () => {
    const r = await run('compress', 'article-net', '--pipeline', 'prune:sparsity=7', '--out', '/tmp/x', '--trainer', 'cpu');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prune.*sparsity/);
    expect((await run('compress', 'article-net', '--out', '/tmp/x')).code).toBe(2);
  });
});

describe('compression-lab sensitivity', () => {
  it('sweeps one layer at a time', async () => {
    const r = await run('sensitivity', 'article-net', '--sparsity', '0.5', '--bits', '4', '--eval-limit', '50', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.rows).toHaveLength(4 * 2);
    expect(j.rows[0]).toMatchObject({ layer: 'conv1', kind: 'sparsity', setting: 0.5 });
  });
});
