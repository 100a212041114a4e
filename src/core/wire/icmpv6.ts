/**
 * ICMP for IPv6 (RFC 4443), the error and echo messages. Neighbor Discovery (types 133–137) shares
 * the view below but has its own repr in `ndp.ts`.
 *
 * ```
 *  0      1      2      3      4              8
 * +------+------+------+------+--------------+--------------------------------+
 * | type | code |  checksum   | message word | data (echo payload, or as much |
 * +------+------+------+------+--------------+  of the invoking packet as fits)|
 * ```
 *
 * The message word is the echo identifier/sequence, the MTU (packet too big), the pointer
 * (parameter problem) or unused. Error messages (type < 128) quote the invoking packet starting at
 * its IPv6 header; the view exposes where (`quotedOffset`/`quotedLength`).
 *
 * The checksum covers an IPv6 pseudo-header (RFC 8200 §8.1, next header 58) and the message.
 */

import { get16, get32, set16, set32 } from './bytes.js';
import { checksum } from './checksum.js';
import { DropReason } from './drop.js';
import { type ChecksumAddresses, transportSum } from './pseudo.js';

export const IPPROTO_ICMPV6 = 58;
export const ICMPV6_HEADER_LEN = 8;
/** An error must quote at least the invoking packet's fixed IPv6 header. */
export const ICMPV6_MIN_QUOTE = 40;

export enum Icmpv6Type {
  DestUnreachable = 1,
  PacketTooBig = 2,
  TimeExceeded = 3,
  ParamProblem = 4,
  EchoRequest = 128,
  EchoReply = 129,
  RouterSolicit = 133,
  RouterAdvert = 134,
  NeighborSolicit = 135,
  NeighborAdvert = 136,
  Redirect = 137,
}

/** Codes of `Icmpv6Type.DestUnreachable` (RFC 4443 §3.1; 7 from RFC 6554, 8 from RFC 8883). */
export enum Icmpv6Unreachable {
  NoRoute = 0,
  AdminProhibited = 1,
  BeyondScope = 2,
  AddressUnreachable = 3,
  PortUnreachable = 4,
  SourcePolicyFailed = 5,
  RejectRoute = 6,
  SourceRoutingHeaderError = 7,
  HeadersTooLong = 8,
}

/** Codes of `Icmpv6Type.TimeExceeded` (RFC 4443 §3.3). */
export enum Icmpv6TimeExceeded {
  HopLimitExceeded = 0,
  ReassemblyTimeExceeded = 1,
}

/** Codes of `Icmpv6Type.ParamProblem` (RFC 4443 §3.4; 3 from RFC 7112, 4 from RFC 8754, 5–10 from RFC 8883). */
export enum Icmpv6ParamProblem {
  ErroneousHeaderField = 0,
  UnrecognizedNextHeader = 1,
  UnrecognizedOption = 2,
  IncompleteHeaderChain = 3,
  SrUpperLayerHeaderError = 4,
  UnrecognizedNextHeaderByIntermediate = 5,
  ExtensionHeaderTooBig = 6,
  ExtensionHeaderChainTooLong = 7,
  TooManyExtensionHeaders = 8,
  TooManyOptionsInExtensionHeader = 9,
  OptionTooBig = 10,
}

/** RFC 4443 §2.1: types 0–127 are errors, 128–255 informational. */
export function isIcmpv6Error(type: number): boolean {
  return type < 128;
}

const EMPTY = new Uint8Array(0);

export class Icmpv6View {
  buf: Uint8Array = EMPTY;
  off = 0;
  /** Bytes of the whole ICMPv6 message (the upper-layer length of the IPv6 packet). */
  len = 0;

  /** Any type is accepted here; the reprs (`Icmpv6Repr`, `NdpRepr`) decide what they model. */
  check(buf: Uint8Array, off: number, len: number): DropReason {
    if (off < 0 || len < 0 || off + len > buf.length) return DropReason.Truncated;
    if (len < ICMPV6_HEADER_LEN) return DropReason.IcmpTruncated;
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
  get messageWord(): number {
    return get32(this.buf, this.off + 4);
  }
  /** Echo request/reply. */
  get identifier(): number {
    return get16(this.buf, this.off + 4);
  }
  get sequence(): number {
    return get16(this.buf, this.off + 6);
  }
  /** Packet too big: the MTU of the next-hop link. */
  get mtu(): number {
    return get32(this.buf, this.off + 4);
  }
  /** Parameter problem: offset of the offending octet in the quoted packet. */
  get pointer(): number {
    return get32(this.buf, this.off + 4);
  }
  get dataOffset(): number {
    return this.off + ICMPV6_HEADER_LEN;
  }
  get dataLength(): number {
    return this.len - ICMPV6_HEADER_LEN;
  }
  /** Error messages: where the quoted invoking packet starts (its IPv6 header). */
  get quotedOffset(): number {
    return this.off + ICMPV6_HEADER_LEN;
  }
  get quotedLength(): number {
    return this.len - ICMPV6_HEADER_LEN;
  }
}

/**
 * A validated ICMPv6 error or echo message. Only the fields of the message's type are meaningful;
 * `parse` zeroes the others and `emit` ignores them.
 *
 * Types this repr does not model (NDP, MLD, unassigned) parse to `IcmpUnknownType`; the view still
 * works for them. RFC 4443 §2.4(d) wants an error of unknown type handed to the upper layer that
 * sent the invoking packet: use `isIcmpv6Error(view.type)` and the view's quoted range for that.
 */
export class Icmpv6Repr {
  type = 0;
  code = 0;
  /** Echo request/reply. */
  identifier = 0;
  sequence = 0;
  /** Packet too big. */
  mtu = 0;
  /** Parameter problem. */
  pointer = 0;
  /** Bytes after the 8-byte header: echo payload, or the quoted packet of an error. */
  dataLen = 0;

  /**
   * Refuses codes no RFC assigns (echo: only 0). The code of packet too big is kept but not checked
   * (RFC 4443 §3.2: "ignored by the receiver"). Errors must quote at least an IPv6 header.
   */
  parse(v: Icmpv6View): DropReason {
    const type = v.type;
    const code = v.code;
    this.type = type;
    this.code = code;
    this.identifier = 0;
    this.sequence = 0;
    this.mtu = 0;
    this.pointer = 0;
    this.dataLen = v.dataLength;
    switch (type) {
      case Icmpv6Type.EchoRequest:
      case Icmpv6Type.EchoReply:
        if (code !== 0) return DropReason.IcmpBadCode;
        this.identifier = v.identifier;
        this.sequence = v.sequence;
        return DropReason.Ok;
      case Icmpv6Type.DestUnreachable:
        if (code > Icmpv6Unreachable.HeadersTooLong) return DropReason.IcmpBadCode;
        return checkQuote(v);
      case Icmpv6Type.PacketTooBig:
        this.mtu = v.mtu;
        return checkQuote(v);
      case Icmpv6Type.TimeExceeded:
        if (code > Icmpv6TimeExceeded.ReassemblyTimeExceeded) return DropReason.IcmpBadCode;
        return checkQuote(v);
      case Icmpv6Type.ParamProblem:
        if (code > Icmpv6ParamProblem.OptionTooBig) return DropReason.IcmpBadCode;
        this.pointer = v.pointer;
        return checkQuote(v);
      default:
        return DropReason.IcmpUnknownType;
    }
  }

  headerLen(): number {
    return ICMPV6_HEADER_LEN;
  }

  /** Writes the 8-byte header with a zero checksum; put the data after it, then `fillIcmpv6Checksum`. */
  emit(buf: Uint8Array, off: number): number {
    buf[off] = this.type;
    buf[off + 1] = this.code;
    set16(buf, off + 2, 0);
    switch (this.type) {
      case Icmpv6Type.EchoRequest:
      case Icmpv6Type.EchoReply:
        set16(buf, off + 4, this.identifier);
        set16(buf, off + 6, this.sequence);
        break;
      case Icmpv6Type.PacketTooBig:
        set32(buf, off + 4, this.mtu);
        break;
      case Icmpv6Type.ParamProblem:
        set32(buf, off + 4, this.pointer);
        break;
      default:
        set32(buf, off + 4, 0);
    }
    return ICMPV6_HEADER_LEN;
  }

  equals(o: Icmpv6Repr): boolean {
    return (
      this.type === o.type &&
      this.code === o.code &&
      this.identifier === o.identifier &&
      this.sequence === o.sequence &&
      this.mtu === o.mtu &&
      this.pointer === o.pointer &&
      this.dataLen === o.dataLen
    );
  }

  /** Reset to an echo request or reply (`type` is `Icmpv6Type.EchoRequest` or `EchoReply`). */
  setEcho(type: number, identifier: number, sequence: number, dataLen: number): this {
    this.reset(type, 0, dataLen);
    this.identifier = identifier;
    this.sequence = sequence;
    return this;
  }

  /**
   * Reset to an error quoting `quotedLen` bytes. `param` is the MTU for packet too big and the
   * pointer for parameter problem; other types ignore it.
   */
  setError(type: number, code: number, quotedLen: number, param = 0): this {
    this.reset(type, code, quotedLen);
    if (type === Icmpv6Type.PacketTooBig) this.mtu = param;
    else if (type === Icmpv6Type.ParamProblem) this.pointer = param;
    return this;
  }

  private reset(type: number, code: number, dataLen: number): void {
    this.type = type;
    this.code = code;
    this.identifier = 0;
    this.sequence = 0;
    this.mtu = 0;
    this.pointer = 0;
    this.dataLen = dataLen;
  }
}

function checkQuote(v: Icmpv6View): DropReason {
  if (v.quotedLength < ICMPV6_MIN_QUOTE) return DropReason.IcmpTruncated;
  if (v.buf[v.quotedOffset]! >>> 4 !== 6) return DropReason.BadVersion;
  return DropReason.Ok;
}

/** Compute and store the checksum of the ICMPv6 message at `off` (`len` bytes, options and data included). */
export function fillIcmpv6Checksum(
  buf: Uint8Array,
  off: number,
  len: number,
  addrs: ChecksumAddresses,
): void {
  set16(buf, off + 2, 0);
  set16(buf, off + 2, checksum(buf, off, len, transportSum(addrs, IPPROTO_ICMPV6, len)));
}

/** True when the message's checksum is right (it is mandatory: zero is not "absent"). */
export function verifyIcmpv6Checksum(
  buf: Uint8Array,
  off: number,
  len: number,
  addrs: ChecksumAddresses,
): boolean {
  return checksum(buf, off, len, transportSum(addrs, IPPROTO_ICMPV6, len)) === 0;
}
