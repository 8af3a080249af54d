/**
 * `compression-lab eval`: accuracy of a model on the full test set of the
 * dataset it records (MNIST unless it says otherwise), on the GPU or, with
 * --cpu, the float32 CPU reference. A built-in name is its bundled trained
 * model; `--untrained` asks for seeded random weights, labelled as such.
 * With --int8 the model runs integer-only (int8 weights and activations, i32
 * accumulators, fixed-point requantization): activation ranges are
 * calibrated on the first --calibration training images by the method the
 * file's own `int8` step recorded (engine/int8.ts), then the int8 GPU path
 * or, with --cpu, the CPU integer reference scores the test set.
 */
import { loadDataset } from '../../data/node-loader.ts';
import { DEFAULTS, calibrateInt8, datasetFor, evaluate, originLabel, type AnyModel, type Calibration } from '../../engine/index.ts';
import { resolveModel } from '../../engine/node.ts';
import type { Command } from '../common.ts';
import { UsageError } from '../common.ts';
import { acquireBackend, datasetFlag, intOption } from './gpu-options.ts';

export const evalCommand: Command = {
  summary: 'test-set accuracy of a model on the GPU (or --cpu: the CPU reference)',
  usage:
    'compression-lab eval <model-file|architecture> [--untrained] [--dataset mnist|fashion-mnist] [--cpu] [--int8 [--calibration N] [--calibration-method minmax|percentile]] [--backend vulkan|opengl] [--json]',
  options: {
    untrained: { type: 'boolean' },
    dataset: { type: 'string' },
    cpu: { type: 'boolean' },
    int8: { type: 'boolean' },
    calibration: { type: 'string' },
    'calibration-method': { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
    batch: { type: 'string' },
    // Hidden, for tests: the first N test examples only.
    limit: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  async run([arg], values, io) {
    const resolved = await resolveModel(arg, { untrained: values.untrained === true });
    const model = resolved.model;
    const arch = model.architecture;
    const { dataset, warning } = datasetFor(model, datasetFlag(values.dataset));
    if (warning) io.err(warning);
    const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined;
    const test = await loadDataset(dataset, 'test', dataDir);
    const count = Math.min(intOption(values, 'limit', test.count)!, test.count);
    let int8Info: ({ calibration: number } & Calibration) | undefined;
    let int8Options: { images: number; calibration?: Calibration } | undefined;
    if (values.int8) {
      const m = values['calibration-method'];
      if (m !== undefined && m !== 'minmax' && m !== 'percentile')
        throw new UsageError(`--calibration-method must be minmax or percentile, got '${String(m)}'`);
      int8Options = { images: intOption(values, 'calibration', DEFAULTS.calibrationImages)!, ...(m !== undefined ? { calibration: { method: m } } : {}) };
    }
    const t0 = performance.now();
    let subject: AnyModel = model;
    if (int8Options) {
      const q = calibrateInt8(model, await loadDataset(dataset, 'train', dataDir), int8Options);
      int8Info = { calibration: q.images, ...q.calibration };
      subject = q.int8;
    }
    const target = values.cpu ? ('cpu' as const) : await acquireBackend(values.backend);
    let result;
    try {
      result = await evaluate(target, subject, test, { limit: count, batch: intOption(values, 'batch', undefined) });
    } finally {
      if (target !== 'cpu') target.device.destroy();
    }
    const seconds = (performance.now() - t0) / 1000;
    const { description: device, ...accuracy } = result;
    if (values.json) {
      io.out(
        JSON.stringify(
          {
            ...accuracy,
            dataset,
            model: arch.name,
            weights: resolved.origin,
            source: resolved.source,
            ...(resolved.origin === 'untrained' ? { untrained: true } : {}),
            precision: int8Info ? 'int8' : 'fp32',
            ...(int8Info ? { int8: int8Info } : {}),
            device,
            seconds,
          },
          null,
          2,
        ),
      );
    } else {
      const how = int8Info ? ` integer-only int8 (activations calibrated ${int8Info.method} on ${int8Info.calibration} training images)` : '';
      const untrained = resolved.origin === 'untrained' ? ` [${originLabel('untrained')}]` : '';
      io.out(
        `${arch.name}${untrained} on ${dataset} test${how}: accuracy ${(accuracy.accuracy * 100).toFixed(2)}% (${accuracy.errors} errors of ${accuracy.count}) on ${device}, ${seconds.toFixed(1)} s`,
      );
    }
  },
};
