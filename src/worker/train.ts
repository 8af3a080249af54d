/**
 * Training from scratch in the worker: checks the request, trains on this
 * GPU with the engine's trainer (the one the CLI's `train` runs), sends each
 * curve point to the page as it comes, and stores the result as a new variant
 * with its provenance and curves. Cancel stops it after the chunk on the GPU
 * and stores nothing.
 */
import { DEFAULTS, defaultLearningRate } from '../model/defaults.ts';
import { ARCHITECTURES, architecture, isArchitectureName } from '../model/architectures.ts';
import { serializeModel } from '../model/format.ts';
import { initModel, validateModel } from '../model/model.ts';
import { describeAdapter } from '../gpu/device.ts';
import { putModels, type StoredModel } from '../store/store.ts';
import { train as trainOnGpu } from '../engine/train.ts';
import { CurveRecorder } from '../engine/curves.ts';
import type { JobContext } from './jobs.ts';
import { getGpu, loadDataset, trainingSplit } from './session.ts';
import { summarize } from './describe.ts';
import type { Progress, TrainOutcome, TrainRequest } from './types.ts';

export async function trainVariant(ctx: JobContext, request: TrainRequest, name: string): Promise<TrainOutcome> {
  if (!isArchitectureName(request.architecture))
    throw new Error(`unknown architecture '${request.architecture}'; known: ${Object.keys(ARCHITECTURES).join(', ')}`);
  const int = (v: number | undefined, what: string, min: number, fallback: number): number => {
    const x = v ?? fallback;
    if (!Number.isInteger(x) || x < min) throw new Error(`${what} must be an integer ≥ ${min}, got ${String(v)}`);
    return x;
  };
  const epochs = int(request.epochs, 'epochs', 1, 1);
  const batch = int(request.batch, 'batch', 1, DEFAULTS.trainBatch);
  const seed = int(request.seed, 'seed', 0, 1);
  const limit = int(request.limit, 'limit', 0, 0);
  const evalLimit = int(request.evalLimit, 'evalLimit', 1, 10_000);
  const optimizer = request.optimizer ?? DEFAULTS.trainOptimizer;
  if (optimizer !== 'adam' && optimizer !== 'sgd') throw new Error(`optimizer must be adam or sgd, got '${String(optimizer)}'`);
  const lr = request.lr ?? defaultLearningRate(optimizer);
  if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`lr must be a positive number, got ${String(request.lr)}`);
  const schedule = request.schedule ?? DEFAULTS.trainSchedule;
  const dataset = request.dataset ?? 'mnist';
  const gpu = await getGpu().catch((e: Error) => {
    throw new Error(`Training runs on the GPU, and WebGPU is not available in this browser: ${e.message}`);
  });
  const trainSet = await trainingSplit(dataset, ctx);
  const testSet = await loadDataset(dataset, 'test', ctx);
  ctx.check();
  const arch = architecture(request.architecture);
  let detail: string | undefined;
  let shown: Progress = { phase: 'Training', done: 0, total: 0 };
  // Each chunk's loss and each epoch's accuracy go to the page as they come (the live plot) and are stored with the variant.
  const curves = new CurveRecorder((curve) => ctx.progress({ ...shown, curve }));
  const options = curves.track('Training', batch, {
    epochs,
    batch,
    seed,
    optimizer,
    lr,
    schedule: { kind: schedule },
    ...(limit > 0 ? { limit } : {}),
    evalLimit,
    signal: ctx.signal,
    onProgress: (p) => {
      shown = {
        phase: `${p.phase === 'train' ? 'Training' : 'Testing'}: epoch ${p.epoch + 1}/${epochs}, batch ${p.step}/${p.steps}`,
        done: p.step,
        total: p.steps,
        detail,
      };
      ctx.progress(shown);
    },
    onEpoch: (r) => {
      detail = `epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)}${r.testAccuracy !== undefined ? `, test accuracy ${(r.testAccuracy * 100).toFixed(2)} % on ${r.testCount}` : ''}, ${Math.round(r.imagesPerSecond)} images/s`;
      shown = { ...shown, detail };
    },
  });
  const result = await trainOnGpu(gpu, initModel(arch, seed), trainSet, testSet, options);
  ctx.check();
  const last = result.epochs[result.epochs.length - 1];
  result.model.provenance = {
    source: 'trained',
    architecture: arch.name,
    dataset,
    epochs,
    seed,
    optimizer,
    lr,
    batch,
    schedule,
    ...(limit > 0 ? { trainExamples: limit } : {}),
    ...(last?.testAccuracy !== undefined ? { testAccuracy: last.testAccuracy, testErrors: last.testErrors, testCount: last.testCount } : {}),
    createdAt: new Date().toISOString(),
    adapter: describeAdapter(gpu.report),
    trainedOn: 'this browser (compression-lab worker)',
  };
  validateModel(result.model);
  const stored: StoredModel = {
    id: `user:${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`,
    name: name.trim() || `${arch.name} trained (${epochs} epoch${epochs === 1 ? '' : 's'}${limit > 0 ? `, ${limit} images` : ''})`,
    origin: 'user',
    runtime: 'fp32',
    architecture: arch.name,
    file: serializeModel(result.model),
    curves: curves.curves,
    createdAt: new Date().toISOString(),
  };
  ctx.check();
  await putModels([stored]);
  const epochsOut = result.epochs.map(({ epoch, trainLoss, testAccuracy, testErrors, testCount, seconds, imagesPerSecond }) => ({
    epoch,
    trainLoss,
    testAccuracy,
    testErrors,
    testCount,
    seconds,
    imagesPerSecond,
  }));
  return { model: summarize(stored, result.model), epochs: epochsOut, curves: curves.curves };
}
