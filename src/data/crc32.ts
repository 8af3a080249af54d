/**
 * CRC-32 (IEEE 802.3, the polynomial of zip, gzip and PNG), pure TypeScript so
 * that the browser, the worker and Node verify dataset files the same way.
 *
 * CRC-32 rather than a byte hash such as FNV-1a because it is guaranteed to
 * catch every single-bit flip and every burst error up to 32 bits — exactly
 * the failures a truncated download or a bad disk produce. Slicing-by-8 keeps
 * it fast enough (several hundred MB/s) that checking the 47 MB training set on
 * every load costs well under the time it takes to fetch it.
 */

const TABLES: Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const t0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  const tables = [t0];
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1];
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) t[n] = (prev[n] >>> 8) ^ t0[prev[n] & 0xff];
    tables.push(t);
  }
  return tables;
}

/**
 * CRC-32 of `bytes`, continuing from `previous` (the CRC of the bytes before
 * them; 0 to start). Same chaining convention as zlib's `crc32(data, value)`,
 * so `crc32(b, crc32(a)) === crc32(a ++ b)`. Returns an unsigned 32-bit value.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let c = ~previous;
  const n = bytes.length;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = t7[c & 0xff] ^ t6[(c >>> 8) & 0xff] ^ t5[(c >>> 16) & 0xff] ^ t4[c >>> 24] ^ t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
  }
  for (; i < n; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** `0x1234abcd` form used in the manifest and in messages. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}
