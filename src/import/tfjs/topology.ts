/**
 * model.json → a linear chain of Keras layers. TF.js writes the Keras JSON
 * of `model.toJSON()` (snake_case keys); the converter from a Keras file
 * wraps it as `{ model_config, training_config }`. Sequential configs are a
 * list of layers (or `{ name, layers }`); Functional / Model configs list
 * layers with their inbound nodes, in Keras 2's nested-array form or Keras
 * 3's `{ args: [{ config: { keras_history } }] }` form. Anything that is not
 * one input flowing through one layer after another is refused, naming the
 * layer where the chain breaks.
 */
import { ImportError } from '../types.ts';
import { GRAPH_LAYERS, refuse } from './support.ts';

/** One source layer of the chain. */
export interface SourceLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
}

/** What the topology says. */
export interface Topology {
  /** Model name from its config, when it has one. */
  name?: string;
  kerasVersion?: string;
  /** Layers from input to output (an InputLayer, if any, included). */
  layers: SourceLayer[];
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** A config value by its snake_case key, or the camelCase one TF.js's own objects use. */
export function field(config: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(config, key)) return config[key];
  const camel = key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return Object.hasOwn(config, camel) ? config[camel] : undefined;
}

function sourceLayer(raw: unknown, where: string): SourceLayer {
  if (!isObject(raw)) throw new ImportError(`${where} must be an object with class_name and config, got ${show(raw)}`, where);
  const className = field(raw, 'class_name');
  if (typeof className !== 'string' || className === '')
    throw new ImportError(`${where}: class_name must be a non-empty string, got ${show(className)}`, where);
  const config = raw.config ?? {};
  if (!isObject(config)) throw new ImportError(`${where} (${className}): config must be an object, got ${show(config)}`, where);
  const name = config.name ?? raw.name;
  if (typeof name !== 'string' || name === '') throw new ImportError(`${where} (${className}): the layer has no name`, where);
  return { name, className, config };
}

/** Source layer names one inbound node reads, from either Keras form. */
function nodeSources(node: unknown, layer: string): string[] {
  const bad = (): never => {
    throw new ImportError(`layer '${layer}': inbound node ${show(node)} is not in a form the importer reads`, layer);
  };
  if (Array.isArray(node)) {
    // Keras 2: [[name, nodeIndex, tensorIndex, kwargs], ...]
    return node.map((t) => (Array.isArray(t) && typeof t[0] === 'string' ? t[0] : bad()));
  }
  if (isObject(node) && Array.isArray(node.args)) {
    // Keras 3: { args: [{ class_name: '__keras_tensor__', config: { keras_history: [name, n, t] } }], kwargs }
    const out: string[] = [];
    const visit = (a: unknown): void => {
      if (Array.isArray(a)) a.forEach(visit);
      else if (isObject(a) && isObject(a.config) && Array.isArray(a.config.keras_history)) {
        const h = a.config.keras_history[0];
        if (typeof h !== 'string') bad();
        out.push(h as string);
      }
    };
    node.args.forEach(visit);
    if (out.length === 0) bad();
    return out;
  }
  return bad();
}

/** Output layer names of a Functional config (`[[name, 0, 0], ...]`, or one `[name, 0, 0]`). */
function endpointNames(v: unknown, what: string): string[] {
  if (!Array.isArray(v)) throw new ImportError(`model config: ${what} must be a list, got ${show(v)}`, what);
  if (v.length > 0 && typeof v[0] === 'string') return [v[0]];
  return v.map((e) => {
    if (!Array.isArray(e) || typeof e[0] === 'undefined' || typeof e[0] !== 'string')
      throw new ImportError(`model config: ${what} entry ${show(e)} is malformed`, what);
    return e[0] as string;
  });
}

function functionalChain(config: Record<string, unknown>): SourceLayer[] {
  const rawLayers = config.layers;
  if (!Array.isArray(rawLayers)) throw new ImportError(`model config: layers must be a list, got ${show(rawLayers)}`, 'layers');
  const layers = rawLayers.map((l: unknown, i) => sourceLayer(l, `layers[${i}]`));
  const byName = new Map<string, SourceLayer>();
  const inbound = new Map<string, string[]>();
  rawLayers.forEach((raw: Record<string, unknown>, i) => {
    const l = layers[i];
    if (byName.has(l.name)) throw new ImportError(`two layers are named '${l.name}'`, l.name);
    byName.set(l.name, l);
    const nodes = field(raw, 'inbound_nodes') ?? [];
    if (!Array.isArray(nodes)) throw new ImportError(`layer '${l.name}': inbound_nodes must be a list, got ${show(nodes)}`, l.name);
    if (nodes.length > 1)
      refuse(l.name, l.className, `the layer is called ${nodes.length} times (shared layer); the lab supports only a linear chain of layers`);
    const sources = nodes.length === 0 ? [] : nodeSources(nodes[0], l.name);
    if (sources.length > 1 || GRAPH_LAYERS.has(l.className)) {
      refuse(l.name, l.className, `the layer has ${sources.length} inputs (${sources.join(', ')}); the lab supports only a linear chain of layers`);
    }
    inbound.set(l.name, sources);
  });
  const inputs = endpointNames(field(config, 'input_layers'), 'input_layers');
  const outputs = endpointNames(field(config, 'output_layers'), 'output_layers');
  if (inputs.length !== 1) throw new ImportError(`the model has ${inputs.length} inputs (${inputs.join(', ')}); the lab supports one`, 'input_layers');
  if (outputs.length !== 1) throw new ImportError(`the model has ${outputs.length} outputs (${outputs.join(', ')}); the lab supports one`, 'output_layers');
  const consumers = new Map<string, string[]>();
  for (const [name, sources] of inbound) {
    for (const s of sources) {
      if (!byName.has(s)) throw new ImportError(`layer '${name}' reads layer '${s}', which the model does not have`, name);
      consumers.set(s, [...(consumers.get(s) ?? []), name]);
    }
  }
  const chain: SourceLayer[] = [];
  let cur = byName.get(inputs[0]);
  if (!cur) throw new ImportError(`input layer '${inputs[0]}' is not among the model's layers`, inputs[0]);
  if ((inbound.get(cur.name) ?? []).length !== 0) throw new ImportError(`input layer '${cur.name}' has inbound nodes`, cur.name);
  for (;;) {
    chain.push(cur);
    if (cur.name === outputs[0]) break;
    const next: string[] = consumers.get(cur.name) ?? [];
    if (next.length !== 1) {
      if (next.length === 0) throw new ImportError(`layer '${cur.name}' feeds no layer, but the output is '${outputs[0]}'`, cur.name);
      refuse(cur.name, cur.className, `its output feeds ${next.length} layers (${next.join(', ')}); the lab supports only a linear chain of layers`);
    }
    cur = byName.get(next[0])!;
    if (chain.includes(cur)) throw new ImportError(`layer '${cur.name}' is part of a cycle`, cur.name);
  }
  if (chain.length !== layers.length) {
    const off = layers.find((l) => !chain.includes(l))!;
    refuse(off.name, off.className, 'the layer is not on the path from the input to the output; the lab supports only a linear chain of layers');
  }
  return chain;
}

/** The model's layer chain from `modelTopology`. */
export function readTopology(modelTopology: unknown): Topology {
  if (!isObject(modelTopology)) throw new ImportError(`modelTopology must be an object, got ${show(modelTopology)}`, 'modelTopology');
  let kerasVersion = typeof modelTopology.keras_version === 'string' ? modelTopology.keras_version : undefined;
  let top: Record<string, unknown> = modelTopology;
  if (isObject(modelTopology.model_config)) {
    top = modelTopology.model_config;
    kerasVersion ??= typeof top.keras_version === 'string' ? top.keras_version : undefined;
  }
  const className = field(top, 'class_name');
  const config = top.config;
  if (className === 'Sequential') {
    const list = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
    if (!Array.isArray(list)) throw new ImportError(`Sequential model: config.layers must be a list, got ${show(list)}`, 'modelTopology');
    const name = isObject(config) && typeof config.name === 'string' ? config.name : undefined;
    const layers = list.map((l: unknown, i) => sourceLayer(l, `layers[${i}]`));
    const seen = new Set<string>();
    for (const l of layers) {
      if (seen.has(l.name)) throw new ImportError(`two layers are named '${l.name}'`, l.name);
      seen.add(l.name);
    }
    return { name, kerasVersion, layers };
  }
  if (className === 'Model' || className === 'Functional') {
    if (!isObject(config)) throw new ImportError(`${className} model: config must be an object, got ${show(config)}`, 'modelTopology');
    return { name: typeof config.name === 'string' ? config.name : undefined, kerasVersion, layers: functionalChain(config) };
  }
  throw new ImportError(`modelTopology: class_name ${show(className)} is not Sequential, Functional or Model`, 'modelTopology');
}
