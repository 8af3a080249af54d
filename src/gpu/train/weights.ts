/**
 * The student's trainable weights on the GPU: a master copy per layer (model
 * layout), the copy the forward pass reads (packed, or fake-quantized), the
 * shared-value tables of TrainOptions.shared, the dispatches that refresh the
 * forward copy from the master, and the read-back of the trained model.
 */
import type { Layer } from '../../model/layers.ts';
import { hasWeights } from '../../model/layers.ts';
import type { Model } from '../../model/model.ts';
import type { LayerShapes } from '../../model/shapes.ts';
import { packBias, packGemmWeight } from '../kernels/conv2d.ts';
import { qmaxOf } from '../kernels/pack-weight.ts';
import type { Dispatch, Graph } from './graph.ts';
import { readU32 } from './graph.ts';
import type { FakeQuantOptions, TrainOptions } from './options.ts';

/** Per-layer trainable state on the GPU. */
export interface LayerState {
  ls: LayerShapes;
  layer: Layer & { kind: 'conv2d' | 'depthwiseConv2d' | 'dense' };
  /** Master weight, model layout. */
  master: GPUBuffer;
  /** What the forward pass and dInput read: packed [K, ocp] (conv/dense), or for depthwise the master or a fake-quantized copy. */
  forward: GPUBuffer;
  /** Bias padded to a multiple of 4 (zeros when the layer has none); also the master bias. */
  bias: GPUBuffer;
  oc: number;
  k: number;
  weightSize: number;
  frozen: boolean;
  quant: boolean;
  /** Set when the weight reads a shared-value table (TrainOptions.shared). */
  shared?: { group: string; assignments: ArrayLike<number> };
}

/** One shared-value table on the GPU and the weight tensors that read it. */
export interface SharedGroup {
  key: string;
  k: number;
  values: Float32Array;
  members: string[];
}

/** Shared-value tables from TrainOptions.shared: each value starts as the mean of its unmasked members (0 if none). */
export function sharedGroupsOf(model: Model, o: TrainOptions, frozen: Set<string>): Map<string, SharedGroup> {
  const groups = new Map<string, SharedGroup & { sum: Float64Array; count: Float64Array }>();
  for (const [name, sh] of Object.entries(o.shared ?? {})) {
    if (frozen.has(name.slice(0, -'.weight'.length))) continue;
    const key = sh.group ?? name;
    let grp = groups.get(key);
    if (!grp)
      groups.set(key, (grp = { key, k: sh.k, values: new Float32Array(sh.k), members: [], sum: new Float64Array(sh.k), count: new Float64Array(sh.k) }));
    if (grp.k !== sh.k) throw new Error(`trainer: shared group '${key}': '${name}' has k = ${sh.k}, another member ${grp.k}`);
    const w = model.weights[name];
    const mask = o.masks?.[name];
    for (let i = 0; i < w.length; i++) {
      if (mask && mask[i] === 0) continue;
      grp.sum[sh.assignments[i]] += w[i];
      grp.count[sh.assignments[i]]++;
    }
    grp.members.push(name);
  }
  const out = new Map<string, SharedGroup>();
  for (const [key, grp] of groups) {
    for (let j = 0; j < grp.k; j++) grp.values[j] = grp.count[j] > 0 ? grp.sum[j] / grp.count[j] : 0;
    out.set(key, { key, k: grp.k, values: grp.values, members: grp.members });
  }
  return out;
}

/** `t` with the entries where `mask` is 0 set to 0 (in place). */
function applyMask(t: Float32Array, mask: ArrayLike<number> | undefined): Float32Array {
  if (mask) for (let i = 0; i < t.length; i++) if (mask[i] === 0) t[i] = 0;
  return t;
}

/** Uploads the trainable layers of `shapes`: weights read from their shared table if any, then masked. */
export function uploadLayers(
  g: Graph,
  model: Model,
  shapes: LayerShapes[],
  o: TrainOptions,
  frozen: Set<string>,
  sharedGroups: Map<string, SharedGroup>,
): Map<string, LayerState> {
  const sharedOf = new Map<string, string>();
  for (const grp of sharedGroups.values()) for (const n of grp.members) sharedOf.set(n, grp.key);
  const layers = new Map<string, LayerState>();
  for (const ls of shapes) {
    const layer = ls.layer;
    if (!hasWeights(layer)) continue;
    const w = Float32Array.from(model.weights[`${layer.name}.weight`]);
    const groupKey = sharedOf.get(`${layer.name}.weight`);
    const sharedSpec = groupKey ? { group: groupKey, assignments: o.shared![`${layer.name}.weight`].assignments } : undefined;
    if (sharedSpec) {
      const values = sharedGroups.get(sharedSpec.group)!.values;
      for (let i = 0; i < w.length; i++) w[i] = values[sharedSpec.assignments[i]];
    }
    applyMask(w, o.masks?.[`${layer.name}.weight`]);
    const oc = layer.kind === 'dense' ? layer.units : ls.output[2];
    const k = w.length / oc;
    const master = g.upload(`${layer.name}.weight (master)`, w);
    const bHost = model.weights[`${layer.name}.bias`];
    const bMasked = bHost ? applyMask(Float32Array.from(bHost), o.masks?.[`${layer.name}.bias`]) : undefined;
    const bias = g.upload(`${layer.name}.bias (padded)`, packBias(bMasked, oc));
    const quant = !!o.fakeQuant && (o.fakeQuant.layers ?? [layer.name]).includes(layer.name);
    const forward =
      layer.kind === 'depthwiseConv2d'
        ? quant
          ? g.buffer(`${layer.name}.weight (fake-quantized)`, w.length)
          : master
        : g.upload(`${layer.name}.weight (packed)`, packGemmWeight(w, oc));
    layers.set(layer.name, {
      ls,
      layer,
      master,
      forward,
      bias,
      oc,
      k,
      weightSize: w.length,
      frozen: frozen.has(layer.name),
      quant,
      ...(sharedSpec ? { shared: sharedSpec } : {}),
    });
  }
  return layers;
}

/** Channels, K and strides of a per-channel (or per-tensor) weight statistic: conv/dense rows are contiguous [oc, K]; depthwise channels are strided [K, C]. */
function statsLayout(st: LayerState, perChannel: boolean): { channels: number; k: number; strideO: number; strideK: number } {
  if (!perChannel) return { channels: 1, k: st.weightSize, strideO: 0, strideK: 1 };
  return st.layer.kind === 'depthwiseConv2d'
    ? { channels: st.oc, k: st.k, strideO: 1, strideK: st.oc }
    : { channels: st.oc, k: st.k, strideO: st.k, strideK: 1 };
}

/** The dispatches that refresh a layer's forward weights from its master: absmax (fake quantization only), then pack. */
export async function packDispatches(g: Graph, st: LayerState, fq: FakeQuantOptions | undefined, dummy: GPUBuffer): Promise<Dispatch[]> {
  const depthwise = st.layer.kind === 'depthwiseConv2d';
  if (depthwise && !st.quant) return []; // the forward reads the master directly
  const out: Dispatch[] = [];
  let scales = dummy;
  const perChannel = !!fq?.perChannel;
  const mode = fq?.mode ?? 'linear';
  const layout = statsLayout(st, perChannel);
  if (st.quant && fq && mode !== 'linear') {
    scales = g.buffer(`${st.layer.name} ${mode} Δ, α`, 2 * layout.channels);
    out.push(
      await g.dispatch(
        'weight-ternary-stats',
        { ...layout, ternary: mode === 'ternary' },
        { input: st.master, output: scales },
        `${st.layer.name} ${mode} stats`,
      ),
    );
    out.push(
      await g.dispatch(
        'pack-weight',
        { oc: st.oc, k: st.k, transpose: !depthwise, bits: 0, perChannel, mode },
        { master: st.master, scales, output: st.forward },
        `${st.layer.name} pack`,
      ),
    );
    return out;
  }
  const bits = st.quant && fq ? fq.bits : 0;
  if (bits > 0) {
    scales = g.buffer(`${st.layer.name} fake-quant scales`, layout.channels);
    out.push(await g.dispatch('weight-absmax', { ...layout, qmax: qmaxOf(bits) }, { input: st.master, output: scales }, `${st.layer.name} absmax`));
  }
  out.push(
    await g.dispatch(
      'pack-weight',
      { oc: st.oc, k: st.k, transpose: !depthwise, bits, perChannel },
      { master: st.master, scales, output: st.forward },
      `${st.layer.name} pack`,
    ),
  );
  return out;
}

/** A copy of `model` with the trained weights read back (model layout; biases without their padding). */
export async function readTrainedModel(device: GPUDevice, model: Model, layers: Map<string, LayerState>): Promise<Model> {
  const weights: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(model.weights)) weights[name] = Float32Array.from(t);
  for (const st of layers.values()) {
    const w = await readU32(device, st.master, st.weightSize);
    weights[`${st.layer.name}.weight`] = new Float32Array(w.buffer, 0, st.weightSize);
    if (st.layer.bias) {
      const b = await readU32(device, st.bias, st.oc);
      weights[`${st.layer.name}.bias`] = new Float32Array(b.buffer, 0, st.oc);
    }
  }
  const trained: Model = {
    architecture: structuredClone(model.architecture),
    weights,
    ...(model.encodings ? { encodings: structuredClone(model.encodings) } : {}),
  };
  if (model.provenance) trained.provenance = structuredClone(model.provenance);
  return trained;
}
