/**
 * The engine's Node side: model files and bundled models on disk, by the
 * naming rule of models.ts. The CLI and the Node benchmark resolve every
 * model argument here; the browser worker resolves names from IndexedDB.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHITECTURES, architecture, isArchitectureName } from '../model/architectures.ts';
import { parseModel } from '../model/format.ts';
import { initModel } from '../model/model.ts';
import type { ResolvedModel } from './models.ts';

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
}

/** Reads and parses a model file; errors name the file. */
export async function readModelFile(path: string): Promise<ResolvedModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code === 'ENOENT'
      ? new ModelRefError(`'${path}' is neither a built-in architecture (${Object.keys(ARCHITECTURES).join(', ')}) nor an existing file`)
      : new Error(`cannot read '${path}': ${(e as Error).message}`);
  }
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
  return readModelFile(arg);
}
