/**
 * Profiles one training step (batch 64, Adam) of each built-in model with the
 * trainer's profile mode and prints a markdown table per model: per-dispatch
 * GPU time (timestamp queries when the adapter has them) and isolated wall
 * time, bytes bound, and the step's dispatch / pass / command-buffer counts
 * and CPU encode time. `node scripts/run-ts.mjs scripts/profile-train.ts [models] [--batch N] [--tiling wg,tm,tn4]`
 */
import { readFile } from 'node:fs/promises';
import { loadDataset } from '../src/data/node-loader.ts';
import { acquireGpu, describeAdapter } from '../src/gpu/device.ts';
import type { TrainProfile } from '../src/gpu/trainer.ts';
import { trainModel } from '../src/gpu/trainer.ts';
import { architecture } from '../src/model/architectures.ts';
import { parseModel } from '../src/model/format.ts';
import type { Model } from '../src/model/model.ts';
import { initModel } from '../src/model/model.ts';

const args = process.argv.slice(2);
const bi = args.indexOf('--batch');
const batch = bi >= 0 ? Number(args[bi + 1]) : 64;
// --tiling wg,tm,tn4: the forward conv2d register tiling (TrainOptions.registerTiling).
const ti = args.indexOf('--tiling');
const tiling = ti >= 0 ? args[ti + 1].split(',').map(Number) : null;
const flagValues = new Set([bi, ti].filter((i) => i >= 0).map((i) => i + 1));
const names = (args.find((a, i) => !a.startsWith('--') && !flagValues.has(i)) ?? 'lenet5,lenet-300-100,article-net,lenet5-separable').split(',');

async function load(name: string): Promise<Model> {
  try {
    return parseModel(await readFile(`models/${name}.safetensors`), name);
  } catch {
    return initModel(architecture(name), 1);
  }
}

const gpu = await acquireGpu();
console.log(`adapter: ${describeAdapter(gpu.report)}; batch ${batch}${tiling ? `; tiling ${tiling.join(',')}` : ''}`);
const trainSet = await loadDataset('mnist', 'train');
const mb = (b: number): string => (b / 1e6).toFixed(2);
for (const name of names) {
  let p: TrainProfile | undefined;
  await trainModel(gpu, await load(name), trainSet, null, {
    epochs: 0,
    batch,
    limit: batch,
    optimizer: 'adam',
    lr: 1e-3,
    profile: (r) => (p = r),
    ...(tiling ? { registerTiling: { wg: tiling[0], tm: tiling[1], tn4: tiling[2] } } : {}),
  });
  if (!p) throw new Error('no profile');
  const gpuSum = p.dispatches.reduce((a, d) => a + (d.gpuMs ?? 0), 0);
  const wallSum = p.dispatches.reduce((a, d) => a + d.ms, 0);
  const bytes = p.dispatches.reduce((a, d) => a + d.bytes, 0);
  console.log(`\n### ${name}\n`);
  console.log(
    `${p.dispatches.length} dispatches in 1 pass, 1 command buffer per step; encode ${p.encodeMs.toFixed(2)} ms CPU; one step ${p.stepMs.toFixed(1)} ms wall ` +
      `(${((batch * 1000) / p.stepMs).toFixed(0)} img/s); GPU sum ${gpuSum.toFixed(1)} ms (${p.method}); isolated wall sum ${wallSum.toFixed(1)} ms; ${mb(bytes)} MB bound\n`,
  );
  console.log('| dispatch | GPU ms | share | wall ms alone | MB bound |\n|---|---|---|---|---|');
  for (const d of p.dispatches) {
    const g = d.gpuMs ?? NaN;
    console.log(`| ${d.label} | ${g.toFixed(3)} | ${((100 * g) / gpuSum).toFixed(1)} % | ${d.ms.toFixed(2)} | ${mb(d.bytes)} |`);
  }
}
gpu.device.destroy();
