/**
 * `compression-lab train`: train a built-in architecture (seeded He init) or
 * continue training a model file, on the GPU, and write the result with its
 * provenance. The engine call is `train` (src/engine/train.ts), the same
 * the browser worker makes.
 */
import { writeFile } from 'node:fs/promises';
import { loadDataset } from '../../data/node-loader.ts';
import { describeAdapter } from '../../gpu/device.ts';
import type { EpochReport, TrainOptions } from '../../gpu/trainer.ts';
import { train as trainOnGpu } from '../../engine/train.ts';
import { CurveRecorder } from '../../engine/curves.ts';
import { serializeModel } from '../../model/format.ts';
import type { Model } from '../../model/model.ts';
import { initModel } from '../../model/model.ts';
import type { LrSchedule } from '../../cpu/optim.ts';
import type { Command } from '../common.ts';
import { UsageError, loadArchitectureOrModel, number } from '../common.ts';
import { DEFAULTS, datasetFor, defaultLearningRate } from '../../engine/index.ts';
import { acquireBackend, datasetFlag, datasetOption, intOption } from './gpu-options.ts';

function scheduleOption(v: string | boolean | undefined, epochs: number): LrSchedule {
  const s = v === undefined ? DEFAULTS.trainSchedule : String(v);
  if (s === 'constant') return { kind: 'constant' };
  if (s === 'cosine') return { kind: 'cosine', minLr: 0 };
  if (s === 'step') return { kind: 'step', everyEpochs: Math.max(1, Math.ceil(epochs / 3)), gamma: 0.1 };
  throw new UsageError(`--schedule must be constant, step or cosine, got '${s}'`);
}

function fmtEpoch(r: EpochReport, epochs: number): string {
  const acc = r.testAccuracy === undefined ? '' : `, test accuracy ${(r.testAccuracy * 100).toFixed(2)}% (${r.testErrors} errors of ${r.testCount})`;
  return `epoch ${r.epoch}/${epochs}: loss ${r.trainLoss.toFixed(4)}${acc}, ${Math.round(r.imagesPerSecond).toLocaleString('en-US')} images/s, ${r.seconds.toFixed(1)} s, lr ${r.lr.toPrecision(3)}`;
}

export const train: Command = {
  summary: 'train a model on the GPU on MNIST or Fashion-MNIST and write it with its provenance',
  usage:
    'compression-lab train <architecture|model-file> --epochs N --seed S --out model.safetensors [--dataset mnist|fashion-mnist] ' +
    '[--lr X] [--batch N] [--optimizer sgd|adam] [--schedule cosine|step|constant] [--weight-decay X] [--backend vulkan|opengl] [--json]',
  options: {
    epochs: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    dataset: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    optimizer: { type: 'string' },
    schedule: { type: 'string' },
    'weight-decay': { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
    // Hidden, for tests and quick runs: train on the first N examples, evaluate on the first M.
    limit: { type: 'string' },
    'eval-limit': { type: 'string' },
    'data-dir': { type: 'string' },
  },
  async run([arg], values, io) {
    const { architecture: arch, model: fileModel } = await loadArchitectureOrModel(arg);
    if (typeof values.out !== 'string') throw new UsageError('missing --out <file>');
    const epochs = intOption(values, 'epochs', undefined, 0);
    if (epochs === undefined) throw new UsageError('missing --epochs N');
    const seed = intOption(values, 'seed', 1, 0)!;
    const optimizer = values.optimizer === undefined ? DEFAULTS.trainOptimizer : String(values.optimizer);
    if (optimizer !== 'adam' && optimizer !== 'sgd') throw new UsageError(`--optimizer must be sgd or adam, got '${optimizer}'`);
    const lr = number(values, 'lr', defaultLearningRate(optimizer));
    const batch = intOption(values, 'batch', DEFAULTS.trainBatch)!;
    const weightDecay = values['weight-decay'] === undefined ? 0 : number(values, 'weight-decay', 0);
    const schedule = scheduleOption(values.schedule, epochs);
    // Training from He init takes --dataset (MNIST by default); continuing a file defaults to the dataset it records.
    const { dataset: datasetName, warning } = fileModel
      ? datasetFor(fileModel, datasetFlag(values.dataset))
      : { dataset: datasetOption(values.dataset), warning: undefined };
    if (warning) io.err(warning);
    const dir = typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined;
    const trainSet = await loadDataset(datasetName, 'train', dir);
    const testSet = await loadDataset(datasetName, 'test', dir);
    const model: Model = fileModel ?? initModel(arch, seed);
    const gpu = await acquireBackend(values.backend);
    try {
      // --json also reports the training curve (loss per chunk of steps, test accuracy per epoch), as the lab stores it.
      const curves = values.json ? new CurveRecorder() : undefined;
      let options: TrainOptions = {
        epochs,
        seed,
        optimizer,
        lr,
        batch,
        weightDecay,
        schedule,
        limit: intOption(values, 'limit', undefined),
        evalLimit: intOption(values, 'eval-limit', undefined),
        onEpoch: (r) => {
          if (!values.json) io.out(fmtEpoch(r, epochs));
        },
      };
      if (curves) options = curves.track('Training', batch, options);
      const started = performance.now();
      const result = await trainOnGpu(gpu, model, trainSet, testSet, options);
      const last = result.epochs[result.epochs.length - 1];
      const adapter = describeAdapter(gpu.report);
      result.model.provenance = {
        ...(fileModel?.provenance ? { parent: fileModel.provenance } : {}),
        source: 'trained',
        architecture: arch.name,
        dataset: datasetName,
        epochs,
        seed,
        optimizer,
        lr,
        batch,
        schedule: schedule.kind,
        weightDecay,
        ...(options.limit ? { trainExamples: options.limit } : {}),
        ...(last?.testAccuracy !== undefined ? { testAccuracy: last.testAccuracy, testErrors: last.testErrors, testCount: last.testCount } : {}),
        createdAt: new Date().toISOString(),
        adapter,
        backend: values.backend === undefined ? 'vulkan' : String(values.backend),
      };
      const bytes = serializeModel(result.model);
      await writeFile(values.out, bytes);
      const seconds = (performance.now() - started) / 1000;
      if (values.json) {
        io.out(
          JSON.stringify(
            { out: values.out, bytes: bytes.byteLength, seconds, adapter, epochs: result.epochs, curves: curves?.curves, provenance: result.model.provenance },
            null,
            2,
          ),
        );
      } else {
        io.out(`wrote ${values.out}: ${arch.name}, ${bytes.byteLength.toLocaleString('en-US')} bytes, ${seconds.toFixed(1)} s on ${adapter}`);
      }
    } finally {
      gpu.device.destroy();
    }
  },
};
