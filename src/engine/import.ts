/**
 * Bringing a user's model into the lab, the same way from the CLI and the
 * browser worker: the lab's own file is parsed as is; an outside file (ONNX,
 * TF.js) goes through its importer, must take a 28×28 single-channel image,
 * and then gets its input convention chosen on training images
 * (./preprocess.ts). The result is a lab Model whose provenance says where
 * it came from and why that convention.
 */
import type { Dataset } from '../data/dataset.ts';
import { detectFormat, importFiles, type FileFormat, type ImportFile, type ImportedModel, type ImportReport } from '../import/index.ts';
import { parseModel } from '../model/format.ts';
import type { Model } from '../model/model.ts';
import { choosePreprocess, type ConventionName, type PreprocessChoice } from './preprocess.ts';
import type { RunTarget } from './runner.ts';

/** The input every MNIST flow of the lab feeds: one 28×28 single-channel image. */
export const MNIST_INPUT: [number, number, number] = [28, 28, 1];

/** A model brought into the lab. */
export interface LabImport {
  model: Model;
  format: FileFormat;
  /** Outside formats: what the importer mapped and dropped. */
  report?: ImportReport;
  /** Outside formats: the input convention and the scores behind it. */
  choice?: PreprocessChoice;
}

/** Options of `importModelFiles`. */
export interface LabImportOptions {
  /** Where the candidates are scored (a GPU, or the CPU reference). */
  target: RunTarget;
  /** Training images the convention is chosen on (the first `images`, default 512). */
  train: Dataset;
  images?: number;
  /** Use this convention instead of choosing. */
  convention?: ConventionName;
  /** Architecture name for the imported model (default: from the file). */
  name?: string;
  /** Before each convention is scored (progress, cancellation: throw to stop). */
  onCandidate?: (done: number, total: number, label: string) => void | Promise<void>;
}

/**
 * A final Softmax (or LogSoftmax) picks no other class than the logits
 * before it, and the lab's models end at the logits: the trainer's loss, the
 * int8 path and distillation all take logits. So it is dropped, and said so.
 */
function dropFinalSoftmax(imported: ImportedModel): ImportedModel {
  const { model, report } = imported;
  const layers = model.architecture.layers;
  const last = layers[layers.length - 1];
  if (last?.kind !== 'softmax' || layers.length < 2) return imported;
  const from = report.layers.find((l) => l.name === last.name)?.from ?? [last.name];
  return {
    model: { ...model, architecture: { ...model.architecture, layers: layers.slice(0, -1) } },
    report: {
      ...report,
      layers: report.layers.filter((l) => l.name !== last.name),
      dropped: [
        ...report.dropped,
        ...from.map((name) => ({
          name,
          op: 'softmax',
          why: 'the last layer: it changes no class, and the lab works on the logits before it (loss, int8, distillation)',
        })),
      ],
    },
  };
}

/** Reads a pick of files into a lab model (see the file comment). Errors from the importers are ImportErrors naming where. */
export async function importModelFiles(files: ImportFile[], options: LabImportOptions): Promise<LabImport> {
  const { format, main } = detectFormat(files);
  if (format === 'lab') return { model: parseModel(main.bytes, main.name), format };
  const imported = dropFinalSoftmax(importFiles(files, { expectInput: MNIST_INPUT, ...(options.name ? { name: options.name } : {}) }));
  const choice = await choosePreprocess(options.target, imported.model, options.train, {
    ...(options.images ? { images: options.images } : {}),
    ...(options.convention ? { only: options.convention } : {}),
    ...(options.onCandidate ? { onCandidate: (done: number, total: number, c: { label: string }) => options.onCandidate!(done, total, c.label) } : {}),
  });
  const model = choice.model;
  model.provenance = { ...model.provenance, inputConvention: choice.chosen, inputConventionReason: choice.reason };
  return { model, format, report: imported.report, choice };
}
