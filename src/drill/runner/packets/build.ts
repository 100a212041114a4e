/**
 * Building raw IP frames from script packets (LANGUAGE.md §6.5), the way packetdrill does:
 *
 * - IPv4: IHL 5, ID 0, no DF, TTL 255 or the annotation, TOS from the annotation; IPv6: hop limit
 *   255 (or the annotation), traffic class, flow label;
 * - addresses/ports from the connection (inbound: remote → local), explicit `sport>dport` kept;
 * - TCP seq/ack/SACK mapped (§6.7), TS ecr mapped (§6.8), options in script order;
 * - UDP and ICMP/ICMPv6 (errors quote an IP header plus 8 bytes of a TCP/UDP header built from the
 *   connection, reversed, with the quoted TCP seq relative to the SUT's ISN);
 * - all checksums filled.
 *
 * `buildInbound` maps into live space; `buildScriptFrame` builds a packet in script space (values
 * as written, direction as written), used to print the expected packet in error messages.
 */

import { fillIcmpv4Checksum, Icmpv4Repr, IPPROTO_ICMP } from '../../../core/wire/icmpv4.js';
import { fillIcmpv6Checksum, Icmpv6Repr, IPPROTO_ICMPV6 } from '../../../core/wire/icmpv6.js';
import { Ipv4Repr } from '../../../core/wire/ipv4.js';
import { Ipv6Repr } from '../../../core/wire/ipv6.js';
import { checksumAddresses4, checksumAddresses6 } from '../../../core/wire/pseudo.js';
import { fillTcpChecksum, IPPROTO_TCP, TcpFlag, TcpRepr } from '../../../core/wire/tcp.js';
import { fillUdpChecksum, IPPROTO_UDP, UdpRepr } from '../../../core/wire/udp.js';
import type { IcmpMessage, Packet, TcpFlags, TcpSegment } from '../../parser/ast.js';
import type { ConnState } from './conn.js';
import { icmpCode, icmpType } from './icmp-names.js';
import { encodeOptions, inboundTos } from './options.js';

export type BuildResult =
  | { readonly ok: true; readonly frame: Uint8Array; readonly gsoSize: number }
  | { readonly ok: false; readonly error: string };

/** The 9-bit TCP flags of a script flag spec. */
export function scriptFlags(f: TcpFlags): number {
  return (
    (f.fin ? TcpFlag.FIN : 0) |
    (f.syn ? TcpFlag.SYN : 0) |
    (f.rst ? TcpFlag.RST : 0) |
    (f.psh ? TcpFlag.PSH : 0) |
    (f.ack ? TcpFlag.ACK : 0) |
    (f.urg ? TcpFlag.URG : 0) |
    (f.ece ? TcpFlag.ECE : 0) |
    (f.cwr ? TcpFlag.CWR : 0) |
    (f.ae ? TcpFlag.AE : 0)
  );
}

interface IpParams {
  family: 4 | 6;
  /** Source is the SUT (outbound direction) when true. */
  fromLocal: boolean;
  tos: number;
  ttl: number;
  flowLabel: number;
  proto: number;
}

const ip4 = new Ipv4Repr();
const ip6 = new Ipv6Repr();

/** Writes the IP header for `l4Len` bytes of payload; returns its length. */
function emitIp(buf: Uint8Array, conn: ConnState, p: IpParams, l4Len: number): number {
  if (p.family === 4) {
    ip4.dscp = p.tos >>> 2;
    ip4.ecn = p.tos & 3;
    ip4.identification = 0;
    ip4.dontFragment = false;
    ip4.moreFragments = false;
    ip4.fragmentOffset = 0;
    ip4.ttl = p.ttl;
    ip4.protocol = p.proto;
    ip4.src = p.fromLocal ? conn.local4 : conn.remote4;
    ip4.dst = p.fromLocal ? conn.remote4 : conn.local4;
    ip4.optionsLen = 0;
    ip4.payloadLen = l4Len;
    return ip4.emit(buf, 0);
  }
  ip6.dscp = p.tos >>> 2;
  ip6.ecn = p.tos & 3;
  ip6.flowLabel = p.flowLabel;
  ip6.payloadLen = l4Len;
  ip6.nextHeader = p.proto;
  ip6.hopLimit = p.ttl;
  ip6.src.set(p.fromLocal ? conn.local6 : conn.remote6);
  ip6.dst.set(p.fromLocal ? conn.remote6 : conn.local6);
  return ip6.emit(buf, 0);
}

function ipHeaderLen(family: 4 | 6): number {
  return family === 4 ? 20 : 40;
}

function addrsOf(buf: Uint8Array, family: 4 | 6, conn: ConnState, fromLocal: boolean) {
  if (family === 6) return checksumAddresses6(buf, 0);
  return fromLocal ? checksumAddresses4(conn.local4, conn.remote4) : checksumAddresses4(conn.remote4, conn.local4);
}

/** Space in which the TCP fields are written. */
type Space = 'live' | 'script';

const tcp = new TcpRepr();
const udp = new UdpRepr();

function ipParams(pkt: Packet, conn: ConnState, proto: number): IpParams | string {
  const tos = inboundTos(pkt.ip);
  if (typeof tos === 'string') return tos;
  return {
    family: conn.family,
    fromLocal: pkt.direction === 'outbound',
    tos,
    ttl: pkt.ip?.ttl ?? 255,
    flowLabel: pkt.ip?.flowLabel ?? 0,
    proto,
  };
}

function buildTcp(pkt: Packet, seg: TcpSegment, conn: ConnState, space: Space, tsEcrScaled: boolean): BuildResult {
  const live = space === 'live';
  const isSyn = seg.flags.syn;
  const fromLocal = pkt.direction === 'outbound';
  const ackOffset = live ? conn.localSeqScriptToLive(isSyn) : 0;
  const ip = ipParams(pkt, conn, IPPROTO_TCP);
  if (typeof ip === 'string') return { ok: false, error: ip };
  tcp.srcPort = seg.ports?.src ?? (fromLocal ? conn.localPort : conn.remotePort);
  tcp.dstPort = seg.ports?.dst ?? (fromLocal ? conn.remotePort : conn.localPort);
  tcp.seq = live ? (seg.seq.start + conn.remoteSeqScriptToLive(isSyn)) >>> 0 : seg.seq.start >>> 0;
  const ack = seg.ack ?? 0;
  tcp.ack = live && seg.flags.ack ? (ack + ackOffset) >>> 0 : ack >>> 0;
  tcp.flags = scriptFlags(seg.flags);
  tcp.window = seg.win ?? 0;
  tcp.urgent = seg.urg ?? 0;
  tcp.payloadLen = seg.seq.len;
  const enc = encodeOptions(seg.options, tcp.options, {
    sackOffset: live ? ackOffset : 0,
    // §6.8: only packets with ACK set have their ecr mapped.
    tsEcr: live && seg.flags.ack ? (e) => conn.liveTsEcr(e, tsEcrScaled) : undefined,
  });
  if (typeof enc === 'string') return { ok: false, error: enc };
  const hl = ipHeaderLen(ip.family);
  const l4Len = tcp.headerLen() + seg.seq.len;
  const frame = new Uint8Array(hl + l4Len);
  emitIp(frame, conn, ip, l4Len);
  tcp.emit(frame, hl);
  fillTcpChecksum(frame, hl, l4Len, addrsOf(frame, ip.family, conn, fromLocal));
  return { ok: true, frame, gsoSize: 0 };
}

function buildUdp(
  pkt: Packet,
  sport: number | undefined,
  dport: number | undefined,
  len: number,
  conn: ConnState,
): BuildResult {
  const fromLocal = pkt.direction === 'outbound';
  const ip = ipParams(pkt, conn, IPPROTO_UDP);
  if (typeof ip === 'string') return { ok: false, error: ip };
  udp.srcPort = sport ?? (fromLocal ? conn.localPort : conn.remotePort);
  udp.dstPort = dport ?? (fromLocal ? conn.remotePort : conn.localPort);
  udp.payloadLen = len;
  const hl = ipHeaderLen(ip.family);
  const l4Len = 8 + len;
  const frame = new Uint8Array(hl + l4Len);
  emitIp(frame, conn, ip, l4Len);
  udp.emit(frame, hl);
  fillUdpChecksum(frame, hl, l4Len, addrsOf(frame, ip.family, conn, fromLocal));
  return { ok: true, frame, gsoSize: 0 };
}

const icmp4 = new Icmpv4Repr();
const icmp6 = new Icmpv6Repr();

/**
 * The quoted packet of an ICMP error: an IP header for a packet the SUT sent (local → remote) and
 * the first 8 bytes of its L4 header. The quoted TCP seq is `start + L_live` in live space
 * (packetdrill maps it with the non-SYN offset of the SUT's sequence space).
 */
function quoted(msg: IcmpMessage, conn: ConnState, space: Space): Uint8Array {
  const e = msg.echoed;
  const family = conn.family;
  const hl = ipHeaderLen(family);
  const q = new Uint8Array(hl + 8);
  let proto = 255;
  let l4Total = 8;
  if (e !== undefined) {
    if (e.proto === 'tcp') {
      proto = IPPROTO_TCP;
      l4Total = 20 + e.seq.len;
      q[hl] = conn.localPort >>> 8;
      q[hl + 1] = conn.localPort & 0xff;
      q[hl + 2] = conn.remotePort >>> 8;
      q[hl + 3] = conn.remotePort & 0xff;
      const seq = space === 'live' ? (e.seq.start + conn.localSeqScriptToLive(false)) >>> 0 : e.seq.start >>> 0;
      q[hl + 4] = seq >>> 24;
      q[hl + 5] = (seq >>> 16) & 0xff;
      q[hl + 6] = (seq >>> 8) & 0xff;
      q[hl + 7] = seq & 0xff;
    } else if (e.proto === 'udp') {
      proto = IPPROTO_UDP;
      l4Total = 8 + e.len;
      q[hl] = conn.localPort >>> 8;
      q[hl + 1] = conn.localPort & 0xff;
      q[hl + 2] = conn.remotePort >>> 8;
      q[hl + 3] = conn.remotePort & 0xff;
      q[hl + 4] = l4Total >>> 8;
      q[hl + 5] = l4Total & 0xff;
    } else {
      l4Total = e.len;
    }
  }
  emitIp(q, conn, { family, fromLocal: true, tos: 0, ttl: 255, flowLabel: 0, proto }, l4Total);
  return q;
}

function buildIcmp(pkt: Packet, msg: IcmpMessage, conn: ConnState, space: Space): BuildResult {
  const family = conn.family;
  const type = icmpType(family, msg.type);
  if (type === undefined) return { ok: false, error: `unknown ICMP${family === 6 ? 'v6' : ''} type: ${msg.type}` };
  const code = msg.code === undefined ? 0 : icmpCode(family, type, msg.code);
  if (code === undefined) return { ok: false, error: `unknown ICMP${family === 6 ? 'v6' : ''} code: ${msg.code}` };
  const fromLocal = pkt.direction === 'outbound';
  const ip = ipParams(pkt, conn, family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
  if (typeof ip === 'string') return { ok: false, error: ip };
  const isError = family === 4 ? [3, 4, 5, 11, 12].includes(type) : type < 128;
  const q = isError ? quoted(msg, conn, space) : new Uint8Array(0);
  const hl = ipHeaderLen(family);
  const l4Len = 8 + q.length;
  const frame = new Uint8Array(hl + l4Len);
  emitIp(frame, conn, ip, l4Len);
  if (family === 4) {
    if (isError) icmp4.setError(type, code, q.length, msg.mtu ?? 0);
    else icmp4.setEcho(type, msg.id ?? 0, 0, 0);
    icmp4.type = type;
    icmp4.code = code;
    icmp4.emit(frame, hl);
    frame.set(q, hl + 8);
    fillIcmpv4Checksum(frame, hl, l4Len);
  } else {
    if (isError) icmp6.setError(type, code, q.length, msg.mtu ?? 0);
    else icmp6.setEcho(type, msg.id ?? 0, 0, 0);
    icmp6.type = type;
    icmp6.code = code;
    icmp6.emit(frame, hl);
    frame.set(q, hl + 8);
    fillIcmpv6Checksum(frame, hl, l4Len, addrsOf(frame, 6, conn, fromLocal));
  }
  return { ok: true, frame, gsoSize: 0 };
}

function build(pkt: Packet, conn: ConnState, space: Space, tsEcrScaled: boolean): BuildResult {
  if (pkt.encaps.length > 0) return { ok: false, error: 'packet encapsulation is not supported' };
  const l4 = pkt.l4;
  switch (l4.proto) {
    case 'tcp':
      if (l4.psp !== undefined) return { ok: false, error: 'PSP encapsulation needs wire mode' };
      return buildTcp(pkt, l4, conn, space, tsEcrScaled);
    case 'udp':
      return buildUdp(pkt, l4.ports?.src, l4.ports?.dst, l4.len, conn);
    case 'icmp':
      return buildIcmp(pkt, l4, conn, space);
  }
}

/**
 * The live frame to inject for an inbound script packet (§6.5). `gsoSize` is `cfg.mss` for TCP
 * (the packet is to be handed to the stack as a GRO aggregate of that segment size), else 0.
 */
export function buildInbound(
  pkt: Packet,
  conn: ConnState,
  cfg: { readonly tcpTsEcrScaled: boolean; readonly mss: number },
): BuildResult {
  if (pkt.direction !== 'inbound') return { ok: false, error: 'not an inbound packet' };
  if (pkt.l4.proto === 'tcp' && pkt.l4.win === undefined) return { ok: false, error: 'inbound TCP packet must have a window' };
  const r = build(pkt, conn, 'live', cfg.tcpTsEcrScaled);
  if (r.ok && pkt.l4.proto === 'tcp' && cfg.mss > 0) return { ok: true, frame: r.frame, gsoSize: cfg.mss };
  return r;
}

/** The script packet as a frame in script space (nothing mapped), for messages and comparison. */
export function buildScriptFrame(pkt: Packet, conn: ConnState): BuildResult {
  return build(pkt, conn, 'script', false);
}
