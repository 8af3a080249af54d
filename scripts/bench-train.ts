/**
 * The training rows of the benchmark alone, in Node, with the ratios the
 * issue-16 targets read: per built-in model, the GPU trainer's images/s at
 * batch 64 (and 256) — `measureGpuTraining`, the `npm run bench` figure,
 * over 640 images (10 timed steps of 64; the bench times 3) — against the
 * CPU reference (`measureCpuTraining`, batch 64) measured right before and
 * right after the model's GPU rows (their mean is the ratio's denominator),
 * so that a machine whose load comes and goes hits both sides alike; and the
 * training GFLOP/s (3 × forward FLOPs per image) as a share of the f32
 * matmul roofline measured in the same run.
 *
 *   node scripts/run-ts.mjs scripts/bench-train.ts [models] [--batch 64,256] [--train-images N] [--train-cpu-budget ms]
 */
import { readFile } from 'node:fs/promises';
import { loadDataset } from '../src/data/node-loader.ts';
import { measureCpuTraining, measureGpuTraining } from '../src/bench/training.ts';
import { acquireGpu, describeAdapter } from '../src/gpu/device.ts';
import { measureMatmulGflops } from '../src/gpu/roofline.ts';
import { accountModel } from '../src/model/accounting.ts';
import { architecture } from '../src/model/architectures.ts';
import { parseModel } from '../src/model/format.ts';
import type { Model } from '../src/model/model.ts';
import { initModel } from '../src/model/model.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const flagValues = new Set(['--batch', '--train-images', '--train-cpu-budget'].map((f) => args.indexOf(f) + 1).filter((i) => i > 0));
const names = (args.find((a, i) => !a.startsWith('--') && !flagValues.has(i)) ?? 'lenet5,lenet-300-100,article-net,lenet5-separable').split(',');
const batches = flag('batch', '64,256').split(',').map(Number);
const images = Number(flag('train-images', '640'));
const cpuBudget = Number(flag('train-cpu-budget', '4000'));

async function load(name: string): Promise<{ model: Model; weights: string }> {
  try {
    return { model: parseModel(await readFile(`models/${name}.safetensors`), name), weights: 'trained' };
  } catch {
    return { model: initModel(architecture(name), 1), weights: 'seeded' };
  }
}

const gpu = await acquireGpu();
const log = (s: string): void => console.error(s);
const trainSet = await loadDataset('mnist', 'train');
const roof = await measureMatmulGflops(gpu);
const peak = roof.best.gflops;
console.log(`adapter: ${describeAdapter(gpu.report)}; f32 matmul roofline ${peak.toFixed(2)} GFLOP/s (${roof.best.label}, 512³)`);
const rows: string[] = [];
for (const name of names) {
  const { model, weights } = await load(name);
  const flops = 3 * accountModel(model.architecture).total.flops;
  const cpuBefore = measureCpuTraining('node', model, trainSet, cpuBudget, 2, 200, log).imagesPerSecond ?? NaN;
  const gpuRows = [];
  for (const b of batches) gpuRows.push(await measureGpuTraining(gpu, 'node', model, trainSet, Math.max(images, 3 * b), log, b));
  const cpuAfter = measureCpuTraining('node', model, trainSet, cpuBudget, 2, 200, log).imagesPerSecond ?? NaN;
  const c = (cpuBefore + cpuAfter) / 2;
  for (const gpuR of gpuRows) {
    const b = gpuR.batch;
    const g = gpuR.imagesPerSecond ?? NaN;
    const gf = (g * flops) / 1e9;
    rows.push(
      `| ${name} (${weights}) | ${b} | ${g.toFixed(1)} | ${c.toFixed(1)} (${cpuBefore.toFixed(0)}, ${cpuAfter.toFixed(0)}) | ${(g / c).toFixed(2)}× | ${gf.toFixed(2)} | ${((100 * gf) / peak).toFixed(1)} % | ${gpuR.steps} |`,
    );
  }
}
console.log(
  '\n| model | batch | GPU img/s | CPU img/s (b64; before, after) | GPU ÷ CPU | train GFLOP/s | % of roofline | timed steps |\n|---|---|---|---|---|---|---|---|',
);
for (const r of rows) console.log(r);
gpu.device.destroy();
