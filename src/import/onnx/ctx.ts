/**
 * The state of one ONNX → lab walk (the chain's tensor, the lab layers and
 * weights so far, what waits to fold) and how a lab layer is appended to it.
 */
import type { Layer } from '../../model/layers.ts';
import type { ImportReport } from '../types.ts';
import type { DecodedNode } from './schema.ts';
import type { Const } from './tensors.ts';

/** The chain's current tensor, per image of the batch. */
export type Act =
  | {
      kind: 'image';
      c: number;
      h: number;
      w: number;
      order: 'NCHW' | 'NHWC';
      /**
       * Set when the lab lifted a flat [N, K] tensor to a [1, 1, K] image (see
       * src/import/lift.ts): ONNX still sees [N, K], and the lab owes a flatten
       * before the next Gemm/MatMul, Softmax or the end. Holds the name of the
       * BatchNormalization that caused it.
       */
      lifted?: string;
    }
  | { kind: 'flat'; k: number; chw?: [number, number, number] };

/** A weighted lab layer that a following BatchNormalization or bias Add can fold into. */
export interface FoldTarget {
  layer: Layer & { kind: 'conv2d' | 'depthwiseConv2d' | 'dense'; bias: boolean };
  channels: number;
}

/** Everything the walk builds. */
export interface Ctx {
  opset: number;
  act: Act;
  /** Lab `[H, W, C]` input; changes if a leading Transpose shows the input is NHWC. */
  inputShape: [number, number, number];
  /** The graph input's name and dims, for messages. */
  inputName: string;
  layers: Layer[];
  weights: Record<string, Float32Array>;
  report: ImportReport;
  /** Affine map x·scale + offset gathered from elementwise nodes at the input. */
  pre: { scale: number; offset: number; label: string; additive: boolean; from: string[] };
  /** True once a lab layer that computes something has been emitted. */
  started: boolean;
  inputTransposed: boolean;
  fold: FoldTarget | null;
  /** A BatchNormalization of a flat tensor waiting to fold forward into the Gemm/MatMul right after it. */
  affine: { node: DecodedNode; scale: Float64Array; shift: Float64Array } | null;
  usedNames: Set<string>;
  /** A constant operand by tensor name (initializer or Constant node), or undefined. */
  constant(name: string): Const | undefined;
  /** Number of nodes consuming a tensor, and whether it is the graph output. */
  consumers(name: string): number;
  isGraphOutput(name: string): boolean;
}

function labName(ctx: Ctx, node: DecodedNode, kind: string): string {
  let base = (node.name || node.output[0] || '')
    .replace(/^[/:]+/, '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!base) base = `${kind}${ctx.layers.length}`;
  let name = base;
  for (let i = 2; ctx.usedNames.has(name); i++) name = `${base}_${i}`;
  ctx.usedNames.add(name);
  return name;
}

/** A layer description without its name (the importer names it from the node). */
export type Unnamed<L> = L extends Layer ? Omit<L, 'name'> : never;

/** Appends a lab layer made from `from` source nodes (its name: the node's, sanitized and unique). */
export function emit(ctx: Ctx, node: DecodedNode | null, layer: Unnamed<Layer>, from: string[], weights: Record<string, Float32Array> = {}): Layer {
  const name = labName(ctx, node ?? { input: [], output: [`${layer.kind}_input`], opType: '', attribute: [] }, layer.kind);
  const full = { ...layer, name } as Layer;
  ctx.layers.push(full);
  for (const [suffix, data] of Object.entries(weights)) ctx.weights[`${name}.${suffix}`] = data;
  ctx.report.layers.push({ name, kind: full.kind, from });
  if (layer.kind !== 'flatten') ctx.started = true;
  ctx.fold = null;
  return full;
}

export function src(node: DecodedNode): string {
  return node.name || node.output[0] || '?';
}
