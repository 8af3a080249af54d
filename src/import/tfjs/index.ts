/**
 * TensorFlow.js Layers importer: model.json (format 'layers-model') plus its
 * weight shards → a lab Model and a report. See docs/import.md, "Importing TensorFlow.js Layers models".
 */
import type { Architecture } from '../../model/layers.ts';
import type { Model } from '../../model/model.ts';
import { validateModel } from '../../model/model.ts';
import type { ImportedModel, ImportFile, ImportOptions, ImportReport } from '../types.ts';
import { ImportError } from '../types.ts';
import { mapLayers } from './map.ts';
import type { SourceLayer } from './topology.ts';
import { field, isObject, readTopology, show } from './topology.ts';
import type { StoredDtype } from './weights.ts';
import { readWeights } from './weights.ts';

export { ImportError } from '../types.ts';

function parseJson(file: ImportFile): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file.bytes);
  } catch {
    throw new ImportError(`'${file.name}' is not UTF-8 text, so not a model.json`, file.name);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ImportError(`'${file.name}' is not valid JSON (truncated?): ${(e as Error).message}`, file.name);
  }
}

/** The model.json among the picked files: the one so named, else the only .json file. */
function findModelJson(files: ImportFile[]): ImportFile {
  const named = files.filter((f) => /(^|[\\/])model\.json$/i.test(f.name));
  if (named.length === 1) return named[0];
  const json = files.filter((f) => /\.json$/i.test(f.name));
  if (json.length === 1) return json[0];
  if (json.length === 0) throw new ImportError('no model.json among the picked files', 'model.json');
  throw new ImportError(`several .json files were picked (${json.map((f) => f.name).join(', ')}); pick one model.json and its shards`, 'model.json');
}

/** `{ name, version }` from "TensorFlow.js tfjs-layers v4.22.0", "keras v2.13.1", "tfjs-layers 4.22.0". */
function producerOf(s: string): { name: string; version: string } {
  const m = /^(.*?)\s+v?(\d[\w.+-]*)$/.exec(s.trim());
  return m ? { name: m[1], version: m[2] } : { name: s.trim(), version: '' };
}

/** Per-image shape after the batch axis, from an InputLayer or the first layer's config. */
function declaredInput(first: SourceLayer | undefined): number[] {
  if (!first) throw new ImportError('the model has no layers', 'modelTopology');
  const at = `layer '${first.name}' (${first.className})`;
  const batchShape = field(first.config, 'batch_input_shape') ?? field(first.config, 'batch_shape');
  let dims: unknown[];
  if (Array.isArray(batchShape)) dims = batchShape.slice(1);
  else {
    const inputShape = field(first.config, 'input_shape');
    if (!Array.isArray(inputShape)) throw new ImportError(`${at}: the model does not say its input shape (no batch_input_shape)`, first.name);
    dims = inputShape;
  }
  if (!dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
    throw new ImportError(`${at}: input shape ${show(dims)} must be known positive sizes (the lab needs a fixed image size)`, first.name);
  }
  return dims as number[];
}

/** The lab's [H, W, C] for the declared input, and whether a flatten has to lead (a flat input vector). */
function labInput(dims: number[], options: ImportOptions, where: string): { shape: [number, number, number]; flat: boolean } {
  const expect = options.expectInput;
  const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
  if (dims.length === 3 || dims.length === 2) {
    const shape: [number, number, number] = dims.length === 3 ? [dims[0], dims[1], dims[2]] : [dims[0], dims[1], 1];
    if (expect && shape.some((d, i) => d !== expect[i])) {
      throw new ImportError(`the model's input is ${fmt(dims)} per image, but ${fmt(expect)} is expected here`, where);
    }
    return { shape, flat: false };
  }
  if (dims.length === 1) {
    const n = dims[0];
    if (expect) {
      if (expect[0] * expect[1] * expect[2] !== n)
        throw new ImportError(
          `the model's input is a vector of ${n}, but ${fmt(expect)} (${expect[0] * expect[1] * expect[2]} values) is expected here`,
          where,
        );
      return { shape: [...expect], flat: true };
    }
    const side = Math.round(Math.sqrt(n));
    return { shape: side * side === n ? [side, side, 1] : [1, 1, n], flat: true };
  }
  throw new ImportError(`the model's input ${fmt(dims)} per image is not an image [H, W, C] or a vector`, where);
}

/**
 * Imports a TF.js Layers model: `files` holds model.json and the weight
 * shards its manifest names (matched by file name).
 * @throws ImportError naming the file, layer or weight for anything the lab
 *   cannot read or run (never another error for malformed input)
 */
export function importTfjs(files: ImportFile[], options: ImportOptions = {}): ImportedModel {
  try {
    return importUnchecked(files, options);
  } catch (e) {
    if (e instanceof ImportError) throw e;
    // A malformed file that slipped past the checks above must still come out as an ImportError;
    // `cause` keeps the original (the fuzz test requires that none slips past).
    const err = new ImportError(`the TF.js model could not be read: ${(e as Error)?.message ?? String(e)}`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

function importUnchecked(files: ImportFile[], options: ImportOptions): ImportedModel {
  if (!Array.isArray(files) || files.length === 0) throw new ImportError('no files were given: pick model.json and its weight shards', 'model.json');
  const jsonFile = findModelJson(files);
  const json = parseJson(jsonFile);
  if (!isObject(json)) throw new ImportError(`'${jsonFile.name}' must hold a JSON object, got ${show(json)}`, jsonFile.name);
  const format = json.format;
  if (format !== undefined && format !== null && format !== 'layers-model') {
    const hint = format === 'graph-model' ? ': a graph model (from a SavedModel) has no Keras layers; convert the Keras model instead' : '';
    throw new ImportError(`'${jsonFile.name}': format ${show(format)} is not 'layers-model'${hint}`, jsonFile.name);
  }
  const topology = readTopology(json.modelTopology);
  const source = readWeights(json.weightsManifest ?? [], files);

  const first = topology.layers[0];
  const dims = declaredInput(first);
  const chain = first.className === 'InputLayer' ? topology.layers.slice(1) : topology.layers;
  if (first.className === 'InputLayer' && (first.config.sparse === true || first.config.ragged === true)) {
    throw new ImportError(`InputLayer '${first.name}': sparse and ragged inputs are not supported`, first.name);
  }
  const input = labInput(dims, options, first.name);
  const mapped = mapLayers(chain, source, input.shape, input.flat);

  const stored = new Map<StoredDtype, string[]>();
  for (const name of mapped.used) {
    const w = source.get(name)!;
    if (w.stored !== 'float32') stored.set(w.stored, [...(stored.get(w.stored) ?? []), name]);
  }
  for (const [dtype, names] of stored) {
    const how = dtype === 'float16' ? 'IEEE half' : dtype === 'int32' ? 'integers' : 'affine q·scale + min';
    mapped.notes.push(`Dequantized ${names.length} weight${names.length === 1 ? '' : 's'} stored as ${dtype} (${how}) to float32: ${names.join(', ')}.`);
  }
  const unused = [...source.keys()].filter((n) => !mapped.used.has(n));
  if (unused.length > 0)
    mapped.notes.push(
      `${unused.length} weight${unused.length === 1 ? '' : 's'} in the manifest belong to no imported layer and were ignored: ${unused.join(', ')}.`,
    );
  const p = mapped.preprocess;
  if (p && Math.abs(p.scale * 255 - 1) < 1e-6) {
    mapped.notes.push(
      'The input Rescaling divides by 255, so the model was likely trained on raw 0–255 pixels; the lab feeds the model pixel/255 and applies the Rescaling to that, as the model.json says.',
    );
  }

  const producerText = [json.convertedBy, json.generatedBy, topology.kerasVersion].find((s): s is string => typeof s === 'string' && s.trim() !== '');
  const producer = producerText === undefined ? undefined : producerOf(producerText);
  const stem = jsonFile.name.replace(/^.*[\\/]/, '').replace(/\.json$/i, '');
  const architecture: Architecture = { name: options.name ?? topology.name ?? stem, inputShape: input.shape, layers: mapped.layers };
  if (p) architecture.preprocess = { scale: p.scale, offset: p.offset, label: `x · ${p.scale} + ${p.offset}` };
  const report: ImportReport = { format: 'tfjs-layers', producer, layers: mapped.imported, dropped: mapped.dropped, notes: mapped.notes };
  const model: Model = {
    architecture,
    weights: mapped.weights,
    provenance: {
      source: 'imported',
      format: 'tfjs-layers',
      producer,
      file: jsonFile.name,
      createdAt: new Date().toISOString(),
      sourceLayers: Object.fromEntries(mapped.imported.map((l) => [l.name, l.from.slice()])),
    },
  };
  try {
    validateModel(model);
  } catch (e) {
    throw new ImportError(`the imported model is not valid: ${(e as Error).message}`, architecture.name);
  }
  return { model, report };
}
