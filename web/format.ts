/** Display formatting only (no math about models lives in the UI). */
export const int = (n: number): string => n.toLocaleString('en-US');
export const bytes = (n: number): string => (n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} KB` : `${(n / 1e6).toFixed(2)} MB`);
export const shape = (s: number[]): string => s.join('×');
/** A fraction 0–1 as a percentage with `d` decimals. */
export const pct = (f: number, d = 2): string => `${(f * 100).toFixed(d)} %`;
/** Milliseconds with sensible precision; '—' when unknown. */
export const ms = (v: number | undefined): string =>
  v === undefined ? '—' : v < 0.1 ? `${(v * 1000).toFixed(1)} µs` : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`;
/** A ratio like "4.00×"; '—' when unknown. */
export const times = (v: number | undefined, d = 2): string => (v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(d)}×`);
/** A number with `d` decimals; '—' when unknown. */
export const fixed = (v: number | undefined, d = 1): string =>
  v === undefined || !Number.isFinite(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
/** A dataset's display name ('mnist' → MNIST, 'fashion-mnist' → Fashion-MNIST). */
export const datasetTitle = (d: string | undefined): string => (d === 'fashion-mnist' ? 'Fashion-MNIST' : d === 'mnist' || d === undefined ? 'MNIST' : d);
