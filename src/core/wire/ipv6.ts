/**
 * IPv6 (RFC 8200): the fixed header, the Fragment header, and a walk over the extension-header chain.
 *
 * Fixed header: version (4 bits) | traffic class (8 bits: DSCP 6 + ECN 2) | flow label (20 bits) |
 * payload length (2) | next header (1) | hop limit (1) | source (16) | destination (16).
 *
 * `Ipv6View.check` bounds the packet by its payload length, so link padding after it is ignored.
 * Jumbograms (payload length 0 with a Jumbo Payload option, RFC 2675) are not supported: a zero
 * payload length reads as an empty payload.
 */

import { get16, get32, set16, set32 } from './bytes.js';
import { DropReason } from './drop.js';

export const IPV6_HEADER_LEN = 40;
export const IPV6_ADDR_LEN = 16;
export const IPV6_MIN_MTU = 1280;
export const IPV6_FRAGMENT_HEADER_LEN = 8;
/** Largest reassembled payload (the payload length field is 16 bits). */
export const IPV6_MAX_PAYLOAD_LEN = 65535;

/** Next Header values of the extension headers the walk understands (IANA "IPv6 Extension Header Types"). */
export const IPV6_NH_HOP_BY_HOP = 0;
export const IPV6_NH_ROUTING = 43;
export const IPV6_NH_FRAGMENT = 44;
export const IPV6_NH_ESP = 50;
export const IPV6_NH_AH = 51;
export const IPV6_NH_NONE = 59;
export const IPV6_NH_DEST_OPTS = 60;

/** Default bound on extension headers in one packet. */
export const IPV6_MAX_EXT_HEADERS = 8;

const EMPTY = new Uint8Array(0);

export class Ipv6View {
  buf: Uint8Array = EMPTY;
  off = 0;
  /** Bytes of the packet: 40 + the payload length field (checked to fit in what was delivered). */
  len = 0;

  check(buf: Uint8Array, off: number, len: number): DropReason {
    if (off < 0 || len < IPV6_HEADER_LEN || off + len > buf.length) return DropReason.Truncated;
    if (buf[off]! >>> 4 !== 6) return DropReason.BadVersion;
    const total = IPV6_HEADER_LEN + get16(buf, off + 4);
    if (total > len) return DropReason.Ipv6BadPayloadLength;
    this.buf = buf;
    this.off = off;
    this.len = total;
    return DropReason.Ok;
  }

  get version(): number {
    return this.buf[this.off]! >>> 4;
  }
  get trafficClass(): number {
    return (get16(this.buf, this.off) >>> 4) & 0xff;
  }
  get dscp(): number {
    return this.trafficClass >>> 2;
  }
  get ecn(): number {
    return this.trafficClass & 3;
  }
  get flowLabel(): number {
    return ((this.buf[this.off + 1]! & 0x0f) << 16) | get16(this.buf, this.off + 2);
  }
  get payloadLength(): number {
    return get16(this.buf, this.off + 4);
  }
  get nextHeader(): number {
    return this.buf[this.off + 6]!;
  }
  get hopLimit(): number {
    return this.buf[this.off + 7]!;
  }
  get srcOffset(): number {
    return this.off + 8;
  }
  get dstOffset(): number {
    return this.off + 24;
  }
  get payloadOffset(): number {
    return this.off + IPV6_HEADER_LEN;
  }
}

export class Ipv6Repr {
  /** Differentiated services code point, 0..63 (upper six bits of the traffic class). */
  dscp = 0;
  /** Explicit congestion notification, 0..3. */
  ecn = 0;
  /** 20 bits. */
  flowLabel = 0;
  /** Bytes after the fixed header, extension headers included. */
  payloadLen = 0;
  nextHeader = 0;
  hopLimit = 64;
  readonly src = new Uint8Array(IPV6_ADDR_LEN);
  readonly dst = new Uint8Array(IPV6_ADDR_LEN);

  parse(v: Ipv6View): DropReason {
    const b = v.buf;
    const o = v.off;
    const tc = v.trafficClass;
    this.dscp = tc >>> 2;
    this.ecn = tc & 3;
    this.flowLabel = v.flowLabel;
    this.payloadLen = v.len - IPV6_HEADER_LEN;
    this.nextHeader = b[o + 6]!;
    this.hopLimit = b[o + 7]!;
    for (let i = 0; i < IPV6_ADDR_LEN; i++) {
      this.src[i] = b[o + 8 + i]!;
      this.dst[i] = b[o + 24 + i]!;
    }
    return DropReason.Ok;
  }

  headerLen(): number {
    return IPV6_HEADER_LEN;
  }

  emit(buf: Uint8Array, off: number): number {
    const tc = ((this.dscp & 0x3f) << 2) | (this.ecn & 3);
    const fl = this.flowLabel & 0xfffff;
    buf[off] = 0x60 | (tc >>> 4);
    buf[off + 1] = ((tc & 0x0f) << 4) | (fl >>> 16);
    set16(buf, off + 2, fl & 0xffff);
    set16(buf, off + 4, this.payloadLen);
    buf[off + 6] = this.nextHeader;
    buf[off + 7] = this.hopLimit;
    buf.set(this.src, off + 8);
    buf.set(this.dst, off + 24);
    return IPV6_HEADER_LEN;
  }

  equals(o: Ipv6Repr): boolean {
    if (
      this.dscp !== o.dscp ||
      this.ecn !== o.ecn ||
      this.flowLabel !== o.flowLabel ||
      this.payloadLen !== o.payloadLen ||
      this.nextHeader !== o.nextHeader ||
      this.hopLimit !== o.hopLimit
    ) {
      return false;
    }
    for (let i = 0; i < IPV6_ADDR_LEN; i++) {
      if (this.src[i] !== o.src[i] || this.dst[i] !== o.dst[i]) return false;
    }
    return true;
  }
}

/**
 * Fragment header (RFC 8200 §4.5): next header (1) | reserved (1) |
 * fragment offset (13 bits, 8-byte units) + reserved (2 bits) + M (1 bit) (2) | identification (4).
 */
export class Ipv6FragmentView {
  buf: Uint8Array = EMPTY;
  off = 0;

  check(buf: Uint8Array, off: number, len: number): DropReason {
    if (off < 0 || len < IPV6_FRAGMENT_HEADER_LEN || off + len > buf.length) return DropReason.Truncated;
    this.buf = buf;
    this.off = off;
    return DropReason.Ok;
  }

  get nextHeader(): number {
    return this.buf[this.off]!;
  }
  /** Offset in bytes of this fragment's data within the fragmentable part. */
  get fragmentOffset(): number {
    return get16(this.buf, this.off + 2) & 0xfff8;
  }
  get moreFragments(): boolean {
    return (this.buf[this.off + 3]! & 1) !== 0;
  }
  get identification(): number {
    return get32(this.buf, this.off + 4);
  }
}

export class Ipv6FragmentRepr {
  nextHeader = 0;
  /** In bytes; a multiple of 8 below 65536. */
  fragmentOffset = 0;
  moreFragments = false;
  identification = 0;

  parse(v: Ipv6FragmentView): DropReason {
    this.nextHeader = v.nextHeader;
    this.fragmentOffset = v.fragmentOffset;
    this.moreFragments = v.moreFragments;
    this.identification = v.identification;
    return DropReason.Ok;
  }

  headerLen(): number {
    return IPV6_FRAGMENT_HEADER_LEN;
  }

  emit(buf: Uint8Array, off: number): number {
    buf[off] = this.nextHeader;
    buf[off + 1] = 0;
    set16(buf, off + 2, (this.fragmentOffset & 0xfff8) | (this.moreFragments ? 1 : 0));
    set32(buf, off + 4, this.identification);
    return IPV6_FRAGMENT_HEADER_LEN;
  }

  equals(o: Ipv6FragmentRepr): boolean {
    return (
      this.nextHeader === o.nextHeader &&
      this.fragmentOffset === o.fragmentOffset &&
      this.moreFragments === o.moreFragments &&
      this.identification === o.identification
    );
  }
}

/**
 * Walks the extension-header chain of a checked IPv6 packet up to the upper-layer protocol. Reusable:
 * keep one per pipeline stage. Its fields describe the last successful `walk` (after a refusal only
 * `errorOffset` is meaningful).
 *
 * Understood headers: Hop-by-Hop Options (only directly after the fixed header), Routing, Fragment,
 * Destination Options, and Authentication Header (length in 4-byte units + 2, RFC 4302). Anything
 * else ends the walk as the upper-layer protocol, including ESP (50) and No Next Header (59), after
 * which nothing is read (RFC 8200 §4.7).
 *
 * A Fragment header of a real fragment (non-zero offset or M set) also ends the walk: what follows it
 * is fragment data, and `protocol` is the Next Header the fragment header names. An atomic fragment
 * (offset 0, M clear; RFC 6946) is recorded and the walk goes on past it.
 */
export class Ipv6ExtWalker {
  /** Upper-layer protocol number (or 59 / 50 / an unknown extension header's number). */
  protocol = 0;
  /** Offset of the upper-layer header (or of the fragment data). */
  offset = 0;
  /** Bytes from `offset` to the end of the IPv6 payload. */
  length = 0;
  /** Offset of the byte that holds `protocol` (fixed header's Next Header or the last extension's). */
  nextHeaderOffset = 0;
  /** Extension headers passed. */
  headerCount = 0;
  /** Offset of the Hop-by-Hop Options header, or -1. */
  hopByHopOffset = -1;
  /** Offset of the (last) Routing header, or -1. */
  routingOffset = -1;
  /** Offset of the (last) Destination Options header, or -1. */
  destOptsOffset = -1;

  /** A Fragment header was seen; the four fields below describe it. */
  hasFragment = false;
  /** Offset of the Fragment header: the unfragmentable part is [fixed header end, this). */
  fragmentHeaderOffset = -1;
  /** Offset of the Next Header byte that names the Fragment header (to patch when reassembling). */
  fragmentPrevNextHeaderOffset = -1;
  /** In bytes. */
  fragmentOffset = 0;
  moreFragments = false;
  fragmentIdent = 0;

  /** On refusal: offset of the offending field for an ICMPv6 Parameter Problem pointer, or -1. */
  errorOffset = -1;

  constructor(readonly maxHeaders = IPV6_MAX_EXT_HEADERS) {}

  walk(v: Ipv6View): DropReason {
    const b = v.buf;
    const start = v.off + IPV6_HEADER_LEN;
    const end = v.off + v.len;
    let nh = b[v.off + 6]!;
    let nhOff = v.off + 6;
    let pos = start;
    this.headerCount = 0;
    this.hopByHopOffset = -1;
    this.routingOffset = -1;
    this.destOptsOffset = -1;
    this.hasFragment = false;
    this.fragmentHeaderOffset = -1;
    this.fragmentPrevNextHeaderOffset = -1;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.fragmentIdent = 0;
    this.errorOffset = -1;
    for (;;) {
      let hlen: number;
      switch (nh) {
        case IPV6_NH_HOP_BY_HOP:
        case IPV6_NH_ROUTING:
        case IPV6_NH_DEST_OPTS:
        case IPV6_NH_AH:
        case IPV6_NH_FRAGMENT:
          break;
        default:
          return this.finish(nh, nhOff, pos, end);
      }
      if (this.headerCount === this.maxHeaders) {
        this.errorOffset = nhOff;
        return DropReason.Ipv6TooManyExtensionHeaders;
      }
      // RFC 8200 §4.1: Hop-by-Hop Options only immediately after the fixed header.
      if (nh === IPV6_NH_HOP_BY_HOP && pos !== start) {
        this.errorOffset = nhOff;
        return DropReason.Ipv6BadExtensionHeader;
      }
      if (end - pos < 8) {
        this.errorOffset = nhOff; // the header it names is not there
        return DropReason.Ipv6BadExtensionHeader;
      }
      if (nh === IPV6_NH_FRAGMENT) {
        hlen = IPV6_FRAGMENT_HEADER_LEN;
        const fo = get16(b, pos + 2);
        const offBytes = fo & 0xfff8;
        const more = (fo & 1) !== 0;
        const dataLen = end - pos - IPV6_FRAGMENT_HEADER_LEN;
        // RFC 8200 §4.5: non-last fragments carry a multiple of 8 bytes; no fragment reaches past 65535.
        if (more && (dataLen === 0 || (dataLen & 7) !== 0)) {
          this.errorOffset = v.off + 4;
          return DropReason.Ipv6BadFragment;
        }
        if (offBytes + dataLen > IPV6_MAX_PAYLOAD_LEN) {
          this.errorOffset = pos + 2;
          return DropReason.Ipv6BadFragment;
        }
        this.hasFragment = true;
        this.fragmentHeaderOffset = pos;
        this.fragmentPrevNextHeaderOffset = nhOff;
        this.fragmentOffset = offBytes;
        this.moreFragments = more;
        this.fragmentIdent = get32(b, pos + 4);
        this.headerCount++;
        if (offBytes !== 0 || more) return this.finish(b[pos]!, pos, pos + IPV6_FRAGMENT_HEADER_LEN, end);
      } else {
        hlen = nh === IPV6_NH_AH ? (b[pos + 1]! + 2) << 2 : (b[pos + 1]! + 1) << 3;
        if (hlen > end - pos) {
          this.errorOffset = pos + 1;
          return DropReason.Ipv6BadExtensionHeader;
        }
        if (nh === IPV6_NH_HOP_BY_HOP) this.hopByHopOffset = pos;
        else if (nh === IPV6_NH_ROUTING) this.routingOffset = pos;
        else if (nh === IPV6_NH_DEST_OPTS) this.destOptsOffset = pos;
        this.headerCount++;
      }
      nhOff = pos;
      nh = b[pos]!;
      pos += hlen;
    }
  }

  private finish(protocol: number, nhOff: number, pos: number, end: number): DropReason {
    this.protocol = protocol;
    this.nextHeaderOffset = nhOff;
    this.offset = pos;
    this.length = end - pos;
    return DropReason.Ok;
  }
}
