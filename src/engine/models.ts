/**
 * One rule for naming a model and its data, shared by every front end:
 * - a built-in architecture name means its bundled trained model wherever
 *   one exists (models/<name>.safetensors);
 * - an untrained (seeded He-initialised) model is asked for explicitly and
 *   is labelled untrained in every output;
 * - a model's recorded dataset (provenance.dataset) is the default for
 *   evaluation, calibration and fine-tuning; asking for another one works
 *   but is warned about.
 */
import type { LabImport } from './import.ts';
import type { DatasetName } from '../data/dataset.ts';
import { isDatasetName } from '../data/dataset.ts';
import type { Model } from '../model/model.ts';

/** Where a model's weights came from, as every output labels it. */
export type WeightsOrigin = 'bundled' | 'file' | 'untrained';

/** A model resolved from a name or a file, with what it is. */
export interface ResolvedModel {
  model: Model;
  origin: WeightsOrigin;
  /** What was loaded: a path, `models/<name>.safetensors`, or `untrained <arch> (seed N)`. */
  source: string;
  /** File bytes when the model came from a file. */
  fileBytes?: number;
  /** An outside file (ONNX, TF.js): what the importer did and the input convention chosen. */
  imported?: LabImport;
}

/** The dataset a model records, if it records a known one. */
export function recordedDataset(model: Model): DatasetName | undefined {
  const d = model.provenance?.dataset;
  return typeof d === 'string' && isDatasetName(d) ? d : undefined;
}

/**
 * The dataset to evaluate, calibrate or fine-tune `model` on: the one asked
 * for, else the one it records, else MNIST. A request that contradicts the
 * recorded dataset is honoured with a warning (the numbers would otherwise
 * look like a broken model).
 */
export function datasetFor(model: Model, requested?: DatasetName): { dataset: DatasetName; warning?: string } {
  const recorded = recordedDataset(model);
  if (!requested) return { dataset: recorded ?? 'mnist' };
  if (recorded && recorded !== requested) {
    return {
      dataset: requested,
      warning: `warning: ${model.architecture.name} records that it was trained on ${recorded}; using ${requested} as asked (accuracy will not mean what it would on ${recorded})`,
    };
  }
  return { dataset: requested };
}

/** The label every output puts beside an untrained model's numbers. */
export function originLabel(origin: WeightsOrigin): string {
  return origin === 'untrained' ? 'UNTRAINED (seeded random weights)' : origin === 'bundled' ? 'bundled trained model' : 'model file';
}
