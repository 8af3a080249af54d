/**
 * The device roofline for the benchmark. The f32 matmul, copy and round-trip
 * probes belong to src/gpu/roofline.ts (the f32 engine's); this file adapts
 * whatever that module returns to plain numbers, and supplies the int8
 * dot-product rate (ours) plus labelled stand-ins while roofline.ts is not
 * there yet — so a run always says which number came from where.
 *
 * No Node or DOM APIs: the entries load roofline.ts themselves (Node with a
 * dynamic import, the page with import.meta.glob) and pass the module in.
 */
import type { Gpu } from '../gpu/device.ts';
import { createExecutor } from '../gpu/executor.ts';
import { createInt8Executor } from '../gpu/executor-i8.ts';
import { quantizeInt8Model } from '../compress/int8.ts';
import { initModel, mulberry32 } from '../model/model.ts';
import type { Architecture } from '../model/layers.ts';
import type { RooflineProbes } from './runner.ts';
import { summarize } from './stats.ts';

/** What src/gpu/roofline.ts exports (results may be numbers or objects holding one). */
export interface RooflineModule {
  measureMatmulGflops?: (gpu: Gpu, n: number, options?: { warmup?: number; runs?: number }) => Promise<unknown>;
  measureCopyGBps?: (gpu: Gpu) => Promise<unknown>;
  measureRoundTripMs?: (gpu: Gpu) => Promise<unknown>;
  measureInt8Gops?: (gpu: Gpu, n: number) => Promise<unknown>;
}

/**
 * A probe's result as one number: a number as is, else the first numeric
 * field among `keys` (then any field named like the unit). Throws when none.
 */
export function asNumber(x: unknown, keys: readonly string[], what: string): number {
  if (typeof x === 'number' && Number.isFinite(x)) return x;
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    for (const k of keys) if (typeof o[k] === 'number' && Number.isFinite(o[k])) return o[k] as number;
    // roofline.ts's matmul probe returns { n, best: { gflops, label }, all }.
    if (o.best && typeof o.best === 'object') return asNumber(o.best, keys, what);
    // A summary object ({ p50, … }) — the median is what the roofline wants.
    if (typeof o.p50 === 'number') return o.p50;
  }
  throw new Error(`${what}: cannot read a number from ${JSON.stringify(x)?.slice(0, 120)}`);
}

/** Square matmul size for the f32 roofline: large enough to be compute-bound, small enough for a software adapter. */
export const MATMUL_N = 512;

/** A one-dense-layer model: batch `n` of [1,1,n] (flattened: free) through an n×n layer is an n³ matmul. */
function matmulArchitecture(n: number): Architecture {
  return {
    name: `matmul-${n}`,
    inputShape: [1, 1, n],
    layers: [
      { kind: 'flatten', name: 'flatten' },
      { kind: 'dense', name: 'fc', units: n, bias: false },
    ],
  };
}

function randomInput(len: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: len }, () => r() * 2 - 1);
}

/** p50 wall time of `fn` (which awaits the GPU) after warm-up. */
async function p50(fn: () => Promise<unknown>, warmup: number, runs: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const s: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    s.push(performance.now() - t0);
  }
  return summarize(s).p50;
}

/**
 * Peak int8 rate: the lab's int8 dense kernel (packed 4×i8 words, with the
 * MAC formulation the executor picks for this adapter: `dot4I8Packed` on
 * GPUs, the exact-f32 outer product on CPU adapters) as an n×n×n int8
 * matmul, in G int8-ops/s (1 MAC = 2 ops). Includes the kernel's
 * quantize/dequantize of the n×n activations (n² work against n³): the rate
 * of the best int8 GEMM this lab has, the int8 counterpart of "the best tiled
 * f32 matmul". `onLabel` receives the conv2d-i8 step's label (its MAC).
 */
export async function measureInt8Gops(gpu: Gpu, n = MATMUL_N, onLabel?: (label: string) => void): Promise<number> {
  const model = initModel(matmulArchitecture(n), 7);
  const cal = randomInput(64 * n, 8);
  const i8 = quantizeInt8Model(model, { calibration: cal, batch: 64, method: 'minmax' });
  const ex = await createInt8Executor(gpu, i8, { maxBatch: n });
  try {
    onLabel?.(ex.stepLabels.filter((l) => l.startsWith('conv2d-i8')).join(', '));
    const x = randomInput(n * n, 9);
    const ms = await p50(() => ex.run(x, n, { readback: 'none' }), 2, 7);
    return (2 * n ** 3) / (ms / 1000) / 1e9;
  } finally {
    ex.destroy();
  }
}

/** Stand-in f32 rate until roofline.ts lands: the lab's own dense kernel as an n³ matmul (GFLOP/s). */
export async function fallbackMatmulGflops(gpu: Gpu, n = MATMUL_N): Promise<number> {
  const ex = await createExecutor(gpu, initModel(matmulArchitecture(n), 7), { maxBatch: n });
  try {
    const x = randomInput(n * n, 9);
    const ms = await p50(() => ex.run(x, n, { readback: 'none' }), 2, 7);
    return (2 * n ** 3) / (ms / 1000) / 1e9;
  } finally {
    ex.destroy();
  }
}

/** Stand-in round trip: an empty submit plus a 40-byte readback (p50 ms). */
export async function fallbackRoundTripMs(gpu: Gpu): Promise<number> {
  const d = gpu.device;
  const src = d.createBuffer({ label: 'bench round-trip src', size: 48, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const dst = d.createBuffer({ label: 'bench round-trip dst', size: 48, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    return await p50(
      async () => {
        const enc = d.createCommandEncoder({ label: 'bench round trip' });
        enc.copyBufferToBuffer(src, 0, dst, 0, 48);
        d.queue.submit([enc.finish()]);
        await dst.mapAsync(GPUMapMode.READ, 0, 40);
        dst.unmap();
      },
      10,
      100,
    );
  } finally {
    src.destroy();
    dst.destroy();
  }
}

/** Stand-in copy rate: copyBufferToBuffer of 64 MiB, bytes read + written per second (GB/s). */
export async function fallbackCopyGBps(gpu: Gpu): Promise<number> {
  const d = gpu.device;
  const size = 64 << 20;
  const a = d.createBuffer({ label: 'bench copy a', size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const b = d.createBuffer({ label: 'bench copy b', size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  try {
    const ms = await p50(
      async () => {
        const enc = d.createCommandEncoder({ label: 'bench copy' });
        enc.copyBufferToBuffer(a, 0, b, 0, size);
        d.queue.submit([enc.finish()]);
        await d.queue.onSubmittedWorkDone();
      },
      2,
      7,
    );
    return (2 * size) / (ms / 1000) / 1e9;
  } finally {
    a.destroy();
    b.destroy();
  }
}

/**
 * The probes for a run: roofline.ts's where it exports them, else the
 * labelled stand-ins above (each says so in the run's notes).
 */
export function rooflineProbes(mod: RooflineModule | null, why = 'src/gpu/roofline.ts is not present yet'): RooflineProbes {
  const probes: RooflineProbes = { describe: {} };
  const d = probes.describe!;
  if (mod?.measureMatmulGflops) {
    const f = mod.measureMatmulGflops;
    probes.matmulGflops = async (gpu) => {
      // p50 of 3 per blocking: the probe tries several blockings, and a 512³ run is slow on a software adapter.
      const r = await f(gpu, MATMUL_N, { warmup: 1, runs: 3 });
      const best = (r as { best?: { label?: string } } | null)?.best?.label;
      d.matmulGflops = `best f32 matmul over roofline.ts's blockings, ${MATMUL_N}³, p50 of 3 each${best ? ` (best: ${best})` : ''} (src/gpu/roofline.ts)`;
      return asNumber(r, ['gflops', 'GFLOPs', 'value'], 'measureMatmulGflops');
    };
    d.matmulGflops = `best f32 matmul, ${MATMUL_N}³, p50 of 3 per blocking (src/gpu/roofline.ts)`;
  } else {
    probes.matmulGflops = (gpu) => fallbackMatmulGflops(gpu);
    d.matmulGflops = `STAND-IN (${why}): the lab's dense kernel as a ${MATMUL_N}³ f32 matmul, p50 of 7`;
  }
  if (mod?.measureCopyGBps) {
    const f = mod.measureCopyGBps;
    probes.copyGBps = async (gpu) => asNumber(await f(gpu), ['gbps', 'GBps', 'value'], 'measureCopyGBps');
    d.copyGBps = 'copy kernel (src/gpu/roofline.ts)';
  } else {
    probes.copyGBps = fallbackCopyGBps;
    d.copyGBps = `STAND-IN (${why}): copyBufferToBuffer of 64 MiB, read + written bytes`;
  }
  if (mod?.measureRoundTripMs) {
    const f = mod.measureRoundTripMs;
    probes.roundTripMs = async (gpu) => asNumber(await f(gpu), ['p50', 'ms', 'value'], 'measureRoundTripMs');
    d.roundTripMs = 'empty submit + 40-byte readback, p50 (src/gpu/roofline.ts)';
  } else {
    probes.roundTripMs = fallbackRoundTripMs;
    d.roundTripMs = `STAND-IN (${why}): copy of 48 bytes + mapAsync of 40, p50 of 100`;
  }
  if (mod?.measureInt8Gops) {
    const f = mod.measureInt8Gops;
    probes.int8Gops = async (gpu) => asNumber(await f(gpu, 1024), ['gops', 'Gops', 'value'], 'measureInt8Gops');
    d.int8Gops = 'int8 dot-product rate (src/gpu/roofline.ts)';
  } else {
    probes.int8Gops = (gpu) =>
      measureInt8Gops(
        gpu,
        MATMUL_N,
        (label) => (d.int8Gops = `the lab's int8 dense kernel (${label}) as a ${MATMUL_N}³ int8 matmul (src/bench/probes.ts), p50 of 7`),
      );
    d.int8Gops = `the lab's int8 dense kernel as a ${MATMUL_N}³ int8 matmul (src/bench/probes.ts), p50 of 7`;
  }
  return probes;
}
