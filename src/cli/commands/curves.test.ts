/**
 * `train --json` and `compress --json` (GPU trainer) report the training
 * curves the lab stores with a variant, on the GPU (SwiftShader under Node).
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../test-helpers.ts';

describe('training curves in the CLI JSON', () => {
  it('train --json: one chunk and one epoch point per epoch, equal to the epoch report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'curves-'));
    const r = await runCli(
      'train',
      'lenet-300-100',
      '--epochs',
      '2',
      '--out',
      join(dir, 'm.safetensors'),
      '--limit',
      '128',
      '--batch',
      '64',
      '--eval-limit',
      '100',
      '--json',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.curves).toHaveLength(1);
    const c = j.curves[0];
    expect(c).toMatchObject({ label: 'Training', batch: 64, stepsPerEpoch: 2 });
    expect(c.steps.map((s: { step: number }) => s.step)).toEqual([2, 4]);
    j.epochs.forEach((e: { trainLoss: number; testAccuracy: number }, i: number) => {
      expect(c.epochs[i]).toMatchObject({ epoch: i + 1, step: 2 * (i + 1), trainLoss: e.trainLoss, testAccuracy: e.testAccuracy, testCount: 100 });
      expect(c.steps[i].loss).toBeCloseTo(e.trainLoss, 5);
    });
  }, 300_000);

  it('compress --json with a GPU fine-tune: its run with test accuracy on the evaluation images', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'curves-'));
    const r = await runCli(
      'compress',
      'lenet-300-100',
      '--pipeline',
      'prune:sparsity=0.5 | finetune:limit=128,batch=64,epochs=1',
      '--out',
      join(dir, 'c.safetensors'),
      '--json',
      '--eval-limit',
      '100',
      '--no-baseline',
      '--no-timing',
      '--quiet',
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.curves).toHaveLength(1);
    expect(j.curves[0]).toMatchObject({ label: 'Fine-tuning', batch: 64, stepsPerEpoch: 2 });
    expect(j.curves[0].epochs).toHaveLength(1);
    expect(j.curves[0].epochs[0].testCount).toBe(100);
    expect(j.curves[0].epochs[0].testAccuracy).toBeGreaterThan(0.5);
  }, 300_000);
});
