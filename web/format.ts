/** Display formatting only (no math about models lives in the UI). */
export const int = (n: number): string => n.toLocaleString('en-US');
export const bytes = (n: number): string => (n < 1000 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} KB` : `${(n / 1e6).toFixed(2)} MB`);
export const shape = (s: number[]): string => s.join('×');
