/**
 * The QDQ export of int8 models whose sigmoid, tanh and leakyRelu run as
 * lookup tables in the lab (Int8LutOp): each table is written as
 * DequantizeLinear → Sigmoid/Tanh/LeakyRelu → QuantizeLinear at the table's
 * output scale and zero point. ONNX Runtime (onnxruntime-web wasm, in Node)
 * fuses sigmoid and leaky relu into its own integer kernels (which build
 * their own tables) and runs tanh in float between the Q/DQ pair; its
 * rounding may differ from the lab's table by a code, so agreement with the
 * lab's integer engine is measured, not assumed exact.
 */
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { int8ModelForward } from '../cpu/quantized.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import type { Dataset } from '../data/dataset.ts';
import { toFloatBatch } from '../data/dataset.ts';
import { loadDataset } from '../data/node-loader.ts';
import { calibrateInt8 } from '../engine/int8.ts';
import { decodeOnnx } from '../import/onnx/schema.ts';
import type { DecodedOnnx } from '../import/onnx/schema.ts';
import type { Int8LutOp, Int8Model } from '../model/int8.ts';
import type { Model } from '../model/model.ts';
import { configureOrtWasm, createOrtSession } from '../peers/ort-runner.ts';
import { trainedLutModel } from '../peers/lut-model.ts';
import { importedArchitecture, testInput, testModel } from '../peers/test-cases.ts';
import { exportOnnx } from './onnx.ts';
import { ortKernelsRun } from './ort-test-helpers.ts';

let test: Dataset;
let model: Model;
let int8: Int8Model;
beforeAll(async () => {
  configureOrtWasm(ort, { numThreads: 1 });
  test = await loadDataset('mnist', 'test');
  model = await trainedLutModel();
  int8 = calibrateInt8(model, await loadDataset('mnist', 'train')).int8;
}, 120_000);

const argmax = (logits: Float32Array, i: number): number => {
  let best = 0;
  for (let c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
  return best;
};

/** Top-1 agreement, and how many output codes are equal / the largest code difference. */
function compare(ortLogits: Float32Array, lab: Float32Array, n: number, scale: number): { agree: number; sameCodes: number; maxCodes: number } {
  let agree = 0;
  let same = 0;
  let maxCodes = 0;
  for (let i = 0; i < n; i++) if (argmax(ortLogits, i) === argmax(lab, i)) agree++;
  for (let i = 0; i < lab.length; i++) {
    const d = Math.round(Math.abs(ortLogits[i] - lab[i]) / scale);
    if (d === 0) same++;
    maxCodes = Math.max(maxCodes, d);
  }
  return { agree: agree / n, sameCodes: same / lab.length, maxCodes };
}

async function runOrt(bytes: Uint8Array, x: Float32Array, n: number, inputShape?: readonly [number, number, number]): Promise<Float32Array> {
  const runner = await createOrtSession(ort, bytes, 'wasm', inputShape ? { inputShape } : {});
  try {
    return await runner.run(x, n);
  } finally {
    await runner.dispose();
  }
}

describe('ONNX int8 export of lookup tables (sigmoid, tanh, leakyRelu)', () => {
  it('each table is DequantizeLinear → its ONNX activation → QuantizeLinear at the table’s output scale and zero point', () => {
    const onnx: DecodedOnnx = decodeOnnx(exportOnnx(model, { int8 }));
    const producer = new Map(onnx.graph.node.map((n) => [n.output[0], n]));
    const init = new Map(onnx.graph.initializer.map((t) => [t.name, t]));
    const luts = int8.ops.filter((o): o is Int8LutOp => o.kind === 'lut');
    expect(luts.map((o) => o.layer.fn)).toEqual(['leakyRelu', 'tanh', 'sigmoid']);
    for (const op of luts) {
      const act = onnx.graph.node.find((n) => n.name === op.layer.name)!;
      expect(act.opType).toBe({ leakyRelu: 'LeakyRelu', tanh: 'Tanh', sigmoid: 'Sigmoid' }[op.layer.fn as 'leakyRelu' | 'tanh' | 'sigmoid']);
      expect(producer.get(act.input[0])?.opType, `${op.layer.name} reads a dequantized code`).toBe('DequantizeLinear');
      const q = onnx.graph.node.find((n) => n.opType === 'QuantizeLinear' && n.input[0] === act.output[0])!;
      expect(q, `${op.layer.name} is quantized right after`).toBeDefined();
      const scale = init.get(q.input[1])!.rawData!;
      expect(new DataView(scale.buffer, scale.byteOffset, 4).getFloat32(0, true)).toBe(Math.fround(op.output.scale));
      const zp = init.get(q.input[2])!.rawData!;
      expect(new Int8Array(zp.buffer, zp.byteOffset, 1)[0]).toBe(op.output.zeroPoint);
    }
  });

  it('ONNX Runtime agrees with the lab’s integer engine on the trained net (2,000 MNIST test images) and on a seeded imported net ending in tanh', async () => {
    const n = 2000;
    const x = toFloatBatch(test, 0, n);
    const lab = int8ModelForward(int8, x, n).logits;
    const trained = compare(await runOrt(exportOnnx(model, { int8 }), x, n), lab, n, int8.output.scale);

    const imported = testModel(importedArchitecture(), 6);
    const m = 500;
    const xi = testInput(imported, m, 3);
    const qi = quantizeInt8Model(imported, { calibration: xi.subarray(0, 64 * 220), batch: 64, method: 'minmax' });
    const tanhEnd = compare(await runOrt(exportOnnx(imported, { int8: qi }), xi, m, [11, 10, 2]), int8ModelForward(qi, xi, m).logits, m, qi.output.scale);
    const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
    console.log(
      `ORT (wasm) vs the lab's int8 engine: lut-net on ${n} MNIST test images: top-1 agreement ${pct(trained.agree)}, ` +
        `logit codes equal ${pct(trained.sameCodes)} (max ${trained.maxCodes} apart); imported net (tanh logits) on ${m} seeded inputs: ` +
        `agreement ${pct(tanhEnd.agree)}, codes equal ${pct(tanhEnd.sameCodes)} (max ${tanhEnd.maxCodes} apart)`,
    );
    expect(trained.agree).toBeGreaterThanOrEqual(0.995);
    expect(tanhEnd.agree).toBeGreaterThanOrEqual(0.98);
    // Rounding differs by a code here and there (ORT's float requantization and its own tables), never by much.
    expect(trained.sameCodes).toBeGreaterThanOrEqual(0.9);
    expect(Math.max(trained.maxCodes, tanhEnd.maxCodes)).toBeLessThanOrEqual(3);
  }, 120_000);

  it('ORT runs sigmoid and leaky relu in its integer kernels (QLinearSigmoid, QLinearLeakyRelu), tanh in float between the Q/DQ pair', async () => {
    const ran = await ortKernelsRun(ort, exportOnnx(model, { int8 }), toFloatBatch(test, 0, 1), [1, 1, 28, 28]);
    expect(ran).toContain('QLinearSigmoid');
    expect(ran).toContain('QLinearLeakyRelu');
    expect(ran).toContain('Tanh');
    expect(ran).not.toContain('Sigmoid');
    expect(ran).not.toContain('LeakyRelu');
  });
});
