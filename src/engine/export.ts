/**
 * Export orchestration shared by the CLI, the worker and the tests: a lab
 * model (any encoding) → the files of one deployable format, with a plain
 * account of what the format keeps and loses and the lab file's size beside
 * it. int8 exports are calibrated here exactly as every lab front end
 * calibrates (`calibrateInt8`: the first training images, the method the
 * model's own int8 step recorded), so the file holds the very integer model
 * the lab measured.
 */
import type { Dataset } from '../data/dataset.ts';
import { exportOnnx } from '../export/onnx.ts';
import { exportTfjs } from '../export/tfjs.ts';
import type { ExportFormat, ExportResult } from '../export/types.ts';
import { totalBytes } from '../export/types.ts';
import { serializeModel } from '../model/format.ts';
import type { Int8Model } from '../model/int8.ts';
import type { Model } from '../model/model.ts';
import { calibrateInt8, recordedInt8Method } from './int8.ts';

export type { ExportFormat, ExportResult, ExportedFile } from '../export/types.ts';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['onnx', 'onnx-int8', 'tfjs'];

/** TF.js's own weight quantization of the manifest (affine per tensor, or half floats). */
export type TfjsQuantize = 'uint8' | 'float16';

export interface ExportOptions {
  /** Training images to calibrate an int8 export on (required for 'onnx-int8'). */
  train?: Dataset;
  /** Calibration images (default DEFAULTS.calibrationImages). */
  calibrationImages?: number;
  /** 'tfjs' only: quantize the weight shards the way the TF.js converter does. */
  tfjsQuantize?: TfjsQuantize;
  /** Base of the file names (default: the architecture's name). */
  name?: string;
  /** Recorded as the producer version. */
  version?: string;
}

/** An export with the lab file's size beside it. */
export interface ExportOutcome extends ExportResult {
  /** Bytes of the lab's own file of the same model (codebooks, Huffman and all). */
  labBytes: number;
  /** int8 exports: how the activation ranges were calibrated. */
  calibration?: { method: string; percentile?: number; images: number };
  /** int8 exports: the integer model the file holds (to measure the lab's own int8 engine on it, without calibrating twice). */
  int8?: Int8Model;
}

/** Is `v` one of the export formats? */
export function isExportFormat(v: unknown): v is ExportFormat {
  return typeof v === 'string' && (EXPORT_FORMATS as readonly string[]).includes(v);
}

/** True when the model's pipeline ends in int8 inference, i.e. the lab runs this variant as int8. */
export function runsAsInt8(model: Model): boolean {
  return recordedInt8Method(model) !== undefined;
}

/** A file-name-safe base: letters, digits, dot, dash and underscore. */
export function exportBaseName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

/** How the model's tensors are stored in the lab, by encoding kind ("codebook: 4 tensors"). */
function storedEncodings(model: Model): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const name of Object.keys(model.weights)) {
    const e = model.encodings?.[name];
    if (!e || e.kind === 'fp32') continue;
    const label =
      e.kind === 'huffman'
        ? `Huffman-coded ${e.of.kind}`
        : e.kind === 'sparse'
          ? `sparse (${e.of.kind}${e.huffman ? ', Huffman' : ''})`
          : e.kind === 'linear'
            ? `${e.bits}-bit linear`
            : e.kind;
    kinds.set(label, (kinds.get(label) ?? 0) + 1);
  }
  return kinds;
}

function lostStorage(model: Model, writtenAs: string): string[] {
  const kinds = storedEncodings(model);
  if (kinds.size === 0) return [];
  const list = [...kinds].map(([k, n]) => `${k} (${n} tensor${n === 1 ? '' : 's'})`).join(', ');
  return [`The lab stores ${list}; the format has no such storage, so those tensors are written ${writtenAs}.`];
}

/**
 * Exports `model` as `format`. Throws (naming the layer or what is missing)
 * when the model does not fit the format; the model is not modified.
 */
export function exportModel(model: Model, format: ExportFormat, opts: ExportOptions = {}): ExportOutcome {
  const base = exportBaseName(opts.name ?? model.architecture.name);
  const labBytes = serializeModel(model).byteLength;
  const sparsity = prunedFraction(model);
  const pruned = sparsity > 0.01 ? [`The pruned zeros (${(sparsity * 100).toFixed(1)} % of the weights) are stored as zeros: no runtime here skips them.`] : [];
  switch (format) {
    case 'onnx': {
      const bytes = exportOnnx(model, { producerVersion: opts.version });
      const files = [{ name: `${base}.onnx`, bytes }];
      return {
        format,
        files,
        bytes: totalBytes(files),
        labBytes,
        keeps: [
          'The decoded float32 weights, so predictions match the lab’s float engine.',
          'The input preprocessing, baked in as ops: feed pixel / 255 as NCHW [N, 1, 28, 28].',
          'The lab’s layer names as node names, and the provenance in metadata_props.',
        ],
        loses: [...lostStorage(model, 'as float32'), ...pruned],
      };
    }
    case 'onnx-int8': {
      if (!opts.train) throw new Error(`export onnx-int8 of '${model.architecture.name}': calibration needs the training images`);
      const { int8, images, calibration } = calibrateInt8(model, opts.train, { images: opts.calibrationImages });
      const bytes = exportOnnx(model, {
        int8,
        producerVersion: opts.version,
        metadata: { 'compression-lab.int8-calibration': JSON.stringify({ ...calibration, images }) },
      });
      const files = [{ name: `${base}.int8.onnx`, bytes }];
      return {
        format,
        files,
        bytes: totalBytes(files),
        labBytes,
        calibration: { ...calibration, images },
        int8,
        keeps: [
          'int8 weights with one scale per output channel, int32 biases, and the lab’s calibrated activation scales and zero points (QDQ form).',
          'ONNX Runtime fuses it into its integer kernels (QLinearConv, QGemm); requantization rounds in float there, in fixed point in the lab, so a few predictions can differ.',
          'The input preprocessing, baked in: feed pixel / 255 as NCHW [N, 1, 28, 28].',
        ],
        loses: [...lostStorage(model, 'as int8 codes of their decoded values'), ...pruned],
      };
    }
    case 'tfjs': {
      const r = exportTfjs(model, { name: base, ...(opts.tfjsQuantize ? { quantize: opts.tfjsQuantize } : {}) });
      // Its own statement says what the encodings and pruning leave; only the lab knows the variant runs as int8.
      const int8 = runsAsInt8(model)
        ? [
            'int8 integer-only inference: the lab runs this variant in int8, TF.js Layers computes in float32 (uint8 and float16 weights only shrink the download).',
          ]
        : [];
      return { ...r, labBytes, loses: [...r.loses, ...int8] };
    }
  }
}

/** Fraction of weight values (not biases) that are exactly zero. */
function prunedFraction(model: Model): number {
  let zeros = 0;
  let total = 0;
  for (const [name, t] of Object.entries(model.weights)) {
    if (!name.endsWith('.weight')) continue;
    total += t.length;
    for (let i = 0; i < t.length; i++) if (t[i] === 0) zeros++;
  }
  return total ? zeros / total : 0;
}
