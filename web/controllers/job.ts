import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { proxy } from 'comlink';
import { lab } from '../lab-client.ts';
import type { Progress } from '../../src/worker/types.ts';

let seq = 0;

/**
 * One long worker job for a component: progress (via a comlink proxy
 * callback), cancel (the worker's `cancel(id)`), and the outcome. A cancelled
 * job is not an error: `cancelled` is set instead.
 */
export class JobController<T> implements ReactiveController {
  running = false;
  progress: Progress | undefined;
  value: T | undefined;
  error: string | undefined;
  cancelled = false;
  #id: string | undefined;

  constructor(private host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    // A screen that goes away stops its work rather than leaving the GPU busy.
    void this.cancel();
  }

  /**
   * Runs `call(onProgress, jobId)` in the worker. Resolves to the value, or
   * undefined when it failed or was cancelled (see `error` / `cancelled`).
   */
  async run(call: (onProgress: (p: Progress) => void, jobId: string) => Promise<T>): Promise<T | undefined> {
    const id = `ui-${++seq}`;
    this.#id = id;
    this.running = true;
    this.cancelled = false;
    this.error = undefined;
    this.progress = undefined;
    this.host.requestUpdate();
    try {
      const v = await call(
        proxy((p: Progress) => {
          if (this.#id !== id) return;
          this.progress = p;
          this.host.requestUpdate();
        }),
        id,
      );
      if (this.#id === id) this.value = v;
      return v;
    } catch (e) {
      if (this.#id !== id) return undefined;
      if ((e as Error).name === 'AbortError') this.cancelled = true;
      else this.error = (e as Error).message ?? String(e);
      return undefined;
    } finally {
      if (this.#id === id) {
        this.running = false;
        this.host.requestUpdate();
      }
    }
  }

  /** Asks the worker to stop the running job. */
  async cancel(): Promise<void> {
    if (!this.running || !this.#id) return;
    await lab().cancel(this.#id);
  }
}
