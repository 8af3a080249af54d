/// <reference lib="webworker" />
// Entry of the lab's dedicated worker: all GPU work and math run here.
import { expose } from 'comlink';
import { labApi } from './api.ts';

expose(labApi);
