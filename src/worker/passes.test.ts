/**
 * The Compress screen's pass metadata and the worker's checks before a
 * pipeline runs (no GPU or IndexedDB reached: these fail first).
 */
import { describe, expect, it } from 'vitest';
import { architecture } from '../model/architectures.ts';
import { initModel } from '../model/model.ts';
import { applyPipeline, passInfos, pipelineTrains } from './passes.ts';

const input = { model: initModel(architecture('lenet-300-100'), 1), runtime: 'fp32' as const };
const ctx = { dataset: 'mnist' as const, onStep: () => undefined };

describe('passInfos', () => {
  it('offers the training steps, marked as training, and the distillation teacher as a stored-variant picker', () => {
    const infos = passInfos();
    const byId = Object.fromEntries(infos.map((p) => [p.id, p]));
    for (const id of ['finetune', 'gradual', 'distill']) expect(byId[id]?.trains, id).toBe(true);
    for (const id of ['prune', 'kmeans', 'int8']) expect(byId[id]?.trains, id).toBe(false);
    expect(byId.distill.fields.find((f) => f.key === 'teacher')).toMatchObject({ kind: 'model' });
    expect(byId.finetune.fields.find((f) => f.key === 'limit')).toMatchObject({ kind: 'number', min: 0, step: 1 });
    expect(byId.finetune.description).not.toBe('');
  });
});

describe('applyPipeline checks', () => {
  it('refuses a distill step without a teacher, naming the step', async () => {
    await expect(
      applyPipeline(
        input,
        [
          { pass: 'prune', options: {} },
          { pass: 'distill', options: {} },
        ],
        ctx,
      ),
    ).rejects.toThrow('step 2 (Knowledge distillation): choose a teacher among the stored variants');
  });

  it('refuses an unknown pass and an int8 step that is not last', async () => {
    await expect(applyPipeline(input, [{ pass: 'nope', options: {} }], ctx)).rejects.toThrow("unknown compression pass 'nope'");
    await expect(
      applyPipeline(
        input,
        [
          { pass: 'int8', options: {} },
          { pass: 'prune', options: {} },
        ],
        ctx,
      ),
    ).rejects.toThrow('int8 must be the last step');
  });

  it('runs a pipeline without training steps with no GPU and no training split', async () => {
    const steps: string[] = [];
    const out = await applyPipeline(input, [{ pass: 'prune', options: { sparsity: 0.5 } }], { ...ctx, onStep: (_, label) => steps.push(label) });
    expect(steps).toEqual(['Magnitude pruning']);
    expect(out.runtime).toBe('fp32');
    const w = out.model.weights['fc1.weight'];
    expect(w.filter((v) => v === 0).length).toBeGreaterThanOrEqual(w.length / 2);
  });

  it('pipelineTrains says whether a result was trained', () => {
    expect(pipelineTrains([{ pass: 'prune' }, { pass: 'finetune' }])).toBe(true);
    expect(pipelineTrains([{ pass: 'prune' }, { pass: 'int8' }])).toBe(false);
  });
});
