/** The UI's only door to the engine: a comlink proxy of the worker's LabApi. */
import { wrap, type Remote } from 'comlink';
import type { LabApi } from '../src/worker/api.ts';

let client: Remote<LabApi> | null = null;

export function lab(): Remote<LabApi> {
  client ??= wrap<LabApi>(new Worker(new URL('../src/worker/worker.ts', import.meta.url), { type: 'module', name: 'compression-lab' }));
  return client;
}
