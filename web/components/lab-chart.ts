import { LitElement, css, html, unsafeCSS, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import { PALETTE } from '../palette.ts';

/**
 * A scatter series: points (x, y) with a label; `line` joins them (the Pareto
 * front). `hollow` and `small` mark a second, third… group (e.g. another
 * device) when colour already says something else (the runtime).
 */
export interface ChartSeries {
  label: string;
  points: { x: number; y: number }[];
  color: string;
  line?: boolean;
  hollow?: boolean;
  small?: boolean;
}

/** A legend value: the number under the cursor with its unit, or nothing (uPlot's default is "--"). */
function legendValue(unit: string) {
  return (_u: uPlot, v: number | null): string => (v == null ? '' : `${v.toLocaleString('en-US', { maximumFractionDigits: v < 10 ? 3 : 2 })}${unit}`);
}

/**
 * A uPlot chart in its own shadow root (uPlot's CSS inside it). `kind`
 * 'scatter' draws points per series; 'bars' draws one bar per category.
 * The legend shows the values under the cursor while hovering and nothing
 * otherwise; a scatter with fewer than two points shows `emptyHint` (what to
 * add to get a comparison) instead of one lonely dot, when given.
 * Presentation only: every number comes from the worker.
 */
@customElement('lab-chart')
export class LabChart extends LitElement {
  static override styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
      }
      figure {
        margin: 0.5rem 0 1rem;
      }
      figcaption {
        font-weight: 600;
        margin-bottom: 0.25rem;
      }
      .u-legend {
        font-size: 0.8rem;
      }
      /* No "label:" with nothing after it: the colon shows only beside a value (while hovering). */
      .u-inline.u-live .u-series:has(.u-value:empty) th::after {
        content: none;
      }
      .hint {
        border: 1px dashed #8888;
        border-radius: 8px;
        padding: 0.75rem 1rem;
        margin: 0;
        max-width: 40rem;
      }
    `,
  ];

  @property() caption = '';
  @property() kind: 'scatter' | 'bars' = 'scatter';
  @property() xLabel = '';
  @property() yLabel = '';
  @property({ type: Boolean }) logX = false;
  /** Units appended to legend values (e.g. " ms", " %"). */
  @property() xUnit = '';
  @property() yUnit = '';
  /** Shown instead of a scatter that has fewer than two points (say what to add). Empty: draw anyway. */
  @property() emptyHint = '';
  /** Colour of the bars (web/palette.ts). */
  @property() barColor: string = PALETTE.fp32;
  /** Bounds the y axis never goes past (accuracy: 0–100 %), however few the points. */
  @property({ type: Number }) yMin: number | undefined;
  @property({ type: Number }) yMax: number | undefined;
  @property({ attribute: false }) series: ChartSeries[] = [];
  /** For 'bars': category names and values. */
  @property({ attribute: false }) categories: string[] = [];
  @property({ attribute: false }) values: number[] = [];

  #plot: uPlot | undefined;
  #ro: ResizeObserver | undefined;

  /** True when the scatter would show fewer than two points and a hint replaces it. */
  #hinted(): boolean {
    if (this.kind !== 'scatter' || !this.emptyHint) return false;
    return new Set(this.series.flatMap((s) => s.points.map((p) => `${p.x},${p.y}`))).size < 2;
  }

  override render() {
    if (this.#hinted()) {
      return html`<figure>
        <figcaption>${this.caption}</figcaption>
        <p class="hint" data-testid="chart-hint">${this.emptyHint}</p>
      </figure>`;
    }
    return html`<figure>
      <figcaption>${this.caption}</figcaption>
      <div id="plot" role="img" aria-label=${`${this.caption} (the table above has the same numbers)`}></div>
    </figure>`;
  }

  override firstUpdated(): void {
    this.#ro = new ResizeObserver(() => this.#plot?.setSize({ width: this.#width(), height: this.#height() }));
    this.#ro.observe(this);
  }

  override disconnectedCallback(): void {
    this.#ro?.disconnect();
    this.#plot?.destroy();
    this.#plot = undefined;
    super.disconnectedCallback();
  }

  override updated(_: PropertyValues): void {
    this.#plot?.destroy();
    this.#plot = undefined;
    const el = this.renderRoot.querySelector<HTMLElement>('#plot');
    if (!el) return;
    this.#plot = this.kind === 'bars' ? this.#bars(el) : this.#scatter(el);
    // uPlot fills the legend with "--" until the cursor moves: show nothing until there is a value to show.
    this.#plot.setLegend({ idx: null as unknown as number });
  }

  #width(): number {
    return Math.max(260, Math.min(this.clientWidth || 600, 900));
  }

  #height(): number {
    return this.kind === 'bars' ? 240 : 280;
  }

  #scatter(el: HTMLElement): uPlot {
    // uPlot wants one ascending x array shared by all series; each series is null where it has no point.
    const xs = [...new Set(this.series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
    const ys = this.series.map((s) => xs.map((x) => s.points.find((p) => p.x === x)?.y ?? null));
    const data = [xs, ...ys] as uPlot.AlignedData;
    return new uPlot(
      {
        width: this.#width(),
        height: this.#height(),
        scales: {
          x: { time: false, distr: this.logX ? 3 : 1 },
          // uPlot pads a single point (or equal values) far beyond the data, e.g. accuracy up to 150 %.
          y: {
            range: (_u, min, max) => {
              if (min == null || max == null) return [this.yMin ?? 0, this.yMax ?? 1];
              const pad = Math.max(max - min, 1) * 0.1;
              return [
                this.yMin === undefined ? min - pad : Math.max(this.yMin, min - pad),
                this.yMax === undefined ? max + pad : Math.min(this.yMax, max + pad),
              ];
            },
          },
        },
        axes: [{ label: this.xLabel }, { label: this.yLabel, size: 60 }],
        series: [
          { label: this.xLabel, value: legendValue(this.xUnit) },
          ...this.series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: s.line ? 2 : 0,
            spanGaps: !!s.line,
            paths: s.line ? undefined : () => null,
            value: legendValue(this.yUnit),
            // A line (the Pareto front) joins points another series already draws in their runtime's colour.
            points: s.line ? { show: false } : { show: true, size: s.small ? 6 : 9, width: 2, fill: s.hollow ? '#fff' : s.color, stroke: s.color },
          })),
        ],
      },
      data,
      el,
    );
  }

  #bars(el: HTMLElement): uPlot {
    const xs = this.categories.map((_, i) => i);
    const names = this.categories;
    return new uPlot(
      {
        width: this.#width(),
        height: this.#height(),
        scales: { x: { time: false, range: [-0.5, Math.max(0.5, xs.length - 0.5)] } },
        axes: [
          { label: this.xLabel, values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (names[t] ?? '') : '')), rotate: 0 },
          { label: this.yLabel, size: 60 },
        ],
        series: [
          { label: 'layer', value: (_u, v) => (v === null ? '' : (names[v] ?? '')) },
          {
            label: this.yLabel,
            stroke: this.barColor,
            fill: `${this.barColor}aa`,
            value: legendValue(this.yUnit),
            paths: uPlot.paths.bars!({ size: [0.7, 60] }),
            points: { show: false },
          },
        ],
      },
      [xs, this.values] as uPlot.AlignedData,
      el,
    );
  }
}
