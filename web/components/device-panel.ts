import { LitElement, css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { TaskController } from '../controllers/task.ts';
import { bytes, int } from '../format.ts';
import type { DeviceStatus } from '../../src/worker/api.ts';

/** The Device screen: what WebGPU adapter this lab runs on, or why it has none. */
@customElement('device-panel')
export class DevicePanel extends LitElement {
  static override styles = css`
    :host { display: block; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; }
    dt { font-weight: 600; }
    .error { color: #b00020; border: 1px solid currentColor; padding: 0.75rem; border-radius: 6px; }
    .yes { color: #087f23; }
    .no { color: #8a6d00; }
  `;

  #device = new TaskController<DeviceStatus>(this, () => lab().device() as Promise<DeviceStatus>);

  override render() {
    const d = this.#device;
    if (d.pending && !d.value) return html`<p role="status">Looking for a WebGPU adapter…</p>`;
    if (d.error) return html`<p class="error" role="alert">${d.error}</p>`;
    const s = d.value;
    if (!s) return html``;
    if (!s.ok) {
      return html`<div class="error" role="alert" data-testid="no-webgpu">
        <strong>No WebGPU here.</strong> ${s.error}
        <p>On-GPU timing needs WebGPU. Accounting (parameters, FLOPs, sizes) still works below.</p>
      </div>`;
    }
    const r = s.report;
    const flag = (b: boolean) => html`<span class=${b ? 'yes' : 'no'}>${b ? 'yes' : 'no'}</span>`;
    return html`<dl data-testid="adapter">
      <dt>Adapter</dt>
      <dd data-testid="adapter-name">${[r.vendor, r.architecture, r.device, r.description].filter(Boolean).join(' · ') || 'unnamed adapter'}${r.software ? ' (software)' : ''}</dd>
      <dt>timestamp-query</dt>
      <dd>${flag(r.features.timestampQuery)}</dd>
      <dt>packed int8 dot product</dt>
      <dd>${flag(r.wgslLanguageFeatures.packed4x8IntegerDotProduct)}</dd>
      <dt>shader-f16</dt>
      <dd>${flag(r.features.shaderF16)}</dd>
      <dt>subgroups</dt>
      <dd>${flag(r.features.subgroups)}</dd>
      <dt>Max storage binding</dt>
      <dd>${bytes(r.limits.maxStorageBufferBindingSize)}</dd>
      <dt>Workgroup</dt>
      <dd>${int(r.limits.maxComputeInvocationsPerWorkgroup)} invocations, ${bytes(r.limits.maxComputeWorkgroupStorageSize)} shared</dd>
    </dl>`;
  }
}
