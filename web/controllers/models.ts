import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { lab } from '../lab-client.ts';
import { labState } from './lab-state.ts';
import type { Job } from './job.ts';
import type { ImportOutcome } from '../../src/worker/import.ts';

/**
 * The Models screen's import and delete actions: import a model file (the
 * worker checks it fully before storing), delete one (Export is
 * ExportController's panel). Keeps the outcome for the screen (`ok` /
 * `error`) and refreshes the shared lists.
 */
export class ModelActionsController implements ReactiveController {
  busy = false;
  ok: string | undefined;
  error: string | undefined;

  constructor(private host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  #set(next: Partial<Pick<ModelActionsController, 'busy' | 'ok' | 'error'>>): void {
    Object.assign(this, next);
    this.host.requestUpdate();
  }

  /**
   * Imports a pick of files (a .safetensors, an .onnx, or a model.json with
   * its .bin shards) as one job of `job` (progress, cancel); on any error
   * (bad file, storage full) nothing is stored and `error` says why.
   */
  async importFiles(files: File[], job: Job<ImportOutcome>): Promise<void> {
    if (!files.length) return;
    this.#set({ busy: true, ok: undefined, error: undefined });
    try {
      const picked = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      const r = await job.run((p, id) => lab().importModel(picked, p, id));
      if (r) {
        const m = r.model;
        const kind = r.format === 'onnx' ? 'ONNX' : r.format === 'tfjs-layers' ? 'TensorFlow.js' : '';
        const by = r.report?.producer ? `, written by ${r.report.producer.name} ${r.report.producer.version}`.trimEnd() : '';
        const from = kind ? ` from ${kind}${by}` : '';
        const input = r.input ? ` Input: ${r.input.reason}.` : '';
        this.#set({ ok: `Imported ${m.name}${from}: ${m.architecture}, ${m.params.toLocaleString('en-US')} parameters.${input}` });
        await labState.refreshModels();
      } else if (job.error) this.#set({ error: job.error });
    } catch (e) {
      this.#set({ error: (e as Error).message });
    } finally {
      this.#set({ busy: false });
    }
  }

  /** Deletes a variant and its results, then refreshes the model and result lists. */
  async deleteModel(id: string): Promise<void> {
    this.#set({ ok: undefined, error: undefined });
    try {
      await lab().deleteModel(id);
    } catch (e) {
      this.#set({ error: `Could not delete: ${(e as Error).message}` });
    }
    await Promise.all([labState.refreshModels(), labState.refreshResults()]);
  }
}
