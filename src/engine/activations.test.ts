/**
 * Per-layer activations and their comparison: rows follow the architecture's
 * shapes (the accounting's), the last row is the model's logits, int8 rows
 * dequantize close to the fp32 ones, and difference maps are elementwise
 * differences with the stated max, relative error and top agreement.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../data/node-loader.ts';
import { toFloatBatch, type Dataset } from '../data/dataset.ts';
import { ARCHITECTURES, architecture } from '../model/architectures.ts';
import { accountModel } from '../model/accounting.ts';
import { parseModel } from '../model/format.ts';
import { initModel } from '../model/model.ts';
import { layerForward, modelForward } from '../cpu/forward.ts';
import { int8ModelForward } from '../cpu/quantized.ts';
import { calibrateInt8 } from './int8.ts';
import type { Int8Model } from '../model/int8.ts';
import {
  compareActivations,
  differenceOf,
  floatActivations,
  floatStages,
  int8Activations,
  strongestIndex,
  type LayerActivation,
  type VariantActivations,
} from './activations.ts';

const lenet5 = parseModel(new Uint8Array(readFileSync('models/lenet5.safetensors')), 'lenet5');
let test: Dataset;
let int8: Int8Model;
beforeAll(async () => {
  test = await loadDataset('mnist', 'test');
  int8 = calibrateInt8(lenet5, await loadDataset('mnist', 'train'), { images: 256 }).int8;
});

const image = (i: number): Float32Array => toFloatBatch(test, i, 1);

describe('stages and shapes', () => {
  it("LeNet-5's rows: conv, pool, conv, pool+flatten (drawn spatial), fc1+relu1, fc2 — the int8 ops' grouping", async () => {
    const a = await floatActivations(lenet5, image(0));
    expect(a.layers.map((l) => [l.name, l.layers, l.shape])).toEqual([
      ['input', ['input'], [28, 28, 1]],
      ['conv1', ['conv1'], [24, 24, 20]],
      ['pool1', ['pool1'], [12, 12, 20]],
      ['conv2', ['conv2'], [8, 8, 50]],
      ['flatten', ['pool2', 'flatten'], [4, 4, 50]],
      ['relu1', ['fc1', 'relu1'], [500]],
      ['fc2', ['fc2'], [10]],
    ]);
    const q = int8Activations(int8, image(0));
    expect(q.layers.map((l) => [l.name, l.layers, l.shape])).toEqual(a.layers.map((l) => [l.name, l.layers, l.shape]));
  });

  it('every built-in architecture: each row has the output shape the accounting gives its layer (a flatten: the shape it flattens), and its values fill it', async () => {
    for (const name of Object.keys(ARCHITECTURES)) {
      const model = initModel(architecture(name), 3);
      const account = accountModel(model.architecture).layers;
      const acts = await floatActivations(model, image(1));
      const stages = floatStages(model);
      expect(
        acts.layers.slice(1).map((l) => l.name),
        name,
      ).toEqual(stages.map((s) => s.name));
      // Every layer is in exactly one row, in order, except a leading flatten (the input itself).
      const covered = acts.layers.slice(1).flatMap((l) => l.layers);
      expect(covered, name).toEqual(model.architecture.layers.map((l) => l.name).filter((n, i) => i > 0 || model.architecture.layers[0].kind !== 'flatten'));
      for (const row of acts.layers.slice(1)) {
        const drawn = row.layers.filter((n) => account.find((l) => l.name === n)!.kind !== 'flatten');
        const expected = drawn.length ? account.find((l) => l.name === drawn[drawn.length - 1])!.outputShape : undefined;
        if (expected) expect(row.shape, `${name} ${row.name}`).toEqual(expected);
        expect(row.values.length, `${name} ${row.name}`).toBe(account.find((l) => l.name === row.name)!.outputShape.reduce((p, d) => p * d, 1));
      }
    }
  });

  it('LeNet-300-100 starts with a flatten: no row for it, the input row is [28, 28, 1]', async () => {
    const m = initModel(architecture('lenet-300-100'), 1);
    const a = await floatActivations(m, image(2));
    expect(a.layers.map((l) => [l.name, l.shape])).toEqual([
      ['input', [28, 28, 1]],
      ['relu1', [300]],
      ['relu2', [100]],
      ['fc3', [10]],
    ]);
  });

  it('refuses an image of the wrong size', async () => {
    await expect(floatActivations(lenet5, new Float32Array(100))).rejects.toThrow(/100 values, one \[28, 28, 1\] input needs 784/);
    expect(() => int8Activations(int8, new Float32Array(100))).toThrow(/100 values/);
  });
});

describe('values', () => {
  it('the last row is the logits of the model forward pass, and top is their argmax', async () => {
    for (const i of [0, 1, 2]) {
      const x = image(i);
      const a = await floatActivations(lenet5, x);
      const logits = modelForward(lenet5, x, 1);
      expect(Array.from(a.layers[a.layers.length - 1].values)).toEqual(Array.from(logits));
      expect(a.top).toBe(Array.from(logits).indexOf(Math.max(...logits)));
      expect(a.top).toBe(test.labels[i]); // the bundled LeNet-5 gets these three right
      const q = int8Activations(int8, x);
      expect(Array.from(q.layers[q.layers.length - 1].values)).toEqual(Array.from(int8ModelForward(int8, x, 1).logits));
    }
  });

  it('a reader (a GPU layer readback) is asked for each row in order, and its values are what the rows hold', async () => {
    const asked: string[] = [];
    const x = image(3);
    const cpu = await floatActivations(lenet5, x);
    const via = await floatActivations(lenet5, x, {
      read: async (name) => {
        asked.push(name);
        return cpu.layers.find((l) => l.name === name)!.values.map((v) => v + 1);
      },
    });
    expect(asked).toEqual(cpu.layers.slice(1).map((l) => l.name));
    expect(via.on).toBe('gpu');
    expect(via.layers[2].values[5]).toBe(Math.fround(cpu.layers[2].values[5] + 1));
    expect(via.layers[0].values).toEqual(cpu.layers[0].values); // the input is the input
  });

  it('int8 rows dequantize to within their scale of the fp32 rows at the input and the first layer (real LeNet-5, 20 MNIST test images)', async () => {
    let worst = 0;
    let over = 0;
    let total = 0;
    let sum = 0;
    for (let i = 0; i < 20; i++) {
      const x = image(i);
      const f = await floatActivations(lenet5, x);
      const q = int8Activations(int8, x);
      const [fin, fconv, qin, qconv] = [f.layers[0], f.layers[1], q.layers[0], q.layers[1]];
      // The input is quantized once: half a step at most.
      expect(differenceOf(fin, qin).maxAbs).toBeLessThanOrEqual(qin.quant!.scale / 2 + 1e-7);
      const scale = qconv.quant!.scale;
      const d = differenceOf(fconv, qconv);
      for (const v of d.values) {
        const steps = Math.abs(v) / scale;
        worst = Math.max(worst, steps);
        if (steps > 1) over++;
        sum += steps;
        total++;
      }
      // Output rounding alone is half a step; rounding the weights adds a little, so a few values pass one step.
      expect(d.maxAbs, `image ${i}`).toBeLessThanOrEqual(1.5 * scale);
    }
    expect(over / total).toBeLessThan(1e-3);
    // Uniform rounding error has mean |e| = a quarter of a step: what int8 adds here is rounding, nothing systematic.
    expect(sum / total).toBeGreaterThan(0.2);
    expect(sum / total).toBeLessThan(0.3);
    console.log(
      `LeNet-5 conv1, 20 test images: int8 − fp32 mean ${(sum / total).toFixed(3)}, worst ${worst.toFixed(3)} steps; ${over} of ${total} values beyond one step`,
    );
  });

  it("the int8 first layer is the float convolution with int8's own (dequantized) weights and bias, rounded to its step: within half a step", () => {
    const op = int8.ops[0];
    if (op.kind !== 'conv2d') throw new Error('LeNet-5 starts with a conv2d');
    const filter = op.weight.length / op.weightScale.length;
    const weight = Float32Array.from(op.weight, (w, i) => w * op.weightScale[Math.floor(i / filter)]);
    const bias = Float32Array.from(op.bias, (b, o) => b * op.input.scale * op.weightScale[o]);
    for (let i = 0; i < 5; i++) {
      const x = image(i);
      const q = int8Activations(int8, x);
      const exact = layerForward(op.layer, q.layers[0].values, [28, 28, 1], 1, { weight, bias });
      const scale = q.layers[1].quant!.scale;
      let worst = 0;
      for (let k = 0; k < exact.length; k++) worst = Math.max(worst, Math.abs(q.layers[1].values[k] - exact[k]) / scale);
      // Half a step, plus the fixed-point multiplier's and float32's last bits.
      expect(worst, `image ${i}`).toBeLessThanOrEqual(0.5 + 1e-3);
    }
  });
});

const act = (name: string, values: number[], shape = [values.length]): LayerActivation => ({
  name,
  layers: [name],
  kind: 'dense',
  shape,
  values: Float32Array.from(values),
  min: Math.min(...values),
  max: Math.max(...values),
  strongest: strongestIndex(Float32Array.from(values), shape),
});
const variant = (layers: LayerActivation[]): VariantActivations => ({ precision: 'fp32', on: 'cpu', computedBy: 'test', layers, top: 0 });

describe('differences', () => {
  it('B − A elementwise, max |B − A|, ‖B − A‖ / ‖A‖ and top agreement (hand-computed)', () => {
    const d = differenceOf(act('x', [3, 4]), act('x', [3, 4.5]));
    expect(Array.from(d.values)).toEqual([0, 0.5]);
    expect(d.maxAbs).toBe(0.5);
    expect(d.span).toBe(0.5);
    expect(d.relError).toBeCloseTo(0.1, 12); // 0.5 / 5
    expect(d.topAgrees).toBe(true);
    const flip = differenceOf(act('x', [1, 2, -1]), act('x', [2.5, 2, -3]));
    expect(Array.from(flip.values)).toEqual([1.5, 0, -2]);
    expect(flip.maxAbs).toBe(2);
    expect(flip.relError).toBeCloseTo(Math.sqrt(6.25 / 6), 12);
    expect(flip.topAgrees).toBe(false);
    expect(differenceOf(act('z', [0, 0]), act('z', [0, 0])).relError).toBe(0);
    expect(differenceOf(act('z', [0, 0]), act('z', [0, 1])).relError).toBe(Infinity);
    expect(() => differenceOf(act('x', [1]), act('x', [1, 2]))).toThrow(/1 values in A and 2 in B/);
  });

  it("on real rows: every difference value is exactly B's value minus A's (fp32 vs int8 LeNet-5)", async () => {
    const x = image(7);
    const rows = compareActivations(await floatActivations(lenet5, x), int8Activations(int8, x));
    expect(rows).toHaveLength(7);
    for (const r of rows) {
      const { a, b, diff } = r;
      expect(a && b && diff, r.name).toBeTruthy();
      for (let i = 0; i < diff!.values.length; i++) expect(diff!.values[i]).toBe(Math.fround(b!.values[i] - a!.values[i]));
      expect(diff!.maxAbs).toBe(Math.max(...Array.from(diff!.values, Math.abs)));
      expect(diff!.maxSteps).toBe(diff!.maxAbs / b!.quant!.scale);
      expect(diff!.span).toBe(Math.max(diff!.maxAbs, b!.quant!.scale));
      // One colour scale per row: it covers both variants and zero.
      expect(r.range.lo).toBeLessThanOrEqual(Math.min(0, a!.min, b!.min));
      expect(r.range.hi).toBe(Math.max(0, a!.max, b!.max));
    }
    expect(rows[rows.length - 1].diff!.topAgrees).toBe(true);
  });

  it('the most active channel of [H, W, C] is the largest mean over the map; of [N] the argmax', () => {
    // 2×1 pixels, 3 channels: channel sums 1+1, 5−4, 0+3.
    expect(strongestIndex(Float32Array.from([1, 5, 0, 1, -4, 3]), [2, 1, 3])).toBe(2);
    expect(strongestIndex(Float32Array.from([1, 5, 0, 1, -4, 3]), [6])).toBe(1);
  });

  it('rows line up by layer name; a layer only one variant has gets no difference, and different shapes are said so', () => {
    const a = variant([act('input', [0]), act('c1', [1, 2]), act('c2', [1, 2, 3]), act('out', [1, 0])]);
    const b = variant([act('input', [0]), act('c1', [1, 2]), act('extra', [7]), act('c2', [1, 2]), act('out', [0, 1])]);
    const rows = compareActivations(a, b);
    expect(rows.map((r) => r.name)).toEqual(['input', 'c1', 'extra', 'c2', 'out']);
    expect(rows[2].a).toBeUndefined();
    expect(rows[2].diff).toBeUndefined();
    expect(rows[3].diff).toBeUndefined();
    expect(rows[3].note).toBe('shapes differ: [3] and [2]');
    expect(rows[4].diff!.topAgrees).toBe(false);
    expect(rows[4].diff!.maxSteps).toBeUndefined(); // two float variants: no quantization step
    expect(rows[4].diff!.span).toBe(1); // max |B − A| = 1 is above a millionth of the range [0, 1]
    const tiny = compareActivations(variant([act('x', [0, 10])]), variant([act('x', [1e-9, 10])]))[0].diff!;
    expect(tiny.maxAbs).toBeCloseTo(1e-9, 15);
    expect(tiny.span).toBeCloseTo(1e-5, 12); // float noise: drawn faint, not full colour
    // One variant alone: its rows, no differences.
    expect(compareActivations(a).every((r) => r.a && !r.b && !r.diff)).toBe(true);
  });
});
