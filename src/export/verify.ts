/**
 * Runs an exported file in the runtime it is meant for, on labelled images:
 * ONNX files in ONNX Runtime (onnxruntime-web, wasm CPU provider), TF.js
 * files through `tf.loadLayersModel`. The runtime modules are passed in, so
 * this file loads no runtime itself (the CLI imports them lazily, the tests
 * pick the backend).
 */
import type { Dataset } from '../data/dataset.ts';
import { toFloatBatch } from '../data/dataset.ts';
import type { Ort } from '../peers/ort-runner.ts';
import { createOrtSession } from '../peers/ort-runner.ts';
import type { Tfjs } from '../peers/tfjs-model.ts';
import { loadTfjsExport } from '../peers/tfjs-model.ts';
import type { ExportResult } from './types.ts';

/** Predicted classes of images [0, limit) of `ds`, and where they were computed. */
export interface RuntimeClasses {
  runtime: string;
  classes: Int32Array;
}

/** Images per call into the runtime. */
const STEP = 500;

function argmaxInto(logits: Float32Array, n: number, out: Int32Array, at: number): void {
  const classes = logits.length / n;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
    out[at + i] = best;
  }
}

async function classifyWith(run: (x: Float32Array, n: number) => Promise<Float32Array>, ds: Dataset, limit: number): Promise<Int32Array> {
  const count = Math.min(limit, ds.count);
  const out = new Int32Array(count);
  for (let s = 0; s < count; s += STEP) {
    const n = Math.min(STEP, count - s);
    argmaxInto(await run(toFloatBatch(ds, s, n), n), n, out, s);
  }
  return out;
}

/** The exported file's own predictions on the first `limit` images of `ds`, in its target runtime. */
export async function classifyExport(
  result: ExportResult,
  arch: { name: string; inputShape: readonly [number, number, number] },
  ds: Dataset,
  limit: number,
  runtimes: { ort?: () => Promise<Ort>; tf?: () => Promise<Tfjs> },
): Promise<RuntimeClasses> {
  if (result.format === 'tfjs') {
    if (!runtimes.tf) throw new Error('classifyExport: a TF.js export needs the tfjs module');
    const tf = await runtimes.tf();
    const runner = await loadTfjsExport(tf, result.files, arch);
    try {
      return {
        runtime: `TensorFlow.js ${tf.version.tfjs} (${runner.backend} backend)`,
        classes: await classifyWith((x, n) => runner.predict(x, n), ds, limit),
      };
    } finally {
      runner.dispose();
    }
  }
  if (!runtimes.ort) throw new Error('classifyExport: an ONNX export needs the onnxruntime-web module');
  const ort = await runtimes.ort();
  const runner = await createOrtSession(ort, result.files[0].bytes, 'wasm');
  try {
    return { runtime: `ONNX Runtime ${ort.env.versions.common} (wasm CPU provider)`, classes: await classifyWith((x, n) => runner.run(x, n), ds, limit) };
  } finally {
    await runner.dispose();
  }
}
