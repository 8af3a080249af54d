/**
 * The whole training graph, built once per run: the data and per-batch
 * buffers, the student (and teacher) forward passes, the loss, the backward
 * pass and updates (backward.ts), the initial pack, and the evaluation step.
 * One training step — gather, forward, loss, backward, updates, advance the
 * step counter — is a list of dispatches encoded with nothing from the host.
 */
import { DEFAULTS } from '../../model/defaults.ts';
import type { Model } from '../../model/model.ts';
import type { LayerShapes } from '../../model/shapes.ts';
import { inferShapes, sizeOf } from '../../model/shapes.ts';
import type { Gpu } from '../device.ts';
import type { GemmTiling } from '../kernels/conv2d.ts';
import type { GemmVariant, Plan } from '../plan.ts';
import { planModel } from '../plan.ts';
import { buildBackward } from './backward.ts';
import { buildTeacher, studentHintTensor } from './distill.ts';
import type { Dispatch, EvalGraph, Graph, GpuImages } from './graph.ts';
import { buildEval, buildForward, defaultVariant, TRAIN_REGISTER_TILING, uploadImages } from './graph.ts';
import type { Hyper } from './optimizers.ts';
import { Optimizer } from './optimizers.ts';
import type { ImageSet, TrainOptions } from './options.ts';
import type { LayerState } from './weights.ts';
import { packDispatches, sharedGroupsOf, uploadLayers } from './weights.ts';

/** Sizes and the plan of a run, from the model, the data and the options. */
export interface TrainSetup {
  trainCount: number;
  batch: number;
  stepsPerEpoch: number;
  /** Steps per command buffer. */
  perSubmit: number;
  variant: GemmVariant;
  registerTiling: GemmTiling;
  /** The trained layers' shapes (a final softmax excluded: the loss applies it). */
  shapes: LayerShapes[];
  /** The student's unfused plan. */
  plan: Plan;
  /** The plan tensor holding shapes[i]'s output; -1 is the model input (tensor 0). */
  tensorOf: (i: number) => number;
  logitsTensor: number;
  classes: number;
}

export function setupOf(gpu: Gpu, model: Model, train: ImageSet, options: TrainOptions): TrainSetup {
  const arch = model.architecture;
  const trainCount = Math.min(options.limit ?? train.count, train.count);
  const batch = Math.min(options.batch ?? DEFAULTS.trainBatch, trainCount);
  const variant = defaultVariant(gpu, options.variant);
  if (train.rows * train.cols !== sizeOf(arch.inputShape)) {
    throw new Error(`trainer: images are ${train.rows}×${train.cols}, model '${arch.name}' takes [${arch.inputShape.join(', ')}]`);
  }
  const allShapes = inferShapes(arch);
  const endsInSoftmax = arch.layers[arch.layers.length - 1].kind === 'softmax';
  const shapes = endsInSoftmax ? allShapes.slice(0, -1) : allShapes;
  const registerTiling = options.registerTiling ?? TRAIN_REGISTER_TILING;
  const plan = planModel(model, { variant, fuse: false, registerTiling });
  const tensorOf = (i: number): number => (i < 0 ? plan.layerInput : plan.layerTensor.get(shapes[i].layer.name)!);
  const logitsTensor = tensorOf(shapes.length - 1);
  return {
    trainCount,
    batch,
    stepsPerEpoch: Math.floor(trainCount / batch),
    perSubmit: Math.max(1, options.stepsPerSubmit ?? 16),
    variant,
    registerTiling,
    shapes,
    plan,
    tensorOf,
    logitsTensor,
    classes: plan.tensorSizes[logitsTensor],
  };
}

/** Buffers the host writes or reads between submits. */
export interface HostBuffers {
  /** Step counter (u32 × 4), zeroed before each epoch and evaluation. */
  state: GPUBuffer;
  /** The epoch's shuffled example order. */
  order: GPUBuffer;
  /** The epoch's per-step schedule (optimizers.ts epochSchedule). */
  schedule: GPUBuffer;
  lossAcc: GPUBuffer;
  lossSum: GPUBuffer;
}

/** Everything a training run encodes. */
export interface TrainGraph {
  step: Dispatch[];
  /** Sums the per-row loss into one value. */
  lossReduce: Dispatch;
  /** Packs (and fake-quantizes) the forward weights once, so that step 1 sees the same weights as every later step. */
  initialPack: Dispatch[];
  eval: EvalGraph | null;
  optimizer: Optimizer;
  layers: Map<string, LayerState>;
  buffers: HostBuffers;
}

export async function buildTrainGraph(
  g: Graph,
  model: Model,
  train: ImageSet,
  test: ImageSet | null,
  o: TrainOptions,
  s: TrainSetup,
  hyper: Hyper,
): Promise<TrainGraph> {
  const { batch, plan } = s;
  // --- Data: uploaded once.
  const trainSet = uploadImages(g, train, s.trainCount, 'train');
  const testCount = test ? Math.min(o.evalLimit ?? test.count, test.count) : 0;
  const testSet = test && testCount > 0 ? uploadImages(g, test, testCount, 'test') : null;
  const state = g.upload('train state', new Uint32Array(4));
  const order = g.buffer('epoch order', Math.max(s.trainCount, 4));
  const schedule = g.buffer('lr schedule', Math.max(1, s.stepsPerEpoch) * 4);
  const input = g.buffer('batch input', batch * plan.inputSize);
  const labels = g.buffer('batch labels', batch);
  const lossAcc = g.buffer('loss per row', batch);
  const lossSum = g.buffer('loss sum', 1);
  const correct = g.buffer('correct per row', batch);
  const dummy = g.buffer('unused binding', 4);

  // --- Student and teacher.
  const frozen = new Set(o.freeze ?? []);
  const sharedGroups = sharedGroupsOf(model, o, frozen);
  const layers = uploadLayers(g, model, s.shapes, o, frozen, sharedGroups);
  const fwd = await buildForward(g, plan, batch, input, 'student', (name) => {
    const st = layers.get(name);
    return st ? { weight: st.forward, bias: st.bias } : {};
  });
  const d = o.distill;
  const teacher = d ? await buildTeacher(g, d, batch, input, s.classes, s.variant, s.registerTiling) : null;

  // --- Loss, backward, optimizer.
  const grads = new Map<number, GPUBuffer>();
  const gradOf = (id: number): GPUBuffer => {
    let b = grads.get(id);
    if (!b) {
      b = g.buffer(`grad of tensor ${id}`, plan.tensorSizes[id] * batch);
      grads.set(id, b);
    }
    return b;
  };
  const step: Dispatch[] = [
    await gatherTrain(g, trainSet, batch, { order, state, input, labels }),
    ...fwd.dispatches,
    ...(teacher ? teacher.fwd.dispatches : []),
    await g.dispatch(
      'softmax-cross-entropy',
      { batch, classes: s.classes, distill: !!d, t: d?.temperature ?? 1, alpha: d?.alpha ?? 0 },
      { input: fwd.tensors[s.logitsTensor], labels, teacher: teacher?.logits ?? dummy, output: gradOf(s.logitsTensor), lossAcc },
      'loss',
    ),
  ];
  const hintTensor = studentHintTensor(d, teacher, s.shapes, plan, s.tensorOf);
  const hint = hintTensor >= 0 ? { tensor: hintTensor, target: teacher!.hint!.buffer, weight: d!.hint!.weight } : null;
  const optimizer = new Optimizer(g, hyper, { schedule, state, dummy });
  const ctx = {
    g,
    batch,
    plan,
    shapes: s.shapes,
    tensorOf: s.tensorOf,
    activations: fwd.tensors,
    gradOf,
    layers,
    options: o,
    optimizer,
    dummy,
    lossAcc,
    tiling: s.registerTiling,
  };
  const { backward, updates } = await buildBackward(ctx, hint, sharedGroups);
  step.push(...backward, ...updates);
  step.push(await g.dispatch('step-advance', {}, { state }, 'advance'));
  const lossReduce = await g.dispatch('col-sum', { rows: batch, n: 1 }, { input: lossAcc, output: lossSum }, 'loss sum');

  const initialPack: Dispatch[] = [];
  for (const st of layers.values()) initialPack.push(...(await packDispatches(g, st, o.fakeQuant, dummy)));
  // --- Evaluation graph (same forward, test images).
  const ev = testSet ? await buildEval(g, testSet, batch, fwd, fwd.tensors[s.logitsTensor], s.classes, { state, input, labels, correct }) : null;
  return { step, lossReduce, initialPack, eval: ev, optimizer, layers, buffers: { state, order, schedule, lossAcc, lossSum } };
}

function gatherTrain(
  g: Graph,
  set: GpuImages,
  batch: number,
  b: { order: GPUBuffer; state: GPUBuffer; input: GPUBuffer; labels: GPUBuffer },
): Promise<Dispatch> {
  const buffers = { images: set.images, labels: set.labels, order: b.order, state: b.state, output: b.input, labelsOut: b.labels };
  return g.dispatch('gather-batch', { batch, pixels: set.pixels }, buffers, 'gather train');
}
