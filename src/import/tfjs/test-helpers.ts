/**
 * Test-only helpers of the TF.js importer tests: saving a tfjs model the way
 * tfjs writes model.json and its shards, handwritten model.json files, and
 * MNIST as tfjs tensors. Nothing outside the tests imports this.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { loadDataset } from '../../data/node-loader.ts';
import type { ImportFile } from '../types.ts';

export type Tf = typeof tfjs;

/** A weight entry of a manifest, as tfjs writes it. */
export interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number; original_dtype?: string };
}

/** What `model.save` hands a save handler, with the weight bytes as one array. */
export interface Saved {
  modelTopology: Record<string, unknown>;
  weightSpecs: ManifestWeight[];
  weightData: Uint8Array;
  generatedBy?: string;
  convertedBy?: string | null;
}

/** Saves through `tf.io.withSaveHandler` and captures the artifacts. */
export async function saveArtifacts(tf: Tf, model: tfjs.LayersModel): Promise<Saved> {
  let saved: Saved | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData;
      const buffers = data === undefined ? [] : Array.isArray(data) ? data : [data];
      const bytes = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
      let at = 0;
      for (const b of buffers) {
        bytes.set(new Uint8Array(b), at);
        at += b.byteLength;
      }
      saved = {
        modelTopology: a.modelTopology as Record<string, unknown>,
        weightSpecs: a.weightSpecs as ManifestWeight[],
        weightData: bytes,
        generatedBy: a.generatedBy,
        convertedBy: a.convertedBy,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

/**
 * model.json plus shard files as tfjs's browser download writes them (one
 * shard `model.weights.bin`), or split into `shards` converter-style files
 * `group1-shardKofN.bin` of one group.
 */
export function toFiles(saved: Saved, shards = 1): ImportFile[] {
  const paths = shards === 1 ? ['./model.weights.bin'] : Array.from({ length: shards }, (_, k) => `group1-shard${k + 1}of${shards}.bin`);
  const json = {
    modelTopology: saved.modelTopology,
    format: 'layers-model',
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy ?? null,
    weightsManifest: [{ paths, weights: saved.weightSpecs }],
  };
  const files: ImportFile[] = [{ name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(json)) }];
  const step = Math.ceil(saved.weightData.length / shards);
  paths.forEach((p, k) => files.push({ name: p.replace(/^\.\//, ''), bytes: saved.weightData.slice(k * step, (k + 1) * step) }));
  return files;
}

/** A handwritten Sequential model.json and one shard from named float32 tensors. */
export function handwritten(
  layers: { class_name: string; config: Record<string, unknown> }[],
  tensors: { name: string; shape: number[]; values?: ArrayLike<number> }[],
  extra: Record<string, unknown> = {},
): ImportFile[] {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const total = tensors.reduce((n, t) => n + size(t.shape), 0);
  const data = new Float32Array(total);
  let at = 0;
  let seed = 1;
  for (const t of tensors) {
    const n = size(t.shape);
    for (let i = 0; i < n; i++) {
      seed = (seed * 16807) % 2147483647;
      data[at + i] = t.values ? t.values[i] : (seed / 2147483647) * 2 - 1;
    }
    at += n;
  }
  const json = {
    format: 'layers-model',
    generatedBy: 'handwritten',
    convertedBy: null,
    modelTopology: { class_name: 'Sequential', config: { name: 'hand', layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: ['weights.bin'], weights: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })) }],
    ...extra,
  };
  return [
    { name: 'model.json', bytes: new TextEncoder().encode(JSON.stringify(json)) },
    { name: 'weights.bin', bytes: new Uint8Array(data.buffer) },
  ];
}

/** `count` MNIST images as pixel/255 NHWC floats, with labels, from the built dataset. */
export async function mnist(split: 'train' | 'test', count: number, first = 0): Promise<{ x: Float32Array; labels: Uint8Array; count: number }> {
  const ds = await loadDataset('mnist', split);
  const n = Math.min(count, ds.count - first);
  const px = ds.rows * ds.cols;
  const x = new Float32Array(n * px);
  for (let i = 0; i < n * px; i++) x[i] = ds.images[first * px + i] / 255;
  return { x, labels: ds.labels.slice(first, first + n), count: n };
}

/** Index of the largest value of each row of `values` (`rows × cols`). */
export function argmaxRows(values: Float32Array, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * cols < values.length; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c] > values[r * cols + best]) best = c;
    out.push(best);
  }
  return out;
}

/**
 * A small Keras-style MLP (flatten → dense `units` relu → dense 10 softmax)
 * built and trained by TF.js itself on the first `images` MNIST training
 * images: a model as a TF.js user saves it, for the import tests.
 */
export async function trainedMlp(tf: Tf, units: number, images: number, epochs: number): Promise<tfjs.LayersModel> {
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.003), loss: 'sparseCategoricalCrossentropy' });
  const data = await mnist('train', images);
  const xs = tf.tensor4d(data.x, [data.count, 28, 28, 1]);
  const ys = tf.tensor1d(Array.from(data.labels), 'float32');
  await model.fit(xs, ys, { epochs, batchSize: 64, verbose: 0 });
  tf.dispose([xs, ys]);
  return model;
}
