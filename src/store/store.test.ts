import { beforeEach, describe, expect, it, vi } from 'vitest';

// idb-keyval replaced by an in-memory store whose setMany is atomic (as the real
// one is: one IndexedDB transaction) and can be told to fail like a full disk.
const mem = new Map<string, unknown>();
let failNext: Error | null = null;
vi.mock('idb-keyval', () => ({
  createStore: () => () => undefined,
  get: async (k: string) => mem.get(k),
  getMany: async (ks: string[]) => ks.map((k) => mem.get(k)),
  keys: async () => [...mem.keys()],
  del: async (k: string) => void mem.delete(k),
  delMany: async (ks: string[]) => ks.forEach((k) => mem.delete(k)),
  setMany: async (entries: [string, unknown][]) => {
    if (failNext) {
      const e = failNext;
      failNext = null;
      throw e;
    }
    for (const [k, v] of entries) mem.set(k, v);
  },
}));

const { StoreError, isQuotaError, listModels, putModels, putDataset, getDataset } = await import('./store.ts');

const model = (id: string) => ({
  id,
  name: id,
  origin: 'user' as const,
  runtime: 'fp32' as const,
  architecture: 'lenet5',
  file: new Uint8Array([1, 2, 3]),
  createdAt: '2024-01-01T00:00:00Z',
});

describe('store', () => {
  beforeEach(() => {
    mem.clear();
    failNext = null;
  });

  it('a quota error becomes a StoreError saying what and that nothing changed; stored data stays as it was', async () => {
    await putModels([model('a')]);
    failNext = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const err = await putModels([model('b'), model('c')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as InstanceType<typeof StoreError>).quota).toBe(true);
    expect((err as Error).message).toMatch(/Storage is full/);
    expect((err as Error).message).toMatch(/2 models/);
    expect((err as Error).message).toMatch(/Nothing stored was changed/);
    expect((await listModels()).map((m) => m.id)).toEqual(['a']);
  });

  it('a failed dataset write leaves the old copy and its record', async () => {
    await putDataset('mnist-test.bin', new Uint8Array([9]), ['datasets', { 'mnist-test.bin': '0x1' }]);
    failNext = new DOMException('quota', 'QuotaExceededError');
    await expect(putDataset('mnist-test.bin', new Uint8Array([7, 7]), ['datasets', { 'mnist-test.bin': '0x2' }])).rejects.toThrow(/quota exceeded/);
    expect(await getDataset('mnist-test.bin')).toEqual(new Uint8Array([9]));
  });

  it('other failures are StoreErrors too, not quota errors', async () => {
    failNext = new Error('disk on fire');
    const err = await putModels([model('x')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as InstanceType<typeof StoreError>).quota).toBe(false);
    expect((err as Error).message).toMatch(/disk on fire/);
  });

  it('recognises the quota errors browsers raise', () => {
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true);
    expect(isQuotaError(new Error('nope'))).toBe(false);
  });
});
