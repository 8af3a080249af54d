import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseModel } from '../model/format.ts';
import { accountModel } from '../model/accounting.ts';
import { bundledEntry, bundledId, pendingSummary, sha256Hex, storedBundled } from './bundled-index.ts';
import { summarize } from './describe.ts';

const file = (name: string) => new Uint8Array(readFileSync(new URL(`../../models/${name}`, import.meta.url)));

describe('bundled models index', () => {
  it('gives a bundled model the list entry the worker gives it once stored, with its dataset', () => {
    const bytes = file('lenet5-fashion.safetensors');
    const e = bundledEntry('lenet5-fashion.safetensors', bytes, 'abc');
    expect(e.bytes).toBe(bytes.length);
    const stored = storedBundled('lenet5-fashion.safetensors', bytes);
    expect(e.summary).toEqual(summarize(stored, parseModel(bytes, 'x')));
    expect(e.summary).toMatchObject({ id: 'bundled:lenet5-fashion.safetensors', name: 'lenet5-fashion', origin: 'bundled', architecture: 'lenet5' });
    expect(e.summary.dataset).toBe('fashion-mnist');
    // LeNet-5 (20-50-500-10): 431,080 parameters, all fp32.
    expect(e.summary.params).toBe(431080);
    expect(e.summary.params).toBe(accountModel(parseModel(bytes, 'x').architecture).total.params);
    expect(e.summary.bytes).toBe(431080 * 4);
    expect(e.summary.download).toBeUndefined();
    expect(bundledEntry('lenet-300-100.safetensors', file('lenet-300-100.safetensors'), 'x').summary.dataset).toBe('mnist');
  });

  it('marks a model not downloaded yet with what fetching it costs', () => {
    const bytes = file('article-net.safetensors');
    const p = pendingSummary(bundledEntry('article-net.safetensors', bytes, 'x'));
    expect(p.id).toBe(bundledId('article-net.safetensors'));
    expect(p.download).toEqual({ bytes: bytes.length });
  });

  it('hashes as SHA-256 does', async () => {
    const bytes = file('article-net.safetensors');
    expect(await sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await sha256Hex(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('refuses a corrupt file, naming it', () => {
    expect(() => storedBundled('broken.safetensors', new Uint8Array(64).fill(7))).toThrow(/broken\.safetensors/);
  });
});
