/**
 * `TcpLayer`: the stack's transport for IP protocol 6. It owns the connection table, the
 * listeners, the frames TCBs send through and the deadlines of every TCB.
 *
 * - Demux, most specific first: an entry for the exact 4-tuple (any state, TIME-WAIT included),
 *   then a listener on the packet's destination address, then an any-address listener (`0.0.0.0`
 *   for IPv4; `::` for IPv6 and, unless v6only, IPv4). Keys are numeric hashes (demux.ts); nothing
 *   is allocated per packet.
 * - A segment nobody takes is answered with the reset of RFC 9293 §3.10.7.1 (`resetFor`); a reset
 *   is never answered.
 * - Output: each connection is its TCB's `SegmentSink`; a segment is built in a `FramePool` slot
 *   (header by `TcpRepr.emit`, payload copied once out of the send ring), checksummed unless the
 *   route offloads it, and handed to `IpOutput.send`. Any errno refuses the segment (the TCB
 *   retries at its next opportunity); EMSGSIZE also lowers the connection's MSS to the path MTU.
 * - Timers: a `DeadlineHeap` of (deadline, slot) with lazy deletion. After anything that may move
 *   a TCB's deadlines (input, poll, a segment sent, `touch` after a user call) the layer compares
 *   `tcb.pollAt()` with the deadline it last armed and pushes the new one; stale heap entries are
 *   skipped. The layer is a `Pollable`: drive it next to its stack (the stack has no transport
 *   timer hook yet).
 * - ICMP: Packet Too Big lowers the MSS and resends what is in flight at the new size; in
 *   SYN-SENT, unreachable / time exceeded / parameter problem end the connection with the errno
 *   Linux reports (ECONNREFUSED for port unreachable); otherwise they are soft errors.
 * - TIME-WAIT: the entry stays until its 60 s deadline. A new SYN for that tuple whose SEQ is
 *   beyond RCV.NXT (RFC 1122 §4.2.2.13, as Linux's tcp_timewait_state_process) ends the TIME-WAIT
 *   and opens a new connection with ISS = SND.NXT + 65537; other SYNs are handled by the TCB.
 * - Inactivity: connections without any event (segment in, user call) for 1–2 intervals of
 *   `net.wirestack.tcp_inactivity_interval` are reset by one periodic sweep (inactivity.ts).
 *
 * Not done yet: SYN cookies (a full SYN queue drops the SYN), TCP Fast Open, MD5 signatures.
 */
import type { Pollable } from '../link/endpoint.js';
import { type IsnGenerator, isnV4, SeededIsnGenerator } from '../rand/isn.js';
import { type Rng, Xoshiro128 } from '../rand/rng.js';
import { ERRNO } from '../socket/linux.js';
import type { Sysctls } from '../stack/sysctl.js';
import {
  type IcmpErrorInfo,
  IcmpErrorKind,
  type IpAddr,
  type IpOutput,
  type IpPacketInfo,
  IpSendInfo,
  type TransportProtocol,
} from '../stack/transport.js';
import { FramePool, FRAME_HEADROOM } from '../storage/pool.js';
import type { ByteRing } from '../storage/ring.js';
import { earliest, type Instant } from '../time/time.js';
import { DeadlineHeap } from '../util/heap.js';
import { seqAdd, seqGt, seqLt } from '../util/seq.js';
import { get16, get32 } from '../wire/bytes.js';
import { DropReason } from '../wire/drop.js';
import { checksumAddresses4, checksumAddresses6, type ChecksumAddresses } from '../wire/pseudo.js';
import { fillTcpChecksum, IPPROTO_TCP, TCP_MAX_HEADER_LEN, TcpFlag, TcpRepr, TcpView, verifyTcpChecksum } from '../wire/tcp.js';
import { MIN_MSS, tcpConfig, type TcpSocketOptions } from './config.js';
import { hashLocal4, hashLocal6, isAnyAddr, TcpTuple, unmapAddr } from './demux.js';
import { InactivitySweep } from './inactivity.js';
import { TcpExtMib } from './mib.js';
import { TcpListener } from './listener.js';
import { resetFor, type SegmentSink, TcpState } from './segment.js';
import { Tcb } from './tcb.js';

const { SYN, ACK, RST } = TcpFlag;
const IPV4_TCP_OVERHEAD = 40;
const IPV6_TCP_OVERHEAD = 60;

/** Counters in the spirit of Linux's TCP MIB (`nstat`). */
export class TcpCounters {
  ActiveOpens = 0;
  PassiveOpens = 0;
  AttemptFails = 0;
  InSegs = 0;
  OutSegs = 0;
  InErrs = 0;
  InCsumErrors = 0;
  OutRsts = 0;
  /** Segments the link or IP layer refused (the TCB retries). */
  OutRefused = 0;
  ListenOverflows = 0;
  ListenDrops = 0;
  /** Segments for no socket (answered with a reset unless they were one). */
  NoSocket = 0;
  TimeWaitRecycled = 0;
  /** Connections reset by the inactivity sweep (nstat name `TcpExtInactivityResets`; inactivity.ts). */
  InactivityResets = 0;
  /** Malformed segments by reason. */
  readonly drops = new Map<DropReason, number>();

  drop(r: DropReason): void {
    this.drops.set(r, (this.drops.get(r) ?? 0) + 1);
  }
}

/** One entry of the connection table: the TCB, its tuple, its timer slot and its listener. */
export class TcpConn extends TcpTuple implements SegmentSink {
  readonly tcb: Tcb;
  /** Slot in the layer's table (the heap's id); -1 once removed. */
  slot = -1;
  hashKey = 0;
  /** Next entry of the same bucket. */
  next: TcpConn | undefined = undefined;
  /** The deadline last pushed on the heap (-1: none). */
  armedAt = -1;
  dirty = false;
  /** The listener while in its SYN queue (until the handshake completes or fails). */
  listener: TcpListener | undefined = undefined;
  /** The last soft ICMP error (Linux sk_err_soft), 0 when none. */
  softError = 0;
  /** Inactivity sweep bit (inactivity.ts): set by a sweep, cleared by any event. */
  inactive = false;
  /** Counted in the layer's `orphanCount` (closed by the application, not yet gone). */
  orphanCounted = false;

  constructor(
    private readonly layer: TcpLayer,
    tuple: TcpTuple,
    opts: TcpSocketOptions,
    private readonly sysctls: Sysctls,
  ) {
    super();
    this.copyTuple(tuple);
    this.tcb = new Tcb(tcpConfig(sysctls, opts), this);
    this.tcb.mib = layer.mib;
    this.tcb.closePolicy = this;
    this.tcb.localPort = tuple.localPort;
    this.tcb.remotePort = tuple.remotePort;
  }

  send(seg: TcpRepr, payload: ByteRing | undefined, payloadSkip: number, payloadLen: number): boolean {
    return this.layer.transmit(this, seg, payload, payloadSkip, payloadLen);
  }

  // ClosePolicy (tcb-core.ts): the stack's sysctls, read when the rule applies.
  purgeReceiveQueue(): boolean {
    return this.sysctls.int('net.ipv4.tcp_purge_receive_queue') !== 0;
  }

  orphanRetries(alive: boolean): number {
    const n = this.sysctls.int('net.ipv4.tcp_orphan_retries');
    return n === 0 && alive ? 8 : n;
  }

  tooManyOrphans(shift: number): boolean {
    const n = this.layer.orphanCount + (this.orphanCounted ? 0 : 1);
    return n * 2 ** Math.min(shift, 31) > this.sysctls.int('net.ipv4.tcp_max_orphans');
  }
}

export interface TcpLayerOptions {
  /** ISNs (RFC 6528 `KeyedIsnGenerator` in production). Default: a seeded generator (tests). */
  isn?: IsnGenerator;
  /** Ephemeral ports, timestamp offsets, the hash seed. Default: seeded with 6. */
  rng?: Rng;
  /** Frames segments are built in. Default: 64 MTU-sized slots (one in use at a time). */
  pool?: FramePool;
}

export interface ConnectOptions extends TcpSocketOptions {
  /** Source address (default: the route's, `IpOutput.sourceFor`). */
  local?: IpAddr;
  /** Source port (default: an ephemeral port from `ip_local_port_range`). */
  localPort?: number;
}

export interface ListenOptions extends TcpSocketOptions {
  /** IPV6_V6ONLY for a `::` listener (default `net.ipv6.bindv6only`). */
  v6only?: boolean;
}

export class TcpLayer implements TransportProtocol, Pollable {
  readonly protocol = IPPROTO_TCP;
  readonly counters = new TcpCounters();
  /** TcpExt counters of this stack's connections (nstat `TcpExt*`). */
  readonly mib = new TcpExtMib();
  readonly pool: FramePool;
  private readonly isnGen: IsnGenerator;
  private readonly rng: Rng;
  private readonly seed: number;

  // ---- tables ----
  private readonly conns = new Map<number, TcpConn>();
  private readonly slots: (TcpConn | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  private connCount = 0;
  private readonly listeners = new Map<number, TcpListener>();
  private readonly any4 = new Map<number, TcpListener>();
  private readonly any6 = new Map<number, TcpListener>();

  // ---- timers ----
  private readonly heap = new DeadlineHeap(64);
  private readonly dirtyList: TcpConn[] = [];
  private readonly isLive = (deadline: Instant, id: number): boolean => {
    const c = this.slots[id];
    return c !== undefined && c.armedAt === deadline;
  };

  // ---- scratch (reused per packet) ----
  private readonly view = new TcpView();
  private readonly seg = new TcpRepr();
  private readonly rst = new TcpRepr();
  private readonly key = new TcpTuple();
  private readonly info = new IpSendInfo();
  private readonly addrs4: ChecksumAddresses = checksumAddresses4(0, 0);
  private readonly pair6 = new Uint8Array(32);
  private readonly addrs6: ChecksumAddresses = checksumAddresses6(this.pair6, 0);
  private lastNow = 0 as Instant;
  // ---- inactivity sweep (inactivity.ts) ----
  private readonly inactivity: InactivitySweep<TcpConn>;

  constructor(
    readonly ip: IpOutput,
    readonly sysctls: Sysctls,
    opts: TcpLayerOptions = {},
  ) {
    this.rng = opts.rng ?? new Xoshiro128(6);
    this.isnGen = opts.isn ?? new SeededIsnGenerator(this.rng.fork());
    this.pool = opts.pool ?? FramePool.mtu(64);
    this.seed = this.rng.nextU32();
    this.inactivity = new InactivitySweep<TcpConn>(sysctls, (c) => this.after(c));
  }

  /**
   * Orphans: connections the application closed that are still in FIN-WAIT-1, CLOSING or
   * LAST-ACK (Linux's tcp_orphan_count; FIN-WAIT-2 and TIME-WAIT ones are not counted there either).
   */
  orphanCount = 0;

  /** Entries in the connection table (all states but LISTEN). */
  get connectionCount(): number {
    return this.connCount;
  }

  // =============================================================== user entry points

  /**
   * Active open towards `remote`:`remotePort`. Returns the TCB (in SYN-SENT, SYN sent) or a
   * negative errno: ENETUNREACH (no route / source), EADDRNOTAVAIL (no free ephemeral port, or a
   * `local` that is not ours), EADDRINUSE (the 4-tuple exists), EINVAL.
   */
  connect(remote: IpAddr, remotePort: number, opts: ConnectOptions, now: Instant): Tcb | number {
    this.lastNow = now;
    if (!(remotePort > 0 && remotePort < 65536)) return -ERRNO.EINVAL;
    const r = unmapAddr(remote);
    let l: IpAddr | undefined;
    if (opts.local !== undefined && !isAnyAddr(opts.local)) {
      l = unmapAddr(opts.local);
      if (typeof l !== typeof r) return -ERRNO.EINVAL;
      if (!this.ip.isLocal(l)) return -ERRNO.EADDRNOTAVAIL;
    } else {
      const s = this.ip.sourceFor(r);
      if (s === undefined) return -ERRNO.ENETUNREACH;
      l = unmapAddr(s);
    }
    const t = this.key.setAddrs(l, r);
    t.remotePort = remotePort;
    if (opts.localPort !== undefined && opts.localPort !== 0) {
      t.localPort = opts.localPort;
      if (this.lookup(t) !== undefined) return -ERRNO.EADDRINUSE;
    } else {
      const p = this.ephemeralPort(t);
      if (p < 0) return -ERRNO.EADDRNOTAVAIL;
      t.localPort = p;
    }
    const mtu = this.ip.pathMtu(r, now);
    if (mtu === 0) return -ERRNO.ENETUNREACH;
    const c = new TcpConn(this, t, { ...opts, mtuMss: this.mssFor(t.v4, mtu, opts.mtuMss) }, this.sysctls);
    this.insert(c);
    this.counters.ActiveOpens++;
    c.tcb.connect(this.isnFor(c, now), now, this.rng.nextU32());
    this.after(c);
    return c.tcb;
  }

  /**
   * Registers a connection whose state comes from elsewhere (TCP repair, repair.ts): a new entry for
   * `tuple` (copied) with a fresh TCB that `init` fills in, nothing sent. Returns the TCB or a negative
   * errno: EADDRINUSE (the 4-tuple exists), EADDRNOTAVAIL (the local address is not ours),
   * ENETUNREACH (no route to the remote address).
   */
  adopt(tuple: TcpTuple, opts: TcpSocketOptions, now: Instant, init: (tcb: Tcb) => void): Tcb | number {
    this.lastNow = now;
    const l: IpAddr = tuple.v4 ? tuple.local4 : tuple.local6;
    const r: IpAddr = tuple.v4 ? tuple.remote4 : tuple.remote6;
    if (!this.ip.isLocal(l)) return -ERRNO.EADDRNOTAVAIL;
    if (this.lookup(tuple) !== undefined) return -ERRNO.EADDRINUSE;
    const mtu = this.ip.pathMtu(r, now);
    if (mtu === 0) return -ERRNO.ENETUNREACH;
    const c = new TcpConn(this, tuple, { ...opts, mtuMss: this.mssFor(tuple.v4, mtu, opts.mtuMss) }, this.sysctls);
    init(c.tcb);
    this.insert(c);
    this.after(c);
    return c.tcb;
  }

  /**
   * listen(2) on `local` (`0` / `::` for any address) and `port`. Returns the listener or a
   * negative errno (EADDRINUSE when a listener holds that address and port, EINVAL).
   */
  listen(local: IpAddr, port: number, backlog: number, opts: ListenOptions = {}): TcpListener | number {
    if (!(port > 0 && port < 65536)) return -ERRNO.EINVAL;
    const somax = this.sysctls.int('net.core.somaxconn');
    const bl = Math.max(0, Math.min(backlog | 0, somax));
    const wildcard = isAnyAddr(local);
    const a = wildcard ? local : unmapAddr(local);
    const v4 = typeof a === 'number';
    const v6only = opts.v6only ?? this.sysctls.int('net.ipv6.bindv6only') !== 0;
    const six = new Uint8Array(16);
    if (!v4) six.set(a);
    const l = new TcpListener(v4, v4 ? a : 0, six, port, bl, wildcard, v6only, opts);
    if (wildcard) {
      const m = v4 ? this.any4 : this.any6;
      if (m.has(port)) return -ERRNO.EADDRINUSE;
      m.set(port, l);
    } else {
      if (this.findListener(v4, l.local4, six, port) !== undefined) return -ERRNO.EADDRINUSE;
      const h = v4 ? hashLocal4(this.seed, l.local4, port) : hashLocal6(this.seed, six, port);
      l.next = this.listeners.get(h);
      this.listeners.set(h, l);
    }
    return l;
  }

  /** Closes a listener: no more SYNs; queued and half-open children are reset. */
  closeListener(l: TcpListener, now: Instant): void {
    if (l.closed) return;
    l.closed = true;
    if (l.wildcard) {
      const m = l.v4 ? this.any4 : this.any6;
      if (m.get(l.port) === l) m.delete(l.port);
    } else {
      const h = l.v4 ? hashLocal4(this.seed, l.local4, l.port) : hashLocal6(this.seed, l.local6, l.port);
      let p: TcpListener | undefined;
      for (let x = this.listeners.get(h); x !== undefined; p = x, x = x.next) {
        if (x !== l) continue;
        if (p === undefined) {
          if (x.next === undefined) this.listeners.delete(h);
          else this.listeners.set(h, x.next);
        } else p.next = x.next;
        break;
      }
    }
    for (const t of l.drain()) this.abortTcb(t, now);
    for (let i = 0; i < this.slots.length; i++) {
      const c = this.slots[i];
      if (c !== undefined && c.listener === l) {
        c.tcb.abort(now);
        this.after(c);
      }
    }
  }

  /**
   * Tell the layer a TCB's timers may have changed outside its sight (after `send`, `recv`,
   * `close`, `shutdownWrite`, `abort` by the socket layer). Cheap; idempotent.
   */
  touch(tcb: Tcb): void {
    const c = tcb.sink;
    if (c instanceof TcpConn && c.slot >= 0) {
      c.inactive = false; // inactivity sweep: a user call is activity
      this.after(c);
    }
  }

  private abortTcb(t: Tcb, now: Instant): void {
    t.abort(now);
    this.touch(t);
  }

  /** The table entry of `tcb` (undefined once it left the table). */
  connOf(tcb: Tcb): TcpConn | undefined {
    const c = tcb.sink;
    return c instanceof TcpConn && c.slot >= 0 ? c : undefined;
  }

  // =============================================================== Pollable

  pollAt(): Instant | undefined {
    this.flushDirty();
    return earliest(this.heap.prune(this.isLive), this.inactivity.pollAt(this.lastNow, this.connCount));
  }

  poll(now: Instant): void {
    this.lastNow = now;
    this.flushDirty();
    for (;;) {
      const at = this.heap.prune(this.isLive);
      if (at === undefined || at > now) break;
      const id = this.heap.pop();
      const c = this.slots[id]!;
      c.armedAt = -1;
      c.tcb.poll(now);
      this.after(c);
    }
    this.counters.InactivityResets += this.inactivity.poll(now, this.slots, this.connCount);
  }

  private flushDirty(): void {
    const d = this.dirtyList;
    for (let i = 0; i < d.length; i++) {
      const c = d[i]!;
      c.dirty = false;
      if (c.slot >= 0) this.reschedule(c);
    }
    d.length = 0;
    // Lazy deletion leaves stale entries behind; keep the heap within a few times the live timers.
    if (this.heap.size > 256 && this.heap.size > 4 * this.connCount) this.heap.compact(this.isLive);
  }

  private reschedule(c: TcpConn): void {
    const t = c.tcb.pollAt();
    if (t === undefined) {
      c.armedAt = -1;
      return;
    }
    if (t === c.armedAt) return;
    c.armedAt = t;
    this.heap.push(t, c.slot);
  }

  /** After an event on `c`: drop it from the table once CLOSED, move a child to its accept queue, re-arm. */
  private after(c: TcpConn): void {
    if (c.slot < 0) return;
    const st = c.tcb.state;
    const orphan = c.tcb.orphan && st !== TcpState.CLOSED && st !== TcpState.TIME_WAIT && st !== TcpState.FIN_WAIT_2;
    if (orphan !== c.orphanCounted) {
      c.orphanCounted = orphan;
      this.orphanCount += orphan ? 1 : -1;
    }
    const l = c.listener;
    if (l !== undefined && st !== TcpState.SYN_RECEIVED) {
      c.listener = undefined;
      l.synQueueLen--;
      if (st !== TcpState.CLOSED && !l.closed) l.enqueue(c);
      else if (st !== TcpState.CLOSED) c.tcb.abort(this.lastNow);
      if (c.tcb.state === TcpState.CLOSED) {
        this.remove(c);
        return;
      }
    }
    if (st === TcpState.CLOSED) {
      this.remove(c);
      return;
    }
    if (!c.dirty) {
      c.dirty = true;
      this.dirtyList.push(c);
    }
  }

  // =============================================================== table

  private insert(c: TcpConn): void {
    const h = c.hash(this.seed);
    c.hashKey = h;
    c.next = this.conns.get(h);
    this.conns.set(h, c);
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slots.length;
    this.slots[slot] = c;
    c.slot = slot;
    this.connCount++;
  }

  private remove(c: TcpConn): void {
    if (c.slot < 0) return;
    const h = c.hashKey;
    let p: TcpConn | undefined;
    for (let x = this.conns.get(h); x !== undefined; p = x, x = x.next) {
      if (x !== c) continue;
      if (p === undefined) {
        if (x.next === undefined) this.conns.delete(h);
        else this.conns.set(h, x.next);
      } else p.next = x.next;
      break;
    }
    c.next = undefined;
    this.slots[c.slot] = undefined;
    this.freeSlots.push(c.slot);
    c.slot = -1;
    c.armedAt = -1;
    if (c.orphanCounted) {
      c.orphanCounted = false;
      this.orphanCount--;
    }
    if (c.listener !== undefined) {
      c.listener.synQueueLen--;
      c.listener = undefined;
    }
    this.connCount--;
  }

  /** The entry for exactly this 4-tuple. */
  lookup(t: TcpTuple): TcpConn | undefined {
    for (let x = this.conns.get(t.hash(this.seed)); x !== undefined; x = x.next) if (x.sameTuple(t)) return x;
    return undefined;
  }

  private findListener(v4: boolean, a4: number, a6: Uint8Array, port: number): TcpListener | undefined {
    const h = v4 ? hashLocal4(this.seed, a4, port) : hashLocal6(this.seed, a6, port);
    for (let x = this.listeners.get(h); x !== undefined; x = x.next) {
      if (x.port !== port || x.v4 !== v4) continue;
      if (v4 ? x.local4 === a4 : sameBytes(x.local6, a6)) return x;
    }
    return undefined;
  }

  /** Most specific listener for a packet to `t`'s local address and port. */
  private listenerFor(t: TcpTuple): TcpListener | undefined {
    const port = t.localPort;
    const l = this.findListener(t.v4, t.local4, t.local6, port);
    if (l !== undefined) return l;
    if (t.v4) {
      const a = this.any4.get(port);
      if (a !== undefined) return a;
      const b = this.any6.get(port);
      return b !== undefined && !b.v6only ? b : undefined;
    }
    return this.any6.get(port);
  }

  private portHasListener(port: number): boolean {
    if (this.any4.has(port) || this.any6.has(port)) return true;
    for (const l of this.listeners.values()) {
      for (let x: TcpListener | undefined = l; x; x = x.next) if (x.port === port) return true;
    }
    return false;
  }

  /**
   * An ephemeral port from `ip_local_port_range` for tuple `t` (its local port is overwritten):
   * start at a random point and take the first port whose 4-tuple is free and that no listener
   * holds. -1 when the range is exhausted.
   */
  private ephemeralPort(t: TcpTuple): number {
    const range = this.sysctls.ints('net.ipv4.ip_local_port_range');
    const lo = range[0]!;
    const hi = range[1]!;
    const n = hi - lo + 1;
    if (n <= 0) return -1;
    const start = this.rng.nextInt(0, n);
    for (let i = 0; i < n; i++) {
      const p = lo + ((start + i) % n);
      t.localPort = p;
      if (this.lookup(t) === undefined && !this.portHasListener(p)) return p;
    }
    return -1;
  }

  private mssFor(v4: boolean, mtu: number, want?: number): number {
    const room = this.pool.slotSize - FRAME_HEADROOM - TCP_MAX_HEADER_LEN;
    let mss = Math.min(mtu - (v4 ? IPV4_TCP_OVERHEAD : IPV6_TCP_OVERHEAD), room);
    if (want !== undefined && want > 0) mss = Math.min(mss, want);
    return Math.max(MIN_MSS, mss);
  }

  private isnFor(c: TcpTuple, now: Instant): number {
    if (c.v4) return isnV4(this.isnGen, c.local4, c.localPort, c.remote4, c.remotePort, now);
    return this.isnGen.isn(c.local6, c.localPort, c.remote6, c.remotePort, now);
  }

  // =============================================================== input

  input(pkt: IpPacketInfo, now: Instant): void {
    this.lastNow = now;
    const v = this.view;
    const cnt = this.counters;
    cnt.InSegs++;
    const r = v.check(pkt.buf, pkt.off, pkt.len);
    if (r !== DropReason.Ok) {
      cnt.InErrs++;
      cnt.drop(r);
      return;
    }
    const v4 = pkt.version === 4;
    if (!pkt.checksumValidated) {
      const a = v4 ? this.setAddrs4(pkt.src4, pkt.dst4) : this.setAddrs6(pkt.src6, pkt.dst6);
      if (!verifyTcpChecksum(pkt.buf, pkt.off, pkt.len, a)) {
        cnt.InErrs++;
        cnt.InCsumErrors++;
        cnt.drop(DropReason.BadChecksum);
        return;
      }
    }
    const seg = this.seg;
    const pr = seg.parse(v);
    if (pr !== DropReason.Ok && pr !== DropReason.TcpBadOption) {
      cnt.InErrs++;
      cnt.drop(pr);
      return;
    }
    if (pkt.multicast || seg.dstPort === 0 || seg.srcPort === 0) {
      cnt.drop(DropReason.BadAddress);
      return;
    }
    const t = this.key;
    t.v4 = v4;
    if (v4) {
      t.local4 = pkt.dst4;
      t.remote4 = pkt.src4;
    } else {
      t.local6.set(pkt.dst6);
      t.remote6.set(pkt.src6);
    }
    t.localPort = seg.dstPort;
    t.remotePort = seg.srcPort;
    const payOff = v.payloadOffset;

    let c = this.lookup(t);
    let isnOverride = -1;
    if (c !== undefined && c.tcb.state === TcpState.TIME_WAIT && (seg.flags & (SYN | ACK | RST)) === SYN) {
      // RFC 1122 §4.2.2.13 / Linux: a new SYN beyond the old connection reopens the tuple.
      const old = c.tcb;
      if (seqGt(seg.seq, old.rcv.nxt) && this.listenerFor(t) !== undefined) {
        isnOverride = seqAdd(old.snd.nxt, 65537);
        old.toClosed();
        this.remove(c);
        cnt.TimeWaitRecycled++;
        c = undefined;
      }
    }
    if (c !== undefined) {
      c.inactive = false; // inactivity sweep: a segment for the connection is activity
      const l = c.listener;
      if (l !== undefined && c.tcb.state === TcpState.SYN_RECEIVED && seg.flags & ACK && !(seg.flags & (RST | SYN))) {
        if (l.acceptQueueFull) {
          // Linux tcp_check_req: no room for the child; drop the ACK, or reset with abort_on_overflow.
          cnt.ListenOverflows++;
          cnt.ListenDrops++;
          l.overflows++;
          if (this.sysctls.int('net.ipv4.tcp_abort_on_overflow') !== 0) {
            c.tcb.abort(now);
            this.after(c);
          }
          return;
        }
      }
      c.tcb.rxGsoSize = pkt.gsoSize;
      c.tcb.input(seg, pkt.buf, payOff, now);
      c.tcb.rxGsoSize = 0;
      this.after(c);
      return;
    }

    const l = this.listenerFor(t);
    if (l !== undefined && !l.closed) {
      this.listenInput(l, t, seg, now, isnOverride);
      return;
    }
    cnt.NoSocket++;
    this.replyReset(t, seg, now);
  }

  /** RFC 9293 §3.10.7.2: a segment for a listener. */
  private listenInput(l: TcpListener, t: TcpTuple, seg: TcpRepr, now: Instant, isnOverride: number): void {
    const f = seg.flags;
    if (f & RST) return;
    if (f & ACK) {
      this.replyReset(t, seg, now);
      return;
    }
    if (!(f & SYN)) return;
    const cnt = this.counters;
    if (l.acceptQueueFull) {
      cnt.ListenOverflows++;
      cnt.ListenDrops++;
      l.overflows++;
      return;
    }
    if (l.synQueueFull) {
      // No SYN cookies yet: the SYN is dropped.
      cnt.ListenDrops++;
      l.drops++;
      return;
    }
    const remote: IpAddr = t.v4 ? t.remote4 : t.remote6;
    const mtu = this.ip.pathMtu(remote, now);
    if (mtu === 0) {
      cnt.ListenDrops++;
      return;
    }
    const o = l.options;
    const c = new TcpConn(this, t, { ...o, mtuMss: this.mssFor(t.v4, mtu, o.mtuMss) }, this.sysctls);
    this.insert(c);
    c.listener = l;
    l.synQueueLen++;
    cnt.PassiveOpens++;
    const iss = isnOverride >= 0 ? isnOverride : this.isnFor(c, now);
    c.tcb.acceptSyn(seg, iss, now, this.rng.nextU32());
    this.after(c);
  }

  private replyReset(t: TcpTuple, seg: TcpRepr, now: Instant): void {
    if (!resetFor(seg, this.rst)) return;
    this.send(t, this.rst, undefined, 0, 0, now);
  }

  // =============================================================== ICMP errors

  errorInput(err: IcmpErrorInfo, now: Instant): void {
    this.lastNow = now;
    if (err.len < 8) return;
    const t = this.key;
    const v4 = err.version === 4;
    t.v4 = v4;
    if (v4) {
      t.local4 = err.src4;
      t.remote4 = err.dst4;
    } else {
      t.local6.set(err.src6);
      t.remote6.set(err.dst6);
    }
    t.localPort = get16(err.buf, err.off);
    t.remotePort = get16(err.buf, err.off + 2);
    const c = this.lookup(t);
    if (c === undefined) return;
    const tcb = c.tcb;
    const seq = get32(err.buf, err.off + 4);
    const st = tcb.state;
    // Linux: the quoted segment must be one still unacknowledged (SND.UNA ≤ SEQ ≤ SND.NXT).
    if (st !== TcpState.SYN_SENT && (seqLt(seq, tcb.snd.una) || seqGt(seq, tcb.snd.max))) return;
    if (st === TcpState.SYN_SENT && seq !== tcb.iss) return;
    if (err.kind === IcmpErrorKind.PacketTooBig) {
      this.lowerMss(c, err.mtu, now);
      return;
    }
    if (err.kind === IcmpErrorKind.SourceQuench) return;
    if (st === TcpState.SYN_SENT) {
      // Linux tcp_v4_err/tcp_v6_err: an error about our SYN ends the attempt with its errno.
      tcb.fail(err.errno);
      this.counters.AttemptFails++;
      this.after(c);
      return;
    }
    if (st === TcpState.SYN_RECEIVED && c.listener !== undefined) {
      // Linux tcp_req_err: the half-open request is dropped.
      tcb.toClosed();
      this.after(c);
      return;
    }
    c.softError = err.errno;
  }

  /** Path MTU fell to `mtu`: smaller segments from now on, and what is in flight goes again. */
  private lowerMss(c: TcpConn, mtu: number, now: Instant): void {
    const tcb = c.tcb;
    const mss = this.mssFor(c.v4, mtu);
    if (mss >= tcb.cfg.mtuMss) return;
    tcb.cfg.mtuMss = mss;
    if (tcb.cfg.advMss > mss) tcb.cfg.advMss = mss;
    const base = Math.min(tcb.mssBase(), mss);
    tcb.sndMss = Math.max(MIN_MSS - 12, base - (tcb.tsOk ? 12 : 0));
    if (tcb.synchronized() && tcb.sb.packetsOut > 0) {
      // Linux tcp_simple_retransmit: what no longer fits is lost and goes again at the new size,
      // without a cwnd cut.
      tcb.simpleRetransmit(now);
    }
    this.after(c);
  }

  // =============================================================== output

  /** The `SegmentSink` of every connection. */
  transmit(c: TcpConn, seg: TcpRepr, payload: ByteRing | undefined, skip: number, len: number): boolean {
    if (!c.dirty && c.slot >= 0) {
      c.dirty = true;
      this.dirtyList.push(c);
    }
    const cfg = c.tcb.cfg;
    const r = this.send(c, seg, payload, skip, len, c.tcb.now, cfg.tos, cfg.pmtuDiscover);
    if (r === ERRNO.EMSGSIZE) {
      const mtu = this.ip.pathMtu(c.v4 ? c.remote4 : c.remote6, c.tcb.now);
      if (mtu > 0 && this.mssFor(c.v4, mtu) < c.tcb.cfg.mtuMss) {
        const tcb = c.tcb;
        tcb.cfg.mtuMss = this.mssFor(c.v4, mtu);
        const base = tcb.mssBase();
        tcb.sndMss = Math.max(MIN_MSS - 12, base - (tcb.tsOk ? 12 : 0));
      }
    }
    return r === 0;
  }

  /** Builds and sends one segment from `t`'s local end; 0 or the errno of `IpOutput.send`. */
  private send(
    t: TcpTuple,
    seg: TcpRepr,
    payload: ByteRing | undefined,
    skip: number,
    len: number,
    now: Instant,
    tos = 0,
    dontFragment = true,
  ): number {
    const pool = this.pool;
    const id = pool.alloc();
    if (id < 0) {
      this.counters.OutRefused++;
      return ERRNO.ENOBUFS;
    }
    const buf = pool.buffer(id);
    const off = pool.payloadOffset(id);
    seg.payloadLen = len;
    const hl = seg.emit(buf, off);
    const total = hl + len;
    if (off + total > pool.offset(id) + pool.slotSize) {
      pool.free(id);
      this.counters.OutRefused++;
      return ERRNO.EMSGSIZE;
    }
    if (len > 0 && payload !== undefined && payload.peek(buf, off + hl, len, skip) !== len) {
      pool.free(id);
      return ERRNO.EINVAL;
    }
    const info = this.info;
    info.protocol = IPPROTO_TCP;
    info.tos = tos;
    info.ttl = -1;
    info.dontFragment = dontFragment;
    info.flowLabel = 0;
    let dst: IpAddr;
    if (t.v4) {
      info.version = 4;
      info.src4 = t.local4;
      info.dst4 = t.remote4;
      dst = t.remote4;
      if (!this.ip.checksumOffload(dst)) fillTcpChecksum(buf, off, total, this.setAddrs4(t.local4, t.remote4));
    } else {
      info.version = 6;
      info.src6.set(t.local6);
      info.dst6.set(t.remote6);
      dst = info.dst6;
      if (!this.ip.checksumOffload(dst)) fillTcpChecksum(buf, off, total, this.setAddrs6(t.local6, t.remote6));
    }
    const r = this.ip.send(info, buf, off, total, now);
    pool.free(id);
    if (r === 0) {
      this.counters.OutSegs++;
      if (seg.flags & RST) this.counters.OutRsts++;
    } else {
      this.counters.OutRefused++;
    }
    return r;
  }

  private setAddrs4(src: number, dst: number): ChecksumAddresses {
    const a = this.addrs4;
    a.src4 = src;
    a.dst4 = dst;
    return a;
  }

  /** Pseudo-header addresses for IPv6: both copied side by side into a scratch pair. */
  private setAddrs6(src: Uint8Array, dst: Uint8Array): ChecksumAddresses {
    const p = this.pair6;
    for (let i = 0; i < 16; i++) {
      p[i] = src[i]!;
      p[16 + i] = dst[i]!;
    }
    const a = this.addrs6;
    a.v6 = p;
    a.src6Off = 0;
    a.dst6Off = 16;
    return a;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}
