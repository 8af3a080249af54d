/**
 * `compression-lab compress`: runs a compression pipeline (docs/compression.md)
 * on a model file or a built-in architecture, writes the result and reports
 * accuracy on the full MNIST test set with the exact size breakdown.
 *
 * Training steps use the GPU trainer (src/gpu/trainer.ts, `--trainer gpu`,
 * the default) or the CPU reference fine-tuner (`--trainer cpu`). The GPU
 * trainer honours masks, distillation and symmetric linear QAT itself; what
 * it cannot do while training (shared-value updates of codebooks and hashed
 * tensors, ternary/binary/asymmetric grids) is projected back after it
 * (`projectOntoRequest`). Evaluation runs on the GPU with `--trainer gpu`,
 * else on the float CPU reference (the JSON's `evaluator` says which); an
 * int8 step is also evaluated with the CPU integer reference.
 */
import { writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import type { Dataset } from '../../data/dataset.ts';
import { toFloatBatch } from '../../data/dataset.ts';
import { loadDataset } from '../../data/node-loader.ts';
import { accountModel } from '../../model/accounting.ts';
import { parseModel } from '../../model/format.ts';
import type { Model } from '../../model/model.ts';
import { initModel } from '../../model/model.ts';
import type { Int8Model } from '../../model/int8.ts';
import { int8ModelForward } from '../../cpu/quantized.ts';
import { argmax } from '../../cpu/loss.ts';
import { sizeBreakdown } from '../../compress/breakdown.ts';
import { cpuFineTuner, evaluateCpu } from '../../compress/cpu-trainer.ts';
import { STEPS, parsePipeline, runPipeline } from '../../compress/pipeline.ts';
import { gpuFineTuner } from '../../compress/gpu-finetuner.ts';
import type { Gpu } from '../../gpu/device.ts';
import { createInt8Executor } from '../../gpu/executor-i8.ts';
import { createExecutor } from '../../gpu/executor.ts';
import { measure } from '../../gpu/timer.ts';
import { describeAdapter } from '../../gpu/device.ts';
import { evaluateModel } from '../../gpu/trainer.ts';
import { acquireBackend } from './gpu-options.ts';
import { sparsityOf } from '../../compress/prune.ts';
import { formatBytes, formatTable } from '../table.ts';
import type { Command } from '../common.ts';
import { UsageError, loadArchitectureOrModel } from '../common.ts';

/** Accuracy of the integer-only model on the test set (CPU integer reference). */
export function evaluateInt8(model: Int8Model, test: Dataset, limit = test.count, batch = 250): { accuracy: number; errors: number; count: number } {
  const count = Math.min(limit, test.count);
  let errors = 0;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const pred = argmax(int8ModelForward(model, toFloatBatch(test, start, n), n).logits, n, 10);
    for (let i = 0; i < n; i++) if (pred[i] !== test.labels[start + i]) errors++;
  }
  return { accuracy: (count - errors) / count, errors, count };
}

/** Accuracy of the integer-only model through the int8 GPU path (executor-i8: integer kernels, argmax read back). */
export async function evaluateInt8Gpu(gpu: Gpu, model: Int8Model, test: Dataset, limit = test.count, batch = 250): Promise<{ accuracy: number; errors: number; count: number; dot: string; mac: string }> {
  const count = Math.min(limit, test.count);
  const ex = await createInt8Executor(gpu, model, { maxBatch: batch });
  try {
    let errors = 0;
    for (let start = 0; start < count; start += batch) {
      const n = Math.min(batch, count - start);
      const pred = await ex.run(toFloatBatch(test, start, n), n, { readback: 'argmax' });
      for (let i = 0; i < n; i++) if (pred[i] !== test.labels[start + i]) errors++;
    }
    // The multiply-accumulate that really ran (e.g. outer-f32 on CPU adapters), as the step labels name it.
    const mac = [...new Set(ex.stepVariants.filter((v) => v !== undefined))].join(', ') || ex.dot;
    return { accuracy: (count - errors) / count, errors, count, dot: ex.dot, mac };
  } finally {
    ex.destroy();
  }
}

/** What a user waits for, measured on this GPU: batch-1 round trip (upload, kernels, class readback) and batched throughput. */
export interface GpuTiming {
  latencyP50Ms: number;
  latencyP90Ms: number;
  runs: number;
  imagesPerSecond: number;
  batch: number;
  /** Float engine: weight bytes resident on the GPU (compressed tensors as held) and the layers 'auto' ran sparse. */
  gpuWeightBytes?: number;
  sparseLayers?: string[];
}

/**
 * Times a model on the GPU the way the lab's Compare screen does: `runs`
 * batch-1 round trips after warm-up (p50/p90, wall clock), then images/s at
 * `batch` (median of 3). Float models run on the float executor (compressed
 * weights, sparse 'auto'), integer-only ones on the int8 executor.
 */
export async function timeOnGpu(gpu: Gpu, model: Model | Int8Model, test: Dataset, runs = 50, batch = 256): Promise<GpuTiming> {
  const ex = 'weights' in model ? await createExecutor(gpu, model, { maxBatch: batch }) : await createInt8Executor(gpu, model, { maxBatch: batch });
  // Both executors take (input, batch, { readback: 'argmax' }); their generic signatures differ only in the readback kinds.
  const classify = (x: Float32Array, n: number): Promise<unknown> => (ex as { run(x: Float32Array, n: number, o: { readback: 'argmax' }): Promise<Int32Array> }).run(x, n, { readback: 'argmax' });
  try {
    const x1 = toFloatBatch(test, 0, 1);
    const lat = await measure(() => classify(x1, 1), { warmup: 5, runs });
    const xb = toFloatBatch(test, 0, batch);
    const thr = await measure(() => classify(xb, batch), { warmup: 1, runs: 3 });
    const out: GpuTiming = { latencyP50Ms: lat.p50, latencyP90Ms: lat.p90, runs, imagesPerSecond: batch / (thr.p50 / 1000), batch };
    if ('weightBytes' in ex) {
      out.gpuWeightBytes = ex.weightBytes.bytes;
      const sparse = [...new Set(ex.sparseDecisions.filter((d) => d.chosen === 'sparse').map((d) => d.layers[0]))];
      if (sparse.length) out.sparseLayers = sparse;
    }
    return out;
  } finally {
    ex.destroy();
  }
}

const TRAINING_STEPS = new Set(['finetune', 'gradual', 'distill']);

/** Loads a model argument: a file, or a built-in architecture name (He-initialised, seed 1). */
export async function loadModelArg(arg: string | undefined): Promise<Model> {
  const { architecture, model } = await loadArchitectureOrModel(arg);
  return model ?? initModel(architecture, 1);
}

export const compressCommand: Command = {
  summary: 'run a compression pipeline on a model; report accuracy (MNIST test) and exact size',
  usage: 'compression-lab compress <model> --pipeline "<steps>" --out <file> [--json] [--trainer gpu|cpu] [--backend vulkan|opengl] [--eval-limit N] [--no-baseline] [--calibration N] [--no-timing] [--quiet]',
  options: {
    pipeline: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    'eval-limit': { type: 'string' },
    'no-baseline': { type: 'boolean' },
    calibration: { type: 'string' },
    quiet: { type: 'boolean' },
    'no-timing': { type: 'boolean' },
    trainer: { type: 'string' },
    backend: { type: 'string' },
  },
  async run([arg], values, io) {
    if (typeof values.pipeline !== 'string') throw new UsageError(`missing --pipeline "<steps>" (steps: ${Object.keys(STEPS).join(', ')})`);
    if (typeof values.out !== 'string') throw new UsageError('missing --out <file>');
    const steps = parsePipeline(values.pipeline);
    const evalLimit = values['eval-limit'] === undefined ? Infinity : Number(values['eval-limit']);
    if (!(evalLimit > 0)) throw new UsageError(`--eval-limit must be a positive integer, got '${String(values['eval-limit'])}'`);
    const calibrationCount = values.calibration === undefined ? 256 : Number(values.calibration);
    if (!Number.isInteger(calibrationCount) || calibrationCount < 1) throw new UsageError(`--calibration must be a positive integer, got '${String(values.calibration)}'`);
    const model = await loadModelArg(arg);
    const log = (s: string): void => {
      if (!values.quiet) io.err(s);
    };
    const needsTrain = steps.some((s) => TRAINING_STEPS.has(s.pass) || s.pass === 'int8');
    const train = needsTrain ? await loadDataset('mnist', 'train') : undefined;
    const test = await loadDataset('mnist', 'test');
    const limit = Math.min(evalLimit, test.count);

    const trainer = values.trainer === undefined ? 'gpu' : String(values.trainer);
    if (trainer !== 'gpu' && trainer !== 'cpu') throw new UsageError(`--trainer must be gpu or cpu, got '${trainer}'`);
    const gpu = trainer === 'gpu' ? await acquireBackend(values.backend) : undefined;
    const evaluate = async (m: Model): Promise<{ accuracy: number; errors: number; count: number }> =>
      gpu ? evaluateModel(gpu, m, test, { limit }) : evaluateCpu(m, test, limit);
    const evaluator = gpu ? `gpu (${describeAdapter(gpu.report)})` : 'cpu-reference (float32)';
    const baseline = values['no-baseline'] ? undefined : { ...(await evaluate(model)), bytes: sizeBreakdown(model).total };
    if (baseline) log(`baseline: accuracy ${(baseline.accuracy * 100).toFixed(2)}% (${baseline.errors} errors of ${baseline.count}), ${baseline.bytes.toLocaleString('en-US')} bytes`);
    const t0 = performance.now();
    const result = await runPipeline(model, steps, {
      fineTuner: train ? (gpu ? gpuFineTuner(gpu, train, log) : cpuFineTuner(train, log)) : undefined,
      loadModel: async (path) => parseModel(await readFile(path), path),
      calibration: train ? { images: toFloatBatch(train, 0, calibrationCount), batch: calibrationCount } : undefined,
      log,
    });
    const seconds = (performance.now() - t0) / 1000;
    const size = sizeBreakdown(result.model);
    await writeFile(values.out, size.bytes);
    const before = accountModel(model.architecture).total;
    const after = accountModel(result.model.architecture).total;
    const evaluation = await evaluate(result.model);
    const int8Gpu = result.int8 && gpu ? await evaluateInt8Gpu(gpu, result.int8, test, limit) : undefined;
    // Input and result timed in the same run on the same device, so their ratio means something.
    const timing =
      gpu && !values['no-timing']
        ? {
            device: describeAdapter(gpu.report),
            input: await timeOnGpu(gpu, model, test),
            output: await timeOnGpu(gpu, result.model, test),
            ...(result.int8 ? { int8: await timeOnGpu(gpu, result.int8, test) } : {}),
          }
        : undefined;
    gpu?.device.destroy();
    const int8 = result.int8 ? evaluateInt8(result.int8, test, limit) : undefined;
    const report = {
      model: arg,
      out: values.out,
      pipeline: values.pipeline,
      trainer: train ? (gpu ? 'gpu (src/gpu/trainer.ts)' : 'cpu-reference (src/compress/cpu-trainer.ts)') : 'none',
      evaluator,
      accuracy: evaluation.accuracy,
      errors: evaluation.errors,
      count: evaluation.count,
      ...(int8 ? { int8: { evaluator: 'cpu-integer-reference', ...int8 } } : {}),
      ...(int8Gpu ? { int8Gpu: { evaluator: `int8 GPU path (executor-i8, ${int8Gpu.mac} MACs, ${int8Gpu.dot} code variant)`, ...int8Gpu } } : {}),
      bytes: size.total,
      fp32Bytes: size.fp32Bytes,
      ratio: size.ratio,
      // Structured pruning, separable conversion and downsampling change the parameter count: compare with the input too.
      inputFp32Bytes: 4 * before.params,
      ratioVsInput: (4 * before.params) / size.total,
      breakdown: { values: size.values, indices: size.indices, codebooks: size.codebooks, scales: size.scales, metadata: size.metadata, total: size.total },
      tensors: size.tensors,
      sparsity: sparsityOf(result.model).overall,
      params: { before: before.params, after: after.params },
      flops: { before: before.flops, after: after.flops },
      ...(baseline ? { baseline } : {}),
      ...(timing ? { timing } : {}),
      steps: result.reports,
      seconds,
    };
    if (values.json) {
      io.out(JSON.stringify(report, null, 2));
      return;
    }
    io.out(`${arg} → ${values.out}: ${values.pipeline}\n`);
    io.out(
      formatTable(
        ['step', 'bytes', '× smaller', 'params', 'FLOPs', 'sparsity', 'seconds'],
        result.reports.map((r) => [r.pass, r.bytes, Number(r.ratio.toFixed(2)), r.params, r.flops, `${(r.sparsity * 100).toFixed(1)}%`, Number(r.seconds.toFixed(2))]),
      ),
    );
    io.out('');
    io.out(formatTable(['tensor', 'encoding', 'values', 'indices', 'codebooks', 'scales', 'bytes'], size.tensors.map((t) => [t.name, t.encoding, t.values, t.indices, t.codebooks, t.scales, t.bytes])));
    io.out(
      `\nfile ${size.total.toLocaleString('en-US')} bytes (${formatBytes(size.total)}) = values ${size.values} + indices ${size.indices} + codebooks ${size.codebooks} + scales ${size.scales} + metadata ${size.metadata}; fp32 weights ${size.fp32Bytes.toLocaleString('en-US')} bytes: ${size.ratio.toFixed(2)}× smaller (${((4 * before.params) / size.total).toFixed(2)}× smaller than the input's fp32 weights)`,
    );
    io.out(`FLOPs per image ${before.flops.toLocaleString('en-US')} → ${after.flops.toLocaleString('en-US')}; parameters ${before.params.toLocaleString('en-US')} → ${after.params.toLocaleString('en-US')}`);
    const acc = (e: { accuracy: number; errors: number; count: number }): string => `${(e.accuracy * 100).toFixed(2)}% (${e.errors} errors of ${e.count})`;
    io.out(`accuracy (${evaluator}, MNIST test): ${acc(evaluation)}${baseline ? `; before: ${acc(baseline)}` : ''}`);
    if (int8) io.out(`int8 integer-only accuracy (CPU integer reference): ${acc(int8)}`);
    if (int8Gpu) io.out(`int8 integer-only accuracy (GPU integer path, ${int8Gpu.mac} MACs): ${acc(int8Gpu)}`);
    if (timing) {
      const t = (g: GpuTiming): string => `batch-1 p50 ${g.latencyP50Ms.toFixed(2)} ms (p90 ${g.latencyP90Ms.toFixed(2)}), ${Math.round(g.imagesPerSecond).toLocaleString('en-US')} images/s at batch ${g.batch}${g.gpuWeightBytes !== undefined ? `, ${formatBytes(g.gpuWeightBytes)} of weights on the GPU` : ''}${g.sparseLayers ? `, sparse kernel: ${g.sparseLayers.join(', ')}` : ''}`;
      io.out(`GPU timing on ${timing.device}: input ${t(timing.input)}; result ${t(timing.output)}${timing.int8 ? `; int8 ${t(timing.int8)}` : ''}`);
    }
  },
};
