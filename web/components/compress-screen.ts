import { LitElement, css, html, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { TaskController } from '../controllers/task.ts';
import { JobController } from '../controllers/job.ts';
import { LabStateController } from '../controllers/lab-state.ts';
import { PipelineController, compressJob, measureJob } from '../controllers/pipeline.ts';
import { sharedStyles } from './shared-styles.ts';
import { curvesView, jobView } from './job-view.ts';
import { bytes, pct, times } from '../format.ts';
import type { ModelSummary, OptionField, PassInfo, PipelineStep, ResultRecord } from '../../src/worker/types.ts';

/** The Compress screen: a pipeline of passes whose controls come from each pass's metadata; run, follow, cancel. */
@customElement('compress-screen')
export class CompressScreen extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      ol.steps {
        padding-left: 1.2rem;
      }
      ol.steps > li {
        border: 1px solid #8886;
        border-radius: 8px;
        padding: 0.5rem 0.75rem;
        margin: 0.5rem 0;
      }
      .fields {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr));
        gap: 0.5rem 1rem;
      }
      .field {
        display: flex;
        flex-direction: column;
        gap: 0.15rem;
      }
      .field label {
        font-weight: 500;
      }
    `,
  ];

  #state = new LabStateController(this);
  #passes = new TaskController<PassInfo[]>(this, () => lab().passes());
  #compress = new JobController<ModelSummary>(this, compressJob);
  #measure = new JobController<ResultRecord>(this, measureJob);
  #pipeline = new PipelineController(this);

  #pass(id: string): PassInfo | undefined {
    return this.#passes.value?.find((p) => p.id === id);
  }

  #add(): void {
    const id = this.#pipeline.draft.addId || this.#passes.value?.[0]?.id;
    const p = id ? this.#pass(id) : undefined;
    if (p) this.#pipeline.add(p);
  }

  /**
   * The button a keyboard user pressed may be re-rendered for another step or
   * removed: after the update, focus the first of `selectors` that can take it.
   */
  async #refocus(...selectors: string[]): Promise<void> {
    await this.updateComplete;
    for (const sel of selectors) {
      const el = this.renderRoot.querySelector<HTMLButtonElement | HTMLSelectElement>(sel);
      if (el && !el.disabled) return el.focus();
    }
  }

  /** Moves step i; focus follows the step, so pressing ↓ again moves it further. */
  #move(i: number, d: -1 | 1): void {
    this.#pipeline.move(i, d);
    const j = i + d;
    void this.#refocus(`#move-${d < 0 ? 'up' : 'down'}-${j}`, `#move-${d < 0 ? 'down' : 'up'}-${j}`);
  }

  /** Removes step i; focus goes to the step that took its place, else the one before, else "Pass". */
  #remove(i: number): void {
    this.#pipeline.remove(i);
    void this.#refocus(`#remove-${i}`, `#remove-${i - 1}`, '#add-pass');
  }

  #set(i: number, f: OptionField, e: Event): void {
    const el = e.target as HTMLInputElement | HTMLSelectElement;
    this.#pipeline.setOption(i, f.key, f.kind === 'number' ? Number(el.value) : f.kind === 'boolean' ? (el as HTMLInputElement).checked : el.value);
  }

  #run(): void {
    void this.#pipeline.run(this.#state.state.selectedId);
  }

  #field(i: number, step: PipelineStep, f: OptionField) {
    const id = `s${i}-${f.key}`;
    const v = step.options[f.key];
    return html`<div class="field">
      <label for=${id}>${f.label}</label>
      ${
        f.kind === 'model'
          ? html`<select
              id=${id}
              data-testid="model-field-${f.key}"
              aria-describedby=${f.help ? `${id}-help` : nothing}
              @change=${(e: Event) => this.#set(i, f, e)}
            >
              <option value="" ?selected=${!v}>(choose a stored variant)</option>
              ${this.#state.state.models.map((m) => html`<option value=${m.id} ?selected=${m.id === v}>${m.name} (${m.runtime}${m.untrained ? ', untrained' : ''})</option>`)}
            </select>`
          : f.kind === 'select'
            ? html`<select id=${id} aria-describedby=${f.help ? `${id}-help` : nothing} @change=${(e: Event) => this.#set(i, f, e)}>
                ${f.choices?.map((c) => html`<option value=${c.value} ?selected=${c.value === v}>${c.label}</option>`)}
              </select>`
            : f.kind === 'boolean'
              ? html`<input
                  id=${id}
                  type="checkbox"
                  aria-describedby=${f.help ? `${id}-help` : nothing}
                  .checked=${!!v}
                  @change=${(e: Event) => this.#set(i, f, e)}
                />`
              : f.kind === 'text'
                ? html`<input
                    id=${id}
                    type="text"
                    aria-describedby=${f.help ? `${id}-help` : nothing}
                    .value=${String(v ?? '')}
                    @change=${(e: Event) => this.#set(i, f, e)}
                  />`
                : html`<input
                    id=${id}
                    type="number"
                    aria-describedby=${f.help ? `${id}-help` : nothing}
                    min=${f.min ?? ''}
                    max=${f.max ?? ''}
                    step=${f.step ?? 'any'}
                    .value=${String(v)}
                    @change=${(e: Event) => this.#set(i, f, e)}
                  />`
      }
      ${f.help ? html`<span class="muted" id="${id}-help">${f.help}</span>` : ''}
    </div>`;
  }

  override render() {
    const s = this.#state.state;
    const passes = this.#passes.value ?? [];
    const d = this.#pipeline.draft;
    const source = d.sourceId ?? s.selectedId;
    const busy = this.#compress.running || this.#measure.running;
    const made = this.#compress.value;
    const result = this.#measure.value;
    return html`
      <div class="row">
        <label for="source">Start from</label>
        <select id="source" data-testid="source-select" @change=${(e: Event) => this.#pipeline.set({ sourceId: (e.target as HTMLSelectElement).value })}>
          ${s.models.map((m) => html`<option value=${m.id} ?selected=${m.id === source}>${m.name} (${m.runtime}, ${bytes(m.bytes)})</option>`)}
        </select>
      </div>
      <h3 id="pipeline-h">Pipeline</h3>
      ${d.steps.length === 0 ? html`<p class="muted">Empty: add passes below. They run in order.</p>` : ''}
      ${
        d.steps.some((st) => this.#pass(st.pass)?.trains)
          ? html`<p class="note" data-testid="training-note">
              Training steps run on this GPU over the training split (60,000 images unless <em>limit</em> says fewer); on a software adapter that takes a while.
              Cancel stops after the current batch group and stores nothing.
            </p>`
          : ''
      }
      <ol class="steps" aria-labelledby="pipeline-h" data-testid="pipeline">
        ${d.steps.map((step, i) => {
          const p = this.#pass(step.pass);
          return html`<li data-testid="step">
            <div class="row" style="justify-content:space-between">
              <strong>${p?.label ?? step.pass}</strong>
              <span class="row" style="margin:0">
                <button class="secondary" id="move-up-${i}" aria-label="Move ${p?.label} up" ?disabled=${i === 0} @click=${() => this.#move(i, -1)}>↑</button>
                <button
                  class="secondary"
                  id="move-down-${i}"
                  aria-label="Move ${p?.label} down"
                  ?disabled=${i === d.steps.length - 1}
                  @click=${() => this.#move(i, 1)}
                >
                  ↓
                </button>
                <button class="danger" id="remove-${i}" aria-label="Remove ${p?.label}" @click=${() => this.#remove(i)}>Remove</button>
              </span>
            </div>
            ${
              p
                ? html`<p class="muted">${p.description}</p>
                    <div class="fields">${p.fields.map((f) => this.#field(i, step, f))}</div>`
                : ''
            }
          </li>`;
        })}
      </ol>
      <div class="row">
        <label for="add-pass">Pass</label>
        <select id="add-pass" data-testid="add-pass-select" @change=${(e: Event) => this.#pipeline.set({ addId: (e.target as HTMLSelectElement).value })}>
          <optgroup label="Compression">
            ${passes.filter((p) => !p.trains).map((p) => html`<option value=${p.id} ?selected=${p.id === d.addId}>${p.label}</option>`)}
          </optgroup>
          <optgroup label="Training (on this GPU)">
            ${passes.filter((p) => p.trains).map((p) => html`<option value=${p.id} ?selected=${p.id === d.addId}>${p.label}</option>`)}
          </optgroup>
        </select>
        <button class="secondary" data-testid="add-pass" @click=${this.#add}>Add pass</button>
      </div>
      <div class="row">
        <label for="vname">Name of the new variant</label>
        <input
          id="vname"
          type="text"
          placeholder="(automatic)"
          .value=${d.name}
          @input=${(e: Event) => this.#pipeline.set({ name: (e.target as HTMLInputElement).value })}
        />
      </div>
      <div class="row">
        <input
          id="measure-after"
          type="checkbox"
          .checked=${d.measureAfter}
          @change=${(e: Event) => this.#pipeline.set({ measureAfter: (e.target as HTMLInputElement).checked })}
        />
        <label for="measure-after">Measure it afterwards on</label>
        <select
          id="limit"
          aria-label="Test images to measure on"
          data-testid="limit-select"
          @change=${(e: Event) => this.#pipeline.set({ limit: Number((e.target as HTMLSelectElement).value) })}
        >
          ${[1000, 10000].map((n) => html`<option value=${n} ?selected=${n === d.limit}>${n.toLocaleString('en-US')} test images</option>`)}
        </select>
      </div>
      <div class="row">
        <button data-testid="run-pipeline" ?disabled=${busy || !d.steps.length || !source} @click=${this.#run}>Run pipeline</button>
      </div>
      ${jobView(this.#compress, 'compress', 'Compression')} ${curvesView(this.#compress, 'compress')} ${jobView(this.#measure, 'measure', 'Measurement')}
      ${
        made && !this.#compress.running
          ? html`<p role="status" class="ok" data-testid="compress-done">
              Stored <strong>${made.name}</strong>: ${bytes(made.bytes)} (${times(made.fp32Bytes / made.bytes)} smaller than fp32), runs as ${made.runtime}.
              ${result && result.modelId === made.id ? html`Accuracy ${pct(result.accuracy)} on ${result.count.toLocaleString('en-US')} images — see <a href="#compare">Compare</a>.` : ''}
            </p>`
          : ''
      }
    `;
  }
}
