import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { JobController } from '../controllers/job.ts';
import { LabStateController } from '../controllers/lab-state.ts';
import { bytes, datasetTitle, fixed, int, ms, pct, times } from '../format.ts';
import { PALETTE, variantColor } from '../palette.ts';
import { sharedStyles } from './shared-styles.ts';
import { jobView } from './job-view.ts';
import { runtimeBadge } from './badges.ts';
import './lab-chart.ts';
import type { ChartSeries } from './lab-chart.ts';
import type { CompareRow, ResultRecord } from '../../src/worker/types.ts';

/** A result's colour class (web/palette.ts): int8 runtime, else compressed (stored smaller than fp32), else fp32. */
function colorOf(r: CompareRow): string {
  return variantColor({ runtime: r.runtime, compressed: r.ratio > 1.001 });
}

/** Point styles that tell devices apart while colour tells the runtime: filled, hollow, then smaller. */
const DEVICE_MARKS = [{ hollow: false }, { hollow: true }, { hollow: false, small: true }, { hollow: true, small: true }];

/** The Compare screen: every measured variant side by side, grouped by device, with accuracy/size and accuracy/latency plots and per-layer GPU time. */
@customElement('compare-screen')
export class CompareScreen extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      /* The table fits a 1280 px window: names wrap, numbers do not, the device heads its group instead of taking a column. */
      table.compare {
        width: 100%;
      }
      table.compare td.name {
        min-width: 9rem;
        overflow-wrap: break-word;
      }
      table.compare th,
      table.compare td {
        padding-left: 0.45rem;
        padding-right: 0.45rem;
      }
      table.compare td.name .ds,
      table.compare .sub {
        display: block;
        font-weight: 400;
      }
      table.compare tr.group th {
        padding-top: 0.8rem;
        font-size: 0.95rem;
        white-space: normal;
        border-bottom: 2px solid #8886;
      }
      @media (max-width: 600px) {
        table.compare tr.group {
          border: 0;
          padding: 0;
          margin: 1rem 0 0;
        }
        table.compare tr.group th {
          display: block;
          padding: 0;
          border: 0;
        }
      }
    `,
  ];

  #state = new LabStateController(this);
  #measure = new JobController<ResultRecord>(this);
  @state() private measureId: string | undefined;
  @state() private limit = 10000;
  @state() private layersOf: string | undefined;

  async #run(): Promise<void> {
    const s = this.#state.state;
    const id = this.measureId ?? s.selectedId;
    if (!id) return;
    const r = await this.#measure.run((p, job) => lab().evaluate(id, { limit: this.limit }, p, job));
    if (r) {
      this.layersOf = r.id;
      // A bundled model measured for the first time was downloaded for it (Models shows that).
      await Promise.all([s.refreshResults(), s.refreshModels()]);
    }
  }

  async #baseline(e: Event): Promise<void> {
    this.#state.state.baselineId = (e.target as HTMLSelectElement).value;
    await this.#state.state.refreshResults();
  }

  async #delete(r: CompareRow): Promise<void> {
    await this.#state.state.deleteResult(r.id);
  }

  #charts(rows: CompareRow[]) {
    const devices = [...new Set(rows.map((r) => r.device))];
    const several = devices.length > 1;
    const kinds = [
      { name: 'fp32', color: PALETTE.fp32 },
      { name: 'compressed', color: PALETTE.compressed },
      { name: 'int8', color: PALETTE.int8 },
    ];
    // One series per runtime colour (and per device when there are several: filled, hollow, …).
    const byKind = (pick: (r: CompareRow) => { x: number; y: number } | undefined): ChartSeries[] =>
      devices.flatMap((d, di) =>
        kinds.flatMap((k) => {
          const points = rows
            .filter((r) => r.device === d && colorOf(r) === k.color)
            .flatMap((r) => pick(r) ?? [])
            .filter(Boolean);
          if (!points.length) return [];
          return [{ label: several ? `${k.name} — ${d}` : k.name, color: k.color, points, ...DEVICE_MARKS[di % DEVICE_MARKS.length] }];
        }),
      );
    const size = byKind((r) => ({ x: r.bytes / 1e3, y: r.accuracy * 100 }));
    const timed = rows.filter((r) => r.latencyP50 !== undefined);
    const lat: ChartSeries[] = [
      ...byKind((r) => (r.latencyP50 === undefined ? undefined : { x: r.latencyP50, y: r.accuracy * 100 })),
      ...devices.flatMap((d) => {
        const front = timed.filter((r) => r.device === d && r.pareto).sort((a, b) => a.latencyP50! - b.latencyP50!);
        return front.length > 1
          ? [
              {
                label: `Pareto front${several ? ` (${d})` : ''}`,
                color: PALETTE.accent,
                line: true,
                points: front.map((r) => ({ x: r.latencyP50!, y: r.accuracy * 100 })),
              },
            ]
          : [];
      }),
    ];
    // One result: nothing to compare it with yet, so say what to add (once, in place of the charts).
    const hint =
      rows.length < 2
        ? `Only ${rows[0]?.variant ?? 'one variant'} is measured so far, so there is nothing to compare it with yet. Add a compressed variant to compare: build one in Compress (e.g. prune, then int8) and measure it; each chart then shows where it lands against this one.`
        : '';
    const withLayers = rows.filter((r) => r.layerMs?.length);
    const chosen = withLayers.find((r) => r.id === this.layersOf) ?? withLayers[withLayers.length - 1];
    return html`
      <lab-chart
        caption="Accuracy vs stored size"
        xLabel="stored weights (KB, log scale)"
        xUnit=" KB"
        yLabel="accuracy (%)"
        yUnit=" %"
        yMin="0"
        yMax="100"
        logX
        .emptyHint=${hint}
        .series=${size}
      ></lab-chart>
      ${
        timed.length && !hint
          ? html`<lab-chart
              caption="Accuracy vs batch-1 latency (line: Pareto front)"
              xLabel="latency p50 (ms)"
              xUnit=" ms"
              yLabel="accuracy (%)"
              yUnit=" %"
              yMin="0"
              yMax="100"
              .series=${lat}
            ></lab-chart>`
          : ''
      }
      ${
        chosen
          ? html`<div class="row">
                <label for="layers-of">Per-layer GPU time of</label>
                <select id="layers-of" @change=${(e: Event) => (this.layersOf = (e.target as HTMLSelectElement).value)}>
                  ${withLayers.map((r) => html`<option value=${r.id} ?selected=${r === chosen}>${r.variant} — ${r.device}</option>`)}
                </select>
              </div>
              <lab-chart
                kind="bars"
                caption=${`Per-layer GPU time, ${chosen.variant} (batch 1, median, GPU timestamps)`}
                xLabel="GPU step (fused layers joined by +)"
                yLabel="ms"
                yUnit=" ms"
                .barColor=${colorOf(chosen)}
                .categories=${chosen.layerMs!.map((l) => l.layers)}
                .values=${chosen.layerMs!.map((l) => l.ms)}
              ></lab-chart>`
          : html`<p class="muted">Per-layer GPU time appears for float variants measured on an adapter with timestamp-query.</p>`
      }
    `;
  }

  #row(r: CompareRow) {
    return html`<tr data-testid="result-row" data-variant=${r.variant}>
      <td class="name">
        ${r.variant}<span class="visually-hidden"> on ${r.device}</span
        >${r.untrained ? html`<span class="tag warn">untrained</span>` : ''}${r.pareto ? html`<span class="tag" title="on the accuracy/latency Pareto front">Pareto</span>` : ''}${r.baseline ? html`<span class="tag">baseline</span>` : ''}${r.source === 'imported' ? html`<span class="tag">imported${r.sharedBy ? ` from ${r.sharedBy}` : ''}</span>` : ''}
        <span class="ds muted" data-testid="result-dataset">${datasetTitle(r.dataset)}</span>
      </td>
      <td data-label="Runs as">
        ${runtimeBadge(r.runtime, colorOf(r))}${r.sparseLayers?.length ? html`<span class="muted sub" title="layers run by the sparse kernel: it measured faster than the dense one on this device">sparse ${r.sparseLayers.join(', ')}</span>` : ''}
      </td>
      <td class="n" data-label="Accuracy">${pct(r.accuracy)}<span class="muted sub">${int(r.errors)} / ${int(r.count)} wrong</span></td>
      <td class="n" data-label="Stored">
        ${bytes(r.bytes)}${r.gpuWeightBytes !== undefined ? html`<span class="muted sub" title="weight bytes held on the GPU while it ran${r.gpuWeightFp32 === 0 ? ': no fp32 copy' : ''}">GPU ${bytes(r.gpuWeightBytes)}</span>` : ''}
      </td>
      <td class="n" data-label="× smaller">${times(r.ratio)}</td>
      <td class="n" data-label="FLOPs">${int(r.flops)}</td>
      <td class="n" data-label="p50">${ms(r.latencyP50)}</td>
      <td class="n" data-label="p90">${ms(r.latencyP90)}</td>
      <td class="n" data-label="Images/s">
        ${r.throughput !== undefined ? html`${fixed(r.throughput, 0)}<span class="muted sub">batch ${r.throughputBatch}</span>` : '—'}
      </td>
      <td class="n" data-label="Speed-up">${times(r.speedup)}</td>
      <td data-label="">
        <button class="secondary" aria-label="Delete result ${r.variant} (${r.device})" @click=${() => this.#delete(r)}>Delete</button>
      </td>
    </tr>`;
  }

  override render() {
    const s = this.#state.state;
    const rows = s.results;
    const measureId = this.measureId ?? s.selectedId;
    return html`
      <div class="row">
        <label for="measure-variant">Measure</label>
        <select id="measure-variant" data-testid="measure-select" @change=${(e: Event) => (this.measureId = (e.target as HTMLSelectElement).value)}>
          ${s.models.map((m) => html`<option value=${m.id} ?selected=${m.id === measureId}>${m.name}</option>`)}
        </select>
        <label for="measure-limit" class="visually-hidden">Test images</label>
        <select id="measure-limit" data-testid="measure-limit" @change=${(e: Event) => (this.limit = Number((e.target as HTMLSelectElement).value))}>
          ${[1000, 10000].map((n) => html`<option value=${n} ?selected=${n === this.limit}>${n.toLocaleString('en-US')} test images</option>`)}
        </select>
        <button data-testid="measure-run" ?disabled=${this.#measure.running} @click=${this.#run}>Measure</button>
      </div>
      ${jobView(this.#measure, 'measure', 'Measurement')}
      ${
        rows.length === 0
          ? html`<p data-testid="no-results">No results yet: measure a variant (here, on Models, or after compressing).</p>`
          : html`
              <div class="row">
                <label for="baseline">Speed-up against</label>
                <select id="baseline" @change=${this.#baseline}>
                  ${rows.map((r) => html`<option value=${r.id} ?selected=${r.baseline}>${r.variant} — ${r.device}</option>`)}
                </select>
              </div>
              ${rows.some((r) => r.untrained) ? html`<p class="note">Rows marked <em>untrained</em> have random weights: their accuracy is chance, not a property of the technique.</p>` : ''}
              <div class="scroll">
                <table class="cards compare" data-testid="results-table">
                  <caption>
                    Accuracy on the test split of each model's dataset; latency = batch 1, end to end (upload, kernels, readback), wall clock; throughput at the
                    batch shown. Stored = file bytes; GPU = weight bytes held on the GPU while it ran. Grouped by the device that measured them.
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Variant</th>
                      <th scope="col">Runs as</th>
                      <th scope="col" class="n">Accuracy</th>
                      <th scope="col" class="n">Stored</th>
                      <th scope="col" class="n">× smaller</th>
                      <th scope="col" class="n">FLOPs</th>
                      <th scope="col" class="n">p50</th>
                      <th scope="col" class="n">p90</th>
                      <th scope="col" class="n">Images/s</th>
                      <th scope="col" class="n">Speed-up</th>
                      <th scope="col"><span class="visually-hidden">Actions</span></th>
                    </tr>
                  </thead>
                  ${[...new Set(rows.map((r) => r.device))].map(
                    (device) =>
                      html`<tbody>
                        <tr class="group" data-testid="device-group">
                          <th scope="rowgroup" colspan="11">${device}</th>
                        </tr>
                        ${rows.filter((r) => r.device === device).map((r) => this.#row(r))}
                      </tbody>`,
                  )}
                </table>
              </div>
              ${this.#charts(rows)}
            `
      }
    `;
  }
}
