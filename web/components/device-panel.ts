import { LitElement, css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { TaskController } from '../controllers/task.ts';
import { JobController } from '../controllers/job.ts';
import { LabStateController } from '../controllers/lab-state.ts';
import { bytes, fixed, int, ms } from '../format.ts';
import { sharedStyles } from './shared-styles.ts';
import { jobView } from './job-view.ts';
import type { RooflineReport } from '../../src/worker/types.ts';

/** The Device screen: the WebGPU adapter, its features and limits, and its measured roofline. */
@customElement('device-panel')
export class DevicePanel extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.2rem 1rem;
        margin: 0;
      }
      dt {
        font-weight: 600;
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .yes {
        color: #087f23;
      }
      .no {
        color: #8a6d00;
      }
      @media (max-width: 480px) {
        dl {
          grid-template-columns: 1fr;
        }
        dd {
          margin-bottom: 0.4rem;
        }
      }
    `,
  ];

  #state = new LabStateController(this);
  #hasRoofline = new TaskController<boolean>(this, () => lab().rooflineAvailable());
  #roofline = new JobController<RooflineReport>(this);

  async #measure(): Promise<void> {
    const r = await this.#roofline.run((p, id) => lab().roofline(p, id));
    if (r) await this.#state.state.refreshDevice();
  }

  override render() {
    const s = this.#state.state.device;
    if (!s) return html`<p role="status">Looking for a WebGPU adapter…</p>`;
    if (!s.ok) return html`<p>See the message above: without WebGPU the lab uses its CPU reference.</p>`;
    const r = s.report;
    const flag = (b: boolean) => html`<span class=${b ? 'yes' : 'no'}>${b ? 'yes' : 'no'}</span>`;
    const rf = s.roofline;
    const i8 = s.int8;
    return html`<dl data-testid="adapter">
        <dt>Adapter</dt>
        <dd data-testid="adapter-name">
          ${[r.vendor, r.architecture, r.device, r.description].filter(Boolean).join(' · ') || 'unnamed adapter'}${r.software ? ' (software)' : ''}
        </dd>
        <dt>timestamp-query</dt>
        <dd>${flag(r.features.timestampQuery)} <span class="muted">${r.features.timestampQuery ? 'per-layer GPU time' : 'wall-clock timing only'}</span></dd>
        <dt>dot4I8Packed in WGSL</dt>
        <dd>
          ${flag(r.wgslLanguageFeatures.packed4x8IntegerDotProduct)}
          <span class="muted"
            >${r.wgslLanguageFeatures.packed4x8IntegerDotProduct ? 'packed_4x8_integer_dot_product: compiles, in hardware or emulated' : 'no packed_4x8_integer_dot_product'}</span
          >
        </dd>
        <dt>int8 multiply</dt>
        <dd data-testid="int8-multiply"><strong>${i8.multiply.label}</strong> <span class="muted">— ${i8.multiply.detail}</span></dd>
        <dt>shader-f16</dt>
        <dd>${flag(r.features.shaderF16)}</dd>
        <dt>subgroups</dt>
        <dd>${flag(r.features.subgroups)}</dd>
        <dt>Max storage binding</dt>
        <dd>${bytes(r.limits.maxStorageBufferBindingSize)}</dd>
        <dt>Max buffer</dt>
        <dd>${bytes(r.limits.maxBufferSize)}</dd>
        <dt>Workgroup</dt>
        <dd>${int(r.limits.maxComputeInvocationsPerWorkgroup)} invocations, ${bytes(r.limits.maxComputeWorkgroupStorageSize)} shared</dd>
        <dt>Storage buffers / stage</dt>
        <dd>${int(r.limits.maxStorageBuffersPerShaderStage)}</dd>
      </dl>
      <h3>Measured roofline</h3>
      ${
        rf
          ? html`<dl data-testid="roofline">
              <dt>f32 matmul</dt>
              <dd>${fixed(rf.matmulGflops, 2)} GFLOP/s</dd>
              <dt>int8 matmul</dt>
              <dd data-testid="int8-rate">
                ${
                  i8.int8Gops !== undefined
                    ? html`${fixed(i8.int8Gops, 2)} G
                      int8-ops/s${i8.ratio !== undefined ? html` <span class="muted">(${fixed(i8.ratio, 2)}× the f32 rate)</span>` : ''}`
                    : html`<span class="muted">not measured in this record: Measure again to see it</span>`
                }
              </dd>
              <dt>Copy</dt>
              <dd>${fixed(rf.copyGBps, 2)} GB/s</dd>
              ${
                rf.roundTripMs !== undefined
                  ? html`<dt>Submit round trip</dt>
                      <dd>${ms(rf.roundTripMs)}</dd>`
                  : ''
              }
              <dt>Measured</dt>
              <dd>${new Date(rf.measuredAt).toLocaleString()} — f32: ${rf.method}${rf.int8Method ? html`; int8: ${rf.int8Method}` : ''}</dd>
            </dl>`
          : html`<p class="muted">Not measured on this adapter yet. The Model view’s time estimates use it.</p>`
      }
      <p data-testid="int8-outlook"><strong>int8 speed-up here:</strong> ${i8.expectation} <span class="muted">${i8.caveat}</span></p>
      ${
        this.#hasRoofline.value === false
          ? html`<p class="note">This build has no roofline module yet (src/gpu/roofline.ts), so GFLOP/s and GB/s cannot be measured.</p>`
          : html`<div class="row">
              <button data-testid="measure-roofline" ?disabled=${this.#roofline.running} @click=${this.#measure}>
                ${rf ? 'Measure again' : 'Measure GFLOP/s, int8 rate and GB/s'}
              </button>
            </div>`
      }
      ${jobView(this.#roofline, 'roofline', 'Measurement')}`;
  }
}
