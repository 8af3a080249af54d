import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../test-helpers.ts';

describe('compression-lab export', () => {
  it('onnx-int8: writes the file, prints its bytes beside the lab file, and its accuracy in ONNX Runtime next to the lab int8 engine', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'export-'));
    const out = join(dir, 'lenet5.int8.onnx');
    const r = await runCli('export', 'lenet5', '--format', 'onnx-int8', '--out', out, '--calibration', '256', '--limit', '300', '--cpu', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const bytes = await readFile(out);
    expect(j.files).toEqual([{ path: out, bytes: bytes.length }]);
    expect(j.calibration).toMatchObject({ method: 'minmax', images: 256 });
    // The lab file is fp32 here (lenet5 is not compressed): the int8 file is about a quarter of it.
    expect(j.labBytes / j.bytes).toBeGreaterThan(3.5);
    expect(j.verify.runtime).toMatch(/ONNX Runtime .*wasm/);
    expect(j.verify.count).toBe(300);
    expect(j.verify.lab.on).toMatch(/integer reference/);
    expect(j.verify.agreement).toBeGreaterThanOrEqual(0.99);
    expect(Math.abs(j.verify.accuracy - j.verify.lab.accuracy)).toBeLessThanOrEqual(0.01);
  });

  it('tfjs with uint8 weights: a directory with model.json and its shard, measured in TF.js; the text report says what is kept and lost', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'export-'));
    const r = await runCli('export', 'lenet-300-100', '--format', 'tfjs', '--tfjs-quantize', 'uint8', '--out', dir, '--limit', '200', '--cpu');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const names = (await readdir(dir)).sort();
    expect(names).toContain('model.json');
    expect(names.some((n) => n.endsWith('.bin'))).toBe(true);
    expect(r.out).toMatch(/wrote .*model\.json: [\d,]+ bytes/);
    expect(r.out).toMatch(/keeps: /);
    expect(r.out).toMatch(/TensorFlow\.js [\d.]+ \(cpu backend\): [\d.]+ % \(\d+ errors of 200 mnist test images\)/);
    expect(r.out).toMatch(/top-1 agreement (99|100)\.\d\d %/);
  });

  it('refuses a missing or unknown format and a misplaced quantize flag, as usage errors', async () => {
    for (const argv of [
      ['export', 'lenet5'],
      ['export', 'lenet5', '--format', 'tflite'],
      ['export', 'lenet5', '--format', 'onnx', '--tfjs-quantize', 'uint8'],
      ['export', 'lenet5', '--format', 'tfjs', '--tfjs-quantize', 'int4'],
    ]) {
      const r = await runCli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/--format|--tfjs-quantize/);
    }
  });
});
