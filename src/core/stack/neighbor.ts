/**
 * Neighbor cache for ARP (RFC 826) and NDP (RFC 4861 §7.3): IP address -> link (MAC) address, with
 * Neighbor Unreachability Detection's states and per-entry deadlines instead of timers.
 *
 * States (RFC 4861 §7.3.2): INCOMPLETE (resolving; multicast/broadcast solicitations every
 * RetransTimer, at most MAX_MULTICAST_SOLICIT), REACHABLE (confirmed within ReachableTime), STALE
 * (unconfirmed; no timer), DELAY (traffic sent while STALE; waits DELAY_FIRST_PROBE_TIME for an
 * upper-layer confirmation), PROBE (unicast solicitations every RetransTimer, at most
 * MAX_UNICAST_SOLICIT). An entry that fails resolution or probing is removed (FAILED); packets
 * still queued on it are handed back as `unreachable` so the caller can send ICMP errors.
 *
 * Nothing is sent from here: work for the caller is appended to an action list it drains
 * (`drain()`): `solicit` (send an ARP request / Neighbor Solicitation; `unicastTo` set when probing
 * a known address), `flush` (resolution done: send these queued packets to `mac`) and
 * `unreachable`. ReachableTime is BaseReachableTime x a uniform factor in [0.5, 1.5) from the
 * injected Rng, drawn again every 300 s as Linux does (RFC 4861 §6.3.2 asks for "at least every
 * few hours").
 *
 * The table is bounded: a new entry past `maxEntries` evicts the least recently updated STALE
 * entry, or is refused (counted) when there is none. Each INCOMPLETE entry queues at most
 * `unresQlen` packets; past that the oldest is dropped (counted), as Linux does.
 *
 * Keys: IPv4 addresses as uint32 numbers, IPv6 addresses as 16-byte arrays; entries sit in a
 * Map<number, Entry> keyed by a hash of the address words, chained on collision, so a lookup builds
 * no string.
 */

import type { Rng } from '../rand/rng.js';
import { mix32 } from '../rand/rng.js';
import { add, type Duration, type Instant, seconds } from '../time/time.js';
import { formatIpv4, formatIpv6, formatMac } from '../wire/address.js';

export enum NeighborState {
  Incomplete = 'INCOMPLETE',
  Reachable = 'REACHABLE',
  Stale = 'STALE',
  Delay = 'DELAY',
  Probe = 'PROBE',
}

export interface NeighborParams {
  /** BaseReachableTime (RFC 4861 §10: 30 s). */
  readonly baseReachableUs: Duration;
  /** RetransTimer (1 s). */
  readonly retransUs: Duration;
  /** MAX_MULTICAST_SOLICIT (3). */
  readonly maxMulticastSolicit: number;
  /** MAX_UNICAST_SOLICIT (3). */
  readonly maxUnicastSolicit: number;
  /** DELAY_FIRST_PROBE_TIME (5 s). */
  readonly delayFirstProbeUs: Duration;
  /** Packets queued per unresolved entry (Linux's unres_qlen, 101 by default there). */
  readonly unresQlen: number;
  /** Entries in the table. */
  readonly maxEntries: number;
}

export const DEFAULT_NEIGHBOR_PARAMS: NeighborParams = {
  baseReachableUs: seconds(30),
  retransUs: seconds(1),
  maxMulticastSolicit: 3,
  maxUnicastSolicit: 3,
  delayFirstProbeUs: seconds(5),
  unresQlen: 101,
  maxEntries: 1024,
};

/** How ReachableTime is drawn again (Linux's neigh_periodic_work interval). */
export const REACHABLE_RERANDOMIZE_US = seconds(300);

/** Flags of a Neighbor Advertisement (RFC 4861 §4.4). */
export interface AdvertFlags {
  readonly solicited: boolean;
  readonly override: boolean;
  readonly router: boolean;
}

export type NeighborAction<A, P> =
  | { readonly kind: 'solicit'; readonly target: A; readonly unicastTo?: Uint8Array }
  | { readonly kind: 'flush'; readonly target: A; readonly mac: Uint8Array; readonly packets: P[] }
  | { readonly kind: 'unreachable'; readonly target: A; readonly packets: P[] };

/** How addresses of one family are hashed, compared, kept and printed. */
export interface AddressOps<A> {
  hash(a: A): number;
  equals(a: A, b: A): boolean;
  /** A copy the cache may keep (the caller's array may be a reused buffer). */
  copy(a: A): A;
  format(a: A): string;
}

export const IPV4_ADDRESS_OPS: AddressOps<number> = {
  hash: (a) => a >>> 0,
  equals: (a, b) => a >>> 0 === b >>> 0,
  copy: (a) => a >>> 0,
  format: formatIpv4,
};

function word(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

export const IPV6_ADDRESS_OPS: AddressOps<Uint8Array> = {
  hash: (a) => mix32(word(a, 0) ^ mix32(word(a, 4) ^ mix32(word(a, 8) ^ mix32(word(a, 12))))),
  equals: (a, b) => {
    for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
    return true;
  },
  copy: (a) => a.slice(0, 16),
  format: (a) => formatIpv6(a),
};

export class NeighborStats {
  /** Packets dropped from a full resolution queue (Linux: unres_discards). */
  unresDiscards = 0;
  /** Resolutions or probes that failed (Linux: res_failed). */
  resFailed = 0;
  /** New entries refused: table full of non-STALE entries (Linux: table_fulls). */
  tableFulls = 0;
  /** STALE entries evicted for a new one. */
  evictions = 0;
}

class Entry<A, P> {
  readonly mac = new Uint8Array(6);
  hasMac = false;
  state = NeighborState.Incomplete;
  deadline: Instant | undefined = undefined;
  /** Solicitations sent in the current INCOMPLETE or PROBE phase. */
  probes = 0;
  isRouter = false;
  /** Last state or address change, for choosing the STALE entry to evict. */
  updatedAt = 0 as Instant;
  queue: P[] = [];
  nextInBucket: Entry<A, P> | undefined = undefined;
  constructor(
    readonly addr: A,
    readonly hash: number,
  ) {}
}

/** A read-only snapshot of one entry (`ip neigh` style). */
export interface NeighborInfo<A> {
  readonly addr: A;
  readonly mac: Uint8Array | undefined;
  readonly state: NeighborState;
  readonly deadline: Instant | undefined;
  readonly probes: number;
  readonly router: boolean;
  readonly queued: number;
}

function copyMac(dst: Uint8Array, src: Uint8Array): void {
  for (let i = 0; i < 6; i++) dst[i] = src[i]!;
}

function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class NeighborCache<A, P = Uint8Array> {
  readonly stats = new NeighborStats();
  private readonly buckets = new Map<number, Entry<A, P>>();
  private count = 0;
  private actions: NeighborAction<A, P>[] = [];
  private reachableUs: Duration;
  private rerandomizeAt: Instant;
  private nextDeadline: Instant | undefined = undefined;
  private deadlineDirty = false;

  constructor(
    private readonly ops: AddressOps<A>,
    private readonly rng: Rng,
    readonly params: NeighborParams = DEFAULT_NEIGHBOR_PARAMS,
    now: Instant = 0 as Instant,
  ) {
    this.reachableUs = this.drawReachable();
    this.rerandomizeAt = add(now, REACHABLE_RERANDOMIZE_US);
  }

  get size(): number {
    return this.count;
  }

  /** The current ReachableTime (redrawn every 300 s). */
  reachableTimeUs(now: Instant): Duration {
    if (now >= this.rerandomizeAt) {
      this.reachableUs = this.drawReachable();
      this.rerandomizeAt = add(now, REACHABLE_RERANDOMIZE_US);
    }
    return this.reachableUs;
  }

  private drawReachable(): Duration {
    // RFC 4861 §6.3.2: uniform in [MIN_RANDOM_FACTOR, MAX_RANDOM_FACTOR) x BaseReachableTime.
    return Math.round(this.params.baseReachableUs * (0.5 + this.rng.nextFloat())) as Duration;
  }

  /** Takes the pending actions (the caller performs them in order). */
  drain(): NeighborAction<A, P>[] {
    const a = this.actions;
    if (a.length === 0) return a;
    this.actions = [];
    return a;
  }

  /**
   * The link address to send to `addr`, or undefined while it is being resolved; `packet`, when
   * given, is then queued on the entry. The returned array belongs to the entry: copy it to keep it.
   */
  lookup(addr: A, now: Instant, packet?: P): Uint8Array | undefined {
    let e = this.find(addr);
    if (e === undefined) {
      e = this.create(addr, now);
      if (e === undefined) return undefined;
      e.state = NeighborState.Incomplete;
      e.probes = 1;
      this.setDeadline(e, add(now, this.params.retransUs));
      this.actions.push({ kind: 'solicit', target: e.addr });
    }
    if (e.state === NeighborState.Incomplete) {
      if (packet !== undefined) this.enqueue(e, packet);
      return undefined;
    }
    // RFC 4861 §7.3.3: the first packet sent to a STALE neighbor starts the DELAY timer.
    if (e.state === NeighborState.Stale) {
      e.state = NeighborState.Delay;
      e.updatedAt = now;
      this.setDeadline(e, add(now, this.params.delayFirstProbeUs));
    }
    return e.mac;
  }

  /** The entry's state without side effects (undefined: no entry). */
  state(addr: A): NeighborState | undefined {
    return this.find(addr)?.state;
  }

  info(addr: A): NeighborInfo<A> | undefined {
    const e = this.find(addr);
    return e === undefined ? undefined : this.snapshot(e);
  }

  list(): NeighborInfo<A>[] {
    const out: NeighborInfo<A>[] = [];
    for (const head of this.buckets.values()) {
      for (let e: Entry<A, P> | undefined = head; e !== undefined; e = e.nextInBucket)
        out.push(this.snapshot(e));
    }
    return out;
  }

  /** `ip neigh` lines: `10.0.0.2 lladdr 02:00:00:00:00:02 REACHABLE`, `10.0.0.3 INCOMPLETE`. */
  format(): string {
    return this.list()
      .map((n) => {
        const ll = n.mac ? ` lladdr ${formatMac(n.mac)}` : '';
        return `${this.ops.format(n.addr)}${ll}${n.router ? ' router' : ''} ${n.state}\n`;
      })
      .join('');
  }

  /**
   * A Neighbor Advertisement for `addr` (RFC 4861 §7.2.5) with its Target Link-Layer Address option
   * (`mac`, or undefined when absent).
   */
  onAdvertisement(addr: A, mac: Uint8Array | undefined, flags: AdvertFlags, now: Instant): void {
    const e = this.find(addr);
    if (e === undefined) return; // §7.2.5: no entry, silently discarded
    if (e.state === NeighborState.Incomplete) {
      if (mac === undefined) return;
      copyMac(e.mac, mac);
      e.hasMac = true;
      e.isRouter = flags.router;
      if (flags.solicited) this.enterReachable(e, now);
      else this.enterStale(e, now);
      this.flushQueue(e);
      return;
    }
    const differs = mac !== undefined && !macEqual(mac, e.mac);
    if (!flags.override && differs) {
      // §7.2.5: a different address without Override only downgrades REACHABLE to STALE.
      if (e.state === NeighborState.Reachable) this.enterStale(e, now);
      return;
    }
    if (differs) copyMac(e.mac, mac);
    e.isRouter = flags.router;
    if (flags.solicited) this.enterReachable(e, now);
    else if (differs) this.enterStale(e, now);
  }

  /** An ARP reply from `addr`: treated as a solicited advertisement with Override (RFC 826 merge). */
  onReply(addr: A, mac: Uint8Array, now: Instant): void {
    this.onAdvertisement(addr, mac, { solicited: true, override: true, router: false }, now);
  }

  /**
   * A link address learnt from a packet that was not an answer: an ARP request's sender, a Neighbor
   * Solicitation's or Router Advertisement's Source Link-Layer Address (RFC 4861 §7.2.3, §6.3.4):
   * creates a STALE entry or updates a different address to STALE; resolves an INCOMPLETE entry.
   */
  onSolicitation(addr: A, mac: Uint8Array, now: Instant): void {
    let e = this.find(addr);
    if (e === undefined) {
      e = this.create(addr, now);
      if (e === undefined) return;
      copyMac(e.mac, mac);
      e.hasMac = true;
      this.enterStale(e, now);
      return;
    }
    if (e.state === NeighborState.Incomplete) {
      copyMac(e.mac, mac);
      e.hasMac = true;
      this.enterStale(e, now);
      this.flushQueue(e);
      return;
    }
    if (!macEqual(mac, e.mac)) {
      copyMac(e.mac, mac);
      this.enterStale(e, now);
    }
  }

  /** Upper-layer reachability confirmation (RFC 4861 §7.3.1), e.g. TCP acknowledging new data. */
  confirm(addr: A, now: Instant): void {
    const e = this.find(addr);
    if (e === undefined || e.state === NeighborState.Incomplete) return;
    this.enterReachable(e, now);
  }

  /** Removes an entry (e.g. `ip neigh del`); queued packets are dropped. */
  remove(addr: A): boolean {
    const e = this.find(addr);
    if (e === undefined) return false;
    this.unlink(e);
    return true;
  }

  pollAt(): Instant | undefined {
    if (this.deadlineDirty) {
      let best: Instant | undefined;
      for (const head of this.buckets.values()) {
        for (let e: Entry<A, P> | undefined = head; e !== undefined; e = e.nextInBucket) {
          if (e.deadline !== undefined && (best === undefined || e.deadline < best)) best = e.deadline;
        }
      }
      this.nextDeadline = best;
      this.deadlineDirty = false;
    }
    return this.nextDeadline;
  }

  /** Runs the entries whose deadline is at or before `now`. */
  poll(now: Instant): void {
    const at = this.pollAt();
    if (at === undefined || at > now) return;
    const due: Entry<A, P>[] = [];
    for (const head of this.buckets.values()) {
      for (let e: Entry<A, P> | undefined = head; e !== undefined; e = e.nextInBucket) {
        if (e.deadline !== undefined && e.deadline <= now) due.push(e);
      }
    }
    for (const e of due) this.expire(e, now);
  }

  private expire(e: Entry<A, P>, now: Instant): void {
    const p = this.params;
    switch (e.state) {
      case NeighborState.Incomplete:
        if (e.probes < p.maxMulticastSolicit) {
          e.probes++;
          this.setDeadline(e, add(now, p.retransUs));
          this.actions.push({ kind: 'solicit', target: e.addr });
        } else {
          this.fail(e);
        }
        return;
      case NeighborState.Reachable:
        this.enterStale(e, now);
        return;
      case NeighborState.Delay:
        // §7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME: start unicast probes.
        e.state = NeighborState.Probe;
        e.updatedAt = now;
        e.probes = 1;
        this.setDeadline(e, add(now, p.retransUs));
        this.actions.push({ kind: 'solicit', target: e.addr, unicastTo: e.mac.slice() });
        return;
      case NeighborState.Probe:
        if (e.probes < p.maxUnicastSolicit) {
          e.probes++;
          this.setDeadline(e, add(now, p.retransUs));
          this.actions.push({ kind: 'solicit', target: e.addr, unicastTo: e.mac.slice() });
        } else {
          this.fail(e);
        }
        return;
      case NeighborState.Stale:
        this.setDeadline(e, undefined);
        return;
    }
  }

  private fail(e: Entry<A, P>): void {
    this.stats.resFailed++;
    const packets = e.queue;
    e.queue = [];
    this.unlink(e);
    if (packets.length > 0) this.actions.push({ kind: 'unreachable', target: e.addr, packets });
  }

  private enterReachable(e: Entry<A, P>, now: Instant): void {
    e.state = NeighborState.Reachable;
    e.probes = 0;
    e.updatedAt = now;
    this.setDeadline(e, add(now, this.reachableTimeUs(now)));
  }

  private enterStale(e: Entry<A, P>, now: Instant): void {
    e.state = NeighborState.Stale;
    e.probes = 0;
    e.updatedAt = now;
    this.setDeadline(e, undefined);
  }

  private flushQueue(e: Entry<A, P>): void {
    if (e.queue.length === 0) return;
    const packets = e.queue;
    e.queue = [];
    this.actions.push({ kind: 'flush', target: e.addr, mac: e.mac.slice(), packets });
  }

  private enqueue(e: Entry<A, P>, packet: P): void {
    const max = this.params.unresQlen;
    if (max <= 0) {
      this.stats.unresDiscards++;
      return;
    }
    if (e.queue.length >= max) {
      e.queue.shift();
      this.stats.unresDiscards++;
    }
    e.queue.push(packet);
  }

  private setDeadline(e: Entry<A, P>, at: Instant | undefined): void {
    const old = e.deadline;
    e.deadline = at;
    if (
      at !== undefined &&
      !this.deadlineDirty &&
      (this.nextDeadline === undefined || at < this.nextDeadline)
    ) {
      this.nextDeadline = at;
    }
    if (old !== undefined && old === this.nextDeadline && at !== old) this.deadlineDirty = true;
  }

  private find(addr: A): Entry<A, P> | undefined {
    const ops = this.ops;
    for (let e = this.buckets.get(ops.hash(addr)); e !== undefined; e = e.nextInBucket) {
      if (ops.equals(e.addr, addr)) return e;
    }
    return undefined;
  }

  private create(addr: A, now: Instant): Entry<A, P> | undefined {
    if (this.count >= this.params.maxEntries && !this.evictStale()) {
      this.stats.tableFulls++;
      return undefined;
    }
    const h = this.ops.hash(addr);
    const e = new Entry<A, P>(this.ops.copy(addr), h);
    e.updatedAt = now;
    e.nextInBucket = this.buckets.get(h);
    this.buckets.set(h, e);
    this.count++;
    return e;
  }

  private evictStale(): boolean {
    let victim: Entry<A, P> | undefined;
    for (const head of this.buckets.values()) {
      for (let e: Entry<A, P> | undefined = head; e !== undefined; e = e.nextInBucket) {
        if (e.state === NeighborState.Stale && (victim === undefined || e.updatedAt < victim.updatedAt))
          victim = e;
      }
    }
    if (victim === undefined) return false;
    this.stats.evictions++;
    this.unlink(victim);
    return true;
  }

  private unlink(e: Entry<A, P>): void {
    const head = this.buckets.get(e.hash);
    if (head === e) {
      if (e.nextInBucket) this.buckets.set(e.hash, e.nextInBucket);
      else this.buckets.delete(e.hash);
    } else {
      for (let p = head; p !== undefined; p = p.nextInBucket) {
        if (p.nextInBucket === e) {
          p.nextInBucket = e.nextInBucket;
          break;
        }
      }
    }
    e.nextInBucket = undefined;
    if (e.deadline !== undefined) this.setDeadline(e, undefined);
    this.count--;
  }

  private snapshot(e: Entry<A, P>): NeighborInfo<A> {
    return {
      addr: e.addr,
      mac: e.hasMac ? e.mac.slice() : undefined,
      state: e.state,
      deadline: e.deadline,
      probes: e.probes,
      router: e.isRouter,
      queued: e.queue.length,
    };
  }
}
