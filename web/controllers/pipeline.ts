import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { lab } from '../lab-client.ts';
import { Job } from './job.ts';
import { labState } from './lab-state.ts';
import type { ModelSummary, PassInfo, PipelineStep, ResultRecord } from '../../src/worker/types.ts';

/** What the Compress screen's builder holds: the start model, the steps and what to do after. */
export interface PipelineDraft {
  steps: PipelineStep[];
  /** The pass the "Add pass" select shows ('' = the first). */
  addId: string;
  /** Name of the new variant ('' = automatic). */
  name: string;
  measureAfter: boolean;
  /** Test images to measure the result on. */
  limit: number;
  /** Start model; undefined = the variant selected on the Models screen. */
  sourceId: string | undefined;
}

/**
 * The draft lives at module level, not in the component: screens are
 * re-created when the user navigates, and a pipeline with a teacher chosen
 * and options typed in should still be there when they come back.
 */
/**
 * The pipeline run and the measurement after it. Module state like the
 * draft: a fine-tune can take minutes, and the user may look at other screens
 * meanwhile (progress shows again on return; Cancel is on this screen).
 */
export const compressJob = new Job<ModelSummary>();
export const measureJob = new Job<ResultRecord>();

let draft: PipelineDraft = { steps: [], addId: '', name: '', measureAfter: true, limit: 10000, sourceId: undefined };
const listeners = new Set<() => void>();

function update(next: Partial<PipelineDraft>): void {
  draft = { ...draft, ...next };
  for (const l of listeners) l();
}

/** The Compress screen's pipeline builder state and its edits (add, remove, reorder, set an option). */
export class PipelineController implements ReactiveController {
  #off = (): void => undefined;

  constructor(private host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostConnected(): void {
    const l = (): void => this.host.requestUpdate();
    listeners.add(l);
    this.#off = () => listeners.delete(l);
  }

  hostDisconnected(): void {
    this.#off();
  }

  get draft(): PipelineDraft {
    return draft;
  }

  set(next: Partial<PipelineDraft>): void {
    update(next);
  }

  /** Appends a step with the pass's default options. */
  add(pass: PassInfo): void {
    update({ steps: [...draft.steps, { pass: pass.id, options: { ...pass.defaults } }] });
  }

  remove(i: number): void {
    update({ steps: draft.steps.filter((_, k) => k !== i) });
  }

  /** Swaps step i with its neighbour (d = −1 up, +1 down); no-op at the ends. */
  move(i: number, d: -1 | 1): void {
    const j = i + d;
    if (j < 0 || j >= draft.steps.length) return;
    const s = draft.steps.slice();
    [s[i], s[j]] = [s[j], s[i]];
    update({ steps: s });
  }

  /** Runs the draft on its start model (or `fallbackSourceId`), stores the variant, then measures it if asked. */
  async run(fallbackSourceId: string | undefined): Promise<void> {
    const { steps, name, measureAfter, limit } = draft;
    const source = draft.sourceId ?? fallbackSourceId;
    if (!source || !steps.length) return;
    const made = await compressJob.run((p, id) => lab().compress(source, steps, name, p, id));
    if (!made) return;
    await labState.refreshModels();
    if (measureAfter) {
      const r = await measureJob.run((p, id) => lab().evaluate(made.id, { limit }, p, id));
      if (r) await labState.refreshResults();
    }
  }

  setOption(i: number, key: string, value: number | string | boolean): void {
    update({ steps: draft.steps.map((s, k) => (k === i ? { ...s, options: { ...s.options, [key]: value } } : s)) });
  }
}
