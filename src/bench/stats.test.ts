import { describe, expect, it } from 'vitest';
import { agreement, argmaxRows, imagesPerSecond, quantile, runsForBudget, summarize } from './stats.ts';

describe('bench statistics', () => {
  it('nearest-rank quantiles, like src/gpu/timer.ts', () => {
    const s = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(quantile(s, 0.5)).toBe(5);
    expect(quantile(s, 0.9)).toBe(9);
    expect(quantile(s, 0)).toBe(1);
    expect(quantile(s, 1)).toBe(10);
    expect(() => quantile([], 0.5)).toThrow(/no samples/);
  });
  it('summarize ignores input order', () => {
    const r = summarize([5, 1, 4, 2, 3]);
    expect(r).toEqual({ p50: 3, p90: 5, mean: 3, min: 1, max: 5, runs: 5 });
    expect(() => summarize([1, NaN])).toThrow(/non-finite/);
  });
  it('images per second and run budgets', () => {
    expect(imagesPerSecond(64, 32)).toBe(2000);
    expect(() => imagesPerSecond(1, 0)).toThrow();
    expect(runsForBudget(100, 1000, 3, 50)).toBe(10);
    expect(runsForBudget(5000, 1000, 3, 50)).toBe(3);
    expect(runsForBudget(1, 1000, 3, 50)).toBe(50);
  });
  it('argmax takes the first of ties; agreement counts equal entries', () => {
    expect(Array.from(argmaxRows([0, 2, 2, 1, 0, 0], 3))).toEqual([1, 0]);
    expect(agreement([1, 2, 3, 4], [1, 2, 0, 4])).toEqual({ agree: 3, total: 4, fraction: 0.75 });
    expect(() => agreement([1], [1, 2])).toThrow();
  });
});
