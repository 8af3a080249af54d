import { LitElement, css, html, nothing, unsafeCSS, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { PALETTE } from '../palette.ts';
import { fixed, int, pct } from '../format.ts';
import type { TrainingCurve } from '../../src/worker/types.ts';

/**
 * Training curves of a job or a stored variant: the training loss of every
 * step group (the chunk of steps the trainer submits at once, the finest
 * grain it reads back) with each epoch's mean, and the test accuracy after
 * every epoch, as two small uPlot charts on one step axis. The runs of a
 * pipeline (fine-tune, distillation, gradual stages) follow each other on
 * that axis. Presentation only: every number comes from the worker.
 * Redraws as points arrive (`curves` is replaced, not mutated, by its owner).
 */
const STEP_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6];

@customElement('training-curves')
export class TrainingCurves extends LitElement {
  static override styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
        max-width: 100%;
      }
      .charts {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
      }
      figure {
        margin: 0.25rem 0;
        min-width: 0;
        flex: 1 1 260px;
      }
      figcaption {
        font-weight: 600;
        font-size: 0.9rem;
      }
      .u-legend {
        font-size: 0.8rem;
      }
      p {
        margin: 0.25rem 0;
        font-size: 0.85rem;
      }
      .muted {
        opacity: 0.75;
      }
      figcaption .muted {
        font-weight: 400;
      }
    `,
  ];

  @property({ attribute: false }) curves: TrainingCurve[] = [];
  /** True while the job runs ("so far" in the summary). */
  @property({ type: Boolean }) live = false;

  #plots: uPlot[] = [];
  #ro: ResizeObserver | undefined;

  #steps(): number {
    return this.curves.reduce((a, c) => a + (c?.steps.length ?? 0), 0);
  }
  #epochs(): number {
    return this.curves.reduce((a, c) => a + (c?.epochs.length ?? 0), 0);
  }

  override render() {
    const runs = this.curves.filter(Boolean);
    const lastRun = runs[runs.length - 1];
    const lastStep = lastRun?.steps[lastRun.steps.length - 1];
    const lastEpoch = [...runs].reverse().find((c) => c.epochs.some((e) => e.testAccuracy !== undefined));
    const acc = lastEpoch?.epochs.filter((e) => e.testAccuracy !== undefined).pop();
    // Text alternatives say what the charts show: the loss from its first to its last point, the accuracy of every epoch.
    const firstStep = runs.find((c) => c.steps.length)?.steps[0];
    const lossText =
      firstStep && lastStep
        ? `, from ${fixed(firstStep.loss, 4)} at step ${int(firstStep.step)} to ${fixed(lastStep.loss, 4)} at step ${int(lastStep.step)}`
        : ', no point yet';
    const tested = runs.flatMap((c) => c.epochs.filter((e) => e.testAccuracy !== undefined).map((e) => `${c.label} epoch ${e.epoch}: ${pct(e.testAccuracy!)}`));
    const accText = tested.length ? `: ${tested.join('; ')}` : ', no epoch tested yet';
    return html`<section aria-label="Training curves">
      <div class="charts">
        <figure role="img" aria-label="Training loss per step group${lossText}">
          <figcaption>Training loss per step group</figcaption>
          <div id="loss"></div>
        </figure>
        <figure role="img" aria-label="Test accuracy per epoch${accText}">
          <figcaption>Test accuracy per epoch${tested.length ? '' : html` <span class="muted">(a point after each epoch)</span>`}</figcaption>
          <div id="acc"></div>
        </figure>
      </div>
      <p data-testid="curve-summary">
        ${lastStep ? html`Loss ${fixed(lastStep.loss, 4)} at step ${int(lastStep.step)} (epoch ${lastStep.epoch}, lr ${lastStep.lr.toPrecision(3)})` : 'No step group finished yet'}${
          acc ? html`; test accuracy ${pct(acc.testAccuracy!)} on ${int(acc.testCount ?? 0)} test images after epoch ${acc.epoch}` : ''
        }${this.live ? ' — so far' : ''}.
      </p>
      ${
        runs.length
          ? html`<p class="muted">
              ${runs.map(
                (c, i) =>
                  html`${i ? '; ' : ''}${c.label}: batch ${c.batch}, ${int(c.stepsPerEpoch)} steps per
                  epoch${
                    c.steps.length
                      ? c.steps.length === 1
                        ? `, step ${int(c.steps[0].step)}`
                        : `, steps ${int(c.steps[0].step)}–${int(c.steps[c.steps.length - 1].step)}`
                      : ''
                  }`,
              )}.
              A step group is the ${runs[0].stepsPerEpoch > 1 ? 'chunk of steps' : 'step'} the GPU runs between two progress reports; its loss is the mean over
              its images.
            </p>`
          : nothing
      }
    </section>`;
  }

  override firstUpdated(): void {
    this.#ro = new ResizeObserver(() => {
      for (const p of this.#plots) p.setSize({ width: this.#width(p.root.parentElement as HTMLElement), height: 170 });
    });
    this.#ro.observe(this);
  }

  override disconnectedCallback(): void {
    this.#ro?.disconnect();
    this.#destroy();
    super.disconnectedCallback();
  }

  #destroy(): void {
    for (const p of this.#plots) p.destroy();
    this.#plots = [];
  }

  override updated(_: PropertyValues): void {
    // The host's attributes let tests and tools read how many points are drawn.
    this.setAttribute('data-steps', String(this.#steps()));
    this.setAttribute('data-epochs', String(this.#epochs()));
    this.#destroy();
    const loss = this.renderRoot.querySelector<HTMLElement>('#loss');
    const acc = this.renderRoot.querySelector<HTMLElement>('#acc');
    if (loss) this.#plots.push(this.#lossPlot(loss));
    if (acc) this.#plots.push(this.#accuracyPlot(acc));
  }

  #width(el: HTMLElement | null): number {
    // The figure's own width (two side by side on a wide screen, stacked on a phone).
    return Math.max(220, Math.min((el?.clientWidth || this.clientWidth || 320) - 4, 700));
  }

  /** uPlot's options shared by both charts; `legend.live` off, so the legend shows labels only (no "--" before the cursor is over a point). */
  #base(el: HTMLElement, yLabel: string, range: uPlot.Range.Function): uPlot.Options {
    // Both charts span step 0 to the last step drawn, so an epoch's accuracy sits under its losses.
    const last = Math.max(1, ...this.curves.filter(Boolean).flatMap((c) => [...c.steps.map((s) => s.step), ...c.epochs.map((e) => e.step)]));
    return {
      width: this.#width(el.parentElement),
      height: 170,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      // A little room right of the last step, so its point is not cut in half by the plot's edge.
      scales: { x: { time: false, range: [0, last * 1.03] }, y: { range } },
      axes: [
        // Whole steps only (no "0.5 step" ticks on a short run).
        { label: 'step', size: 36, incrs: STEP_TICKS },
        { label: yLabel, size: 56 },
      ],
      series: [{ label: 'step' }],
    };
  }

  #lossPlot(el: HTMLElement): uPlot {
    const runs = this.curves.filter(Boolean);
    const stepY = new Map<number, number>();
    const epochY = new Map<number, number>();
    for (const c of runs) {
      for (const s of c.steps) stepY.set(s.step, s.loss);
      for (const e of c.epochs) epochY.set(e.step, e.trainLoss);
    }
    const xs = [...new Set([...stepY.keys(), ...epochY.keys()])].sort((a, b) => a - b);
    // From 0 (a loss is never negative) to a little above the highest point, also when there is one point only.
    const o = this.#base(el, 'loss', (_u, _min, max) => (max == null || !(max > 0) ? [0, 1] : [0, max * 1.1]));
    o.series.push(
      { label: 'loss per step group', stroke: PALETTE.fp32, width: 2, spanGaps: true, points: { show: true, size: 4, fill: PALETTE.fp32 } },
      {
        label: 'epoch mean',
        stroke: PALETTE.marker,
        width: 0,
        paths: () => null,
        points: { show: true, size: 8, fill: PALETTE.marker, stroke: PALETTE.marker },
      },
    );
    return new uPlot(o, [xs, xs.map((x) => stepY.get(x) ?? null), xs.map((x) => epochY.get(x) ?? null)] as uPlot.AlignedData, el);
  }

  #accuracyPlot(el: HTMLElement): uPlot {
    const test = new Map<number, number>();
    const train = new Map<number, number>();
    for (const c of this.curves.filter(Boolean))
      for (const e of c.epochs) {
        if (e.testAccuracy !== undefined) test.set(e.step, e.testAccuracy * 100);
        if (e.trainAccuracy !== undefined) train.set(e.step, e.trainAccuracy * 100);
      }
    const xs = [...new Set([...test.keys(), ...train.keys()])].sort((a, b) => a - b);
    // Accuracy stays within 0–100 %, however few the points.
    const o = this.#base(el, 'accuracy %', (_u, min, max) => {
      if (min == null || max == null) return [0, 100];
      const pad = Math.max(max - min, 2) * 0.25;
      return [Math.max(0, min - pad), Math.min(100, max + pad)];
    });
    o.series.push({ label: 'test accuracy', stroke: PALETTE.accent, width: 2, spanGaps: true, points: { show: true, size: 7, fill: PALETTE.accent } });
    const data = [xs, xs.map((x) => test.get(x) ?? null)];
    if (train.size) {
      o.series.push({
        label: 'train accuracy',
        stroke: PALETTE.compressed,
        width: 2,
        spanGaps: true,
        points: { show: true, size: 7, fill: PALETTE.compressed },
      });
      data.push(xs.map((x) => train.get(x) ?? null));
    }
    return new uPlot(o, data as uPlot.AlignedData, el);
  }
}
