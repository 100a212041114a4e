/**
 * Initial sequence numbers (RFC 6528): ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
 * where M is a timer ticking every 4 µs and F a keyed pseudo-random function. Here F is SipHash-2-4
 * keyed by a 128-bit secret the driver draws once from a real random source, truncated to its low
 * 32 bits; M is derived from the `now` passed in, so the core stays clock-free.
 *
 * Tests use `FixedIsnGenerator` (always one value) or `SeededIsnGenerator` (a seeded stream).
 */
import type { Instant } from '../time/time.js';
import { type Rng, Xoshiro128 } from './rng.js';
import { SipHash24 } from './siphash.js';

const TWO_32 = 4294967296;

export interface IsnGenerator {
  /**
   * The ISN for a new connection. Addresses are raw bytes: 4 for IPv4, 16 for IPv6 (the length of
   * the array is the address length; at most 16 bytes are used). Ports are host numbers.
   */
  isn(
    localAddr: Uint8Array,
    localPort: number,
    remoteAddr: Uint8Array,
    remotePort: number,
    now: Instant,
  ): number;
}

/** RFC 6528 section 3's 4-microsecond timer, modulo 2^32. */
export function isnClock(now: Instant): number {
  return Math.floor(now / 4) % TWO_32;
}

/** RFC 6528 ISNs with F = low 32 bits of SipHash-2-4 over (local addr, local port, remote addr, remote port). */
export class KeyedIsnGenerator implements IsnGenerator {
  private readonly sip: SipHash24;
  // local address (up to 16) + port (2) + remote address (up to 16) + port (2)
  private readonly scratch = new Uint8Array(36);

  /** `secret`: 16 bytes at `off`, from a cryptographic source (the driver's job). */
  constructor(secret: Uint8Array, off = 0) {
    this.sip = new SipHash24(secret, off);
  }

  /** F alone (without the timer), exposed for tests and for SYN-cookie style uses. */
  hashTuple(localAddr: Uint8Array, localPort: number, remoteAddr: Uint8Array, remotePort: number): number {
    const s = this.scratch;
    const ll = Math.min(localAddr.length, 16);
    const rl = Math.min(remoteAddr.length, 16);
    let o = 0;
    for (let i = 0; i < ll; i++) s[o++] = localAddr[i]!;
    s[o++] = localPort >>> 8;
    s[o++] = localPort;
    for (let i = 0; i < rl; i++) s[o++] = remoteAddr[i]!;
    s[o++] = remotePort >>> 8;
    s[o++] = remotePort;
    return this.sip.hash(s, 0, o);
  }

  isn(
    localAddr: Uint8Array,
    localPort: number,
    remoteAddr: Uint8Array,
    remotePort: number,
    now: Instant,
  ): number {
    return (isnClock(now) + this.hashTuple(localAddr, localPort, remoteAddr, remotePort)) >>> 0;
  }
}

/** Always the same ISN: for tests that spell sequence numbers out. */
export class FixedIsnGenerator implements IsnGenerator {
  constructor(public value: number) {}

  isn(): number {
    return this.value >>> 0;
  }
}

/** ISNs drawn from a seeded generator, one per call: deterministic but varied. */
export class SeededIsnGenerator implements IsnGenerator {
  private readonly rng: Rng;

  constructor(seedOrRng: number | Rng = 0) {
    this.rng = typeof seedOrRng === 'number' ? new Xoshiro128(seedOrRng) : seedOrRng;
  }

  isn(): number {
    return this.rng.nextU32();
  }
}

const local4 = new Uint8Array(4);
const remote4 = new Uint8Array(4);

function put4(b: Uint8Array, a: number): void {
  b[0] = a >>> 24;
  b[1] = a >>> 16;
  b[2] = a >>> 8;
  b[3] = a;
}

/** `gen.isn` for IPv4 addresses held as uint32 numbers (the stack's IPv4 form), without allocating. */
export function isnV4(
  gen: IsnGenerator,
  localAddr: number,
  localPort: number,
  remoteAddr: number,
  remotePort: number,
  now: Instant,
): number {
  put4(local4, localAddr);
  put4(remote4, remoteAddr);
  return gen.isn(local4, localPort, remote4, remotePort, now);
}
