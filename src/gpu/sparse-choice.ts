/**
 * The 'auto' choice between a step and its alternative (a pruned dense
 * layer's dense and sparse kernels): measured on the device at the batch in
 * use, once per instance and batch class, and recorded.
 */
import { variantLabel } from './kernels/types.ts';
import type { TimingMethod } from './timer.ts';
import { PassTimer } from './timer.ts';
import type { Bound, Instance } from './instance.ts';
import { encodeStep } from './instance.ts';

/** One 'auto' choice between the dense and the sparse kernel of a layer, with the times it was made on. */
export interface SparseDecision {
  /** Model layers of the step (the dense layer and a fused relu). */
  layers: string[];
  /** Which executor instance: 'throughput', 'latency' (batch ≤ SMALL_BATCH, register variant) or 'unfused' (layer readback). */
  instance: string;
  /** The batch measured, and the class (next power of two) the choice is kept for. */
  batch: number;
  batchClass: number;
  /** Kernel of the dense step ('conv2d' register GEMM or tiled 'dense'). */
  denseKernel: string;
  /** Fastest of the timed samples of one dispatch (ms): what the choice compares. */
  denseMs: number;
  sparseMs: number;
  method: TimingMethod;
  chosen: 'dense' | 'sparse';
  /** Nonzero weights / all weights of the layer. */
  density: number;
  /** Wall time the measurement took (what 'auto' costs the first run of a batch class). */
  costMs: number;
}

/** Batches sharing a sparse/dense choice: the next power of two. */
export function batchClass(batch: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, batch)));
}

/** Interleaved samples per kernel when choosing between dense and sparse. */
const CHOICE_SAMPLES = 5;
/** A timed pass repeats the dispatch until it lasts about this long (ms, by the warm-up), at most CHOICE_MAX_REPEATS times. */
const CHOICE_PASS_MS = 1;
const CHOICE_MAX_REPEATS = 8;

/** Time (ms) of one dispatch of `b` at `batch`: a pass of `repeats` dispatches, timestamps or wall clock, divided by `repeats`. */
async function timeDispatch(device: GPUDevice, b: Bound, batch: number, timer: PassTimer | null, repeats: number): Promise<number> {
  const enc = device.createCommandEncoder({ label: 'sparse choice' });
  const pass = enc.beginComputePass({ label: `sparse choice ${b.compiled.key}`, ...(timer ? { timestampWrites: timer.timestampWrites(0) } : {}) });
  for (let r = 0; r < repeats; r++) encodeStep(pass, b, batch, device.limits);
  pass.end();
  if (timer) timer.resolve(enc, 1);
  const t0 = performance.now();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  const wall = performance.now() - t0;
  return (timer ? (await timer.read(1)).passes[0] : wall) / repeats;
}

/** Measure one choice: a warm-up of each (which sizes the timed passes), then alternating samples. */
async function measure(device: GPUDevice, c: Instance['choices'][number], inst: Instance, batch: number, timer: PassTimer | null): Promise<SparseDecision> {
  const t0 = performance.now();
  const warm = Math.max(await timeDispatch(device, c.dense, batch, timer, 1), await timeDispatch(device, c.sparse, batch, timer, 1));
  const repeats = Math.min(CHOICE_MAX_REPEATS, Math.max(1, Math.ceil(CHOICE_PASS_MS / Math.max(warm, 1e-3))));
  const dense: number[] = [];
  const sparse: number[] = [];
  for (let i = 0; i < CHOICE_SAMPLES; i++) {
    dense.push(await timeDispatch(device, c.dense, batch, timer, repeats));
    sparse.push(await timeDispatch(device, c.sparse, batch, timer, repeats));
  }
  const denseMs = Math.min(...dense);
  const sparseMs = Math.min(...sparse);
  return {
    layers: c.dense.step.layers,
    instance: inst.name,
    batch,
    batchClass: batchClass(batch),
    denseKernel: variantLabel(c.dense.kernel, c.dense.compiled.constants),
    denseMs,
    sparseMs,
    method: timer ? 'timestamp' : 'wall',
    chosen: sparseMs < denseMs ? 'sparse' : 'dense',
    density: c.sparse.step.macs / c.dense.step.macs,
    costMs: performance.now() - t0,
  };
}

/**
 * Set `inst.bound` to the kernels chosen for `batch`'s class, measuring them
 * first if this class is new: for each step with an alternative, one warm-up
 * dispatch each (which also sizes the timed passes: tiny layers repeat the
 * dispatch so a pass outlasts the timer's resolution), then CHOICE_SAMPLES
 * samples alternating dense and sparse (so drift in machine load hits both);
 * the lower minimum wins — other work on the machine only ever adds time, so
 * the least-disturbed sample is the best estimate of a kernel's own cost, and
 * a tie keeps the dense kernel. Once per (instance, class); afterwards this
 * is a map lookup. The timed dispatches overwrite activations the run then
 * recomputes, and uniforms must already be set for `batch`.
 */
export async function chooseKernels(device: GPUDevice, inst: Instance, batch: number, record: SparseDecision[]): Promise<void> {
  if (!inst.choices.length) return;
  const cls = batchClass(batch);
  if (inst.cls === cls) return;
  let picks = inst.decided.get(cls);
  if (!picks) {
    if (inst.choiceTimer === undefined) inst.choiceTimer = PassTimer.create(device, 1);
    picks = [];
    for (const c of inst.choices) {
      const d = await measure(device, c, inst, batch, inst.choiceTimer);
      picks.push(d.chosen === 'sparse');
      record.push(d);
    }
    inst.decided.set(cls, picks);
  }
  const chosen = picks;
  inst.choices.forEach((c, i) => (inst.bound[c.index] = chosen[i] ? c.sparse : c.dense));
  inst.cls = cls;
}
