import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { lab } from '../lab-client.ts';
import { download } from '../download.ts';
import { labState } from './lab-state.ts';

/** The Share screen's export and import of results, with the outcome (`message` / `error`) for the screen. */
export class ShareController implements ReactiveController {
  message: string | undefined;
  error: string | undefined;

  constructor(private host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  #set(message: string | undefined, error: string | undefined): void {
    this.message = message;
    this.error = error;
    this.host.requestUpdate();
  }

  /** Downloads every stored result as JSON (to import elsewhere) or CSV (for spreadsheets). */
  async exportResults(format: 'json' | 'csv', sharedBy: string): Promise<void> {
    try {
      const f = await lab().exportResults(format, sharedBy);
      download(f.fileName, f.text, f.mime);
      this.#set(`Saved ${f.fileName}.`, undefined);
    } catch (e) {
      this.#set(undefined, (e as Error).message);
    }
  }

  /** Imports a results file; the worker refuses a bad one whole, so on error nothing was added. */
  async importFile(file: File): Promise<void> {
    this.#set(undefined, undefined);
    try {
      const n = await lab().importResults(await file.text(), file.name);
      this.#set(`Imported ${n} results from ${file.name}; they appear in Compare, marked “imported”.`, undefined);
      await labState.refreshResults();
    } catch (e) {
      this.#set(undefined, `${(e as Error).message}. Nothing was imported.`);
    }
  }
}
