/**
 * The one orchestration layer: load a model by one naming rule, get a runner
 * (GPU executor or CPU reference), evaluate, time, calibrate int8. The CLI,
 * the worker and the benchmark call this; front ends never import each
 * other. Node-only file access is in ./node.ts.
 */
export * from '../model/defaults.ts';
export * from './models.ts';
export * from './runner.ts';
export * from './evaluate.ts';
export * from './timing.ts';
export * from './int8.ts';
export * from './preprocess.ts';
export * from './import.ts';
