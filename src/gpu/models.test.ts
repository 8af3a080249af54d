/**
 * Whole-model f32 parity of the GPU executor against the CPU reference for
 * every built-in architecture (batch 1 and 257), plus the executor's
 * behaviours: chunking (batch > maxBatch gives the same result), reading back
 * a layer that fusion removed, and recovery from a lost device. Real GPU
 * (SwiftShader under Node); no skips: without WebGPU these tests fail with
 * the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelForward, modelForwardAll } from '../cpu/forward.ts';
import { architecture, ARCHITECTURES } from '../model/architectures.ts';
import type { Model } from '../model/model.ts';
import { inferShapes } from '../model/shapes.ts';
import type { Gpu } from './device.ts';
import { acquireGpu } from './device.ts';
import { createExecutor } from './executor.ts';
import { expectNear, expectSameClasses, modelOf, randomInput } from './test-helpers.ts';

let gpu: Gpu;
beforeAll(async () => {
  gpu = await acquireGpu();
});
afterAll(() => gpu?.device.destroy());

/** A built-in architecture with seeded weights and non-zero biases. */
function builtIn(name: string, seed = 11): Model {
  const arch = architecture(name);
  return modelOf(arch.name, arch.inputShape as [number, number, number], arch.layers, seed);
}

/** MNIST-like input: pixels in [0, 1]. */
function images(batch: number, seed: number): Float32Array {
  return randomInput(batch * 784, seed).map((v) => (v + 1) / 2);
}

// Whole models sum up to 800 products per output through several layers; the
// GPU's summation order differs from the CPU's, so allow 1e-3 abs + rel.
const ABS = 1e-3;
const REL = 1e-3;

describe('whole-model f32 parity with the CPU reference', () => {
  for (const name of Object.keys(ARCHITECTURES)) {
    it(`${name}: logits and argmax at batch 1 and 257`, async () => {
      const model = builtIn(name);
      const exec = await createExecutor(gpu, model, { maxBatch: 257 });
      try {
        for (const batch of [1, 257]) {
          const x = images(batch, batch + 5);
          const want = modelForward(model, x, batch);
          const got = await exec.run(x, batch, { readback: 'logits' });
          expectNear(got, want, `${name} batch ${batch} logits`, ABS, REL);
          const classes = await exec.run(x, batch, { readback: 'argmax' });
          expect(classes.length).toBe(batch);
          expectSameClasses(classes, want, 10, `${name} batch ${batch} argmax`);
        }
      } finally {
        exec.destroy();
      }
    });
  }
});

describe('executor behaviour', () => {
  it('chunking: batch 37 with maxBatch 16 (3 command buffers, the last partial) equals one chunk and the CPU', async () => {
    const model = builtIn('lenet5');
    const x = images(37, 9);
    const whole = await createExecutor(gpu, model, { maxBatch: 64 });
    const chunked = await createExecutor(gpu, model, { maxBatch: 16 });
    try {
      expect(chunked.chunk).toBe(16);
      const a = await whole.run(x, 37, { readback: 'logits' });
      const b = await chunked.run(x, 37, { readback: 'logits' });
      expect(b.length).toBe(a.length);
      // Same kernels, same per-image arithmetic: chunking must not change a bit.
      expect(Array.from(b)).toEqual(Array.from(a));
      expectNear(b, modelForward(model, x, 37), 'chunked logits', ABS, REL);
      const ca = await whole.run(x, 37, { readback: 'argmax' });
      const cb = await chunked.run(x, 37, { readback: 'argmax' });
      expect(Array.from(cb)).toEqual(Array.from(ca));
      expect(await chunked.run(x, 37, { readback: 'none' })).toBeNull();
    } finally {
      whole.destroy();
      chunked.destroy();
    }
  });

  it('layer readback: a fused-away layer (conv1, before its pool) and a fused output (pool2) match the CPU', async () => {
    const model = builtIn('lenet5');
    const batch = 3;
    const x = images(batch, 21);
    const all = modelForwardAll(model, x, batch);
    const index = new Map(inferShapes(model.architecture).map((ls, i) => [ls.layer.name, i]));
    const exec = await createExecutor(gpu, model, { maxBatch: 8 });
    try {
      for (const layer of ['conv1', 'pool2', 'relu1']) {
        const got = await exec.run(x, batch, { readback: { layer } });
        expectNear(got, all[index.get(layer)!], `layer ${layer}`, ABS, REL);
      }
      await expect(exec.run(x, batch, { readback: { layer: 'nope' } })).rejects.toThrow(/no layer 'nope'/);
    } finally {
      exec.destroy();
    }
  });

  it('device loss: after device.destroy() the next run recreates the device, retries and is correct', async () => {
    // Its own device (the others' must survive) and a one-layer model: every
    // pipeline compiles twice here, once per device.
    const own = await acquireGpu();
    const model = modelOf(
      'tiny',
      [28, 28, 1],
      [
        { kind: 'flatten', name: 'flatten' },
        { kind: 'dense', name: 'fc', units: 10, bias: true },
      ],
    );
    const exec = await createExecutor(own, model, { maxBatch: 16 });
    try {
      const x = images(5, 33);
      const want = modelForward(model, x, 5);
      expectNear(await exec.run(x, 5), want, 'before loss', ABS, REL);
      const lostDevice = exec.gpu.device;
      lostDevice.destroy();
      await exec.gpu.lost;
      const got = await exec.run(x, 5, { readback: 'logits' });
      expect(exec.gpu.device).not.toBe(lostDevice);
      expect(exec.gpu.isLost()).toBe(false);
      expectNear(got, want, 'after loss', ABS, REL);
    } finally {
      exec.destroy();
      exec.gpu.device.destroy();
    }
  });
});
