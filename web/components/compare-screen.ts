import { LitElement, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { JobController } from '../controllers/job.ts';
import { LabStateController } from '../controllers/lab-state.ts';
import { bytes, fixed, int, ms, pct, times } from '../format.ts';
import { sharedStyles } from './shared-styles.ts';
import { jobView } from './job-view.ts';
import './lab-chart.ts';
import type { ChartSeries } from './lab-chart.ts';
import type { CompareRow, ResultRecord } from '../../src/worker/types.ts';

const COLORS = ['#1a5fb4', '#c01c28', '#26a269', '#a347ba', '#e66100', '#63452c'];

/** The Compare screen: every measured variant side by side, with accuracy/size and accuracy/latency plots and per-layer GPU time. */
@customElement('compare-screen')
export class CompareScreen extends LitElement {
  static override styles = sharedStyles;

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
      await s.refreshResults();
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
    const color = (d: string) => COLORS[devices.indexOf(d) % COLORS.length];
    const size: ChartSeries[] = devices.map((d) => ({
      label: d,
      color: color(d),
      points: rows.filter((r) => r.device === d).map((r) => ({ x: r.bytes / 1e3, y: r.accuracy * 100 })),
    }));
    const timed = rows.filter((r) => r.latencyP50 !== undefined);
    const lat: ChartSeries[] = devices.flatMap((d) => {
      const own = timed.filter((r) => r.device === d);
      if (!own.length) return [];
      const front = own.filter((r) => r.pareto).sort((a, b) => a.latencyP50! - b.latencyP50!);
      return [
        { label: d, color: color(d), points: own.map((r) => ({ x: r.latencyP50!, y: r.accuracy * 100 })) },
        { label: `Pareto front (${d})`, color: color(d), line: true, points: front.map((r) => ({ x: r.latencyP50!, y: r.accuracy * 100 })) },
      ];
    });
    const withLayers = rows.filter((r) => r.layerMs?.length);
    const chosen = withLayers.find((r) => r.id === this.layersOf) ?? withLayers[withLayers.length - 1];
    return html`
      <lab-chart
        caption="Accuracy vs stored size"
        xLabel="stored weights (KB, log scale)"
        yLabel="accuracy (%)"
        yMin="0"
        yMax="100"
        logX
        .series=${size}
      ></lab-chart>
      ${
        timed.length
          ? html`<lab-chart
              caption="Accuracy vs batch-1 latency (line: Pareto front)"
              xLabel="latency p50 (ms)"
              yLabel="accuracy (%)"
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
                .categories=${chosen.layerMs!.map((l) => l.layers)}
                .values=${chosen.layerMs!.map((l) => l.ms)}
              ></lab-chart>`
          : html`<p class="muted">Per-layer GPU time appears for float variants measured on an adapter with timestamp-query.</p>`
      }
    `;
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
                <table class="cards" data-testid="results-table">
                  <caption>
                    Accuracy on the test split; latency = batch 1, end to end (upload, kernels, readback), wall clock; throughput at the batch shown. Stored =
                    file bytes; GPU = weight bytes held on the GPU while it ran.
                  </caption>
                  <thead>
                    <tr>
                      <th>Variant</th>
                      <th>Runs as</th>
                      <th class="n">Accuracy</th>
                      <th class="n">Errors</th>
                      <th class="n">Stored</th>
                      <th class="n">× smaller</th>
                      <th class="n">FLOPs</th>
                      <th class="n">p50</th>
                      <th class="n">p90</th>
                      <th class="n">Images/s</th>
                      <th class="n">Speed-up</th>
                      <th>Device</th>
                      <th><span class="visually-hidden">Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    ${rows.map(
                      (r) =>
                        html`<tr data-testid="result-row" data-variant=${r.variant}>
                          <td class="name">
                            ${r.variant}${r.untrained ? html`<span class="tag warn">untrained</span>` : ''}${r.pareto ? html`<span class="tag" title="on the accuracy/latency Pareto front">Pareto</span>` : ''}${r.baseline ? html`<span class="tag">baseline</span>` : ''}${r.source === 'imported' ? html`<span class="tag">imported${r.sharedBy ? ` from ${r.sharedBy}` : ''}</span>` : ''}
                          </td>
                          <td data-label="Runs as">
                            ${r.runtime}${r.sparseLayers?.length ? html`<span class="muted" style="display:block" title="layers run by the sparse kernel: it measured faster than the dense one on this device">sparse ${r.sparseLayers.join(', ')}</span>` : ''}
                          </td>
                          <td class="n" data-label="Accuracy">${pct(r.accuracy)}</td>
                          <td class="n" data-label="Errors">${int(r.errors)} / ${int(r.count)}</td>
                          <td class="n" data-label="Stored">
                            ${bytes(r.bytes)}${r.gpuWeightBytes !== undefined ? html`<span class="muted" style="display:block" title="weight bytes held on the GPU while it ran${r.gpuWeightFp32 === 0 ? ': no fp32 copy' : ''}">GPU ${bytes(r.gpuWeightBytes)}</span>` : ''}
                          </td>
                          <td class="n" data-label="× smaller">${times(r.ratio)}</td>
                          <td class="n" data-label="FLOPs">${int(r.flops)}</td>
                          <td class="n" data-label="p50">${ms(r.latencyP50)}</td>
                          <td class="n" data-label="p90">${ms(r.latencyP90)}</td>
                          <td class="n" data-label="Images/s">
                            ${r.throughput !== undefined ? html`<span>${fixed(r.throughput, 0)}<span class="muted" style="display:block">batch ${r.throughputBatch}</span></span>` : '—'}
                          </td>
                          <td class="n" data-label="Speed-up">${times(r.speedup)}</td>
                          <td data-label="Device">${r.device}</td>
                          <td data-label="">
                            <button class="secondary" aria-label="Delete result ${r.variant} (${r.device})" @click=${() => this.#delete(r)}>Delete</button>
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                </table>
              </div>
              ${this.#charts(rows)}
            `
      }
    `;
  }
}
