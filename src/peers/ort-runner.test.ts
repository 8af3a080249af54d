import { describe, it, expect, beforeAll } from 'vitest';
// In Node this resolves to ORT's node build, which loads its wasm from node_modules/onnxruntime-web/dist itself.
import * as ort from 'onnxruntime-web';
import { modelForward } from '../cpu/forward.ts';
import { exportOnnx } from '../export/onnx.ts';
import { configureOrtWasm, createOrtSession } from './ort-runner.ts';
import { allTestModels, expectLogitsClose, testInput } from './test-cases.ts';

beforeAll(() => {
  // One thread: no worker threads that could outlive the test file.
  configureOrtWasm(ort, { numThreads: 1 });
});

describe('ONNX export on ONNX Runtime Web (wasm, CPU) matches the CPU reference', () => {
  for (const model of allTestModels()) {
    it(`${model.architecture.name}, dynamic batch: batch 1 and 7`, async () => {
      const runner = await createOrtSession(ort, exportOnnx(model), 'wasm', { inputShape: model.architecture.inputShape });
      try {
        for (const batch of [1, 7]) {
          const x = testInput(model, batch, 100 + batch);
          expectLogitsClose(await runner.run(x, batch), modelForward(model, x, batch), batch, `${model.architecture.name} batch ${batch}`);
        }
      } finally {
        await runner.dispose();
      }
    });
  }

  it('a fixed-batch export runs at that batch', async () => {
    const model = allTestModels()[0];
    const runner = await createOrtSession(ort, exportOnnx(model, { batch: 7 }), 'wasm');
    try {
      const x = testInput(model, 7, 3);
      expectLogitsClose(await runner.run(x, 7), modelForward(model, x, 7), 7, 'fixed batch 7');
    } finally {
      await runner.dispose();
    }
  });

  it('rejects a wrong input size before reaching ORT, and use after dispose', async () => {
    const model = allTestModels()[1];
    const runner = await createOrtSession(ort, exportOnnx(model), 'wasm');
    await expect(runner.run(new Float32Array(784 * 2), 3)).rejects.toThrow(/expected 2352/);
    await runner.dispose();
    await expect(runner.run(new Float32Array(784), 1)).rejects.toThrow(/disposed/);
  });
});
