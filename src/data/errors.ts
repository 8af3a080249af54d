/**
 * The one error type of the data layer. Every check that rejects a dataset
 * (an IDX source, a built `.bin` file, a manifest, a failed fetch) throws it,
 * so callers can tell "the data is bad or missing" apart from a bug, and the
 * message always names the file and what exactly is wrong with it.
 */
export class DatasetError extends Error {
  /** The file, URL or dataset the problem is about (also the message prefix). */
  readonly source: string;
  /** What is wrong, without the source prefix. */
  readonly problem: string;

  constructor(source: string, problem: string, options?: { cause?: unknown }) {
    super(`${source}: ${problem}`, options);
    this.name = 'DatasetError';
    this.source = source;
    this.problem = problem;
  }
}

/**
 * 1234567 -> "1,234,567". Hand-rolled rather than `toLocaleString` so that
 * messages read the same in every runtime, whatever ICU data it ships.
 */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "expected X bytes, got Y (truncated?)" — the wording every length check shares. */
export function lengthProblem(expected: number, got: number): string {
  const hint = got < expected ? ' (truncated?)' : ' (trailing data?)';
  return `expected ${formatCount(expected)} bytes, got ${formatCount(got)}${hint}`;
}
