/**
 * Models → Export in the worker: every file a stored variant can be
 * downloaded as, measured by actually writing it (src/engine/export.ts, the
 * orchestration the CLI runs), and kept for the session so the download is
 * the very bytes whose size the panel showed.
 */
import { zipSync } from 'fflate';
import type { Dataset } from '../data/dataset.ts';
import { exportBaseName, exportModel, runsAsInt8, type ExportOptions } from '../engine/export.ts';
import { DEFAULTS } from '../model/defaults.ts';
import type { ExportChoice, ExportKey, ExportOption } from './types.ts';
import type { LoadedModel } from './session.ts';

export type { ExportChoice, ExportKey, ExportOption } from './types.ts';

/** Every download the panel can offer, in the order it lists them. */
export const EXPORT_KEYS: readonly ExportKey[] = ['safetensors', 'onnx', 'onnx-int8', 'tfjs', 'tfjs-uint8', 'tfjs-float16'];

const LABELS: Record<ExportKey, string> = {
  safetensors: 'Lab file (.safetensors)',
  onnx: 'ONNX, float32',
  'onnx-int8': 'ONNX, int8 (QDQ)',
  tfjs: 'TF.js Layers, float32 (.zip)',
  'tfjs-uint8': 'TF.js Layers, uint8 weights (.zip)',
  'tfjs-float16': 'TF.js Layers, float16 weights (.zip)',
};

const MIME: Record<ExportKey, string> = {
  safetensors: 'application/octet-stream',
  onnx: 'application/octet-stream',
  'onnx-int8': 'application/octet-stream',
  tfjs: 'application/zip',
  'tfjs-uint8': 'application/zip',
  'tfjs-float16': 'application/zip',
};

/** Is `v` one of the export keys? */
export function isExportKey(v: unknown): v is ExportKey {
  return typeof v === 'string' && (EXPORT_KEYS as readonly string[]).includes(v);
}

/** The key, or a clear error naming the known ones. */
export function exportKey(v: unknown): ExportKey {
  if (!isExportKey(v)) throw new Error(`unknown export format '${String(v)}'; known: ${EXPORT_KEYS.join(', ')}`);
  return v;
}

function fileName(loaded: LoadedModel, key: ExportKey): string {
  const base = exportBaseName(loaded.stored.name);
  switch (key) {
    case 'safetensors':
      return `${base}.safetensors`;
    case 'onnx':
      return `${base}.onnx`;
    case 'onnx-int8':
      return `${base}.int8.onnx`;
    default:
      return `${base}.${key}.zip`;
  }
}

/**
 * The downloads a variant offers: all of them, except the int8 ONNX, which
 * only a variant the lab runs as int8 has (its file is that integer model).
 */
export function exportChoices(loaded: LoadedModel): ExportChoice[] {
  const int8 = runsAsInt8(loaded.model);
  return EXPORT_KEYS.filter((k) => k !== 'onnx-int8' || int8).map((key) => ({ key, label: LABELS[key], fileName: fileName(loaded, key) }));
}

/** What building one export needs from the worker besides the model. */
export interface ExportDeps {
  /** The variant's training split, as the worker loads it for calibration (int8 only). */
  train(): Promise<Dataset>;
  /** A phase line for the progress bar. */
  progress?(phase: string): void;
  /** Called between slow steps; throws when the job was cancelled. */
  check?(): Promise<void>;
}

/** One measured export: what the panel shows, and (unless it failed) the bytes to download. */
export interface BuiltExport {
  option: ExportOption;
  file?: { fileName: string; bytes: Uint8Array; mime: string };
}

/**
 * Writes `loaded` as `key`. A model the format cannot express gives an
 * option with `error` (the exporter's message, naming the layer), never a
 * throw: one format's refusal must not hide the others.
 */
export async function buildExport(loaded: LoadedModel, key: ExportKey, deps: ExportDeps): Promise<BuiltExport> {
  const name = fileName(loaded, key);
  const labBytes = loaded.stored.file.length;
  const base = { key, label: LABELS[key], fileName: name, labBytes };
  if (key === 'safetensors') {
    const int8 = loaded.stored.runtime === 'int8' || runsAsInt8(loaded.model);
    const option: ExportOption = {
      ...base,
      bytes: labBytes,
      keeps: [
        'Everything the lab knows: each tensor in its stored encoding (codebooks, sparse indices, Huffman codes), the layers, the pipeline and the provenance.',
      ],
      loses: [
        'Only Compression Lab reads it (import it here, or use the compression-lab CLI).',
        ...(int8 ? ['No activation ranges are stored: the lab recalibrates them (same images, same method) when it loads the file.'] : []),
      ],
    };
    return { option, file: { fileName: name, bytes: loaded.stored.file, mime: MIME[key] } };
  }
  try {
    const opts: ExportOptions = { name: exportBaseName(loaded.stored.name) };
    if (key === 'onnx-int8') {
      if (!runsAsInt8(loaded.model))
        throw new Error(`'${loaded.stored.name}' runs as float: an int8 ONNX is offered for variants compressed with the int8 pass (last in the pipeline)`);
      deps.progress?.(`${LABELS[key]}: loading the training images`);
      opts.train = await deps.train();
      // The number the variant was calibrated on when it was made (the worker's int8ModelOf reads the same).
      opts.calibrationImages = Number(loaded.stored.runtimeOptions?.calibrationImages ?? DEFAULTS.calibrationImages);
      deps.progress?.(
        `${LABELS[key]}: calibrating activations on ${Math.min(opts.calibrationImages, opts.train.count).toLocaleString('en-US')} training images`,
      );
    } else deps.progress?.(`${LABELS[key]}: writing`);
    if (key === 'tfjs-uint8') opts.tfjsQuantize = 'uint8';
    if (key === 'tfjs-float16') opts.tfjsQuantize = 'float16';
    await deps.check?.();
    const out = exportModel(loaded.model, key === 'onnx' || key === 'onnx-int8' ? key : 'tfjs', opts);
    // Stored, not deflated: the size shown is then the format's own (what a
    // runtime fetches, to the zip's few hundred bytes of headers), not how well
    // deflate squeezes float weights; and zipping costs nothing.
    const bytes = out.files.length === 1 ? out.files[0].bytes : zipSync(Object.fromEntries(out.files.map((f) => [f.name, f.bytes])), { level: 0 });
    const option: ExportOption = {
      ...base,
      bytes: bytes.length,
      keeps: out.keeps,
      loses: out.loses,
      ...(out.files.length > 1 ? { files: out.files.map((f) => ({ name: f.name, bytes: f.bytes.length })) } : {}),
      ...(out.calibration ? { calibration: out.calibration } : {}),
    };
    return { option, file: { fileName: name, bytes, mime: MIME[key] } };
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    return { option: { ...base, keeps: [], loses: [], error: (e as Error).message } };
  }
}

/** Exports measured this session, per variant (a few variants: each holds every format's bytes). */
const cache = new Map<string, Map<ExportKey, BuiltExport>>();
const MAX_CACHED_MODELS = 6;

/** The cached export of `loaded` as `key`, built on first use. */
export async function cachedExport(loaded: LoadedModel, key: ExportKey, deps: ExportDeps): Promise<BuiltExport> {
  const id = loaded.stored.id;
  let perModel = cache.get(id);
  const hit = perModel?.get(key);
  if (perModel) {
    cache.delete(id); // most recently used last
    cache.set(id, perModel);
  }
  if (hit) return hit;
  const built = await buildExport(loaded, key, deps);
  perModel = cache.get(id) ?? new Map();
  perModel.set(key, built);
  cache.set(id, perModel);
  while (cache.size > MAX_CACHED_MODELS) cache.delete(cache.keys().next().value as string);
  return built;
}

/** Drops a variant's exports (after it was deleted). */
export function forgetExports(id: string): void {
  cache.delete(id);
}
