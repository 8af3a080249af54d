import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { TaskController } from '../controllers/task.ts';
import { bytes, int, pct, shape } from '../format.ts';
import { PALETTE, variantColor } from '../palette.ts';
import { sharedStyles } from './shared-styles.ts';
import type { FilterImages, Histogram, LayerBytes, LayerPicture, Levels, MaskPicture, VariantPictures, WeightPictures } from '../../src/worker/types.ts';

/** One canvas to paint after render: what to draw and in which colour. */
type Draw =
  | { kind: 'histogram'; h: Histogram; levels: Levels; color: string }
  | { kind: 'mask'; mask: MaskPicture; color: string; allKept: boolean }
  | { kind: 'filters'; f: FilterImages }
  | { kind: 'bytes'; b: LayerBytes; max: number; color: string };

/** Byte parts in the stacked bars: key, label, colour. */
const PARTS: { key: keyof Omit<LayerBytes, 'total'>; label: string; color: (c: string) => string }[] = [
  { key: 'values', label: 'values', color: (c) => c },
  { key: 'indices', label: 'indices', color: () => PALETTE.accent },
  { key: 'codebooks', label: 'codebook', color: () => PALETTE.marker },
  // α of ternary/binary layers: fp32 numbers, so fp32's colour (int8 orange would match an int8 variant's values).
  { key: 'scales', label: 'α scales (fp32)', color: () => PALETTE.fp32 },
  // A layer's share of the JSON header: its linear scales and zero points as text.
  { key: 'header', label: 'header (scales as text)', color: () => PALETTE.removed },
];

/** Short numbers for labels, with a real minus sign (as the activations view writes them). */
const sig = (v: number): string =>
  // Plain decimals down to 0.0001 ("step 0.00348–0.00680" reads better on a projector than "3.48e−3–6.80e−3").
  (v === 0 ? '0' : Math.abs(v) >= 0.01 ? v.toFixed(3) : Math.abs(v) >= 1e-4 ? v.toPrecision(3) : v.toExponential(2)).replace('-', '−');

/** "±α 0.031", "32 levels −0.12…0.15", "int8 grid, step 0.0004–0.0021 per channel". */
function levelsText(l: Levels): string {
  const spread = l.spread ? (l.spread[0] === l.spread[1] ? sig(l.spread[0]) : `${sig(l.spread[0])}–${sig(l.spread[1])}`) : '';
  switch (l.source) {
    case 'fp32':
    case 'fp16':
      return `${l.source}: any value, no levels`;
    case 'int8':
    case 'linear':
      return `${l.source === 'int8' ? 'int8' : `${l.bits}-bit`} grid of ${int(l.perGroup)} levels, step ${spread}${l.groups > 1 ? ` (one per output channel, ${int(l.groups)}; drawn: the widest)` : ''}`;
    case 'ternary':
    case 'binary':
      return `${l.source} levels ${l.source === 'ternary' ? '0, ' : ''}±α, α = ${spread}${l.groups > 1 ? ` (per output channel, ${int(l.groups)}; drawn: the largest)` : ''}`;
    case 'codebook':
      return `${l.perGroup}-entry codebook (k-means centroids) ${sig(l.values[0])} … ${sig(l.values[l.values.length - 1])}`;
    case 'hashed':
      return `${int(l.perGroup)} shared values (hashing)`;
  }
}

function maskText(m: MaskPicture, kept: number): string {
  if (kept === 1 && m.kind === 'matrix') return `all weights kept (nothing pruned); ${int(m.outputs)} neurons × ${int(m.inputs)} inputs, drawn as one strip`;
  return m.kind === 'matrix'
    ? `${pct(kept, 1)} of weights kept; ${m.rows} × ${m.cols} cells of ${m.rowStep} × ${m.colStep} weights (rows: ${int(m.outputs)} neurons, columns: ${int(m.inputs)} inputs); colour = fraction kept`
    : `${pct(kept, 1)} of weights kept; ${int(m.filters)} filters of ${m.kh} × ${m.kw}${m.channels > 1 ? `, each cell the fraction kept over ${m.channels} input channels` : ''}`;
}

function bytesText(b: LayerBytes): string {
  return `${bytes(b.total)} stored: ${PARTS.filter((p) => b[p.key] > 0)
    .map((p) => `${p.label} ${int(b[p.key])} B`)
    .join(', ')}`;
}

/** Canvas backing size for its CSS box (crisp on high-DPI screens). */
function fit(canvas: HTMLCanvasElement, cssHeight: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, canvas.clientWidth);
  canvas.style.height = `${cssHeight}px`;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(cssHeight * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, cssHeight);
  return ctx;
}

function mix(hex: string, t: number): string {
  // Colour at strength t over white: the heat maps' and filters' scale.
  const n = parseInt(hex.slice(1), 16);
  const ch = (s: number): number => Math.round(255 + (((n >> s) & 255) - 255) * Math.min(1, Math.max(0, t)));
  return `rgb(${ch(16)}, ${ch(8)}, ${ch(0)})`;
}

function drawHistogram(c: HTMLCanvasElement, d: Extract<Draw, { kind: 'histogram' }>): void {
  const H = 120;
  const ctx = fit(c, H);
  const W = c.clientWidth;
  const axis = 14;
  const plotH = H - axis;
  const { h, levels } = d;
  const bw = W / h.counts.length;
  ctx.fillStyle = d.color;
  h.counts.forEach((n, i) => {
    if (!n) return;
    const bh = Math.max(1, (n / h.peak) * (plotH - 4));
    ctx.fillRect(i * bw + 0.5, plotH - bh, Math.max(1, bw - 1), bh);
  });
  const x = (v: number): number => ((v - h.lo) / (h.hi - h.lo)) * W;
  ctx.strokeStyle = PALETTE.marker;
  ctx.lineWidth = 1;
  ctx.beginPath();
  if (levels.values.length <= 64) {
    for (const v of levels.values) {
      ctx.moveTo(Math.round(x(v)) + 0.5, 0);
      ctx.lineTo(Math.round(x(v)) + 0.5, plotH);
    }
  } else {
    // A fine grid (int8: 255 levels) as ticks under the bars.
    for (const v of levels.values) {
      ctx.moveTo(Math.round(x(v)) + 0.5, plotH);
      ctx.lineTo(Math.round(x(v)) + 0.5, plotH + 5);
    }
  }
  ctx.stroke();
  ctx.strokeStyle = '#8888';
  ctx.beginPath();
  ctx.moveTo(0, plotH + 0.5);
  ctx.lineTo(W, plotH + 0.5);
  ctx.stroke();
  ctx.fillStyle = '#555';
  ctx.font = '10px system-ui, sans-serif';
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'left';
  ctx.fillText(sig(h.lo), 0, H);
  ctx.textAlign = 'center';
  ctx.fillText('0', x(0), H);
  ctx.textAlign = 'right';
  ctx.fillText(sig(h.hi), W, H);
  ctx.textBaseline = 'top';
  ctx.fillText(`peak ${int(h.peak)}`, W, 0);
}

/** Tiles of kh × kw cells in as many columns as fit; returns the layout. */
function tileLayout(width: number, tiles: number, kh: number, kw: number, maxCell = 8): { cols: number; cell: number; gap: number } {
  const gap = 2;
  for (let cell = maxCell; cell > 1; cell--) {
    const cols = Math.floor((width + gap) / (kw * cell + gap));
    if (cols >= 1 && Math.ceil(tiles / cols) * (kh * cell + gap) <= 600) return { cols: Math.min(cols, tiles), cell, gap };
  }
  return { cols: Math.max(1, Math.floor((width + gap) / (kw + gap))), cell: 1, gap };
}

function drawMask(c: HTMLCanvasElement, d: Extract<Draw, { kind: 'mask' }>): void {
  const m = d.mask;
  const W = c.clientWidth;
  if (m.kind === 'matrix') {
    // Nothing pruned: one even strip of cells, not a 240 px block of one colour that says nothing more.
    const H = d.allKept ? 16 : Math.round(Math.max(24, Math.min(240, (W / m.cols) * m.rows)));
    const ctx = fit(c, H);
    // Whole-pixel cell edges: fractional ones leave anti-aliased seams between cells.
    const xs = Array.from({ length: m.cols + 1 }, (_, k) => Math.round((k * W) / m.cols));
    const ys = Array.from({ length: m.rows + 1 }, (_, r) => Math.round((r * H) / m.rows));
    for (let r = 0; r < m.rows; r++)
      for (let k = 0; k < m.cols; k++) {
        const f = m.kept[r * m.cols + k];
        ctx.fillStyle = f === 0 ? mix(PALETTE.removed, 0.35) : mix(d.color, 0.15 + 0.85 * f);
        // The strip keeps a 1 px gap between its cells, so it does not read as the solid bytes bar below it.
        const gap = d.allKept && xs[k + 1] - xs[k] > 2 ? 1 : 0;
        ctx.fillRect(xs[k], ys[r], xs[k + 1] - xs[k] - gap, ys[r + 1] - ys[r]);
      }
    return;
  }
  const { cols, cell, gap } = tileLayout(W, m.filters, m.kh, m.kw);
  const rows = Math.ceil(m.filters / cols);
  const ctx = fit(c, rows * (m.kh * cell + gap));
  for (let f = 0; f < m.filters; f++) {
    const ox = (f % cols) * (m.kw * cell + gap);
    const oy = Math.floor(f / cols) * (m.kh * cell + gap);
    for (let y = 0; y < m.kh; y++)
      for (let x = 0; x < m.kw; x++) {
        const v = m.kept[(f * m.kh + y) * m.kw + x];
        ctx.fillStyle = v === 0 ? mix(PALETTE.removed, 0.35) : mix(d.color, 0.15 + 0.85 * v);
        ctx.fillRect(ox + x * cell, oy + y * cell, cell, cell);
      }
  }
}

function drawFilters(c: HTMLCanvasElement, f: FilterImages): void {
  const tiles = f.filters * f.channels;
  const { cols, cell, gap } = tileLayout(c.clientWidth, tiles, f.kh, f.kw, 10);
  const rows = Math.ceil(tiles / cols);
  const ctx = fit(c, rows * (f.kh * cell + gap));
  // A grey frame around each tile: white is a weight at 0, so white gaps would merge the filters.
  ctx.fillStyle = '#d0d0d0';
  for (let t = 0; t < tiles; t++)
    ctx.fillRect((t % cols) * (f.kw * cell + gap), Math.floor(t / cols) * (f.kh * cell + gap), f.kw * cell + gap, f.kh * cell + gap);
  for (let t = 0; t < tiles; t++) {
    const ox = (t % cols) * (f.kw * cell + gap);
    const oy = Math.floor(t / cols) * (f.kh * cell + gap);
    for (let p = 0; p < f.kh * f.kw; p++) {
      const at = t * f.kh * f.kw + p;
      const v = f.pixels[at];
      ctx.fillStyle = f.zero[at] ? PALETTE.removed : mix(v < 0 ? PALETTE.negative : PALETTE.positive, Math.abs(v));
      ctx.fillRect(ox + (p % f.kw) * cell, oy + Math.floor(p / f.kw) * cell, cell, cell);
    }
  }
}

function drawBytes(c: HTMLCanvasElement, d: Extract<Draw, { kind: 'bytes' }>): void {
  const H = 18;
  const ctx = fit(c, H);
  const W = c.clientWidth;
  let x = 0;
  for (const p of PARTS) {
    const w = d.max > 0 ? (d.b[p.key] / d.max) * W : 0;
    if (w <= 0) continue;
    ctx.fillStyle = p.color(d.color);
    ctx.fillRect(x, 0, Math.max(1, w), H);
    x += w;
  }
}

/**
 * Weights you can see: per weighted layer, a histogram of the non-zero
 * weights with the stored levels on it (zeros counted apart), the sparsity
 * mask, the stored bytes by part; the first conv layer's filters as images —
 * for the variant and, beside it, the variant it came from. Every number
 * comes from the worker (src/engine/pictures.ts); this only paints.
 */
@customElement('weights-view')
export class WeightsView extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      .pair {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 320px), 1fr));
        gap: 0.75rem 1.25rem;
      }
      section.layer {
        border-top: 1px solid #8884;
        padding-top: 0.5rem;
        margin-top: 0.75rem;
      }
      h3,
      h4,
      p.who {
        margin: 0.25rem 0;
      }
      figure {
        margin: 0.25rem 0 0.75rem;
      }
      figcaption {
        font-size: 0.82rem;
        line-height: 1.35;
      }
      canvas {
        display: block;
        width: 100%;
      }
      .chip {
        display: inline-block;
        width: 0.7rem;
        height: 0.7rem;
        vertical-align: -0.05rem;
        margin-right: 0.2rem;
        border-radius: 2px;
      }
      .legend span {
        margin-right: 0.6rem;
        white-space: nowrap;
      }
    `,
  ];

  /** The variant to picture. */
  @property() modelId = '';

  #task = new TaskController<WeightPictures>(this, () => lab().weightPictures(this.modelId), false);
  #draws: Draw[] = [];
  #ro: ResizeObserver | undefined;
  #width = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#ro = new ResizeObserver(() => {
      // Repaint on a width change only (painting sets canvas heights, which would loop).
      if (this.clientWidth !== this.#width) {
        this.#width = this.clientWidth;
        this.#paint();
      }
    });
    this.#ro.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#ro?.disconnect();
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('modelId') && this.modelId) void this.#task.run();
  }

  override updated(): void {
    this.#paint();
  }

  #paint(): void {
    const canvases = this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas[data-draw]');
    for (const c of canvases) {
      const d = this.#draws[Number(c.dataset.draw)];
      if (!d || !c.clientWidth) continue;
      if (d.kind === 'histogram') drawHistogram(c, d);
      else if (d.kind === 'mask') drawMask(c, d);
      else if (d.kind === 'filters') drawFilters(c, d.f);
      else drawBytes(c, d);
    }
  }

  #canvas(d: Draw, label: string, testId: string) {
    this.#draws.push(d);
    return html`<canvas data-draw=${this.#draws.length - 1} role="img" aria-label=${label} data-testid=${testId}></canvas>`;
  }

  #side(v: VariantPictures, l: LayerPicture, role: 'variant' | 'parent', maxBytes: number) {
    const color = variantColor(v);
    const h = l.histogram;
    const histText = `${l.name} weights of ${v.name}: ${int(h.total)}; ${int(h.zeros)} zeros (${pct(h.sparsity, 1)}) counted apart; ${int(h.nonZero)} non-zero in ${h.counts.length} bins from ${sig(h.lo)} to ${sig(h.hi)}. Levels: ${levelsText(l.levels)}.`;
    const maskLabel = `Sparsity mask of ${l.name} in ${v.name}: ${maskText(l.mask, 1 - h.sparsity)}.`;
    const bytesLabel = `${l.name} in ${v.name}: ${bytesText(l.bytes)}.`;
    return html`<div data-testid=${`pictures-${role}`} data-layer=${l.name}>
      <p class="who">
        <span class="chip" style=${`background:${color}`}></span><strong>${v.name}</strong>
        <span class="muted">(${role === 'variant' ? 'this variant' : 'parent'}; ${l.encoding})</span>
      </p>
      <figure>
        ${this.#canvas({ kind: 'histogram', h, levels: l.levels, color }, histText, 'histogram')}
        <figcaption data-testid="hist-caption" data-zeros=${h.zeros} data-total=${h.total} data-nonzero=${h.nonZero} data-levels=${l.levels.values.length}>
          ${int(h.nonZero)} non-zero weights in the histogram; <strong>${int(h.zeros)} zeros (${pct(h.sparsity, 1)})</strong> counted apart, of ${int(h.total)}.
          <span style=${`color:${PALETTE.marker}`}>Levels</span>: ${levelsText(l.levels)}.
        </figcaption>
      </figure>
      <figure>
        ${this.#canvas({ kind: 'mask', mask: l.mask, color, allKept: h.zeros === 0 }, maskLabel, 'mask')}
        <figcaption data-testid="mask-caption" data-kept=${h.nonZero}>Mask: ${maskText(l.mask, 1 - h.sparsity)}.</figcaption>
      </figure>
      <figure>
        ${this.#canvas({ kind: 'bytes', b: l.bytes, max: maxBytes, color }, bytesLabel, 'bytes-bar')}
        <figcaption data-testid="bytes-caption" data-bytes=${l.bytes.total}>${bytesText(l.bytes)}.</figcaption>
      </figure>
    </div>`;
  }

  #filters(v: VariantPictures, role: 'variant' | 'parent') {
    const f = v.pictures.firstConv;
    if (!f) return nothing;
    const zeros = f.zeros;
    const text = `${int(f.filters)} filters of ${f.layer} in ${v.name}, ${f.kh} × ${f.kw}${f.channels > 1 ? ` × ${f.channels} channels` : ''}; teal negative, white 0, red positive, full colour at ±${sig(f.scale)}; grey: ${int(zeros)} zero weights`;
    return html`<figure data-testid=${`filters-${role}`} data-filters=${f.filters} data-zeros=${zeros}>
      <p class="who">
        <span class="chip" style=${`background:${variantColor(v)}`}></span><strong>${v.name}</strong>
        <span class="muted">(${role === 'variant' ? 'this variant' : 'parent'})</span>
      </p>
      ${this.#canvas({ kind: 'filters', f }, text, 'filters')}
      <figcaption>${text}.</figcaption>
    </figure>`;
  }

  override render() {
    this.#draws = [];
    const w = this.#task.value;
    if (this.#task.error) return html`<p class="error" role="alert">${this.#task.error}</p>`;
    if (!w) return html`<p role="status">Loading weight pictures…</p>`;
    const p = w.parent;
    // The byte legend lists the parts either side stores, with the values' colour of each side.
    const shown = p ? [w.variant, p] : [w.variant];
    const parentLayers = new Map(p?.pictures.layers.map((l) => [l.name, l]) ?? []);
    return html`
      <h3 id="weights-heading">Weights</h3>
      <p class="muted">
        ${
          p
            ? html`Each layer of <strong>${w.variant.name}</strong> beside its parent <strong>${p.name}</strong> (the variant it was made from); both histograms
                of a layer share one range.`
            : w.parentMissing
              ? html`Its parent (the variant this one was made from) is no longer stored, so it is shown alone.`
              : html`An original variant: nothing to compare with.`
        }
        Zeros (pruned, or a level at 0) are counted apart, not drawn as a bar. Red lines are the levels the file stores (fine grids: ticks under the bars).
      </p>
      <p class="legend muted">
        Bytes:
        ${PARTS.filter((part) => shown.some((v) => v.pictures.layers.some((l) => l.bytes[part.key] > 0))).map(
          (part) =>
            html`<span
              >${(part.key === 'values' ? shown : [w.variant]).map(
                (v) => html`<span class="chip" style=${`background:${part.color(variantColor(v))}`}></span>`,
              )}${part.label}</span
            >`,
        )}
        (file header not in a layer: ${bytes(w.variant.pictures.fileHeader)} of ${bytes(w.variant.pictures.fileBytes)})
      </p>
      ${
        w.variant.pictures.firstConv
          ? html`<section class="layer" data-testid="first-conv">
              <h4>First conv layer's filters (${w.variant.pictures.firstConv.layer})</h4>
              <div class="pair">${this.#filters(w.variant, 'variant')} ${p ? this.#filters(p, 'parent') : nothing}</div>
            </section>`
          : nothing
      }
      ${w.variant.pictures.layers.map((l) => {
        const pl = parentLayers.get(l.name);
        const max = Math.max(l.bytes.total, pl?.bytes.total ?? 0);
        return html`<section class="layer" data-testid="weights-layer" data-layer=${l.name}>
          <h4>${l.name} <span class="muted">${l.kind} ${shape(l.shape)}</span></h4>
          <div class="pair">${this.#side(w.variant, l, 'variant', max)} ${p && pl ? this.#side(p, pl, 'parent', max) : nothing}</div>
        </section>`;
      })}
    `;
  }
}
