/**
 * The input-convention choice on real trained weights: the bundled
 * LeNet-300-100 rewritten (exactly, by folding an affine map into its first
 * dense layer) into a model that expects another convention must be found
 * under that convention, and only under it does it keep its accuracy.
 */
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../data/node-loader.ts';
import type { Model } from '../model/model.ts';
import { composePreprocess, choosePreprocess, CONVENTIONS, type ConventionName } from './preprocess.ts';
import { resolveModel } from './node.ts';
import { evaluate } from './evaluate.ts';

/**
 * A model that, fed convention `c` of the pixels, answers what `m` answers on
 * the pixels: the first dense layer takes u = scale·x + offset, so it gets
 * W' = W / scale and b' = b − (offset / scale)·ΣW.
 */
function expecting(m: Model, c: ConventionName): Model {
  const { scale, offset } = CONVENTIONS.find((k) => k.name === c)!.map;
  const first = m.architecture.layers.find((l) => l.kind === 'dense')!;
  const w = m.weights[`${first.name}.weight`];
  const b = m.weights[`${first.name}.bias`];
  const k = w.length / b.length;
  const w2 = new Float32Array(w.length);
  const b2 = new Float32Array(b.length);
  for (let o = 0; o < b.length; o++) {
    let sum = 0;
    for (let i = 0; i < k; i++) {
      w2[o * k + i] = w[o * k + i] / scale;
      sum += w[o * k + i];
    }
    b2[o] = b[o] - (offset / scale) * sum;
  }
  return { ...m, weights: { ...m.weights, [`${first.name}.weight`]: w2, [`${first.name}.bias`]: b2 } };
}

describe('choosePreprocess', () => {
  it('composes maps in order: outer after inner', () => {
    expect(composePreprocess({ scale: 1 / 255, offset: 0 }, { scale: 255, offset: 0 })).toEqual({ scale: 1, offset: 0 });
    expect(composePreprocess({ scale: 2, offset: -1 }, { scale: -1, offset: 1 })).toEqual({ scale: -2, offset: 1 });
    expect(composePreprocess(undefined, { scale: 3, offset: 4 })).toEqual({ scale: 3, offset: 4 });
  });

  it('finds the convention a model was trained on from 512 training images, and keeps its accuracy', async () => {
    const train = await loadDataset('mnist', 'train');
    const { model } = await resolveModel('lenet-300-100');
    const base = await evaluate('cpu', model, train, { limit: 512 });
    for (const c of ['mnist', 'inverted', 'byte'] as const) {
      const m = expecting(model, c);
      const r = await choosePreprocess('cpu', m, train);
      expect(r.chosen, r.reason).toBe(c);
      const mine = r.scores.find((s) => s.convention === c)!;
      expect(Math.abs(mine.errors - base.errors), r.reason).toBeLessThanOrEqual(1);
      // Under the lab's own [0, 1] it is far worse: the choice matters.
      expect(r.scores.find((s) => s.convention === 'unit')!.accuracy, r.reason).toBeLessThan(base.accuracy - 0.2);
      expect(r.reason).toContain(`'${c}'`);
      expect(r.model.architecture.preprocess).toMatchObject(CONVENTIONS.find((k) => k.name === c)!.map);
    }
    // The lab's own model stays as it is: no map written.
    const same = await choosePreprocess('cpu', model, train);
    expect(same.chosen).toBe('unit');
    expect(same.model.architecture.preprocess).toBeUndefined();
  }, 120_000);

  it("composes the file's own map after the convention (a Keras Rescaling(1/255) model is right under 'byte')", async () => {
    const train = await loadDataset('mnist', 'train');
    const { model } = await resolveModel('lenet-300-100');
    // The file divides its input by 255 and its layers expect the unit pixel: it was fed raw bytes.
    const declared: Model = { ...model, architecture: { ...model.architecture, preprocess: { scale: 1 / 255, offset: 0, label: 'x / 255' } } };
    const r = await choosePreprocess('cpu', declared, train);
    expect(r.chosen, r.reason).toBe('byte');
    // (1/255)·255: the composed map is the identity, so the written model needs none.
    const p = r.model.architecture.preprocess;
    expect(p === undefined || (Math.abs(p.scale - 1) < 1e-12 && p.offset === 0), JSON.stringify(p)).toBe(true);
    const asked = await choosePreprocess('cpu', declared, train, { only: 'unit' });
    expect(asked.reason).toContain('as asked');
    expect(asked.scores).toHaveLength(1);
    await expect(choosePreprocess('cpu', declared, train, { only: 'nope' as ConventionName })).rejects.toThrow(/unknown input convention 'nope'/);
  }, 120_000);
});
