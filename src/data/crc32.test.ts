import { describe, it, expect } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32, hex32 } from './crc32.ts';

describe('crc32', () => {
  it('matches the standard check value', () => {
    // "123456789" -> 0xCBF43926 is the published CRC-32/IEEE check value.
    expect(hex32(crc32(new TextEncoder().encode('123456789')))).toBe('0xcbf43926');
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('agrees with zlib on every length around the 8-byte stride, and chains', () => {
    const data = new Uint8Array(1000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 17) & 0xff;
    for (let n = 0; n < 40; n++) expect(crc32(data.subarray(0, n))).toBe(zlibCrc32(data.subarray(0, n)));
    expect(crc32(data)).toBe(zlibCrc32(data));
    expect(crc32(data.subarray(333), crc32(data.subarray(0, 333)))).toBe(crc32(data));
  });
});
