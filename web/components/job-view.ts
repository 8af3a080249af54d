import { html, nothing, type TemplateResult } from 'lit';
import type { JobController } from '../controllers/job.ts';
import './training-curves.ts';

/**
 * The progress bar, cancel button and outcome line of a long job — the same
 * on every screen. `testid` prefixes data-testid attributes for the e2e suite.
 */
export function jobView(job: JobController<unknown>, testid: string, what: string): TemplateResult | typeof nothing {
  if (job.running) {
    const p = job.progress;
    const determinate = !!p && p.total > 0;
    return html`<div class="progress" data-testid="${testid}-progress">
      <label for="${testid}-bar">${p?.phase ?? `${what}…`}</label>
      ${determinate ? html`<progress id="${testid}-bar" max=${p!.total} value=${p!.done}></progress>` : html`<progress id="${testid}-bar"></progress>`}
      <button class="secondary" data-testid="${testid}-cancel" aria-label="Cancel ${what.toLowerCase()}" @click=${() => job.cancel()}>Cancel</button>
      ${p?.detail ? html`<span class="muted" data-testid="${testid}-detail">${p.detail}</span>` : nothing}
    </div>`;
  }
  if (job.error) return html`<p class="error" role="alert" data-testid="${testid}-error">${job.error}</p>`;
  if (job.cancelled) return html`<p role="status" data-testid="${testid}-cancelled">${what} cancelled; nothing was stored.</p>`;
  return nothing;
}

/**
 * The training curves of a job that trains (Train, Compress): drawn as the
 * points arrive and left in place when the job has stored its variant; gone
 * when it failed or was cancelled (nothing was stored).
 */
export function curvesView(job: JobController<unknown>, testid: string): TemplateResult | typeof nothing {
  if (!job.curves.length || (!job.running && (job.error || job.cancelled))) return nothing;
  return html`<training-curves data-testid="${testid}-curves" .curves=${job.curves} ?live=${job.running}></training-curves>`;
}
