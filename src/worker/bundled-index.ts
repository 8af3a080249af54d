/**
 * The bundled models' index (`models/index.json`), shared by the build
 * plugin that writes it (web/build-plugins/bundled-models.ts, in Node) and
 * the worker that reads it. Each entry carries the model's list entry
 * (parameters, non-zeros, FLOPs, stored bytes, dataset), computed at build
 * time by the same `summarize` the worker uses on stored models, so the
 * Models list shows a bundled model before its file is downloaded: the file
 * (1–1.7 MB each) is fetched the first time the model is used, which keeps a
 * first load light (issue 15, item 7). Pure: no DOM, no IndexedDB, no GPU.
 */
import { parseModel } from '../model/format.ts';
import type { StoredModel } from '../store/store.ts';
import { summarize } from './describe.ts';
import type { ModelSummary } from './types.ts';

/** One bundled model: its file, how to check it, and its list entry. */
export interface BundledEntry {
  file: string;
  bytes: number;
  /** Hex SHA-256 of the file: a download is checked against it before it is stored. */
  sha256: string;
  /** The list entry, as `summarize` gives it once the file is stored (without `download`). */
  summary: ModelSummary;
}

/** `models/index.json`. Entries of an older build may lack `summary` (then the worker fetches that file at start-up, as before). */
export interface BundledIndex {
  models: (Omit<BundledEntry, 'summary'> & { summary?: ModelSummary })[];
}

/** The variant id a bundled file is stored under. */
export function bundledId(file: string): string {
  return `bundled:${file}`;
}

/** The stored variant of a bundled model file (parsed, so a corrupt file throws here, naming it). */
export function storedBundled(file: string, bytes: Uint8Array): StoredModel {
  const model = parseModel(bytes, file);
  return {
    id: bundledId(file),
    name: file.replace(/\.safetensors$/, ''),
    origin: 'bundled',
    runtime: 'fp32',
    architecture: model.architecture.name,
    file: bytes,
    createdAt: String(model.provenance?.createdAt ?? new Date(0).toISOString()),
  };
}

/** The index entry of a bundled model file (the build plugin's one call). */
export function bundledEntry(file: string, bytes: Uint8Array, sha256: string): BundledEntry {
  const stored = storedBundled(file, bytes);
  return { file, bytes: bytes.length, sha256, summary: summarize(stored, parseModel(bytes, file)) };
}

/** The list entry of a bundled model whose file is not in this browser yet: its summary, marked with what the download costs. */
export function pendingSummary(e: BundledEntry): ModelSummary {
  return { ...e.summary, id: bundledId(e.file), download: { bytes: e.bytes } };
}

/** Hex SHA-256 of `bytes` (Web Crypto: the worker and Node alike). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}
