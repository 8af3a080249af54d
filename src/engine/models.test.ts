import { describe, expect, it } from 'vitest';
import { architecture } from '../model/architectures.ts';
import { initModel } from '../model/model.ts';
import { datasetFor, recordedDataset } from './models.ts';

describe('datasetFor: the recorded dataset is the default', () => {
  const m = initModel(architecture('lenet5'), 1);
  it('falls back to MNIST when nothing is recorded or asked', () => {
    expect(datasetFor(m)).toEqual({ dataset: 'mnist' });
    expect(datasetFor(m, 'fashion-mnist')).toEqual({ dataset: 'fashion-mnist' });
  });
  it('uses the recorded dataset, and warns when a request contradicts it', () => {
    const f = { ...m, provenance: { dataset: 'fashion-mnist' } };
    expect(recordedDataset(f)).toBe('fashion-mnist');
    expect(datasetFor(f)).toEqual({ dataset: 'fashion-mnist' });
    expect(datasetFor(f, 'fashion-mnist')).toEqual({ dataset: 'fashion-mnist' });
    const r = datasetFor(f, 'mnist');
    expect(r.dataset).toBe('mnist');
    expect(r.warning).toMatch(/trained on fashion-mnist; using mnist/);
  });
  it('ignores a recorded name it does not know', () => {
    expect(datasetFor({ ...m, provenance: { dataset: 'cifar-10' } })).toEqual({ dataset: 'mnist' });
  });
});
