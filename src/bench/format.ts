/**
 * The benchmark's readable report: plain-text tables of a {@link BenchRun},
 * the same in the terminal, in the bench page and in docs/benchmark.md
 * (Markdown variant). Pure string building, no Node or DOM APIs.
 */
import type { BenchRun, BenchResult, Runtime, TargetCheck } from './schema.ts';
import { RUNTIMES, fmt } from './schema.ts';

/** A text table: right-aligned numeric-looking cells, left-aligned text; or a Markdown table. */
export function table(header: string[], rows: string[][], markdown = false): string {
  if (markdown) {
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    return [`| ${header.map(esc).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d,.]+\*?( ?[%×x])?$|^—$|^skipped$/.test(r[i] ?? '')));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? (c ?? '').padStart(widths[i]) : (c ?? '').padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(x >= 0.9995 && x < 1 ? 2 : 1)} %`;
}

function ratio(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${fmt(x)}×`;
}

function sortResults(results: readonly BenchResult[]): BenchResult[] {
  return results
    .slice()
    .sort(
      (a, b) =>
        a.model.localeCompare(b.model) ||
        a.precision.localeCompare(b.precision) ||
        RUNTIMES.indexOf(a.runtime) - RUNTIMES.indexOf(b.runtime) ||
        a.batch - b.batch,
    );
}

/**
 * The main table: one row per (model, precision, runtime), batch-1 latency
 * then images/s per batch, and the lab/peer throughput ratio at the largest batch.
 */
export function resultsTable(run: BenchRun, markdown = false): string {
  const batches = run.options.batches;
  const top = Math.max(...batches);
  const header = ['model', 'prec', 'runtime', 'b1 p50 ms', 'b1 p90 ms', 'b1 runs', 'b1 img/s', ...batches.map((b) => `b${b} img/s`), `lab÷this @${top}`];
  const groups = new Map<string, BenchResult[]>();
  for (const r of sortResults(run.results)) {
    const k = `${r.model}|${r.precision}|${r.runtime}`;
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(r);
  }
  const rows: string[][] = [];
  for (const rs of groups.values()) {
    const first = rs[0];
    const at = (b: number) => rs.find((r) => r.batch === b);
    const one = at(1);
    if (rs.every((r) => r.status !== 'ok')) {
      const why = (rs.find((r) => r.note)?.note ?? rs[0].status).slice(0, 60);
      rows.push([
        first.model,
        first.precision,
        first.runtime,
        first.status === 'not-available' ? 'not available yet' : first.status,
        why,
        '',
        '',
        ...batches.map(() => ''),
        '',
      ]);
      continue;
    }
    // lab÷this at the largest batch both measured (the top batch may be skipped for a slow peer).
    const labRatio = [...batches]
      .reverse()
      .map((b) => run.ratios.find((q) => q.model === first.model && q.batch === b && q.peer === first.runtime && q.precision === 'fp32'))
      .find(Boolean);
    const cell = (r: BenchResult | undefined): string => (r?.status === 'skipped' ? 'skipped' : fmt(r?.imagesPerSecond));
    rows.push([
      first.model,
      first.precision,
      first.runtime,
      fmt(one?.latencyP50Ms),
      fmt(one?.latencyP90Ms),
      one ? `${one.runs}${one.sampled ? '*' : ''}` : '—',
      fmt(one?.imagesPerSecond),
      ...batches.map((b) => cell(at(b))),
      first.runtime === 'lab' ? '' : labRatio ? `${ratio(labRatio.throughputRatio)}${labRatio.batch !== top ? ` @${labRatio.batch}` : ''}` : '—',
    ]);
  }
  return table(header, rows, markdown);
}

/** Lab/peer ratios for every figure: throughput ratio and batch-1 latency speedup. */
export function ratiosTable(run: BenchRun, markdown = false): string {
  const rows = run.ratios.map((r) => [r.model, r.precision, `b${r.batch}`, r.peer, ratio(r.throughputRatio), ratio(r.latencySpeedup)]);
  return table(['model', 'lab prec', 'batch', 'vs', 'img/s ratio', 'p50 speedup'], rows, markdown);
}

/** The device roofline and each lab row's fraction of it. */
export function rooflineTable(run: BenchRun, markdown = false): string {
  const r = run.roofline;
  const head = table(
    ['f32 matmul GFLOP/s', 'int8 Gops/s', 'copy GB/s', 'empty round trip ms'],
    [[fmt(r.matmulGflops), fmt(r.int8Gops), fmt(r.copyGBps), fmt(r.roundTripMs)]],
    markdown,
  );
  const rows = run.rooflineRows.map((x) => [x.model, x.precision, `b${x.batch}`, fmt(x.achievedGops), fmt(x.peakGops), pct(x.fraction)]);
  return `${head}\n\n${table(['model', 'prec', 'batch', 'achieved G(FL)OP/s', 'peak', 'of peak'], rows, markdown)}`;
}

/** Load time breakdown per model and precision. */
export function loadTable(run: BenchRun, markdown = false): string {
  const rows: string[][] = [];
  for (const m of run.models) {
    for (const [p, l] of Object.entries(m.load)) {
      if (!l) continue;
      rows.push([m.model, p, fmt(l.parseMs), fmt(l.quantizeMs), fmt(l.uploadMs), fmt(l.pipelineMs), fmt(l.totalMs)]);
    }
  }
  return table(['model', 'prec', 'parse ms', 'quantize ms', 'upload ms', 'pipelines ms', 'total ms'], rows, markdown);
}

/** Per-layer GPU time (timestamp queries). */
export function layersTable(run: BenchRun, markdown = false): string {
  const rows: string[][] = [];
  for (const m of run.models) for (const l of m.layers) rows.push([m.model, l.precision, `b${l.batch}`, l.layers.join('+'), l.kernel, fmt(l.ms)]);
  return table(['model', 'precision', 'batch', 'layers', 'kernel', 'GPU ms (p50)'], rows, markdown);
}

/** Top-1 agreement with the lab fp32 engine and accuracy on the labels. */
export function agreementTable(run: BenchRun, markdown = false): string {
  const rows: string[][] = [];
  for (const m of run.models) {
    rows.push([
      m.model,
      'lab fp32',
      m.labAccuracyImages !== undefined ? `(${m.labAccuracyImages} images)` : '',
      '',
      pct(m.labAccuracy),
      `${m.weights} (${m.weightSource})`,
    ]);
    for (const a of m.agreement)
      rows.push([
        m.model,
        a.runtime,
        `${a.agree}/${a.images}${a.images < a.requested ? '*' : ''}`,
        pct(a.fraction),
        pct(a.accuracy),
        a.images < a.requested ? `sampled: time budget (asked ${a.requested})` : '',
      ]);
  }
  return table(['model', 'runtime', 'agree', 'agreement', 'accuracy', 'weights / note'], rows, markdown);
}

/** The article's relations on the measured numbers. */
export function relationsTable(run: BenchRun, markdown = false): string {
  const rows = run.relations.map((r) => [
    r.runtime,
    r.model,
    r.precision,
    `b${r.batch}`,
    r.relation,
    `${fmt(r.predicted)} ${r.unit}`,
    `${fmt(r.measured)} ${r.unit}`,
    `${(r.deviation * 100).toFixed(1)} %`,
    r.holds ? 'holds' : 'off',
  ]);
  return table(['runtime', 'model', 'prec', 'batch', 'relation', 'predicted', 'measured', 'dev.', ''], rows, markdown);
}

function targetValue(t: TargetCheck, x: number): string {
  if (t.unit === '%') return pct(x);
  if (t.unit === 'min') return `${fmt(x)} min`;
  return ratio(x);
}

/** Each target with its measured value and PASS/MISS/N/A (a star when its measurement was sampled). */
export function targetsTable(run: BenchRun, markdown = false): string {
  const rows = run.targets.map((t) => [
    `${t.status}${t.sampled && t.status !== 'N/A' ? '*' : ''}`,
    t.name,
    t.measured === null ? '—' : targetValue(t, t.measured),
    `${t.comparison} ${t.unit === '%' ? pct(t.threshold) : t.unit === 'min' ? `${t.threshold} min` : `${t.threshold}×`}`,
    t.sampled ? `${t.detail} [* ${t.sampled}]` : t.detail,
  ]);
  return table(['status', 'target', 'measured', 'needs', 'detail'], rows, markdown);
}

/** Training throughput: GPU trainer and CPU reference per model, and the GPU÷CPU speedup. */
export function trainingTable(run: BenchRun, markdown = false): string {
  const rows: string[][] = [];
  for (const t of run.training) {
    const cpu = run.training.find((c) => c.runtime === 'cpu-reference' && c.model === t.model && c.status === 'ok');
    rows.push([
      t.model,
      t.runtime === 'lab' ? 'lab (GPU trainer)' : 'cpu-reference',
      `${t.batch}`,
      t.status === 'ok' ? fmt(t.imagesPerSecond) : t.status,
      t.status === 'ok' ? `${t.images}` : '',
      t.imagesPerSecond ? `${fmt(60_000 / t.imagesPerSecond / 60)} min` : '—',
      t.runtime === 'lab' && cpu?.imagesPerSecond && t.imagesPerSecond ? ratio(t.imagesPerSecond / cpu.imagesPerSecond) : '',
      t.setupMs ? fmt(t.setupMs) : '',
      t.status === 'ok' ? '' : (t.note ?? '').slice(0, 80),
    ]);
  }
  return table(['model', 'trainer', 'batch', 'train img/s', 'timed images', '60k-image epoch', 'GPU÷CPU', 'set-up ms', 'note'], rows, markdown);
}

/** Executing from compressed weights vs an fp32 copy: resident weight bytes, b1 p50, images/s, compressed ÷ decoded. */
export function compressedWeightsTable(run: BenchRun, markdown = false): string {
  const rows = (run.compressedWeights ?? []).map((r) => [
    r.model,
    r.compression,
    r.weights,
    r.kernels.join(', '),
    r.residentWeightBytes === null ? r.status : `${fmt(r.residentWeightBytes / 1024)} KiB`,
    r.fp32WeightBytes === null ? '' : `${fmt(r.fp32WeightBytes / 1024)} KiB`,
    r.latencyP50Ms === null ? '' : fmt(r.latencyP50Ms),
    r.imagesPerSecond === null ? '' : fmt(r.imagesPerSecond),
    r.bytesRatio === undefined ? '' : ratio(r.bytesRatio),
    r.latencySpeedup === undefined ? '' : ratio(r.latencySpeedup),
    r.throughputRatio === undefined ? '' : ratio(r.throughputRatio),
    r.agreement === undefined ? '' : `${fmt(r.agreement * 100)} %`,
  ]);
  const b = run.compressedWeights?.[0]?.batch ?? 256;
  return table(
    [
      'model',
      'sharing',
      'weights',
      'kernels',
      'GPU weight bytes',
      'of which fp32',
      'b1 p50 ms',
      `b${b} img/s`,
      'bytes ×',
      'b1 speedup',
      'img/s ×',
      'top-1 = decoded',
    ],
    rows,
    markdown,
  );
}

function pruned(r: { sparsity: number; kmeansBits?: number }): string {
  return `${fmt(r.sparsity * 100)} %${r.kmeansBits ? ` + ${r.kmeansBits}-bit k-means` : ''}`;
}

/** Does sparsity pay? One row per pruning level: batch-1 p50 and images/s through the dense kernel, the sparse kernel and 'auto', with sparse ÷ dense. */
export function sparsityTable(run: BenchRun, markdown = false): string {
  const rows = (run.sparsity ?? []).map((r) => [
    r.model,
    r.status === 'skipped' ? '—' : pruned(r),
    fmt(r.dense.latencyP50Ms),
    fmt(r.sparse.latencyP50Ms),
    fmt(r.auto.latencyP50Ms),
    ratio(r.latencySpeedup),
    fmt(r.dense.imagesPerSecond),
    fmt(r.sparse.imagesPerSecond),
    fmt(r.auto.imagesPerSecond),
    ratio(r.throughputRatio),
    pct(r.agreement),
    r.status === 'ok' ? '' : `${r.status}: ${r.note ?? ''}`,
  ]);
  const b = run.sparsity?.[0]?.batch ?? 256;
  return table(
    [
      'model',
      'pruned',
      'b1 dense ms',
      'b1 sparse ms',
      'b1 auto ms',
      'b1 dense÷sparse',
      `b${b} dense img/s`,
      `b${b} sparse img/s`,
      `b${b} auto img/s`,
      'sparse÷dense img/s',
      'top-1 same',
      'note',
    ],
    rows,
    markdown,
  );
}

/** Per dense layer and batch: GPU time through each kernel (timestamps), dense ÷ sparse, and what 'auto' picked (with the times it measured). */
export function sparsityLayersTable(run: BenchRun, markdown = false): string {
  const rows = (run.sparsity ?? []).flatMap((r) =>
    r.layers.map((l) => [
      r.model,
      pruned(r),
      l.layers,
      String(l.batch),
      pct(l.density),
      fmt(l.denseMs),
      fmt(l.sparseMs),
      ratio(l.denseMs && l.sparseMs ? l.denseMs / l.sparseMs : null),
      l.autoDenseMs === undefined ? `${l.autoPick} (no zeros)` : `${l.autoPick} (${fmt(l.autoDenseMs)} vs ${fmt(l.autoSparseMs)} ms)`,
      l.autoCostMs === undefined ? '' : fmt(l.autoCostMs),
    ]),
  );
  return table(
    ['model', 'pruned', 'layer', 'batch', 'density', 'dense ms', 'sparse ms', 'dense÷sparse', 'auto picked (dense vs sparse)', 'auto cost ms'],
    rows,
    markdown,
  );
}

/** The whole readable report of one environment's run. */
export function formatRun(run: BenchRun, markdown = false): string {
  const a = run.adapter;
  const adapter = a
    ? `${[a.vendor, a.architecture, a.device || a.description].filter(Boolean).join(' / ')}${a.software ? ' (software)' : ''}, timestamp-query ${a.features.timestampQuery ? 'yes' : 'no'}, dot4I8Packed ${a.wgslLanguageFeatures.packed4x8IntegerDotProduct ? 'yes' : 'no'}`
    : 'no adapter';
  const h = (s: string) => (markdown ? `\n#### ${s}\n` : `\n== ${s} ==`);
  const parts = [
    markdown ? `### ${run.environment}` : `######## ${run.environment.toUpperCase()} ########`,
    `adapter: ${adapter}`,
    `host: ${run.host}`,
    `started ${run.startedAt}, took ${(run.durationMs / 1000).toFixed(0)} s`,
    h('round trip latency (batch 1) and throughput'),
    resultsTable(run, markdown),
    h('lab ÷ peer (>1: lab better)'),
    ratiosTable(run, markdown),
    h('device roofline (measured in this run)'),
    rooflineTable(run, markdown),
    h('model load'),
    loadTable(run, markdown),
    h(`GPU time per layer (${run.models[0]?.layerTimingMethod ?? 'none'})`),
    layersTable(run, markdown),
    h('top-1 agreement with the lab fp32 engine'),
    agreementTable(run, markdown),
    ...(run.compressedWeights?.length
      ? [h('executing from compressed weights (indices + codebook / hash table) vs an fp32 copy'), compressedWeightsTable(run, markdown)]
      : []),
    ...(run.sparsity?.length
      ? [
          h('does sparsity pay? pruned dense layers through the dense and the sparse (CSR) kernel'),
          sparsityTable(run, markdown),
          h('per dense layer: GPU time by kernel, and what auto picked'),
          sparsityLayersTable(run, markdown),
        ]
      : []),
    h('training throughput (forward + backward + Adam update, batch 64)'),
    trainingTable(run, markdown),
    h("the article's relations on measured numbers"),
    relationsTable(run, markdown),
    h('targets'),
    targetsTable(run, markdown),
  ];
  const notes = [...run.roofline.notes, ...run.notes];
  if (run.results.some((r) => r.sampled) || run.targets.some((t) => t.sampled))
    notes.unshift(
      '* = sampled to fit the time budgets: fewer batch-1 runs or agreement images than asked, or a peer compared at a smaller batch (see each row)',
    );
  if (notes.length) parts.push(h('notes'), notes.map((n) => `- ${n}`).join('\n'));
  return parts.join('\n');
}

/** Every runtime name used in a run, in table order (for legends). */
export function runtimesIn(run: BenchRun): Runtime[] {
  return RUNTIMES.filter((r) => run.results.some((x) => x.runtime === r));
}
