/**
 * Knowledge distillation on the GPU: the teacher's forward pass runs on the
 * student's input batch, and its logits (and a FitNets hint layer's output)
 * become the loss kernels' targets.
 */
import type { LayerShapes } from '../../model/shapes.ts';
import type { GemmTiling } from '../kernels/conv2d.ts';
import type { GemmVariant, Plan } from '../plan.ts';
import { planModel } from '../plan.ts';
import type { Forward, Graph } from './graph.ts';
import { buildForward, uploadedWeights } from './graph.ts';
import type { DistillOptions } from './options.ts';

/** The teacher on the GPU and the tensors the student's losses read from it. */
export interface Teacher {
  fwd: Forward;
  logits: GPUBuffer;
  /** The teacher's hint layer output and its values per image (with DistillOptions.hint). */
  hint?: { buffer: GPUBuffer; size: number };
}

/** Builds the teacher's forward pass reading `input`; its logits must number `classes`. */
export async function buildTeacher(
  g: Graph,
  d: DistillOptions,
  batch: number,
  input: GPUBuffer,
  classes: number,
  variant: GemmVariant,
  registerTiling: GemmTiling,
): Promise<Teacher> {
  const tArch = d.teacher.architecture;
  const tEndsSoftmax = tArch.layers[tArch.layers.length - 1].kind === 'softmax';
  // Unfused when a hint or a final softmax needs an inner tensor kept.
  const tPlan = planModel(d.teacher, { variant, fuse: !d.hint && !tEndsSoftmax, registerTiling });
  const fwd = await buildForward(g, tPlan, batch, input, 'teacher', uploadedWeights(g, 'teacher'));
  const tLogits = tEndsSoftmax ? tPlan.layerTensor.get(tArch.layers[tArch.layers.length - 2].name)! : tPlan.output;
  if (tPlan.tensorSizes[tLogits] !== classes) throw new Error(`trainer: the teacher has ${tPlan.tensorSizes[tLogits]} outputs, the student ${classes}`);
  const teacher: Teacher = { fwd, logits: fwd.tensors[tLogits] };
  if (d.hint) {
    const tt = tPlan.layerTensor.get(d.hint.teacherLayer);
    if (tt === undefined) throw new Error(`trainer: hint: the teacher has no layer '${d.hint.teacherLayer}'`);
    teacher.hint = { buffer: fwd.tensors[tt], size: tPlan.tensorSizes[tt] };
  }
  return teacher;
}

/** The student tensor the hint loss applies to (-1 without a hint); checked against the teacher's. */
export function studentHintTensor(
  d: DistillOptions | undefined,
  teacher: Teacher | null,
  shapes: LayerShapes[],
  plan: Plan,
  tensorOf: (i: number) => number,
): number {
  if (!d?.hint) return -1;
  const idx = shapes.findIndex((s) => s.layer.name === d.hint!.layer);
  if (idx < 0) throw new Error(`trainer: hint: the student has no layer '${d.hint.layer}'`);
  const hintTensor = tensorOf(idx);
  const teacherSize = teacher?.hint?.size ?? 0;
  if (plan.tensorSizes[hintTensor] !== teacherSize) {
    throw new Error(
      `trainer: hint: student '${d.hint.layer}' has ${plan.tensorSizes[hintTensor]} values per image, teacher '${d.hint.teacherLayer}' ${teacherSize}`,
    );
  }
  if (hintTensor === 0) throw new Error('trainer: hint: the model input has no gradient');
  return hintTensor;
}
