import { describe, expect, it } from 'vitest';
import type { Dataset } from '../data/dataset.ts';
import { initModel } from '../model/model.ts';
import type { Architecture } from '../model/layers.ts';
import { measureCpuTraining, trainingImages } from './training.ts';

const tiny: Architecture = {
  name: 'tiny',
  inputShape: [28, 28, 1],
  layers: [
    { kind: 'flatten', name: 'flatten' },
    { kind: 'dense', name: 'fc', units: 10, bias: true },
  ],
};

function fakeMnist(count: number): Dataset {
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    images[i * 784 + labels[i] * 10] = 255; // a class-dependent pixel
  }
  return { name: 'mnist', split: 'train', count, rows: 28, cols: 28, images, labels } as unknown as Dataset;
}

describe('training throughput measurement', () => {
  it('GPU epochs are whole batches of 64, at least one, within the data', () => {
    expect(trainingImages(256, 60000)).toBe(256);
    expect(trainingImages(300, 60000)).toBe(256);
    expect(trainingImages(10, 60000)).toBe(64);
    expect(trainingImages(1000, 200)).toBe(192);
  });
  it('CPU reference: timed Adam steps, images = steps × 64, the model passed in is untouched', () => {
    const model = initModel(tiny, 3);
    const before = model.weights['fc.weight'].slice();
    const r = measureCpuTraining('node', model, fakeMnist(640), 1, 3, 5, () => {});
    expect(r.status).toBe('ok');
    expect(r.runtime).toBe('cpu-reference');
    expect(r.steps).toBe(3); // the minimum, since the 1 ms budget is spent at once
    expect(r.images).toBe(3 * 64);
    expect(r.imagesPerSecond).toBeCloseTo(r.images / r.seconds);
    expect(r.imagesPerSecond! > 0).toBe(true);
    expect(model.weights['fc.weight']).toEqual(before);
  });
  it('a failing model becomes an error row with the message, not a number', () => {
    const model = initModel(tiny, 3);
    model.weights['fc.weight'] = new Float32Array(3); // wrong size
    const r = measureCpuTraining('node', model, fakeMnist(128), 1, 1, 1, () => {});
    expect(r.status).toBe('error');
    expect(r.imagesPerSecond).toBeNull();
    expect(r.note).toBeTruthy();
  });
});
