/**
 * Results for the Compare and Share screens: baseline speed-ups, the
 * accuracy-vs-latency Pareto front, and the JSON / CSV files users exchange
 * to compare devices. Imported files are validated field by field; a bad one
 * is refused whole, with the record and field named.
 */
import type { CompareRow, ResultRecord } from './types.ts';

/** `format` field of a shared results file. */
export const RESULTS_FORMAT = 'compression-lab-results';
export const RESULTS_VERSION = 1;

/** Rows with speed-up against `baselineId` (same device only) and Pareto membership per device. */
export function compareRows(results: ResultRecord[], baselineId?: string): CompareRow[] {
  const sorted = results.slice().sort((a, b) => a.device.localeCompare(b.device) || b.bytes - a.bytes || a.createdAt.localeCompare(b.createdAt));
  const base = sorted.find((r) => r.id === baselineId) ?? sorted.find((r) => r.source === 'measured' && r.runtime === 'fp32' && r.ratio <= 1.0001) ?? sorted[0];
  return sorted.map((r) => {
    const timed = r.latencyP50 !== undefined && base?.latencyP50 !== undefined;
    const sameDevice = !!base && base.device === r.device;
    const dominated = sorted.some(
      (o) =>
        o !== r &&
        o.device === r.device &&
        o.latencyP50 !== undefined &&
        r.latencyP50 !== undefined &&
        o.latencyP50 <= r.latencyP50 &&
        o.accuracy >= r.accuracy &&
        (o.latencyP50 < r.latencyP50 || o.accuracy > r.accuracy),
    );
    return {
      ...r,
      baseline: r === base,
      speedup: timed && sameDevice ? base.latencyP50! / r.latencyP50! : undefined,
      pareto: r.latencyP50 !== undefined && !dominated,
    };
  });
}

const COLUMNS: (keyof ResultRecord)[] = [
  'variant',
  'architecture',
  'runtime',
  'dataset',
  'count',
  'accuracy',
  'errors',
  'bytes',
  'fp32Bytes',
  'ratio',
  'flops',
  'nonZero',
  'latencyP50',
  'latencyP90',
  'timingMethod',
  'runs',
  'throughput',
  'throughputBatch',
  'gpuWeightBytes',
  'gpuWeightFp32',
  'untrained',
  'device',
  'source',
  'createdAt',
];

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'number' ? String(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Results as CSV (one row per result, header first; speed-up against the same baseline as Compare). */
export function resultsCsv(rows: CompareRow[]): string {
  const cols = [...COLUMNS, 'speedup', 'pareto'] as (keyof CompareRow)[];
  return [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\r\n') + '\r\n';
}

/** Results as a shareable JSON document. */
export function resultsJson(results: ResultRecord[], sharedBy: string): string {
  return JSON.stringify({ format: RESULTS_FORMAT, version: RESULTS_VERSION, exportedAt: new Date().toISOString(), sharedBy, results }, null, 2);
}

/** Parses a shared results file; throws naming the record and field at fault. Imported ids are new, so nothing stored is overwritten. */
export function parseResultsJson(text: string, source: string): ResultRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON (${(e as Error).message})`, { cause: e });
  }
  const d = doc as { format?: unknown; version?: unknown; results?: unknown; sharedBy?: unknown };
  if (!d || typeof d !== 'object' || d.format !== RESULTS_FORMAT)
    throw new Error(`${source}: not a Compression Lab results file (format should be "${RESULTS_FORMAT}")`);
  if (d.version !== RESULTS_VERSION) throw new Error(`${source}: results version ${String(d.version)}, this lab reads ${RESULTS_VERSION}`);
  if (!Array.isArray(d.results)) throw new Error(`${source}: "results" is not a list`);
  const num = (r: Record<string, unknown>, k: string, i: number, optional = false): number | undefined => {
    const v = r[k];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${source}: result ${i + 1}: "${k}" must be a finite number`);
    return v;
  };
  const str = (r: Record<string, unknown>, k: string, i: number): string => {
    const v = r[k];
    if (typeof v !== 'string' || !v) throw new Error(`${source}: result ${i + 1}: "${k}" must be a non-empty string`);
    return v.slice(0, 200);
  };
  const stamp = Date.now().toString(36);
  return d.results.map((raw, i): ResultRecord => {
    if (!raw || typeof raw !== 'object') throw new Error(`${source}: result ${i + 1} is not an object`);
    const r = raw as Record<string, unknown>;
    const accuracy = num(r, 'accuracy', i)!;
    if (accuracy < 0 || accuracy > 1) throw new Error(`${source}: result ${i + 1}: "accuracy" must be in [0, 1]`);
    const runtime = r.runtime;
    if (runtime !== 'fp32' && runtime !== 'int8' && runtime !== 'cpu') throw new Error(`${source}: result ${i + 1}: "runtime" must be fp32, int8 or cpu`);
    const method = r.timingMethod;
    if (method !== undefined && method !== 'timestamp' && method !== 'wall')
      throw new Error(`${source}: result ${i + 1}: "timingMethod" must be timestamp or wall`);
    return {
      id: `imported-${stamp}-${i}`,
      modelId: typeof r.modelId === 'string' ? r.modelId.slice(0, 200) : '',
      variant: str(r, 'variant', i),
      architecture: str(r, 'architecture', i),
      runtime,
      untrained: r.untrained === true,
      dataset: str(r, 'dataset', i),
      count: num(r, 'count', i)!,
      accuracy,
      errors: num(r, 'errors', i)!,
      bytes: num(r, 'bytes', i)!,
      fp32Bytes: num(r, 'fp32Bytes', i)!,
      ratio: num(r, 'ratio', i)!,
      flops: num(r, 'flops', i)!,
      nonZero: num(r, 'nonZero', i)!,
      latencyP50: num(r, 'latencyP50', i, true),
      latencyP90: num(r, 'latencyP90', i, true),
      timingMethod: method,
      runs: num(r, 'runs', i, true),
      throughput: num(r, 'throughput', i, true),
      throughputBatch: num(r, 'throughputBatch', i, true),
      gpuWeightBytes: num(r, 'gpuWeightBytes', i, true),
      gpuWeightFp32: num(r, 'gpuWeightFp32', i, true),
      sparseLayers: Array.isArray(r.sparseLayers) ? (r.sparseLayers as unknown[]).filter((x): x is string => typeof x === 'string').slice(0, 64) : undefined,
      layerMs: Array.isArray(r.layerMs)
        ? (r.layerMs as unknown[]).filter(
            (x): x is { layers: string; ms: number } =>
              !!x && typeof (x as { layers?: unknown }).layers === 'string' && Number.isFinite((x as { ms?: unknown }).ms),
          )
        : undefined,
      device: str(r, 'device', i),
      source: 'imported',
      createdAt: typeof r.createdAt === 'string' ? r.createdAt : new Date().toISOString(),
      sharedBy: typeof d.sharedBy === 'string' ? d.sharedBy.slice(0, 100) : undefined,
    };
  });
}
