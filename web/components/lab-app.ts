import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { lab } from '../lab-client.ts';
import { JobController } from '../controllers/job.ts';
import { LabStateController } from '../controllers/lab-state.ts';
import { sharedStyles } from './shared-styles.ts';
import { jobView } from './job-view.ts';
import { bytes } from '../format.ts';
import type { StartupReport } from '../../src/worker/types.ts';
import './device-panel.ts';
import './models-screen.ts';
import './model-view.ts';
import './compress-screen.ts';
import './compare-screen.ts';
import './try-screen.ts';
import './share-screen.ts';
import './experiment-screen.ts';
import './no-webgpu.ts';

/** The screens, in navigation order; the URL hash names the current one. */
const SCREENS = [
  { id: 'device', label: 'Device' },
  // The guided workshop experiment, one click from the first screen.
  { id: 'experiment', label: 'FP32 vs INT8' },
  { id: 'models', label: 'Models' },
  { id: 'model', label: 'Model view' },
  { id: 'compress', label: 'Compress' },
  { id: 'compare', label: 'Compare' },
  { id: 'try', label: 'Try it' },
  { id: 'share', label: 'Share' },
] as const;
type ScreenId = (typeof SCREENS)[number]['id'];

function screenFromHash(): ScreenId {
  const h = location.hash.replace(/^#/, '');
  return (SCREENS.find((s) => s.id === h)?.id ?? 'device') as ScreenId;
}

/** The lab's shell: start-up (copying bundled files into IndexedDB), navigation, screens. */
@customElement('lab-app')
export class LabApp extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        max-width: 72rem;
        margin: 0 auto;
        padding: 0.75rem;
      }
      header h1 {
        margin: 0 0 0.25rem;
        font-size: 1.5rem;
      }
      header p {
        margin: 0;
        opacity: 0.8;
      }
      nav ul {
        list-style: none;
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
        padding: 0;
        margin: 0.75rem 0;
        border-bottom: 1px solid #8886;
      }
      nav a {
        display: inline-block;
        padding: 0.45rem 0.7rem;
        border-radius: 6px 6px 0 0;
        color: inherit;
        text-decoration: none;
      }
      nav a[aria-current='page'] {
        background: #1a5fb4;
        color: #fff;
      }
      main > section > h2 {
        font-size: 1.25rem;
        margin: 0.5rem 0;
      }
      footer {
        margin-top: 2rem;
        font-size: 0.8rem;
        opacity: 0.75;
      }
    `,
  ];

  @state() private screen: ScreenId = screenFromHash();
  #state = new LabStateController(this);
  #startup = new JobController<StartupReport>(this);
  /** The copy start-up leaves for after "ready": MNIST's training split. */
  #offlineCopy = new JobController<string[]>(this);
  #onHash = () => {
    this.screen = screenFromHash();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('hashchange', this.#onHash);
    void this.#start();
  }

  override disconnectedCallback(): void {
    removeEventListener('hashchange', this.#onHash);
    super.disconnectedCallback();
  }

  async #start(): Promise<void> {
    const s = this.#state.state;
    // The device probe runs alongside the copy: both are needed before the screens are useful.
    const device = s.refreshDevice();
    const report = await this.#startup.run((p, id) => lab().startup(p, id));
    if (!report) return;
    // Screens appear once their data is there (the e2e suite and users alike read "ready" as usable).
    await Promise.all([device, s.refreshModels(), s.refreshResults()]);
    s.startup = report;
    s.notify();
    // The lab is usable now; what it needs offline beyond that comes in the background.
    void this.#offlineCopy.run((p, id) => lab().completeOfflineCopy(p, id));
  }

  #nav(e: Event, id: ScreenId): void {
    e.preventDefault();
    location.hash = id;
    this.screen = id;
    // Keyboard and screen-reader users land on the new screen's heading.
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('main h2')?.focus());
  }

  #screen() {
    switch (this.screen) {
      case 'device':
        return html`<device-panel></device-panel>`;
      case 'models':
        return html`<models-screen></models-screen>`;
      case 'model':
        return html`<model-view></model-view>`;
      case 'compress':
        return html`<compress-screen></compress-screen>`;
      case 'compare':
        return html`<compare-screen></compare-screen>`;
      case 'try':
        return html`<try-screen></try-screen>`;
      case 'share':
        return html`<share-screen></share-screen>`;
      case 'experiment':
        return html`<experiment-screen></experiment-screen>`;
    }
  }

  override render() {
    const s = this.#state.state;
    const r = s.startup;
    const current = SCREENS.find((x) => x.id === this.screen)!;
    const noGpu = s.device && !s.device.ok;
    return html`
      <header>
        <h1>Compression Lab</h1>
        <p>Make neural networks smaller and faster — and measure what each technique buys on this GPU.</p>
      </header>
      ${
        this.#startup.running
          ? html`<section aria-label="Start-up" data-testid="startup">
              <p>
                ${r ? '' : 'Getting the lab ready: copying MNIST’s test images and the list of bundled models into this browser so it works offline next time.'}
              </p>
              ${jobView(this.#startup, 'startup', 'Start-up')}
            </section>`
          : jobView(this.#startup, 'startup', 'Start-up')
      }
      ${s.error ? html`<p class="error" role="alert" data-testid="lab-error">${s.error}</p>` : ''}
      ${noGpu ? html`<no-webgpu .reason=${s.device && !s.device.ok ? s.device.error : ''}></no-webgpu>` : ''}
      ${
        r
          ? html`<nav aria-label="Screens">
                <ul>
                  ${SCREENS.map(
                    (x) =>
                      html`<li>
                        <a
                          href="#${x.id}"
                          data-testid="nav-${x.id}"
                          aria-current=${x.id === this.screen ? 'page' : 'false'}
                          @click=${(e: Event) => this.#nav(e, x.id)}
                          >${x.label}</a
                        >
                      </li>`,
                  )}
                </ul>
              </nav>
              <main>
                <section aria-labelledby="screen-h">
                  <h2 id="screen-h" tabindex="-1">${current.label}</h2>
                  ${this.#screen()}
                </section>
              </main>
              <footer data-testid="ready">
                ${r.offline ? html`<strong>Offline:</strong> using the copies stored in this browser. ` : ''}
                ${r.copied ? 'MNIST’s test images and the list of bundled models were just copied into this browser. ' : 'Datasets and models read from this browser’s storage. '}
                ${r.storage.usage !== undefined ? html`Storage used: ${bytes(r.storage.usage)}${r.storage.quota ? html` of ${bytes(r.storage.quota)}` : ''}.` : ''}
                Data: ${r.datasets.map((d) => html`${d.title} (${d.credit}; ${d.licence}). `)}
                ${r.datasets.some((d) => d.name !== 'mnist') ? 'Fashion-MNIST is fetched the first time a Fashion model is used. ' : ''}
                ${
                  this.#offlineCopy.value
                    ? html`<span data-testid="offline-ready"
                        >MNIST is in this browser for offline use; each bundled model is kept from its first use on (Models says which are not downloaded
                        yet).</span
                      >`
                    : ''
                }
                ${jobView(this.#offlineCopy, 'offline-copy', 'Copy for offline use')}
              </footer>`
          : ''
      }
    `;
  }
}
