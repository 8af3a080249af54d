import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Runs one asynchronous worker call for a component and keeps its state
 * (pending / value / error), re-rendering the host when it changes. Components
 * read `value` and `error`; they never call the worker themselves.
 */
export class TaskController<T> implements ReactiveController {
  value: T | undefined;
  error: string | undefined;
  pending = false;
  #seq = 0;

  constructor(
    private host: ReactiveControllerHost,
    private task: () => Promise<T>,
    private autoRun = true,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    if (this.autoRun && this.value === undefined && !this.pending) void this.run();
  }

  /** (Re)runs the task; a newer run supersedes an older one still in flight. */
  async run(task: () => Promise<T> = this.task): Promise<void> {
    const seq = ++this.#seq;
    this.pending = true;
    this.error = undefined;
    this.host.requestUpdate();
    try {
      const v = await task();
      if (seq !== this.#seq) return;
      this.value = v;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = (e as Error).message ?? String(e);
    } finally {
      if (seq === this.#seq) {
        this.pending = false;
        this.host.requestUpdate();
      }
    }
  }
}
