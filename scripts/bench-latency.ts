/**
 * Batch-1 latency of the fp32 executor against the floor the benchmark uses
 * (src/bench/targets.ts latencyFloorMs: the empty submit + 40-byte readback
 * round trip, plus the model's FLOPs at the best measured f32 matmul rate),
 * measured in ONE run so the ratios compare on a shared, noisy machine.
 *
 *   node scripts/run-ts.mjs scripts/bench-latency.ts [--models a,b] [--runs N] [--batch N]
 *
 * Per model: b1 p50/p90 (logits readback, as `npm run bench` times the lab),
 * the floor and the ratio, what one batch-1 call does on the device
 * (dispatches, compute passes, command buffers, buffer writes, readback
 * copies and bytes — counted by wrapping the device, not derived from the
 * plan), where its wall time goes (before encoding / encoding / after
 * submit), the per-step GPU time at batch 1 (timestamp queries), and the
 * images/s at the throughput batch (default 256, 'none' readback as the
 * bench's throughput rows).
 */
import { parseArgs } from 'node:util';
import { acquireGpu, describeAdapter } from '../src/gpu/device.ts';
import type { Gpu } from '../src/gpu/device.ts';
import { measureMatmulGflops, measureRoundTripMs } from '../src/gpu/roofline.ts';
import { createExecutor, type InferenceTiming } from '../src/gpu/executor.ts';
import { resolveModel } from '../src/engine/node.ts';
import { loadDataset } from '../src/data/node-loader.ts';
import { toFloatBatch } from '../src/data/dataset.ts';
import { accountModel } from '../src/model/accounting.ts';
import { ARCHITECTURES } from '../src/model/architectures.ts';
import { measure } from '../src/gpu/timer.ts';
import { MATMUL_N } from '../src/bench/probes.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { models: { type: 'string' }, runs: { type: 'string' }, batch: { type: 'string' }, 'no-throughput': { type: 'boolean' } },
});
const models = values.models ? values.models.split(',') : Object.keys(ARCHITECTURES);
const runs = Number(values.runs ?? 100);
const bigBatch = Number(values.batch ?? 256);

/** What one call does on the device, counted through a wrapped GPUDevice. */
interface Counts {
  dispatches: number;
  passes: number;
  encoders: number;
  submits: number;
  commandBuffers: number;
  writeBuffers: number;
  writeBytes: number;
  readbackCopies: number;
  readbackBytes: number;
  /** performance.now() of the first encoder and of the last submit. */
  tEncoder: number;
  tSubmit: number;
}

const zero = (): Counts => ({
  dispatches: 0,
  passes: 0,
  encoders: 0,
  submits: 0,
  commandBuffers: 0,
  writeBuffers: 0,
  writeBytes: 0,
  readbackCopies: 0,
  readbackBytes: 0,
  tEncoder: 0,
  tSubmit: 0,
});

/** A proxy whose methods run on `target` (native objects check `this`), with some replaced. */
function wrap<T extends object>(target: T, over: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, k) {
      if (typeof k === 'string' && k in over) return over[k];
      const v = Reflect.get(t, k, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

function countingGpu(gpu: Gpu, c: { now: Counts }): Gpu {
  const d = gpu.device;
  const queue = wrap(d.queue, {
    writeBuffer: (buf: GPUBuffer, off: number, data: ArrayBufferView | ArrayBuffer, dataOff?: number, size?: number) => {
      c.now.writeBuffers++;
      c.now.writeBytes += size !== undefined ? (data instanceof ArrayBuffer ? size : size * ((data as Float32Array).BYTES_PER_ELEMENT ?? 1)) : data.byteLength;
      return d.queue.writeBuffer(buf, off, data as ArrayBuffer, dataOff, size);
    },
    submit: (bufs: GPUCommandBuffer[]) => {
      c.now.submits++;
      c.now.commandBuffers += bufs.length;
      c.now.tSubmit = performance.now();
      return d.queue.submit(bufs);
    },
  });
  const device = wrap(d, {
    queue,
    createCommandEncoder: (desc?: GPUCommandEncoderDescriptor) => {
      if (!c.now.encoders++) c.now.tEncoder = performance.now();
      const enc = d.createCommandEncoder(desc);
      return wrap(enc, {
        beginComputePass: (pd?: GPUComputePassDescriptor) => {
          c.now.passes++;
          const pass = enc.beginComputePass(pd);
          return wrap(pass, {
            dispatchWorkgroups: (x: number, y?: number, z?: number) => {
              c.now.dispatches++;
              return pass.dispatchWorkgroups(x, y, z);
            },
          });
        },
        copyBufferToBuffer: (src: GPUBuffer, so: number, dst: GPUBuffer, dOff: number, size: number) => {
          if (dst.usage & GPUBufferUsage.MAP_READ) {
            c.now.readbackCopies++;
            c.now.readbackBytes += size;
          }
          return enc.copyBufferToBuffer(src, so, dst, dOff, size);
        },
      });
    },
  });
  return { ...gpu, device };
}

const fmt = (x: number, d = 2): string => x.toFixed(d);

const gpu = await acquireGpu();
const counter = { now: zero() };
const cgpu = countingGpu(gpu, counter);
const test = await loadDataset('mnist', 'test');
console.log(`adapter: ${describeAdapter(gpu.report)}  (${new Date().toISOString()})`);
const rt = await measureRoundTripMs(gpu, { warmup: 10, runs: 100 });
const mm = await measureMatmulGflops(gpu, MATMUL_N, { warmup: 1, runs: 3 });
console.log(`round trip p50 ${fmt(rt.p50, 3)} ms (p90 ${fmt(rt.p90, 3)}); f32 matmul peak ${fmt(mm.best.gflops)} GFLOP/s (${mm.best.label}, ${MATMUL_N}³)`);

const rows: string[] = [];
for (const name of models) {
  const { model } = await resolveModel(name);
  const flops = accountModel(model.architecture).total.flops;
  const floor = rt.p50 + (flops / (mm.best.gflops * 1e9)) * 1000;
  const ex = await createExecutor(cgpu, model);
  try {
    const ones = Array.from({ length: 64 }, (_, i) => toFloatBatch(test, i, 1));
    let i = 0;
    // Warm-up also builds the latency instance and makes the sparse choices.
    for (let w = 0; w < 10; w++) await ex.run(ones[i++ % 64], 1, { readback: 'logits' });
    const phases = { before: 0, encode: 0, after: 0 };
    let last = zero();
    const lat = await measure(
      async () => {
        counter.now = zero();
        const t0 = performance.now();
        await ex.run(ones[i++ % 64], 1, { readback: 'logits' });
        const t1 = performance.now();
        last = counter.now;
        phases.before += last.tEncoder - t0;
        phases.encode += last.tSubmit - last.tEncoder;
        phases.after += t1 - last.tSubmit;
      },
      { warmup: 0, runs },
    );
    counter.now = zero();
    const per = (v: number): string => fmt(v / runs, 3);
    // Per-step GPU time: the median of 7 timed inferences (timestamps; one pass per step).
    const timed: InferenceTiming[] = [];
    for (let k = 0; k < 8; k++) timed.push(await ex.time(ones[0], 1));
    timed.shift();
    const t2 = timed[0];
    const med = (v: number[]): number => v.sort((a, b) => a - b)[v.length >> 1];
    const steps = t2.layers.map((l, k) => `${l.layers.join('+')} [${l.kernel}] ${fmt(med(timed.map((t) => t.layers[k].ms)), 3)}`).join('; ');
    let ips = NaN;
    if (!values['no-throughput']) {
      const xb = toFloatBatch(test, 0, bigBatch);
      const thr = await measure(() => ex.run(xb, bigBatch, { readback: 'none' }), { warmup: 1, runs: 5 });
      ips = bigBatch / (thr.p50 / 1000);
    }
    console.log(
      `\n${name}: b1 p50 ${fmt(lat.p50, 3)} ms, p90 ${fmt(lat.p90, 3)} ms; floor ${fmt(floor, 3)} ms (${fmt(flops / 1e6)} MFLOP); ratio ${fmt(lat.p50 / floor)}×; b${bigBatch} ${fmt(ips, 0)} img/s`,
    );
    console.log(
      `  per call: ${last.dispatches} dispatches, ${last.passes} passes, ${last.commandBuffers} command buffers in ${last.submits} submits, ${last.writeBuffers} writeBuffer (${last.writeBytes} B), ${last.readbackCopies} readback copies (${last.readbackBytes} B)`,
    );
    console.log(
      `  wall per call (mean): ${per(phases.before)} ms before encoding, ${per(phases.encode)} encoding, ${per(phases.after)} after submit (GPU + readback)`,
    );
    console.log(`  GPU at b1 (${t2.method}, median total ${fmt(med(timed.map((t) => t.totalMs)), 3)} ms): ${steps}`);
    rows.push(
      `| ${name} | ${fmt(lat.p50)} | ${fmt(lat.p90)} | ${fmt(floor)} | ${fmt(lat.p50 / floor)}× | ${last.dispatches} / ${last.passes} | ${last.readbackBytes} | ${fmt(ips, 0)} |`,
    );
  } finally {
    ex.destroy();
  }
}
console.log(`\n| model | b1 p50 ms | b1 p90 ms | floor ms | p50 ÷ floor | dispatches / passes | readback B | b${bigBatch} img/s |`);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
gpu.device.destroy();
