/**
 * The engine's Node side: model files and bundled models on disk, by the
 * naming rule of models.ts. The CLI and the Node benchmark resolve every
 * model argument here; the browser worker resolves names from IndexedDB.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHITECTURES, architecture, isArchitectureName } from '../model/architectures.ts';
import { parseModel } from '../model/format.ts';
import { initModel } from '../model/model.ts';
import type { ResolvedModel } from './models.ts';
import { loadDataset } from '../data/node-loader.ts';
import { ImportError, type ImportFile } from '../import/index.ts';
import { importModelFiles } from './import.ts';
import type { ConventionName } from './preprocess.ts';
import type { RunTarget } from './runner.ts';

/** `<repo>/models`: the bundled trained models, `<architecture>.safetensors`. */
export const MODELS_DIR: string = fileURLToPath(new URL('../../models/', import.meta.url));

/** A mistake in what was asked for (a name that is not a model): front ends show it as a usage error. */
export class ModelRefError extends Error {}

/** Options of `resolveModel`. */
export interface ResolveOptions {
  /** Ask for the seeded, untrained model of a built-in architecture instead of its bundled trained one. */
  untrained?: boolean;
  /** Seed of an untrained model (default 1). */
  seed?: number;
  /** Where bundled models are (default MODELS_DIR). */
  dir?: string;
  /** An imported model's input convention, instead of choosing one. */
  convention?: ConventionName;
  /** Where an imported model's conventions are scored (default the CPU reference). */
  target?: RunTarget;
}

const notAModel = (path: string): string => `'${path}' is neither a built-in architecture (${Object.keys(ARCHITECTURES).join(', ')}) nor an existing file`;

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' ? new ModelRefError(notAModel(path)) : new Error(`cannot read '${path}': ${(e as Error).message}`);
  }
}

/**
 * The files of an outside model on disk: an .onnx file alone, or a TF.js
 * model.json with the weight shards its manifest names (next to it).
 */
export async function readImportFiles(path: string): Promise<ImportFile[]> {
  const bytes = await readBytes(path);
  const files: ImportFile[] = [{ name: basename(path), bytes }];
  if (/\.json$/i.test(path)) {
    let manifest: unknown;
    try {
      manifest = (JSON.parse(new TextDecoder().decode(bytes)) as { weightsManifest?: unknown }).weightsManifest;
    } catch (e) {
      throw new ImportError(`${path} is not JSON: ${(e as Error).message}`, path);
    }
    const paths = Array.isArray(manifest) ? manifest.flatMap((g: { paths?: unknown }) => (Array.isArray(g?.paths) ? g.paths : [])) : [];
    for (const shard of paths) {
      if (typeof shard !== 'string' || shard.includes('..') || isAbsolute(shard))
        throw new ImportError(`${path}: weight shard path ${JSON.stringify(shard)} is not a file next to model.json`, path);
      const at = join(dirname(path), shard);
      if (!existsSync(at)) throw new ImportError(`${path} names weight shard '${shard}', which is missing (looked for ${at})`, shard);
      files.push({ name: shard, bytes: await readBytes(at) });
    }
  }
  return files;
}

/** True for a path the importers read (ONNX, TF.js model.json), not the lab's own format. */
export function isImportPath(path: string): boolean {
  return /\.(onnx|json)$/i.test(path);
}

/**
 * Reads a model file; errors name the file. An outside model (.onnx,
 * model.json) is imported, and its input convention chosen on the first
 * training images of MNIST with the CPU reference (or `options.target`).
 */
export async function readModelFile(path: string, options: Pick<ResolveOptions, 'convention' | 'target'> = {}): Promise<ResolvedModel> {
  if (isImportPath(path)) {
    const files = await readImportFiles(path);
    const r = await importModelFiles(files, { target: options.target ?? 'cpu', train: await loadDataset('mnist', 'train'), convention: options.convention });
    const bytes = files.reduce((n, f) => n + f.bytes.byteLength, 0);
    return { model: r.model, origin: 'file', source: `${path} (imported ${r.format}; ${r.choice?.reason ?? ''})`, fileBytes: bytes, imported: r };
  }
  const bytes = await readBytes(path);
  return { model: parseModel(bytes, path), origin: 'file', source: path, fileBytes: bytes.byteLength };
}

/**
 * A model argument → the model, by the naming rule: a built-in name is its
 * bundled trained model (`untrained` asks for seeded random weights), a
 * path is that file.
 */
export async function resolveModel(arg: string | undefined, options: ResolveOptions = {}): Promise<ResolvedModel> {
  if (!arg) throw new ModelRefError('missing <model>: a built-in architecture name or a model file');
  if (isArchitectureName(arg)) {
    const seed = options.seed ?? 1;
    if (options.untrained) return { model: initModel(architecture(arg), seed), origin: 'untrained', source: `untrained ${arg} (He init, seed ${seed})` };
    const file = join(options.dir ?? MODELS_DIR, `${arg}.safetensors`);
    if (!existsSync(file))
      throw new ModelRefError(`'${arg}' has no bundled trained model (models/${arg}.safetensors); pass --untrained for seeded random weights, or a model file`);
    const bytes = await readFile(file);
    return { model: parseModel(bytes, `models/${arg}.safetensors`), origin: 'bundled', source: `models/${arg}.safetensors`, fileBytes: bytes.byteLength };
  }
  if (options.untrained) throw new ModelRefError(`--untrained takes a built-in architecture name (${Object.keys(ARCHITECTURES).join(', ')}), not a file`);
  return readModelFile(arg, options);
}
