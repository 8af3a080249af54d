/**
 * `compression-lab eval`: accuracy of a model on the full test set of MNIST
 * or Fashion-MNIST, on the GPU (evaluateModel: the set is uploaded once and
 * scored by count-correct on the GPU) or, with --cpu, by the float32 CPU
 * reference. With --int8 the model runs integer-only (int8 weights and
 * activations, i32 accumulators, fixed-point requantization): activation
 * ranges are calibrated on the first --calibration training images, as the
 * pipeline's `int8` step does, then the int8 GPU path (executor-i8) or, with
 * --cpu, the CPU integer reference scores the test set. A file does not store
 * activation ranges, so the calibration is redone here, from the same images
 * and method as `compress` uses by default (or the method the file's own
 * `int8` step recorded).
 */
import { loadDataset } from '../../data/node-loader.ts';
import type { Dataset } from '../../data/dataset.ts';
import { toFloatBatch } from '../../data/dataset.ts';
import { describeAdapter } from '../../gpu/device.ts';
import { evaluateModel } from '../../gpu/trainer.ts';
import { modelForward } from '../../cpu/forward.ts';
import { argmax } from '../../cpu/loss.ts';
import type { Model } from '../../model/model.ts';
import { initModel } from '../../model/model.ts';
import type { Command } from '../common.ts';
import { loadArchitectureOrModel } from '../common.ts';
import { acquireBackend, datasetOption, intOption } from './gpu-options.ts';
import { UsageError } from '../common.ts';
import type { CalibrationMethod } from '../../compress/int8.ts';
import { quantizeInt8Model } from '../../compress/int8.ts';
import { parsePipeline } from '../../compress/pipeline.ts';
import { evaluateInt8, evaluateInt8Gpu } from './compress.ts';

/**
 * The calibration method the file's pipeline `int8` step recorded, if any:
 * files keep the pipeline as its text (`compress`), in-memory models as the
 * list of recorded steps.
 */
export function recordedInt8Method(model: Model): { method: CalibrationMethod; percentile?: number } | undefined {
  const recorded = model.provenance?.pipeline;
  let steps: unknown[];
  if (typeof recorded === 'string') {
    try {
      steps = parsePipeline(recorded).map((s) => ({ step: s.pass, options: s.options }));
    } catch {
      return undefined; // a pipeline this version cannot read records no int8 step it knows
    }
  } else if (Array.isArray(recorded)) steps = recorded;
  else return undefined;
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i] as { step?: unknown; options?: { method?: unknown; percentile?: unknown } };
    if (s?.step !== 'int8') continue;
    const method = s.options?.method === 'percentile' ? 'percentile' : 'minmax';
    return typeof s.options?.percentile === 'number' ? { method, percentile: s.options.percentile } : { method };
  }
  return undefined;
}

/** CPU reference accuracy over the first `count` examples. */
export function cpuAccuracy(model: Model, ds: Dataset, count: number): { accuracy: number; errors: number; count: number } {
  const chunk = 500;
  let right = 0;
  const buf = new Float32Array(chunk * ds.rows * ds.cols);
  for (let s = 0; s < count; s += chunk) {
    const n = Math.min(chunk, count - s);
    const logits = modelForward(model, toFloatBatch(ds, s, n, buf), n);
    const pred = argmax(logits, n, logits.length / n);
    for (let i = 0; i < n; i++) if (pred[i] === ds.labels[s + i]) right++;
  }
  return { accuracy: right / count, errors: count - right, count };
}

export const evalCommand: Command = {
  summary: 'test-set accuracy of a model on the GPU (or --cpu: the CPU reference)',
  usage: 'compression-lab eval <model-file|architecture> [--dataset mnist|fashion-mnist] [--cpu] [--int8 [--calibration N] [--calibration-method minmax|percentile]] [--backend vulkan|opengl] [--json]',
  options: {
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
    const { architecture: arch, model: fileModel } = await loadArchitectureOrModel(arg);
    const model = fileModel ?? initModel(arch, 1);
    const datasetName = datasetOption(values.dataset);
    const test = await loadDataset(datasetName, 'test', typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined);
    const count = Math.min(intOption(values, 'limit', test.count)!, test.count);
    const t0 = performance.now();
    let result: { accuracy: number; errors: number; count: number };
    let device: string;
    let int8Info: { calibration: number; method: CalibrationMethod; percentile?: number } | undefined;
    if (values.int8) {
      const calibration = intOption(values, 'calibration', 256)!;
      const m = values['calibration-method'];
      if (m !== undefined && m !== 'minmax' && m !== 'percentile') throw new UsageError(`--calibration-method must be minmax or percentile, got '${String(m)}'`);
      const chosen = m !== undefined ? { method: m as CalibrationMethod } : (recordedInt8Method(model) ?? { method: 'minmax' as const });
      const train = await loadDataset(datasetName, 'train', typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined);
      const n = Math.min(calibration, train.count);
      const int8 = quantizeInt8Model(model, { calibration: toFloatBatch(train, 0, n), batch: n, ...chosen });
      int8Info = { calibration: n, ...chosen };
      if (values.cpu) {
        result = evaluateInt8(int8, test, count);
        device = 'cpu (integer reference)';
      } else {
        const gpu = await acquireBackend(values.backend);
        try {
          const r = await evaluateInt8Gpu(gpu, int8, test, count);
          result = { accuracy: r.accuracy, errors: r.errors, count: r.count };
          device = `${describeAdapter(gpu.report)}, int8 GPU path (${r.mac} MACs, ${r.dot} code variant)`;
        } finally {
          gpu.device.destroy();
        }
      }
    } else if (values.cpu) {
      result = cpuAccuracy(model, test, count);
      device = 'cpu (float32 reference)';
    } else {
      const gpu = await acquireBackend(values.backend);
      try {
        result = await evaluateModel(gpu, model, test, { limit: count, batch: intOption(values, 'batch', undefined) });
        device = describeAdapter(gpu.report);
      } finally {
        gpu.device.destroy();
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    if (values.json) {
      io.out(JSON.stringify({ ...result, dataset: datasetName, model: arch.name, precision: int8Info ? 'int8' : 'fp32', ...(int8Info ? { int8: int8Info } : {}), device, seconds }, null, 2));
    } else {
      const how = int8Info ? ` integer-only int8 (activations calibrated ${int8Info.method} on ${int8Info.calibration} training images)` : '';
      io.out(`${arch.name} on ${datasetName} test${how}: accuracy ${(result.accuracy * 100).toFixed(2)}% (${result.errors} errors of ${result.count}) on ${device}, ${seconds.toFixed(1)} s`);
    }
  },
};
