/**
 * Long work in the worker: every job gets an AbortController under an id the
 * UI chose, so `cancel(id)` (a separate comlink call, handled while the job
 * awaits) can stop it. Jobs must `await` now and then — `yieldToEvents` — or
 * the cancel message would wait behind them.
 */
import type { Progress, ProgressFn } from './types.ts';

const running = new Map<string, AbortController>();

/** Thrown (as an AbortError) when a job was cancelled; the UI shows "cancelled", not an error. */
export class CancelledError extends Error {
  constructor(what: string) {
    super(`${what} was cancelled`);
    this.name = 'AbortError';
  }
}

/** Context handed to a job body. */
export interface JobContext {
  signal: AbortSignal;
  /** Reports progress; throttled so a tight loop does not flood the page with messages. */
  progress(p: Progress): void;
  /** Throws CancelledError when cancelled. */
  check(): void;
}

/** Lets queued messages (cancel!) run, then checks for cancellation. */
export async function yieldToEvents(ctx: JobContext): Promise<void> {
  await new Promise((r) => setTimeout(r, 0));
  ctx.check();
}

/**
 * Runs `body` as job `id`. `onProgress` is a comlink proxy (or undefined).
 * A second job with the same id cancels the first.
 */
export async function runJob<T>(id: string | undefined, what: string, onProgress: ProgressFn | undefined, body: (ctx: JobContext) => Promise<T>): Promise<T> {
  const key = id ?? `job-${Math.random().toString(36).slice(2)}`;
  running.get(key)?.abort();
  const ac = new AbortController();
  running.set(key, ac);
  let last = 0;
  const ctx: JobContext = {
    signal: ac.signal,
    progress(p) {
      const now = performance.now();
      // Always deliver the first and last step and every training-curve point (the live plot needs each); in between at most ~20 per second.
      if (!p.curve && p.done !== 0 && p.done !== p.total && now - last < 50) return;
      last = now;
      try {
        void onProgress?.(p);
      } catch {
        // A page that went away cannot take progress; the job goes on.
      }
    },
    check() {
      if (ac.signal.aborted) throw new CancelledError(what);
    },
  };
  // Cancel answers at once even while the body awaits something that cannot
  // be interrupted (a pipeline compile inside the GPU process): the body
  // finds the signal at its next check and stores nothing.
  const aborted = new Promise<never>((_, reject) => {
    ac.signal.addEventListener('abort', () => reject(new CancelledError(what)), { once: true });
  });
  aborted.catch(() => undefined);
  try {
    ctx.check();
    const work = body(ctx);
    work.catch(() => undefined);
    return await Promise.race([work, aborted]);
  } catch (e) {
    if (ac.signal.aborted) throw new CancelledError(what);
    throw e;
  } finally {
    if (running.get(key) === ac) running.delete(key);
  }
}

/** Cancels job `id`; true when it was running. */
export function cancelJob(id: string): boolean {
  const ac = running.get(id);
  if (!ac) return false;
  ac.abort();
  return true;
}
