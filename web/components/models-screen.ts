import { LitElement, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { LabStateController } from '../controllers/lab-state.ts';
import { JobController } from '../controllers/job.ts';
import { TrainController } from '../controllers/train.ts';
import { bytes, int, pct, times } from '../format.ts';
import { ModelActionsController } from '../controllers/models.ts';
import { sharedStyles } from './shared-styles.ts';
import { jobView } from './job-view.ts';
import type { ModelSummary, ResultRecord } from '../../src/worker/types.ts';
import type { ImportOutcome } from '../../src/worker/import.ts';

/** The Models screen: bundled and user variants; import, export, measure, delete. */
@customElement('models-screen')
export class ModelsScreen extends LitElement {
  static override styles = sharedStyles;

  #state = new LabStateController(this);
  #measure = new JobController<ResultRecord>(this);
  #actions = new ModelActionsController(this);
  #importing = new JobController<ImportOutcome>(this);
  @state() private confirmDelete: string | undefined;
  #train = new TrainController(this);
  @state() private trainArch = 'lenet-300-100';
  @state() private trainEpochs = 1;
  @state() private trainImages = 60000;
  @state() private trainTest = 10000;

  async #import(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    await this.#actions.importFiles([...(input.files ?? [])], this.#importing.job);
    // The same file can be chosen again and still fire change.
    input.value = '';
  }

  /** After the DOM under the focused button changed, keep a keyboard user's place (first match that exists). */
  async #refocus(...selectors: string[]): Promise<void> {
    await this.updateComplete;
    for (const sel of selectors) {
      const el = this.renderRoot.querySelector<HTMLElement>(sel);
      if (el) return el.focus();
    }
  }

  /** Two-step delete: the confirm button replaces Delete and takes focus; Keep gives it back. */
  #askDelete(id: string | undefined, keptId?: string): void {
    this.confirmDelete = id;
    void this.#refocus(id ? '[data-testid="confirm-delete"]' : `[data-testid="delete"][data-model="${CSS.escape(keptId ?? '')}"]`);
  }

  async #delete(m: ModelSummary): Promise<void> {
    const row = this.#state.state.models.findIndex((x) => x.id === m.id);
    this.confirmDelete = undefined;
    await this.#actions.deleteModel(m.id);
    // Focus the row that took the deleted one's place (or the last), else the import control.
    await this.updateComplete;
    const rows = this.renderRoot.querySelectorAll('[data-testid="model-row"]');
    const next = rows[Math.min(row, rows.length - 1)]?.getAttribute('data-model-id');
    void this.#refocus(next ? `[data-testid="delete"][data-model="${CSS.escape(next)}"]` : '#import', '#import');
  }

  async #measureModel(m: ModelSummary): Promise<void> {
    const r = await this.#measure.run((p, id) => lab().evaluate(m.id, {}, p, id));
    if (r) await this.#state.state.refreshResults();
  }

  #trainForm() {
    const archs = this.#train.architectures.value ?? [];
    const d = this.#train.defaults.value;
    const job = this.#train.job;
    const out = job.value;
    const last = out?.epochs[out.epochs.length - 1];
    const num = (e: Event): number => Number((e.target as HTMLInputElement).value);
    // Unknown (still probing) counts as available: the worker refuses clearly if it is not.
    const gpu = this.#state.state.device?.ok !== false;
    return html`
      <h3 id="train-h">Train a model from scratch</h3>
      <p class="muted">
        On this GPU, over the MNIST training split: He
        initialisation${d ? ` (seed ${d.seed}), ${d.optimizer === 'adam' ? 'Adam' : 'SGD'} ${d.lr} with a ${d.schedule} schedule, batch ${d.batch}` : ''}; test
        accuracy after each epoch. A LeNet-300-100 epoch takes seconds on a real GPU and minutes on a software adapter.
      </p>
      <div class="row" role="group" aria-labelledby="train-h">
        <label for="train-arch">Architecture</label>
        <select id="train-arch" data-testid="train-arch" @change=${(e: Event) => (this.trainArch = (e.target as HTMLSelectElement).value)}>
          ${archs.map((a) => html`<option value=${a.name} ?selected=${a.name === this.trainArch}>${a.name} (${int(a.params)} parameters)</option>`)}
        </select>
        <label for="train-epochs">Epochs</label>
        <input
          id="train-epochs"
          data-testid="train-epochs"
          type="number"
          min="1"
          max="100"
          step="1"
          .value=${String(this.trainEpochs)}
          @change=${(e: Event) => (this.trainEpochs = num(e))}
        />
        <label for="train-images">Training images</label>
        <input
          id="train-images"
          data-testid="train-images"
          type="number"
          min="64"
          max="60000"
          step="1"
          .value=${String(this.trainImages)}
          @change=${(e: Event) => (this.trainImages = num(e))}
        />
        <label for="train-test">Test on</label>
        <select id="train-test" data-testid="train-test" @change=${(e: Event) => (this.trainTest = num(e))}>
          ${[1000, 10000].map((n) => html`<option value=${n} ?selected=${n === this.trainTest}>${int(n)} test images</option>`)}
        </select>
        <button
          data-testid="train-run"
          ?disabled=${job.running || !archs.length || !gpu}
          @click=${() => this.#train.train({ architecture: this.trainArch, epochs: this.trainEpochs, limit: this.trainImages, evalLimit: this.trainTest })}
        >
          Train
        </button>
        ${gpu ? '' : html`<span class="muted" data-testid="train-needs-gpu">Training needs WebGPU.</span>`}
      </div>
      ${jobView(job, 'train', 'Training')}
      ${
        out && !job.running
          ? html`<p role="status" class="ok" data-testid="train-done">
              Stored
              <strong>${out.model.name}</strong
              >${last?.testAccuracy !== undefined ? html`: test accuracy ${pct(last.testAccuracy)} on ${int(last.testCount ?? 0)} images after ${out.epochs.length} epoch${out.epochs.length === 1 ? '' : 's'}` : ''}.
            </p>`
          : ''
      }
    `;
  }

  #view(m: ModelSummary): void {
    this.#state.state.select(m.id);
    location.hash = 'model';
  }

  override render() {
    const models = this.#state.state.models;
    const standIns = models.filter((m) => m.origin === 'untrained').map((m) => m.architecture);
    return html`
      <p class="muted">Variants are stored in this browser. Bundled models come with the lab; compressed and imported ones are yours.</p>
      ${
        models.some((m) => m.untrained)
          ? html`<p class="note" data-testid="untrained-note">
              ${standIns.length ? html`This build ships no trained ${standIns.join(', ')}, so the lab made ${standIns.length > 1 ? 'untrained stand-ins' : 'an untrained stand-in'} (random weights, seed 1). ` : ''}
              Variants marked <em>untrained</em> have random weights: their accuracy is chance (~10 %); sizes, FLOPs and timings are real. Train one from
              scratch below, or fine-tune it in Compress.
            </p>`
          : ''
      }
      <div class="scroll">
        <table class="cards" data-testid="models-table">
          <caption>
            ${models.length} variants
          </caption>
          <thead>
            <tr>
              <th>Name</th>
              <th>Architecture</th>
              <th>Runs as</th>
              <th class="n">Params</th>
              <th class="n">Non-zero</th>
              <th class="n">Stored</th>
              <th class="n">× smaller</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            ${models.map(
              (m) =>
                html`<tr data-testid="model-row" data-model-id=${m.id}>
                  <td class="name">
                    ${m.name} ${m.untrained ? html`<span class="tag warn">untrained</span>` : ''}
                    ${m.untrained ? '' : html`<span class="tag">${m.origin}</span>`} ${m.pipeline ? html`<div class="muted">${m.pipeline}</div>` : ''}
                  </td>
                  <td data-label="Architecture">${m.architecture}</td>
                  <td data-label="Runs as">${m.runtime}</td>
                  <td class="n" data-label="Params">${int(m.params)}</td>
                  <td class="n" data-label="Non-zero">${int(m.nonZero)}</td>
                  <td class="n" data-label="Stored">${bytes(m.bytes)}</td>
                  <td class="n" data-label="× smaller">${times(m.fp32Bytes / m.bytes)}</td>
                  <td data-label="">
                    <div class="row" style="margin:0">
                      <button class="secondary" @click=${() => this.#view(m)} aria-label="View ${m.name}">View</button>
                      <button
                        class="secondary"
                        data-testid="measure"
                        ?disabled=${this.#measure.running}
                        @click=${() => this.#measureModel(m)}
                        aria-label="Measure ${m.name}"
                      >
                        Measure
                      </button>
                      <button class="secondary" @click=${() => this.#actions.exportModel(m.id)} aria-label="Export ${m.name}">Export</button>
                      ${
                        this.confirmDelete === m.id
                          ? html`<button class="danger" data-testid="confirm-delete" @click=${() => this.#delete(m)}>Delete ${m.name}?</button>
                              <button class="secondary" data-testid="keep" @click=${() => this.#askDelete(undefined, m.id)}>Keep</button>`
                          : html`<button
                              class="danger"
                              data-testid="delete"
                              data-model=${m.id}
                              @click=${() => this.#askDelete(m.id)}
                              aria-label="Delete ${m.name}"
                            >
                              Delete
                            </button>`
                      }
                    </div>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${jobView(this.#measure, 'measure', 'Measurement')}
      ${this.#measure.value && !this.#measure.running ? html`<p role="status">Measured ${this.#measure.value.variant}: see Compare.</p>` : ''}
      <h3>Import a model</h3>
      <p class="muted">
        Your own MNIST model: an ONNX file (PyTorch's <code>torch.onnx.export</code>, tf2onnx), a TensorFlow.js <code>model.json</code> picked together with its
        <code>.bin</code> weight files, or a Compression Lab <code>.safetensors</code>. The lab finds which input scaling it was trained with on 512 training
        images.
      </p>
      <div
        class="row"
        data-testid="import-drop"
        @dragover=${(e: DragEvent) => e.preventDefault()}
        @drop=${(e: DragEvent) => {
          e.preventDefault();
          void this.#actions.importFiles([...(e.dataTransfer?.files ?? [])], this.#importing.job);
        }}
      >
        <label for="import">Model files (.onnx, model.json + .bin, .safetensors; or drop them here)</label>
        <input
          id="import"
          data-testid="import-model"
          type="file"
          multiple
          accept=".onnx,.json,.bin,.safetensors,application/octet-stream,application/json"
          ?disabled=${this.#actions.busy}
          @change=${this.#import}
        />
      </div>
      ${this.#importing.running || this.#importing.cancelled ? jobView(this.#importing, 'import', 'Import') : ''}
      ${this.#actions.error ? html`<p class="error" role="alert" data-testid="import-error">${this.#actions.error}</p>` : ''}
      ${this.#actions.ok ? html`<p role="status" class="ok" data-testid="import-ok">${this.#actions.ok}</p>` : ''} ${this.#trainForm()}
    `;
  }
}
