/**
 * Running a built training graph: the optional per-dispatch profile, then
 * per epoch one shuffled order and one schedule uploaded, `perSubmit` steps
 * per command buffer with progress and cancellation between submits, the
 * loss read back once, and the test set evaluated on the GPU.
 */
import { shuffledIndices } from '../../data/dataset.ts';
import type { PipelineCache } from '../pipelines.ts';
import { PassTimer } from '../timer.ts';
import { clear, encode, readU32, runEval, submit } from './graph.ts';
import type { Hyper } from './optimizers.ts';
import { epochSchedule, NO_TRAIN_SCHEDULE } from './optimizers.ts';
import type { EpochReport, EvalResult, ProfiledDispatch, TrainOptions } from './options.ts';
import type { TrainGraph, TrainSetup } from './step.ts';

function zeroState(device: GPUDevice, tg: TrainGraph): void {
  device.queue.writeBuffer(tg.buffers.state, 0, new Uint32Array(4));
}

/**
 * Times every dispatch of one step (after a warm-up step) without training,
 * and leaves no optimizer state behind. Per dispatch: GPU time from
 * timestamp queries when the device has them (the whole step in one command
 * buffer, one pass per dispatch), and the wall time of the dispatch alone in
 * its own submit (which includes the adapter's round trip); plus the CPU time
 * to encode one step and the wall time of one whole step.
 */
export async function profileStep(
  device: GPUDevice,
  tg: TrainGraph,
  cache: PipelineCache,
  setupStart: number,
  report: NonNullable<TrainOptions['profile']>,
): Promise<void> {
  const noTrain = (): void => {
    device.queue.writeBuffer(tg.buffers.schedule, 0, NO_TRAIN_SCHEDULE);
    zeroState(device, tg);
  };
  noTrain();
  submit(device, (pass) => encode(pass, tg.step), 'profile warm-up');
  await device.queue.onSubmittedWorkDone();
  // One whole step, as training submits it (one pass), and its encode time.
  const stepWall: number[] = [];
  const encodeMs: number[] = [];
  for (let r = 0; r < 3; r++) {
    zeroState(device, tg);
    const t = performance.now();
    submit(device, (pass) => encode(pass, tg.step), 'profile step');
    encodeMs.push(performance.now() - t);
    await device.queue.onSubmittedWorkDone();
    stepWall.push(performance.now() - t);
  }
  const gpuMs = await timestampStep(device, tg);
  const times: ProfiledDispatch[] = [];
  for (const [i, dsp] of tg.step.entries()) {
    zeroState(device, tg);
    const t = performance.now();
    submit(device, (pass) => encode(pass, [dsp]), dsp.label);
    await device.queue.onSubmittedWorkDone();
    times.push({ label: dsp.label, ms: performance.now() - t, bytes: dsp.bytes, ...(gpuMs ? { gpuMs: gpuMs[i] } : {}) });
  }
  clear(device, tg.optimizer.state, 'profile reset');
  report({
    setupMs: performance.now() - setupStart,
    pipelineMs: cache.creationMs,
    dispatches: times,
    method: gpuMs ? 'timestamp' : 'wall',
    stepMs: median(stepWall),
    encodeMs: median(encodeMs),
  });
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** GPU time (ms) of each dispatch of one step, one timed pass each in one command buffer; null without timestamp-query. */
async function timestampStep(device: GPUDevice, tg: TrainGraph): Promise<number[] | null> {
  const timer = PassTimer.create(device, tg.step.length);
  if (!timer) return null;
  try {
    zeroState(device, tg);
    const enc = device.createCommandEncoder({ label: 'profile timestamps' });
    for (const [i, dsp] of tg.step.entries()) {
      const pass = enc.beginComputePass({ label: dsp.label, timestampWrites: timer.timestampWrites(i) });
      encode(pass, [dsp]);
      pass.end();
    }
    timer.resolve(enc, tg.step.length);
    device.queue.submit([enc.finish()]);
    return (await timer.read(tg.step.length)).passes;
  } finally {
    timer.destroy();
  }
}

async function evaluateEpoch(device: GPUDevice, tg: TrainGraph, o: TrainOptions, perSubmit: number, epoch: number): Promise<EvalResult | undefined> {
  const ev = tg.eval;
  if (!ev) return undefined;
  zeroState(device, tg);
  clear(device, [ev.correct], 'eval reset');
  return runEval(device, ev, perSubmit * 4, o.signal, (done) => o.onProgress?.({ phase: 'eval', epoch, step: done, steps: ev.steps }));
}

/** One epoch: returns its mean training loss and its schedule's first learning rate. */
async function trainEpoch(
  device: GPUDevice,
  tg: TrainGraph,
  o: TrainOptions,
  s: TrainSetup,
  hyper: Hyper,
  epoch: number,
): Promise<{ trainLoss: number; lr: number }> {
  const { stepsPerEpoch, perSubmit } = s;
  // One shuffled order and one schedule per epoch; everything else stays on the GPU.
  const epochSeed = (Math.imul(o.seed ?? 1, 0x9e3779b1) + epoch) >>> 0;
  const perm = shuffledIndices(s.trainCount, epochSeed);
  device.queue.writeBuffer(tg.buffers.order, 0, perm.buffer as ArrayBuffer, perm.byteOffset, perm.byteLength);
  const sched = epochSchedule(hyper, epoch, stepsPerEpoch, Math.max(1, o.epochs * stepsPerEpoch));
  device.queue.writeBuffer(tg.buffers.schedule, 0, sched);
  zeroState(device, tg);
  clear(device, [tg.buffers.lossAcc], 'epoch reset');
  // With groupLoss, the running sum of the per-row losses is read after each
  // chunk (that readback also waits for the chunk); the difference to the
  // previous sum is the chunk's loss.
  let sumBefore = 0;
  for (let st = 0; st < stepsPerEpoch; st += perSubmit) {
    const n = Math.min(perSubmit, stepsPerEpoch - st);
    submit(
      device,
      (pass) => {
        for (let k = 0; k < n; k++) encode(pass, tg.step);
        if (o.groupLoss) encode(pass, [tg.lossReduce]);
      },
      `train steps ${st}..${st + n - 1}`,
    );
    let group: { loss: number; lr: number } | undefined;
    if (o.groupLoss) {
      const sum = new Float32Array((await readU32(device, tg.buffers.lossSum, 1)).buffer)[0];
      group = { loss: (sum - sumBefore) / (n * s.batch), lr: sched[st * 4] };
      sumBefore = sum;
    } else await device.queue.onSubmittedWorkDone();
    o.signal?.throwIfAborted();
    o.onProgress?.({ phase: 'train', epoch, step: st + n, steps: stepsPerEpoch, ...group });
  }
  submit(device, (pass) => encode(pass, [tg.lossReduce]), 'loss sum');
  const lossBits = await readU32(device, tg.buffers.lossSum, 1);
  return { trainLoss: new Float32Array(lossBits.buffer)[0] / Math.max(1, stepsPerEpoch * s.batch), lr: sched[0] };
}

/** Every epoch of the run, each reported through `o.onEpoch` as it ends. */
export async function runEpochs(device: GPUDevice, tg: TrainGraph, o: TrainOptions, s: TrainSetup, hyper: Hyper): Promise<EpochReport[]> {
  const reports: EpochReport[] = [];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    o.signal?.throwIfAborted();
    const t0 = performance.now();
    const { trainLoss, lr } = await trainEpoch(device, tg, o, s, hyper, epoch);
    const seconds = (performance.now() - t0) / 1000;
    const ev = await evaluateEpoch(device, tg, o, s.perSubmit, epoch);
    const report: EpochReport = {
      epoch: epoch + 1,
      trainLoss,
      seconds,
      imagesPerSecond: (s.stepsPerEpoch * s.batch) / seconds,
      lr,
      ...(ev ? { testAccuracy: ev.accuracy, testErrors: ev.errors, testCount: ev.count } : {}),
    };
    reports.push(report);
    o.onEpoch?.(report);
  }
  return reports;
}
