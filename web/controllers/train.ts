import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { lab } from '../lab-client.ts';
import { Job, JobController } from './job.ts';
import { TaskController } from './task.ts';
import { labState } from './lab-state.ts';
import type { ArchitectureSummary, TrainDefaults } from '../../src/worker/api.ts';
import type { TrainOutcome, TrainRequest } from '../../src/worker/types.ts';

/** Module state: training goes on while the user looks at other screens. */
const trainJob = new Job<TrainOutcome>();

/**
 * Training a built-in architecture from scratch in the worker (its `train`
 * call, the same GPU trainer as the CLI): the architectures to offer, the
 * running job (progress, cancel) and the outcome; the model list is
 * refreshed when a variant was stored.
 */
export class TrainController implements ReactiveController {
  readonly job: JobController<TrainOutcome>;
  readonly architectures: TaskController<ArchitectureSummary[]>;
  /** The worker's defaults, so the form says what a run will use. */
  readonly defaults: TaskController<TrainDefaults>;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
    this.job = new JobController<TrainOutcome>(host, trainJob);
    this.architectures = new TaskController<ArchitectureSummary[]>(host, () => lab().architectures());
    this.defaults = new TaskController<TrainDefaults>(host, () => lab().trainDefaults());
  }

  hostConnected(): void {}

  async train(request: TrainRequest, name = ''): Promise<TrainOutcome | undefined> {
    const r = await trainJob.run((p, id) => lab().train(request, name, p, id));
    if (r) await labState.refreshModels();
    return r;
  }
}
