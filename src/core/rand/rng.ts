/**
 * Seeded pseudo-random numbers. The core never calls `Math.random()`: everything random (ISNs in
 * tests, ephemeral ports, fault injection, jitter) comes from an injected `Rng`, so the same seed
 * replays the same run.
 *
 * `Xoshiro128` is xoshiro128** (Blackman and Vigna): 128 bits of state in four uint32, period
 * 2^128 - 1, a few integer ops per output. Seeds go through a splitmix-style 32-bit mixer so that
 * nearby seeds (0, 1, 2, ...) give unrelated streams. Not for secrets: keys come from the driver.
 */

/** What the stack takes as its source of randomness. */
export interface Rng {
  /** Uniform in [0, 2^32). */
  nextU32(): number;
  /** Uniform in [0, 1), 32 bits of resolution. */
  nextFloat(): number;
  /** A uniform integer in [lo, hi) (half open); `lo` when the range is empty. Ranges up to 2^53 wide. */
  nextInt(lo: number, hi: number): number;
  /** An independent generator seeded from this one (advances this one). */
  fork(): Rng;
}

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;
const GOLDEN_GAMMA = 0x9e3779b9;

/** A 32-bit finalizer (xor-shift-multiply); a bijection on uint32 with good avalanche. */
export function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Xoshiro128 implements Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** `seed`: any integer in [-2^53, 2^53]; fractional parts are dropped. */
  constructor(seed = 0) {
    const n = Math.trunc(seed);
    const lo = n >>> 0;
    const hi = Math.floor(n / TWO_32) >>> 0;
    // A Weyl sequence through the mixer, started from both halves of the seed.
    let w = (lo ^ mix32(hi ^ 0x6a09e667)) >>> 0;
    w = (w + GOLDEN_GAMMA) >>> 0;
    this.s0 = mix32(w);
    w = (w + GOLDEN_GAMMA) >>> 0;
    this.s1 = mix32(w);
    w = (w + GOLDEN_GAMMA) >>> 0;
    this.s2 = mix32(w);
    w = (w + GOLDEN_GAMMA) >>> 0;
    this.s3 = mix32(w);
    this.avoidZero();
  }

  /** A generator with this exact state (for reference vectors and snapshots). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Xoshiro128 {
    const r = new Xoshiro128(0);
    r.s0 = s0 >>> 0;
    r.s1 = s1 >>> 0;
    r.s2 = s2 >>> 0;
    r.s3 = s3 >>> 0;
    r.avoidZero();
    return r;
  }

  /** The four state words, e.g. to restore a generator later with `fromState`. */
  state(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  private avoidZero(): void {
    // The all-zero state is a fixed point of the generator.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 = s1 ^ this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    return this.nextU32() / TWO_32;
  }

  nextInt(lo: number, hi: number): number {
    const width = hi - lo;
    if (!(width > 0)) return lo;
    if (width <= TWO_32) {
      // Rejection sampling keeps the result unbiased: accept only below a multiple of `width`.
      const limit = TWO_32 - (TWO_32 % width);
      let x = this.nextU32();
      while (x >= limit) x = this.nextU32();
      return lo + (x % width);
    }
    const w = Math.min(width, TWO_53);
    const limit = TWO_53 - (TWO_53 % w);
    let x: number;
    do x = (this.nextU32() >>> 11) * TWO_32 + this.nextU32();
    while (x >= limit);
    return lo + (x % w);
  }

  /** Fills `len` bytes of `buf` from `off` with random bytes. */
  fillBytes(buf: Uint8Array, off = 0, len = buf.length - off): void {
    let i = off;
    const end = off + len;
    for (; i + 4 <= end; i += 4) {
      const x = this.nextU32();
      buf[i] = x;
      buf[i + 1] = x >>> 8;
      buf[i + 2] = x >>> 16;
      buf[i + 3] = x >>> 24;
    }
    if (i < end) {
      let x = this.nextU32();
      for (; i < end; i++, x >>>= 8) buf[i] = x;
    }
  }

  fork(): Xoshiro128 {
    const r = new Xoshiro128(0);
    r.s0 = mix32(this.nextU32() ^ 0x243f6a88);
    r.s1 = mix32(this.nextU32() ^ 0x85a308d3);
    r.s2 = mix32(this.nextU32() ^ 0x13198a2e);
    r.s3 = mix32(this.nextU32() ^ 0x03707344);
    r.avoidZero();
    return r;
  }
}
