import { LitElement, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { LabStateController } from '../controllers/lab-state.ts';
import { ShareController } from '../controllers/share.ts';
import { sharedStyles } from './shared-styles.ts';

/** The Share screen: export results as JSON (to import elsewhere) or CSV; import others' results to compare devices. */
@customElement('share-screen')
export class ShareScreen extends LitElement {
  static override styles = sharedStyles;

  #state = new LabStateController(this);
  #share = new ShareController(this);
  @state() private who = '';

  async #import(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    await this.#share.importFile(file);
    // The same file can be chosen again (after fixing it) and still fire change.
    input.value = '';
  }

  override render() {
    const n = this.#state.state.results.length;
    return html`
      <p>Results stay in this browser. Share them to compare devices at a workshop: export here, import on another machine.</p>
      <div class="row">
        <label for="who">Your name or device (optional)</label>
        <input id="who" type="text" .value=${this.who} @input=${(e: Event) => (this.who = (e.target as HTMLInputElement).value)} />
      </div>
      <div class="row">
        <button data-testid="export-json" ?disabled=${!n} @click=${() => this.#share.exportResults('json', this.who)}>Export results (JSON)</button>
        <button class="secondary" data-testid="export-csv" ?disabled=${!n} @click=${() => this.#share.exportResults('csv', this.who)}>
          Export results (CSV)
        </button>
        <span class="muted">${n} results</span>
      </div>
      <h3>Import someone’s results</h3>
      <div class="row">
        <label for="import-results">Results file (.json from Export)</label>
        <input id="import-results" data-testid="import-results" type="file" accept=".json,application/json" @change=${this.#import} />
      </div>
      ${this.#share.message ? html`<p role="status" class="ok" data-testid="share-ok">${this.#share.message}</p>` : ''}
      ${this.#share.error ? html`<p class="error" role="alert" data-testid="share-error">${this.#share.error}</p>` : ''}
    `;
  }
}
