/**
 * IPv4 (RFC 791).
 *
 * Layout: version/IHL (1) | DSCP/ECN (1) | total length (2) | identification (2) |
 * flags (3 bits: reserved, DF, MF) + fragment offset (13 bits, 8-byte units) (2) | TTL (1) |
 * protocol (1) | header checksum (2) | source (4) | destination (4) | options (0..40, to IHL*4).
 *
 * `Ipv4View.check` bounds the datagram by its total length, so link padding after it is ignored.
 * `Ipv4Repr` keeps options as raw bytes (validated for well-formed TLVs) and carries everything
 * reassembly needs: identification, protocol, addresses, MF and the offset in bytes.
 * The header checksum is verified separately (`verifyIpv4Checksum`) so links with checksum offload can
 * skip it; `emit` always fills it.
 */

import { get16, get32, set16, set32 } from './bytes.js';
import { checksum } from './checksum.js';
import { DropReason } from './drop.js';

export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
export const IPV4_MAX_OPTIONS_LEN = 40;
/** Largest datagram: the total length field is 16 bits. */
export const IPV4_MAX_TOTAL_LEN = 65535;

/** RFC 791 option types with no length byte. */
export const IPV4_OPT_EOL = 0;
export const IPV4_OPT_NOP = 1;

const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAG_OFFSET_MASK = 0x1fff;

const EMPTY = new Uint8Array(0);

export class Ipv4View {
  buf: Uint8Array = EMPTY;
  off = 0;
  /** Bytes of the datagram: its total length field (checked to fit in what was delivered). */
  len = 0;
  /** IHL * 4. */
  headerLength = 0;

  /** `len` is what the link delivered; the datagram may be shorter (padding) but never longer. */
  check(buf: Uint8Array, off: number, len: number): DropReason {
    if (off < 0 || len < IPV4_HEADER_LEN || off + len > buf.length) return DropReason.Truncated;
    const vihl = buf[off]!;
    if (vihl >>> 4 !== 4) return DropReason.BadVersion;
    const hlen = (vihl & 0x0f) << 2;
    if (hlen < IPV4_HEADER_LEN) return DropReason.BadHeaderLength;
    if (hlen > len) return DropReason.Truncated;
    const total = get16(buf, off + 2);
    if (total < hlen || total > len) return DropReason.Ipv4BadTotalLength;
    this.buf = buf;
    this.off = off;
    this.len = total;
    this.headerLength = hlen;
    return DropReason.Ok;
  }

  get version(): number {
    return this.buf[this.off]! >>> 4;
  }
  get ihl(): number {
    return this.buf[this.off]! & 0x0f;
  }
  get dscp(): number {
    return this.buf[this.off + 1]! >>> 2;
  }
  get ecn(): number {
    return this.buf[this.off + 1]! & 3;
  }
  get totalLength(): number {
    return get16(this.buf, this.off + 2);
  }
  get identification(): number {
    return get16(this.buf, this.off + 4);
  }
  /** The reserved flag (must be zero; not otherwise acted upon). */
  get reservedFlag(): boolean {
    return (this.buf[this.off + 6]! & 0x80) !== 0;
  }
  get dontFragment(): boolean {
    return (get16(this.buf, this.off + 6) & FLAG_DF) !== 0;
  }
  get moreFragments(): boolean {
    return (get16(this.buf, this.off + 6) & FLAG_MF) !== 0;
  }
  /** Fragment offset in bytes (the field counts 8-byte units). */
  get fragmentOffset(): number {
    return (get16(this.buf, this.off + 6) & FRAG_OFFSET_MASK) << 3;
  }
  get ttl(): number {
    return this.buf[this.off + 8]!;
  }
  get protocol(): number {
    return this.buf[this.off + 9]!;
  }
  get checksum(): number {
    return get16(this.buf, this.off + 10);
  }
  get src(): number {
    return get32(this.buf, this.off + 12);
  }
  get dst(): number {
    return get32(this.buf, this.off + 16);
  }
  get srcOffset(): number {
    return this.off + 12;
  }
  get dstOffset(): number {
    return this.off + 16;
  }
  get optionsOffset(): number {
    return this.off + IPV4_HEADER_LEN;
  }
  get optionsLength(): number {
    return this.headerLength - IPV4_HEADER_LEN;
  }
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }
  get payloadLength(): number {
    return this.len - this.headerLength;
  }
}

/**
 * RFC 791 option list well-formedness over `[start, end)`: single-byte EOL/NOP, every other option a
 * type/length/value whose length is at least 2 and stays inside the header. Bytes after EOL are
 * padding and not looked at.
 */
export function ipv4OptionsValid(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const type = b[i]!;
    if (type === IPV4_OPT_EOL) return true;
    if (type === IPV4_OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) return false;
    const len = b[i + 1]!;
    if (len < 2 || i + len > end) return false;
    i += len;
  }
  return true;
}

export class Ipv4Repr {
  /** Differentiated services code point, 0..63. */
  dscp = 0;
  /** Explicit congestion notification, 0..3. */
  ecn = 0;
  identification = 0;
  dontFragment = false;
  moreFragments = false;
  /** Fragment offset in bytes: a multiple of 8, at most 8 * 8191. */
  fragmentOffset = 0;
  ttl = 64;
  protocol = 0;
  src = 0;
  dst = 0;
  /** Raw option bytes; only the first `optionsLen` count. `emit` pads them to a 4-byte boundary. */
  readonly options = new Uint8Array(IPV4_MAX_OPTIONS_LEN);
  optionsLen = 0;
  /** Bytes after the header. */
  payloadLen = 0;

  /**
   * Refuses malformed option lists (`Ipv4BadOptions`) and impossible fragments (`Ipv4BadFragment`):
   * a non-last fragment whose payload is empty or not a multiple of 8 (RFC 791), or one reaching
   * past the largest datagram.
   */
  parse(v: Ipv4View): DropReason {
    const b = v.buf;
    const o = v.off;
    const optLen = v.headerLength - IPV4_HEADER_LEN;
    if (optLen > 0 && !ipv4OptionsValid(b, o + IPV4_HEADER_LEN, o + v.headerLength)) {
      return DropReason.Ipv4BadOptions;
    }
    const payloadLen = v.len - v.headerLength;
    const flags = get16(b, o + 6);
    const mf = (flags & FLAG_MF) !== 0;
    const fragOff = (flags & FRAG_OFFSET_MASK) << 3;
    if (mf && (payloadLen === 0 || (payloadLen & 7) !== 0)) return DropReason.Ipv4BadFragment;
    if (fragOff + payloadLen > IPV4_MAX_TOTAL_LEN - IPV4_HEADER_LEN) return DropReason.Ipv4BadFragment;
    const tos = b[o + 1]!;
    this.dscp = tos >>> 2;
    this.ecn = tos & 3;
    this.identification = get16(b, o + 4);
    this.dontFragment = (flags & FLAG_DF) !== 0;
    this.moreFragments = mf;
    this.fragmentOffset = fragOff;
    this.ttl = b[o + 8]!;
    this.protocol = b[o + 9]!;
    this.src = get32(b, o + 12);
    this.dst = get32(b, o + 16);
    for (let i = 0; i < optLen; i++) this.options[i] = b[o + IPV4_HEADER_LEN + i]!;
    this.optionsLen = optLen;
    this.payloadLen = payloadLen;
    return DropReason.Ok;
  }

  /** True when this datagram is a piece of a larger one (MF set or a non-zero offset). */
  get isFragment(): boolean {
    return this.moreFragments || this.fragmentOffset !== 0;
  }

  headerLen(): number {
    return IPV4_HEADER_LEN + ((this.optionsLen + 3) & ~3);
  }

  /** Writes the header, options and header checksum; the caller keeps `payloadLen` within 65535 - header. */
  emit(buf: Uint8Array, off: number): number {
    const hlen = this.headerLen();
    buf[off] = 0x40 | (hlen >>> 2);
    buf[off + 1] = (this.dscp << 2) | (this.ecn & 3);
    set16(buf, off + 2, hlen + this.payloadLen);
    set16(buf, off + 4, this.identification);
    set16(
      buf,
      off + 6,
      (this.dontFragment ? FLAG_DF : 0) |
        (this.moreFragments ? FLAG_MF : 0) |
        ((this.fragmentOffset >>> 3) & FRAG_OFFSET_MASK),
    );
    buf[off + 8] = this.ttl;
    buf[off + 9] = this.protocol;
    set16(buf, off + 10, 0);
    set32(buf, off + 12, this.src);
    set32(buf, off + 16, this.dst);
    let i = 0;
    for (; i < this.optionsLen; i++) buf[off + IPV4_HEADER_LEN + i] = this.options[i]!;
    for (; IPV4_HEADER_LEN + i < hlen; i++) buf[off + IPV4_HEADER_LEN + i] = 0;
    set16(buf, off + 10, checksum(buf, off, hlen));
    return hlen;
  }

  equals(o: Ipv4Repr): boolean {
    if (
      this.dscp !== o.dscp ||
      this.ecn !== o.ecn ||
      this.identification !== o.identification ||
      this.dontFragment !== o.dontFragment ||
      this.moreFragments !== o.moreFragments ||
      this.fragmentOffset !== o.fragmentOffset ||
      this.ttl !== o.ttl ||
      this.protocol !== o.protocol ||
      this.src !== o.src ||
      this.dst !== o.dst ||
      this.optionsLen !== o.optionsLen ||
      this.payloadLen !== o.payloadLen
    ) {
      return false;
    }
    for (let i = 0; i < this.optionsLen; i++) if (this.options[i] !== o.options[i]) return false;
    return true;
  }
}

/** Compute and store the header checksum of the IPv4 header at `off` (`headerLen` = IHL * 4). */
export function fillIpv4Checksum(buf: Uint8Array, off: number, headerLen: number): void {
  set16(buf, off + 10, 0);
  set16(buf, off + 10, checksum(buf, off, headerLen));
}

/** True when the header checksum of the IPv4 header at `off` is right. */
export function verifyIpv4Checksum(buf: Uint8Array, off: number, headerLen: number): boolean {
  return checksum(buf, off, headerLen) === 0;
}
