/**
 * The optimizer of a training run: its hyper-parameters with their defaults,
 * one SGD (momentum, L2 weight decay) or Adam (decoupled weight decay) dispatch
 * per trained tensor, and the per-step schedule the kernels read — the
 * learning rate and Adam's two bias corrections, written once per epoch.
 */
import { DEFAULTS, defaultLearningRate } from '../../model/defaults.ts';
import type { LrSchedule } from '../../cpu/optim.ts';
import { learningRate } from '../../cpu/optim.ts';
import type { Dispatch, Graph } from './graph.ts';
import type { TrainOptions } from './options.ts';

/** TrainOptions' optimizer settings with every default filled in. */
export interface Hyper {
  optimizer: 'sgd' | 'adam';
  baseLr: number;
  schedule: LrSchedule;
  momentum: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export function hyperOf(o: TrainOptions): Hyper {
  const optimizer = o.optimizer ?? DEFAULTS.trainOptimizer;
  return {
    optimizer,
    baseLr: o.lr ?? defaultLearningRate(optimizer),
    schedule: o.schedule ?? { kind: 'constant' },
    momentum: o.momentum ?? 0.9,
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? 0,
  };
}

/** A trained tensor: its weight, its gradient, and a name for labels. */
export interface Trained {
  name: string;
  size: number;
  w: GPUBuffer;
  grad: GPUBuffer;
}

/** Buffers every optimizer dispatch reads. */
export interface OptimizerBuffers {
  /** Per-step schedule: 4 floats per step (see epochSchedule). */
  schedule: GPUBuffer;
  /** The step counter. */
  state: GPUBuffer;
  /** Bound where a tensor has no mask. */
  dummy: GPUBuffer;
}

/** Makes optimizer dispatches and remembers their state buffers. */
export class Optimizer {
  /** Optimizer state buffers (momentum, Adam m and v): cleared after a profile run. */
  readonly state: GPUBuffer[] = [];
  constructor(
    private readonly g: Graph,
    private readonly h: Hyper,
    private readonly b: OptimizerBuffers,
  ) {}

  /** One update of `t`; with `mask`, masked weights and their state stay exactly zero. */
  async step(t: Trained, mask?: ArrayLike<number>): Promise<Dispatch> {
    const { g, h, b } = this;
    const maskBuf = mask
      ? g.upload(
          `${t.name} mask`,
          Float32Array.from(mask, (v) => (v === 0 ? 0 : 1)),
        )
      : b.dummy;
    const m = g.buffer(`${t.name} ${h.optimizer === 'adam' ? 'm' : 'velocity'}`, t.size);
    this.state.push(m);
    const common = { grad: t.grad, mask: maskBuf, schedule: b.schedule, state: b.state, weight: t.w, m };
    if (h.optimizer === 'adam') {
      const v = g.buffer(`${t.name} v`, t.size);
      this.state.push(v);
      const params = { size: t.size, beta1: h.beta1, beta2: h.beta2, eps: h.eps, weightDecay: h.weightDecay, mask: !!mask };
      return g.dispatch('adam', params, { ...common, v }, `${t.name} adam`);
    }
    const params = { size: t.size, momentum: h.momentum, weightDecay: h.weightDecay, mask: !!mask };
    return g.dispatch('sgd', params, common, `${t.name} sgd`);
  }
}

/** One epoch's schedule: per step, the learning rate and Adam's bias corrections 1 − β₁ᵗ, 1 − β₂ᵗ. */
export function epochSchedule(h: Hyper, epoch: number, stepsPerEpoch: number, totalSteps: number): Float32Array<ArrayBuffer> {
  const sched = new Float32Array(Math.max(1, stepsPerEpoch) * 4);
  for (let s = 0; s < stepsPerEpoch; s++) {
    const global = epoch * stepsPerEpoch + s;
    sched[s * 4] = learningRate(h.baseLr, h.schedule, epoch, global / totalSteps);
    sched[s * 4 + 1] = 1 - h.beta1 ** (global + 1);
    sched[s * 4 + 2] = 1 - h.beta2 ** (global + 1);
  }
  return sched;
}

/** A schedule under which a step does not train: lr 0 with bias corrections 1 (an all-zero schedule made Adam divide 0 by 0: NaN weights, NaN loss). */
export const NO_TRAIN_SCHEDULE = Float32Array.of(0, 1, 1, 0);
