import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { TaskController } from '../controllers/task.ts';
import { bytes, int, shape } from '../format.ts';

/** The Model view: pick an architecture, see per-layer shapes, parameters, MACs, FLOPs and stored sizes. */
@customElement('model-view')
export class ModelView extends LitElement {
  static override styles = css`
    :host { display: block; }
    .scroll { overflow-x: auto; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
    th, td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #8884; }
    td.n, th.n { text-align: right; }
    tfoot td { font-weight: 700; }
    label { font-weight: 600; margin-right: 0.5rem; }
    select { font: inherit; padding: 0.2rem; }
  `;

  @state() private selected = 'lenet5';
  #list = new TaskController(this, () => lab().architectures());
  #detail = new TaskController(this, () => lab().account(this.selected));

  #pick(e: Event) {
    this.selected = (e.target as HTMLSelectElement).value;
    void this.#detail.run();
  }

  override render() {
    const list = this.#list.value ?? [];
    const d = this.#detail.value;
    return html`
      <p>
        <label for="arch">Architecture</label>
        <select id="arch" @change=${this.#pick} .value=${this.selected}>
          ${list.map((a) => html`<option value=${a.name} ?selected=${a.name === this.selected}>${a.name} — ${int(a.params)} params, ${int(a.flops)} FLOPs</option>`)}
        </select>
      </p>
      ${this.#detail.error ? html`<p role="alert">${this.#detail.error}</p>` : ''}
      ${d
        ? html`<div class="scroll">
              <table data-testid="layer-table">
                <caption>Per layer, one image (1 MAC = 2 FLOPs; pooling = outputs × window)</caption>
                <thead><tr><th>Layer</th><th>Kind</th><th>Output</th><th class="n">Params</th><th class="n">MACs</th><th class="n">FLOPs</th><th class="n">Activations</th></tr></thead>
                <tbody>
                  ${d.account.layers.map(
                    (l) => html`<tr><td>${l.name}</td><td>${l.kind}</td><td>${shape(l.outputShape)}</td><td class="n">${int(l.params)}</td><td class="n">${int(l.macs)}</td><td class="n">${int(l.flops)}</td><td class="n">${bytes(l.activationBytes)}</td></tr>`,
                  )}
                </tbody>
                <tfoot><tr><td>Total</td><td></td><td></td><td class="n">${int(d.account.total.params)}</td><td class="n">${int(d.account.total.macs)}</td><td class="n">${int(d.account.total.flops)}</td><td class="n">${bytes(d.account.total.activationBytes)}</td></tr></tfoot>
              </table>
            </div>
            <div class="scroll">
              <table data-testid="size-table">
                <caption>Stored size (dense weights)</caption>
                <thead><tr><th>Encoding</th><th class="n">Bytes</th><th class="n">× smaller</th><th>Note</th></tr></thead>
                <tbody>
                  ${d.sizes.map((s) => html`<tr><td>${s.encoding}</td><td class="n">${int(s.bytes)}</td><td class="n">${s.ratio.toFixed(2)}</td><td>${s.note}</td></tr>`)}
                </tbody>
              </table>
            </div>`
        : html`<p role="status">Loading…</p>`}
    `;
  }
}
