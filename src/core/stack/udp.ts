/**
 * UDP (RFC 768) at core level: `UdpLayer` is the stack's transport for protocol 17 and owns the
 * sockets; `UdpSocket` is a minimal BSD-like socket (bind, connect, sendTo, recvFrom) that the
 * socket layer (core/socket) wraps with file descriptors and blocking.
 *
 * Addresses inside are kept as 16 bytes, IPv4 as IPv4-mapped (`::ffff:a.b.c.d`), so one compare
 * serves both families. What a socket can receive:
 * - an AF_INET socket: IPv4 only;
 * - an AF_INET6 socket bound to `::`: IPv6, and IPv4 too unless `v6only` (`net.ipv6.bindv6only`);
 * - an AF_INET6 socket bound to a mapped address: IPv4 to that address.
 *
 * Demux is most specific first (Linux's compute_score): a connected socket whose remote address and
 * port match beats a bound one, and a specific local address beats a wildcard. Broadcast and
 * multicast go to the best match only (no SO_REUSEADDR fan-out).
 *
 * Receive queue: a byte ring of `rcvbuf` bytes (`net.core.rmem_default`) holding records
 * `[len u32][port u16][addr 16]` + payload; each datagram is charged its length plus
 * `DATAGRAM_OVERHEAD` (standing in for Linux's skb truesize), and a datagram that does not fit is
 * dropped (RcvbufErrors). Nothing is allocated per datagram.
 *
 * Errors (Linux behaviour): an ICMP error about a datagram a *connected* socket sent becomes its
 * pending error (SO_ERROR), reported once by the next `sendTo` or `recvFrom` (e.g. ECONNREFUSED for
 * port unreachable); unconnected sockets ignore them (no IP_RECVERR here).
 */
import { ERRNO } from '../socket/linux.js';
import type { Rng } from '../rand/rng.js';
import type { Instant } from '../time/time.js';
import { get16, get32, set16, set32 } from '../wire/bytes.js';
import { DropReason } from '../wire/drop.js';
import { checksumAddresses4, checksumAddresses6, type ChecksumAddresses } from '../wire/pseudo.js';
import { fillUdpChecksum, IPPROTO_UDP, UDP_HEADER_LEN, UdpView, verifyUdpChecksum } from '../wire/udp.js';
import type { StackCounters } from './counters.js';
import {
  type IcmpErrorInfo,
  IcmpErrorKind,
  type IpAddr,
  type IpOutput,
  type IpPacketInfo,
  IpSendInfo,
  type TransportProtocol,
} from './transport.js';

/** Charged per queued datagram on top of its payload (Linux charges skb truesize). */
export const DATAGRAM_OVERHEAD = 256;
const RECORD_HEADER = 22;
const HEADROOM = 128;
/** Largest UDP payload over IPv4 (65535 - 20 - 8) and IPv6 (65535 - 8). */
export const UDP_MAX_PAYLOAD_V4 = 65507;
export const UDP_MAX_PAYLOAD_V6 = 65527;

/** Where `recvFrom` says a datagram came from. */
export class UdpPeer {
  version: 4 | 6 = 4;
  addr4 = 0;
  readonly addr6 = new Uint8Array(16);
  port = 0;
  /** The address as an `IpAddr` (allocates for IPv6: a copy). */
  addr(): IpAddr {
    return this.version === 4 ? this.addr4 : this.addr6.slice();
  }
}

function isMapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

function isZero(a: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== 0) return false;
  return true;
}

function eq16(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Writes `a` as 16 bytes (IPv4 mapped) into `out`. */
export function toMapped(a: IpAddr, out: Uint8Array): void {
  if (typeof a === 'number') {
    for (let i = 0; i < 10; i++) out[i] = 0;
    out[10] = 0xff;
    out[11] = 0xff;
    set32(out, 12, a >>> 0);
  } else {
    out.set(a.subarray(0, 16));
  }
}

export class UdpSocket {
  readonly local = new Uint8Array(16);
  localAny = true;
  localPort = 0;
  readonly remote = new Uint8Array(16);
  remotePort = 0;
  connected = false;
  /** Pending error (SO_ERROR), reported once. */
  error = 0;
  closed = false;
  /** Receives IPv4 datagrams / IPv6 datagrams (derived from family, binding and v6only). */
  covers4: boolean;
  covers6: boolean;
  /** Datagrams queued and bytes charged. */
  queued = 0;
  charged = 0;
  /** Datagrams dropped because the queue was full. */
  drops = 0;
  private readonly ring: Uint8Array;
  private head = 0;
  private used = 0;

  constructor(
    private readonly layer: UdpLayer,
    readonly family: 4 | 6,
    readonly v6only: boolean,
    readonly rcvbuf: number,
  ) {
    this.ring = new Uint8Array(rcvbuf + RECORD_HEADER);
    this.covers4 = family === 4 || !v6only;
    this.covers6 = family === 6;
  }

  /** Binds to `addr` (undefined: wildcard) and `port` (0: an ephemeral port). 0 or an errno. */
  bind(addr: IpAddr | undefined, port: number): number {
    if (this.closed) return ERRNO.EBADF;
    if (this.localPort !== 0) return ERRNO.EINVAL;
    if (!Number.isInteger(port) || port < 0 || port > 65535) return ERRNO.EINVAL;
    const a = new Uint8Array(16);
    let any = true;
    if (addr !== undefined) {
      if (this.family === 4 && typeof addr !== 'number') return ERRNO.EAFNOSUPPORT;
      if (this.family === 6 && typeof addr === 'number') return ERRNO.EAFNOSUPPORT;
      toMapped(addr, a);
      any = typeof addr === 'number' ? addr === 0 : isZero(a);
      if (!any && !this.layer.isLocal(a)) return ERRNO.EADDRNOTAVAIL;
    }
    // Which families this binding receives (see the header comment).
    const mapped = !any && isMapped(a);
    if (this.family === 6 && mapped && this.v6only) return ERRNO.EINVAL;
    const c4 = this.family === 4 || (any ? !this.v6only : mapped);
    const c6 = this.family === 6 && !mapped;
    const p = port === 0 ? this.layer.ephemeralPort(a, any, c4, c6) : port;
    if (p === 0) return ERRNO.EADDRINUSE;
    if (port !== 0 && this.layer.conflicts(p, a, any, c4, c6, this)) return ERRNO.EADDRINUSE;
    this.local.set(a);
    this.localAny = any;
    this.covers4 = c4;
    this.covers6 = c6;
    this.localPort = p;
    this.layer.attach(this);
    return 0;
  }

  /** Sets the default destination and filters what is received. 0 or an errno. */
  connect(addr: IpAddr, port: number): number {
    if (this.closed) return ERRNO.EBADF;
    if (!Number.isInteger(port) || port < 1 || port > 65535) return ERRNO.EINVAL;
    if (this.family === 4 && typeof addr !== 'number') return ERRNO.EAFNOSUPPORT;
    if (this.family === 6 && typeof addr === 'number') return ERRNO.EAFNOSUPPORT;
    const dst = new Uint8Array(16);
    toMapped(addr, dst);
    if (this.localAny) {
      // Like Linux: connect picks the source address the route gives, and an ephemeral port.
      const v4 = isMapped(dst);
      const src = this.layer.output.sourceFor(v4 ? get32(dst, 12) : dst);
      if (src === undefined) return ERRNO.ENETUNREACH;
      if (this.localPort === 0) {
        const r = this.bind(undefined, 0);
        if (r !== 0) return r;
      }
    } else if (this.localPort === 0) {
      return ERRNO.EINVAL;
    }
    this.remote.set(dst);
    this.remotePort = port;
    this.connected = true;
    this.error = 0;
    return 0;
  }

  /** Dissolves the association (connect with AF_UNSPEC). */
  disconnect(): void {
    this.connected = false;
    this.remotePort = 0;
    this.remote.fill(0);
  }

  /**
   * Sends `data[off, off + len)` to `addr`/`port`, or to the connected peer when `addr` is
   * undefined. Binds an ephemeral port first if needed. Returns `len` or a negative errno.
   */
  sendTo(data: Uint8Array, off: number, len: number, now: Instant, addr?: IpAddr, port?: number): number {
    if (this.closed) return -ERRNO.EBADF;
    if (this.error !== 0) {
      const e = this.error;
      this.error = 0;
      return -e;
    }
    return this.layer.send(this, data, off, len, now, addr, port);
  }

  /** `send` on a connected socket. */
  send(data: Uint8Array, off: number, len: number, now: Instant): number {
    return this.sendTo(data, off, len, now);
  }

  /**
   * Takes the oldest datagram into `out[off, off + max)` (a longer one is truncated, the rest
   * discarded, as with MSG_TRUNC unset) and fills `from`. Returns the bytes copied or a negative
   * errno (EAGAIN when the queue is empty, a pending error first).
   */
  recvFrom(out: Uint8Array, off: number, max: number, from?: UdpPeer): number {
    if (this.error !== 0) {
      const e = this.error;
      this.error = 0;
      return -e;
    }
    if (this.queued === 0) return this.closed ? 0 : -ERRNO.EAGAIN;
    const hdr = this.layer.scratchHeader;
    this.readRing(hdr, 0, RECORD_HEADER);
    const len = get32(hdr, 0);
    const n = len < max ? len : max;
    this.readRing(out, off, n);
    this.skipRing(len - n);
    this.queued--;
    this.charged -= len + DATAGRAM_OVERHEAD;
    if (from !== undefined) {
      from.port = get16(hdr, 4);
      if (this.family === 4) {
        from.version = 4;
        from.addr4 = get32(hdr, 18);
      } else {
        from.version = 6;
        for (let i = 0; i < 16; i++) from.addr6[i] = hdr[6 + i]!;
      }
    }
    return n;
  }

  /** Length of the next datagram (FIONREAD on a UDP socket), or -1 when none. */
  nextLength(): number {
    if (this.queued === 0) return -1;
    const cap = this.ring.length;
    let v = 0;
    for (let i = 0; i < 4; i++) v = v * 256 + this.ring[(this.head + i) % cap]!;
    return v;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.layer.detach(this);
  }

  /** Queues a datagram; false when it does not fit the receive buffer. */
  enqueue(payload: Uint8Array, off: number, len: number, srcPort: number, src16: Uint8Array): boolean {
    const charge = len + DATAGRAM_OVERHEAD;
    if (this.charged + charge > this.rcvbuf || this.used + RECORD_HEADER + len > this.ring.length) {
      this.drops++;
      return false;
    }
    const hdr = this.layer.scratchHeader;
    set32(hdr, 0, len);
    set16(hdr, 4, srcPort);
    for (let i = 0; i < 16; i++) hdr[6 + i] = src16[i]!;
    this.writeRing(hdr, 0, RECORD_HEADER);
    this.writeRing(payload, off, len);
    this.queued++;
    this.charged += charge;
    return true;
  }

  private writeRing(src: Uint8Array, off: number, len: number): void {
    const cap = this.ring.length;
    let tail = (this.head + this.used) % cap;
    const first = len < cap - tail ? len : cap - tail;
    for (let i = 0; i < first; i++) this.ring[tail + i] = src[off + i]!;
    for (let i = first; i < len; i++) this.ring[i - first] = src[off + i]!;
    tail = (tail + len) % cap;
    this.used += len;
  }

  private readRing(dst: Uint8Array, off: number, len: number): void {
    const cap = this.ring.length;
    for (let i = 0; i < len; i++) dst[off + i] = this.ring[(this.head + i) % cap]!;
    this.skipRing(len);
  }

  private skipRing(len: number): void {
    this.head = (this.head + len) % this.ring.length;
    this.used -= len;
  }
}

/** The stack's UDP transport: socket table, demux, checksums, output. */
export class UdpLayer implements TransportProtocol {
  readonly protocol = IPPROTO_UDP;
  /** Bound sockets by local port. */
  private readonly byPort = new Map<number, UdpSocket[]>();
  readonly scratchHeader = new Uint8Array(RECORD_HEADER);
  private readonly tx = new Uint8Array(HEADROOM + 8 + UDP_MAX_PAYLOAD_V6);
  private readonly send4 = new IpSendInfo();
  private readonly src16 = new Uint8Array(16);
  private readonly dst16 = new Uint8Array(16);
  private readonly view = new UdpView();
  private readonly addrs4: ChecksumAddresses = checksumAddresses4(0, 0);
  private readonly addrs6: ChecksumAddresses = checksumAddresses6(new Uint8Array(40), 0);

  constructor(
    readonly output: IpOutput,
    private readonly counters: StackCounters,
    private readonly rng: Rng,
    private readonly portRange: () => readonly number[],
    private readonly defaults: { rcvbuf: () => number; v6only: () => boolean },
    /** Called when a datagram finds no socket (the stack answers with ICMP port unreachable). */
    private readonly noPort: (pkt: IpPacketInfo, now: Instant) => void,
  ) {}

  /** A new unbound socket of `family` (4 = AF_INET, 6 = AF_INET6). */
  socket(family: 4 | 6, opts: { rcvbuf?: number; v6only?: boolean } = {}): UdpSocket {
    return new UdpSocket(this, family, opts.v6only ?? this.defaults.v6only(), opts.rcvbuf ?? this.defaults.rcvbuf());
  }

  /** Sockets bound, all ports. */
  get socketCount(): number {
    let n = 0;
    for (const l of this.byPort.values()) n += l.length;
    return n;
  }

  isLocal(a16: Uint8Array): boolean {
    return this.output.isLocal(isMapped(a16) ? get32(a16, 12) : a16);
  }

  attach(s: UdpSocket): void {
    let l = this.byPort.get(s.localPort);
    if (l === undefined) {
      l = [];
      this.byPort.set(s.localPort, l);
    }
    l.push(s);
  }

  detach(s: UdpSocket): void {
    const l = this.byPort.get(s.localPort);
    if (l === undefined) return;
    const i = l.indexOf(s);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.byPort.delete(s.localPort);
  }

  conflicts(port: number, a: Uint8Array, any: boolean, c4: boolean, c6: boolean, self?: UdpSocket): boolean {
    const l = this.byPort.get(port);
    if (l === undefined) return false;
    for (const s of l) {
      if (s === self) continue;
      if (!((s.covers4 && c4) || (s.covers6 && c6))) continue;
      if (s.localAny || any || eq16(s.local, a)) return true;
    }
    return false;
  }

  /** A free port from `ip_local_port_range`, starting at a random point; 0 when none is free. */
  ephemeralPort(a: Uint8Array, any: boolean, c4: boolean, c6: boolean): number {
    const r = this.portRange();
    const lo = r[0] ?? 32768;
    const hi = r[1] ?? 60999;
    const n = hi - lo + 1;
    if (n <= 0) return 0;
    const start = this.rng.nextInt(0, n);
    for (let i = 0; i < n; i++) {
      const p = lo + ((start + i) % n);
      if (!this.conflicts(p, a, any, c4, c6)) return p;
    }
    return 0;
  }

  send(
    s: UdpSocket,
    data: Uint8Array,
    off: number,
    len: number,
    now: Instant,
    addr?: IpAddr,
    port?: number,
  ): number {
    const dst = this.dst16;
    let dport: number;
    if (addr === undefined) {
      if (!s.connected) return -ERRNO.EDESTADDRREQ;
      dst.set(s.remote);
      dport = s.remotePort;
    } else {
      if (s.family === 4 && typeof addr !== 'number') return -ERRNO.EAFNOSUPPORT;
      if (s.family === 6 && typeof addr === 'number') return -ERRNO.EAFNOSUPPORT;
      if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return -ERRNO.EINVAL;
      toMapped(addr, dst);
      dport = port;
    }
    const v4 = isMapped(dst);
    if (v4 && !s.covers4 && s.localPort !== 0) return -ERRNO.ENETUNREACH;
    if (!Number.isInteger(len) || len < 0 || off < 0 || off + len > data.length) return -ERRNO.EINVAL;
    if (len > (v4 ? UDP_MAX_PAYLOAD_V4 : UDP_MAX_PAYLOAD_V6)) return -ERRNO.EMSGSIZE;
    if (s.localPort === 0) {
      const r = s.bind(undefined, 0);
      if (r !== 0) return -r;
    }
    const info = this.send4;
    const src = this.src16;
    if (s.localAny) {
      const chosen = this.output.sourceFor(v4 ? get32(dst, 12) : dst);
      if (chosen === undefined) return -ERRNO.ENETUNREACH;
      toMapped(chosen, src);
    } else {
      src.set(s.local);
    }
    const buf = this.tx;
    const uoff = HEADROOM;
    const ulen = UDP_HEADER_LEN + len;
    set16(buf, uoff, s.localPort);
    set16(buf, uoff + 2, dport);
    set16(buf, uoff + 4, ulen);
    set16(buf, uoff + 6, 0);
    if (data === buf) buf.copyWithin(uoff + 8, off, off + len);
    else buf.set(data.subarray(off, off + len), uoff + 8);
    info.protocol = IPPROTO_UDP;
    info.tos = 0;
    info.ttl = -1;
    info.flowLabel = 0;
    let mtu: number;
    if (v4) {
      info.version = 4;
      info.src4 = get32(src, 12);
      info.dst4 = get32(dst, 12);
      mtu = this.output.pathMtu(info.dst4, now);
      if (!this.output.checksumOffload(info.dst4)) {
        this.addrs4.src4 = info.src4;
        this.addrs4.dst4 = info.dst4;
        fillUdpChecksum(buf, uoff, ulen, this.addrs4);
      }
      // Linux's IP_PMTUDISC_WANT for UDP: DF while the datagram fits the path, fragments when not.
      info.dontFragment = 20 + ulen <= mtu;
    } else {
      info.version = 6;
      info.src6.set(src);
      info.dst6.set(dst);
      mtu = this.output.pathMtu(info.dst6, now);
      if (!this.output.checksumOffload(info.dst6)) {
        const a = this.addrs6;
        a.v6 = this.addrs6Buf(src, dst);
        fillUdpChecksum(buf, uoff, ulen, a);
      }
      info.dontFragment = false;
    }
    const r = this.output.send(info, buf, uoff, ulen, now);
    const mib = v4 ? this.counters.udp : this.counters.udp6;
    if (r !== 0) {
      mib.SndbufErrors += r === ERRNO.ENOBUFS ? 1 : 0;
      return -r;
    }
    mib.OutDatagrams++;
    return len;
  }

  private readonly pair = new Uint8Array(32);
  private addrs6Buf(src: Uint8Array, dst: Uint8Array): Uint8Array {
    const p = this.pair;
    for (let i = 0; i < 16; i++) {
      p[i] = src[i]!;
      p[16 + i] = dst[i]!;
    }
    this.addrs6.src6Off = 0;
    this.addrs6.dst6Off = 16;
    return p;
  }

  input(pkt: IpPacketInfo, now: Instant): void {
    const v4 = pkt.version === 4;
    const mib = v4 ? this.counters.udp : this.counters.udp6;
    const v = this.view;
    const r = v.check(pkt.buf, pkt.off, pkt.len);
    if (r !== DropReason.Ok) {
      this.counters.drops.count(r);
      mib.InErrors++;
      return;
    }
    if (!pkt.checksumValidated) {
      let ok: boolean;
      if (v4) {
        this.addrs4.src4 = pkt.src4;
        this.addrs4.dst4 = pkt.dst4;
        ok = verifyUdpChecksum(pkt.buf, pkt.off, v.len, this.addrs4);
      } else {
        this.addrs6.v6 = this.addrs6Buf(pkt.src6, pkt.dst6);
        ok = verifyUdpChecksum(pkt.buf, pkt.off, v.len, this.addrs6);
      }
      if (!ok) {
        this.counters.drops.count(DropReason.BadChecksum);
        mib.InCsumErrors++;
        mib.InErrors++;
        return;
      }
    }
    const src = this.src16;
    const dst = this.dst16;
    if (v4) {
      toMapped(pkt.src4, src);
      toMapped(pkt.dst4, dst);
    } else {
      src.set(pkt.src6);
      dst.set(pkt.dst6);
    }
    const sport = v.srcPort;
    const s = this.lookup(v.dstPort, dst, src, sport, v4);
    if (s === undefined) {
      mib.NoPorts++;
      if (!pkt.multicast) this.noPort(pkt, now);
      return;
    }
    if (!s.enqueue(pkt.buf, v.payloadOffset, v.payloadLength, sport, src)) {
      mib.RcvbufErrors++;
      mib.InErrors++;
      return;
    }
    mib.InDatagrams++;
  }

  /** The most specific socket for a datagram (see the header comment), or undefined. */
  lookup(dport: number, dst: Uint8Array, src: Uint8Array, sport: number, v4: boolean): UdpSocket | undefined {
    const l = this.byPort.get(dport);
    if (l === undefined) return undefined;
    let best: UdpSocket | undefined;
    let bestScore = -1;
    for (let i = 0; i < l.length; i++) {
      const s = l[i]!;
      if (v4 ? !s.covers4 : !s.covers6) continue;
      let score = 0;
      if (!s.localAny) {
        if (!eq16(s.local, dst)) continue;
        score += 1;
      }
      if (s.connected) {
        if (s.remotePort !== sport || !eq16(s.remote, src)) continue;
        score += 2;
      }
      if (score > bestScore) {
        best = s;
        bestScore = score;
      }
    }
    return best;
  }

  errorInput(err: IcmpErrorInfo, _now: Instant): void {
    if (err.len < 4) return;
    const sport = get16(err.buf, err.off);
    const dport = get16(err.buf, err.off + 2);
    const src = this.src16;
    const dst = this.dst16;
    if (err.version === 4) {
      toMapped(err.src4, src);
      toMapped(err.dst4, dst);
    } else {
      src.set(err.src6);
      dst.set(err.dst6);
    }
    // The quoted datagram went from us (src, sport) to the peer (dst, dport).
    const s = this.lookup(sport, src, dst, dport, err.version === 4);
    if (s === undefined || !s.connected) return;
    if (err.kind === IcmpErrorKind.PacketTooBig) return; // no IP_RECVERR: not reported on UDP
    s.error = err.errno;
  }
}
