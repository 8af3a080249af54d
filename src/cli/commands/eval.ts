/**
 * `compression-lab eval`: accuracy of a model on the full test set of MNIST
 * or Fashion-MNIST, on the GPU (evaluateModel: the set is uploaded once and
 * scored by count-correct on the GPU) or, with --cpu, by the float32 CPU
 * reference.
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
  usage: 'compression-lab eval <model-file|architecture> [--dataset mnist|fashion-mnist] [--cpu] [--backend vulkan|opengl] [--json]',
  options: {
    dataset: { type: 'string' },
    cpu: { type: 'boolean' },
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
    if (values.cpu) {
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
      io.out(JSON.stringify({ ...result, dataset: datasetName, model: arch.name, device, seconds }, null, 2));
    } else {
      io.out(`${arch.name} on ${datasetName} test: accuracy ${(result.accuracy * 100).toFixed(2)}% (${result.errors} errors of ${result.count}) on ${device}, ${seconds.toFixed(1)} s`);
    }
  },
};
