/** What every CLI command shares: its shape, argument parsing helpers and formatting. */
import type { ParseArgsConfig } from 'node:util';
import { architecture, isArchitectureName } from '../model/architectures.ts';
import { readModelFile } from '../engine/node.ts';
import type { Architecture } from '../model/layers.ts';
import type { Model } from '../model/model.ts';

/** A usage mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(positionals: string[], values: Record<string, string | boolean | undefined>, io: Io): Promise<void>;
}

/**
 * A built-in architecture name or a model file path → its architecture (and
 * the file's model): for commands about an architecture (`flops`, `info`,
 * `train` from He init). Commands that score or compress a model resolve it
 * by the engine's naming rule instead (engine/node.ts `resolveModel`).
 */
export async function loadArchitectureOrModel(arg: string | undefined): Promise<{ architecture: Architecture; model?: Model; fileBytes?: number }> {
  if (!arg) throw new UsageError('missing <model>: a built-in architecture name or a model file');
  if (isArchitectureName(arg)) return { architecture: architecture(arg) };
  const { model, fileBytes } = await readModelFile(arg);
  return { architecture: model.architecture, model, fileBytes };
}

export function fmtShape(s: number[]): string {
  return s.join('×');
}

export function number(values: Record<string, unknown>, key: string, fallback: number): number {
  const v = values[key];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${key} must be a positive number, got '${String(v)}'`);
  return n;
}

/** Seconds in the unit a person reads best. */
export function fmtSeconds(t: number): string {
  if (t >= 1) return `${t.toPrecision(4)} s`;
  if (t >= 1e-3) return `${(t * 1e3).toPrecision(4)} ms`;
  if (t >= 1e-6) return `${(t * 1e6).toPrecision(4)} µs`;
  return `${(t * 1e9).toPrecision(4)} ns`;
}
