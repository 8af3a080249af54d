import { LitElement, css, html } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { JobController } from '../controllers/job.ts';
import { LabStateController } from '../controllers/lab-state.ts';
import { PredictController, comparisonPartner } from '../controllers/predict.ts';
import { datasetTitle, pct } from '../format.ts';
import { sharedStyles } from './shared-styles.ts';
import { jobView } from './job-view.ts';
import './activations-view.ts';
import type { ActivationComparison, TestImage } from '../../src/worker/types.ts';

const SIZE = 280;

/** Paints 784 grey bytes (ink bright) into a 28×28 canvas. */
function paint(canvas: HTMLCanvasElement | null, pixels: number[]): void {
  const ctx = canvas?.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = 255 - pixels[i];
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/** The Try-it screen: draw a digit or pick a test image; chosen variants' predictions side by side. */
@customElement('try-screen')
export class TryScreen extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      .layout {
        display: flex;
        flex-wrap: wrap;
        gap: 1rem;
        align-items: flex-start;
      }
      canvas.draw {
        width: min(280px, 80vw);
        height: min(280px, 80vw);
        background: #000;
        border-radius: 8px;
        touch-action: none;
        cursor: crosshair;
      }
      canvas.small {
        width: 56px;
        height: 56px;
        image-rendering: pixelated;
        border: 1px solid #8886;
      }
      .preds {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
        gap: 0.75rem;
        flex: 1;
        min-width: 16rem;
      }
      .pred {
        border: 1px solid #8886;
        border-radius: 8px;
        padding: 0.5rem;
      }
      .top {
        font-size: 2rem;
        font-weight: 700;
      }
      .bar {
        display: grid;
        grid-template-columns: 1.2rem 1fr 3.6rem;
        gap: 0.3rem;
        align-items: center;
        font-size: 0.8rem;
      }
      .bar span.fill {
        display: block;
        height: 0.7rem;
        background: #1a5fb4;
        border-radius: 2px;
      }
      .bar.best span.fill {
        background: #26a269;
      }
      .grid {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      .grid button {
        background: transparent;
        color: inherit;
        border: 1px solid #8886;
        padding: 0.25rem;
        display: flex;
        flex-direction: column;
        align-items: center;
        font-size: 0.75rem;
      }
      fieldset {
        border: 1px solid #8886;
        border-radius: 8px;
      }
    `,
  ];

  #state = new LabStateController(this);
  #scan = new JobController<TestImage[]>(this);
  @state() private chosen: string[] | undefined;
  #predict = new PredictController(this);
  @state() private filter: 'all' | 'disagree' | 'wrong' = 'disagree';
  @query('canvas.draw') private canvas!: HTMLCanvasElement;
  @query('canvas.seen') private seenCanvas!: HTMLCanvasElement;
  #drawing = false;
  #last: [number, number] | undefined;
  /** Activations: variant A and B as picked (undefined: the default), shown once asked for, then kept current. */
  @state() private actA: string | undefined;
  @state() private actB: string | undefined;
  @state() private showActs = false;
  @state() private acts: { data: ActivationComparison; seen: number[]; key: string } | undefined;
  #actsJob = new JobController<ActivationComparison>(this);
  #actsAsked: { seen: number[]; key: string } | undefined;

  /** A: as picked, else the first variant compared above. */
  #actAId(): string | undefined {
    const ms = this.#state.state.models;
    return this.actA && ms.some((m) => m.id === this.actA) ? this.actA : this.#ids()[0];
  }

  /** B: as picked ('' for none), else A's int8 child or parent, else the second variant compared above. */
  #actBId(): string | undefined {
    const ms = this.#state.state.models;
    if (this.actB === '') return undefined;
    const a = this.#actAId();
    if (this.actB && this.actB !== a && ms.some((m) => m.id === this.actB)) return this.actB;
    return comparisonPartner(ms, a) ?? this.#ids().find((id) => id !== a);
  }

  /** A new A: B goes back to A's default partner. */
  #pickA(e: Event): void {
    this.actA = (e.target as HTMLSelectElement).value;
    this.actB = undefined;
  }

  async #showActivations(): Promise<void> {
    const seen = this.#predict.seen;
    const a = this.#actAId();
    if (!seen || !a) return;
    const b = this.#actBId();
    const key = `${a}|${b ?? ''}`;
    this.showActs = true;
    this.#actsAsked = { seen, key };
    await this.#actsJob.cancel();
    const data = await this.#actsJob.run((p, id) => lab().activations(b ? [a, b] : [a], seen, p, id));
    if (data && this.#actsAsked?.seen === seen && this.#actsAsked.key === key) this.acts = { data, seen, key };
  }

  /** Default choice: one variant per runtime, most recent first (e.g. fp32 and int8 of the same model). */
  #ids(): string[] {
    if (this.chosen) return this.chosen;
    const ms = this.#state.state.models;
    const pick: string[] = [];
    const sel = this.#state.state.selectedId;
    if (sel) pick.push(sel);
    for (const m of [...ms].reverse()) if (pick.length < 3 && !pick.includes(m.id) && m.runtime === 'int8') pick.push(m.id);
    return pick.length ? pick : ms.slice(0, 2).map((m) => m.id);
  }

  override firstUpdated(): void {
    this.#clear();
  }

  #clear(): void {
    const ctx = this.canvas?.getContext('2d');
    if (!ctx) return;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, SIZE, SIZE);
    this.#predict.clear();
  }

  #pos(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * SIZE, ((e.clientY - r.top) / r.height) * SIZE];
  }

  #down(e: PointerEvent): void {
    this.#drawing = true;
    this.canvas.setPointerCapture(e.pointerId);
    this.#last = this.#pos(e);
    this.#stroke(this.#last);
  }

  #move(e: PointerEvent): void {
    if (!this.#drawing) return;
    this.#stroke(this.#pos(e));
  }

  #up(): void {
    if (!this.#drawing) return;
    this.#drawing = false;
    this.#last = undefined;
    void this.#predictDrawing();
  }

  #stroke(p: [number, number]): void {
    const ctx = this.canvas.getContext('2d')!;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 20;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    const from = this.#last ?? p;
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(p[0] + 0.01, p[1]);
    ctx.stroke();
    this.#last = p;
  }

  async #predictDrawing(): Promise<void> {
    const ctx = this.canvas.getContext('2d')!;
    await this.#predict.drawing(ctx.getImageData(0, 0, SIZE, SIZE), this.#ids());
  }

  async #pickTest(t: TestImage): Promise<void> {
    await this.#predict.testImage(t, this.#ids());
  }

  async #scanTests(): Promise<void> {
    await this.#scan.run((p, id) => lab().testImages(this.#ids(), this.filter, 16, 2000, p, id));
  }

  #toggle(id: string, on: boolean): void {
    const cur = this.#ids();
    const next = on ? [...new Set([...cur, id])] : cur.filter((x) => x !== id);
    // Side by side in the order of the Models list, whatever the order of clicks.
    const order = this.#state.state.models.map((m) => m.id);
    this.chosen = next.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  }

  override updated(): void {
    // Once shown, the activations follow the image and the two variants picked.
    const seen = this.#predict.seen;
    const key = `${this.#actAId()}|${this.#actBId() ?? ''}`;
    if (this.showActs && seen && (this.#actsAsked?.seen !== seen || this.#actsAsked.key !== key)) void this.#showActivations();
    if (this.#predict.seen) paint(this.seenCanvas, this.#predict.seen);
    this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-index]').forEach((c) => {
      const t = this.#scan.value?.find((x) => String(x.index) === c.dataset.index);
      if (t) paint(c, t.pixels);
    });
  }

  #activationsSection() {
    const ms = this.#state.state.models;
    const a = this.#actAId();
    const b = this.#actBId();
    const seen = this.#predict.seen;
    const shown = this.acts && this.acts.seen === seen && this.acts.key === `${a}|${b ?? ''}` ? this.acts.data : undefined;
    const isCompressed = (id: string | undefined): boolean => !!ms.find((m) => m.id === id)?.pipeline;
    const option = (m: (typeof ms)[number], sel: string | undefined) =>
      html`<option value=${m.id} ?selected=${m.id === sel}>${m.name} (${m.runtime})${m.untrained ? ' — untrained' : ''}</option>`;
    return html`
      <h3 id="activations">Inside the network</h3>
      <p class="muted">
        Each layer's output for the image above, under two variants side by side, and where they differ: feature maps as small images, dense layers as bars.
      </p>
      <div class="row">
        <label for="act-a">A</label>
        <select id="act-a" data-testid="act-pick-a" @change=${this.#pickA}>
          ${ms.map((m) => option(m, a))}
        </select>
        <label for="act-b">B</label>
        <select id="act-b" data-testid="act-pick-b" @change=${(e: Event) => (this.actB = (e.target as HTMLSelectElement).value)}>
          <option value="" ?selected=${!b}>none (A alone)</option>
          ${ms.filter((m) => m.id !== a).map((m) => option(m, b))}
        </select>
        <button data-testid="show-activations" ?disabled=${!seen || !a || this.#actsJob.running} @click=${this.#showActivations}>Show activations</button>
        ${seen ? '' : html`<span class="muted">Draw a digit or pick a test image first.</span>`}
      </div>
      ${jobView(this.#actsJob, 'activations', 'Activations')}
      ${
        shown
          ? html`<activations-view
              data-testid="activations"
              .data=${shown}
              .compressed=${[isCompressed(a), isCompressed(b)] as [boolean, boolean]}
            ></activations-view>`
          : ''
      }
    `;
  }

  override render() {
    const s = this.#state.state;
    const ids = this.#ids();
    const tests = this.#scan.value ?? [];
    const nameOf = (id: string) => s.models.find((m) => m.id === id)?.name ?? id;
    return html`
      <fieldset>
        <legend>Variants to compare</legend>
        <div class="row">
          ${s.models.map(
            (m) =>
              html`<span
                ><input
                  type="checkbox"
                  id="v-${m.id}"
                  aria-describedby="ds-${m.id}"
                  .checked=${ids.includes(m.id)}
                  @change=${(e: Event) => this.#toggle(m.id, (e.target as HTMLInputElement).checked)}
                />
                <label for="v-${m.id}" style="font-weight:400">${m.name} (${m.runtime})${m.untrained ? ' — untrained' : ''}</label
                ><span class="muted" id="ds-${m.id}"> · ${datasetTitle(m.dataset)}</span></span
              >`,
          )}
        </div>
      </fieldset>
      <div class="layout">
        <div>
          <canvas
            class="draw"
            width=${SIZE}
            height=${SIZE}
            data-testid="draw-canvas"
            aria-label="Drawing area: draw a digit with the mouse, a finger or a pen. Keyboard users: pick a test image below."
            @pointerdown=${this.#down}
            @pointermove=${this.#move}
            @pointerup=${this.#up}
            @pointercancel=${this.#up}
          ></canvas>
          <div class="row">
            <button class="secondary" data-testid="clear" @click=${this.#clear}>Clear</button>
            <button data-testid="predict" @click=${this.#predictDrawing}>Predict</button>
          </div>
        </div>
        <div class="preds" data-testid="predictions" aria-live="polite">
          ${
            this.#predict.seen
              ? html`<div class="pred">
                  <div class="muted">
                    What the nets see (28×28)${this.#predict.label !== undefined ? html`, label <strong>${this.#predict.label}</strong>` : ''}
                  </div>
                  <canvas class="small seen" width="28" height="28"></canvas>
                </div>`
              : ''
          }
          ${this.#predict.predictions.map(
            (p) =>
              html`<div class="pred" data-testid="prediction">
                <div>${nameOf(p.modelId)} <span class="tag">${p.runtime}${p.ranOn === 'cpu' ? ', CPU' : ''}</span></div>
                <div class="top" data-testid="top">${p.top}</div>
                <div class="muted">${pct(p.probabilities[p.top], 1)} sure</div>
                ${p.probabilities.map(
                  (v, c) =>
                    html`<div class="bar ${c === p.top ? 'best' : ''}">
                      <span>${c}</span><span><span class="fill" style="width:${(v * 100).toFixed(1)}%"></span></span><span>${pct(v, 1)}</span>
                    </div>`,
                )}
              </div>`,
          )}
        </div>
      </div>
      ${this.#predict.error ? html`<p class="error" role="alert" data-testid="try-error">${this.#predict.error}</p>` : ''} ${this.#activationsSection()}
      <h3>Test-set images</h3>
      <div class="row">
        <label for="filter">Show</label>
        <select id="filter" @change=${(e: Event) => (this.filter = (e.target as HTMLSelectElement).value as typeof this.filter)}>
          <option value="disagree" ?selected=${this.filter === 'disagree'}>where the variants disagree</option>
          <option value="wrong" ?selected=${this.filter === 'wrong'}>where any variant is wrong</option>
          <option value="all" ?selected=${this.filter === 'all'}>the first images</option>
        </select>
        <button class="secondary" data-testid="scan" ?disabled=${this.#scan.running} @click=${this.#scanTests}>Find images</button>
        <span class="muted">Scans the first 2,000 MNIST test images.</span>
      </div>
      ${jobView(this.#scan, 'scan', 'Scan')} ${this.#scan.value && !tests.length ? html`<p role="status">No such image among the first 2,000.</p>` : ''}
      <div class="grid">
        ${tests.map(
          (t) =>
            html`<button
              @click=${() => this.#pickTest(t)}
              aria-label="Test image ${t.index}, label ${t.label}, predicted ${t.predictions.map((p) => p.top).join(', ')}"
            >
              <canvas class="small" width="28" height="28" data-index=${t.index}></canvas>
              <span>#${t.index}: ${t.label} → ${t.predictions.map((p) => p.top).join('/')}</span>
            </button>`,
        )}
      </div>
    `;
  }
}
