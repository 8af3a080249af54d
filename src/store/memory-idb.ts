/**
 * An in-memory stand-in for idb-keyval, for Node tests of the worker and the
 * store: `vi.mock('idb-keyval', () => import('../store/memory-idb.ts'))`.
 * Values are structured-cloned on write, as IndexedDB stores them, so a test
 * sees what a page would read back. `memory` is the store itself.
 */
export const memory = new Map<string, unknown>();

export const createStore = (): (() => undefined) => () => undefined;
export const get = async (k: string): Promise<unknown> => memory.get(k);
export const getMany = async (ks: string[]): Promise<unknown[]> => ks.map((k) => memory.get(k));
export const keys = async (): Promise<string[]> => [...memory.keys()];
export const del = async (k: string): Promise<void> => void memory.delete(k);
export const delMany = async (ks: string[]): Promise<void> => ks.forEach((k) => memory.delete(k));
export const setMany = async (entries: [string, unknown][]): Promise<void> => entries.forEach(([k, v]) => memory.set(k, structuredClone(v)));
