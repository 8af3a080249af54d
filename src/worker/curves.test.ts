/**
 * The worker's training jobs and their curves, end to end in Node: the real
 * `labApi.train` and `labApi.compress` on the GPU (SwiftShader), with
 * IndexedDB replaced by an in-memory idb-keyval holding the built MNIST files.
 * Curve points reach the progress callback as they come, equal the epoch
 * numbers the job returns, and the stored variant carries the curves; a
 * record stored before curves existed still loads.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Progress, TrainingCurve } from './types.ts';

vi.mock('idb-keyval', () => import('../store/memory-idb.ts'));
const { memory: mem } = await import('../store/memory-idb.ts');

for (const f of ['mnist-train.bin', 'mnist-test.bin'])
  mem.set(`dataset:${f}`, new Uint8Array(readFileSync(new URL(`../../public/data/${f}`, import.meta.url))));

const { labApi } = await import('./api.ts');
const { describeModelFile } = await import('../model/format.ts');
const { getGpu } = await import('./session.ts');
afterAll(async () => (await getGpu()).device.destroy());

/** Rebuilds the curves from the points the page received, as the UI's job does. */
async function curvesFrom(progress: Progress[]): Promise<TrainingCurve[]> {
  const { addCurvePoint } = await import('../engine/curves.ts');
  const out: TrainingCurve[] = [];
  for (const p of progress) if (p.curve) addCurvePoint(out, p.curve);
  return out;
}

describe('worker training jobs record curves', () => {
  it('train: points arrive during the run, match the returned epochs, and are stored with the variant', async () => {
    const progress: Progress[] = [];
    const out = await labApi.train({ architecture: 'lenet-300-100', epochs: 2, limit: 512, evalLimit: 300 }, 'curve test', (p) =>
      progress.push(structuredClone(p)),
    );
    const points = progress.filter((p) => p.curve);
    // 512 images / batch 64 = 8 steps per epoch, one chunk of 16 or fewer: one chunk point and one epoch point per epoch, none dropped by throttling.
    expect(points.map((p) => p.curve!.kind)).toEqual(['step', 'epoch', 'step', 'epoch']);
    // Every point comes with the ordinary progress fields.
    for (const p of points) expect(p.phase).toMatch(/Training|Testing/);
    const live = await curvesFrom(progress);
    expect(out.curves).toEqual(live);
    const [c] = out.curves;
    expect(c).toMatchObject({ label: 'Training', batch: 64, stepsPerEpoch: 8 });
    expect(c.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    out.epochs.forEach((e, i) => {
      expect(c.epochs[i].trainLoss).toBe(e.trainLoss);
      expect(c.epochs[i].testAccuracy).toBe(e.testAccuracy);
      expect(c.epochs[i].testCount).toBe(300);
      // One chunk per epoch: its loss is the epoch's.
      expect(c.steps[i].loss).toBeCloseTo(e.trainLoss, 5);
    });
    const stored = mem.get(`model:${out.model.id}`) as { curves?: TrainingCurve[] };
    expect(stored.curves).toEqual(out.curves);
    const detail = await labApi.modelDetail(out.model.id);
    expect(detail.curves).toEqual(out.curves);
    // The Model view's Stored column adds up to the file: the layers' tensors plus the header before the data.
    const file = (mem.get(`model:${out.model.id}`) as { file: Uint8Array }).file;
    expect(detail.total.bytes).toBe(file.length);
    expect(detail.total.headerBytes).toBe(8 + describeModelFile(file).headerBytes);
  });

  it('compress with a fine-tune: the variant keeps its step curve with test accuracy per epoch; an untrained pipeline stores none', async () => {
    const progress: Progress[] = [];
    const source = (await labApi.models()).find((m) => m.name === 'curve test')!;
    const made = await labApi.compress(
      source.id,
      [
        { pass: 'prune', options: { sparsity: 0.5 } },
        { pass: 'finetune', options: { limit: 256, batch: 64, epochs: 1 } },
      ],
      '',
      (p) => progress.push(structuredClone(p)),
    );
    const detail = await labApi.modelDetail(made.id);
    expect(detail.curves).toEqual(await curvesFrom(progress));
    expect(detail.curves).toHaveLength(1);
    const c = detail.curves![0];
    expect(c.label).toBe('Step 2: Fine-tuning');
    expect(c.steps).toHaveLength(1);
    expect(c.epochs).toHaveLength(1);
    expect(c.epochs[0].testCount).toBe(2000);
    expect(c.epochs[0].testAccuracy).toBeGreaterThan(0.5);

    const plain = await labApi.compress(source.id, [{ pass: 'prune', options: { sparsity: 0.5 } }], '');
    expect((await labApi.modelDetail(plain.id)).curves).toBeUndefined();
  });

  it('gradual pruning records a run per stage and distillation its own, labelled by step, on one step axis', async () => {
    const source = (await labApi.models()).find((m) => m.name === 'curve test')!;
    const made = await labApi.compress(
      source.id,
      [
        { pass: 'gradual', options: { sparsity: 0.6, stages: 2, epochsPerStage: 1, limit: 128, batch: 64 } },
        { pass: 'distill', options: { teacher: source.id, limit: 128, batch: 64, epochs: 1 } },
      ],
      '',
    );
    const curves = (await labApi.modelDetail(made.id)).curves!;
    expect(curves.map((c) => c.label)).toEqual([
      'Step 1: Gradual pruning (Zhu & Gupta) with fine-tuning, stage 1/2',
      'Step 1: Gradual pruning (Zhu & Gupta) with fine-tuning, stage 2/2',
      'Step 2: Knowledge distillation',
    ]);
    // 128 images / 64 = 2 steps per run, one after the other.
    expect(curves.map((c) => c.epochs.map((e) => e.step))).toEqual([[2], [4], [6]]);
    for (const c of curves) expect(c.epochs[0].testCount).toBe(2000);
  });

  it('a variant stored before curves existed still loads, without curves', async () => {
    const source = (await labApi.models()).find((m) => m.name === 'curve test')!;
    const rec = structuredClone(mem.get(`model:${source.id}`)) as Record<string, unknown>;
    delete rec.curves;
    mem.set('model:user:old', { ...rec, id: 'user:old', name: 'old record' });
    const d = await labApi.modelDetail('user:old');
    expect(d.summary.name).toBe('old record');
    expect(d.curves).toBeUndefined();
  });
});
