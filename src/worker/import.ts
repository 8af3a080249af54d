/**
 * Models → Import in the worker: the lab's own .safetensors, an ONNX file, or
 * a TF.js model.json with its shards, through the engine's one import path
 * (engine/import.ts). The input convention is scored on this device (the GPU,
 * else the CPU reference) with progress and cancel; the model is stored in
 * the lab's format only once everything succeeded.
 */
import { importModelFiles, MNIST_INPUT } from '../engine/import.ts';
import type { ImportFile, ImportReport } from '../import/types.ts';
import { accountModel } from '../model/accounting.ts';
import { ModelFileError, serializeModel } from '../model/format.ts';
import type { Model } from '../model/model.ts';
import { putModels, type StoredModel } from '../store/store.ts';
import type { ConventionScore } from '../engine/preprocess.ts';
import type { JobContext } from './jobs.ts';
import { getGpu, trainingSplit } from './session.ts';
import { summarize } from './describe.ts';
import type { ModelSummary } from './types.ts';

/** What an import did, for the Models screen. */
export interface ImportOutcome {
  model: ModelSummary;
  format: 'lab' | 'onnx' | 'tfjs-layers';
  report?: ImportReport;
  /** Outside formats: the input convention chosen, why, and every candidate's score. */
  input?: { chosen: string; reason: string; scores: ConventionScore[] };
}

/** The lab's datasets are 28×28×1 images of 10 classes: a model that fits neither cannot be measured here. */
export function ensureMnistShaped(model: Model, source: string): void {
  const s = model.architecture.inputShape;
  if (s.length !== 3 || s.some((v, i) => v !== MNIST_INPUT[i])) {
    throw new ModelFileError(source, `the model takes input [${s.join(', ')}], but the lab's datasets are 28×28×1 images`, 'architecture.inputShape');
  }
  const acc = accountModel(model.architecture);
  const out = acc.layers[acc.layers.length - 1]?.outputShape ?? [];
  if (out.length !== 1 || out[0] !== 10) {
    throw new ModelFileError(source, `the model ends in shape [${out.join(', ')}], but the lab's datasets have 10 classes`, 'architecture');
  }
}

/** Imports a pick of files (see the file comment); any failure stores nothing and says what and where. */
export async function importPicked(files: ImportFile[], ctx: JobContext): Promise<ImportOutcome> {
  const what = files.map((f) => f.name).join(' + ') || 'nothing';
  let r;
  try {
    const gpu = await getGpu().catch(() => null);
    ctx.progress({ phase: 'Reading the model', done: 0, total: 0 });
    r = await importModelFiles(files, {
      target: gpu ?? 'cpu',
      train: await trainingSplit('mnist', ctx),
      onCandidate: (done, total, label) => {
        ctx.check();
        ctx.progress({
          phase: `Finding the input convention: ${label}`,
          done,
          total,
          detail: `scored on 512 training images on ${gpu ? 'the GPU' : 'the CPU'}`,
        });
      },
    });
    ensureMnistShaped(r.model, files[0]?.name ?? 'model');
  } catch (e) {
    if ((e as Error).name === 'CancelledError' || (e as Error).name === 'AbortError') throw e;
    throw new Error(`Could not import ${what}: ${(e as Error).message}. Nothing was stored.`, { cause: e });
  }
  ctx.check();
  const main = files.find((f) => /\.(onnx|json|safetensors)$/i.test(f.name)) ?? files[0];
  const stored: StoredModel = {
    id: `user:${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
    name: main.name.replace(/\.(safetensors|onnx)$/i, '').replace(/^model\.json$/i, r.model.architecture.name) || r.model.architecture.name,
    origin: 'imported',
    runtime: 'fp32',
    architecture: r.model.architecture.name,
    // Outside formats are stored in the lab's own: every screen reads one format.
    file: r.format === 'lab' ? main.bytes : serializeModel(r.model),
    createdAt: new Date().toISOString(),
  };
  await putModels([stored]);
  return {
    model: summarize(stored, r.model),
    format: r.format,
    ...(r.report ? { report: r.report } : {}),
    ...(r.choice ? { input: { chosen: r.choice.chosen, reason: r.choice.reason, scores: r.choice.scores } } : {}),
  };
}
