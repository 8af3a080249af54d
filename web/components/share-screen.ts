import { LitElement, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { LabStateController } from '../controllers/lab-state.ts';
import { download } from '../download.ts';
import { sharedStyles } from './shared-styles.ts';

/** The Share screen: export results as JSON (to import elsewhere) or CSV; import others' results to compare devices. */
@customElement('share-screen')
export class ShareScreen extends LitElement {
  static override styles = sharedStyles;

  #state = new LabStateController(this);
  @state() private who = '';
  @state() private message: string | undefined;
  @state() private error: string | undefined;

  async #export(format: 'json' | 'csv'): Promise<void> {
    this.error = undefined;
    try {
      const f = await lab().exportResults(format, this.who);
      download(f.fileName, f.text, f.mime);
      this.message = `Saved ${f.fileName}.`;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async #import(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    this.error = undefined;
    this.message = undefined;
    try {
      const n = await lab().importResults(await file.text(), file.name);
      this.message = `Imported ${n} results from ${file.name}; they appear in Compare, marked “imported”.`;
      await this.#state.state.refreshResults();
    } catch (err) {
      this.error = `${(err as Error).message}. Nothing was imported.`;
    } finally {
      input.value = '';
    }
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
        <button data-testid="export-json" ?disabled=${!n} @click=${() => this.#export('json')}>Export results (JSON)</button>
        <button class="secondary" data-testid="export-csv" ?disabled=${!n} @click=${() => this.#export('csv')}>Export results (CSV)</button>
        <span class="muted">${n} results</span>
      </div>
      <h3>Import someone’s results</h3>
      <div class="row">
        <label for="import-results">Results file (.json from Export)</label>
        <input id="import-results" data-testid="import-results" type="file" accept=".json,application/json" @change=${this.#import} />
      </div>
      ${this.message ? html`<p role="status" class="ok" data-testid="share-ok">${this.message}</p>` : ''}
      ${this.error ? html`<p class="error" role="alert" data-testid="share-error">${this.error}</p>` : ''}
    `;
  }
}
