/**
 * What every exporter hands back: the files a runtime loads, byte for byte,
 * and a plain statement of what the format keeps of the lab model and what
 * it loses. Exporters are pure (model in, bytes out): the CLI writes the
 * files to disk, the browser zips or downloads them, the tests feed them to
 * the real runtimes.
 */

/** The deployable formats. */
export type ExportFormat = 'onnx' | 'onnx-int8' | 'tfjs';

/** One file of an export, named as the runtime expects to find it (e.g. model.json next to its shard). */
export interface ExportedFile {
  name: string;
  bytes: Uint8Array;
}

/** The result of one export. */
export interface ExportResult {
  format: ExportFormat;
  /** In the order a user would open them: the model file first. */
  files: ExportedFile[];
  /** Sum of the files' bytes. */
  bytes: number;
  /** What the file keeps of the lab model, one sentence each. */
  keeps: string[];
  /** What it loses (e.g. codebooks stored as plain weights), one sentence each. */
  loses: string[];
}

/** Bytes of all files. */
export function totalBytes(files: readonly ExportedFile[]): number {
  return files.reduce((s, f) => s + f.bytes.length, 0);
}
