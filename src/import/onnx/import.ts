/**
 * ONNX → lab model. Decodes the file with the shared protobufjs schema,
 * finds the one image input, walks the chain of nodes from it to the one
 * output (each tensor consumed by exactly one node, every other operand a
 * constant) and maps each node through `ops.ts`. Anything else — branches,
 * ops without a lab layer, dynamic shapes, external data — is an ImportError
 * naming the node, tensor or input.
 */
import type { Architecture } from '../../model/layers.ts';
import type { Model } from '../../model/model.ts';
import { validateModel } from '../../model/model.ts';
import { inferShapes } from '../../model/shapes.ts';
import type { ImportedModel, ImportOptions, ImportReport } from '../types.ts';
import { ImportError } from '../types.ts';
import type { Act, Ctx } from './ops.ts';
import { applyNode, emit, liftAffine, unlift } from './ops.ts';
import type { DecodedNode, DecodedOnnx, DecodedValueInfo } from './schema.ts';
import { ONNX_DTYPE, modelProtoType } from './schema.ts';
import { MAX_OPSET, MIN_OPSET, nodeLabel, refuse } from './support.ts';
import type { Const } from './tensors.ts';
import { constantNodeValue, readTensor } from './tensors.ts';

/** Largest spatial or feature dimension of an input the importer accepts. */
const MAX_INPUT_DIM = 1 << 16;

function decode(bytes: Uint8Array): DecodedOnnx {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new ImportError('the ONNX file is empty');
  try {
    const type = modelProtoType();
    const msg = type.decode(bytes);
    return type.toObject(msg, { longs: Number, arrays: true, defaults: false }) as DecodedOnnx;
  } catch (e) {
    throw new ImportError(`not a readable ONNX file (the protobuf is truncated or corrupt: ${(e as Error).message})`);
  }
}

function opsetOf(m: DecodedOnnx): number {
  const def = m.opsetImport.filter((o) => !o.domain || o.domain === 'ai.onnx');
  if (def.length === 0) throw new ImportError(`the model imports no default-domain opset; the lab reads opsets ${MIN_OPSET}–${MAX_OPSET}`);
  const v = def[0].version;
  if (!(Number.isInteger(v) && v >= MIN_OPSET && v <= MAX_OPSET)) {
    throw new ImportError(`the model uses opset ${v}; the lab imports opsets ${MIN_OPSET}–${MAX_OPSET} (re-export with opset_version between them)`);
  }
  return v;
}

function inputDims(vi: DecodedValueInfo): number[] {
  const tt = vi.type?.tensorType;
  if (!tt) throw new ImportError(`input '${vi.name}' is not a tensor; the lab imports one float image input`, vi.name);
  if (tt.elemType !== undefined && tt.elemType !== ONNX_DTYPE.FLOAT) {
    throw new ImportError(`input '${vi.name}' has element type ${tt.elemType}; the lab imports a float32 input`, vi.name);
  }
  const dims = tt.shape?.dim;
  if (!dims) throw new ImportError(`input '${vi.name}' has no shape; the lab needs the image size [N, C, H, W] in the file`, vi.name);
  const shown = dims.map((d) => (d.dimValue !== undefined ? String(d.dimValue) : (d.dimParam ?? '?')));
  if (dims.length < 2 || dims.length > 4) {
    throw new ImportError(`input '${vi.name}' is [${shown.join(', ')}]; the lab imports [N, C, H, W], [N, H, W] or [N, K] inputs`, vi.name);
  }
  return dims.map((d, i) => {
    if (i === 0) return 0;
    const v = d.dimValue;
    if (v === undefined || !Number.isSafeInteger(v) || v < 1 || v > MAX_INPUT_DIM) {
      throw new ImportError(
        `input '${vi.name}' is [${shown.join(', ')}]: dimension ${i} is ${d.dimParam ? `symbolic ('${d.dimParam}')` : 'not a fixed size'}; only the batch may be dynamic`,
        vi.name,
      );
    }
    return v;
  });
}

function shapeWords([h, w, c]: [number, number, number]): string {
  return `a ${h}×${w} ${c === 1 ? 'single-channel' : `${c}-channel`} image`;
}

function sanitizeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'onnx-model';
}

interface Graph {
  nodes: DecodedNode[];
  consumers: Map<string, number[]>;
  constant(name: string): Const | undefined;
}

function indexGraph(m: DecodedOnnx): Graph {
  const g = m.graph;
  const nodes = g.node;
  const initializers = new Map(g.initializer.map((t, i) => [t.name ?? `initializer ${i}`, t]));
  const constNodes = new Map<string, DecodedNode>();
  const consumers = new Map<string, number[]>();
  const producers = new Set<string>();
  nodes.forEach((n, i) => {
    n.opType ??= '';
    if (n.domain && n.domain !== 'ai.onnx') refuse(n, `its domain '${n.domain}' is not the default ONNX domain`);
    if (n.opType === 'Constant' && n.output[0]) constNodes.set(n.output[0], n);
    for (const out of n.output) {
      if (!out) continue;
      if (producers.has(out) || initializers.has(out)) refuse(n, `output '${out}' is produced twice`);
      producers.add(out);
    }
    for (const inp of new Set(n.input)) if (inp) consumers.set(inp, [...(consumers.get(inp) ?? []), i]);
  });
  const cache = new Map<string, Const>();
  const constant = (name: string): Const | undefined => {
    const hit = cache.get(name);
    if (hit) return hit;
    const t = initializers.get(name);
    const node = constNodes.get(name);
    const c = t ? readTensor(t, name) : node ? constantNodeValue(node) : undefined;
    if (c) cache.set(name, c);
    return c;
  };
  return { nodes, consumers, constant };
}

function newReport(m: DecodedOnnx, opset: number): ImportReport {
  const report: ImportReport = { format: 'onnx', opset, layers: [], dropped: [], notes: [] };
  if (m.producerName) report.producer = { name: m.producerName, version: m.producerVersion ?? '' };
  return report;
}

function startAct(dims: number[]): { act: Act; inputShape: [number, number, number] } {
  if (dims.length === 4) return { act: { kind: 'image', c: dims[1], h: dims[2], w: dims[3], order: 'NCHW' }, inputShape: [dims[2], dims[3], dims[1]] };
  if (dims.length === 3) return { act: { kind: 'image', c: 1, h: dims[1], w: dims[2], order: 'NCHW' }, inputShape: [dims[1], dims[2], 1] };
  return { act: { kind: 'flat', k: dims[1] }, inputShape: [1, 1, dims[1]] };
}

/** Walks the chain from the input to the output; returns the last tensor. */
function walk(ctx: Ctx, graph: Graph, inputName: string, outputName: string): void {
  const visited = new Set<number>();
  let cur = inputName;
  for (;;) {
    const users = graph.consumers.get(cur) ?? [];
    if (users.length === 0) break;
    if (users.length > 1) {
      const names = users.map((i) => nodeLabel(graph.nodes[i])).join(', ');
      throw new ImportError(`tensor '${cur}' is consumed by ${users.length} nodes (${names}); the lab imports sequential models, without branches`, cur);
    }
    if (cur === outputName) refuse(graph.nodes[users[0]], `reads the graph output '${cur}', which must be the end of the chain`);
    const idx = users[0];
    const node = graph.nodes[idx];
    if (visited.has(idx)) refuse(node, 'is reached twice: the graph has a cycle');
    visited.add(idx);
    if (node.input.filter((x) => x === cur).length > 1) refuse(node, `uses '${cur}' twice; the lab imports a single chain`);
    for (const other of node.input) {
      if (other && other !== cur && !graph.constant(other)) {
        refuse(node, `combines two computed tensors ('${cur}' and '${other}'); the lab imports sequential models, without branches or merges`);
      }
    }
    applyNode(ctx, node, cur);
    const next = node.output[0];
    if (!next) refuse(node, 'has no output');
    cur = next;
  }
  if (cur !== outputName) {
    throw new ImportError(`the chain from input '${inputName}' ends at '${cur}', which is not the graph output '${outputName}'`, cur);
  }
  if (ctx.affine) liftAffine(ctx, null);
  unlift(ctx);
  graph.nodes.forEach((n, i) => {
    if (!visited.has(i) && n.opType !== 'Constant') refuse(n, 'is not on the chain from the input to the output; the lab imports sequential models');
  });
}

function finish(ctx: Ctx, name: string, options: ImportOptions, inputInfo: string): Model {
  const p = ctx.pre;
  const architecture: Architecture = { name, inputShape: ctx.inputShape, layers: ctx.layers };
  if (p.scale !== 1 || p.offset !== 0) {
    architecture.preprocess = { scale: p.scale, offset: p.offset, label: p.label };
    ctx.report.notes.push(`preprocessing ${p.label} (from ${p.from.join(', ')}) became the model's input map; the lab feeds x = pixel / 255`);
  } else if (p.from.length > 0) {
    ctx.report.dropped.push(...p.from.map((n) => ({ name: n, op: 'Preprocess', why: 'the identity' })));
  }
  if (ctx.layers.length === 0) throw new ImportError('the model has no layer the lab can run (no node computes anything)');
  const exp = options.expectInput;
  if (exp && exp.some((v, i) => v !== ctx.inputShape[i])) {
    throw new ImportError(`input ${inputInfo}; the lab's ${exp.join('×') === '28×28×1' ? 'MNIST ' : ''}flows need ${shapeWords(exp)}`, ctx.inputName);
  }
  const sourceNodes: Record<string, string[]> = {};
  for (const l of ctx.report.layers) sourceNodes[l.name] = l.from;
  const report = ctx.report;
  const model: Model = {
    architecture,
    weights: ctx.weights,
    provenance: {
      source: 'imported',
      format: 'onnx',
      producer: report.producer?.name,
      producerVersion: report.producer?.version,
      opset: report.opset,
      sourceNodes,
      createdAt: new Date().toISOString(),
    },
  };
  for (const [tensor, data] of Object.entries(ctx.weights)) {
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const layer = tensor.slice(0, tensor.lastIndexOf('.'));
      const from = sourceNodes[layer]?.join(', ') ?? layer;
      throw new ImportError(`tensor '${tensor}' (from ${from}) holds a non-finite value (${data[bad]}) at index ${bad}`, tensor);
    }
  }
  try {
    inferShapes(architecture);
    validateModel(model);
  } catch (e) {
    throw new ImportError(`the imported model does not fit together: ${(e as Error).message}`);
  }
  return model;
}

/**
 * Imports an ONNX model (opsets 9–21) of one sequential chain onto the lab's
 * layers. Throws ImportError, naming the node, tensor or input, for anything
 * the lab cannot express or a file it cannot read.
 */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportedModel {
  const m = decode(bytes);
  if (!m.graph) throw new ImportError('the ONNX file holds no graph');
  const g = m.graph;
  const opset = opsetOf(m);
  const initNames = new Set(g.initializer.map((t) => t.name));
  const inputs = g.input.filter((vi) => !initNames.has(vi.name));
  if (inputs.length !== 1) {
    throw new ImportError(
      `the graph has ${inputs.length} inputs (${inputs.map((i) => `'${i.name}'`).join(', ')}); the lab imports models with one image input and weights as initializers`,
    );
  }
  if (g.output.length !== 1) {
    throw new ImportError(
      `the graph has ${g.output.length} outputs (${g.output.map((o) => `'${o.name}'`).join(', ')}); the lab imports models with one output`,
    );
  }
  const input = inputs[0];
  const dims = inputDims(input);
  const shown = input.type!.tensorType!.shape!.dim.map((d) => (d.dimValue !== undefined ? String(d.dimValue) : (d.dimParam ?? '?')));
  const graph = indexGraph(m);
  const report = newReport(m, opset);
  const { act, inputShape } = startAct(dims);
  const ctx: Ctx = {
    opset,
    act,
    inputShape,
    inputName: input.name,
    layers: [],
    weights: {},
    report,
    pre: { scale: 1, offset: 0, label: 'x', additive: false, from: [] },
    started: false,
    inputTransposed: false,
    fold: null,
    affine: null,
    usedNames: new Set(),
    constant: graph.constant,
    consumers: (name) => graph.consumers.get(name)?.length ?? 0,
    isGraphOutput: (name) => g.output.some((o) => o.name === name),
  };
  // A matrix input [N, K] is a 1×1×K image to the lab; its dense layers need it flat.
  if (act.kind === 'flat') emit(ctx, null, { kind: 'flatten' }, []);
  walk(ctx, graph, input.name, g.output[0].name);
  if (ctx.inputTransposed)
    report.notes.push(`input '${input.name}' is NHWC (its Transpose to NCHW was dropped): the lab reads it as [${ctx.inputShape.join(', ')}]`);
  const name = sanitizeName(options.name ?? g.name ?? 'onnx-model');
  const model = finish(ctx, name, options, `'${input.name}' is [${shown.join(',')}]`);
  return { model, report };
}
