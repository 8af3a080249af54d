/**
 * The shared test models as the TF.js peer can run them. Test-only: nothing
 * in the engine or the benchmark imports this.
 */
import type { Model } from '../model/model.ts';
import { allTestModels } from './test-cases.ts';

/**
 * `allTestModels()` with one change: the 'imported' model's average pool
 * 'apx' has its pads before (top 0, left 1) and left out of the average,
 * which no TF.js layer computes (the export refuses it; the tests check
 * that). Here its pads move to where TF's 'same' puts them (bottom 1,
 * right 1), keeping its 6×5 output, as 'imported-tfjs'.
 */
export function tfjsPeerModels(): Model[] {
  return allTestModels().map((m) => {
    if (m.architecture.name !== 'imported') return m;
    const layers = m.architecture.layers.map((l) => (l.name === 'apx' ? { ...l, padding: { top: 0, bottom: 1, left: 0, right: 1 } } : l));
    return { ...m, architecture: { ...m.architecture, name: 'imported-tfjs', layers } };
  });
}
