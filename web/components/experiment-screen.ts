import { LitElement, css, html, nothing, unsafeCSS } from 'lit';
import { customElement } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { Job, JobController } from '../controllers/job.ts';
import { LabStateController, labState } from '../controllers/lab-state.ts';
import { PipelineController, compressJob, measureJob } from '../controllers/pipeline.ts';
import { PALETTE } from '../palette.ts';
import { bytes, fixed, int, ms, pct, times } from '../format.ts';
import { sharedStyles } from './shared-styles.ts';
import { jobView } from './job-view.ts';
import type { FollowUp, Int8Experiment } from '../../src/worker/experiment.ts';
import type { ResultRecord } from '../../src/worker/types.ts';

/**
 * The experiment is module state, like the Compress screen's run: it takes a
 * while on a slow adapter, and the user (a workshop audience) may look at the
 * Device screen meanwhile; progress and Cancel show again on return.
 */
const experimentJob = new Job<Int8Experiment>();
/** The screen's picks, and the follow-up last started here (its progress shows again on return). */
let choice: { sourceId?: string; limit: number; followUp?: FollowUp } = { limit: 10000 };

/** Palette colours as CSS values (constants from web/palette.ts, never user input). */
const C = { fp32: unsafeCSS(PALETTE.fp32), int8: unsafeCSS(PALETTE.int8), compressed: unsafeCSS(PALETTE.compressed) };

/** Evaluation sizes offered; fewer than the whole split is labelled a subset wherever numbers show. */
const LIMITS = [1000, 10000];

/** The worker's speed ratio (int8 over fp32, > 1 = int8 faster) in words: "0.52× speed-up" would read as a gain. */
const speedUp = (r: number | undefined): string => (r === undefined ? '—' : `${times(r)} ${r >= 1 ? 'speed-up' : '(int8 slower)'}`);

/** "+0.12 points" / "−0.40 points": a difference the worker computed, written with its sign. */
const points = (v: number): string => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${fixed(Math.abs(v), 2)} points`;

/**
 * The guided "FP32 vs INT8 on this GPU" experiment: pick a float model, the
 * worker quantizes it to int8 and measures both (src/worker/experiment.ts);
 * the two columns, the ratios it computed, what the int8 multiply on this
 * adapter is, and the next experiments as one-click pipelines.
 */
@customElement('experiment-screen')
export class ExperimentScreen extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      .fp32 {
        --side: ${C.fp32};
      }
      .int8 {
        --side: ${C.int8};
      }
      table.side {
        width: 100%;
        max-width: 46rem;
        table-layout: fixed;
      }
      table.side th.fp32,
      table.side th.int8 {
        color: #fff;
        background: var(--side);
        text-align: right;
      }
      table.side td.fp32,
      table.side td.int8 {
        border-left: 4px solid var(--side);
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      table.side td.vs {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      table.side th:first-child {
        width: 34%;
      }
      table.side th[scope='row'] {
        white-space: normal;
      }
      table.side .unit,
      table.side .vs-inline {
        display: block;
        font-weight: 400;
        font-size: 0.85rem;
        opacity: 0.8;
      }
      /* Wide: the comparison has its own column; narrow: it moves under the row's name. */
      table.side .vs-inline {
        display: none;
      }
      select {
        max-width: 100%;
      }
      .headline {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        margin: 0.75rem 0;
      }
      .headline > div {
        flex: 1 1 12rem;
        border: 1px solid #8886;
        border-top: 4px solid ${C.int8};
        border-radius: 8px;
        padding: 0.5rem 0.75rem;
      }
      .headline strong {
        display: block;
        font-size: 1.6rem;
        font-variant-numeric: tabular-nums;
      }
      ul.next {
        list-style: none;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr));
        gap: 0.75rem;
      }
      ul.next > li {
        border: 1px solid #8886;
        border-left: 4px solid ${C.compressed};
        border-radius: 8px;
        padding: 0.5rem 0.75rem;
      }
      ul.next p {
        margin: 0.3rem 0;
      }
      @media (max-width: 600px) {
        table.side .vs-col,
        table.side td.vs {
          display: none;
        }
        table.side .vs-inline {
          display: block;
        }
        table.side th:first-child {
          width: 40%;
        }
      }
      @media (max-width: 480px) {
        table.side {
          font-size: 0.85rem;
        }
        table.side th,
        table.side td {
          padding: 0.3rem 0.25rem;
        }
        .headline strong {
          font-size: 1.35rem;
        }
      }
    `,
  ];

  #state = new LabStateController(this);
  #experiment = new JobController<Int8Experiment>(this, experimentJob);
  #compress = new JobController(this, compressJob);
  #measure = new JobController<ResultRecord>(this, measureJob);
  #pipeline = new PipelineController(this);
  #set(next: Partial<typeof choice>): void {
    choice = { ...choice, ...next };
    this.requestUpdate();
  }

  /** Float variants only: the experiment starts from fp32 and makes the int8 twin. */
  get #sources() {
    return this.#state.state.models.filter((m) => m.runtime === 'fp32');
  }

  get #sourceId(): string | undefined {
    const ids = this.#sources.map((m) => m.id);
    if (choice.sourceId && ids.includes(choice.sourceId)) return choice.sourceId;
    const sel = this.#state.state.selectedId;
    return sel && ids.includes(sel) ? sel : ids[0];
  }

  async #run(): Promise<void> {
    const sourceId = this.#sourceId;
    if (!sourceId) return;
    const { limit } = choice;
    this.#set({ followUp: undefined });
    await experimentJob.run((p, id) => lab().int8Experiment({ sourceId, limit }, p, id));
    // After success and after a cancel alike: the lists show what is really stored.
    await Promise.all([labState.refreshModels(), labState.refreshResults()]);
  }

  /** Runs a follow-up as a normal Compress pipeline job (the draft shows on Compress, where its options can be changed). */
  #next(f: FollowUp, x: Int8Experiment): void {
    this.#set({ followUp: f });
    this.#pipeline.set({ sourceId: x.source.id, steps: f.steps, name: f.name, measureAfter: true, limit: x.evaluation.count });
    void this.#pipeline.run(x.source.id);
  }

  #column(r: ResultRecord) {
    return {
      accuracy: html`${pct(r.accuracy)}<br /><span class="muted">${int(r.errors)} errors</span>`,
      p50: ms(r.latencyP50),
      p90: ms(r.latencyP90),
      throughput: r.throughput !== undefined ? int(Math.round(r.throughput)) : '—',
      size: bytes(r.bytes),
    };
  }

  #results(x: Int8Experiment) {
    const a = this.#column(x.fp32);
    const b = this.#column(x.int8);
    const ev = x.evaluation;
    const batch = x.fp32.throughputBatch ?? x.int8.throughputBatch;
    // [name, unit, fp32, int8, int8 vs fp32 (the worker's ratios in words), test id]
    const rows: [string, string, unknown, unknown, string, string][] = [
      ['Accuracy', '', a.accuracy, b.accuracy, points(x.accuracyDeltaPoints), 'accuracy'],
      ['Batch-1 latency p50', '', a.p50, b.p50, speedUp(x.latencyRatio), 'p50'],
      ['Batch-1 latency p90', '', a.p90, b.p90, '', 'p90'],
      ['Throughput', `images/s${batch ? `, batch ${batch}` : ''}`, a.throughput, b.throughput, speedUp(x.throughputRatio), 'throughput'],
      ['Size', 'stored weights', a.size, b.size, `${times(x.sizeRatio, 1)} smaller`, 'size'],
    ];
    return html`
      <h3 id="result-h">Measured on ${x.device.name}</h3>
      <p class=${ev.subset ? 'note' : 'muted'} data-testid="experiment-subset">
        Accuracy on ${int(ev.count)} of the ${int(ev.of)} images of the
        ${ev.dataset}${ev.subset ? html` — <strong>a subset</strong>: choose ${int(ev.of)} for the full test set` : ''}. Both measured in this run, one after
        the other, with the same code: ${x.fp32.runs !== undefined ? int(x.fp32.runs) : 'the'} timed batch-1 runs after warm-up,
        ${x.fp32.timingMethod === 'timestamp' ? 'GPU timestamps' : 'end to end (wall clock)'}.
      </p>
      <div class="headline" role="status">
        <div data-testid="experiment-speedup">
          <span>Speed-up (int8 ÷ fp32 throughput)</span>
          <strong>${times(x.throughputRatio)}</strong>
          <span class="muted"
            >${x.throughputRatio === undefined ? 'throughput is timed on a GPU only' : x.speed === 'about the same' ? 'about the same speed here' : `int8 is ${x.speed} here`}</span
          >
        </div>
        <div data-testid="experiment-accuracy-cost">
          <span>Accuracy cost</span>
          <strong>${points(x.accuracyDeltaPoints)}</strong>
          <span class="muted">int8 ${pct(x.int8.accuracy)} vs fp32 ${pct(x.fp32.accuracy)}</span>
        </div>
      </div>
      <div class="scroll">
        <table class="side" data-testid="experiment-table" aria-labelledby="result-h">
          <thead>
            <tr>
              <th scope="col">Measured</th>
              <th scope="col" class="fp32">FP32</th>
              <th scope="col" class="int8">INT8</th>
              <th scope="col" class="n vs-col">INT8 vs FP32</th>
            </tr>
          </thead>
          <tbody>
            ${rows.map(
              ([label, unit, f, i, vs, id]) =>
                html`<tr data-testid="experiment-row-${id}">
                  <th scope="row">
                    ${label}${unit ? html`<span class="unit">${unit}</span>` : nothing}${vs ? html`<span class="vs-inline">int8: ${vs}</span>` : nothing}
                  </th>
                  <td class="fp32" data-testid="fp32-${id}">${f}</td>
                  <td class="int8" data-testid="int8-${id}">${i}</td>
                  <td class="vs">${vs}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <p class="muted">
        FP32: <strong>${x.source.name}</strong>. INT8: <strong>${x.variant.name}</strong>, stored as a new variant (activations calibrated
        ${x.calibration.method} on ${int(x.calibration.images)} images of the ${x.calibration.dataset}). Both rows are in <a href="#compare">Compare</a> and can
        be shared from <a href="#share">Share</a>.
      </p>
      <h3>Why this speed on this adapter</h3>
      <p data-testid="experiment-verdict">${x.verdict}</p>
      ${x.device.outlook ? html`<p class="muted">${x.device.outlook.caveat}</p>` : nothing} ${this.#followUps(x)}
    `;
  }

  #followUps(x: Int8Experiment) {
    const busy = this.#compress.running || this.#measure.running || this.#experiment.running;
    const made = this.#compress.value;
    const measured = this.#measure.value;
    return html`
      <h3 id="next-h">Next experiments</h3>
      <p class="muted">
        Each runs as a pipeline on ${x.source.name} (the Compress screen shows it too, where its options can be changed), stores a new variant and measures it
        on the same ${int(x.evaluation.count)} test images.
      </p>
      <ul class="next" aria-labelledby="next-h">
        ${x.followUps.map(
          (f) =>
            html`<li data-testid="next-${f.id}">
              <strong>${f.label}</strong>${f.trains ? html`<span class="tag">trains on this GPU</span>` : nothing}
              <p class="muted">${f.description}</p>
              ${f.applicable ? nothing : html`<p class="muted">${f.reason}</p>`}
              <button
                class="secondary"
                data-testid="run-${f.id}"
                aria-label="Run ${f.label} on ${x.source.name}"
                ?disabled=${busy || !f.applicable}
                @click=${() => this.#next(f, x)}
              >
                Run
              </button>
            </li>`,
        )}
      </ul>
      ${choice.followUp ? html`${jobView(this.#compress, 'next-compress', choice.followUp.label)} ${jobView(this.#measure, 'next-measure', 'Measurement')}` : nothing}
      ${
        choice.followUp && made && !this.#compress.running && made.name === choice.followUp.name
          ? html`<p role="status" class="ok" data-testid="next-done">
              Stored <strong>${made.name}</strong>: ${bytes(made.bytes)} (${times(made.fp32Bytes / made.bytes)} smaller than fp32).
              ${measured && measured.modelId === made.id ? html`Accuracy ${pct(measured.accuracy)}, ${ms(measured.latencyP50)} p50 — see <a href="#compare">Compare</a>.` : ''}
            </p>`
          : nothing
      }
    `;
  }

  override render() {
    const s = this.#state.state;
    const sources = this.#sources;
    const sourceId = this.#sourceId;
    const dev = s.device;
    const x = this.#experiment.value;
    return html`
      <p>
        Quantize a model to int8 (integer-only inference, Jacob et al. 2018), then measure the float original and its int8 twin on this GPU: accuracy on the
        test split, batch-1 latency, throughput and size, side by side.
      </p>
      ${
        dev?.ok
          ? html`<p class="note" data-testid="experiment-outlook">
              <strong>On this adapter the int8 multiply is the ${dev.int8.multiply.label}</strong> — ${dev.int8.multiply.detail} ${dev.int8.expectation}
            </p>`
          : dev
            ? html`<p class="note">No WebGPU here: both variants run on the CPU reference, so the times are not a GPU's.</p>`
            : nothing
      }
      <div class="row">
        <label for="exp-source">Model</label>
        <select id="exp-source" data-testid="experiment-source" @change=${(e: Event) => this.#set({ sourceId: (e.target as HTMLSelectElement).value })}>
          ${sources.map(
            (m) =>
              html`<option value=${m.id} ?selected=${m.id === sourceId}>
                ${m.name} (${m.origin === 'user' ? 'yours' : m.origin}${m.untrained ? ', untrained' : ''}, ${bytes(m.bytes)})
              </option>`,
          )}
        </select>
      </div>
      <div class="row">
        <label for="exp-limit">Accuracy on</label>
        <select id="exp-limit" data-testid="experiment-limit" @change=${(e: Event) => this.#set({ limit: Number((e.target as HTMLSelectElement).value) })}>
          ${LIMITS.map(
            (n) => html`<option value=${n} ?selected=${n === choice.limit}>${int(n)} test images${n < 10000 ? ' (a subset, quicker)' : ' (all)'}</option>`,
          )}
        </select>
      </div>
      <div class="row">
        <button data-testid="experiment-run" ?disabled=${this.#experiment.running || !sourceId} @click=${this.#run}>Quantize to int8 and measure both</button>
      </div>
      ${jobView(this.#experiment, 'experiment', 'Experiment')} ${x && !this.#experiment.running ? this.#results(x) : nothing}
    `;
  }
}
