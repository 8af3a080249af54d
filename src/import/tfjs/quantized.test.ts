/**
 * Quantized weight manifests as the TF.js converter writes them (per-tensor
 * affine uint8 / uint16 with scale = (max − min) / (2^bits − 1) and zero put
 * on the grid, or IEEE float16), checked against tfjs's own decoder
 * `tf.io.decodeWeights`: the importer's dequantized values must equal it
 * exactly, and the imported model must match the quantized model as tfjs
 * loads it.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelForward } from '../../cpu/forward.ts';
import { float32ToFloat16Bits } from '../../model/fp16.ts';
import type { ImportFile } from '../types.ts';
import { importTfjs } from './index.ts';
import type { ManifestWeight, Saved } from './test-helpers.ts';
import { mnist, saveArtifacts } from './test-helpers.ts';
import { readWeights } from './weights.ts';

type QDtype = 'uint8' | 'uint16' | 'float16';

beforeAll(async () => {
  tf.env().set('IS_TEST', true);
  await tf.setBackend('cpu');
  await tf.ready();
});

/** One tensor quantized the converter's way: its bytes and its manifest entry. */
function quantize(spec: ManifestWeight, values: Float32Array, dtype: QDtype): { bytes: Uint8Array; spec: ManifestWeight } {
  if (dtype === 'float16') {
    const q = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) q[i] = float32ToFloat16Bits(values[i]);
    return { bytes: new Uint8Array(q.buffer), spec: { ...spec, quantization: { dtype, original_dtype: 'float32' } } };
  }
  const levels = dtype === 'uint8' ? 255 : 65535;
  let lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const scale = hi > lo ? (hi - lo) / levels : 1;
  // Zero on the grid, as the converter nudges it: min = −round(−min / scale) · scale.
  lo = -Math.round(-lo / scale) * scale;
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.max(0, Math.min(levels, Math.round((values[i] - lo) / scale)));
  return { bytes: new Uint8Array(q.buffer), spec: { ...spec, quantization: { dtype, scale, min: lo, original_dtype: 'float32' } } };
}

/** The saved model with every weight quantized (dtypes taken in turn from `dtypes`), in two groups. */
function quantizeAll(saved: Saved, dtypes: QDtype[]): { files: ImportFile[]; specs: ManifestWeight[]; data: Uint8Array; groups: ManifestWeight[][] } {
  const f32 = new Float32Array(saved.weightData.slice().buffer);
  let at = 0;
  const parts = saved.weightSpecs.map((spec, k) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = f32.subarray(at, at + n);
    at += n;
    return quantize(spec, values, dtypes[k % dtypes.length]);
  });
  const half = Math.ceil(parts.length / 2);
  const groups = [parts.slice(0, half), parts.slice(half)];
  const join = (ps: typeof parts) => {
    const out = new Uint8Array(ps.reduce((n, p) => n + p.bytes.length, 0));
    let o = 0;
    for (const p of ps) {
      out.set(p.bytes, o);
      o += p.bytes.length;
    }
    return out;
  };
  const manifest = groups.map((g, i) => ({ paths: [`group${i + 1}-shard1of1.bin`], weights: g.map((p) => p.spec) }));
  const json = {
    modelTopology: saved.modelTopology,
    format: 'layers-model',
    generatedBy: saved.generatedBy,
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    weightsManifest: manifest,
  };
  const files: ImportFile[] = [
    { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(json)) },
    ...groups.map((g, i) => ({ name: `group${i + 1}-shard1of1.bin`, bytes: join(g) })),
  ];
  return { files, specs: parts.map((p) => p.spec), data: join(parts), groups: groups.map((g) => g.map((p) => p.spec)) };
}

async function smallModel(): Promise<tf.LayersModel> {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({ filters: 6, kernelSize: 5, strides: 2, inputShape: [28, 28, 1], biasInitializer: 'randomNormal' }),
      tf.layers.batchNormalization({ betaInitializer: 'randomNormal', movingMeanInitializer: 'randomNormal', gammaInitializer: 'randomUniform' }),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.separableConv2d({ filters: 8, kernelSize: 3, biasInitializer: 'randomNormal' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: 'softmax', biasInitializer: 'randomNormal' }),
    ],
  });
  return m;
}

describe('quantized weights decode exactly as tfjs decodes them', () => {
  for (const dtypes of [['uint8'], ['uint16'], ['float16'], ['uint8', 'uint16', 'float16']] as QDtype[][]) {
    it(`${dtypes.join(' + ')}`, async () => {
      const m = await smallModel();
      const saved = await saveArtifacts(tf, m);
      const q = quantizeAll(saved, dtypes);
      // tfjs's decoder over the same bytes is the independent reference.
      const ref = tf.io.decodeWeights(q.data.slice().buffer, q.specs);
      const ours = readWeights(
        q.groups.map((g, i) => ({ paths: [`group${i + 1}-shard1of1.bin`], weights: g })),
        q.files,
      );
      expect([...ours.keys()].sort()).toEqual(Object.keys(ref).sort());
      for (const [name, t] of Object.entries(ref)) {
        const want = t.dataSync() as Float32Array;
        const got = ours.get(name)!.values;
        expect(got.length, name).toBe(want.length);
        expect(
          got.every((v, i) => Object.is(v, want[i])),
          name,
        ).toBe(true);
        expect(ours.get(name)!.stored).toBe(q.specs.find((s) => s.name === name)!.quantization!.dtype);
      }
      tf.dispose(Object.values(ref));

      // End to end: the importer's model against the quantized model as tfjs loads it.
      const imported = importTfjs(q.files);
      expect(imported.report.producer).toEqual({ name: 'TensorFlow.js Converter', version: '4.22.0' });
      const notes = imported.report.notes.join('\n');
      for (const d of dtypes) expect(notes).toMatch(new RegExp(`Dequantized \\d+ weights? stored as ${d}`));
      const loaded = await tf.loadLayersModel(
        tf.io.fromMemory({ modelTopology: saved.modelTopology, weightSpecs: q.specs, weightData: q.data.slice().buffer }),
      );
      const test = await mnist('test', 64);
      const x = tf.tensor(test.x, [test.count, 28, 28, 1]);
      const y = loaded.predict(x) as tf.Tensor;
      const want = y.dataSync() as Float32Array;
      const got = modelForward(imported.model, test.x, test.count);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5 + 1e-4 * Math.abs(want[i]));
      tf.dispose([x, y]);
      m.dispose();
      loaded.dispose();
    });
  }

  it('refuses a quantization without scale/min, or of an unknown dtype, naming the weight', () => {
    const spec = { name: 'd/kernel', shape: [2], dtype: 'float32' };
    const file = [{ name: 'w.bin', bytes: new Uint8Array(2) }];
    expect(() => readWeights([{ paths: ['w.bin'], weights: [{ ...spec, quantization: { dtype: 'uint8' } }] }], file)).toThrow(/'d\/kernel'.*scale and min/);
    expect(() => readWeights([{ paths: ['w.bin'], weights: [{ ...spec, quantization: { dtype: 'int4', scale: 1, min: 0 } }] }], file)).toThrow(
      /'d\/kernel'.*int4/,
    );
    expect(() => readWeights([{ paths: ['w.bin'], weights: [{ ...spec, dtype: 'int32', quantization: { dtype: 'float16' } }] }], file)).toThrow(
      /float16.*float32 weights only/,
    );
  });
});
