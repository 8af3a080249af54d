/**
 * The same lab model as a TensorFlow.js LayersModel, for the benchmark's
 * "TF.js WebGPU" peer (and, on tfjs's cpu backend, for the parity tests).
 *
 * It is the lab's TF.js export (src/export/tfjs.ts) loaded by tfjs itself
 * through `tf.loadLayersModel`: the peer runs exactly the file a user
 * downloads, with TF.js's own layers (a relu after a conv or dense layer is
 * that layer's fused `activation`, as a TF.js user would write it), so the
 * peer is measured at its ordinary best and the export is exercised on every
 * benchmark. The `tf` module is passed in so the caller picks (and
 * initialises) the backend; this file imports no tfjs code at run time.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { ExportedFile } from '../export/types.ts';
import { exportTfjs } from '../export/tfjs.ts';
import type { Model } from '../model/model.ts';

/** The `@tensorflow/tfjs` module (or anything with the same API), with its backend already chosen. */
export type Tfjs = typeof tfjs;

/** A lab model living on one tfjs backend. */
export interface TfjsRunner {
  /** Backend the weights were uploaded to (tf.getBackend() at build time). */
  readonly backend: string;
  /** The loaded TF.js model (owned by the runner: `dispose` frees it). */
  readonly model: tfjs.LayersModel;
  /**
   * Runs `batch` NHWC images (`batch × H × W × C` floats) and resolves to the
   * model's output, `batch × classes` floats (a fresh array, read back from the backend).
   */
  predict(input: Float32Array, batch: number): Promise<Float32Array>;
  /**
   * The graph on a tensor already on the backend, without read-back — for
   * timing the device work alone. The caller owns (and disposes) the result;
   * intermediates are freed by tfjs's predict.
   */
  forward(x: tfjs.Tensor4D): tfjs.Tensor;
  /** Frees the weight tensors. The runner is unusable afterwards. */
  dispose(): void;
}

/**
 * An IOHandler over exported files (model.json and its shards, by name),
 * read as tfjs's own http and browser-files loaders read them: the manifest's
 * shards concatenated in order (`tf.io.getModelArtifactsForJSON`).
 */
export function tfjsFilesHandler(tf: Tfjs, files: readonly ExportedFile[]): tfjs.io.IOHandler {
  const byName = new Map(files.map((f) => [f.name, f.bytes]));
  const json = byName.get('model.json');
  if (!json) throw new Error(`TF.js files: no model.json among ${files.map((f) => f.name).join(', ') || 'no files'}`);
  const modelJson = JSON.parse(new TextDecoder().decode(json)) as tfjs.io.ModelJSON;
  return {
    load: () =>
      tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const paths = manifest.flatMap((group) => group.paths);
        const parts = paths.map((p) => {
          const bytes = byName.get(p);
          if (!bytes) throw new Error(`TF.js files: weight shard '${p}' named by model.json is missing`);
          return bytes;
        });
        const data = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
        let at = 0;
        for (const b of parts) {
          data.set(b, at);
          at += b.length;
        }
        return [tf.io.getWeightSpecs(manifest), data.buffer];
      }),
  };
}

/**
 * Exports the model (float32 weights) and loads it into tfjs on the current
 * backend. Rejects, naming the layer or tensor, when the model has no exact
 * TF.js form or a weight is missing or mis-sized.
 */
export async function buildTfjsModel(tf: Tfjs, model: Model): Promise<TfjsRunner> {
  return loadTfjsExport(tf, exportTfjs(model).files, model.architecture);
}

/**
 * Loads exported TF.js files (model.json and its shards) into tfjs on the
 * current backend, as a runner taking the lab's NHWC images of `inputShape`.
 */
export async function loadTfjsExport(
  tf: Tfjs,
  files: readonly ExportedFile[],
  arch: { name: string; inputShape: readonly [number, number, number] },
): Promise<TfjsRunner> {
  const layersModel = await tf.loadLayersModel(tfjsFilesHandler(tf, files));
  const [h, w, c] = arch.inputShape;
  const perImage = h * w * c;
  const backend = tf.getBackend();
  let disposed = false;
  const checkAlive = () => {
    if (disposed) throw new Error(`tfjs runner of model '${arch.name}' was disposed`);
  };

  // One batch of the whole input, as model.predict(x) with its batchSize set runs it.
  const forward = (x: tfjs.Tensor4D): tfjs.Tensor => {
    checkAlive();
    return layersModel.predict(x, { batchSize: x.shape[0] }) as tfjs.Tensor;
  };

  return {
    backend,
    model: layersModel,
    forward,
    async predict(input: Float32Array, batch: number): Promise<Float32Array> {
      checkAlive();
      if (!(Number.isInteger(batch) && batch > 0)) throw new Error(`tfjs runner '${arch.name}': batch must be a positive integer, got ${batch}`);
      if (input.length !== batch * perImage) {
        throw new Error(`tfjs runner '${arch.name}': input has ${input.length} values, expected ${batch * perImage} (batch ${batch} × [${h}, ${w}, ${c}])`);
      }
      const x = tf.tensor4d(input, [batch, h, w, c], 'float32');
      let y: tfjs.Tensor | undefined;
      try {
        y = forward(x);
        const data = await y.data();
        return new Float32Array(data);
      } finally {
        x.dispose();
        y?.dispose();
      }
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      layersModel.dispose();
    },
  };
}
