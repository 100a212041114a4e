/**
 * Path MTU cache (RFC 1191 for IPv4, RFC 8201 for IPv6): per destination, the MTU learnt from
 * Fragmentation Needed / Packet Too Big, with an expiry after which the route's MTU applies again
 * (Linux: `net.ipv4.route.mtu_expires`, 600 s). Learnt values are clamped up to the minimum Linux
 * accepts (`min_pmtu`: 552 for IPv4; 1280 for IPv6, RFC 8200 §5) and only ever lower a path's MTU.
 *
 * Bounded: past `maxEntries` the entry expiring first is replaced. Lookups allocate nothing; an
 * IPv6 key is a hash of the address with the address kept for comparison.
 */
import { mix32 } from '../rand/rng.js';
import { add, type Duration, type Instant, seconds } from '../time/time.js';
import { get32 } from '../wire/bytes.js';
import type { IpAddr } from './transport.js';

export const IPV4_MIN_PMTU = 552;
export const IPV6_MIN_PMTU = 1280;
export const PMTU_EXPIRES_US: Duration = seconds(600);

class PmtuEntry {
  v4 = 0;
  readonly v6 = new Uint8Array(16);
  isV6 = false;
  mtu = 0;
  expires = 0 as Instant;
  next: PmtuEntry | undefined = undefined;
}

function keyOf(dst: IpAddr): number {
  if (typeof dst === 'number') return dst >>> 0;
  return mix32(get32(dst, 0) ^ mix32(get32(dst, 4) ^ mix32(get32(dst, 8) ^ mix32(get32(dst, 12) ^ 0x6b6b))));
}

function same(e: PmtuEntry, dst: IpAddr): boolean {
  if (typeof dst === 'number') return !e.isV6 && e.v4 === dst >>> 0;
  if (!e.isV6) return false;
  for (let i = 0; i < 16; i++) if (e.v6[i] !== dst[i]) return false;
  return true;
}

export class PmtuCache {
  private readonly map = new Map<number, PmtuEntry>();
  private count = 0;

  constructor(
    readonly maxEntries = 4096,
    readonly expiresUs: Duration = PMTU_EXPIRES_US,
  ) {}

  get size(): number {
    return this.count;
  }

  /** The learnt MTU towards `dst` (0 when none or expired). */
  get(dst: IpAddr, now: Instant): number {
    for (let e = this.map.get(keyOf(dst)); e !== undefined; e = e.next) {
      if (same(e, dst)) return e.expires > now ? e.mtu : 0;
    }
    return 0;
  }

  /**
   * Records a report of `reported` bytes towards `dst` whose current path MTU is `current`.
   * Returns the new path MTU when it went down, else 0 (nothing changed).
   */
  update(dst: IpAddr, reported: number, current: number, now: Instant): number {
    const min = typeof dst === 'number' ? IPV4_MIN_PMTU : IPV6_MIN_PMTU;
    const mtu = reported < min ? min : reported;
    if (mtu >= current) return 0;
    const k = keyOf(dst);
    let e = this.map.get(k);
    for (; e !== undefined; e = e.next) if (same(e, dst)) break;
    if (e === undefined) {
      if (this.count >= this.maxEntries) this.evict(now);
      e = new PmtuEntry();
      if (typeof dst === 'number') e.v4 = dst >>> 0;
      else {
        e.isV6 = true;
        e.v6.set(dst.subarray(0, 16));
      }
      e.next = this.map.get(k);
      this.map.set(k, e);
      this.count++;
    }
    e.mtu = mtu;
    e.expires = add(now, this.expiresUs);
    return mtu;
  }

  clear(): void {
    this.map.clear();
    this.count = 0;
  }

  private evict(now: Instant): void {
    let victimKey = -1;
    let victim: PmtuEntry | undefined;
    for (const [k, head] of this.map) {
      for (let e: PmtuEntry | undefined = head; e !== undefined; e = e.next) {
        if (victim === undefined || e.expires < victim.expires || e.expires <= now) {
          victim = e;
          victimKey = k;
        }
      }
    }
    if (victim === undefined) return;
    const head = this.map.get(victimKey);
    if (head === victim) {
      if (victim.next) this.map.set(victimKey, victim.next);
      else this.map.delete(victimKey);
    } else {
      for (let p = head; p !== undefined; p = p.next) {
        if (p.next === victim) {
          p.next = victim.next;
          break;
        }
      }
    }
    this.count--;
  }
}
