/**
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed 64-bit
 * hash, synchronous and allocation-free. JavaScript has no fast 64-bit integers, so every 64-bit
 * lane is kept as a (high, low) pair of uint32 and the additions carry by hand.
 *
 * Usage: `const h = new SipHash24(key16); h.hash(bytes, off, len);` then read `h.hi` / `h.lo`
 * (the 64-bit result is `hi * 2^32 + lo`; its little-endian bytes are the reference "output bytes").
 */

const TWO_32 = 4294967296;

function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

// The four state lanes as high/low halves. Module-level so rounds inline without allocation;
// `hash` is synchronous and not re-entrant, which is all it needs to be.
let v0h = 0;
let v0l = 0;
let v1h = 0;
let v1l = 0;
let v2h = 0;
let v2l = 0;
let v3h = 0;
let v3l = 0;

function sipRound(): void {
  let s: number;
  let t: number;
  // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
  s = v0l + v1l;
  v0h = (v0h + v1h + (s >= TWO_32 ? 1 : 0)) >>> 0;
  v0l = s >>> 0;
  t = v1h;
  v1h = (((v1h << 13) | (v1l >>> 19)) ^ v0h) >>> 0;
  v1l = (((v1l << 13) | (t >>> 19)) ^ v0l) >>> 0;
  t = v0h;
  v0h = v0l;
  v0l = t;
  // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
  s = v2l + v3l;
  v2h = (v2h + v3h + (s >= TWO_32 ? 1 : 0)) >>> 0;
  v2l = s >>> 0;
  t = v3h;
  v3h = (((v3h << 16) | (v3l >>> 16)) ^ v2h) >>> 0;
  v3l = (((v3l << 16) | (t >>> 16)) ^ v2l) >>> 0;
  // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
  s = v0l + v3l;
  v0h = (v0h + v3h + (s >= TWO_32 ? 1 : 0)) >>> 0;
  v0l = s >>> 0;
  t = v3h;
  v3h = (((v3h << 21) | (v3l >>> 11)) ^ v0h) >>> 0;
  v3l = (((v3l << 21) | (t >>> 11)) ^ v0l) >>> 0;
  // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
  s = v2l + v1l;
  v2h = (v2h + v1h + (s >= TWO_32 ? 1 : 0)) >>> 0;
  v2l = s >>> 0;
  t = v1h;
  v1h = (((v1h << 17) | (v1l >>> 15)) ^ v2h) >>> 0;
  v1l = (((v1l << 17) | (t >>> 15)) ^ v2l) >>> 0;
  t = v2h;
  v2h = v2l;
  v2l = t;
}

export const SIPHASH_KEY_LEN = 16;

export class SipHash24 {
  private k0h = 0;
  private k0l = 0;
  private k1h = 0;
  private k1l = 0;
  /** High 32 bits of the last result. */
  hi = 0;
  /** Low 32 bits of the last result. */
  lo = 0;

  /** `key`: 16 bytes at `off` (k0 = bytes 0..7, k1 = bytes 8..15, little-endian). */
  constructor(key: Uint8Array, off = 0) {
    this.setKey(key, off);
  }

  setKey(key: Uint8Array, off = 0): void {
    if (off < 0 || off + SIPHASH_KEY_LEN > key.length) throw new RangeError('SipHash key must be 16 bytes');
    this.k0l = le32(key, off);
    this.k0h = le32(key, off + 4);
    this.k1l = le32(key, off + 8);
    this.k1h = le32(key, off + 12);
  }

  /**
   * Hashes `len` bytes of `data` from `off` (the caller keeps the range in bounds). Sets `hi`/`lo`
   * and returns `lo`, the low 32 bits.
   */
  hash(data: Uint8Array, off: number, len: number): number {
    v0h = (this.k0h ^ 0x736f6d65) >>> 0;
    v0l = (this.k0l ^ 0x70736575) >>> 0;
    v1h = (this.k1h ^ 0x646f7261) >>> 0;
    v1l = (this.k1l ^ 0x6e646f6d) >>> 0;
    v2h = (this.k0h ^ 0x6c796765) >>> 0;
    v2l = (this.k0l ^ 0x6e657261) >>> 0;
    v3h = (this.k1h ^ 0x74656462) >>> 0;
    v3l = (this.k1l ^ 0x79746573) >>> 0;
    const end = off + len;
    const full = off + (len & ~7);
    let i = off;
    for (; i < full; i += 8) {
      const ml = le32(data, i);
      const mh = le32(data, i + 4);
      v3l = (v3l ^ ml) >>> 0;
      v3h = (v3h ^ mh) >>> 0;
      sipRound();
      sipRound();
      v0l = (v0l ^ ml) >>> 0;
      v0h = (v0h ^ mh) >>> 0;
    }
    // Last block: the remaining 0..7 bytes, little-endian, with len mod 256 in the top byte.
    let ml = 0;
    let mh = (len & 0xff) << 24;
    for (let k = 0; i < end; i++, k++) {
      if (k < 4) ml |= data[i]! << (8 * k);
      else mh |= data[i]! << (8 * (k - 4));
    }
    ml >>>= 0;
    mh >>>= 0;
    v3l = (v3l ^ ml) >>> 0;
    v3h = (v3h ^ mh) >>> 0;
    sipRound();
    sipRound();
    v0l = (v0l ^ ml) >>> 0;
    v0h = (v0h ^ mh) >>> 0;
    v2l = (v2l ^ 0xff) >>> 0;
    sipRound();
    sipRound();
    sipRound();
    sipRound();
    this.hi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
    this.lo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
    return this.lo;
  }
}
