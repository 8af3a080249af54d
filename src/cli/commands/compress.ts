/**
 * `compression-lab compress`: runs a compression pipeline (docs/compression.md)
 * on a model file or a built-in model (its bundled trained weights;
 * `--untrained` for seeded random ones), writes the result and reports
 * accuracy on the full test set of the dataset the model records (MNIST
 * unless it says otherwise), with the exact size breakdown. Calibration and
 * fine-tuning use the same dataset's training split.
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
import { readFile, writeFile } from 'node:fs/promises';
import { toFloatBatch } from '../../data/dataset.ts';
import { loadDataset } from '../../data/node-loader.ts';
import { accountModel } from '../../model/accounting.ts';
import { parseModel } from '../../model/format.ts';
import { sizeBreakdown } from '../../compress/breakdown.ts';
import { STEPS, parsePipeline, runPipeline } from '../../compress/pipeline.ts';
import { fineTunerFor, gpuFineTuner } from '../../engine/finetune.ts';
import { CurveRecorder } from '../../engine/curves.ts';
import { describeAdapter } from '../../gpu/device.ts';
import { sparsityOf } from '../../compress/prune.ts';
import { DEFAULTS, createRunner, datasetFor, originLabel, evaluate, timeRunner, type AnyModel, type RunnerTiming } from '../../engine/index.ts';
import { resolveModel } from '../../engine/node.ts';
import type { Dataset } from '../../data/dataset.ts';
import type { Gpu } from '../../gpu/device.ts';
import { acquireBackend, datasetFlag } from './gpu-options.ts';
import { formatBytes, formatTable } from '../table.ts';
import type { Command } from '../common.ts';
import { UsageError } from '../common.ts';

/** Times a model on the GPU through the engine (batch-1 p50/p90, images/s at 256). */
async function timeOnGpu(gpu: Gpu, model: AnyModel, test: Dataset): Promise<RunnerTiming> {
  const runner = await createRunner(gpu, model, { maxBatch: DEFAULTS.throughputBatch });
  try {
    return await timeRunner(runner, test);
  } finally {
    runner.destroy();
  }
}

const TRAINING_STEPS = new Set(['finetune', 'gradual', 'distill']);

export const compressCommand: Command = {
  summary: "run a compression pipeline on a model; report accuracy (the model's dataset, test split) and exact size",
  usage:
    'compression-lab compress <model> --pipeline "<steps>" --out <file> [--untrained] [--dataset mnist|fashion-mnist] [--json] [--trainer gpu|cpu] [--backend vulkan|opengl] [--eval-limit N] [--no-baseline] [--calibration N] [--no-timing] [--quiet]',
  options: {
    untrained: { type: 'boolean' },
    dataset: { type: 'string' },
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
    const calibrationCount = values.calibration === undefined ? DEFAULTS.calibrationImages : Number(values.calibration);
    if (!Number.isInteger(calibrationCount) || calibrationCount < 1)
      throw new UsageError(`--calibration must be a positive integer, got '${String(values.calibration)}'`);
    const resolved = await resolveModel(arg, { untrained: values.untrained === true });
    const model = resolved.model;
    const log = (s: string): void => {
      if (!values.quiet) io.err(s);
    };
    const { dataset, warning } = datasetFor(model, datasetFlag(values.dataset));
    if (warning) io.err(warning);
    const needsTrain = steps.some((s) => TRAINING_STEPS.has(s.pass) || s.pass === 'int8');
    const train = needsTrain ? await loadDataset(dataset, 'train') : undefined;
    const test = await loadDataset(dataset, 'test');
    const limit = Math.min(evalLimit, test.count);

    const trainer = values.trainer === undefined ? 'gpu' : String(values.trainer);
    if (trainer !== 'gpu' && trainer !== 'cpu') throw new UsageError(`--trainer must be gpu or cpu, got '${trainer}'`);
    const gpu = trainer === 'gpu' ? await acquireBackend(values.backend) : undefined;
    const score = async (m: AnyModel, on: Gpu | 'cpu' = gpu ?? 'cpu'): Promise<{ accuracy: number; errors: number; count: number }> => {
      const { description: _, ...r } = await evaluate(on, m, test, { limit });
      return r;
    };
    const evaluator = gpu ? `gpu (${describeAdapter(gpu.report)})` : 'cpu-reference (float32)';
    const baseline = values['no-baseline'] ? undefined : { ...(await score(model)), bytes: sizeBreakdown(model).total };
    if (baseline)
      log(
        `baseline: accuracy ${(baseline.accuracy * 100).toFixed(2)}% (${baseline.errors} errors of ${baseline.count}), ${baseline.bytes.toLocaleString('en-US')} bytes`,
      );
    const t0 = performance.now();
    // --json with the GPU trainer also reports each training run's curve (test accuracy per epoch on up to 2,000 of the evaluation images).
    const curves = values.json && gpu && train ? new CurveRecorder() : undefined;
    const tuner = train && gpu && curves ? gpuFineTuner(gpu, train, { log, curves, test, evalLimit: Math.min(limit, 2000) }) : undefined;
    const result = await runPipeline(model, steps, {
      fineTuner: tuner ?? (train ? fineTunerFor(gpu ?? 'cpu', train, log) : undefined),
      loadModel: async (path) => parseModel(await readFile(path), path),
      calibration: train ? { images: toFloatBatch(train, 0, calibrationCount), batch: calibrationCount } : undefined,
      log,
    });
    const seconds = (performance.now() - t0) / 1000;
    const size = sizeBreakdown(result.model);
    await writeFile(values.out, size.bytes);
    const before = accountModel(model.architecture).total;
    const after = accountModel(result.model.architecture).total;
    const evaluation = await score(result.model);
    const int8Gpu = result.int8 && gpu ? await evaluate(gpu, result.int8, test, { limit }) : undefined;
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
    const int8 = result.int8 ? await score(result.int8, 'cpu') : undefined;
    const report = {
      model: arg,
      weights: resolved.origin,
      source: resolved.source,
      ...(resolved.origin === 'untrained' ? { untrained: true } : {}),
      dataset,
      out: values.out,
      pipeline: values.pipeline,
      trainer: train ? (gpu ? 'gpu (src/gpu/trainer.ts)' : 'cpu-reference (src/compress/cpu-trainer.ts)') : 'none',
      evaluator,
      accuracy: evaluation.accuracy,
      errors: evaluation.errors,
      count: evaluation.count,
      ...(int8 ? { int8: { evaluator: 'cpu-integer-reference', ...int8 } } : {}),
      ...(int8Gpu ? { int8Gpu: { evaluator: int8Gpu.description, accuracy: int8Gpu.accuracy, errors: int8Gpu.errors, count: int8Gpu.count } } : {}),
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
      ...(curves?.curves.length ? { curves: curves.curves } : {}),
      seconds,
    };
    if (values.json) {
      io.out(JSON.stringify(report, null, 2));
      return;
    }
    io.out(`${arg}${resolved.origin === 'untrained' ? ` [${originLabel('untrained')}]` : ''} → ${values.out}: ${values.pipeline}\n`);
    io.out(
      formatTable(
        ['step', 'bytes', '× smaller', 'params', 'FLOPs', 'sparsity', 'seconds'],
        result.reports.map((r) => [
          r.pass,
          r.bytes,
          Number(r.ratio.toFixed(2)),
          r.params,
          r.flops,
          `${(r.sparsity * 100).toFixed(1)}%`,
          Number(r.seconds.toFixed(2)),
        ]),
      ),
    );
    io.out('');
    io.out(
      formatTable(
        ['tensor', 'encoding', 'values', 'indices', 'codebooks', 'scales', 'bytes'],
        size.tensors.map((t) => [t.name, t.encoding, t.values, t.indices, t.codebooks, t.scales, t.bytes]),
      ),
    );
    io.out(
      `\nfile ${size.total.toLocaleString('en-US')} bytes (${formatBytes(size.total)}) = values ${size.values} + indices ${size.indices} + codebooks ${size.codebooks} + scales ${size.scales} + metadata ${size.metadata}; fp32 weights ${size.fp32Bytes.toLocaleString('en-US')} bytes: ${size.ratio.toFixed(2)}× smaller (${((4 * before.params) / size.total).toFixed(2)}× smaller than the input's fp32 weights)`,
    );
    io.out(
      `FLOPs per image ${before.flops.toLocaleString('en-US')} → ${after.flops.toLocaleString('en-US')}; parameters ${before.params.toLocaleString('en-US')} → ${after.params.toLocaleString('en-US')}`,
    );
    const acc = (e: { accuracy: number; errors: number; count: number }): string => `${(e.accuracy * 100).toFixed(2)}% (${e.errors} errors of ${e.count})`;
    io.out(`accuracy (${evaluator}, ${dataset} test): ${acc(evaluation)}${baseline ? `; before: ${acc(baseline)}` : ''}`);
    if (int8) io.out(`int8 integer-only accuracy (CPU integer reference): ${acc(int8)}`);
    if (int8Gpu) io.out(`int8 integer-only accuracy (${int8Gpu.description}): ${acc(int8Gpu)}`);
    if (timing) {
      const t = (g: RunnerTiming): string =>
        `batch-1 p50 ${g.latencyP50Ms.toFixed(2)} ms (p90 ${g.latencyP90Ms.toFixed(2)}), ${Math.round(g.imagesPerSecond).toLocaleString('en-US')} images/s at batch ${g.batch}${g.gpuWeightBytes !== undefined ? `, ${formatBytes(g.gpuWeightBytes)} of weights on the GPU` : ''}${g.sparseLayers ? `, sparse kernel: ${g.sparseLayers.join(', ')}` : ''}`;
      io.out(`GPU timing on ${timing.device}: input ${t(timing.input)}; result ${t(timing.output)}${timing.int8 ? `; int8 ${t(timing.int8)}` : ''}`);
    }
  },
};
