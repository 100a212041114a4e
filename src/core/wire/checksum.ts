/**
 * Internet checksum (RFC 1071) with IPv4/IPv6 pseudo-headers and RFC 1624 incremental update.
 *
 * The bulk of the data is summed as native (little-endian) 32-bit words through a Uint32Array view
 * of the whole underlying ArrayBuffer, split into 16-bit halves and accumulated in float64 (exact up
 * to 2^53, so no carry handling inside the loop). The one's-complement sum is byte-order
 * independent (RFC 1071 §2(B)): the native-order word sum is swapped once at the end when needed.
 */

import { CHECKSUM_SIMD_WASM } from './checksum-simd.js';

/** Whether typed arrays use little-endian byte order on this platform (they do on every common one). */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

let lastBuffer: ArrayBufferLike | undefined;
let lastWords: Uint32Array = new Uint32Array(0);

/**
 * A Uint32Array over the whole of `buffer`, cached for the last buffer seen. Re-created when the cached
 * view is too short for `needWords` words (a resizable buffer that grew); `undefined` when even a fresh
 * view is (a detached buffer), so the caller falls back to bytes.
 */
function wordsOf(buffer: ArrayBufferLike, needWords: number): Uint32Array | undefined {
  if (buffer !== lastBuffer || lastWords.length < needWords) {
    lastBuffer = buffer;
    lastWords = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
    if (lastWords.length < needWords) return undefined;
  }
  return lastWords;
}

/**
 * The WebAssembly SIMD path (checksum-simd.wat): for large buffers the bytes are copied into the
 * module's memory (one `set`, ~30 GB/s) and summed 64 bytes per iteration. Undefined where
 * WebAssembly or its SIMD extension is missing; the JavaScript loop then does all the work.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The part of the WebAssembly JS API used here (standard in browsers and Node; no DOM lib needed). */
declare const WebAssembly:
  | {
      validate(bytes: Uint8Array): boolean;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
    }
  | undefined;

interface SimdSummer {
  readonly memory: WasmMemory;
  bytes: Uint8Array;
  readonly sum16le: (n: number) => number;
}

/** Below this many bytes the copy into wasm memory costs more than it saves. */
export const SIMD_MIN_BYTES = 2048;

function loadSimd(): SimdSummer | undefined {
  if (typeof WebAssembly !== 'object' || WebAssembly === undefined) return undefined;
  if (!WebAssembly.validate(CHECKSUM_SIMD_WASM)) return undefined;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(CHECKSUM_SIMD_WASM), {});
    const memory = instance.exports.mem as WasmMemory;
    const sum16le = instance.exports.sum16le as (n: number) => number;
    return { memory, bytes: new Uint8Array(memory.buffer), sum16le };
  } catch {
    return undefined;
  }
}

let simd: SimdSummer | undefined | null = null;

/** Whether the SIMD path is in use (for benchmarks and tests). */
export function checksumUsesSimd(): boolean {
  if (simd === null) simd = loadSimd();
  return simd !== undefined;
}

/** Folded little-endian word sum of b[off, off+len) through wasm memory. */
function simdSum(m: SimdSummer, b: Uint8Array, off: number, len: number): number {
  const padded = (len + 15) & ~15;
  if (padded > m.bytes.length) {
    m.memory.grow(Math.ceil((padded - m.bytes.length) / 65536));
    m.bytes = new Uint8Array(m.memory.buffer);
  }
  m.bytes.set(b.subarray(off, off + len), 0);
  m.bytes.fill(0, len, padded);
  return m.sum16le(len);
}

function sumBytes(b: Uint8Array, off: number, end: number, s: number): number {
  let i = off;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return fold(s);
}

/** Fold a non-negative sum (< 2^53) to 16 bits with end-around carry. */
export function fold(sum: number): number {
  // Bring it below 2^32 first without bit ops (which truncate to 32 bits).
  while (sum > 0xffffffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function swap16(x: number): number {
  return ((x & 0xff) << 8) | (x >>> 8);
}

/**
 * One's-complement sum of `len` bytes at `off`, as big-endian 16-bit words, plus `initial`;
 * folded to 16 bits, not complemented. An odd trailing byte is padded with zero.
 */
export function sum16(b: Uint8Array, off: number, len: number, initial = 0): number {
  const s = initial;
  if (len >= SIMD_MIN_BYTES) {
    if (simd === null) simd = loadSimd();
    if (simd !== undefined) {
      // Memory starts at offset 0, so the first byte is the low half of a little-endian lane.
      const le = simdSum(simd, b, off, len);
      return fold(s + (LITTLE_ENDIAN ? swap16(le) : le));
    }
  }
  return sum16Js(b, off, len, initial);
}

/** `sum16` in JavaScript only (the path for small buffers, and everywhere without wasm SIMD). */
export function sum16Js(b: Uint8Array, off: number, len: number, initial = 0): number {
  const end = off + len;
  let s = initial;
  if (len < 64) return sumBytes(b, off, end, s);
  const base = b.byteOffset;
  let i = off;
  // Head: single bytes until the absolute address is 4-byte aligned.
  while ((base + i) & 3) {
    s += (i - off) & 1 ? b[i]! : b[i]! << 8;
    i++;
  }
  let w = (base + i) >>> 2;
  const nWords = (end - i) >>> 2;
  const words = wordsOf(b.buffer, w + nWords);
  if (words === undefined) return sumBytes(b, off, end, initial);
  const wEnd = w + nWords;
  const wEnd8 = w + (nWords & ~7);
  let a0 = 0;
  let a1 = 0;
  while (w < wEnd8) {
    const x0 = words[w]!;
    const x1 = words[w + 1]!;
    const x2 = words[w + 2]!;
    const x3 = words[w + 3]!;
    const x4 = words[w + 4]!;
    const x5 = words[w + 5]!;
    const x6 = words[w + 6]!;
    const x7 = words[w + 7]!;
    a0 += (x0 & 0xffff) + (x1 & 0xffff) + (x2 & 0xffff) + (x3 & 0xffff);
    a0 += (x4 & 0xffff) + (x5 & 0xffff) + (x6 & 0xffff) + (x7 & 0xffff);
    a1 += (x0 >>> 16) + (x1 >>> 16) + (x2 >>> 16) + (x3 >>> 16);
    a1 += (x4 >>> 16) + (x5 >>> 16) + (x6 >>> 16) + (x7 >>> 16);
    w += 8;
  }
  while (w < wEnd) {
    const x = words[w]!;
    a0 += x & 0xffff;
    a1 += x >>> 16;
    w++;
  }
  // Each half-word holds the bytes at an even and an odd absolute address. Little-endian puts the even
  // one in the low byte; it is the first (high) byte of a checksum word when (aligned address - off) is
  // even, so the sum is then byte-swapped. Big-endian is the mirror case.
  let mid = fold(a0 + a1);
  if (((i - off) & 1) === 0 ? LITTLE_ENDIAN : !LITTLE_ENDIAN) mid = swap16(mid);
  s += mid;
  i += nWords << 2;
  for (; i < end; i++) s += (i - off) & 1 ? b[i]! : b[i]! << 8;
  return fold(s);
}

/** The Internet checksum of a byte range (the complemented sum); 0 over a correct checksummed range. */
export function checksum(b: Uint8Array, off: number, len: number, initial = 0): number {
  return ~sum16(b, off, len, initial) & 0xffff;
}

/** Pseudo-header sum for IPv4 (RFC 793 §3.1 / RFC 768), addresses as 32-bit numbers. */
export function pseudoSum4(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** Pseudo-header sum for IPv6 (RFC 8200 §8.1); addresses are 16 bytes at the given offsets. */
export function pseudoSum6(
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  nextHeader: number,
  length: number,
): number {
  let s = nextHeader + (length >>> 16) + (length & 0xffff);
  for (let i = 0; i < 16; i += 2) {
    s += (src[srcOff + i]! << 8) | src[srcOff + i + 1]!;
    s += (dst[dstOff + i]! << 8) | dst[dstOff + i + 1]!;
  }
  return s;
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changed from `oldWord`
 * to `newWord`: HC' = ~(~HC + ~m + m').
 */
export function updateChecksum16(oldChecksum: number, oldWord: number, newWord: number): number {
  return ~fold((~oldChecksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff)) & 0xffff;
}

/** RFC 1624 for a 32-bit field (e.g. a sequence number or an IPv4 address). */
export function updateChecksum32(oldChecksum: number, oldValue: number, newValue: number): number {
  return updateChecksum16(
    updateChecksum16(oldChecksum, oldValue >>> 16, newValue >>> 16),
    oldValue & 0xffff,
    newValue & 0xffff,
  );
}

/** Reference byte loop (RFC 1071 as written), for tests and as the benchmark baseline. */
export function checksumNaive(b: Uint8Array, off: number, len: number, initial = 0): number {
  let s = initial;
  const end = off + len;
  let i = off;
  for (; i + 1 < end; i += 2) {
    s += (b[i]! << 8) | b[i + 1]!;
    if (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  }
  if (i < end) s += b[i]! << 8;
  return ~fold(s) & 0xffff;
}
