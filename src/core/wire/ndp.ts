/**
 * Neighbor Discovery for IPv6 (RFC 4861): router solicitation/advertisement, neighbor
 * solicitation/advertisement and redirect, with their options. NDP messages are ICMPv6 messages:
 * check an `Icmpv6View` first, then `NdpRepr.parse(view)` when `view.type` is 133–137.
 *
 * Fixed parts (offsets from the start of the ICMPv6 message; options follow them):
 *
 * ```
 * RS  (133)  4 reserved                                                        options at  8
 * RA  (134)  4 cur hop limit, 5 flags (M 0x80, O 0x40, ...), 6 router lifetime,
 *            8 reachable time (ms), 12 retrans timer (ms)                       options at 16
 * NS  (135)  4 reserved, 8 target                                              options at 24
 * NA  (136)  4 flags (R 0x80, S 0x40, O 0x20) + reserved, 8 target              options at 24
 * Redirect   4 reserved, 8 target, 24 destination                              options at 40
 * ```
 *
 * Each option is `type, length (in 8-octet units, never 0), body`. Known options are decoded into a
 * preallocated slot; unknown ones (and link-layer addresses that are not 6 bytes long) are kept as a
 * reference to their bytes so the message re-emits identically. The redirected header option keeps
 * a reference to the quoted packet the same way. Referenced bytes stay in the parsed buffer: copy
 * what you need before that buffer is reused.
 *
 * Checks that need the IP header (hop limit 255, source address rules of RFC 4861 §6.1/§7.1/§8.1)
 * belong to the caller; `checkNdpHopLimit` covers the first.
 */

import { get16, get32, set16, set32 } from './bytes.js';
import { DropReason } from './drop.js';
import { Icmpv6Type, type Icmpv6View } from './icmpv6.js';

/** Option slots per message. More options than this is a drop (see `NdpRepr.parse`). */
export const NDP_MAX_OPTIONS = 16;
/** RFC 4861 §6.1.1, §7.1.1, §8.1: NDP messages are only accepted with an IPv6 hop limit of 255. */
export const NDP_HOP_LIMIT = 255;

export enum NdpOptionType {
  SourceLinkAddr = 1,
  TargetLinkAddr = 2,
  PrefixInfo = 3,
  RedirectedHeader = 4,
  Mtu = 5,
}

/** Router advertisement flags (byte 5). Other bits (RFC 3775 H, RFC 4191 Prf, RFC 4389 P) are kept. */
export const RA_FLAG_MANAGED = 0x80;
export const RA_FLAG_OTHER = 0x40;
/** Prefix information flags. Other bits (e.g. RFC 6275 R) are kept. */
export const PREFIX_FLAG_ON_LINK = 0x80;
export const PREFIX_FLAG_AUTONOMOUS = 0x40;

const NA_FLAG_ROUTER = 0x80;
const NA_FLAG_SOLICITED = 0x40;
const NA_FLAG_OVERRIDE = 0x20;

/** Length in bytes of the fixed part (ICMPv6 header included) of an NDP message type; 0 if not NDP. */
export function ndpFixedLen(type: number): number {
  switch (type) {
    case Icmpv6Type.RouterSolicit:
      return 8;
    case Icmpv6Type.RouterAdvert:
      return 16;
    case Icmpv6Type.NeighborSolicit:
    case Icmpv6Type.NeighborAdvert:
      return 24;
    case Icmpv6Type.Redirect:
      return 40;
    default:
      return 0;
  }
}

/** `DropReason.NdpBadHopLimit` unless the IPv6 hop limit of an NDP message is 255. */
export function checkNdpHopLimit(hopLimit: number): DropReason {
  return hopLimit === NDP_HOP_LIMIT ? DropReason.Ok : DropReason.NdpBadHopLimit;
}

const EMPTY = new Uint8Array(0);

/**
 * One option slot. `type` says which fields matter:
 * - `raw` true (unknown type, or a link-layer address that is not 6 bytes): `data*` is the body
 *   after the 2 type/length bytes (its length is a multiple of 8, minus 2).
 * - source/target link-layer address: `linkAddr` (Ethernet MAC).
 * - prefix information: `prefixLength`, `prefixFlags`, `validLifetime`, `preferredLifetime`, `prefix`.
 * - MTU: `mtu`.
 * - redirected header: `data*` is the quoted packet after the 8-byte option header.
 */
export class NdpOption {
  type = 0;
  raw = false;
  readonly linkAddr = new Uint8Array(6);
  prefixLength = 0;
  prefixFlags = 0;
  /** Seconds; 0xffffffff is infinity. */
  validLifetime = 0;
  preferredLifetime = 0;
  readonly prefix = new Uint8Array(16);
  mtu = 0;
  dataBuf: Uint8Array = EMPTY;
  dataOff = 0;
  dataLen = 0;

  get onLink(): boolean {
    return (this.prefixFlags & PREFIX_FLAG_ON_LINK) !== 0;
  }
  get autonomous(): boolean {
    return (this.prefixFlags & PREFIX_FLAG_AUTONOMOUS) !== 0;
  }

  /** Bytes this option takes on the wire (bodies are zero-padded to a multiple of 8). */
  wireLen(): number {
    if (this.raw) return (this.dataLen + 2 + 7) & ~7;
    switch (this.type) {
      case NdpOptionType.PrefixInfo:
        return 32;
      case NdpOptionType.RedirectedHeader:
        return (this.dataLen + 8 + 7) & ~7;
      default:
        return 8;
    }
  }

  clear(type: number): void {
    this.type = type;
    this.raw = false;
    this.prefixLength = 0;
    this.prefixFlags = 0;
    this.validLifetime = 0;
    this.preferredLifetime = 0;
    this.mtu = 0;
    this.dataBuf = EMPTY;
    this.dataOff = 0;
    this.dataLen = 0;
  }

  /** Decode the option of `len` bytes (already checked: a non-zero multiple of 8, in bounds) at `p`. */
  parse(buf: Uint8Array, p: number, len: number): DropReason {
    const type = buf[p]!;
    this.clear(type);
    switch (type) {
      case NdpOptionType.SourceLinkAddr:
      case NdpOptionType.TargetLinkAddr:
        if (len === 8) {
          for (let i = 0; i < 6; i++) this.linkAddr[i] = buf[p + 2 + i]!;
          return DropReason.Ok;
        }
        break;
      case NdpOptionType.PrefixInfo:
        // RFC 4861 §4.6.2: length 4.
        if (len !== 32) return DropReason.NdpBadOption;
        this.prefixLength = buf[p + 2]!;
        this.prefixFlags = buf[p + 3]!;
        this.validLifetime = get32(buf, p + 4);
        this.preferredLifetime = get32(buf, p + 8);
        for (let i = 0; i < 16; i++) this.prefix[i] = buf[p + 16 + i]!;
        return DropReason.Ok;
      case NdpOptionType.Mtu:
        // RFC 4861 §4.6.4: length 1.
        if (len !== 8) return DropReason.NdpBadOption;
        this.mtu = get32(buf, p + 4);
        return DropReason.Ok;
      case NdpOptionType.RedirectedHeader:
        this.dataBuf = buf;
        this.dataOff = p + 8;
        this.dataLen = len - 8;
        return DropReason.Ok;
    }
    this.raw = true;
    this.dataBuf = buf;
    this.dataOff = p + 2;
    this.dataLen = len - 2;
    return DropReason.Ok;
  }

  /** Write the option at `p`; returns its length. */
  emit(buf: Uint8Array, p: number): number {
    const len = this.wireLen();
    buf[p] = this.type;
    buf[p + 1] = len >>> 3;
    if (this.raw) {
      copyBytes(this.dataBuf, this.dataOff, buf, p + 2, this.dataLen);
      buf.fill(0, p + 2 + this.dataLen, p + len);
      return len;
    }
    switch (this.type) {
      case NdpOptionType.PrefixInfo:
        buf[p + 2] = this.prefixLength;
        buf[p + 3] = this.prefixFlags;
        set32(buf, p + 4, this.validLifetime);
        set32(buf, p + 8, this.preferredLifetime);
        set32(buf, p + 12, 0);
        buf.set(this.prefix, p + 16);
        break;
      case NdpOptionType.Mtu:
        set16(buf, p + 2, 0);
        set32(buf, p + 4, this.mtu);
        break;
      case NdpOptionType.RedirectedHeader:
        set16(buf, p + 2, 0);
        set32(buf, p + 4, 0);
        copyBytes(this.dataBuf, this.dataOff, buf, p + 8, this.dataLen);
        buf.fill(0, p + 8 + this.dataLen, p + len);
        break;
      default:
        // Source/target link-layer address.
        buf.set(this.linkAddr, p + 2);
    }
    return len;
  }

  equals(o: NdpOption): boolean {
    if (this.type !== o.type || this.raw !== o.raw) return false;
    if (this.raw)
      return rangeEquals(this.dataBuf, this.dataOff, o.dataBuf, o.dataOff, this.dataLen, o.dataLen);
    switch (this.type) {
      case NdpOptionType.PrefixInfo:
        return (
          this.prefixLength === o.prefixLength &&
          this.prefixFlags === o.prefixFlags &&
          this.validLifetime === o.validLifetime &&
          this.preferredLifetime === o.preferredLifetime &&
          rangeEquals(this.prefix, 0, o.prefix, 0, 16, 16)
        );
      case NdpOptionType.Mtu:
        return this.mtu === o.mtu;
      case NdpOptionType.RedirectedHeader:
        return rangeEquals(this.dataBuf, this.dataOff, o.dataBuf, o.dataOff, this.dataLen, o.dataLen);
      default:
        return rangeEquals(this.linkAddr, 0, o.linkAddr, 0, 6, 6);
    }
  }
}

/**
 * A validated NDP message. `type` selects the meaningful fields; `parse` zeroes the rest.
 * `options[0 .. optionCount)` are this message's options, in wire order.
 */
export class NdpRepr {
  type = 0;
  /** Router advertisement. */
  curHopLimit = 0;
  raFlags = 0;
  /** Seconds. */
  routerLifetime = 0;
  /** Milliseconds. */
  reachableTime = 0;
  /** Milliseconds. */
  retransTimer = 0;
  /** Neighbor advertisement. */
  router = false;
  solicited = false;
  override = false;
  /** NS/NA/redirect target. */
  readonly target = new Uint8Array(16);
  /** Redirect destination. */
  readonly destination = new Uint8Array(16);
  readonly options: readonly NdpOption[];
  optionCount = 0;

  constructor() {
    const slots: NdpOption[] = [];
    for (let i = 0; i < NDP_MAX_OPTIONS; i++) slots.push(new NdpOption());
    this.options = slots;
  }

  get managed(): boolean {
    return (this.raFlags & RA_FLAG_MANAGED) !== 0;
  }
  get otherConfig(): boolean {
    return (this.raFlags & RA_FLAG_OTHER) !== 0;
  }

  /**
   * Drops: not an NDP type → `IcmpUnknownType`; code ≠ 0 → `IcmpBadCode`; shorter than the fixed
   * part → `IcmpTruncated`; multicast NS/NA target or redirect destination → `BadAddress`; an option
   * of length 0, running past the message, or malformed (prefix info ≠ 32 bytes, MTU ≠ 8), or more
   * than `NDP_MAX_OPTIONS` options → `NdpTooManyOptions`.
   */
  parse(v: Icmpv6View): DropReason {
    const type = v.type;
    const fixed = ndpFixedLen(type);
    this.reset(type);
    if (fixed === 0) return DropReason.IcmpUnknownType;
    // RFC 4861 §6.1, §7.1, §8.1: ICMP code is 0.
    if (v.code !== 0) return DropReason.IcmpBadCode;
    if (v.len < fixed) return DropReason.IcmpTruncated;
    const b = v.buf;
    const o = v.off;
    switch (type) {
      case Icmpv6Type.RouterAdvert:
        this.curHopLimit = b[o + 4]!;
        this.raFlags = b[o + 5]!;
        this.routerLifetime = get16(b, o + 6);
        this.reachableTime = get32(b, o + 8);
        this.retransTimer = get32(b, o + 12);
        break;
      case Icmpv6Type.NeighborAdvert:
      case Icmpv6Type.NeighborSolicit:
        if (type === Icmpv6Type.NeighborAdvert) {
          const f = b[o + 4]!;
          this.router = (f & NA_FLAG_ROUTER) !== 0;
          this.solicited = (f & NA_FLAG_SOLICITED) !== 0;
          this.override = (f & NA_FLAG_OVERRIDE) !== 0;
        }
        for (let i = 0; i < 16; i++) this.target[i] = b[o + 8 + i]!;
        // RFC 4861 §7.1.1/§7.1.2: the target is not a multicast address.
        if (this.target[0] === 0xff) return DropReason.BadAddress;
        break;
      case Icmpv6Type.Redirect:
        for (let i = 0; i < 16; i++) {
          this.target[i] = b[o + 8 + i]!;
          this.destination[i] = b[o + 24 + i]!;
        }
        // RFC 4861 §8.1: the destination is not a multicast address.
        if (this.destination[0] === 0xff) return DropReason.BadAddress;
        break;
    }
    return this.parseOptions(b, o + fixed, o + v.len);
  }

  private parseOptions(b: Uint8Array, p: number, end: number): DropReason {
    while (p < end) {
      if (end - p < 8) return DropReason.NdpBadOption;
      const len = b[p + 1]! << 3;
      // RFC 4861 §4.6: a length of 0 is invalid and the whole packet is discarded.
      if (len === 0 || len > end - p) return DropReason.NdpBadOption;
      if (this.optionCount === NDP_MAX_OPTIONS) return DropReason.NdpTooManyOptions;
      const r = this.options[this.optionCount]!.parse(b, p, len);
      if (r) return r;
      this.optionCount++;
      p += len;
    }
    return DropReason.Ok;
  }

  /** The whole message: fixed part plus options (NDP messages have no payload). */
  headerLen(): number {
    let n = ndpFixedLen(this.type);
    for (let i = 0; i < this.optionCount; i++) n += this.options[i]!.wireLen();
    return n;
  }

  /**
   * Writes the whole message (ICMPv6 header with a zero checksum, fixed part, options); returns its
   * length. Fill the checksum with `fillIcmpv6Checksum` afterwards.
   */
  emit(buf: Uint8Array, off: number): number {
    const type = this.type;
    buf[off] = type;
    buf[off + 1] = 0;
    set16(buf, off + 2, 0);
    set32(buf, off + 4, 0);
    switch (type) {
      case Icmpv6Type.RouterAdvert:
        buf[off + 4] = this.curHopLimit;
        buf[off + 5] = this.raFlags;
        set16(buf, off + 6, this.routerLifetime);
        set32(buf, off + 8, this.reachableTime);
        set32(buf, off + 12, this.retransTimer);
        break;
      case Icmpv6Type.NeighborAdvert:
        buf[off + 4] =
          (this.router ? NA_FLAG_ROUTER : 0) |
          (this.solicited ? NA_FLAG_SOLICITED : 0) |
          (this.override ? NA_FLAG_OVERRIDE : 0);
        buf.set(this.target, off + 8);
        break;
      case Icmpv6Type.NeighborSolicit:
        buf.set(this.target, off + 8);
        break;
      case Icmpv6Type.Redirect:
        buf.set(this.target, off + 8);
        buf.set(this.destination, off + 24);
        break;
    }
    let p = off + ndpFixedLen(type);
    for (let i = 0; i < this.optionCount; i++) p += this.options[i]!.emit(buf, p);
    return p - off;
  }

  equals(o: NdpRepr): boolean {
    if (
      this.type !== o.type ||
      this.curHopLimit !== o.curHopLimit ||
      this.raFlags !== o.raFlags ||
      this.routerLifetime !== o.routerLifetime ||
      this.reachableTime !== o.reachableTime ||
      this.retransTimer !== o.retransTimer ||
      this.router !== o.router ||
      this.solicited !== o.solicited ||
      this.override !== o.override ||
      this.optionCount !== o.optionCount ||
      !rangeEquals(this.target, 0, o.target, 0, 16, 16) ||
      !rangeEquals(this.destination, 0, o.destination, 0, 16, 16)
    ) {
      return false;
    }
    for (let i = 0; i < this.optionCount; i++) if (!this.options[i]!.equals(o.options[i]!)) return false;
    return true;
  }

  /** Reset every field to zero and drop the options, with `type` set. */
  reset(type: number): this {
    this.type = type;
    this.curHopLimit = 0;
    this.raFlags = 0;
    this.routerLifetime = 0;
    this.reachableTime = 0;
    this.retransTimer = 0;
    this.router = false;
    this.solicited = false;
    this.override = false;
    this.target.fill(0);
    this.destination.fill(0);
    this.optionCount = 0;
    return this;
  }

  /** The next free option slot, cleared and typed; undefined when all slots are in use. */
  addOption(type: number): NdpOption | undefined {
    if (this.optionCount === NDP_MAX_OPTIONS) return undefined;
    const opt = this.options[this.optionCount++]!;
    opt.clear(type);
    return opt;
  }

  /** Add a source or target link-layer address option with the 6-byte MAC at `mac[macOff]`. */
  addLinkAddr(type: number, mac: Uint8Array, macOff = 0): NdpOption | undefined {
    const opt = this.addOption(type);
    if (opt) for (let i = 0; i < 6; i++) opt.linkAddr[i] = mac[macOff + i]!;
    return opt;
  }

  addMtu(mtu: number): NdpOption | undefined {
    const opt = this.addOption(NdpOptionType.Mtu);
    if (opt) opt.mtu = mtu;
    return opt;
  }

  /** Add a redirected header option that quotes `len` bytes of `buf` from `off` (copied at emit). */
  addRedirectedHeader(buf: Uint8Array, off: number, len: number): NdpOption | undefined {
    const opt = this.addOption(NdpOptionType.RedirectedHeader);
    if (opt) setData(opt, buf, off, len);
    return opt;
  }

  /** Add an option kept as raw body bytes (everything after its type and length bytes). */
  addRawOption(type: number, buf: Uint8Array, off: number, len: number): NdpOption | undefined {
    const opt = this.addOption(type);
    if (opt) {
      opt.raw = true;
      setData(opt, buf, off, len);
    }
    return opt;
  }

  /** The first option of `type`, or undefined. */
  findOption(type: number): NdpOption | undefined {
    for (let i = 0; i < this.optionCount; i++) {
      const opt = this.options[i]!;
      if (opt.type === type) return opt;
    }
    return undefined;
  }
}

function setData(opt: NdpOption, buf: Uint8Array, off: number, len: number): void {
  opt.dataBuf = buf;
  opt.dataOff = off;
  opt.dataLen = len;
}

function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number): void {
  if (src === dst) {
    dst.copyWithin(dstOff, srcOff, srcOff + len);
    return;
  }
  for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
}

function rangeEquals(
  a: Uint8Array,
  ao: number,
  b: Uint8Array,
  bo: number,
  alen: number,
  blen: number,
): boolean {
  if (alen !== blen) return false;
  for (let i = 0; i < alen; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}
