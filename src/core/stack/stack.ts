/**
 * `Stack`: one instance is one network namespace — interfaces, addresses, routes, neighbor caches,
 * IPv4/IPv6 input and output, fragment reassembly, ICMP/ICMPv6 and UDP, configured through Linux
 * sysctl names (`stack.sysctls`). Sans-IO: `poll(now)` pulls frames from the links, processes them,
 * runs the timers (reassembly, neighbor, loopback queue) and transmits; `pollAt()` is the earliest
 * instant it needs attention (links' deadlines folded in).
 *
 * Interfaces: `lo` (ifindex 1, 127.0.0.1/8 and ::1) is built in; `addInterface(link)` adds one per
 * link — medium `ip` is point-to-point L3 (TUN-like: no link header, no resolution), medium
 * `ethernet` is L2 with ARP (RFC 826) and NDP (RFC 4861) through `NeighborCache`, and gets an
 * EUI-64 link-local address (RFC 4291 App. A; no duplicate address detection). Adding an address
 * adds its connected route (`ip addr add` behaviour).
 *
 * Packets to the stack's own addresses go through the loopback queue and are delivered in the same
 * or the next `poll`, never re-entrantly.
 *
 * Transports plug in with `registerTransport` (see transport.ts); UDP is built in (`stack.udp`).
 * A packet for an unregistered protocol gets ICMP protocol unreachable / ICMPv6 parameter problem
 * (unrecognized next header). TCP's RST for segments to no socket belongs to the TCP transport.
 *
 * Counters: `counters.drops` per DropReason, and Linux MIB groups (`ip`, `ip6`, `icmp`, `icmp6`,
 * `udp`, `udp6`) plus link counters. ICMP errors are rate limited per destination by
 * `net.ipv4.icmp_ratelimit` (used for ICMPv6 too), never towards the stack's own addresses.
 *
 * Not done here: forwarding (`ip_forward`), IGMP/MLD (only all-nodes and solicited-node groups are
 * joined), duplicate address detection, router solicitation/advertisement and SLAAC, redirects,
 * VLANs, IPv6 options processing (hop-by-hop/destination options are skipped, not interpreted),
 * scope ids for link-local destinations (the first matching route wins), per-destination IP IDs.
 */
import type { Pollable } from '../link/endpoint.js';
import type { Link } from '../link/link.js';
import { type Rng, Xoshiro128 } from '../rand/rng.js';
import { ERRNO } from '../socket/linux.js';
import { earliest, type Instant } from '../time/time.js';
import { ArpOperation, ArpRepr, ArpView } from '../wire/arp.js';
import { get16, get32, set16 } from '../wire/bytes.js';
import { DropReason } from '../wire/drop.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, EthernetView, isMulticastMac } from '../wire/ethernet.js';
import {
  fillIcmpv4Checksum,
  ICMPV4_HEADER_LEN,
  IPPROTO_ICMP,
  Icmpv4Repr,
  Icmpv4Type,
  Icmpv4Unreachable,
  Icmpv4View,
  isIcmpv4Error,
  verifyIcmpv4Checksum,
} from '../wire/icmpv4.js';
import {
  fillIcmpv6Checksum,
  ICMPV6_HEADER_LEN,
  IPPROTO_ICMPV6,
  Icmpv6ParamProblem,
  Icmpv6Repr,
  Icmpv6Type,
  Icmpv6Unreachable,
  Icmpv6View,
  isIcmpv6Error,
  verifyIcmpv6Checksum,
} from '../wire/icmpv6.js';
import { IPV4_HEADER_LEN, IPV4_MAX_TOTAL_LEN, Ipv4Repr, Ipv4View, verifyIpv4Checksum } from '../wire/ipv4.js';
import {
  IPV6_FRAGMENT_HEADER_LEN,
  IPV6_HEADER_LEN,
  IPV6_MIN_MTU,
  IPV6_NH_FRAGMENT,
  IPV6_NH_NONE,
  Ipv6ExtWalker,
  Ipv6Repr,
  Ipv6View,
} from '../wire/ipv6.js';
import { checkNdpHopLimit, NdpOptionType, NdpRepr } from '../wire/ndp.js';
import { type ChecksumAddresses, checksumAddresses4, checksumAddresses6 } from '../wire/pseudo.js';
import { StackCounters } from './counters.js';
import { type ErrorMeaning, icmp4Meaning, icmp6Meaning } from './icmp-errors.js';
import {
  Interface,
  type IfaceMedium,
  Ipv4IfAddr,
  Ipv6IfAddr,
  linkLocalFromMac,
  type PendingPacket,
  solicitedNode,
} from './iface.js';
import type { NeighborAction, NeighborParams } from './neighbor.js';
import { PmtuCache } from './pmtu.js';
import { IcmpRateLimiter } from './ratelimit.js';
import {
  Ipv4Reassembler,
  Ipv6Reassembler,
  ipv4ReassemblyLimits,
  ipv6ReassemblyLimits,
  reasmDropReason,
  ReasmOutcome,
} from './reassembly.js';
import { Ipv4RouteTable, Ipv6RouteTable } from './route.js';
import { Sysctls } from './sysctl.js';
import {
  IcmpErrorInfo,
  IcmpErrorKind,
  type IpAddr,
  type IpOutput,
  IpPacketInfo,
  IpSendInfo,
  type TransportProtocol,
} from './transport.js';
import { UdpLayer } from './udp.js';

export interface StackOptions {
  /** A name for traces. */
  name?: string;
  /** The stack's randomness (ephemeral ports, IP IDs, neighbor timers). Default: seeded with 1. */
  rng?: Rng;
  sysctls?: Sysctls;
  neighbor?: NeighborParams;
  /** The instant the stack is created at (neighbor timers start there). */
  now?: Instant;
  /** Frames read per link per `poll` (the rest wait in the link). Default 1024. */
  rxBudget?: number;
}

export interface InterfaceOptions {
  name?: string;
  /** Ethernet address (required for `ethernet` links). */
  mac?: Uint8Array;
  /** Add the EUI-64 link-local IPv6 address (Ethernet only). Default true. */
  linkLocal?: boolean;
}

/** An ICMP echo reply that arrived (for ping-like users); read during the callback only. */
export class EchoReply {
  version: 4 | 6 = 4;
  from4 = 0;
  readonly from6 = new Uint8Array(16);
  identifier = 0;
  sequence = 0;
  /** The echo data: `buf[off, off + len)`. */
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  len = 0;
  ttl = 0;
}

const HEAD = 128;
const BUF_LEN = HEAD + 65536 + 64;
const LOOPBACK_SLOTS = 64;
/** Linux: an ICMPv4 error is at most 576 bytes; an ICMPv6 error at most 1280. */
const ICMP4_ERROR_MAX = 576;
const ICMP6_ERROR_MAX = IPV6_MIN_MTU;
const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(6);
const ALL_NODES = new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
/** Linux's IPTOS_PREC_INTERNETCONTROL, the TOS of ICMP errors. */
const TOS_INTERNETCONTROL = 0xc0;

function isV4Multicast(a: number): boolean {
  return a >>> 28 === 0xe;
}

export class Stack implements Pollable, IpOutput {
  readonly name: string;
  readonly rng: Rng;
  readonly sysctls: Sysctls;
  readonly counters = new StackCounters();
  readonly routes4 = new Ipv4RouteTable();
  readonly routes6 = new Ipv6RouteTable();
  readonly pmtu = new PmtuCache();
  readonly reasm4: Ipv4Reassembler;
  readonly reasm6: Ipv6Reassembler;
  readonly udp: UdpLayer;
  /** Interfaces by position; `ifindex` = position + 1 (`lo` is 1). */
  readonly interfaces: Interface[] = [];
  readonly loopback: Interface;
  /** Called for each ICMP/ICMPv6 echo reply received. */
  onEchoReply: ((r: EchoReply, now: Instant) => void) | undefined = undefined;

  private readonly transports: (TransportProtocol | undefined)[] = new Array(256).fill(undefined);
  /** Registered transports with timers of their own (polled with the stack). */
  private timedTransports: TransportProtocol[] = [];
  private readonly neighParams: NeighborParams | undefined;
  private readonly rxBudget: number;
  private readonly limiter = new IcmpRateLimiter();
  private lastNow: Instant;
  private moreRx = false;
  /** `gsoSize` of the frame being processed (receive-offload aggregates), 0 otherwise. */
  private rxGsoSize = 0;
  private ipId: number;
  private fragId6: number;

  // Reused per packet.
  private readonly eth = new EthernetView();
  private readonly arpView = new ArpView();
  private readonly arp = new ArpRepr();
  private readonly arpOut = new ArpRepr();
  private readonly peerMac = new Uint8Array(6);
  /** Output headers, apart from the input ones: output can run while an input packet is parsed. */
  private readonly out4 = new Ipv4Repr();
  private readonly out6 = new Ipv6Repr();
  private readonly ndpIp = new Ipv6Repr();
  private readonly v4view = new Ipv4View();
  private readonly v4repr = new Ipv4Repr();
  private readonly v6view = new Ipv6View();
  private readonly walker = new Ipv6ExtWalker();
  private readonly icmp4view = new Icmpv4View();
  private readonly icmp4 = new Icmpv4Repr();
  private readonly icmp6view = new Icmpv6View();
  private readonly icmp6 = new Icmpv6Repr();
  private readonly ndp = new NdpRepr();
  private readonly info = new IpPacketInfo();
  private readonly sendInfo = new IpSendInfo();
  private readonly errInfo = new IcmpErrorInfo();
  private readonly meaning: ErrorMeaning = { kind: IcmpErrorKind.PortUnreachable, errno: 0 };
  private readonly echo = new EchoReply();
  private readonly addrs4: ChecksumAddresses = checksumAddresses4(0, 0);
  private readonly addrs6: ChecksumAddresses = checksumAddresses6(new Uint8Array(40), 0);
  private readonly a16 = new Uint8Array(16);
  private readonly b16 = new Uint8Array(16);
  /** Transmit scratch: ICMP messages built here. */
  private readonly tx = new Uint8Array(BUF_LEN);
  /** Fragments are built here (the datagram being fragmented may sit in `tx`). */
  private readonly frag = new Uint8Array(BUF_LEN);
  /** ARP / NDP control frames. */
  private readonly ctl = new Uint8Array(256);
  /** Packets released by address resolution. */
  private readonly flushBuf = new Uint8Array(BUF_LEN);
  // Loopback queue: fixed slots holding whole IP packets.
  private readonly loSlots: Uint8Array[] = [];
  private readonly loLens = new Int32Array(LOOPBACK_SLOTS);
  private loHead = 0;
  private loCount = 0;

  constructor(opts: StackOptions = {}) {
    this.name = opts.name ?? 'stack';
    this.rng = opts.rng ?? new Xoshiro128(1);
    this.sysctls = opts.sysctls ?? new Sysctls();
    this.neighParams = opts.neighbor;
    this.rxBudget = opts.rxBudget ?? 1024;
    this.lastNow = opts.now ?? (0 as Instant);
    this.ipId = this.rng.nextU32() & 0xffff;
    this.fragId6 = this.rng.nextU32();
    this.reasm4 = new Ipv4Reassembler(ipv4ReassemblyLimits(this.sysctls));
    this.reasm6 = new Ipv6Reassembler(ipv6ReassemblyLimits(this.sysctls));
    const sc = this.sysctls;
    this.udp = new UdpLayer(
      this,
      this.counters,
      this.rng.fork(),
      () => sc.ints('net.ipv4.ip_local_port_range'),
      { rcvbuf: () => sc.int('net.core.rmem_default'), v6only: () => sc.int('net.ipv6.bindv6only') !== 0 },
      (pkt, now) => this.portUnreachable(pkt, now),
    );
    this.loopback = this.makeInterface('lo', 'loopback', undefined, undefined);
    this.addAddress(1, 0x7f000001, 8);
    const lo6 = new Uint8Array(16);
    lo6[15] = 1;
    this.addAddress(1, lo6, 128);
  }

  // ---- configuration ------------------------------------------------------------------------

  /** Adds an interface on `link`; returns it (its `index` is the ifindex). */
  addInterface(link: Link, opts: InterfaceOptions = {}): Interface {
    const medium = link.caps.medium;
    if (medium === 'ethernet' && opts.mac === undefined) throw new Error('an ethernet interface needs a MAC');
    const name = opts.name ?? `${medium === 'ethernet' ? 'eth' : 'tun'}${this.interfaces.length - 1}`;
    const iface = this.makeInterface(name, medium, link, opts.mac);
    if (medium === 'ethernet' && opts.linkLocal !== false && opts.mac !== undefined) {
      this.addAddress(iface.index, linkLocalFromMac(opts.mac), 64);
    }
    return iface;
  }

  private makeInterface(
    name: string,
    medium: IfaceMedium,
    link: Link | undefined,
    mac: Uint8Array | undefined,
  ): Interface {
    const iface = new Interface(
      this.interfaces.length + 1,
      name,
      medium,
      link,
      mac,
      this.rng,
      this.neighParams,
      this.lastNow,
    );
    this.interfaces.push(iface);
    return iface;
  }

  interface(ifindex: number): Interface | undefined {
    return this.interfaces[ifindex - 1];
  }

  /** `ip addr add addr/prefixLen dev ifindex`, with its connected route. 0 or an errno. */
  addAddress(ifindex: number, addr: IpAddr, prefixLen: number): number {
    const iface = this.interface(ifindex);
    if (iface === undefined) return ERRNO.ENODEV;
    if (typeof addr === 'number') {
      if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) return ERRNO.EINVAL;
      if (iface.hasV4(addr)) return ERRNO.EEXIST;
      const a = new Ipv4IfAddr(addr >>> 0, prefixLen);
      iface.v4.push(a);
      this.routes4.add({ dst: a.network, prefixLen, ifindex, metric: 0 });
      return 0;
    }
    if (addr.length < 16 || !Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 128) return ERRNO.EINVAL;
    if (iface.findV6(addr) >= 0) return ERRNO.EEXIST;
    const a = new Ipv6IfAddr(addr, prefixLen);
    iface.v6.push(a);
    const net = a.addr.slice();
    for (let bit = prefixLen; bit < 128; bit++) net[bit >>> 3] = net[bit >>> 3]! & ~(0x80 >>> (bit & 7));
    this.routes6.add({ dst: net, prefixLen, ifindex, metric: 256 });
    return 0;
  }

  /** Plugs a transport in under its protocol number (replacing any other). */
  registerTransport(t: TransportProtocol): void {
    const old = this.transports[t.protocol & 0xff];
    if (old !== undefined) this.timedTransports = this.timedTransports.filter((x) => x !== old);
    this.transports[t.protocol & 0xff] = t;
    if (t.pollAt !== undefined && t.poll !== undefined) this.timedTransports.push(t);
  }

  // ---- IpOutput ------------------------------------------------------------------------------

  isLocal(addr: IpAddr): boolean {
    addr = unmap(addr);
    return typeof addr === 'number' ? this.isLocal4(addr) : this.localIface6(addr, 0) !== undefined;
  }

  private isLocal4(a: number): boolean {
    if (a >>> 24 === 127) return true;
    for (let i = 0; i < this.interfaces.length; i++) if (this.interfaces[i]!.hasV4(a)) return true;
    return false;
  }

  private localIface6(b: Uint8Array, off: number): Interface | undefined {
    for (let i = 0; i < this.interfaces.length; i++) {
      const f = this.interfaces[i]!;
      if (f.findV6(b, off) >= 0) return f;
    }
    return undefined;
  }

  /** The interface a packet to `dst` leaves by (loopback for our own addresses). */
  private route4(dst: number): { iface: Interface; nextHop: number; mtu: number } | undefined {
    if (this.isLocal4(dst)) return this.r4(this.loopback, dst, 0);
    const r = this.routes4.lookup(dst);
    if (r === undefined) return undefined;
    const iface = this.interface(r.ifindex);
    if (iface === undefined) return undefined;
    return this.r4(iface, r.nextHop(dst), r.mtu);
  }

  private readonly rt4 = { iface: undefined as unknown as Interface, nextHop: 0, mtu: 0 };
  private r4(iface: Interface, nextHop: number, mtu: number): { iface: Interface; nextHop: number; mtu: number } {
    const r = this.rt4;
    r.iface = iface;
    r.nextHop = nextHop >>> 0;
    r.mtu = mtu !== 0 && mtu < iface.mtu ? mtu : iface.mtu;
    return r;
  }

  private readonly rt6 = {
    iface: undefined as unknown as Interface,
    nextHop: new Uint8Array(16),
    mtu: 0,
  };
  private route6(dst: Uint8Array, off: number): { iface: Interface; nextHop: Uint8Array; mtu: number } | undefined {
    const r = this.rt6;
    let iface: Interface | undefined = this.localIface6(dst, off) !== undefined ? this.loopback : undefined;
    let mtu = 0;
    if (iface === undefined) {
      const rt = this.routes6.lookup(dst, off);
      if (rt === undefined) return undefined;
      iface = this.interface(rt.ifindex);
      if (iface === undefined) return undefined;
      mtu = rt.mtu;
      if (rt.gateway !== undefined) r.nextHop.set(rt.gateway);
      else for (let i = 0; i < 16; i++) r.nextHop[i] = dst[off + i]!;
    } else {
      for (let i = 0; i < 16; i++) r.nextHop[i] = dst[off + i]!;
    }
    r.iface = iface;
    const ifMtu = iface.mtu < IPV6_MIN_MTU ? IPV6_MIN_MTU : iface.mtu;
    r.mtu = mtu !== 0 && mtu < ifMtu ? mtu : ifMtu;
    return r;
  }

  pathMtu(dst: IpAddr, now: Instant): number {
    dst = unmap(dst);
    const r = typeof dst === 'number' ? this.route4(dst) : this.route6(dst, 0);
    if (r === undefined) return 0;
    const learnt = this.pmtu.get(dst, now);
    return learnt !== 0 && learnt < r.mtu ? learnt : r.mtu;
  }

  sourceFor(dst: IpAddr): IpAddr | undefined {
    dst = unmap(dst);
    if (typeof dst === 'number') {
      if (this.isLocal4(dst)) return dst >>> 0;
      const r = this.route4(dst);
      return r?.iface.source4(dst);
    }
    const own = this.localIface6(dst, 0);
    if (own !== undefined) return own.v6[own.findV6(dst, 0)]!.addr;
    const r = this.route6(dst, 0);
    return r?.iface.source6(dst, 0);
  }

  checksumOffload(dst: IpAddr): boolean {
    dst = unmap(dst);
    const r = typeof dst === 'number' ? this.route4(dst) : this.route6(dst, 0);
    return r === undefined ? false : r.iface.checksumOffload;
  }

  send(info: IpSendInfo, buf: Uint8Array, off: number, len: number, now: Instant): number {
    if (!(len >= 0) || off < IPV6_HEADER_LEN + IPV6_FRAGMENT_HEADER_LEN + 14 || off + len > buf.length) {
      return ERRNO.EINVAL;
    }
    if (info.version === 6 && isMapped(info.dst6)) {
      // An IPv4-mapped destination (a dual-stack socket talking to an IPv4 peer) goes out as IPv4.
      const m = this.mappedSend;
      m.version = 4;
      m.src4 = isMapped(info.src6) ? get32(info.src6, 12) : 0;
      m.dst4 = get32(info.dst6, 12);
      m.protocol = info.protocol;
      m.tos = info.tos;
      m.ttl = info.ttl;
      m.dontFragment = info.dontFragment;
      return this.send4(m, buf, off, len, now);
    }
    return info.version === 4 ? this.send4(info, buf, off, len, now) : this.send6(info, buf, off, len, now);
  }

  private readonly mappedSend = new IpSendInfo();

  /**
   * Upper-layer reachability confirmation (RFC 4861 §7.3.1) for the next hop towards `dst`, e.g.
   * when TCP sees new data acknowledged; keeps the neighbor entry REACHABLE without probing.
   */
  confirmReachable(dst: IpAddr, now: Instant): void {
    const d = unmap(dst);
    if (typeof d === 'number') {
      const r = this.route4(d);
      r?.iface.neigh4?.confirm(r.nextHop, now);
    } else {
      const r = this.route6(d, 0);
      r?.iface.neigh6?.confirm(r.nextHop, now);
    }
  }

  private send4(info: IpSendInfo, buf: Uint8Array, off: number, len: number, now: Instant): number {
    const mib = this.counters.ip;
    mib.OutRequests++;
    const dst = info.dst4 >>> 0;
    const r = this.route4(dst);
    if (r === undefined) {
      mib.OutNoRoutes++;
      return ERRNO.ENETUNREACH;
    }
    let src = info.src4 >>> 0;
    if (src === 0) {
      const s = r.iface.source4(dst) ?? (r.iface === this.loopback ? dst : undefined);
      if (s === undefined) {
        mib.OutNoRoutes++;
        return ERRNO.EHOSTUNREACH;
      }
      src = s;
    } else if (!this.isLocal4(src)) {
      mib.OutDiscards++;
      return ERRNO.EINVAL;
    }
    const iface = r.iface;
    const nextHop = r.nextHop;
    let mtu = r.mtu;
    const learnt = this.pmtu.get(dst, now);
    if (learnt !== 0 && learnt < mtu) mtu = learnt;
    const total = IPV4_HEADER_LEN + len;
    if (total > IPV4_MAX_TOTAL_LEN) {
      mib.OutDiscards++;
      return ERRNO.EMSGSIZE;
    }
    const ip = this.out4;
    ip.dscp = info.tos >>> 2;
    ip.ecn = info.tos & 3;
    ip.identification = this.ipId;
    this.ipId = (this.ipId + 1) & 0xffff;
    ip.ttl = info.ttl >= 0 ? info.ttl & 0xff : this.sysctls.int('net.ipv4.ip_default_ttl');
    ip.protocol = info.protocol;
    ip.src = src;
    ip.dst = dst;
    ip.optionsLen = 0;
    ip.moreFragments = false;
    ip.fragmentOffset = 0;
    const caps = iface.link?.caps;
    const tsoOk = caps !== undefined && caps.tso && total <= caps.maxTsoBytes;
    if (total <= mtu || (tsoOk && info.dontFragment)) {
      ip.dontFragment = info.dontFragment;
      ip.payloadLen = len;
      const ipOff = off - IPV4_HEADER_LEN;
      ip.emit(buf, ipOff);
      return this.linkOut4(iface, nextHop, buf, ipOff, total, now);
    }
    if (info.dontFragment) {
      mib.FragFails++;
      return ERRNO.EMSGSIZE;
    }
    // RFC 791 fragmentation: every piece but the last carries a multiple of 8 bytes.
    const per = (mtu - IPV4_HEADER_LEN) & ~7;
    if (per < 8) {
      mib.FragFails++;
      return ERRNO.EMSGSIZE;
    }
    ip.dontFragment = false;
    const f = this.frag;
    for (let done = 0; done < len; done += per) {
      const n = len - done < per ? len - done : per;
      ip.fragmentOffset = done;
      ip.moreFragments = done + n < len;
      ip.payloadLen = n;
      ip.emit(f, HEAD);
      f.set(buf.subarray(off + done, off + done + n), HEAD + IPV4_HEADER_LEN);
      const e = this.linkOut4(iface, nextHop, f, HEAD, IPV4_HEADER_LEN + n, now);
      if (e !== 0) {
        mib.FragFails++;
        return e;
      }
      mib.FragCreates++;
    }
    mib.FragOKs++;
    return 0;
  }

  private send6(info: IpSendInfo, buf: Uint8Array, off: number, len: number, now: Instant): number {
    const mib = this.counters.ip6;
    mib.OutRequests++;
    const r = this.route6(info.dst6, 0);
    if (r === undefined) {
      mib.OutNoRoutes++;
      return ERRNO.ENETUNREACH;
    }
    const ip = this.out6;
    if (isZero16(info.src6)) {
      const s = r.iface.source6(info.dst6, 0) ?? (r.iface === this.loopback ? info.dst6 : undefined);
      if (s === undefined) {
        mib.OutNoRoutes++;
        return ERRNO.EHOSTUNREACH;
      }
      ip.src.set(s);
    } else {
      if (this.localIface6(info.src6, 0) === undefined) {
        mib.OutDiscards++;
        return ERRNO.EINVAL;
      }
      ip.src.set(info.src6);
    }
    ip.dst.set(info.dst6);
    const iface = r.iface;
    const nextHop = r.nextHop;
    let mtu = r.mtu;
    const learnt = this.pmtu.get(info.dst6, now);
    if (learnt !== 0 && learnt < mtu) mtu = learnt;
    if (len > 65535) {
      mib.OutDiscards++;
      return ERRNO.EMSGSIZE;
    }
    ip.dscp = info.tos >>> 2;
    ip.ecn = info.tos & 3;
    ip.flowLabel = info.flowLabel & 0xfffff;
    ip.hopLimit = info.ttl >= 0 ? info.ttl & 0xff : this.sysctls.int('net.ipv6.conf.default.hop_limit');
    const total = IPV6_HEADER_LEN + len;
    const caps = iface.link?.caps;
    const tsoOk = caps !== undefined && caps.tso && total <= caps.maxTsoBytes;
    if (total <= mtu || tsoOk) {
      ip.nextHeader = info.protocol;
      ip.payloadLen = len;
      const ipOff = off - IPV6_HEADER_LEN;
      ip.emit(buf, ipOff);
      return this.linkOut6(iface, nextHop, buf, ipOff, total, now);
    }
    if (info.dontFragment) {
      mib.FragFails++;
      return ERRNO.EMSGSIZE;
    }
    // RFC 8200 §4.5: fragment at the source; the unfragmentable part is the fixed header only.
    const per = (mtu - IPV6_HEADER_LEN - IPV6_FRAGMENT_HEADER_LEN) & ~7;
    const ident = this.fragId6;
    this.fragId6 = (this.fragId6 + 1) >>> 0;
    ip.nextHeader = IPV6_NH_FRAGMENT;
    const f = this.frag;
    for (let done = 0; done < len; done += per) {
      const n = len - done < per ? len - done : per;
      ip.payloadLen = IPV6_FRAGMENT_HEADER_LEN + n;
      ip.emit(f, HEAD);
      const fh = HEAD + IPV6_HEADER_LEN;
      f[fh] = info.protocol;
      f[fh + 1] = 0;
      set16(f, fh + 2, done | (done + n < len ? 1 : 0));
      f[fh + 4] = ident >>> 24;
      f[fh + 5] = (ident >>> 16) & 0xff;
      f[fh + 6] = (ident >>> 8) & 0xff;
      f[fh + 7] = ident & 0xff;
      f.set(buf.subarray(off + done, off + done + n), fh + IPV6_FRAGMENT_HEADER_LEN);
      const e = this.linkOut6(iface, nextHop, f, HEAD, IPV6_HEADER_LEN + IPV6_FRAGMENT_HEADER_LEN + n, now);
      if (e !== 0) {
        mib.FragFails++;
        return e;
      }
      mib.FragCreates++;
    }
    mib.FragOKs++;
    return 0;
  }

  // ---- link output --------------------------------------------------------------------------

  private linkOut4(
    iface: Interface,
    nextHop: number,
    buf: Uint8Array,
    ipOff: number,
    len: number,
    now: Instant,
  ): number {
    if (iface.medium === 'loopback') return this.loopbackOut(buf, ipOff, len);
    if (iface.medium === 'ip') return this.transmit(iface, buf, ipOff, len, now);
    const dst = get32(buf, ipOff + 16);
    let mac: Uint8Array | undefined;
    if (dst === 0xffffffff || this.isBroadcastOn(iface, dst)) mac = BROADCAST_MAC;
    else if (isV4Multicast(dst)) {
      mac = this.ctlMac;
      mac[0] = 0x01;
      mac[1] = 0x00;
      mac[2] = 0x5e;
      mac[3] = (dst >>> 16) & 0x7f;
      mac[4] = (dst >>> 8) & 0xff;
      mac[5] = dst & 0xff;
    } else {
      const cache = iface.neigh4!;
      mac = cache.lookup(nextHop, now);
      if (mac === undefined) {
        const before = cache.stats.unresDiscards;
        cache.lookup(nextHop, now, buf.slice(ipOff, ipOff + len));
        this.runNeighborActions(iface, 4, now);
        return cache.stats.unresDiscards !== before ? ERRNO.ENOBUFS : 0;
      }
      this.runNeighborActions(iface, 4, now);
    }
    return this.ethOut(iface, mac, ETHERTYPE_IPV4, buf, ipOff, len, now);
  }

  private readonly ctlMac = new Uint8Array(6);

  private linkOut6(
    iface: Interface,
    nextHop: Uint8Array,
    buf: Uint8Array,
    ipOff: number,
    len: number,
    now: Instant,
  ): number {
    if (iface.medium === 'loopback') return this.loopbackOut(buf, ipOff, len);
    if (iface.medium === 'ip') return this.transmit(iface, buf, ipOff, len, now);
    let mac: Uint8Array | undefined;
    if (buf[ipOff + 24] === 0xff) {
      mac = this.ctlMac;
      mac[0] = 0x33;
      mac[1] = 0x33;
      for (let i = 0; i < 4; i++) mac[2 + i] = buf[ipOff + 36 + i]!;
    } else {
      const cache = iface.neigh6!;
      mac = cache.lookup(nextHop, now);
      if (mac === undefined) {
        const before = cache.stats.unresDiscards;
        cache.lookup(nextHop, now, buf.slice(ipOff, ipOff + len));
        this.runNeighborActions(iface, 6, now);
        return cache.stats.unresDiscards !== before ? ERRNO.ENOBUFS : 0;
      }
      this.runNeighborActions(iface, 6, now);
    }
    return this.ethOut(iface, mac, ETHERTYPE_IPV6, buf, ipOff, len, now);
  }

  private isBroadcastOn(iface: Interface, a: number): boolean {
    const v4 = iface.v4;
    const b = a >>> 0;
    for (let i = 0; i < v4.length; i++) if (v4[i]!.broadcast === b) return true;
    return false;
  }

  /** Writes an Ethernet header in front of `buf[off]` (14 bytes of headroom) and transmits. */
  private ethOut(
    iface: Interface,
    dstMac: Uint8Array,
    ethertype: number,
    buf: Uint8Array,
    off: number,
    len: number,
    now: Instant,
  ): number {
    const h = off - 14;
    for (let i = 0; i < 6; i++) {
      buf[h + i] = dstMac[i]!;
      buf[h + 6 + i] = iface.mac[i]!;
    }
    set16(buf, h + 12, ethertype);
    return this.transmit(iface, buf, h, len + 14, now);
  }

  private transmit(iface: Interface, buf: Uint8Array, off: number, len: number, now: Instant): number {
    if (iface.link!.transmit(buf, off, len, now)) return 0;
    this.counters.link.OutLinkRefused++;
    return ERRNO.ENOBUFS;
  }

  private loopbackOut(buf: Uint8Array, off: number, len: number): number {
    if (this.loCount === LOOPBACK_SLOTS) {
      this.counters.link.OutLinkRefused++;
      return ERRNO.ENOBUFS;
    }
    const i = (this.loHead + this.loCount) % LOOPBACK_SLOTS;
    while (this.loSlots.length <= i) this.loSlots.push(new Uint8Array(65536));
    this.loSlots[i]!.set(buf.subarray(off, off + len), 0);
    this.loLens[i] = len;
    this.loCount++;
    return 0;
  }

  private runNeighborActions(iface: Interface, version: 4 | 6, now: Instant): void {
    const cache = version === 4 ? iface.neigh4 : iface.neigh6;
    if (cache === undefined) return;
    const actions = (cache as { drain(): NeighborAction<IpAddr, PendingPacket>[] }).drain();
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i]!;
      if (a.kind === 'solicit') {
        if (version === 4) this.sendArp(iface, ArpOperation.Request, a.target as number, a.unicastTo, now);
        else this.sendNs(iface, a.target as Uint8Array, a.unicastTo, now);
      } else if (a.kind === 'flush') {
        for (const p of a.packets) {
          this.flushBuf.set(p, HEAD);
          this.ethOut(
            iface,
            a.mac,
            version === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6,
            this.flushBuf,
            HEAD,
            p.length,
            now,
          );
        }
      } else {
        // Resolution failed: tell the senders, as Linux does with a locally generated
        // host unreachable (ip_link_failure / ndisc_error_report).
        for (const p of a.packets) {
          this.counters.link.OutNeighborFailed++;
          if (version === 4) this.notifyLocal4(p, 0, p.length, IcmpErrorKind.HostUnreachable, ERRNO.EHOSTUNREACH, now);
          else this.notifyLocal6(p, 0, p.length, IcmpErrorKind.HostUnreachable, ERRNO.EHOSTUNREACH, now);
        }
      }
    }
  }

  private sendArp(
    iface: Interface,
    op: ArpOperation,
    target: number,
    toMac: Uint8Array | undefined,
    now: Instant,
  ): void {
    const src = op === ArpOperation.Request ? iface.source4(target) : this.arpReplySrc;
    if (src === undefined) return;
    const a = this.arpOut;
    a.operation = op;
    a.senderHardware.set(iface.mac);
    a.senderProtocol = src;
    a.targetHardware.set(op === ArpOperation.Request ? ZERO_MAC : toMac!);
    a.targetProtocol = target >>> 0;
    const c = this.ctl;
    const n = a.emit(c, 14 + 8);
    // Ethernet minimum frame: pad the 28-byte ARP message to 46 bytes.
    c.fill(0, 22 + n, 22 + 46);
    this.counters.link.OutArp++;
    this.ethOut(iface, toMac ?? BROADCAST_MAC, ETHERTYPE_ARP, c, 22, 46, now);
  }
  private arpReplySrc = 0;

  /** A Neighbor Solicitation for `target` (multicast to its solicited-node group, or unicast). */
  private sendNs(iface: Interface, target: Uint8Array, toMac: Uint8Array | undefined, now: Instant): void {
    const src = iface.source6(target, 0);
    if (src === undefined) return;
    const ipOff = 16;
    const ip = this.ndpIp;
    ip.src.set(src);
    if (toMac !== undefined) ip.dst.set(target);
    else solicitedNode(target, ip.dst, 0);
    const n = this.ndp.reset(Icmpv6Type.NeighborSolicit);
    n.target.set(target);
    n.addLinkAddr(NdpOptionType.SourceLinkAddr, iface.mac);
    this.emitNdp(iface, ipOff, toMac, now);
    this.counters.icmp6.OutNeighborSolicits++;
  }

  private sendNa(
    iface: Interface,
    target: Uint8Array,
    dst: Uint8Array,
    toMac: Uint8Array | undefined,
    solicited: boolean,
    now: Instant,
  ): void {
    const ip = this.ndpIp;
    ip.src.set(target);
    ip.dst.set(dst);
    const n = this.ndp.reset(Icmpv6Type.NeighborAdvert);
    n.target.set(target);
    n.solicited = solicited;
    n.override = true;
    n.addLinkAddr(NdpOptionType.TargetLinkAddr, iface.mac);
    this.emitNdp(iface, 16, toMac, now);
    this.counters.icmp6.OutNeighborAdvertisements++;
  }

  /** Emits `this.ndp` inside `this.ndpIp` (addresses set) at `ctl[ipOff]` and sends it. */
  private emitNdp(iface: Interface, ipOff: number, toMac: Uint8Array | undefined, now: Instant): void {
    const c = this.ctl;
    const ip = this.ndpIp;
    const len = this.ndp.headerLen();
    ip.dscp = 0;
    ip.ecn = 0;
    ip.flowLabel = 0;
    ip.nextHeader = IPPROTO_ICMPV6;
    ip.hopLimit = 255;
    ip.payloadLen = len;
    ip.emit(c, ipOff);
    this.ndp.emit(c, ipOff + IPV6_HEADER_LEN);
    fillIcmpv6Checksum(c, ipOff + IPV6_HEADER_LEN, len, this.addrsAt6(c, ipOff));
    this.counters.icmp6.OutMsgs++;
    let mac = toMac;
    if (mac === undefined) {
      mac = this.ctlMac;
      mac[0] = 0x33;
      mac[1] = 0x33;
      for (let i = 0; i < 4; i++) mac[2 + i] = c[ipOff + 36 + i]!;
    }
    this.ethOut(iface, mac, ETHERTYPE_IPV6, c, ipOff, IPV6_HEADER_LEN + len, now);
  }

  private addrsAt6(buf: Uint8Array, ipOff: number): ChecksumAddresses {
    const a = this.addrs6;
    a.v6 = buf;
    a.src6Off = ipOff + 8;
    a.dst6Off = ipOff + 24;
    return a;
  }

  // ---- Pollable -----------------------------------------------------------------------------

  pollAt(): Instant | undefined {
    if (this.loCount > 0 || this.moreRx) return this.lastNow;
    let t: Instant | undefined = earliest(this.reasm4.pollAt(), this.reasm6.pollAt());
    for (let i = 0; i < this.interfaces.length; i++) {
      const f = this.interfaces[i]!;
      if (f.neigh4 !== undefined) t = earliest(t, f.neigh4.pollAt());
      if (f.neigh6 !== undefined) t = earliest(t, f.neigh6.pollAt());
      if (f.link !== undefined) t = earliest(t, f.link.pollAt());
    }
    for (let i = 0; i < this.timedTransports.length; i++) t = earliest(t, this.timedTransports[i]!.pollAt!());
    return t;
  }

  poll(now: Instant): void {
    if (now > this.lastNow) this.lastNow = now;
    this.moreRx = false;
    for (let i = 0; i < this.interfaces.length; i++) {
      const f = this.interfaces[i]!;
      const link = f.link;
      if (link === undefined) continue;
      let n = 0;
      for (; n < this.rxBudget; n++) {
        const fr = link.receive(now);
        if (fr === undefined) break;
        this.rxGsoSize = fr.gsoSize;
        this.frameIn(f, fr.buf, fr.off, fr.len, now);
        this.rxGsoSize = 0;
        this.drainLoopback(now);
      }
      if (n === this.rxBudget) this.moreRx = true;
    }
    this.drainLoopback(now);
    this.runTimers(now);
    for (let i = 0; i < this.timedTransports.length; i++) {
      const t = this.timedTransports[i]!;
      const at = t.pollAt!();
      if (at !== undefined && at <= now) t.poll!(now);
    }
    this.drainLoopback(now);
  }

  /** Hands an echo reply (its source already set on `this.echo`) to `onEchoReply`. */
  private deliverEchoReply(
    version: 4 | 6,
    info: IpPacketInfo,
    buf: Uint8Array,
    dataOff: number,
    m: { identifier: number; sequence: number; dataLen: number },
    now: Instant,
  ): void {
    const e = this.echo;
    e.version = version;
    e.identifier = m.identifier;
    e.sequence = m.sequence;
    e.buf = buf;
    e.off = dataOff;
    e.len = m.dataLen;
    e.ttl = info.ttl;
    this.onEchoReply?.(e, now);
  }

  private drainLoopback(now: Instant): void {
    // Bounded: what is queued while draining waits for the next poll once the slots turn over.
    let budget = LOOPBACK_SLOTS * 4;
    while (this.loCount > 0 && budget-- > 0) {
      const i = this.loHead;
      const buf = this.loSlots[i]!;
      const len = this.loLens[i]!;
      this.ipIn(this.loopback, buf, 0, len, now);
      this.loHead = (this.loHead + 1) % LOOPBACK_SLOTS;
      this.loCount--;
    }
  }

  private runTimers(now: Instant): void {
    for (let i = 0; i < this.interfaces.length; i++) {
      const f = this.interfaces[i]!;
      if (f.neigh4 !== undefined) {
        f.neigh4.poll(now);
        this.runNeighborActions(f, 4, now);
      }
      if (f.neigh6 !== undefined) {
        f.neigh6.poll(now);
        this.runNeighborActions(f, 6, now);
      }
    }
    const at4 = this.reasm4.pollAt();
    if (at4 !== undefined && at4 <= now) {
      const exp = this.reasm4.poll(now);
      this.syncReasm4();
      for (const e of exp) {
        // RFC 792: time exceeded, code 1, quoting the first fragment.
        this.icmpError4(Icmpv4Type.TimeExceeded, 1, 0, e.buf, e.off, e.len, now);
      }
    }
    const at6 = this.reasm6.pollAt();
    if (at6 !== undefined && at6 <= now) {
      const exp = this.reasm6.poll(now);
      this.syncReasm6();
      for (const e of exp) this.icmpError6(Icmpv6Type.TimeExceeded, 1, 0, e.buf, e.off, e.len, now);
    }
  }

  // ---- input --------------------------------------------------------------------------------

  private drop(r: DropReason): void {
    this.counters.drops.count(r);
  }

  private frameIn(iface: Interface, buf: Uint8Array, off: number, len: number, now: Instant): void {
    if (iface.medium !== 'ethernet') {
      this.ipIn(iface, buf, off, len, now);
      return;
    }
    const lm = this.counters.link;
    lm.InFrames++;
    const e = this.eth;
    const r = e.check(buf, off, len);
    if (r !== DropReason.Ok) {
      this.drop(r);
      return;
    }
    const d = e.dstOffset;
    if (!isMulticastMac(buf, d)) {
      for (let i = 0; i < 6; i++) {
        if (buf[d + i] !== iface.mac[i]) {
          lm.InOtherHost++;
          this.drop(DropReason.NotForUs);
          return;
        }
      }
    }
    if (e.hasVlan || e.hasOuterVlan) {
      this.drop(DropReason.Unsupported);
      return;
    }
    const type = e.ethertype;
    const p = e.payloadOffset;
    const n = e.payloadLength;
    if (type === ETHERTYPE_IPV4) this.ipv4In(iface, buf, p, n, now);
    else if (type === ETHERTYPE_IPV6) this.ipv6In(iface, buf, p, n, now);
    else if (type === ETHERTYPE_ARP) this.arpIn(iface, buf, p, n, now);
    else this.drop(DropReason.Unsupported);
  }

  private ipIn(iface: Interface, buf: Uint8Array, off: number, len: number, now: Instant): void {
    if (len < 1) {
      this.drop(DropReason.Truncated);
      return;
    }
    const v = buf[off]! >>> 4;
    if (v === 4) this.ipv4In(iface, buf, off, len, now);
    else if (v === 6) this.ipv6In(iface, buf, off, len, now);
    else this.drop(DropReason.BadVersion);
  }

  private arpIn(iface: Interface, buf: Uint8Array, off: number, len: number, now: Instant): void {
    this.counters.link.InArp++;
    const v = this.arpView;
    let r = v.check(buf, off, len);
    if (r === DropReason.Ok) r = this.arp.parse(v);
    if (r !== DropReason.Ok) {
      this.drop(r);
      return;
    }
    const a = this.arp;
    const cache = iface.neigh4!;
    const spa = a.senderProtocol;
    const tpa = a.targetProtocol;
    // A group sender address, or someone claiming one of our addresses: not learnt from.
    if (isMulticastMac(a.senderHardware, 0) || (spa !== 0 && iface.hasV4(spa))) {
      this.drop(DropReason.BadAddress);
      return;
    }
    const forUs = iface.hasV4(tpa);
    if (a.operation === ArpOperation.Reply) {
      if (spa !== 0) cache.onReply(spa, a.senderHardware, now);
    } else if (spa !== 0 && (forUs || cache.state(spa) !== undefined)) {
      cache.onSolicitation(spa, a.senderHardware, now);
    }
    this.runNeighborActions(iface, 4, now);
    if (a.operation === ArpOperation.Request && forUs) {
      this.arpReplySrc = tpa;
      const mac = this.peerMac;
      mac.set(a.senderHardware);
      this.sendArp(iface, ArpOperation.Reply, spa, mac, now);
    }
  }

  private ipv4In(iface: Interface, buf: Uint8Array, off: number, len: number, now: Instant): void {
    const mib = this.counters.ip;
    mib.InReceives++;
    const v = this.v4view;
    let r = v.check(buf, off, len);
    if (r !== DropReason.Ok) {
      if (r === DropReason.Truncated || r === DropReason.Ipv4BadTotalLength) mib.InTruncatedPkts++;
      else mib.InHdrErrors++;
      this.drop(r);
      return;
    }
    const offload = iface.checksumOffload;
    if (!offload && !verifyIpv4Checksum(buf, off, v.headerLength)) {
      mib.InCsumErrors++;
      mib.InHdrErrors++;
      this.drop(DropReason.BadChecksum);
      return;
    }
    const ip = this.v4repr;
    r = ip.parse(v);
    if (r !== DropReason.Ok) {
      mib.InHdrErrors++;
      this.drop(r);
      return;
    }
    const src = ip.src;
    const dst = ip.dst;
    // Martians: a broadcast or multicast source; loopback addresses from outside.
    if (src === 0xffffffff || isV4Multicast(src) || this.isBroadcastOn(iface, src)) {
      mib.InAddrErrors++;
      this.drop(DropReason.BadAddress);
      return;
    }
    if (iface !== this.loopback && (dst >>> 24 === 127 || src >>> 24 === 127)) {
      mib.InAddrErrors++;
      this.drop(DropReason.BadAddress);
      return;
    }
    let multicast = false;
    if (dst === 0xffffffff || this.isBroadcastOn(iface, dst) || isV4Multicast(dst)) multicast = true;
    else if (!this.isLocal4(dst)) {
      // Not forwarding (ip_forward = 0 is the only mode here).
      mib.InAddrErrors++;
      this.drop(DropReason.NotForUs);
      return;
    }
    let pbuf = buf;
    let poff = off;
    let plen = v.len;
    let hlen = v.headerLength;
    if (ip.isFragment) {
      const o = this.reasm4.push(v, ip, now);
      this.syncReasm4();
      if (o === ReasmOutcome.Pending) return;
      if (o !== ReasmOutcome.Complete) {
        this.drop(reasmDropReason(o, false));
        return;
      }
      const res = this.reasm4.out;
      r = v.check(res.buf, res.off, res.len);
      if (r === DropReason.Ok) r = ip.parse(v);
      if (r !== DropReason.Ok) {
        mib.ReasmFails++;
        this.drop(r);
        return;
      }
      pbuf = res.buf;
      poff = res.off;
      plen = v.len;
      hlen = v.headerLength;
    }
    const info = this.info;
    info.version = 4;
    info.src4 = src;
    info.dst4 = dst;
    info.tos = (ip.dscp << 2) | ip.ecn;
    info.ttl = ip.ttl;
    info.flowLabel = 0;
    info.ifindex = iface.index;
    info.protocol = ip.protocol;
    info.buf = pbuf;
    info.off = poff + hlen;
    info.len = plen - hlen;
    info.checksumValidated = offload;
    info.gsoSize = this.rxGsoSize;
    info.multicast = multicast;
    info.ipOff = poff;
    info.ipLen = plen;
    this.deliver(info, now);
  }

  private syncReasm4(): void {
    const s = this.reasm4.stats;
    const m = this.counters.ip;
    m.ReasmReqds = s.ReasmReqds;
    m.ReasmOKs = s.ReasmOKs;
    m.ReasmFails = s.ReasmFails;
    m.ReasmTimeout = s.ReasmTimeout;
  }

  private syncReasm6(): void {
    const s = this.reasm6.stats;
    const m = this.counters.ip6;
    m.ReasmReqds = s.ReasmReqds;
    m.ReasmOKs = s.ReasmOKs;
    m.ReasmFails = s.ReasmFails;
    m.ReasmTimeout = s.ReasmTimeout;
  }

  private ipv6In(iface: Interface, buf: Uint8Array, off: number, len: number, now: Instant): void {
    const mib = this.counters.ip6;
    mib.InReceives++;
    const v = this.v6view;
    let r = v.check(buf, off, len);
    if (r !== DropReason.Ok) {
      if (r === DropReason.Truncated || r === DropReason.Ipv6BadPayloadLength) mib.InTruncatedPkts++;
      else mib.InHdrErrors++;
      this.drop(r);
      return;
    }
    const s = v.srcOffset;
    const d = v.dstOffset;
    // RFC 4291 §2.7: a multicast source is invalid; ::1 must not arrive from outside.
    if (buf[s] === 0xff || (iface !== this.loopback && (isLoopback6(buf, s) || isLoopback6(buf, d)))) {
      mib.InAddrErrors++;
      this.drop(DropReason.BadAddress);
      return;
    }
    let multicast = false;
    if (buf[d] === 0xff) {
      if (!isAllNodes(buf, d) && !iface.isSolicitedNode(buf, d)) {
        mib.InAddrErrors++;
        this.drop(DropReason.NotForUs);
        return;
      }
      multicast = true;
    } else if (this.localIface6(buf, d) === undefined) {
      mib.InAddrErrors++;
      this.drop(DropReason.NotForUs);
      return;
    }
    const w = this.walker;
    r = w.walk(v);
    if (r !== DropReason.Ok) {
      mib.InHdrErrors++;
      this.drop(r);
      if (w.errorOffset >= 0 && !multicast) {
        this.icmpError6(
          Icmpv6Type.ParamProblem,
          Icmpv6ParamProblem.ErroneousHeaderField,
          w.errorOffset - off,
          buf,
          off,
          v.len,
          now,
        );
      }
      return;
    }
    if (w.hasFragment && (w.fragmentOffset !== 0 || w.moreFragments)) {
      const o = this.reasm6.push(v, w, now);
      this.syncReasm6();
      if (o === ReasmOutcome.Pending) return;
      if (o !== ReasmOutcome.Complete) {
        this.drop(reasmDropReason(o, true));
        return;
      }
      const res = this.reasm6.out;
      r = v.check(res.buf, res.off, res.len);
      if (r === DropReason.Ok) r = w.walk(v);
      if (r !== DropReason.Ok) {
        mib.ReasmFails++;
        this.drop(r);
        return;
      }
    }
    const b = v.buf;
    const info = this.info;
    info.version = 6;
    for (let i = 0; i < 16; i++) {
      info.src6[i] = b[v.srcOffset + i]!;
      info.dst6[i] = b[v.dstOffset + i]!;
    }
    info.src4 = 0;
    info.dst4 = 0;
    info.tos = v.trafficClass;
    info.ttl = v.hopLimit;
    info.flowLabel = v.flowLabel;
    info.ifindex = iface.index;
    info.protocol = w.protocol;
    info.buf = b;
    info.off = w.offset;
    info.len = w.length;
    info.checksumValidated = iface.checksumOffload;
    info.gsoSize = this.rxGsoSize;
    info.multicast = multicast;
    info.ipOff = v.off;
    info.ipLen = v.len;
    if (w.protocol === IPV6_NH_NONE) {
      mib.InDelivers++;
      return;
    }
    this.deliver(info, now, iface, w.nextHeaderOffset - v.off);
  }

  /** Hands a packet for this host to its protocol. `nhPointer`: IPv6 offset of the Next Header byte. */
  private deliver(info: IpPacketInfo, now: Instant, iface?: Interface, nhPointer = 6): void {
    const mib = info.version === 4 ? this.counters.ip : this.counters.ip6;
    const p = info.protocol;
    if (info.version === 4 && p === IPPROTO_ICMP) {
      mib.InDelivers++;
      this.icmp4In(info, now);
      return;
    }
    if (info.version === 6 && p === IPPROTO_ICMPV6) {
      mib.InDelivers++;
      this.icmp6In(info, iface ?? this.loopback, now);
      return;
    }
    const t = p === this.udp.protocol ? this.udp : this.transports[p];
    if (t === undefined) {
      mib.InUnknownProtos++;
      this.drop(DropReason.UnknownProtocol);
      if (info.multicast) return;
      if (info.version === 4) {
        this.icmpError4(
          Icmpv4Type.DestUnreachable,
          Icmpv4Unreachable.ProtocolUnreachable,
          0,
          info.buf,
          info.ipOff,
          info.ipLen,
          now,
        );
      } else {
        this.icmpError6(
          Icmpv6Type.ParamProblem,
          Icmpv6ParamProblem.UnrecognizedNextHeader,
          nhPointer,
          info.buf,
          info.ipOff,
          info.ipLen,
          now,
        );
      }
      return;
    }
    mib.InDelivers++;
    t.input(info, now);
  }

  private portUnreachable(pkt: IpPacketInfo, now: Instant): void {
    if (pkt.version === 4) {
      this.icmpError4(
        Icmpv4Type.DestUnreachable,
        Icmpv4Unreachable.PortUnreachable,
        0,
        pkt.buf,
        pkt.ipOff,
        pkt.ipLen,
        now,
      );
    } else {
      this.icmpError6(
        Icmpv6Type.DestUnreachable,
        Icmpv6Unreachable.PortUnreachable,
        0,
        pkt.buf,
        pkt.ipOff,
        pkt.ipLen,
        now,
      );
    }
  }

  // ---- ICMPv4 -------------------------------------------------------------------------------

  private icmp4In(info: IpPacketInfo, now: Instant): void {
    const mib = this.counters.icmp;
    mib.InMsgs++;
    const v = this.icmp4view;
    let r = v.check(info.buf, info.off, info.len);
    if (r === DropReason.Ok && !info.checksumValidated && !verifyIcmpv4Checksum(info.buf, info.off, info.len)) {
      mib.InCsumErrors++;
      r = DropReason.BadChecksum;
    }
    const m = this.icmp4;
    if (r === DropReason.Ok) r = m.parse(v);
    if (r !== DropReason.Ok) {
      mib.InErrors++;
      this.drop(r);
      return;
    }
    switch (m.type) {
      case Icmpv4Type.EchoRequest: {
        mib.InEchos++;
        if (this.sysctls.int('net.ipv4.icmp_echo_ignore_all') !== 0 || info.multicast) return;
        const t = this.tx;
        const n = ICMPV4_HEADER_LEN + m.dataLen;
        t.set(info.buf.subarray(info.off, info.off + n), HEAD);
        t[HEAD] = Icmpv4Type.EchoReply;
        fillIcmpv4Checksum(t, HEAD, n);
        const s = this.sendInfo;
        s.version = 4;
        s.src4 = info.dst4;
        s.dst4 = info.src4;
        s.protocol = IPPROTO_ICMP;
        s.tos = info.tos;
        s.ttl = -1;
        s.dontFragment = false;
        if (this.send4(s, t, HEAD, n, now) === 0) {
          mib.OutMsgs++;
          mib.OutEchoReps++;
        }
        return;
      }
      case Icmpv4Type.EchoReply: {
        mib.InEchoReps++;
        this.echo.from4 = info.src4;
        this.deliverEchoReply(4, info, info.buf, v.dataOffset, m, now);
        return;
      }
      case Icmpv4Type.DestUnreachable:
        mib.InDestUnreachs++;
        break;
      case Icmpv4Type.TimeExceeded:
        mib.InTimeExcds++;
        break;
      case Icmpv4Type.ParamProblem:
        mib.InParmProbs++;
        break;
      default:
        break;
    }
    if (!isIcmpv4Error(m.type) || !icmp4Meaning(m.type, m.code, this.meaning)) return;
    // The quoted datagram: its header (IHL checked by the repr) and at least 8 bytes after it.
    const q = v.quotedOffset;
    const qhl = v.quotedIpHeaderLength;
    const qsrc = get32(info.buf, q + 12);
    const qdst = get32(info.buf, q + 16);
    const qproto = info.buf[q + 9]!;
    // Only the first fragment carries the transport header.
    if ((get16(info.buf, q + 6) & 0x1fff) !== 0) return;
    if (!this.isLocal4(qsrc)) return;
    const e = this.errInfo;
    e.kind = this.meaning.kind;
    e.errno = this.meaning.errno;
    e.icmpType = m.type;
    e.icmpCode = m.code;
    e.version = 4;
    e.src4 = qsrc;
    e.dst4 = qdst;
    e.protocol = qproto;
    e.buf = info.buf;
    e.off = q + qhl;
    e.len = v.quotedLength - qhl;
    e.from4 = info.src4;
    e.mtu = 0;
    if (e.kind === IcmpErrorKind.PacketTooBig) {
      if (this.sysctls.int('net.ipv4.ip_no_pmtu_disc') !== 0) return;
      const cur = this.pathMtu(qdst, now);
      if (cur === 0) return;
      this.pmtu.update(qdst, m.nextHopMtu, cur, now);
      e.mtu = this.pathMtu(qdst, now);
    }
    this.toTransport(e, now);
  }

  private toTransport(e: IcmpErrorInfo, now: Instant): void {
    const t = e.protocol === this.udp.protocol ? this.udp : this.transports[e.protocol];
    t?.errorInput?.(e, now);
  }

  /** A locally generated error about our own queued IPv4 packet (resolution failed). */
  private notifyLocal4(
    p: Uint8Array,
    off: number,
    len: number,
    kind: IcmpErrorKind,
    errno: number,
    now: Instant,
  ): void {
    if (len < 28) return;
    const hl = (p[off]! & 0x0f) << 2;
    if (hl < 20 || len < hl + 8 || (get16(p, off + 6) & 0x1fff) !== 0) return;
    const e = this.errInfo;
    e.kind = kind;
    e.errno = errno;
    e.icmpType = Icmpv4Type.DestUnreachable;
    e.icmpCode = Icmpv4Unreachable.HostUnreachable;
    e.version = 4;
    e.src4 = get32(p, off + 12);
    e.dst4 = get32(p, off + 16);
    e.protocol = p[off + 9]!;
    e.buf = p;
    e.off = off + hl;
    e.len = len - hl;
    e.mtu = 0;
    e.from4 = e.src4;
    this.toTransport(e, now);
  }

  private notifyLocal6(
    p: Uint8Array,
    off: number,
    len: number,
    kind: IcmpErrorKind,
    errno: number,
    now: Instant,
  ): void {
    if (!this.quoted6(p, off, len)) return;
    const e = this.errInfo;
    e.kind = kind;
    e.errno = errno;
    e.icmpType = Icmpv6Type.DestUnreachable;
    e.icmpCode = Icmpv6Unreachable.AddressUnreachable;
    e.mtu = 0;
    e.from6.set(e.src6);
    this.toTransport(e, now);
  }

  /**
   * Builds and sends an ICMPv4 error quoting `buf[off, off + len)` (an IPv4 datagram), unless RFC 1122
   * §3.2.2 forbids it or the rate limit says no.
   */
  private icmpError4(
    type: number,
    code: number,
    param: number,
    buf: Uint8Array,
    off: number,
    len: number,
    now: Instant,
  ): void {
    if (len < IPV4_HEADER_LEN) return;
    const hl = (buf[off]! & 0x0f) << 2;
    const osrc = get32(buf, off + 12);
    const odst = get32(buf, off + 16);
    // RFC 1122 §3.2.2: never about an ICMP error, a non-first fragment, or a broadcast/multicast.
    if ((get16(buf, off + 6) & 0x1fff) !== 0) return;
    if (osrc === 0 || osrc === 0xffffffff || isV4Multicast(osrc) || isV4Multicast(odst) || odst === 0xffffffff) return;
    if (buf[off + 9] === IPPROTO_ICMP && len >= hl + 1 && isIcmpv4Error(buf[off + hl]!)) return;
    const mib = this.counters.icmp;
    const toSelf = this.isLocal4(osrc);
    if (!toSelf && !this.limiter.allow(osrc, this.sysctls.int('net.ipv4.icmp_ratelimit'), now)) {
      mib.OutRateLimitHost++;
      return;
    }
    const t = this.tx;
    const quote = Math.min(len, ICMP4_ERROR_MAX - IPV4_HEADER_LEN - ICMPV4_HEADER_LEN);
    const m = this.icmp4.setError(type, code, quote, param);
    m.emit(t, HEAD);
    t.set(buf.subarray(off, off + quote), HEAD + ICMPV4_HEADER_LEN);
    const n = ICMPV4_HEADER_LEN + quote;
    fillIcmpv4Checksum(t, HEAD, n);
    const s = this.sendInfo;
    s.version = 4;
    s.src4 = this.isLocal4(odst) ? odst : 0;
    s.dst4 = osrc;
    s.protocol = IPPROTO_ICMP;
    s.tos = TOS_INTERNETCONTROL;
    s.ttl = -1;
    s.dontFragment = false;
    if (this.send4(s, t, HEAD, n, now) !== 0) return;
    mib.OutMsgs++;
    if (type === Icmpv4Type.DestUnreachable) mib.OutDestUnreachs++;
    else if (type === Icmpv4Type.TimeExceeded) mib.OutTimeExcds++;
    else if (type === Icmpv4Type.ParamProblem) mib.OutParmProbs++;
  }

  // ---- ICMPv6 -------------------------------------------------------------------------------

  private icmp6In(info: IpPacketInfo, iface: Interface, now: Instant): void {
    const mib = this.counters.icmp6;
    mib.InMsgs++;
    const v = this.icmp6view;
    const b = info.buf;
    let r = v.check(b, info.off, info.len);
    if (r === DropReason.Ok && !info.checksumValidated) {
      if (!verifyIcmpv6Checksum(b, info.off, info.len, this.addrsAt6(b, info.ipOff))) {
        mib.InCsumErrors++;
        r = DropReason.BadChecksum;
      }
    }
    if (r !== DropReason.Ok) {
      mib.InErrors++;
      this.drop(r);
      return;
    }
    const type = v.type;
    if (type === Icmpv6Type.NeighborSolicit || type === Icmpv6Type.NeighborAdvert) {
      this.ndpIn(info, iface, now);
      return;
    }
    if (type >= Icmpv6Type.RouterSolicit && type <= Icmpv6Type.Redirect) return; // RS/RA/redirect: not acted on
    const m = this.icmp6;
    r = m.parse(v);
    if (r !== DropReason.Ok) {
      mib.InErrors++;
      this.drop(r);
      return;
    }
    switch (type) {
      case Icmpv6Type.EchoRequest: {
        mib.InEchos++;
        const t = this.tx;
        const n = ICMPV6_HEADER_LEN + m.dataLen;
        t.set(b.subarray(info.off, info.off + n), HEAD);
        t[HEAD] = Icmpv6Type.EchoReply;
        const s = this.sendInfo;
        s.version = 6;
        if (info.multicast) {
          const src = iface.source6(info.src6, 0);
          if (src === undefined) return;
          s.src6.set(src);
        } else s.src6.set(info.dst6);
        s.dst6.set(info.src6);
        // The checksum covers the addresses: build them where `addrsAt6` can see them.
        const pair = this.tx;
        const ph = HEAD - IPV6_HEADER_LEN - 16;
        for (let i = 0; i < 16; i++) {
          pair[ph + 8 + i] = s.src6[i]!;
          pair[ph + 24 + i] = s.dst6[i]!;
        }
        fillIcmpv6Checksum(t, HEAD, n, this.addrsAt6(pair, ph));
        s.protocol = IPPROTO_ICMPV6;
        s.tos = info.tos;
        s.ttl = -1;
        s.flowLabel = 0;
        s.dontFragment = false;
        if (this.send6(s, t, HEAD, n, now) === 0) {
          mib.OutMsgs++;
          mib.OutEchoReps++;
        }
        return;
      }
      case Icmpv6Type.EchoReply: {
        mib.InEchoReps++;
        this.echo.from6.set(info.src6);
        this.deliverEchoReply(6, info, b, v.dataOffset, m, now);
        return;
      }
      case Icmpv6Type.DestUnreachable:
        mib.InDestUnreachs++;
        break;
      case Icmpv6Type.PacketTooBig:
        mib.InPktTooBigs++;
        break;
      case Icmpv6Type.TimeExceeded:
        mib.InTimeExcds++;
        break;
      case Icmpv6Type.ParamProblem:
        mib.InParmProbs++;
        break;
      default:
        return;
    }
    if (!icmp6Meaning(type, m.code, this.meaning)) return;
    if (!this.quoted6(b, v.quotedOffset, v.quotedLength)) return;
    const e = this.errInfo;
    if (this.localIface6(e.src6, 0) === undefined) return;
    e.kind = this.meaning.kind;
    e.errno = this.meaning.errno;
    e.icmpType = type;
    e.icmpCode = m.code;
    e.from6.set(info.src6);
    e.mtu = 0;
    if (e.kind === IcmpErrorKind.PacketTooBig) {
      const dst = this.b16;
      dst.set(e.dst6);
      const cur = this.pathMtu(dst, now);
      if (cur === 0) return;
      this.pmtu.update(dst, m.mtu, cur, now);
      e.mtu = this.pathMtu(dst, now);
    }
    this.toTransport(e, now);
  }

  /**
   * Fills `errInfo`'s version, addresses, protocol and transport bytes from a quoted IPv6 packet
   * (skipping a Fragment header); false when no transport header can be found.
   */
  private quoted6(b: Uint8Array, q: number, qlen: number): boolean {
    if (qlen < IPV6_HEADER_LEN + 4) return false;
    const e = this.errInfo;
    e.version = 6;
    for (let i = 0; i < 16; i++) {
      e.src6[i] = b[q + 8 + i]!;
      e.dst6[i] = b[q + 24 + i]!;
    }
    let nh = b[q + 6]!;
    let p = q + IPV6_HEADER_LEN;
    if (nh === IPV6_NH_FRAGMENT) {
      if (qlen < IPV6_HEADER_LEN + IPV6_FRAGMENT_HEADER_LEN + 4) return false;
      if ((get16(b, p + 2) & 0xfff8) !== 0) return false;
      nh = b[p]!;
      p += IPV6_FRAGMENT_HEADER_LEN;
    }
    e.protocol = nh;
    e.buf = b;
    e.off = p;
    e.len = q + qlen - p;
    return true;
  }

  private ndpIn(info: IpPacketInfo, iface: Interface, now: Instant): void {
    const mib = this.counters.icmp6;
    const n = this.ndp;
    let r = n.parse(this.icmp6view);
    if (r === DropReason.Ok) r = checkNdpHopLimit(info.ttl);
    if (r !== DropReason.Ok) {
      mib.InErrors++;
      this.drop(r);
      return;
    }
    const cache = iface.neigh6;
    if (cache === undefined) return;
    if (n.type === Icmpv6Type.NeighborSolicit) {
      mib.InNeighborSolicits++;
      const idx = iface.findV6(n.target, 0);
      if (idx < 0) return;
      const target = iface.v6[idx]!.addr;
      const sll = n.findOption(NdpOptionType.SourceLinkAddr);
      if (isZero16(info.src6)) {
        // RFC 4861 §7.2.4: a DAD probe is answered to all-nodes, not solicited.
        if (sll !== undefined) return; // §7.1.1: an unspecified source carries no SLLA
        this.sendNa(iface, target, ALL_NODES, undefined, false, now);
        return;
      }
      const mac = this.peerMac;
      if (sll !== undefined) {
        mac.set(sll.linkAddr);
        cache.onSolicitation(info.src6, mac, now);
        this.runNeighborActions(iface, 6, now);
      } else {
        const known = cache.info(info.src6)?.mac;
        if (known === undefined) return;
        mac.set(known);
      }
      const dst = this.a16;
      dst.set(info.src6);
      this.sendNa(iface, target, dst, mac, true, now);
      return;
    }
    mib.InNeighborAdvertisements++;
    const tll = n.findOption(NdpOptionType.TargetLinkAddr);
    cache.onAdvertisement(
      n.target,
      tll?.linkAddr,
      { solicited: n.solicited, override: n.override, router: n.router },
      now,
    );
    this.runNeighborActions(iface, 6, now);
  }

  private icmpError6(
    type: number,
    code: number,
    param: number,
    buf: Uint8Array,
    off: number,
    len: number,
    now: Instant,
  ): void {
    if (len < IPV6_HEADER_LEN) return;
    const s = off + 8;
    const d = off + 24;
    // RFC 4443 §2.4(e): not about a multicast destination (except the two exempt errors), nor from
    // an unspecified or multicast source, nor about an ICMPv6 error.
    if (buf[s] === 0xff || isZero16At(buf, s)) return;
    const exempt = type === Icmpv6Type.PacketTooBig || (type === Icmpv6Type.ParamProblem && code === 2);
    if (buf[d] === 0xff && !exempt) return;
    if (buf[off + 6] === IPPROTO_ICMPV6 && len > IPV6_HEADER_LEN && isIcmpv6Error(buf[off + IPV6_HEADER_LEN]!)) return;
    const mib = this.counters.icmp6;
    const osrc = this.a16;
    for (let i = 0; i < 16; i++) osrc[i] = buf[s + i]!;
    const toSelf = this.localIface6(osrc, 0) !== undefined;
    if (!toSelf && !this.limiter.allow(osrc, this.sysctls.int('net.ipv4.icmp_ratelimit'), now)) {
      mib.OutRateLimitHost++;
      return;
    }
    const sinfo = this.sendInfo;
    sinfo.version = 6;
    sinfo.dst6.set(osrc);
    if (buf[d] !== 0xff && this.localIface6(buf, d) !== undefined) {
      for (let i = 0; i < 16; i++) sinfo.src6[i] = buf[d + i]!;
    } else {
      const src = this.sourceFor(osrc);
      if (src === undefined || typeof src === 'number') return;
      sinfo.src6.set(src);
    }
    const t = this.tx;
    const quote = Math.min(len, ICMP6_ERROR_MAX - IPV6_HEADER_LEN - ICMPV6_HEADER_LEN);
    this.icmp6.setError(type, code, quote, param).emit(t, HEAD);
    t.set(buf.subarray(off, off + quote), HEAD + ICMPV6_HEADER_LEN);
    const n = ICMPV6_HEADER_LEN + quote;
    const ph = HEAD - IPV6_HEADER_LEN - 16;
    for (let i = 0; i < 16; i++) {
      t[ph + 8 + i] = sinfo.src6[i]!;
      t[ph + 24 + i] = sinfo.dst6[i]!;
    }
    fillIcmpv6Checksum(t, HEAD, n, this.addrsAt6(t, ph));
    sinfo.protocol = IPPROTO_ICMPV6;
    sinfo.tos = 0;
    sinfo.ttl = -1;
    sinfo.flowLabel = 0;
    sinfo.dontFragment = false;
    if (this.send6(sinfo, t, HEAD, n, now) !== 0) return;
    mib.OutMsgs++;
    if (type === Icmpv6Type.DestUnreachable) mib.OutDestUnreachs++;
    else if (type === Icmpv6Type.TimeExceeded) mib.OutTimeExcds++;
    else if (type === Icmpv6Type.ParamProblem) mib.OutParmProbs++;
  }

  // ---- ping ---------------------------------------------------------------------------------

  /**
   * Sends an ICMP/ICMPv6 echo request to `dst` with `data` as its payload. 0 or an errno (as
   * `IpOutput.send`). Replies arrive through `onEchoReply`.
   */
  ping(dst: IpAddr, identifier: number, sequence: number, data: Uint8Array, now: Instant): number {
    const t = this.tx;
    const s = this.sendInfo;
    s.tos = 0;
    s.ttl = -1;
    s.flowLabel = 0;
    s.dontFragment = false;
    if (typeof dst === 'number') {
      const n = ICMPV4_HEADER_LEN + data.length;
      if (n + IPV4_HEADER_LEN > IPV4_MAX_TOTAL_LEN) return ERRNO.EMSGSIZE;
      this.icmp4.setEcho(Icmpv4Type.EchoRequest, identifier, sequence, data.length).emit(t, HEAD);
      t.set(data, HEAD + ICMPV4_HEADER_LEN);
      fillIcmpv4Checksum(t, HEAD, n);
      s.version = 4;
      s.src4 = 0;
      s.dst4 = dst >>> 0;
      s.protocol = IPPROTO_ICMP;
      const r = this.send4(s, t, HEAD, n, now);
      if (r === 0) {
        this.counters.icmp.OutMsgs++;
        this.counters.icmp.OutEchos++;
      }
      return r;
    }
    const n = ICMPV6_HEADER_LEN + data.length;
    if (n > 65535) return ERRNO.EMSGSIZE;
    const src = this.sourceFor(dst);
    if (src === undefined || typeof src === 'number') return ERRNO.ENETUNREACH;
    s.version = 6;
    s.src6.set(src);
    s.dst6.set(dst.subarray(0, 16));
    this.icmp6.setEcho(Icmpv6Type.EchoRequest, identifier, sequence, data.length).emit(t, HEAD);
    t.set(data, HEAD + ICMPV6_HEADER_LEN);
    const ph = HEAD - IPV6_HEADER_LEN - 16;
    for (let i = 0; i < 16; i++) {
      t[ph + 8 + i] = s.src6[i]!;
      t[ph + 24 + i] = s.dst6[i]!;
    }
    fillIcmpv6Checksum(t, HEAD, n, this.addrsAt6(t, ph));
    s.protocol = IPPROTO_ICMPV6;
    const r = this.send6(s, t, HEAD, n, now);
    if (r === 0) {
      this.counters.icmp6.OutMsgs++;
      this.counters.icmp6.OutEchos++;
    }
    return r;
  }
}

function isMapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** An IPv4-mapped IPv6 address as the IPv4 address it stands for; anything else unchanged. */
function unmap(a: IpAddr): IpAddr {
  return typeof a !== 'number' && isMapped(a) ? get32(a, 12) : a;
}

function isZero16(a: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== 0) return false;
  return true;
}

function isZero16At(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (b[off + i] !== 0) return false;
  return true;
}

function isLoopback6(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 15; i++) if (b[off + i] !== 0) return false;
  return b[off + 15] === 1;
}

function isAllNodes(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (b[off + i] !== ALL_NODES[i]) return false;
  return true;
}
