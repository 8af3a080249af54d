import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { TaskController } from '../controllers/task.ts';
import { JobController } from '../controllers/job.ts';
import { LabStateController } from '../controllers/lab-state.ts';
import { bytes, datasetTitle, int, ms, shape } from '../format.ts';
import { sharedStyles } from './shared-styles.ts';
import { jobView } from './job-view.ts';
import './weights-view.ts';
import './training-curves.ts';
import type { ModelDetail } from '../../src/worker/types.ts';

/**
 * The Model view: per-layer output shape, parameters, MACs/FLOPs, stored
 * bytes, time estimated from FLOPs and the measured device speed, and the
 * measured GPU time of each layer.
 */
@customElement('model-view')
export class ModelView extends LitElement {
  static override styles = sharedStyles;

  #state = new LabStateController(this);
  #detail = new TaskController<ModelDetail>(this, () => this.#load(), false);
  #profile = new JobController<ModelDetail>(this);
  #loadedFor: string | undefined;

  #load(): Promise<ModelDetail> {
    const id = this.#state.state.selectedId;
    if (!id) return Promise.reject(new Error('No model selected'));
    return lab().modelDetail(id);
  }

  override willUpdate(): void {
    const id = this.#state.state.selectedId;
    if (id && id !== this.#loadedFor) {
      this.#loadedFor = id;
      void this.#detail.run();
    }
  }

  #pick(e: Event): void {
    this.#state.state.select((e.target as HTMLSelectElement).value);
  }

  async #time(): Promise<void> {
    const id = this.#state.state.selectedId;
    if (!id) return;
    const d = await this.#profile.run((p, job) => lab().profile(id, 15, p, job));
    if (d) void this.#detail.run(() => Promise.resolve(d));
  }

  override render() {
    const s = this.#state.state;
    // After a failed load (e.g. a bundled model not downloaded, offline) the previous variant's table would mislabel the one picked.
    const d = this.#detail.error ? undefined : this.#detail.value;
    const gpu = s.device?.ok;
    return html`
      <div class="row">
        <label for="variant">Variant</label>
        <select id="variant" data-testid="variant-select" @change=${this.#pick}>
          ${s.models.map((m) => html`<option value=${m.id} ?selected=${m.id === s.selectedId}>${m.name} (${datasetTitle(m.dataset)})${m.untrained ? ' — untrained' : ''}</option>`)}
        </select>
      </div>
      ${this.#detail.error ? html`<p class="error" role="alert">${this.#detail.error}</p>` : ''}
      ${
        d
          ? html`
              <p class="muted">
                ${d.summary.architecture}, <span data-testid="model-dataset">${datasetTitle(d.summary.dataset)}</span>, runs as ${d.summary.runtime}. Estimated
                time = FLOPs ÷ ${d.deviceSpeed ? html`${d.deviceSpeed.source}` : html`the measured device speed (not measured yet: Device → Measure)`}; a lower
                bound that ignores memory traffic and launch overhead.
                ${d.timing ? html` Measured: median of ${d.timing.runs} batch-${d.timing.batch} runs, ${d.timing.method === 'timestamp' ? 'GPU timestamps' : 'wall clock'}; fused layers share one GPU step.` : ''}
              </p>
              ${
                d.input
                  ? html`<p data-testid="input-map">
                      Input: the first layer sees ${d.input.label ? html`<strong>${d.input.label}</strong>, i.e. ` : ''}x · ${d.input.scale.toPrecision(4)}
                      ${d.input.offset < 0 ? '−' : '+'} ${Math.abs(d.input.offset).toPrecision(4)} of x = pixel / 255, on every runtime.
                      ${d.input.reason ? html`<span class="muted">Chosen at import: ${d.input.reason}.</span>` : ''}
                    </p>`
                  : ''
              }
              <div class="scroll" tabindex="0" role="region" aria-label="Per-layer table (scrolls sideways on a narrow screen)">
                <table data-testid="layer-table">
                  <caption>
                    Per layer, one image (1 MAC = 2 FLOPs; pooling = outputs × window)
                  </caption>
                  <thead>
                    <tr>
                      <th>Layer</th>
                      <th>Kind</th>
                      <th>Output</th>
                      <th class="n">Params</th>
                      <th class="n">Non-zero</th>
                      <th class="n">MACs</th>
                      <th class="n">FLOPs</th>
                      <th class="n">Stored</th>
                      <th>Encoding</th>
                      <th class="n">Estimated time</th>
                      <th class="n">Measured GPU time</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${d.layers.map(
                      (l) =>
                        html`<tr>
                          <td>${l.name}</td>
                          <td>${l.kind}</td>
                          <td>${shape(l.outputShape)}</td>
                          <td class="n">${int(l.params)}</td>
                          <td class="n">${int(l.nonZero)}</td>
                          <td class="n">${int(l.macs)}</td>
                          <td class="n">${int(l.flops)}</td>
                          <td class="n">${l.params ? bytes(l.bytes) : '—'}</td>
                          <td>${l.params ? l.encoding : '—'}</td>
                          <td class="n">${l.estimatedMs !== undefined && l.flops ? ms(l.estimatedMs) : '—'}</td>
                          <td class="n" data-testid="gpu-time">
                            ${l.measuredMs !== undefined ? ms(l.measuredMs) : l.fusedWith ? '' : d.timing && !l.measuredMs ? 'fused' : '—'}${l.fusedWith ? html`<div class="muted">+ ${l.fusedWith.join(', ')}</div>` : ''}
                          </td>
                        </tr>`,
                    )}
                  </tbody>
                  <tfoot>
                    <tr>
                      <td colspan="7">File header: names, shapes, encodings${d.summary.runtime === 'int8' ? ', per-channel scales' : ''} (text)</td>
                      <td class="n" data-testid="header-bytes">${bytes(d.total.headerBytes)}</td>
                      <td colspan="3"></td>
                    </tr>
                    <tr>
                      <td>Total (the file)</td>
                      <td></td>
                      <td></td>
                      <td class="n">${int(d.total.params)}</td>
                      <td class="n">${int(d.total.nonZero)}</td>
                      <td class="n">${int(d.total.macs)}</td>
                      <td class="n">${int(d.total.flops)}</td>
                      <td class="n">${bytes(d.total.bytes)}</td>
                      <td></td>
                      <td class="n">${ms(d.total.estimatedMs)}</td>
                      <td class="n">${ms(d.total.measuredMs)}</td>
                    </tr>
                  </tfoot>
                </table>
              </div>
              <div class="row">
                <button data-testid="profile" ?disabled=${!gpu || this.#profile.running || d.summary.runtime !== 'fp32'} @click=${this.#time}>
                  Time each layer on the GPU
                </button>
                ${!gpu ? html`<span class="muted">Needs WebGPU.</span>` : d.summary.runtime !== 'fp32' ? html`<span class="muted">Per-layer timing is for float variants; int8 variants are timed whole in Compare.</span>` : ''}
              </div>
              ${jobView(this.#profile, 'profile', 'Layer timing')}
              <weights-view .modelId=${s.selectedId ?? ''}></weights-view>
              ${
                d.curves?.length
                  ? html`<h3 id="curves-h">Training curves</h3>
                      <p class="muted">Recorded while this variant was trained here; kept with it.</p>
                      <training-curves data-testid="model-curves" aria-labelledby="curves-h" .curves=${d.curves}></training-curves>`
                  : ''
              }
              <details>
                <summary>Provenance</summary>
                <pre style="white-space:pre-wrap;overflow-wrap:anywhere">${JSON.stringify(d.provenance, null, 2)}</pre>
              </details>
            `
          : this.#detail.error
            ? ''
            : html`<p role="status">Loading…</p>`
      }
    `;
  }
}
