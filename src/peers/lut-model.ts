/**
 * A small MNIST net with every activation the int8 path runs as a lookup
 * table (leakyRelu, tanh, sigmoid), odd channel counts (5, 7, 33: the last
 * packed word of a pixel is partial) and a pool on a table's output, briefly
 * trained on the CPU reference so that its logits have real margins.
 * Test-only (the int8 GPU parity and the ONNX Runtime agreement tests share
 * it); deterministic: the same seed, images and order every run.
 */
import type { Architecture } from '../model/layers.ts';
import type { Model } from '../model/model.ts';
import { initModel } from '../model/model.ts';
import { loadDataset } from '../data/node-loader.ts';
import { fineTuneCpu } from '../compress/cpu-trainer.ts';

/** 28×28×1 → conv 3×3 ×5 → leakyRelu → max 2/2 → conv 3×3 ×7 → tanh → flatten → dense 33 → sigmoid → dense 10. */
export function lutArchitecture(): Architecture {
  return {
    name: 'lut-net',
    inputShape: [28, 28, 1],
    layers: [
      { kind: 'conv2d', name: 'c1', filters: 5, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
      { kind: 'activation', name: 'leaky', fn: 'leakyRelu', alpha: 0.1 },
      { kind: 'maxPool2d', name: 'p1', window: [2, 2], stride: [2, 2] },
      { kind: 'conv2d', name: 'c2', filters: 7, kernel: [3, 3], stride: [1, 1], padding: 'valid', bias: true },
      { kind: 'activation', name: 'tanh', fn: 'tanh' },
      { kind: 'flatten', name: 'flat' },
      { kind: 'dense', name: 'fc1', units: 33, bias: true },
      { kind: 'activation', name: 'sigmoid', fn: 'sigmoid' },
      { kind: 'dense', name: 'fc2', units: 10, bias: true },
    ],
  };
}

let trained: Promise<Model> | undefined;

/** `lutArchitecture` trained for one epoch of SGD on the first 6,000 MNIST training images (a few seconds; once per process). */
export function trainedLutModel(): Promise<Model> {
  trained ??= (async () => {
    const train = await loadDataset('mnist', 'train');
    return fineTuneCpu(initModel(lutArchitecture(), 7), train, { epochs: 1, lr: 0.05, batch: 16, limit: 6000, seed: 1, masks: {} });
  })();
  return trained;
}
