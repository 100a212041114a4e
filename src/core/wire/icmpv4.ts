/**
 * ICMP for IPv4 (RFC 792; next-hop MTU in "fragmentation needed" from RFC 1191; the full list of
 * destination-unreachable codes from RFC 1122 §3.2.2.1 and RFC 1812 §5.2.7.1).
 *
 * Every message starts with the same 8 bytes:
 *
 * ```
 *  0      1      2      3      4              8
 * +------+------+------+------+--------------+--------------------------------+
 * | type | code |  checksum   | rest of hdr  | data (echo payload, or the     |
 * +------+------+------+------+--------------+  quoted invoking datagram)     |
 * ```
 *
 * The "rest of header" word holds the echo identifier/sequence, the next-hop MTU (low 16 bits,
 * "fragmentation needed"), the gateway address (redirect) or the pointer (parameter problem, top
 * byte). Error messages quote the invoking datagram: its IP header plus at least 8 bytes of its data.
 * The view exposes where the quoted bytes are (`quotedOffset`/`quotedLength`) so the IP layer can
 * parse them with its own view; the repr only checks that they are long enough.
 *
 * The checksum covers the whole ICMP message and has no pseudo-header.
 */

import { get16, get32, set16, set32 } from './bytes.js';
import { checksum } from './checksum.js';
import { DropReason } from './drop.js';

export const IPPROTO_ICMP = 1;
export const ICMPV4_HEADER_LEN = 8;
/** Smallest quoted datagram: a 20-byte IPv4 header and 8 bytes of its data (RFC 792). */
export const ICMPV4_MIN_QUOTE = 28;

export enum Icmpv4Type {
  EchoReply = 0,
  DestUnreachable = 3,
  SourceQuench = 4,
  Redirect = 5,
  EchoRequest = 8,
  TimeExceeded = 11,
  ParamProblem = 12,
}

/** Codes of `Icmpv4Type.DestUnreachable`. */
export enum Icmpv4Unreachable {
  NetUnreachable = 0,
  HostUnreachable = 1,
  ProtocolUnreachable = 2,
  PortUnreachable = 3,
  /** "Fragmentation needed and DF set"; the next-hop MTU travels in the header (RFC 1191). */
  FragmentationNeeded = 4,
  SourceRouteFailed = 5,
  NetUnknown = 6,
  HostUnknown = 7,
  SourceHostIsolated = 8,
  NetProhibited = 9,
  HostProhibited = 10,
  NetUnreachableForTos = 11,
  HostUnreachableForTos = 12,
  CommunicationProhibited = 13,
  HostPrecedenceViolation = 14,
  PrecedenceCutoff = 15,
}

/** Codes of `Icmpv4Type.TimeExceeded`. */
export enum Icmpv4TimeExceeded {
  TtlExceeded = 0,
  ReassemblyTimeExceeded = 1,
}

/** Codes of `Icmpv4Type.Redirect`. */
export enum Icmpv4Redirect {
  Net = 0,
  Host = 1,
  TosNet = 2,
  TosHost = 3,
}

/** Codes of `Icmpv4Type.ParamProblem`. */
export enum Icmpv4ParamProblem {
  Pointer = 0,
  MissingOption = 1,
  BadLength = 2,
}

/** True for the error messages (they quote an invoking datagram and must never be answered). */
export function isIcmpv4Error(type: number): boolean {
  return (
    type === Icmpv4Type.DestUnreachable ||
    type === Icmpv4Type.SourceQuench ||
    type === Icmpv4Type.Redirect ||
    type === Icmpv4Type.TimeExceeded ||
    type === Icmpv4Type.ParamProblem
  );
}

const EMPTY = new Uint8Array(0);

export class Icmpv4View {
  buf: Uint8Array = EMPTY;
  off = 0;
  /** Bytes of the whole ICMP message (header + data). */
  len = 0;

  /** `len` is the IP payload length; any type is accepted here (the repr decides what it models). */
  check(buf: Uint8Array, off: number, len: number): DropReason {
    if (off < 0 || len < 0 || off + len > buf.length) return DropReason.Truncated;
    if (len < ICMPV4_HEADER_LEN) return DropReason.IcmpTruncated;
    this.buf = buf;
    this.off = off;
    this.len = len;
    return DropReason.Ok;
  }

  get type(): number {
    return this.buf[this.off]!;
  }
  get code(): number {
    return this.buf[this.off + 1]!;
  }
  get checksum(): number {
    return get16(this.buf, this.off + 2);
  }
  /** Bytes 4..7 as one unsigned 32-bit word. */
  get restOfHeader(): number {
    return get32(this.buf, this.off + 4);
  }
  /** Echo request/reply. */
  get identifier(): number {
    return get16(this.buf, this.off + 4);
  }
  get sequence(): number {
    return get16(this.buf, this.off + 6);
  }
  /** Destination unreachable, code 4 (RFC 1191 §4); 0 from routers that predate it. */
  get nextHopMtu(): number {
    return get16(this.buf, this.off + 6);
  }
  /** Parameter problem: the offset of the offending octet in the quoted datagram. */
  get pointer(): number {
    return this.buf[this.off + 4]!;
  }
  /** Redirect: the better first-hop router. */
  get gateway(): number {
    return get32(this.buf, this.off + 4);
  }
  get dataOffset(): number {
    return this.off + ICMPV4_HEADER_LEN;
  }
  get dataLength(): number {
    return this.len - ICMPV4_HEADER_LEN;
  }
  /** Error messages: where the quoted invoking datagram starts (its IPv4 header). */
  get quotedOffset(): number {
    return this.off + ICMPV4_HEADER_LEN;
  }
  get quotedLength(): number {
    return this.len - ICMPV4_HEADER_LEN;
  }
  /** IHL of the quoted IPv4 header in bytes (0 when nothing is quoted). */
  get quotedIpHeaderLength(): number {
    return this.len > ICMPV4_HEADER_LEN ? (this.buf[this.off + ICMPV4_HEADER_LEN]! & 0x0f) << 2 : 0;
  }
}

/**
 * A validated ICMPv4 message. Only the fields of the message's type are meaningful; `parse` zeroes
 * the others and `emit` ignores them, so reprs built with the `set*` helpers round-trip exactly.
 */
export class Icmpv4Repr {
  type = 0;
  code = 0;
  /** Echo request/reply. */
  identifier = 0;
  sequence = 0;
  /** Destination unreachable / fragmentation needed. */
  nextHopMtu = 0;
  /** Parameter problem. */
  pointer = 0;
  /** Redirect. */
  gateway = 0;
  /** Bytes after the 8-byte header: echo payload, or the quoted datagram of an error. */
  dataLen = 0;

  /**
   * Echo codes other than 0 are refused (RFC 792 defines only 0), as are codes no RFC assigns for
   * the error types. Error messages must quote a whole IPv4 header plus 8 bytes of its data.
   */
  parse(v: Icmpv4View): DropReason {
    const type = v.type;
    const code = v.code;
    this.type = type;
    this.code = code;
    this.identifier = 0;
    this.sequence = 0;
    this.nextHopMtu = 0;
    this.pointer = 0;
    this.gateway = 0;
    this.dataLen = v.dataLength;
    switch (type) {
      case Icmpv4Type.EchoRequest:
      case Icmpv4Type.EchoReply:
        if (code !== 0) return DropReason.IcmpBadCode;
        this.identifier = v.identifier;
        this.sequence = v.sequence;
        return DropReason.Ok;
      case Icmpv4Type.DestUnreachable:
        if (code > Icmpv4Unreachable.PrecedenceCutoff) return DropReason.IcmpBadCode;
        if (code === Icmpv4Unreachable.FragmentationNeeded) this.nextHopMtu = v.nextHopMtu;
        return checkQuote(v);
      case Icmpv4Type.SourceQuench:
        if (code !== 0) return DropReason.IcmpBadCode;
        return checkQuote(v);
      case Icmpv4Type.Redirect:
        if (code > Icmpv4Redirect.TosHost) return DropReason.IcmpBadCode;
        this.gateway = v.gateway;
        return checkQuote(v);
      case Icmpv4Type.TimeExceeded:
        if (code > Icmpv4TimeExceeded.ReassemblyTimeExceeded) return DropReason.IcmpBadCode;
        return checkQuote(v);
      case Icmpv4Type.ParamProblem:
        if (code > Icmpv4ParamProblem.BadLength) return DropReason.IcmpBadCode;
        this.pointer = v.pointer;
        return checkQuote(v);
      default:
        return DropReason.IcmpUnknownType;
    }
  }

  headerLen(): number {
    return ICMPV4_HEADER_LEN;
  }

  /** Writes the 8-byte header with a zero checksum; put the data after it, then `fillIcmpv4Checksum`. */
  emit(buf: Uint8Array, off: number): number {
    buf[off] = this.type;
    buf[off + 1] = this.code;
    set16(buf, off + 2, 0);
    switch (this.type) {
      case Icmpv4Type.EchoRequest:
      case Icmpv4Type.EchoReply:
        set16(buf, off + 4, this.identifier);
        set16(buf, off + 6, this.sequence);
        break;
      case Icmpv4Type.DestUnreachable:
        set16(buf, off + 4, 0);
        set16(buf, off + 6, this.code === Icmpv4Unreachable.FragmentationNeeded ? this.nextHopMtu : 0);
        break;
      case Icmpv4Type.Redirect:
        set32(buf, off + 4, this.gateway);
        break;
      case Icmpv4Type.ParamProblem:
        set32(buf, off + 4, (this.pointer & 0xff) << 24);
        break;
      default:
        set32(buf, off + 4, 0);
    }
    return ICMPV4_HEADER_LEN;
  }

  equals(o: Icmpv4Repr): boolean {
    return (
      this.type === o.type &&
      this.code === o.code &&
      this.identifier === o.identifier &&
      this.sequence === o.sequence &&
      this.nextHopMtu === o.nextHopMtu &&
      this.pointer === o.pointer &&
      this.gateway === o.gateway &&
      this.dataLen === o.dataLen
    );
  }

  /** Reset to an echo request or reply (`type` is `Icmpv4Type.EchoRequest` or `EchoReply`). */
  setEcho(type: number, identifier: number, sequence: number, dataLen: number): this {
    this.reset(type, 0, dataLen);
    this.identifier = identifier;
    this.sequence = sequence;
    return this;
  }

  /**
   * Reset to an error quoting `quotedLen` bytes. `param` is the next-hop MTU for fragmentation
   * needed, the gateway for redirect and the pointer for parameter problem; others ignore it.
   */
  setError(type: number, code: number, quotedLen: number, param = 0): this {
    this.reset(type, code, quotedLen);
    if (type === Icmpv4Type.DestUnreachable && code === Icmpv4Unreachable.FragmentationNeeded) {
      this.nextHopMtu = param;
    } else if (type === Icmpv4Type.Redirect) {
      this.gateway = param;
    } else if (type === Icmpv4Type.ParamProblem) {
      this.pointer = param;
    }
    return this;
  }

  private reset(type: number, code: number, dataLen: number): void {
    this.type = type;
    this.code = code;
    this.identifier = 0;
    this.sequence = 0;
    this.nextHopMtu = 0;
    this.pointer = 0;
    this.gateway = 0;
    this.dataLen = dataLen;
  }
}

/** The quoted datagram must hold an IPv4 header (by its own IHL) and 8 bytes after it. */
function checkQuote(v: Icmpv4View): DropReason {
  const n = v.quotedLength;
  if (n < ICMPV4_MIN_QUOTE) return DropReason.IcmpTruncated;
  if (v.buf[v.quotedOffset]! >>> 4 !== 4) return DropReason.BadVersion;
  const ihl = v.quotedIpHeaderLength;
  if (ihl < 20) return DropReason.BadHeaderLength;
  if (n < ihl + 8) return DropReason.IcmpTruncated;
  return DropReason.Ok;
}

/** Compute and store the checksum of the ICMP message at `off` (header + data, `len` bytes). */
export function fillIcmpv4Checksum(buf: Uint8Array, off: number, len: number): void {
  set16(buf, off + 2, 0);
  set16(buf, off + 2, checksum(buf, off, len));
}

/** True when the message's checksum is right. */
export function verifyIcmpv4Checksum(buf: Uint8Array, off: number, len: number): boolean {
  return checksum(buf, off, len) === 0;
}
