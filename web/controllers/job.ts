import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { proxy } from 'comlink';
import { lab } from '../lab-client.ts';
import type { Progress, TrainingCurve } from '../../src/worker/types.ts';
// The one fold of curve points into curves, shared with the worker's recorder (plain data, no math).
import { addCurvePoint } from '../../src/engine/curves.ts';

let seq = 0;

/**
 * One long worker job: progress (via a comlink proxy callback), cancel (the
 * worker's `cancel(id)`), and the outcome. A cancelled job is not an error:
 * `cancelled` is set instead. Plain state with listeners, so it can outlive a
 * screen (see `JobController`'s `shared`).
 */
export class Job<T> {
  running = false;
  progress: Progress | undefined;
  value: T | undefined;
  error: string | undefined;
  cancelled = false;
  /** Training curves built from the progress points of the latest run (a new array on every point, so views redraw). */
  curves: TrainingCurve[] = [];
  #id: string | undefined;
  #listeners = new Set<() => void>();

  subscribe(l: () => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  #notify(): void {
    for (const l of this.#listeners) l();
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
    this.curves = [];
    this.#notify();
    try {
      const v = await call(
        proxy((p: Progress) => {
          if (this.#id !== id) return;
          this.progress = p;
          if (p.curve) {
            addCurvePoint(this.curves, p.curve);
            this.curves = [...this.curves];
          }
          this.#notify();
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
        this.#notify();
      }
    }
  }

  /** Asks the worker to stop the running job. */
  async cancel(): Promise<void> {
    if (!this.running || !this.#id) return;
    await lab().cancel(this.#id);
  }
}

/**
 * A component's view of a Job. By default the job is the component's own and
 * is cancelled when the component goes away (a screen that goes away stops
 * its work rather than leaving the GPU busy). With a `shared` job (module
 * state) the work goes on while the user looks at other screens, and the
 * screen shows its progress again on return.
 */
export class JobController<T> implements ReactiveController {
  readonly job: Job<T>;
  readonly #own: boolean;
  #off = (): void => undefined;

  constructor(
    private host: ReactiveControllerHost,
    shared?: Job<T>,
  ) {
    this.job = shared ?? new Job<T>();
    this.#own = !shared;
    host.addController(this);
  }

  hostConnected(): void {
    this.#off = this.job.subscribe(() => this.host.requestUpdate());
  }

  hostDisconnected(): void {
    this.#off();
    if (this.#own) void this.job.cancel();
  }

  get running(): boolean {
    return this.job.running;
  }
  get progress(): Progress | undefined {
    return this.job.progress;
  }
  get value(): T | undefined {
    return this.job.value;
  }
  get error(): string | undefined {
    return this.job.error;
  }
  get cancelled(): boolean {
    return this.job.cancelled;
  }
  get curves(): TrainingCurve[] {
    return this.job.curves;
  }

  run(call: (onProgress: (p: Progress) => void, jobId: string) => Promise<T>): Promise<T | undefined> {
    return this.job.run(call);
  }

  cancel(): Promise<void> {
    return this.job.cancel();
  }
}
