/**
 * Ethernet II framing (IEEE 802.3 with an EtherType) with an optional IEEE 802.1Q VLAN tag and an
 * optional IEEE 802.1ad service tag in front of it.
 *
 * Layout: dst MAC (6) | src MAC (6) | [S-tag: 0x88a8 + TCI] | [C-tag: 0x8100 + TCI] | EtherType | payload.
 * A TCI is PCP (3 bits) | DEI (1 bit) | VID (12 bits). The frame check sequence is not part of what
 * links hand us, and minimum-size padding is the link's business: `payloadLength` counts everything
 * after the header, padding included (IPv4/IPv6 bound their own lengths).
 *
 * On receive a stacked 0x8100/0x8100 pair (pre-802.1ad "QinQ") is accepted too: the outer tag then
 * reads as the service tag. Emit always writes 0x88a8 for the service tag.
 */

import { get16, set16 } from './bytes.js';
import { DropReason } from './drop.js';

export const ETHERNET_HEADER_LEN = 14;
export const VLAN_TAG_LEN = 4;
/** Shortest frame on the wire without the FCS; shorter frames are padded by the sender. */
export const ETHERNET_MIN_FRAME_LEN = 60;
export const ETHERNET_ADDR_LEN = 6;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.1Q customer tag (C-tag). */
export const ETHERTYPE_VLAN = 0x8100;
/** IEEE 802.1ad service tag (S-tag). */
export const ETHERTYPE_QINQ = 0x88a8;
/** Values below this in the EtherType position are IEEE 802.3 lengths (LLC frames), not types. */
export const ETHERTYPE_MIN = 0x0600;

const EMPTY = new Uint8Array(0);

export class EthernetView {
  buf: Uint8Array = EMPTY;
  off = 0;
  /** Bytes of the frame as delivered (header + payload + any padding). */
  len = 0;
  /** Offset of the outer (service) tag's TCI, or -1. */
  outerTciOffset = -1;
  /** Offset of the 802.1Q tag's TCI, or -1. */
  tciOffset = -1;
  /** Offset of the EtherType that names the payload (after all tags). */
  typeOffset = 0;

  check(buf: Uint8Array, off: number, len: number): DropReason {
    if (off < 0 || len < 0 || off + len > buf.length) return DropReason.Truncated;
    if (len < ETHERNET_HEADER_LEN) return DropReason.EthernetTooShort;
    let outer = -1;
    let inner = -1;
    let typeOff = off + 12;
    let tpid = get16(buf, typeOff);
    if (tpid === ETHERTYPE_QINQ || tpid === ETHERTYPE_VLAN) {
      if (len < ETHERNET_HEADER_LEN + VLAN_TAG_LEN) return DropReason.VlanTruncated;
      const next = get16(buf, off + 16);
      if (tpid === ETHERTYPE_QINQ || next === ETHERTYPE_VLAN) outer = off + 14;
      else inner = off + 14;
      typeOff = off + 16;
      tpid = next;
      if (outer >= 0 && tpid === ETHERTYPE_VLAN) {
        if (len < ETHERNET_HEADER_LEN + 2 * VLAN_TAG_LEN) return DropReason.VlanTruncated;
        inner = off + 18;
        typeOff = off + 20;
      }
    }
    this.buf = buf;
    this.off = off;
    this.len = len;
    this.outerTciOffset = outer;
    this.tciOffset = inner;
    this.typeOffset = typeOff;
    return DropReason.Ok;
  }

  get dstOffset(): number {
    return this.off;
  }
  get srcOffset(): number {
    return this.off + 6;
  }
  /** The EtherType after any tags. */
  get ethertype(): number {
    return get16(this.buf, this.typeOffset);
  }
  get hasVlan(): boolean {
    return this.tciOffset >= 0;
  }
  get hasOuterVlan(): boolean {
    return this.outerTciOffset >= 0;
  }
  /** The 802.1Q TCI, 0 when untagged. */
  get tci(): number {
    return this.tciOffset >= 0 ? get16(this.buf, this.tciOffset) : 0;
  }
  get pcp(): number {
    return this.tci >>> 13;
  }
  get dei(): boolean {
    return (this.tci & 0x1000) !== 0;
  }
  get vid(): number {
    return this.tci & 0x0fff;
  }
  /** The service tag's TCI, 0 when absent. */
  get outerTci(): number {
    return this.outerTciOffset >= 0 ? get16(this.buf, this.outerTciOffset) : 0;
  }
  get headerLength(): number {
    return this.typeOffset + 2 - this.off;
  }
  get payloadOffset(): number {
    return this.typeOffset + 2;
  }
  get payloadLength(): number {
    return this.off + this.len - this.typeOffset - 2;
  }
}

/** One VLAN tag's fields. `present` false means "no tag" (the other fields are then ignored). */
export class VlanTag {
  present = false;
  /** Priority code point, 0..7. */
  pcp = 0;
  /** Drop eligible indicator. */
  dei = false;
  /** VLAN identifier, 0..4095 (0: priority tag only; 4095 reserved). */
  vid = 0;

  get tci(): number {
    return (this.pcp << 13) | (this.dei ? 0x1000 : 0) | this.vid;
  }

  setTci(tci: number): void {
    this.present = true;
    this.pcp = (tci >>> 13) & 7;
    this.dei = (tci & 0x1000) !== 0;
    this.vid = tci & 0x0fff;
  }

  clear(): void {
    this.present = false;
    this.pcp = 0;
    this.dei = false;
    this.vid = 0;
  }

  equals(o: VlanTag): boolean {
    if (this.present !== o.present) return false;
    return !this.present || (this.pcp === o.pcp && this.dei === o.dei && this.vid === o.vid);
  }
}

export class EthernetRepr {
  readonly dst = new Uint8Array(6);
  readonly src = new Uint8Array(6);
  ethertype = 0;
  /** The 802.1Q (C-)tag. */
  readonly vlan = new VlanTag();
  /** The 802.1ad service (S-)tag, outside `vlan`. */
  readonly outerVlan = new VlanTag();

  /**
   * Frames whose type field is an 802.3 length (LLC/SNAP), and frames with more than two tags, are
   * refused as `Unsupported`.
   */
  parse(v: EthernetView): DropReason {
    const type = v.ethertype;
    if (type < ETHERTYPE_MIN || type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ)
      return DropReason.Unsupported;
    const b = v.buf;
    const o = v.off;
    for (let i = 0; i < 6; i++) {
      this.dst[i] = b[o + i]!;
      this.src[i] = b[o + 6 + i]!;
    }
    this.ethertype = type;
    if (v.tciOffset >= 0) this.vlan.setTci(get16(b, v.tciOffset));
    else this.vlan.clear();
    if (v.outerTciOffset >= 0) this.outerVlan.setTci(get16(b, v.outerTciOffset));
    else this.outerVlan.clear();
    return DropReason.Ok;
  }

  headerLen(): number {
    return (
      ETHERNET_HEADER_LEN +
      (this.vlan.present ? VLAN_TAG_LEN : 0) +
      (this.outerVlan.present ? VLAN_TAG_LEN : 0)
    );
  }

  emit(buf: Uint8Array, off: number): number {
    buf.set(this.dst, off);
    buf.set(this.src, off + 6);
    let o = off + 12;
    if (this.outerVlan.present) {
      set16(buf, o, ETHERTYPE_QINQ);
      set16(buf, o + 2, this.outerVlan.tci);
      o += VLAN_TAG_LEN;
    }
    if (this.vlan.present) {
      set16(buf, o, ETHERTYPE_VLAN);
      set16(buf, o + 2, this.vlan.tci);
      o += VLAN_TAG_LEN;
    }
    set16(buf, o, this.ethertype);
    return o + 2 - off;
  }

  equals(o: EthernetRepr): boolean {
    for (let i = 0; i < 6; i++) {
      if (this.dst[i] !== o.dst[i] || this.src[i] !== o.src[i]) return false;
    }
    return this.ethertype === o.ethertype && this.vlan.equals(o.vlan) && this.outerVlan.equals(o.outerVlan);
  }
}

/** True for a group (multicast or broadcast) MAC address: the I/G bit of the first octet. */
export function isMulticastMac(b: Uint8Array, off = 0): boolean {
  return (b[off]! & 1) !== 0;
}

export function isBroadcastMac(b: Uint8Array, off = 0): boolean {
  return (b[off]! & b[off + 1]! & b[off + 2]! & b[off + 3]! & b[off + 4]! & b[off + 5]!) === 0xff;
}
