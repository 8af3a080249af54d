import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { PALETTE, variantColor } from '../palette.ts';
import { sharedStyles } from './shared-styles.ts';
import type { ActivationComparison, ActivationRow, ActivationVariant, LayerActivation } from '../../src/worker/types.ts';

/** Short numbers for labels: 3 significant digits, the minus sign a real one. */
function num(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const s = Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.001) ? v.toExponential(2) : v.toPrecision(3);
  return s.replace('-', '−');
}

const shapeText = (s: readonly number[]): string => `[${s.join(', ')}]`;

function hexRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const ZERO = hexRgb(PALETTE.zero);
const POS = hexRgb(PALETTE.positive);
const NEG = hexRgb(PALETTE.negative);

/** How one map is coloured: grey from the row's low to its high value, or the diverging palette over ±maxAbs. */
type Coloring = { kind: 'grey'; lo: number; hi: number } | { kind: 'diverging'; maxAbs: number };

function colorOf(v: number, c: Coloring): [number, number, number] {
  if (c.kind === 'grey') {
    const g = c.hi > c.lo ? Math.round((255 * (v - c.lo)) / (c.hi - c.lo)) : 0;
    return [g, g, g];
  }
  const t = c.maxAbs > 0 ? Math.max(-1, Math.min(1, v / c.maxAbs)) : 0;
  const to = t >= 0 ? POS : NEG;
  const a = Math.abs(t);
  return [0, 1, 2].map((k) => Math.round(ZERO[k] + (to[k] - ZERO[k]) * a)) as [number, number, number];
}

/** Feature maps `[H, W, C]`: one tile per channel, in rows of ⌈√C⌉, a 1-pixel gap between tiles. */
function drawMaps(canvas: HTMLCanvasElement, values: Float32Array, shape: readonly number[], c: Coloring): void {
  const [h, w, ch] = shape;
  const cols = Math.ceil(Math.sqrt(ch));
  const rows = Math.ceil(ch / cols);
  canvas.width = cols * (w + 1) - 1;
  canvas.height = rows * (h + 1) - 1;
  // Big enough to see each value, never a 28×28 input blown up to the whole column.
  canvas.style.maxWidth = `${canvas.width * 5}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(0);
  for (let k = 0; k < ch; k++) {
    const ox = (k % cols) * (w + 1);
    const oy = Math.floor(k / cols) * (h + 1);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const p = ((oy + y) * canvas.width + ox + x) * 4;
        img.data.set([...colorOf(values[(y * w + x) * ch + k], c), 255], p);
      }
  }
  ctx.putImageData(img, 0, 0);
}

/** Units `[N]` as bars from a zero line: the variant's colour, or the diverging palette for a difference. */
function drawBars(canvas: HTMLCanvasElement, values: Float32Array, lo: number, hi: number, color: string | 'diverging'): void {
  const n = values.length;
  const bw = Math.max(1, Math.floor(240 / n));
  canvas.width = n * bw;
  canvas.height = 64;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const span = hi - lo || 1;
  const zeroY = (hi / span) * canvas.height;
  ctx.fillStyle = PALETTE.removed;
  ctx.fillRect(0, Math.min(canvas.height - 1, Math.round(zeroY)), canvas.width, 1);
  for (let i = 0; i < n; i++) {
    const y = ((hi - values[i]) / span) * canvas.height;
    ctx.fillStyle = color === 'diverging' ? (values[i] >= 0 ? PALETTE.positive : PALETTE.negative) : color;
    const top = Math.min(y, zeroY);
    ctx.fillRect(i * bw + (bw > 3 ? 1 : 0), top, bw > 3 ? bw - 2 : bw, Math.max(1, Math.abs(y - zeroY)));
  }
}

interface Picture {
  values: Float32Array;
  shape: readonly number[];
  coloring: Coloring;
  bars: string | 'diverging';
}

/**
 * Try it → activations: for each layer, the two variants' outputs (feature
 * maps as a grid of small images, dense outputs as bars, on one scale per
 * row) and their difference B − A on the diverging palette, with max |B − A|,
 * the relative error and whether the most active channel (the class, on the
 * last row) agrees. All numbers come from the worker; this draws them.
 */
@customElement('activations-view')
export class ActivationsView extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      .layer {
        border-top: 1px solid #8886;
        padding: 0.5rem 0;
      }
      .layer h4 {
        margin: 0.2rem 0;
        font-size: 0.95rem;
      }
      .maps {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 15rem), 1fr));
        gap: 0.75rem;
      }
      figure {
        margin: 0;
        min-width: 0;
      }
      figcaption {
        font-size: 0.8rem;
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem;
        align-items: baseline;
      }
      canvas.map {
        display: block;
        width: 100%;
        height: auto;
        image-rendering: pixelated;
        background: #8883;
        border-left: 4px solid var(--who, transparent);
      }
      canvas.bars {
        display: block;
        width: 100%;
        height: 4rem;
        border-left: 4px solid var(--who, transparent);
      }
      .swatch {
        display: inline-block;
        width: 0.8rem;
        height: 0.8rem;
        border-radius: 2px;
        vertical-align: middle;
      }
      .absent {
        font-size: 0.85rem;
        opacity: 0.75;
        padding: 0.5rem 0;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        font-size: 0.85rem;
        align-items: center;
      }
      .gradient {
        display: inline-block;
        width: 6rem;
        height: 0.7rem;
        border: 1px solid #8886;
        vertical-align: middle;
      }
      .who {
        font-size: 0.85rem;
        margin: 0.2rem 0;
      }
      table td {
        white-space: nowrap;
      }
      canvas.diff {
        outline: 1px solid #8886;
      }
    `,
  ];

  @property({ attribute: false }) data: ActivationComparison | undefined;
  /** Whether each variant (A, B) went through a compression pass: picks its palette colour. */
  @property({ attribute: false }) compressed: [boolean, boolean] = [false, false];

  #color(which: 0 | 1, v: ActivationVariant): string {
    return variantColor({ runtime: v.runtime, compressed: this.compressed[which] });
  }

  #pictures = new Map<string, Picture>();

  override updated(): void {
    this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-pic]').forEach((cv) => {
      const p = this.#pictures.get(cv.dataset.pic!);
      if (!p) return;
      if (p.shape.length === 3) drawMaps(cv, p.values, p.shape, p.coloring);
      else {
        const [lo, hi] = p.coloring.kind === 'grey' ? [p.coloring.lo, p.coloring.hi] : [-p.coloring.maxAbs, p.coloring.maxAbs];
        drawBars(cv, p.values, lo, hi, p.bars);
      }
    });
  }

  #picture(key: string, pic: Picture, label: string, color?: string) {
    this.#pictures.set(key, pic);
    const cls = `${pic.shape.length === 3 ? 'map' : 'bars'}${pic.coloring.kind === 'diverging' ? ' diff' : ''}`;
    return html`<canvas class=${cls} data-pic=${key} role="img" aria-label=${label} style=${color ? `--who:${color}` : ''}></canvas>`;
  }

  #describe(l: LayerActivation, who: string): string {
    const maps = l.shape.length === 3 ? `${l.shape[2]} feature map${l.shape[2] === 1 ? '' : 's'} of ${l.shape[0]}×${l.shape[1]}` : `${l.shape[0]} units`;
    return `${l.layers.join(' + ')} under ${who}: ${maps}, shape ${shapeText(l.shape)}, values ${num(l.min)} to ${num(l.max)}`;
  }

  #variantFigure(row: ActivationRow, which: 0 | 1) {
    const d = this.data!;
    const v = which === 0 ? d.a : d.b!;
    const l = which === 0 ? row.a : row.b;
    const tag = which === 0 ? 'A' : 'B';
    if (!l)
      return html`<figure data-testid="act-absent">
        <figcaption><strong>${tag}</strong> ${v.variant}</figcaption>
        <div class="absent">No tensor named ${row.name} in this variant${v.precision === 'int8' ? ' (computed inside a fused int8 op)' : ''}.</div>
      </figure>`;
    const color = this.#color(which, v);
    return html`<figure data-testid="act-${tag.toLowerCase()}">
      <figcaption>
        <strong style="color:${color}">${tag}</strong> ${v.variant}
        <span class="muted">${num(l.min)} … ${num(l.max)}${l.quant ? html`, step ${num(l.quant.scale)}` : nothing}</span>
      </figcaption>
      ${this.#picture(
        `${row.name}:${tag}`,
        { values: l.values, shape: l.shape, coloring: { kind: 'grey', lo: row.range.lo, hi: row.range.hi }, bars: color },
        this.#describe(l, `${tag} (${v.variant}, ${v.runtime})`),
        color,
      )}
    </figure>`;
  }

  /** "most active unit 3 / 3", or "unit 3 / 3" under the table's "Most active (A / B)" heading. */
  #strongest(row: ActivationRow, last: boolean, short = false): string {
    const what = last ? 'class' : `${short ? '' : 'most active '}${row.a!.shape.length === 3 ? 'channel' : 'unit'}`;
    return `${what} ${row.a!.strongest} / ${row.b!.strongest}`;
  }

  #diffFigure(row: ActivationRow, last: boolean) {
    const d = row.diff;
    if (!d) return row.note ? html`<figure><div class="absent">No difference: ${row.note}.</div></figure>` : nothing;
    const shape = row.a!.shape;
    return html`<figure data-testid="act-diff">
      <figcaption>
        <strong>B − A</strong>
        <span data-testid="act-diff-stats"
          >max |B − A| ${num(d.maxAbs)}${d.maxSteps !== undefined ? ` (${num(d.maxSteps)} steps)` : ''} · relative error
          ${Number.isFinite(d.relError) ? `${num(d.relError * 100)} %` : '∞'} · ${this.#strongest(row, last)}
          <span class=${d.topAgrees ? 'ok' : 'tag warn'}>${d.topAgrees ? 'agree' : 'differ'}</span></span
        >
        <span class="muted">full colour at ±${num(d.span)}</span>
      </figcaption>
      ${this.#picture(
        `${row.name}:diff`,
        { values: d.values, shape, coloring: { kind: 'diverging', maxAbs: d.span }, bars: 'diverging' },
        `${row.name}, difference B − A: shape ${shapeText(shape)}, max |B − A| ${num(d.maxAbs)}, relative error ${num(d.relError * 100)} %, ${this.#strongest(row, last)} ${
          d.topAgrees ? 'agree' : 'differ'
        }`,
      )}
    </figure>`;
  }

  #variantLine(v: ActivationVariant, which: 0 | 1) {
    const tag = which === 0 ? 'A' : 'B';
    const color = this.#color(which, v);
    return html`<p class="who" data-testid="act-variant-${tag.toLowerCase()}">
      <span class="swatch" style="background:${color}"></span> <strong>${tag}</strong>: ${v.variant} <span class="tag">${v.runtime}</span> — computed by
      ${v.computedBy}.
      ${
        v.check
          ? html`<span class=${v.check.sameTop && v.check.maxAbsDiff < 1e-3 ? 'ok' : 'tag warn'}
              >Its last row ${v.check.maxAbsDiff === 0 ? 'equals' : `is within ${num(v.check.maxAbsDiff)} of`} the prediction's
              logits${v.check.sameTop ? '' : ' (a different class!)'}.</span
            >`
          : nothing
      }
    </p>`;
  }

  override render() {
    const d = this.data;
    if (!d) return nothing;
    this.#pictures.clear();
    const last = d.rows.length - 1;
    const rowTitle = (r: ActivationRow): string => {
      const l = r.a ?? r.b!;
      return `${l.layers.join(' + ')}${l.kind !== 'input' && l.layers.length === 1 ? ` (${l.kind})` : ''} — ${shapeText(l.shape)}`;
    };
    return html`
      ${this.#variantLine(d.a, 0)} ${d.b ? this.#variantLine(d.b, 1) : nothing}
      <div class="legend" aria-hidden="true">
        <span><span class="gradient" style="background:linear-gradient(90deg,#000,#fff)"></span> activations, one scale per row (black = lowest)</span>
        ${
          d.b
            ? html`<span
                ><span class="gradient" style="background:linear-gradient(90deg,${PALETTE.negative},${PALETTE.zero},${PALETTE.positive})"></span> B − A: below,
                equal, above</span
              >`
            : nothing
        }
      </div>
      ${
        d.b
          ? html`<div class="scroll">
              <table class="cards" data-testid="act-table">
                <caption>
                  Where the two differ, layer by layer (relative error = ‖B − A‖ / ‖A‖)
                </caption>
                <thead>
                  <tr>
                    <th>Layer</th>
                    <th>Shape</th>
                    <th class="n">max |B − A|</th>
                    <th class="n">Relative error</th>
                    <th>Most active (A / B)</th>
                  </tr>
                </thead>
                <tbody>
                  ${d.rows.map(
                    (r, i) =>
                      html`<tr>
                        <td class="name">${(r.a ?? r.b!).layers.join(' + ')}</td>
                        <td data-label="Shape">${shapeText((r.a ?? r.b!).shape)}</td>
                        <td class="n" data-label="max |B − A|">${r.diff ? num(r.diff.maxAbs) : '—'}</td>
                        <td class="n" data-label="Relative error">
                          ${r.diff ? (Number.isFinite(r.diff.relError) ? `${num(r.diff.relError * 100)} %` : '∞') : '—'}
                        </td>
                        <td data-label="Most active (A / B)">
                          ${r.diff ? `${this.#strongest(r, i === last, true)} ${r.diff.topAgrees ? '✓' : '✗'}` : (r.note ?? 'one variant only')}
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : nothing
      }
      ${d.rows.map(
        (r, i) =>
          html`<section class="layer" data-testid="act-layer">
            <h4>${rowTitle(r)}</h4>
            <div class="maps">${this.#variantFigure(r, 0)} ${d.b ? this.#variantFigure(r, 1) : nothing} ${d.b ? this.#diffFigure(r, i === last) : nothing}</div>
          </section>`,
      )}
    `;
  }
}
