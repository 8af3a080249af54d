import { describe, it, expect } from 'vitest';
import { mulberry32 } from '../model/model.ts';
import { argmax, softmax, softmaxCrossEntropy } from './loss.ts';
import { expectClose, randomF32 } from './test-helpers.ts';

const f32 = (a: number[]): Float32Array => new Float32Array(a);
const LN3 = Math.log(3);

describe('softmax (hand-computed)', () => {
  it('of [1, 2, 3]', () => {
    // e = 2.718281828, e² = 7.389056099, e³ = 20.085536923; sum = 30.192874851
    // p = [2.718281828, 7.389056099, 20.085536923] / 30.192874851 = [0.090030573, 0.244728471, 0.665240956]
    expectClose(softmax(f32([1, 2, 3]), 1, 3), [0.090030573, 0.244728471, 0.665240956], 'softmax', 1e-7);
  });

  it('row by row, stable for huge logits', () => {
    // row 0: [0, ln 3] → exps [1, 3] → [1/4, 3/4]; row 1: the same shifted by 1e4 (exp(1e4) = Infinity without the shift)
    // 1e4 + ln 3 in float32 is off by up to 5e-4, hence the tolerance on that row.
    const p = softmax(f32([0, LN3, 1e4, 1e4 + LN3]), 2, 2);
    expectClose(p.subarray(0, 2), [0.25, 0.75], 'row 0', 1e-7);
    expectClose(p.subarray(2), [0.25, 0.75], 'row 1', 5e-4);
  });

  it('temperature softens: [0, 2 ln 3] gives [0.1, 0.9] at T = 1 and [0.25, 0.75] at T = 2', () => {
    // T = 1: exps [1, 9] / 10.  T = 2: z/T = [0, ln 3] → exps [1, 3] / 4.
    expectClose(softmax(f32([0, 2 * LN3]), 1, 2), [0.1, 0.9], 'T=1', 1e-7);
    expectClose(softmax(f32([0, 2 * LN3]), 1, 2, 2), [0.25, 0.75], 'T=2', 1e-7);
  });
});

describe('argmax', () => {
  it('picks the largest per row; ties go to the first index', () => {
    // row 0: 3 at indices 1 and 2 → 1; row 1: −0.5 is the largest → 2
    expect(Array.from(argmax(f32([1, 3, 3, 2, -1, -5, -0.5, -2]), 2, 4))).toEqual([1, 2]);
  });
});

describe('softmaxCrossEntropy (hand-computed)', () => {
  it('hard labels, batch 2', () => {
    // logits [0, ln 3] → p = [1/4, 3/4] for both rows.
    // row 0, label 1: −ln(3/4) = 0.287682072;  row 1, label 0: −ln(1/4) = 1.386294361
    // mean = (0.287682072 + 1.386294361) / 2 = 0.836988217
    // dLogits = (p − t) / batch: row 0 = [1/4, −1/4]/2 = [0.125, −0.125]; row 1 = [−3/4, 3/4]/2 = [−0.375, 0.375]
    const { loss, dLogits } = softmaxCrossEntropy(f32([0, LN3, 0, LN3]), 2, 2, { labels: [1, 0] });
    expect(loss).toBeCloseTo(0.836988217, 7);
    expectClose(dLogits, [0.125, -0.125, -0.375, 0.375], 'dLogits', 1e-7);
  });

  it('soft targets', () => {
    // logits [0, ln 3] → p = [1/4, 3/4]; t = [1/2, 1/2]
    // loss = −(½ ln ¼ + ½ ln ¾) = ½ (1.386294361 + 0.287682072) = 0.836988217;  dLogits = p − t = [−0.25, 0.25]
    const { loss, dLogits } = softmaxCrossEntropy(f32([0, LN3]), 1, 2, { soft: f32([0.5, 0.5]) });
    expect(loss).toBeCloseTo(0.836988217, 7);
    expectClose(dLogits, [-0.25, 0.25], 'dLogits', 1e-7);
  });

  it('labels and soft together: t is their mean', () => {
    // label 1 → [0, 1], soft [½, ½] → t = [¼, ¾] = p, so the gradient is 0 and the loss is p's entropy:
    // −(¼ ln ¼ + ¾ ln ¾) = 0.25 · 1.386294361 + 0.75 · 0.287682072 = 0.346573590 + 0.215761554 = 0.562335145
    const { loss, dLogits } = softmaxCrossEntropy(f32([0, LN3]), 1, 2, { labels: [1], soft: f32([0.5, 0.5]) });
    expect(loss).toBeCloseTo(0.562335145, 7);
    expectClose(dLogits, [0, 0], 'dLogits', 1e-7);
  });

  it('temperature: p = softmax(z/T) and the gradient is divided by T', () => {
    // z = [0, 2 ln 3], T = 2 → p = [1/4, 3/4]; label 1: loss = −ln(3/4) = 0.287682072
    // dLogits = (p − t)/(T · batch) = [1/4, −1/4]/2 = [0.125, −0.125]
    const { loss, dLogits } = softmaxCrossEntropy(f32([0, 2 * LN3]), 1, 2, { labels: [1] }, 2);
    expect(loss).toBeCloseTo(0.287682072, 7);
    expectClose(dLogits, [0.125, -0.125], 'dLogits', 1e-7);
  });

  it('a confident wrong prediction costs a lot but stays finite', () => {
    // z = [100, 0], label 1: loss = logsumexp(z) − z_1 = 100 + ln(1 + e^−100) ≈ 100
    const { loss, dLogits } = softmaxCrossEntropy(f32([100, 0]), 1, 2, { labels: [1] });
    expect(loss).toBeCloseTo(100, 10);
    expectClose(dLogits, [1, -1], 'dLogits', 1e-7);
  });
});

describe('softmaxCrossEntropy gradient matches central differences of its own loss', () => {
  const batch = 4;
  const classes = 5;
  /**
   * Logits are float32, so the perturbed points are rounded to float32 and the
   * step is measured between the rounded points (exact), not assumed to be 2h.
   */
  function check(targets: { labels?: number[]; soft?: Float32Array }, temperature: number, seed: number): void {
    const z = randomF32(mulberry32(seed), batch * classes, -3, 3);
    const { dLogits } = softmaxCrossEntropy(z, batch, classes, targets, temperature);
    const numeric = new Float64Array(z.length);
    const h = 1e-3;
    for (let i = 0; i < z.length; i++) {
      const orig = z[i];
      z[i] = orig + h;
      const up = z[i];
      const lUp = softmaxCrossEntropy(z, batch, classes, targets, temperature).loss;
      z[i] = orig - h;
      const down = z[i];
      const lDown = softmaxCrossEntropy(z, batch, classes, targets, temperature).loss;
      z[i] = orig;
      numeric[i] = (lUp - lDown) / (up - down);
    }
    expectClose(dLogits, numeric, 'dLogits', 1e-6, 1e-4);
  }
  const softTargets = (seed: number): Float32Array => softmax(randomF32(mulberry32(seed), batch * classes, -2, 2), batch, classes);

  it('hard labels, T = 1', () => check({ labels: [0, 4, 2, 2] }, 1, 31));
  it('soft targets, T = 3', () => check({ soft: softTargets(32) }, 3, 33));
  it('soft targets, T = 20 (Hinton distillation temperature)', () => check({ soft: softTargets(34) }, 20, 35));
  it('labels and soft together, T = 0.5', () => check({ labels: [1, 1, 3, 0], soft: softTargets(36) }, 0.5, 37));
});
