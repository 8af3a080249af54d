/**
 * Models → Export in the worker: the options offered, their sizes (the very
 * bytes downloaded), zips holding the TF.js files, int8 calibrated as the
 * engine does, one format's refusal leaving the others, the session cache.
 * No IndexedDB: the stored variant is built here.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { toFloatBatch, type Dataset } from '../data/dataset.ts';
import { exportModel } from '../engine/export.ts';
import { runPipeline } from '../compress/pipeline.ts';
import { parseModel, serializeModel } from '../model/format.ts';
import type { Model } from '../model/model.ts';
import { buildExport, cachedExport, exportChoices, exportKey, forgetExports } from './export.ts';
import type { LoadedModel } from './session.ts';

const file = new Uint8Array(readFileSync('models/lenet5.safetensors'));
const lenet = parseModel(file, 'lenet5');

function loaded(model: Model, over: Partial<LoadedModel['stored']> = {}): LoadedModel {
  const f = model === lenet ? file : serializeModel(model);
  return {
    model,
    stored: { id: 'test:1', name: 'LeNet-5 (bundled)', origin: 'bundled', runtime: 'fp32', architecture: 'lenet5', file: f, createdAt: '', ...over },
  };
}

/** A small deterministic "training split" (calibration only reads images). */
function fakeTrain(count: number): Dataset {
  const images = new Uint8Array(count * 784);
  let s = 7;
  for (let i = 0; i < images.length; i++) images[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return { name: 'mnist', split: 'train', count, rows: 28, cols: 28, labels: new Uint8Array(count), images };
}

/** Byte-for-byte equality (toEqual walks a typed array element by element: seconds for a megabyte). */
const same = (a: Uint8Array | undefined, b: Uint8Array): boolean =>
  !!a && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

const noTrain = { train: () => Promise.reject(new Error('float exports need no training images')) };

describe('worker export', () => {
  it('offers the lab file, ONNX float32 and TF.js (float32, uint8, float16) for a float variant, named after the variant', () => {
    const choices = exportChoices(loaded(lenet));
    expect(choices.map((c) => c.key)).toEqual(['safetensors', 'onnx', 'tfjs', 'tfjs-uint8', 'tfjs-float16']);
    expect(choices.map((c) => c.fileName)).toEqual([
      'LeNet-5-bundled.safetensors',
      'LeNet-5-bundled.onnx',
      'LeNet-5-bundled.tfjs.zip',
      'LeNet-5-bundled.tfjs-uint8.zip',
      'LeNet-5-bundled.tfjs-float16.zip',
    ]);
  });

  it('measures each option by writing it: the size is the downloaded file, the lab file beside it', async () => {
    const l = loaded(lenet);
    const lab = await buildExport(l, 'safetensors', noTrain);
    expect(lab.file!.bytes).toBe(file);
    expect(lab.option).toMatchObject({ bytes: file.length, labBytes: file.length });
    const onnx = await buildExport(l, 'onnx', noTrain);
    expect(onnx.option.bytes).toBe(1_725_826);
    expect(onnx.file!.bytes.length).toBe(onnx.option.bytes);
    expect(same(onnx.file!.bytes, exportModel(lenet, 'onnx', { name: 'LeNet-5-bundled' }).files[0].bytes)).toBe(true);
    expect(onnx.option.keeps.length).toBeGreaterThan(0);
    for (const [key, quantize] of [
      ['tfjs', undefined],
      ['tfjs-uint8', 'uint8'],
      ['tfjs-float16', 'float16'],
    ] as const) {
      const b = await buildExport(l, key, noTrain);
      expect(b.file!.mime).toBe('application/zip');
      expect(b.file!.bytes.length).toBe(b.option.bytes);
      const want = exportModel(lenet, 'tfjs', { name: 'LeNet-5-bundled', ...(quantize ? { tfjsQuantize: quantize } : {}) });
      const unzipped = unzipSync(b.file!.bytes);
      expect(Object.keys(unzipped)).toEqual(want.files.map((f) => f.name));
      for (const f of want.files) expect(same(unzipped[f.name], f.bytes), f.name).toBe(true);
      expect(b.option.files).toEqual(want.files.map((f) => ({ name: f.name, bytes: f.bytes.length })));
      // Stored, not deflated: the zip is its files plus headers.
      expect(b.option.bytes! - want.bytes).toBeGreaterThan(0);
      expect(b.option.bytes! - want.bytes).toBeLessThan(400);
      expect(b.option.loses).toEqual(want.loses);
    }
  });

  it('a format that cannot hold the variant gives that option an error; the others still export', async () => {
    const big: Model = { ...lenet, weights: { ...lenet.weights, 'fc1.bias': lenet.weights['fc1.bias'].map((v, i) => (i === 9 ? 70000 : v)) } };
    const l = loaded(big);
    const f16 = await buildExport(l, 'tfjs-float16', noTrain);
    expect(f16.file).toBeUndefined();
    expect(f16.option.bytes).toBeUndefined();
    expect(f16.option.error).toMatch(/weight 'fc1\/bias': value 70000 at index 9 is beyond float16's range/);
    expect((await buildExport(l, 'tfjs-uint8', noTrain)).option.error).toBeUndefined();
    expect((await buildExport(l, 'onnx', noTrain)).option.bytes).toBeGreaterThan(1_000_000);
  });

  it('an int8 variant also offers the int8 ONNX, calibrated on its training split as the engine does, ~4× smaller', async () => {
    const train = fakeTrain(64);
    const r = await runPipeline(lenet, 'prune:sparsity=0.5 | int8', { calibration: { images: toFloatBatch(train, 0, 64), batch: 64 } });
    const l = loaded(r.model, { id: 'test:int8', runtime: 'int8', runtimeOptions: { method: 'minmax', calibrationImages: 64, dataset: 'mnist' } });
    expect(exportChoices(l).map((c) => c.key)).toContain('onnx-int8');
    const phases: string[] = [];
    const b = await buildExport(l, 'onnx-int8', { train: () => Promise.resolve(train), progress: (p) => phases.push(p) });
    expect(b.option.error).toBeUndefined();
    expect(b.option.fileName).toBe('LeNet-5-bundled.int8.onnx');
    expect(b.option.calibration).toMatchObject({ method: 'minmax', images: 64 });
    expect(phases.join('\n')).toMatch(/calibrating activations on 64 training images/);
    const want = exportModel(r.model, 'onnx-int8', { train, calibrationImages: 64, name: 'LeNet-5-bundled' });
    expect(same(b.file!.bytes, want.files[0].bytes)).toBe(true);
    const fp32 = (await buildExport(l, 'onnx', noTrain)).option.bytes!;
    expect(fp32 / b.option.bytes!).toBeGreaterThan(3.5);
    // A float variant has no int8 ONNX: asked for anyway, a clear error.
    expect((await buildExport(loaded(lenet), 'onnx-int8', noTrain)).option.error).toMatch(
      /runs as float: an int8 ONNX is offered for variants compressed with the int8 pass/,
    );
  });

  it('caches per variant and format until forgotten; unknown formats are refused by name', async () => {
    const l = loaded(lenet, { id: 'test:cache' });
    const a = await cachedExport(l, 'onnx', noTrain);
    expect((await cachedExport(l, 'onnx', noTrain)) === a).toBe(true);
    forgetExports('test:cache');
    expect((await cachedExport(l, 'onnx', noTrain)) === a).toBe(false);
    expect(() => exportKey('pth')).toThrow("unknown export format 'pth'; known: safetensors, onnx, onnx-int8, tfjs, tfjs-uint8, tfjs-float16");
  });
});
