import { LitElement, css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import './device-panel.ts';
import './model-view.ts';

/** The lab's shell: header and screens. */
@customElement('lab-app')
export class LabApp extends LitElement {
  static override styles = css`
    :host { display: block; max-width: 72rem; margin: 0 auto; padding: 1rem; }
    header h1 { margin: 0 0 0.25rem; font-size: 1.6rem; }
    header p { margin: 0; opacity: 0.8; }
    section { margin-top: 1.5rem; }
    h2 { font-size: 1.2rem; margin: 0 0 0.5rem; }
  `;

  override render() {
    return html`
      <header>
        <h1>Compression Lab</h1>
        <p>Make neural networks smaller and faster — and measure what each technique buys on this GPU.</p>
      </header>
      <main>
        <section aria-labelledby="device-h"><h2 id="device-h">Device</h2><device-panel></device-panel></section>
        <section aria-labelledby="model-h"><h2 id="model-h">Model</h2><model-view></model-view></section>
      </main>
    `;
  }
}
