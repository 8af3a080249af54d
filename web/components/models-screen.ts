import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { LabStateController } from '../controllers/lab-state.ts';
import { JobController } from '../controllers/job.ts';
import { TrainController } from '../controllers/train.ts';
import { bytes, datasetTitle, int, pct, times } from '../format.ts';
import { variantColor } from '../palette.ts';
import { runtimeBadge } from './badges.ts';
import { ModelActionsController } from '../controllers/models.ts';
import { ExportController } from '../controllers/export.ts';
import { sharedStyles } from './shared-styles.ts';
import { curvesView, jobView } from './job-view.ts';
import type { ModelSummary, ResultRecord } from '../../src/worker/types.ts';
import type { ImportOutcome } from '../../src/worker/import.ts';

/** The Models screen: bundled and user variants; import, export, measure, delete. */
@customElement('models-screen')
export class ModelsScreen extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      tr.export-row > td {
        border-bottom: 1px solid #8884;
      }
      /* width 0 + min-width 100 %: the panel fills its row without widening the table (its long lines would squeeze the Actions column). */
      .export-panel {
        box-sizing: border-box;
        width: 0;
        min-width: 100%;
        border: 1px solid #1a5fb4;
        border-radius: 8px;
        padding: 0.5rem 0.75rem;
        margin: 0.25rem 0 0.5rem;
      }
      .export-panel .head {
        justify-content: space-between;
        margin: 0;
      }
      ul.export-options {
        list-style: none;
        padding: 0;
        margin: 0.25rem 0 0;
      }
      ul.export-options > li {
        border-top: 1px solid #8884;
        padding: 0.45rem 0;
      }
      .option-head {
        display: grid;
        grid-template-columns: minmax(11rem, 1.2fr) minmax(9rem, 1.4fr) auto;
        gap: 0.25rem 0.75rem;
        align-items: center;
      }
      .option-head .size {
        white-space: nowrap;
      }
      .option-head code {
        font-size: 0.85rem;
        overflow-wrap: anywhere;
      }
      .option-head .action {
        grid-column: 3;
        grid-row: 1 / span 2;
        justify-self: end;
      }
      ul.kl {
        margin: 0.3rem 0 0;
        padding: 0;
        list-style: none;
        font-size: 0.85rem;
      }
      ul.kl li {
        padding-left: 1.2rem;
        text-indent: -1.2rem;
      }
      ul.kl li.keep::before {
        content: '✓ ';
        color: #087f23;
        font-weight: 700;
      }
      ul.kl li.lose::before {
        content: '✗ ';
        color: #b00020;
        font-weight: 700;
      }
      ul.kl li::before {
        display: inline-block;
        width: 1.2rem;
        text-indent: 0;
      }
      .export-panel .error {
        margin: 0.3rem 0 0;
        font-size: 0.9rem;
      }
      @media (max-width: 600px) {
        table.cards td.export-cell {
          display: block;
          text-align: left;
        }
        table.cards td.export-cell::before {
          content: none;
        }
        .export-panel {
          width: auto;
          min-width: 0;
          border: 0;
          padding: 0;
        }
        .option-head {
          display: flex;
          flex-direction: column;
          align-items: flex-start;
        }
        .option-head .size {
          white-space: normal;
        }
      }
    `,
  ];

  #state = new LabStateController(this);
  #measure = new JobController<ResultRecord>(this);
  #actions = new ModelActionsController(this);
  #importing = new JobController<ImportOutcome>(this);
  #export = new ExportController(this);
  @state() private confirmDelete: string | undefined;
  #train = new TrainController(this);
  @state() private trainArch = 'lenet-300-100';
  @state() private trainEpochs = 1;
  @state() private trainImages = 60000;
  @state() private trainTest = 10000;
  /** "Download for offline use": every bundled model not in this browser yet. */
  #download = new JobController<string[]>(this);

  override connectedCallback(): void {
    super.connectedCallback();
    // Other screens may have downloaded bundled models on first use since the list was read.
    if (this.#state.state.startup) void this.#state.state.refreshModels();
  }

  async #downloadAll(): Promise<void> {
    if (await this.#download.run((p, id) => lab().downloadBundled(p, id))) await this.#state.state.refreshModels();
  }

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
    if (this.#export.modelId === m.id) this.#export.close();
    await this.#actions.deleteModel(m.id);
    // Focus the row that took the deleted one's place (or the last), else the import control.
    await this.updateComplete;
    const rows = this.renderRoot.querySelectorAll('[data-testid="model-row"]');
    const next = rows[Math.min(row, rows.length - 1)]?.getAttribute('data-model-id');
    void this.#refocus(next ? `[data-testid="delete"][data-model="${CSS.escape(next)}"]` : '#import', '#import');
  }

  async #measureModel(m: ModelSummary): Promise<void> {
    const r = await this.#measure.run((p, id) => lab().evaluate(m.id, {}, p, id));
    if (r) await Promise.all([this.#state.state.refreshResults(), this.#state.state.refreshModels()]);
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
      ${jobView(job, 'train', 'Training')} ${curvesView(job, 'train')}
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

  /** The Export panel under a variant's row: each download with its measured size, the lab file's beside it, what it keeps and loses. */
  #exportPanel(m: ModelSummary) {
    const ex = this.#export;
    const measured = [...ex.options.values()];
    const labBytes = measured[0]?.labBytes ?? m.fileBytes;
    const vsLab = (b: number): string => {
      const r = b / labBytes;
      if (Math.abs(r - 1) < 0.005) return 'about the lab file’s size';
      if (Math.abs(r - 1) < 0.05) return `${r < 1 ? 'a little smaller than' : 'a little larger than'} the lab file`;
      return r < 1 ? `${times(1 / r, 1)} smaller than the lab file` : `${times(r, 1)} the lab file`;
    };
    const asFloat = ex.choices.length > 0 && !ex.choices.some((c) => c.key === 'onnx-int8');
    return html`<div class="export-panel" id="export-panel" data-testid="export-panel" data-model-id=${m.id} role="region" aria-label="Export ${m.name}">
      <div class="row head">
        <strong>Export ${m.name}</strong>
        <button class="secondary" data-testid="export-close" @click=${() => ex.close()} aria-label="Close the export panel">Close</button>
      </div>
      <p class="muted" style="margin:0.25rem 0">
        The lab’s own file of this variant: <strong data-testid="export-lab-size" data-bytes=${labBytes}>${bytes(labBytes)}</strong> (${int(labBytes)} B). Each
        size below is measured by writing the file in this browser; Download saves those very bytes.
      </p>
      ${ex.error ? html`<p class="error" role="alert" data-testid="export-panel-error">${ex.error}</p>` : nothing}
      ${jobView(ex.measure, 'export', 'Export measurement')}
      ${
        ex.measure.cancelled || ex.measure.error
          ? html`<button class="secondary" data-testid="export-remeasure" @click=${() => ex.remeasure()}>Measure again</button>`
          : nothing
      }
      <ul class="export-options">
        ${ex.choices.map((c) => {
          const o = ex.options.get(c.key);
          const failed = ex.downloadErrors.get(c.key);
          const size = !o
            ? html`<span class="muted">${ex.measure.running ? 'measuring…' : 'not measured'}</span>`
            : o.bytes !== undefined
              ? html`<strong>${bytes(o.bytes)}</strong> <span class="muted">${int(o.bytes)} B · ${vsLab(o.bytes)}</span>`
              : html`<span class="muted">—</span>`;
          return html`<li data-testid="export-option" data-format=${c.key} aria-busy=${o ? 'false' : 'true'}>
            <div class="option-head">
              <strong>${c.label}</strong>
              <code>${c.fileName}</code>
              <span class="size" data-testid="export-size" data-bytes=${o?.bytes ?? nothing}>${size}</span>
              <span class="muted" style="grid-column: 1 / span 2">
                ${o?.files ? html`Inside: ${o.files.map((f) => `${f.name} (${bytes(f.bytes)})`).join(', ')}.` : nothing}
                ${o?.calibration ? html`Activations calibrated on ${int(o.calibration.images)} training images (${o.calibration.method}).` : nothing}
              </span>
              <span class="action">
                ${
                  o && o.bytes !== undefined
                    ? html`<button
                        data-testid="export-download"
                        ?disabled=${ex.downloading !== undefined}
                        @click=${() => ex.download(c.key)}
                        aria-label="Download ${c.label} of ${m.name}, ${bytes(o.bytes)}"
                      >
                        Download
                      </button>`
                    : nothing
                }
              </span>
            </div>
            ${o?.error ? html`<p class="error" data-testid="export-error">Cannot export as ${c.label}: ${o.error}</p>` : nothing}
            ${failed ? html`<p class="error" role="alert" data-testid="export-download-error">${failed}</p>` : nothing}
            ${
              o && !o.error
                ? html`<ul class="kl" aria-label="What ${c.label} keeps and loses">
                    ${o.keeps.map((k) => html`<li class="keep"><span class="visually-hidden">Keeps: </span>${k}</li>`)}
                    ${o.loses.map((k) => html`<li class="lose"><span class="visually-hidden">Loses: </span>${k}</li>`)}
                  </ul>`
                : nothing
            }
          </li>`;
        })}
      </ul>
      ${
        asFloat
          ? html`<p class="muted" data-testid="export-int8-hint">
              An int8 ONNX is offered for variants that run as int8: compress this one in Compress with the int8 pass last.
            </p>`
          : nothing
      }
    </div>`;
  }

  #view(m: ModelSummary): void {
    this.#state.state.select(m.id);
    location.hash = 'model';
  }

  override render() {
    const models = this.#state.state.models;
    const standIns = models.filter((m) => m.origin === 'untrained').map((m) => m.architecture);
    const pending = models.filter((m) => m.download);
    const pendingBytes = pending.reduce((a, m) => a + (m.download?.bytes ?? 0), 0);
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
      ${
        pending.length
          ? html`<div class="note" data-testid="not-downloaded-note">
              <p style="margin:0 0 0.4rem">
                ${pending.length === 1 ? 'One bundled model is' : `${pending.length} bundled models are`} not in this browser yet (${bytes(pendingBytes)}): each
                is downloaded the first time it is used (View, Measure, Compress, Try it, Export), and works offline from then on. Taking the lab offline (a
                workshop)? Download them now.
              </p>
              <button class="secondary" data-testid="download-bundled" ?disabled=${this.#download.running} @click=${this.#downloadAll}>
                Download ${pending.length === 1 ? 'it' : `all ${pending.length}`} (${bytes(pendingBytes)})
              </button>
              ${jobView(this.#download, 'download-bundled', 'Download')}
            </div>`
          : this.#download.value?.length
            ? html`<p role="status" class="ok" data-testid="download-bundled-done">Every bundled model is in this browser: they work offline.</p>`
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
              <th>Dataset</th>
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
                      ${m.untrained ? '' : html`<span class="tag">${m.origin}</span>`}
                      ${
                        m.download
                          ? html`<span class="tag" data-testid="not-downloaded" title="downloaded the first time it is used; then it works offline"
                              >not downloaded · ${bytes(m.download.bytes)}</span
                            >`
                          : ''
                      }
                      ${m.pipeline ? html`<div class="muted">${m.pipeline}</div>` : ''}
                    </td>
                    <td data-label="Architecture">${m.architecture}</td>
                    <td data-label="Dataset" data-testid="model-dataset">${datasetTitle(m.dataset)}</td>
                    <td data-label="Runs as">${runtimeBadge(m.runtime, variantColor({ runtime: m.runtime, compressed: !!m.pipeline }))}</td>
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
                        <button
                          class="secondary"
                          data-testid="export"
                          data-model=${m.id}
                          aria-expanded=${this.#export.modelId === m.id ? 'true' : 'false'}
                          aria-controls="export-panel"
                          @click=${() => this.#export.toggle(m.id)}
                          aria-label="Export ${m.name}"
                        >
                          Export
                        </button>
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
                  </tr>
                  ${
                    this.#export.modelId === m.id
                      ? html`<tr class="export-row">
                          <td class="export-cell" colspan="9">${this.#exportPanel(m)}</td>
                        </tr>`
                      : nothing
                  }`,
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
