import { LitElement, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { sharedStyles } from './shared-styles.ts';

/**
 * Shown when the worker found no WebGPU: what is missing, how to enable it,
 * and what still works (the CPU reference measures accuracy; no GPU timings).
 */
@customElement('no-webgpu')
export class NoWebgpu extends LitElement {
  static override styles = sharedStyles;
  @property() reason = '';

  override render() {
    const secure = globalThis.isSecureContext;
    const hasApi = 'gpu' in navigator;
    return html`<section class="error" role="alert" data-testid="no-webgpu" aria-labelledby="nogpu-h">
      <h2 id="nogpu-h" style="margin-top:0">No WebGPU in this browser</h2>
      <p>${this.reason.split(' In Node')[0]}</p>
      <p>What is missing:</p>
      <ul>
        <li>${secure ? 'Secure context: yes.' : 'A secure context: open the lab over https:// or from http://localhost / http://127.0.0.1.'}</li>
        <li>
          ${hasApi ? 'navigator.gpu exists, but no adapter or device was granted (blocklisted GPU or driver?).' : 'navigator.gpu: this browser does not expose WebGPU.'}
        </li>
      </ul>
      <p>
        How to enable it: use Chrome or Edge 113 or newer (desktop, or Android 121+); Safari 26 / Technology Preview with WebGPU on; Firefox 141+ on Windows
        (Nightly elsewhere, <code>dom.webgpu.enabled</code>). On Linux Chrome may need <code>chrome://flags/#enable-unsafe-webgpu</code> and
        <code>chrome://flags/#enable-vulkan</code>. Check <code>chrome://gpu</code> for “WebGPU: Hardware accelerated”.
      </p>
      <p>
        <strong>What still works:</strong> model accounting, the CPU reference for accuracy (Compare → Measure) and predictions (Try it), import/export and
        sharing. GPU timings need WebGPU.
      </p>
    </section>`;
  }
}
