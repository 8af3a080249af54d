/**
 * The adapter's roofline, measured: best f32 matmul GFLOP/s over a few
 * blockings (register-blocked and workgroup-tiled), copy bandwidth (GB/s),
 * and the floor of a round trip (empty submit + 40-byte readback). The
 * benchmark puts model throughput next to these; `autotune` uses the same
 * probes to pick the GEMM variant per adapter, remembered in a store the
 * caller supplies (the worker persists it; tests pass a Map).
 */
import type { Gpu } from './device.ts';
import { describeAdapter } from './device.ts';
import type { GemmTiling } from './kernels/conv2d.ts';
import type { DenseParams, DenseTiling } from './kernels/dense.ts';
import type { MatmulParams } from './kernels/matmul.ts';
import type { AnyKernel } from './kernels/types.ts';
import { encodeUniforms } from './kernels/types.ts';
import type { GemmVariant } from './plan.ts';
import { sharedPipelineCache } from './pipelines.ts';
import { KERNELS } from './registry.ts';
import { readStaging, stagingBuffer, storageBuffer, uniformBuffer } from './buffers.ts';
import { bindKernel } from './bind.ts';
import type { TimingSummary } from './timer.ts';
import { measure, PassTimer } from './timer.ts';

/** A matmul blocking to try: register block (rows × 4·words per thread) or a workgroup tile. */
export type MatmulCandidate = { kind: 'register'; tm: number; tn4: number; wg: number } | { kind: 'tiled'; tile: DenseTiling };

/**
 * Register blocks 8×16, 16×16 and 8×32 (the fast ones on CPU adapters; 8×32
 * is the shape conv2d's default 16×8-word target gives LeNet-5's big layers)
 * and the 64×64×16 shared-memory tile (real GPUs).
 */
export const MATMUL_CANDIDATES: readonly MatmulCandidate[] = [
  { kind: 'register', tm: 8, tn4: 4, wg: 64 },
  { kind: 'register', tm: 16, tn4: 4, wg: 64 },
  { kind: 'register', tm: 8, tn4: 8, wg: 64 },
  { kind: 'tiled', tile: { m: 64, n: 64, k: 16 } },
];

export interface MatmulMeasurement {
  candidate: MatmulCandidate;
  /** Label, e.g. 'register 16×16' or 'tiled 64×64×16'. */
  label: string;
  timing: TimingSummary;
  /** 2·n³ / p50. */
  gflops: number;
  /** Pipeline creation (ms, wall clock). */
  compileMs: number;
}

export interface MatmulRoofline {
  n: number;
  best: MatmulMeasurement;
  all: MatmulMeasurement[];
}

/** Options of every probe: warm-up and measured runs (median and p90 are reported). */
export interface ProbeOptions {
  warmup?: number;
  runs?: number;
}

function candidateLabel(c: MatmulCandidate): string {
  return c.kind === 'register' ? `register ${c.tm}×${c.tn4 * 4}` : `tiled ${c.tile.m}×${c.tile.n}×${c.tile.k}`;
}

/**
 * Time `dispatches` back-to-back dispatches of `kernel` in one compute pass:
 * GPU timestamps when the device has them, else wall clock around
 * onSubmittedWorkDone (the summary says which).
 */
async function timeKernel(
  gpu: Gpu,
  kernel: AnyKernel,
  shape: object,
  buffers: Record<string, GPUBuffer>,
  options: ProbeOptions & { dispatches?: number },
): Promise<{ timing: TimingSummary; compileMs: number }> {
  const device = gpu.device;
  const t0 = performance.now();
  const compiled = await sharedPipelineCache(device).get(kernel, kernel.constants(shape));
  const compileMs = performance.now() - t0;
  const uniforms = uniformBuffer(device, `${kernel.name} probe params`, kernel.uniforms.length);
  device.queue.writeBuffer(uniforms, 0, encodeUniforms(kernel, kernel.uniformValues(shape)));
  const bindGroup = bindKernel(device, kernel, compiled.layout, buffers, uniforms, `roofline: ${kernel.name} probe`);
  const [x, y, z] = kernel.dispatch(shape, device.limits);
  const timer = PassTimer.create(device, 1);
  const n = options.dispatches ?? 1;
  try {
    const timing = await measure(
      async () => {
        const enc = device.createCommandEncoder({ label: `${kernel.name} probe` });
        const pass = enc.beginComputePass({ label: `${kernel.name} probe`, ...(timer ? { timestampWrites: timer.timestampWrites(0) } : {}) });
        pass.setPipeline(compiled.pipeline);
        pass.setBindGroup(0, bindGroup);
        for (let i = 0; i < n; i++) pass.dispatchWorkgroups(x, y, z);
        pass.end();
        if (timer) timer.resolve(enc, 1);
        device.queue.submit([enc.finish()]);
        if (!timer) return device.queue.onSubmittedWorkDone();
        const r = await timer.read(1);
        return { ms: r.passes[0] / n, method: 'timestamp' as const };
      },
      { warmup: options.warmup ?? 1, runs: options.runs ?? 5 },
    );
    // Wall-clock samples cover all n dispatches.
    if (timing.method === 'wall' && n > 1) for (const k of ['p50', 'p90', 'mean', 'min'] as const) timing[k] /= n;
    return { timing, compileMs };
  } finally {
    uniforms.destroy();
    timer?.destroy();
  }
}

/** Seeded values in [-1, 1): the probes' inputs (their values do not matter, NaN-free ones do). */
function filled(device: GPUDevice, label: string, floats: number): GPUBuffer {
  const data = new Float32Array(floats);
  for (let i = 0; i < floats; i++) data[i] = ((i * 2654435761) % 2001) / 1000 - 1;
  const b = storageBuffer(device, label, floats * 4);
  device.queue.writeBuffer(b, 0, data);
  return b;
}

/**
 * f32 matmul GFLOP/s of an n×n×n product for each candidate blocking, and
 * the best. n must be a multiple of 64. The default 512 keeps the probe
 * short on a software adapter (docs/benchmark.md, "Measurements behind
 * design choices"); the design notes' figures are for 1024.
 */
export async function measureMatmulGflops(
  gpu: Gpu,
  n = 512,
  options: ProbeOptions & { candidates?: readonly MatmulCandidate[] } = {},
): Promise<MatmulRoofline> {
  if (!Number.isInteger(n) || n < 64 || n % 64) throw new Error(`measureMatmulGflops: n must be a positive multiple of 64, got ${n}`);
  const device = gpu.device;
  const a = filled(device, 'matmul probe A', n * n);
  const b = filled(device, 'matmul probe B', n * n);
  const bias = storageBuffer(device, 'matmul probe bias (zeros)', n * 4);
  const c = storageBuffer(device, 'matmul probe C', n * n * 4);
  const all: MatmulMeasurement[] = [];
  try {
    for (const cand of options.candidates ?? MATMUL_CANDIDATES) {
      const r =
        cand.kind === 'register'
          ? await timeKernel(
              gpu,
              KERNELS.matmul,
              { m: n, n, k: n, tm: cand.tm, tn4: cand.tn4, wg: cand.wg } satisfies MatmulParams,
              { input: a, weight: b, output: c },
              options,
            )
          : await timeKernel(
              gpu,
              KERNELS.dense,
              { batch: n, rowsPerImage: 1, k: n, n, relu: false, tile: cand.tile } satisfies DenseParams,
              { input: a, weight: b, bias, output: c },
              options,
            );
      all.push({ candidate: cand, label: candidateLabel(cand), timing: r.timing, gflops: (2 * n ** 3) / (r.timing.p50 * 1e6), compileMs: r.compileMs });
    }
  } finally {
    for (const buf of [a, b, bias, c]) buf.destroy();
  }
  if (!all.length) throw new Error('measureMatmulGflops: no candidates');
  const best = all.reduce((x, y) => (y.gflops > x.gflops ? y : x));
  return { n, best, all };
}

/** Copy bandwidth: GB/s counting the read and the write (2 × bytes per copy). */
export async function measureCopyGBps(
  gpu: Gpu,
  bytes = 32 * 2 ** 20,
  options: ProbeOptions = {},
): Promise<{ bytes: number; gbps: number; timing: TimingSummary }> {
  const words = Math.ceil(bytes / 16);
  const device = gpu.device;
  const x = filled(device, 'copy probe source', words * 4);
  const y = storageBuffer(device, 'copy probe destination', words * 16);
  try {
    const { timing } = await timeKernel(gpu, KERNELS.copy, { words }, { input: x, output: y }, options);
    return { bytes: words * 16, gbps: (2 * words * 16) / (timing.p50 * 1e6), timing };
  } finally {
    x.destroy();
    y.destroy();
  }
}

/** The floor of any inference: an empty submit plus a 40-byte readback, wall clock (ms). */
export async function measureRoundTripMs(gpu: Gpu, options: ProbeOptions = {}): Promise<TimingSummary> {
  const device = gpu.device;
  const src = storageBuffer(device, 'round-trip probe source', 48);
  const staging = stagingBuffer(device, 'round-trip probe readback', 48);
  try {
    return await measure(
      async () => {
        const enc = device.createCommandEncoder({ label: 'round-trip probe' });
        enc.copyBufferToBuffer(src, 0, staging, 0, 48);
        device.queue.submit([enc.finish()]);
        await readStaging(staging, 40);
      },
      { warmup: options.warmup ?? 3, runs: options.runs ?? 20 },
    );
  } finally {
    src.destroy();
    staging.destroy();
  }
}

/** What `autotune` chose for an adapter: spread into createExecutor's options. */
export interface TuneResult {
  /** describeAdapter() of the adapter it was measured on (the store key). */
  adapter: string;
  variant: GemmVariant;
  registerTiling: GemmTiling;
  denseTiling: DenseTiling;
  /** The probe's figures, for the benchmark page. */
  measured: { label: string; gflops: number }[];
  /** ms since epoch. */
  at: number;
}

/** Where tune results live between sessions: a Map, or the worker's IndexedDB-backed store. */
export interface TuneStore {
  get(adapter: string): TuneResult | undefined | Promise<TuneResult | undefined>;
  set(adapter: string, result: TuneResult): unknown;
}

/**
 * Pick the GEMM variant for this adapter by timing each matmul candidate
 * briefly (256³, a couple of runs: short even on a software adapter);
 * remembered in `store` by adapter description, so later sessions skip the
 * probe. The register candidate's block becomes the conv2d register
 * tiling (rows per thread; channel words); the tiled one the dense tile.
 */
export async function autotune(gpu: Gpu, store?: TuneStore, options: { n?: number; candidates?: readonly MatmulCandidate[] } = {}): Promise<TuneResult> {
  const adapter = describeAdapter(gpu.report);
  const known = await store?.get(adapter);
  if (known) return known;
  const roof = await measureMatmulGflops(gpu, options.n ?? 256, { warmup: 1, runs: 3, candidates: options.candidates });
  const bestRegister = roof.all
    .filter((m) => m.candidate.kind === 'register')
    .reduce<MatmulMeasurement | undefined>((x, y) => (!x || y.gflops > x.gflops ? y : x), undefined);
  const bestTiled = roof.all
    .filter((m) => m.candidate.kind === 'tiled')
    .reduce<MatmulMeasurement | undefined>((x, y) => (!x || y.gflops > x.gflops ? y : x), undefined);
  const reg = bestRegister?.candidate.kind === 'register' ? bestRegister.candidate : { tm: 8, tn4: 4, wg: 64 };
  const result: TuneResult = {
    adapter,
    variant: roof.best.candidate.kind === 'tiled' ? 'tiled' : 'register',
    registerTiling: { wg: reg.wg, tm: reg.tm, tn4: reg.tn4 },
    denseTiling: bestTiled?.candidate.kind === 'tiled' ? bestTiled.candidate.tile : { m: 64, n: 64, k: 16 },
    measured: roof.all.map((m) => ({ label: m.label, gflops: m.gflops })),
    at: Date.now(),
  };
  await store?.set(adapter, result);
  return result;
}
