/**
 * The seam between the IP layer and the transports (UDP here, TCP in core/tcp).
 *
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) given to `IpOutput` stand for the IPv4 address:
 * a dual-stack socket may pass them as they are and the packet goes out as IPv4 (`sourceFor` then
 * answers with an IPv4 number).
 *
 * Input: the IP layer fills one reused `IpPacketInfo` per delivered packet and calls the
 * transport registered for its protocol number. The info and the bytes it points at are borrowed
 * for the duration of the call only.
 *
 * Output: a transport writes its header and payload at `buf[off, off + len)` leaving at least
 * `IP_HEADROOM` bytes in front (FramePool slots have 128 B), fills a reused `IpSendInfo` and calls
 * `IpOutput.send`. The IP layer writes its header (and the link header) into that headroom in
 * place, so an unfragmented packet is never copied before the link copies it.
 *
 * Errors: ICMP errors quoting one of the transport's packets reach it through `errorInput`, with
 * the quoted addresses and the quoted transport header (at least 8 bytes: the ports). Path MTU
 * changes arrive the same way (kind `PacketTooBig`, `mtu` set to the new path MTU), after the
 * stack's path-MTU cache has been lowered.
 */
import type { Instant } from '../time/time.js';

/** An IP address: IPv4 as a uint32 number, IPv6 as 16 bytes. */
export type IpAddr = number | Uint8Array;

/** Bytes the IP layer may need in front of a transport header: Ethernet + IPv6 + a Fragment header. */
export const IP_HEADROOM = 14 + 40 + 8;

/** One delivered packet, as the IP layer describes it to a transport (reused: copy what you keep). */
export class IpPacketInfo {
  version: 4 | 6 = 4;
  /** IPv4 source and destination (uint32), when `version` is 4. */
  src4 = 0;
  dst4 = 0;
  /** IPv6 source and destination, when `version` is 6 (IPv4 packets leave them unspecified). */
  readonly src6 = new Uint8Array(16);
  readonly dst6 = new Uint8Array(16);
  /** IPv4 TOS byte / IPv6 traffic class (DSCP << 2 | ECN). */
  tos = 0;
  /** TTL / hop limit as received. */
  ttl = 0;
  /** IPv6 flow label (0 for IPv4). */
  flowLabel = 0;
  /** Index of the interface the packet arrived on. */
  ifindex = 0;
  /** The transport protocol number. */
  protocol = 0;
  /** The transport header and payload: `buf[off, off + len)`. */
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  len = 0;
  /** True when the link already validated checksums (the transport may skip its own). */
  checksumValidated = false;
  /** Segment size of a receive-offload aggregate (Linux gso_size), 0 for an ordinary packet. */
  gsoSize = 0;
  /** The destination was a broadcast or multicast address. */
  multicast = false;
  /** The whole IP packet (header included) at `buf[ipOff, ipOff + ipLen)`, e.g. to quote in ICMP. */
  ipOff = 0;
  ipLen = 0;
}

/** What a transport asks `IpOutput.send` to do (reused by the caller; read during the call only). */
export class IpSendInfo {
  version: 4 | 6 = 4;
  src4 = 0;
  dst4 = 0;
  readonly src6 = new Uint8Array(16);
  readonly dst6 = new Uint8Array(16);
  protocol = 0;
  /** IPv4 TOS / IPv6 traffic class. */
  tos = 0;
  /** TTL / hop limit; -1 for the stack's default (`ip_default_ttl` / `conf.default.hop_limit`). */
  ttl = -1;
  /** IPv4: set DF and refuse to fragment. IPv6: refuse to fragment (IPV6_DONTFRAG). */
  dontFragment = true;
  /** IPv6 flow label. */
  flowLabel = 0;

  /** Sets addresses from `IpAddr` values (both of the same family). */
  setAddrs(src: IpAddr, dst: IpAddr): this {
    if (typeof dst === 'number') {
      this.version = 4;
      this.src4 = typeof src === 'number' ? src >>> 0 : 0;
      this.dst4 = dst >>> 0;
    } else {
      this.version = 6;
      if (typeof src !== 'number') this.src6.set(src.subarray(0, 16));
      this.dst6.set(dst.subarray(0, 16));
    }
    return this;
  }
}

/** What an ICMP error (or a PMTU change) means for a transport. */
export enum IcmpErrorKind {
  /** Port unreachable (v4 type 3 code 3; v6 type 1 code 4). Linux: ECONNREFUSED. */
  PortUnreachable = 1,
  /** Protocol unreachable / v6 parameter problem "unrecognized next header". Linux: ENOPROTOOPT (v4). */
  ProtocolUnreachable,
  /** Host or address unreachable. Linux: EHOSTUNREACH. */
  HostUnreachable,
  /** Network unreachable / no route. Linux: ENETUNREACH. */
  NetUnreachable,
  /** Administratively prohibited. Linux: EACCES (v6) / EHOSTUNREACH (v4 codes 9/10/13). */
  Prohibited,
  /** Fragmentation needed / Packet Too Big: `mtu` is the new path MTU. Linux: EMSGSIZE. */
  PacketTooBig,
  /** TTL / hop limit exceeded in transit or reassembly time exceeded. Linux: EHOSTUNREACH. */
  TimeExceeded,
  /** Parameter problem. Linux: EPROTO. */
  ParamProblem,
  /** Source quench (ignored by Linux for sockets; passed on for completeness). */
  SourceQuench,
}

/** An ICMP error concerning a packet this host sent (reused: read during the call only). */
export class IcmpErrorInfo {
  kind = IcmpErrorKind.PortUnreachable;
  /** The errno Linux reports for this error on a connected socket. */
  errno = 0;
  /** ICMP type and code as received. */
  icmpType = 0;
  icmpCode = 0;
  /** PacketTooBig: the path MTU now in force (already clamped to the minimum). */
  mtu = 0;
  version: 4 | 6 = 4;
  /** Addresses of the quoted (original) packet: `src` is ours, `dst` the peer. */
  src4 = 0;
  dst4 = 0;
  readonly src6 = new Uint8Array(16);
  readonly dst6 = new Uint8Array(16);
  protocol = 0;
  /** The quoted transport header (at least 8 bytes): `buf[off, off + len)`. */
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  len = 0;
  /** The address the ICMP message came from (a router or the peer). */
  from4 = 0;
  readonly from6 = new Uint8Array(16);
}

/** A transport plugged into the stack under an IP protocol number. */
export interface TransportProtocol {
  readonly protocol: number;
  /** A packet for this protocol addressed to this host. */
  input(pkt: IpPacketInfo, now: Instant): void;
  /** An ICMP error (or PMTU change) about a packet of this protocol that this host sent. */
  errorInput?(err: IcmpErrorInfo, now: Instant): void;
  /** The transport's earliest deadline (its timers); the stack folds it into its own `pollAt`. */
  pollAt?(): Instant | undefined;
  /** Runs the transport's due timers; the stack calls it from its own `poll`. */
  poll?(now: Instant): void;
}

/** What the stack offers transports for sending. */
export interface IpOutput {
  /**
   * Sends the transport bytes at `buf[off, off + len)` (at least `IP_HEADROOM` bytes of room in
   * front). Returns 0 when handed to the link (or queued behind address resolution), else an errno:
   * ENETUNREACH (no route), EHOSTUNREACH (no usable interface/source), EMSGSIZE (larger than the
   * path MTU with fragmentation refused, or larger than an IP datagram), ENOBUFS (the link refused
   * the frame or the resolution queue is full), EINVAL (bad arguments).
   */
  send(info: IpSendInfo, buf: Uint8Array, off: number, len: number, now: Instant): number;
  /** Path MTU towards `dst` (route / interface MTU lowered by the PMTU cache). 0 when no route. */
  pathMtu(dst: IpAddr, now: Instant): number;
  /** The source address the stack would use towards `dst` (owned by the stack: copy it), or undefined. */
  sourceFor(dst: IpAddr): IpAddr | undefined;
  /** True when the route's link fills and verifies checksums itself (a transport may skip them). */
  checksumOffload(dst: IpAddr): boolean;
  /** True when `addr` is one of this stack's own addresses (any interface). */
  isLocal(addr: IpAddr): boolean;
  /** RFC 4861 §7.3.1 upper-layer confirmation that the next hop towards `dst` is reachable. */
  confirmReachable(dst: IpAddr, now: Instant): void;
}
