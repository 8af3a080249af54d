/**
 * Trains the bundled models (seeded, on the GPU through the same engine `train`
 * call as `compression-lab train`) and writes models/<name>.safetensors with
 * provenance. Skips a model whose file exists unless --force.
 *
 *   node scripts/run-ts.mjs scripts/train-bundled.ts [--force] [--only name[,name…]] [--backend opengl|vulkan] [--resume]
 *
 * A job may end with a distillation stage (a bundled teacher's soft targets,
 * Hinton et al. 2015) after training from scratch. `--resume` starts such a
 * job from its existing file when that file holds exactly the from-scratch
 * stage (same recipe in its provenance) and runs only the remaining stage —
 * the same weights a full run gives, since every stage is seeded.
 *
 * Default backend: opengl (Dawn's GL backend on Mesa llvmpipe, several times
 * faster than SwiftShader for long runs on a CPU-only machine).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadDataset, loadManifest } from '../src/data/node-loader.ts';
import type { DatasetName } from '../src/data/dataset.ts';
import type { Gpu } from '../src/gpu/device.ts';
import { acquireGpu, describeAdapter } from '../src/gpu/device.ts';
import type { EpochReport } from '../src/engine/train.ts';
import { train as trainOnGpu } from '../src/engine/train.ts';
import { evaluate } from '../src/engine/evaluate.ts';
import { architecture } from '../src/model/architectures.ts';
import { parseModel, serializeModel } from '../src/model/format.ts';
import type { Model } from '../src/model/model.ts';
import { initModel } from '../src/model/model.ts';

interface Job {
  file: string;
  arch: string;
  dataset: DatasetName;
  epochs: number;
  seed: number;
  lr: number;
  batch: number;
  /** Test accuracy the bundled model must reach. */
  target: number;
  /** Optional second stage: distil from another bundled model (trained earlier in this list). */
  distill?: { teacher: string; epochs: number; lr: number; temperature: number; alpha: number };
}

// Adam with cosine decay to 0, batch 64: the standard recipe for these nets.
// Epochs are the ones the committed models were trained with (see their provenance).
const JOBS: Job[] = [
  { file: 'article-net', arch: 'article-net', dataset: 'mnist', epochs: 6, seed: 1, lr: 2e-3, batch: 64, target: 0.98 },
  { file: 'lenet-300-100', arch: 'lenet-300-100', dataset: 'mnist', epochs: 6, seed: 1, lr: 1e-3, batch: 64, target: 0.982 },
  { file: 'lenet5', arch: 'lenet5', dataset: 'mnist', epochs: 4, seed: 1, lr: 1e-3, batch: 64, target: 0.991 },
  // From scratch it reached 98.72 % (128 errors) after 6 epochs, short of its
  // 98.8 % target; two epochs of distillation from the bundled LeNet-5 close the gap.
  {
    file: 'lenet5-separable',
    arch: 'lenet5-separable',
    dataset: 'mnist',
    epochs: 6,
    seed: 1,
    lr: 1e-3,
    batch: 64,
    target: 0.988,
    distill: { teacher: 'lenet5', epochs: 2, lr: 2e-4, temperature: 4, alpha: 0.7 },
  },
  { file: 'lenet5-fashion', arch: 'lenet5', dataset: 'fashion-mnist', epochs: 4, seed: 1, lr: 1e-3, batch: 64, target: 0.9 },
];

const { values } = parseArgs({
  options: { force: { type: 'boolean' }, only: { type: 'string' }, backend: { type: 'string' }, resume: { type: 'boolean' } },
});
const only = typeof values.only === 'string' ? new Set(values.only.split(',')) : null;
const backend = values.backend ?? 'opengl';
const outDir = new URL('../models/', import.meta.url);
await mkdir(outDir, { recursive: true });

let gpu: Gpu | null = null;
const present = new Set((await loadManifest()).datasets.filter((d) => d.present).map((d) => d.name));
for (const job of JOBS) {
  if (only && !only.has(job.file)) continue;
  const path = new URL(`${job.file}.safetensors`, outDir);
  // A file holding exactly the from-scratch stage of a two-stage job can be resumed.
  let stage1: Model | null = null;
  if (existsSync(path) && values.resume && job.distill) {
    const m = parseModel(await readFile(path), path.pathname);
    const p = m.provenance ?? {};
    if (p.epochs === job.epochs && p.seed === job.seed && p.lr === job.lr && p.dataset === job.dataset && p.distill === undefined) stage1 = m;
  }
  if (existsSync(path) && !values.force && !stage1) {
    console.log(`${job.file}: present, skipped (--force to retrain)`);
    continue;
  }
  if (!present.has(job.dataset)) {
    console.log(`${job.file}: dataset ${job.dataset} not built, skipped`);
    continue;
  }
  gpu ??= await acquireGpu(backend === 'opengl' ? { nodeFlags: ['backend=opengl'], featureLevel: 'compatibility', timestamps: false } : {});
  const train = await loadDataset(job.dataset, 'train');
  const test = await loadDataset(job.dataset, 'test');
  const arch = architecture(job.arch);
  const t0 = performance.now();
  const onEpoch = (r: EpochReport) =>
    console.log(
      `  epoch ${r.epoch}: loss ${r.trainLoss.toFixed(4)}, test ${((r.testAccuracy ?? 0) * 100).toFixed(2)}%, ${Math.round(r.imagesPerSecond)} images/s, ${r.seconds.toFixed(0)} s`,
    );
  let model: Model;
  let stage1Eval: { accuracy: number; errors: number };
  if (stage1) {
    model = stage1;
    const p = stage1.provenance ?? {};
    stage1Eval = { accuracy: Number(p.testAccuracy), errors: Number(p.testErrors) };
    console.log(`${job.file}: resuming from its from-scratch stage (${(stage1Eval.accuracy * 100).toFixed(2)}%)`);
  } else {
    console.log(`${job.file}: training ${job.arch} on ${job.dataset}, ${job.epochs} epochs, seed ${job.seed}, Adam lr ${job.lr} cosine, batch ${job.batch}`);
    const result = await trainOnGpu(gpu, initModel(arch, job.seed), train, test, {
      epochs: job.epochs,
      seed: job.seed,
      optimizer: 'adam',
      lr: job.lr,
      batch: job.batch,
      schedule: { kind: 'cosine', minLr: 0 },
      onEpoch,
    });
    model = result.model;
    stage1Eval = await evaluate(gpu, model, test);
  }
  let distillNote: Record<string, unknown> | undefined;
  if (job.distill) {
    const d = job.distill;
    const teacher = parseModel(await readFile(new URL(`${d.teacher}.safetensors`, outDir)), `models/${d.teacher}.safetensors`);
    console.log(
      `${job.file}: from scratch ${(stage1Eval.accuracy * 100).toFixed(2)}% (${stage1Eval.errors} errors); distilling from ${d.teacher} (T ${d.temperature}, alpha ${d.alpha}), ${d.epochs} epochs, Adam lr ${d.lr} cosine`,
    );
    const result = await trainOnGpu(gpu, model, train, test, {
      epochs: d.epochs,
      seed: job.seed + 1,
      optimizer: 'adam',
      lr: d.lr,
      batch: job.batch,
      schedule: { kind: 'cosine', minLr: 0 },
      distill: { teacher, temperature: d.temperature, alpha: d.alpha },
      onEpoch,
    });
    model = result.model;
    distillNote = {
      ...d,
      seed: job.seed + 1,
      teacherAccuracy: teacher.provenance?.testAccuracy,
      fromScratchAccuracy: stage1Eval.accuracy,
      fromScratchErrors: stage1Eval.errors,
    };
  }
  const result = { model };
  const ev = await evaluate(gpu, result.model, test);
  result.model.provenance = {
    source: 'trained',
    architecture: job.arch,
    dataset: job.dataset,
    epochs: job.epochs,
    seed: job.seed,
    optimizer: 'adam',
    lr: job.lr,
    batch: job.batch,
    schedule: 'cosine',
    weightDecay: 0,
    testAccuracy: ev.accuracy,
    testErrors: ev.errors,
    testCount: ev.count,
    createdAt: new Date().toISOString(),
    adapter: describeAdapter(gpu.report),
    backend,
    script: 'scripts/train-bundled.ts',
    ...(distillNote ? { distill: distillNote } : {}),
  };
  await writeFile(path, serializeModel(result.model));
  const ok = ev.accuracy >= job.target;
  console.log(
    `${job.file}: test accuracy ${(ev.accuracy * 100).toFixed(2)}% (${ev.errors} errors), target ${(job.target * 100).toFixed(1)}% ${ok ? 'met' : 'NOT MET'}; ${((performance.now() - t0) / 60000).toFixed(1)} min; wrote models/${job.file}.safetensors`,
  );
}
gpu?.device.destroy();
