/**
 * Big-endian byte accessors over a plain Uint8Array. They do no bounds checks of their own: callers
 * check lengths once (the view contract) and then read at known offsets. Manual shifts keep the hot
 * path free of DataView allocations.
 */

export function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function set16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function set32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Lower-case hex of `len` bytes from `o`, e.g. for MAC addresses and unknown option bytes in traces. */
export function hex(b: Uint8Array, o = 0, len = b.length - o, sep = ''): string {
  let s = '';
  for (let i = 0; i < len; i++) {
    if (i > 0 && sep) s += sep;
    s += (b[o + i]! < 16 ? '0' : '') + b[o + i]!.toString(16);
  }
  return s;
}

/** Compare two byte ranges. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
