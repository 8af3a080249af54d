/**
 * Summaries and per-layer tables of stored variants: parameters, non-zeros,
 * FLOPs and stored bytes under each tensor's encoding, from the engine's
 * accounting and codecs (the UI only formats them).
 */
import { accountModel } from '../model/accounting.ts';
import { encodedByteLength } from '../model/format.ts';
import { describeEncoding } from '../model/codecs.ts';
import type { Model, TensorEncoding } from '../model/model.ts';
import { inferShapes, sizeOf } from '../model/shapes.ts';
import type { StoredModel } from '../store/store.ts';
import { recordedDataset } from '../engine/models.ts';
import type { LayerRow, ModelDetail, ModelSummary } from './types.ts';

const FP32: TensorEncoding = { kind: 'fp32' };

/** Stored bytes, fp32 bytes and non-zeros per layer. */
function tensorsByLayer(model: Model): Map<string, { bytes: number; fp32: number; nonZero: number; encodings: string[] }> {
  const out = new Map<string, { bytes: number; fp32: number; nonZero: number; encodings: string[] }>();
  for (const ls of inferShapes(model.architecture)) {
    const row = { bytes: 0, fp32: 0, nonZero: 0, encodings: [] as string[] };
    for (const [name, shape] of Object.entries(ls.weights)) {
      const enc = model.encodings?.[name] ?? FP32;
      row.bytes += encodedByteLength(shape, enc);
      row.fp32 += sizeOf(shape) * 4;
      const w = model.weights[name];
      for (let i = 0; i < w.length; i++) if (w[i] !== 0) row.nonZero++;
      const d = describeEncoding(enc);
      if (!row.encodings.includes(d)) row.encodings.push(d);
    }
    out.set(ls.layer.name, row);
  }
  return out;
}

/** True for variants whose weights were never trained (their accuracy is chance). */
export function isUntrained(stored: StoredModel, model: Model): boolean {
  if (stored.origin === 'untrained') return true;
  return model.provenance?.source === 'random' || model.provenance?.untrained === true;
}

/**
 * The dataset a variant is evaluated, calibrated and fine-tuned on: the one
 * its model records (engine/models.ts), else the one its stored options
 * name, else MNIST.
 */
export function datasetOfStored(stored: StoredModel, model: Model): 'mnist' | 'fashion-mnist' {
  const d = recordedDataset(model) ?? stored.runtimeOptions?.dataset;
  return d === 'fashion-mnist' ? 'fashion-mnist' : 'mnist';
}

/** The list entry of a variant. */
export function summarize(stored: StoredModel, model: Model): ModelSummary {
  const acc = accountModel(model.architecture);
  let bytes = 0;
  let fp32 = 0;
  let nonZero = 0;
  for (const r of tensorsByLayer(model).values()) {
    bytes += r.bytes;
    fp32 += r.fp32;
    nonZero += r.nonZero;
  }
  return {
    id: stored.id,
    name: stored.name,
    origin: stored.origin,
    runtime: stored.runtime,
    architecture: model.architecture.name,
    untrained: isUntrained(stored, model),
    params: acc.total.params,
    nonZero,
    flops: acc.total.flops,
    bytes,
    fp32Bytes: fp32,
    fileBytes: stored.file.length,
    parentId: stored.parentId,
    pipeline: stored.pipeline?.map((s) => s.label).join(' → '),
    createdAt: stored.createdAt,
    dataset: datasetOfStored(stored, model),
  };
}

/** Per-layer table (without measurements; the caller adds estimates and GPU times). */
export function layerRows(model: Model): LayerRow[] {
  const acc = accountModel(model.architecture);
  const t = tensorsByLayer(model);
  return acc.layers.map((l) => {
    const r = t.get(l.name)!;
    return {
      name: l.name,
      kind: l.kind,
      outputShape: l.outputShape,
      params: l.params,
      nonZero: r.nonZero,
      macs: l.macs,
      flops: l.flops,
      bytes: r.bytes,
      encoding: r.encodings.join(', ') || '—',
    };
  });
}

/** The Model view's table with estimates (FLOPs / GFLOP/s) and measured GPU times filled in when known. */
export function modelDetail(
  stored: StoredModel,
  model: Model,
  speed: { gflops: number; source: string } | undefined,
  timing: { method: 'timestamp' | 'wall'; runs: number; batch: number; steps: { layers: string[]; ms: number }[] } | undefined,
): ModelDetail {
  const layers = layerRows(model);
  if (speed) for (const l of layers) l.estimatedMs = (l.flops / (speed.gflops * 1e9)) * 1e3;
  if (timing) {
    for (const s of timing.steps) {
      const first = layers.find((l) => l.name === s.layers[0]);
      if (!first) continue;
      first.measuredMs = s.ms;
      if (s.layers.length > 1) first.fusedWith = s.layers.slice(1);
    }
  }
  const sum = (f: (l: LayerRow) => number | undefined): number => layers.reduce((a, l) => a + (f(l) ?? 0), 0);
  return {
    summary: summarize(stored, model),
    layers,
    total: {
      params: sum((l) => l.params),
      nonZero: sum((l) => l.nonZero),
      macs: sum((l) => l.macs),
      flops: sum((l) => l.flops),
      bytes: stored.file.length,
      headerBytes: stored.file.length - sum((l) => l.bytes),
      estimatedMs: speed ? sum((l) => l.estimatedMs) : undefined,
      measuredMs: timing ? timing.steps.reduce((a, s) => a + s.ms, 0) : undefined,
    },
    timing: timing ? { method: timing.method, runs: timing.runs, batch: timing.batch } : undefined,
    deviceSpeed: speed,
    ...(stored.curves?.length ? { curves: stored.curves } : {}),
    ...(model.architecture.preprocess
      ? {
          input: {
            ...model.architecture.preprocess,
            ...(typeof model.provenance?.inputConventionReason === 'string' ? { reason: model.provenance.inputConventionReason } : {}),
          },
        }
      : {}),
    provenance: {
      ...(model.provenance ?? {}),
      ...(stored.pipeline ? { pipeline: stored.pipeline } : {}),
      ...(stored.runtimeOptions ? { runtime: stored.runtimeOptions } : {}),
    },
  };
}
