/**
 * ICMP error rate limiting per destination, in the shape of Linux's `inet_peer_xrlim_allow`: a
 * token bucket that gains one token per microsecond up to `BURST_FACTOR` x the interval and pays
 * one interval per message. `interval` is `net.ipv4.icmp_ratelimit` (milliseconds; 0 disables the
 * limit). A destination not seen before starts with a full bucket. The table is bounded; when full,
 * the least recently used slot is reused.
 */
import { mix32 } from '../rand/rng.js';
import type { Instant } from '../time/time.js';
import { get32 } from '../wire/bytes.js';
import type { IpAddr } from './transport.js';

/** Linux's XRLIM_BURST_FACTOR. */
export const BURST_FACTOR = 6;

export class IcmpRateLimiter {
  private readonly keys: Float64Array;
  private readonly tokens: Float64Array;
  private readonly last: Float64Array;
  private readonly used: Uint8Array;

  constructor(readonly slots = 1024) {
    this.keys = new Float64Array(slots);
    this.tokens = new Float64Array(slots);
    this.last = new Float64Array(slots);
    this.used = new Uint8Array(slots);
  }

  /** True when an error to `dst` may be sent now (and charges for it). `intervalMs` 0 = no limit. */
  allow(dst: IpAddr, intervalMs: number, now: Instant): boolean {
    if (intervalMs <= 0) return true;
    const key =
      typeof dst === 'number'
        ? dst >>> 0
        : 0x100000000 + mix32(get32(dst, 0) ^ mix32(get32(dst, 4) ^ mix32(get32(dst, 8) ^ mix32(get32(dst, 12)))));
    const interval = intervalMs * 1000;
    const burst = BURST_FACTOR * interval;
    // Two candidate slots (open addressing over 2 probes); the older one is replaced on a miss.
    const h = mix32(key % 0x100000000 ^ (key >= 0x100000000 ? 0x5bd1e995 : 0)) % this.slots;
    const h2 = (h + 1) % this.slots;
    let i = -1;
    if (this.used[h] === 1 && this.keys[h] === key) i = h;
    else if (this.used[h2] === 1 && this.keys[h2] === key) i = h2;
    if (i < 0) {
      i = this.used[h] === 0 ? h : this.used[h2] === 0 ? h2 : this.last[h]! <= this.last[h2]! ? h : h2;
      this.used[i] = 1;
      this.keys[i] = key;
      this.tokens[i] = burst;
      this.last[i] = now;
    }
    let t = this.tokens[i]! + (now - this.last[i]!);
    if (t > burst) t = burst;
    this.last[i] = now;
    if (t >= interval) {
      this.tokens[i] = t - interval;
      return true;
    }
    this.tokens[i] = t;
    return false;
  }
}
