import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { lab } from '../lab-client.ts';
import type { CompareRow, DeviceStatus, ModelSummary, StartupReport } from '../../src/worker/types.ts';

type Listener = () => void;

/**
 * State several screens share: the start-up report, the device, the list of
 * variants and the results. Loaded from the worker, refreshed after changes;
 * screens subscribe through `LabStateController`.
 */
class LabState {
  startup: StartupReport | undefined;
  device: DeviceStatus | undefined;
  models: ModelSummary[] = [];
  results: CompareRow[] = [];
  baselineId: string | undefined;
  /** Variant chosen in the Models list, shown by the Model view and preselected in Compress. */
  selectedId: string | undefined;
  error: string | undefined;
  #listeners = new Set<Listener>();

  subscribe(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  notify(): void {
    for (const l of this.#listeners) l();
  }

  async refreshModels(): Promise<void> {
    try {
      this.models = await lab().models();
      if (!this.selectedId || !this.models.some((m) => m.id === this.selectedId))
        this.selectedId = (this.models.find((m) => m.architecture === 'lenet5') ?? this.models[0])?.id;
    } catch (e) {
      this.error = (e as Error).message;
    }
    this.notify();
  }

  async refreshResults(): Promise<void> {
    try {
      this.results = await lab().results(this.baselineId);
    } catch (e) {
      this.error = (e as Error).message;
    }
    this.notify();
  }

  /** Deletes one result and refreshes the list (a failure shows as the state's error). */
  async deleteResult(id: string): Promise<void> {
    try {
      await lab().deleteResult(id);
    } catch (e) {
      this.error = (e as Error).message;
    }
    await this.refreshResults();
  }

  async refreshDevice(): Promise<void> {
    this.device = await lab().device();
    this.notify();
  }

  select(id: string): void {
    this.selectedId = id;
    this.notify();
  }
}

/** The app's one shared state. */
export const labState = new LabState();

/** Re-renders its host whenever the shared state changes. */
export class LabStateController implements ReactiveController {
  #off: (() => void) | undefined;
  constructor(private host: ReactiveControllerHost) {
    host.addController(this);
  }
  get state(): LabState {
    return labState;
  }
  hostConnected(): void {
    this.#off = labState.subscribe(() => this.host.requestUpdate());
  }
  hostDisconnected(): void {
    this.#off?.();
  }
}
