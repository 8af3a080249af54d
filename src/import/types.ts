/**
 * One importer interface for every outside format: bytes of one or more files
 * in, a lab `Model` (architecture, float weights, preprocessing, provenance)
 * and a report of what was mapped to what out. Importers never store
 * anything; a failure is an `ImportError` naming the node or layer, its op or
 * attribute, and what the lab supports.
 */
import type { LayerKind } from '../model/layers.ts';
import type { Model } from '../model/model.ts';

/** The formats the lab reads. */
export type ImportFormat = 'onnx' | 'tfjs-layers';

/** One file handed to an importer (a multi-file pick: model.json plus its shards). */
export interface ImportFile {
  /** File name as the user picked it (shards are found by the names the manifest gives). */
  name: string;
  bytes: Uint8Array;
}

/** A lab layer and the source nodes or layers it was made from. */
export interface ImportedLayer {
  name: string;
  kind: LayerKind;
  /** Source node / layer names (several when, e.g., a BatchNormalization was folded in). */
  from: string[];
}

/** What the importer did, for the CLI's and the browser's report and for provenance. */
export interface ImportReport {
  format: ImportFormat;
  /** The writer an ONNX file names (producer_name / producer_version), or the TF.js converter / Keras version. */
  producer?: { name: string; version: string };
  /** ONNX: the default-domain opset the file imports. */
  opset?: number;
  layers: ImportedLayer[];
  /** Source nodes that carry no computation at inference and were dropped (Dropout, Identity…). */
  dropped: { name: string; op: string; why: string }[];
  /** Anything a user should know (a folded BatchNormalization, a reordered flatten, dequantized weights). */
  notes: string[];
}

/** A model read from an outside format. */
export interface ImportedModel {
  model: Model;
  report: ImportReport;
}

/** Options every importer takes. */
export interface ImportOptions {
  /** Name of the lab architecture (default: from the file, else its file name). */
  name?: string;
  /** When given, an input of any other `[H, W, C]` is refused (the lab's MNIST flows pass [28, 28, 1]). */
  expectInput?: [number, number, number];
}

/** A file the lab cannot import, with where in the file and why. */
export class ImportError extends Error {
  override name = 'ImportError';
  constructor(
    message: string,
    /** The node, layer, tensor or file the problem is in, when there is one. */
    readonly where?: string,
  ) {
    super(message);
  }
}
