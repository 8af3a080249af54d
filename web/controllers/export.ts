import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { proxy } from 'comlink';
import { lab } from '../lab-client.ts';
import { download } from '../download.ts';
import { JobController } from './job.ts';
import type { ExportChoice, ExportKey, ExportOption, Progress } from '../../src/worker/types.ts';

/**
 * The Models screen's Export panel for one variant at a time: lists the
 * downloads at once, then measures them one by one in the worker (each size
 * appears as it is known; the int8 calibration shows its progress and can be
 * cancelled), and downloads the bytes that were measured.
 */
export class ExportController implements ReactiveController {
  /** The variant whose panel is open. */
  modelId: string | undefined;
  choices: ExportChoice[] = [];
  options = new Map<ExportKey, ExportOption>();
  /** The panel could not list the downloads (e.g. the variant is gone). */
  error: string | undefined;
  /** Per option: a download that failed. */
  downloadErrors = new Map<ExportKey, string>();
  downloading: ExportKey | undefined;
  readonly measure: JobController<void>;
  #seq = 0;

  constructor(private host: ReactiveControllerHost) {
    host.addController(this);
    this.measure = new JobController<void>(host);
  }

  hostConnected(): void {}

  /** Opens the panel of `id` (closes it when it is already open) and measures its downloads. */
  async toggle(id: string): Promise<void> {
    if (this.modelId === id) return this.close();
    await this.measure.cancel();
    const seq = ++this.#seq;
    this.modelId = id;
    this.choices = [];
    this.options = new Map();
    this.downloadErrors = new Map();
    this.error = undefined;
    this.host.requestUpdate();
    let choices: ExportChoice[];
    try {
      choices = await lab().exportChoices(id);
    } catch (e) {
      if (seq === this.#seq) this.error = (e as Error).message;
      this.host.requestUpdate();
      return;
    }
    if (seq !== this.#seq) return;
    this.choices = choices;
    this.host.requestUpdate();
    // One worker call per option, so each size shows as soon as it is known.
    await this.measure.run(async (onProgress, jobId) => {
      for (const [i, c] of choices.entries()) {
        if (seq !== this.#seq) return;
        const overall = (p: Progress): void => onProgress({ ...p, done: i, total: choices.length });
        overall({ phase: `Measuring ${c.label}`, done: 0, total: 0 });
        const [o] = await lab().exportOptions(id, proxy(overall), jobId, [c.key]);
        if (seq !== this.#seq) return;
        this.options.set(c.key, o);
        this.host.requestUpdate();
      }
    });
  }

  /** Measures the open panel's downloads again (after a cancel or an error; what was measured comes from the worker's cache). */
  async remeasure(): Promise<void> {
    const id = this.modelId;
    if (!id) return;
    this.modelId = undefined;
    await this.toggle(id);
  }

  /** Closes the panel (a measurement still running is cancelled). */
  close(): void {
    ++this.#seq;
    void this.measure.cancel();
    this.modelId = undefined;
    this.host.requestUpdate();
  }

  /** Downloads one option's file: the bytes the worker measured. */
  async download(key: ExportKey): Promise<void> {
    const id = this.modelId;
    if (!id) return;
    this.downloading = key;
    this.downloadErrors.delete(key);
    this.host.requestUpdate();
    try {
      const f = await lab().exportFile(id, key);
      download(f.fileName, f.bytes, f.mime);
    } catch (e) {
      this.downloadErrors.set(key, `Could not export: ${(e as Error).message}`);
    } finally {
      this.downloading = undefined;
      this.host.requestUpdate();
    }
  }
}
