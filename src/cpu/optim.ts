/**
 * Optimizer steps of the CPU reference: SGD with momentum (L2 weight decay
 * added to the gradient, PyTorch's torch.optim.SGD) and Adam with decoupled
 * weight decay (AdamW, PyTorch's torch.optim.AdamW order), each followed by
 * an optional pruning mask that keeps masked weights (and their optimizer
 * state) exactly zero. In-place on float32 arrays, arithmetic in float64:
 * the GPU kernels (f32) are compared to these with a tolerance.
 */

/** SGD hyper-parameters. */
export interface SgdOptions {
  lr: number;
  /** μ (0 = plain SGD). */
  momentum: number;
  /** L2 coefficient added to the gradient: g + wd · w. */
  weightDecay: number;
}

/** Adam hyper-parameters; `weightDecay` is decoupled (AdamW). */
export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

function checkSizes(where: string, w: Float32Array, others: Record<string, ArrayLike<number> | undefined>): void {
  for (const [name, a] of Object.entries(others)) {
    if (a && a.length !== w.length) throw new Error(`${where}: ${name} has ${a.length} values, the weight has ${w.length}`);
  }
}

/** v = μv + (g + wd·w); w = w − lr·v; then w, v = 0 where mask is 0. */
export function sgdStep(w: Float32Array, grad: Float32Array, velocity: Float32Array, o: SgdOptions, mask?: ArrayLike<number>): void {
  checkSizes('sgdStep', w, { grad, velocity, mask });
  for (let i = 0; i < w.length; i++) {
    const g = grad[i] + o.weightDecay * w[i];
    const v = o.momentum * velocity[i] + g;
    const keep = !mask || mask[i] !== 0;
    velocity[i] = keep ? v : 0;
    w[i] = keep ? w[i] - o.lr * v : 0;
  }
}

/**
 * One AdamW step at step number `t` (1-based, for the bias corrections):
 * w ← w(1 − lr·wd); m, v ← moments; w ← w − lr·m̂/(√v̂ + ε); masked entries → 0.
 */
export function adamStep(w: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, t: number, o: AdamOptions, mask?: ArrayLike<number>): void {
  checkSizes('adamStep', w, { grad, m, v, mask });
  if (!Number.isInteger(t) || t < 1) throw new Error(`adamStep: step t must be an integer ≥ 1, got ${t}`);
  const bc1 = 1 - o.beta1 ** t;
  const bc2 = 1 - o.beta2 ** t;
  for (let i = 0; i < w.length; i++) {
    const g = grad[i];
    const mi = o.beta1 * m[i] + (1 - o.beta1) * g;
    const vi = o.beta2 * v[i] + (1 - o.beta2) * g * g;
    const decayed = w[i] * (1 - o.lr * o.weightDecay);
    const wi = decayed - (o.lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + o.eps);
    const keep = !mask || mask[i] !== 0;
    m[i] = keep ? mi : 0;
    v[i] = keep ? vi : 0;
    w[i] = keep ? wi : 0;
  }
}

/** Learning-rate schedules shared by the CPU and GPU trainers. */
export type LrSchedule = { kind: 'constant' } | { kind: 'step'; everyEpochs: number; gamma: number } | { kind: 'cosine'; minLr?: number };

/**
 * The learning rate at a (fractional) point of training: `epoch` counts from
 * 0, `progress` = (global step) / (total steps) in [0, 1). Step decay changes
 * at epoch boundaries; cosine anneals per step from `lr` to `minLr`.
 */
export function learningRate(lr: number, schedule: LrSchedule, epoch: number, progress: number): number {
  switch (schedule.kind) {
    case 'constant':
      return lr;
    case 'step':
      return lr * schedule.gamma ** Math.floor(epoch / schedule.everyEpochs);
    case 'cosine': {
      const min = schedule.minLr ?? 0;
      return min + 0.5 * (lr - min) * (1 + Math.cos(Math.PI * progress));
    }
    default: {
      const never: never = schedule;
      throw new Error(`unknown learning-rate schedule ${JSON.stringify(never)}`);
    }
  }
}
