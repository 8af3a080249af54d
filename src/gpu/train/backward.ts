/**
 * The backward pass of the training step, built once: per layer from the
 * last to the first, the input gradient (and the hint loss where its tensor
 * is reached), and for trained layers the weight and bias gradients with
 * their optimizer updates and re-pack; then the shared-value tables' updates.
 * Updates are returned apart: they run after the whole backward pass, since
 * dInput must see the weights the forward pass used.
 */
import type { Layer } from '../../model/layers.ts';
import type { LayerShapes } from '../../model/shapes.ts';
import { convGeometry, sizeOf } from '../../model/shapes.ts';
import { ceilDiv } from '../kernels/types.ts';
import type { ConvBackwardShape } from '../kernels/conv2d-backward-input.ts';
import { imagesPerSplit, splitsOf } from '../kernels/conv2d-backward-weight.ts';
import { colGradShape, colGradSize, useCol2im } from '../kernels/conv2d-col2im.ts';
import { colSumGroups } from '../kernels/col-sum.ts';
import { PRUNED } from '../kernels/shared-gather.ts';
import type { GemmTiling } from '../kernels/conv2d.ts';
import { gemmPixels, gemmWeightGradParams, useGemmWeightGrad } from '../kernels/weight-grad-gemm.ts';
import { poolPadParams } from '../kernels/pool2d.ts';
import { sharedMembers } from '../kernels/shared-grad.ts';
import type { Plan } from '../plan.ts';
import type { Dispatch, Graph } from './graph.ts';
import type { Optimizer, Trained } from './optimizers.ts';
import type { TrainOptions } from './options.ts';
import type { LayerState, SharedGroup } from './weights.ts';
import { packDispatches } from './weights.ts';

/** What the backward pass reads and where it writes. */
export interface BackwardContext {
  g: Graph;
  batch: number;
  plan: Plan;
  /** The trained layers' shapes (a final softmax excluded: the loss applies it). */
  shapes: LayerShapes[];
  /** The plan tensor holding shapes[i]'s output; -1 is the model input (tensor 0). */
  tensorOf: (i: number) => number;
  /** The student's forward tensors. */
  activations: GPUBuffer[];
  /** The gradient buffer of a plan tensor (made on first use). */
  gradOf: (id: number) => GPUBuffer;
  layers: Map<string, LayerState>;
  options: TrainOptions;
  optimizer: Optimizer;
  dummy: GPUBuffer;
  lossAcc: GPUBuffer;
  /** Register tiling of the conv2d GEMM that computes dense / 1×1 weight gradients. */
  tiling: GemmTiling;
}

/** The FitNets hint loss: on the student tensor `tensor`, towards `target`. */
export interface HintLoss {
  tensor: number;
  target: GPUBuffer;
  weight: number;
}

/** Dispatches of the backward pass (in order) and of the updates that follow it. */
interface Built {
  backward: Dispatch[];
  updates: Dispatch[];
  /** Weight gradients of shared-value members, by tensor name. */
  sharedGrads: Map<string, GPUBuffer>;
}

function convBackwardShape(ls: LayerShapes, batch: number): ConvBackwardShape {
  const layer = ls.layer;
  if (layer.kind !== 'dense' && layer.kind !== 'conv2d' && layer.kind !== 'depthwiseConv2d') throw new Error(`trainer: ${layer.name} is not a convolution`);
  const oc = layer.kind === 'dense' ? layer.units : ls.output[2];
  return { batch, oc, ...convGeometry(layer, ls.input, ls.output) };
}

/** Backward pass, then updates, of the whole student. */
export async function buildBackward(
  c: BackwardContext,
  hint: HintLoss | null,
  sharedGroups: Map<string, SharedGroup>,
): Promise<{ backward: Dispatch[]; updates: Dispatch[] }> {
  const out: Built = { backward: [], updates: [], sharedGrads: new Map() };
  let hintDone = !hint;
  for (let i = c.shapes.length - 1; i >= 0; i--) {
    const outId = c.tensorOf(i);
    if (!hintDone && outId === hint!.tensor) {
      const size = c.plan.tensorSizes[outId];
      const buffers = { input: c.activations[outId], target: hint!.target, output: c.gradOf(outId), lossAcc: c.lossAcc };
      out.backward.push(await c.g.dispatch('hint-loss', { batch: c.batch, size, beta: hint!.weight }, buffers, 'hint'));
      hintDone = true;
    }
    await layerBackward(c, i, out);
  }
  for (const grp of sharedGroups.values()) await sharedUpdates(c, grp, out);
  return { backward: out.backward, updates: out.updates };
}

async function layerBackward(c: BackwardContext, i: number, out: Built): Promise<void> {
  const ls = c.shapes[i];
  const layer = ls.layer;
  const inId = c.tensorOf(i - 1);
  const outId = c.tensorOf(i);
  const { g, batch } = c;
  const label = `${layer.name} backward`;
  const T = c.activations;
  switch (layer.kind) {
    case 'flatten':
      break;
    case 'relu':
      if (inId !== c.tensorOf(-1)) {
        out.backward.push(
          await g.dispatch('relu-backward', { batch, size: sizeOf(ls.input) }, { input: T[inId], dOutput: c.gradOf(outId), output: c.gradOf(inId) }, label),
        );
      }
      break;
    case 'activation':
      if (inId !== c.tensorOf(-1)) {
        const params = { batch, size: sizeOf(ls.input), fn: layer.fn, alpha: layer.fn === 'leakyRelu' ? layer.alpha! : 0 };
        const buffers = { input: T[inId], dOutput: c.gradOf(outId), output: c.gradOf(inId) };
        out.backward.push(await g.dispatch('activation-backward', params, buffers, label));
      }
      break;
    case 'maxPool2d':
    case 'avgPool2d':
      if (inId !== c.tensorOf(-1)) {
        const [h, w, ch] = ls.input;
        const params = {
          batch,
          h,
          w,
          c: ch,
          oh: ls.output[0],
          ow: ls.output[1],
          winH: layer.window[0],
          winW: layer.window[1],
          sh: layer.stride[0],
          sw: layer.stride[1],
          mode: layer.kind === 'maxPool2d' ? 'max' : 'avg',
          ...poolPadParams(layer),
        };
        out.backward.push(await g.dispatch('pool2d-backward', params, { input: T[inId], dOutput: c.gradOf(outId), output: c.gradOf(inId) }, label));
      }
      break;
    case 'conv2d':
    case 'dense':
    case 'depthwiseConv2d': {
      const st = c.layers.get(layer.name)!;
      const shape = convBackwardShape(ls, batch);
      if (!st.frozen) await weightBackward(c, st, shape, inId, outId, out);
      if (inId !== c.tensorOf(-1)) await inputBackward(c, st, shape, outId, c.gradOf(inId), out);
      break;
    }
    case 'softmax':
      throw new Error(`trainer: layer '${layer.name}': softmax inside the model is not trainable`);
    default: {
      const never: never = layer;
      throw new Error(`trainer: no backward for layer kind ${JSON.stringify((never as Layer).kind)}`);
    }
  }
}

/** dW (per-split partials, then a fixed-order sum) and dB of a trained layer, with their updates and re-pack. */
async function weightBackward(c: BackwardContext, st: LayerState, shape: ConvBackwardShape, inId: number, outId: number, out: Built): Promise<void> {
  const { g, batch } = c;
  const layer = st.layer;
  const label = `${layer.name} backward`;
  const depthwise = layer.kind === 'depthwiseConv2d';
  const dW = g.buffer(`${layer.name} dW`, st.weightSize);
  if (!depthwise && useGemmWeightGrad(shape)) {
    // Dense and 1×1 layers: dW = dyᵀ · x as one register-blocked GEMM (weight-grad-gemm.ts).
    const pixels = gemmPixels(shape);
    const dyT = g.buffer(`${layer.name} dyᵀ`, pixels * shape.oc);
    const zeros = g.buffer(`${layer.name} dW zero bias`, shape.c);
    out.backward.push(await g.dispatch('transpose', { rows: pixels, cols: shape.oc }, { input: c.gradOf(outId), output: dyT }, `${label} dyᵀ`));
    const buffers = { input: dyT, weight: c.activations[inId], bias: zeros, output: dW };
    out.backward.push(await g.dispatch('conv2d', gemmWeightGradParams(shape, c.tiling), buffers, `${label} dW gemm`));
  } else {
    // Depthwise: oc = c·m (the channel multiplier m), one block per weight.
    const blocks = depthwise ? shape.kh * shape.kw * shape.oc : ceilDiv(shape.oc, 4) * ceilDiv(st.k, 4);
    const ips = imagesPerSplit(batch, blocks);
    const splits = splitsOf({ batch, ips });
    const partial = g.buffer(`${layer.name} dW partials`, splits * st.weightSize);
    const params = { ...shape, ips, ...(depthwise ? { m: shape.oc / shape.c } : {}) };
    out.backward.push(
      await g.dispatch(
        depthwise ? 'depthwise-conv2d-backward-weight' : 'conv2d-backward-weight',
        params,
        { input: c.activations[inId], dOutput: c.gradOf(outId), output: partial },
        `${label} dW`,
      ),
    );
    out.backward.push(await g.dispatch('col-sum', { rows: splits, n: st.weightSize }, { input: partial, output: dW }, `${label} dW sum`));
  }
  const tensors: Trained[] = st.shared ? [] : [{ name: `${layer.name}.weight`, size: st.weightSize, w: st.master, grad: dW }];
  if (st.shared) out.sharedGrads.set(`${layer.name}.weight`, dW);
  if (layer.bias) {
    const dB = g.buffer(`${layer.name} dB`, st.oc);
    const rows = batch * shape.oh * shape.ow;
    const groups = colSumGroups(rows, st.oc);
    if (groups > 1) {
      // Two stages: runs of rows in parallel, then the runs in order (col-sum.wgsl says why).
      const partial = g.buffer(`${layer.name} dB partials`, groups * st.oc);
      out.backward.push(await g.dispatch('col-sum', { rows, n: st.oc, groups }, { input: c.gradOf(outId), output: partial }, `${label} dB runs`));
      out.backward.push(await g.dispatch('col-sum', { rows: groups, n: st.oc }, { input: partial, output: dB }, `${label} dB`));
    } else {
      out.backward.push(await g.dispatch('col-sum', { rows, n: st.oc }, { input: c.gradOf(outId), output: dB }, `${label} dB`));
    }
    tensors.push({ name: `${layer.name}.bias`, size: st.oc, w: st.bias, grad: dB });
  }
  for (const t of tensors) out.updates.push(await c.optimizer.step(t, c.options.masks?.[t.name]));
  if (!st.shared) out.updates.push(...(await packDispatches(g, st, c.options.fakeQuant, c.dummy)));
}

/** dX of a conv, dense or depthwise layer, from the weights the forward pass read. */
async function inputBackward(c: BackwardContext, st: LayerState, shape: ConvBackwardShape, outId: number, dInput: GPUBuffer, out: Built): Promise<void> {
  const { g } = c;
  const label = `${st.layer.name} backward`;
  const dOutput = c.gradOf(outId);
  if (st.layer.kind === 'depthwiseConv2d') {
    const params = { ...shape, m: shape.oc / shape.c };
    out.backward.push(await g.dispatch('depthwise-conv2d-backward-input', params, { dOutput, weight: st.forward, output: dInput }, `${label} dX`));
  } else if (useCol2im(shape)) {
    // Column gradients as one dense GEMM (no border taps wasted), then a fixed-order gather.
    const dcol = g.buffer(`${st.layer.name} dX columns`, colGradSize(shape));
    out.backward.push(await g.dispatch('conv2d-backward-input', colGradShape(shape), { dOutput, weight: st.forward, output: dcol }, `${label} dX cols`));
    out.backward.push(await g.dispatch('conv2d-col2im', shape, { input: dcol, output: dInput }, `${label} dX col2im`));
  } else {
    out.backward.push(await g.dispatch('conv2d-backward-input', shape, { dOutput, weight: st.forward, output: dInput }, `${label} dX`));
  }
}

/** One shared-value table: sum the members' gradients per value, step the k values, gather the weights, re-pack. */
async function sharedUpdates(c: BackwardContext, grp: SharedGroup, out: Built): Promise<void> {
  const { g } = c;
  const values = g.upload(`${grp.key} shared values`, grp.values);
  const grad = g.buffer(`${grp.key} shared-value gradient`, grp.k);
  const after: Dispatch[] = [];
  let first = true;
  for (const name of grp.members) {
    const st = c.layers.get(name.slice(0, -'.weight'.length))!;
    const mask = c.options.masks?.[name];
    const { offsets, members } = sharedMembers(st.shared!.assignments, grp.k, mask);
    const buffers = {
      grad: out.sharedGrads.get(name)!,
      offsets: g.upload(`${name} shared offsets`, offsets),
      members: g.upload(`${name} shared members`, members),
      output: grad,
    };
    out.updates.push(await g.dispatch('shared-grad', { k: grp.k, accumulate: !first }, buffers, `${name} shared-grad`));
    first = false;
    const assign = Uint32Array.from(st.shared!.assignments);
    if (mask) for (let i = 0; i < assign.length; i++) if (mask[i] === 0) assign[i] = PRUNED;
    after.push(
      await g.dispatch(
        'shared-gather',
        { size: st.weightSize },
        { values, assign: g.upload(`${name} shared assignments`, assign), output: st.master },
        `${name} shared-gather`,
      ),
    );
    after.push(...(await packDispatches(g, st, c.options.fakeQuant, c.dummy)));
  }
  out.updates.push(await c.optimizer.step({ name: `${grp.key} shared values`, size: grp.k, w: values, grad }));
  out.updates.push(...after);
}
