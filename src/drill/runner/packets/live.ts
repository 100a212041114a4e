/**
 * Decoding of live frames emitted by the stack under test (raw IP, no link header) into the fields
 * the outbound matcher compares. Malformed frames decode to `undefined`; they are not for the
 * socket under test.
 */

import { get16, get32 } from '../../../core/wire/bytes.js';
import { verifyIpv4Checksum } from '../../../core/wire/ipv4.js';
import { TcpRepr, TcpView } from '../../../core/wire/tcp.js';

/** One frame the stack emitted, with its virtual capture time (µs since the script start). */
export interface LiveFrame {
  readonly frame: Uint8Array;
  readonly timeUs: number;
}

export type L4Kind = 'TCP' | 'UDP' | 'ICMPV4' | 'ICMPV6' | 'OTHER';

export interface DecodedFrame {
  readonly frame: Uint8Array;
  readonly timeUs: number;
  readonly family: 4 | 6;
  /** Whole TOS / traffic-class byte. */
  readonly tos: number;
  /** TTL or hop limit. */
  readonly ttl: number;
  readonly flowLabel: number;
  /** IPv4 IHL in words (5 for IPv6, unused). */
  readonly ihl: number;
  /** IPv4 total length or IPv6 payload length field. */
  readonly ipLength: number;
  readonly protocol: number;
  readonly ipv4ChecksumOk: boolean;
  readonly src4: number;
  readonly dst4: number;
  /** Offset of the IPv6 source address in `frame` (destination at +16). */
  readonly src6Off: number;
  readonly l4: L4Kind;
  readonly l4Off: number;
  readonly l4Len: number;
  readonly srcPort: number;
  readonly dstPort: number;
  /** TCP header record (only for `l4 === 'TCP'`). */
  readonly tcp: TcpRepr | undefined;
  readonly tcpDataOffset: number;
  readonly tcpReserved: number;
  readonly udpLen: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly payloadOff: number;
  readonly payloadLen: number;
}

const tcpView = new TcpView();

/** Decodes a raw IP frame; undefined when it is not a well-formed IPv4/IPv6 packet. */
export function decodeFrame(lf: LiveFrame): DecodedFrame | undefined {
  const b = lf.frame;
  if (b.length < 20) return undefined;
  const version = b[0]! >>> 4;
  let family: 4 | 6;
  let tos: number;
  let ttl: number;
  let flowLabel = 0;
  let ihl = 5;
  let ipLength: number;
  let protocol: number;
  let ipv4ChecksumOk = true;
  let src4 = 0;
  let dst4 = 0;
  let l4Off: number;
  let l4Len: number;
  if (version === 4) {
    family = 4;
    ihl = b[0]! & 0x0f;
    const hl = ihl * 4;
    ipLength = get16(b, 2);
    if (hl < 20 || ipLength < hl || ipLength > b.length) return undefined;
    tos = b[1]!;
    ttl = b[8]!;
    protocol = b[9]!;
    src4 = get32(b, 12);
    dst4 = get32(b, 16);
    ipv4ChecksumOk = verifyIpv4Checksum(b, 0, hl);
    l4Off = hl;
    l4Len = ipLength - hl;
  } else if (version === 6) {
    family = 6;
    if (b.length < 40) return undefined;
    ipLength = get16(b, 4);
    if (40 + ipLength > b.length) return undefined;
    tos = (get16(b, 0) >>> 4) & 0xff;
    flowLabel = get32(b, 0) & 0xfffff;
    protocol = b[6]!;
    ttl = b[7]!;
    l4Off = 40;
    l4Len = ipLength;
  } else {
    return undefined;
  }
  let l4: L4Kind = 'OTHER';
  let srcPort = 0;
  let dstPort = 0;
  let tcp: TcpRepr | undefined;
  let tcpDataOffset = 0;
  let tcpReserved = 0;
  let udpLen = 0;
  let icmpType = 0;
  let icmpCode = 0;
  let payloadOff = l4Off + l4Len;
  let payloadLen = 0;
  if (protocol === 6) {
    if (tcpView.check(b, l4Off, l4Len) !== 0) return undefined;
    tcp = new TcpRepr();
    tcp.parse(tcpView);
    l4 = 'TCP';
    srcPort = tcp.srcPort;
    dstPort = tcp.dstPort;
    tcpDataOffset = tcpView.dataOffset;
    tcpReserved = tcpView.reserved;
    payloadOff = tcpView.payloadOffset;
    payloadLen = tcpView.payloadLength;
  } else if (protocol === 17) {
    if (l4Len < 8) return undefined;
    l4 = 'UDP';
    srcPort = get16(b, l4Off);
    dstPort = get16(b, l4Off + 2);
    udpLen = get16(b, l4Off + 4);
    payloadOff = l4Off + 8;
    payloadLen = l4Len - 8;
  } else if ((protocol === 1 && family === 4) || (protocol === 58 && family === 6)) {
    if (l4Len < 8) return undefined;
    l4 = family === 4 ? 'ICMPV4' : 'ICMPV6';
    icmpType = b[l4Off]!;
    icmpCode = b[l4Off + 1]!;
    payloadOff = l4Off + 8;
    payloadLen = l4Len - 8;
  }
  return {
    frame: b,
    timeUs: lf.timeUs,
    family,
    tos,
    ttl,
    flowLabel,
    ihl,
    ipLength,
    protocol,
    ipv4ChecksumOk,
    src4,
    dst4,
    src6Off: 8,
    l4,
    l4Off,
    l4Len,
    srcPort,
    dstPort,
    tcp,
    tcpDataOffset,
    tcpReserved,
    udpLen,
    icmpType,
    icmpCode,
    payloadOff,
    payloadLen,
  };
}
