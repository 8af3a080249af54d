/**
 * The one timer module: GPU timestamps (timestamp-query) when the device has
 * them, else wall clock around queue.onSubmittedWorkDone(), labelled 'wall'.
 * Always warm up and report median and p90 over many runs.
 */

/** How a time was measured. */
export type TimingMethod = 'timestamp' | 'wall';

/** One measured sample (ms). */
export interface TimingSample {
  ms: number;
  method: TimingMethod;
}

/** Summary of repeated measurements. */
export interface TimingSummary {
  p50: number;
  p90: number;
  mean: number;
  min: number;
  runs: number;
  method: TimingMethod;
}

/** Quantile of sorted values (nearest rank). */
function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * Run `fn` `warmup` times unmeasured, then `runs` times. If `fn` resolves to
 * a TimingSample (e.g. GPU timestamps) that is the sample; otherwise the wall
 * time of the awaited call is (so `fn` must await the GPU work itself).
 */
export async function measure(fn: () => Promise<TimingSample | unknown>, options: { warmup?: number; runs?: number } = {}): Promise<TimingSummary> {
  const warmup = options.warmup ?? 3;
  const runs = options.runs ?? 20;
  if (!(runs >= 1)) throw new Error(`measure: runs must be ≥ 1, got ${runs}`);
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  let method: TimingMethod = 'timestamp';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await fn();
    const wall = performance.now() - t0;
    if (r && typeof r === 'object' && 'ms' in r && 'method' in r) {
      const s = r as TimingSample;
      samples.push(s.ms);
      if (s.method === 'wall') method = 'wall';
    } else {
      samples.push(wall);
      method = 'wall';
    }
  }
  const sorted = samples.slice().sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    min: sorted[0],
    runs,
    method,
  };
}

/**
 * Timestamp queries for up to `passes` compute passes: give each pass
 * `timestampWrites(i)`, call `resolve(encoder)` before finishing the command
 * buffer, then `read()` after submitting. Null when the device lacks
 * timestamp-query (callers fall back to wall time).
 */
export class PassTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private readonly readBuffer: GPUBuffer;

  private constructor(
    device: GPUDevice,
    readonly passes: number,
  ) {
    this.querySet = device.createQuerySet({ label: 'pass timer queries', type: 'timestamp', count: passes * 2 });
    this.resolveBuffer = device.createBuffer({
      label: 'pass timer resolve',
      size: passes * 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    this.readBuffer = device.createBuffer({ label: 'pass timer readback', size: passes * 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** A timer, or null when timestamp-query is not enabled on `device`. */
  static create(device: GPUDevice, passes: number): PassTimer | null {
    return device.features.has('timestamp-query') ? new PassTimer(device, passes) : null;
  }

  timestampWrites(i: number): GPUComputePassTimestampWrites {
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  resolve(encoder: GPUCommandEncoder, used: number): void {
    encoder.resolveQuerySet(this.querySet, 0, used * 2, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, this.readBuffer, 0, used * 16);
  }

  /** Per-pass durations (ms) and the span from the first begin to the last end. */
  async read(used: number): Promise<{ passes: number[]; totalMs: number }> {
    await this.readBuffer.mapAsync(GPUMapMode.READ, 0, used * 16);
    const t = new BigInt64Array(this.readBuffer.getMappedRange(0, used * 16).slice(0));
    this.readBuffer.unmap();
    const passes: number[] = [];
    for (let i = 0; i < used; i++) passes.push(Math.max(0, Number(t[2 * i + 1] - t[2 * i])) / 1e6);
    const totalMs = used ? Math.max(0, Number(t[2 * used - 1] - t[0])) / 1e6 : 0;
    return { passes, totalMs };
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
    this.readBuffer.destroy();
  }
}
