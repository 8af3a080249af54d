/**
 * Opsets 18–21: ONNX's own test data (Debian's libonnx-testdata, ONNX 1.12)
 * and python3-onnx (1.12) stop at opset 17, so files declaring the newer
 * opsets are written by the lab's exporter (`exportOnnx({ opset })`: every op
 * it writes means the same from 17 to 21). ONNX Runtime 1.30 runs each one,
 * and the importer reads each back to the same predictions.
 */
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelForward } from '../../cpu/forward.ts';
import type { Dataset } from '../../data/dataset.ts';
import { toFloatBatch } from '../../data/dataset.ts';
import { loadDataset } from '../../data/node-loader.ts';
import { readModelFile } from '../../engine/node.ts';
import { exportOnnx } from '../../export/onnx.ts';
import type { Model } from '../../model/model.ts';
import { configureOrtWasm, createOrtSession } from '../../peers/ort-runner.ts';
import { decodeOnnx } from './schema.ts';
import { importOnnx } from './index.ts';

const N = 200;
let test: Dataset;
let model: Model;

beforeAll(async () => {
  configureOrtWasm(ort, { numThreads: 1 });
  test = await loadDataset('mnist', 'test');
  const base = (await readModelFile('models/lenet5-separable.safetensors')).model;
  // A preprocessing too, so the input Mul/Add is read back at every opset.
  model = { ...base, architecture: { ...base.architecture, preprocess: { scale: 2, offset: -1 } } };
});

function argmaxes(logits: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length / 10; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
    out.push(best);
  }
  return out;
}

describe('ONNX opsets 18–21', () => {
  for (const opset of [18, 19, 20, 21]) {
    it(`opset ${opset}: ONNX Runtime runs it and the importer reads it back to the same predictions`, async () => {
      const bytes = exportOnnx(model, { opset });
      const decoded = decodeOnnx(bytes);
      expect(decoded.opsetImport).toEqual([{ domain: '', version: opset }]);
      const x = toFloatBatch(test, 0, N);
      const want = modelForward(model, x, N);
      const runner = await createOrtSession(ort, bytes, 'wasm');
      try {
        expect(argmaxes(await runner.run(x, N))).toEqual(argmaxes(want));
      } finally {
        await runner.dispose();
      }
      const { model: back, report } = importOnnx(bytes, { expectInput: [28, 28, 1] });
      expect(report.opset).toBe(opset);
      expect(back.architecture.preprocess).toMatchObject({ scale: 2, offset: -1 });
      const got = modelForward(back, x, N);
      expect(argmaxes(got)).toEqual(argmaxes(want));
      expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-4);
    });
  }

  it('the exporter refuses an opset outside 17–21', () => {
    expect(() => exportOnnx(model, { opset: 22 })).toThrow(/opset must be an integer from 17 to 21, got 22/);
    expect(() => exportOnnx(model, { opset: 16 })).toThrow(/opset/);
  });
});
