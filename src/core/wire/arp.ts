/**
 * ARP (RFC 826) for IPv4 over Ethernet, the only combination the stack speaks.
 *
 * Layout (28 bytes): htype (2) | ptype (2) | hlen (1) | plen (1) | op (2) | sender MAC (6) |
 * sender IPv4 (4) | target MAC (6) | target IPv4 (4).
 */

import { get16, get32, set16, set32 } from './bytes.js';
import { DropReason } from './drop.js';
import { ETHERTYPE_IPV4 } from './ethernet.js';

export const ARP_LEN = 28;
export const ARP_HTYPE_ETHERNET = 1;

export enum ArpOperation {
  Request = 1,
  Reply = 2,
}

const EMPTY = new Uint8Array(0);

export class ArpView {
  buf: Uint8Array = EMPTY;
  off = 0;

  /**
   * `len` is the payload the link delivered (often padded to 46 bytes). The 28 bytes of an
   * Ethernet/IPv4 packet must be there; other hardware/protocol sizes are refused by `ArpRepr.parse`.
   */
  check(buf: Uint8Array, off: number, len: number): DropReason {
    if (off < 0 || len < ARP_LEN || off + len > buf.length) return DropReason.Truncated;
    this.buf = buf;
    this.off = off;
    return DropReason.Ok;
  }

  get hardwareType(): number {
    return get16(this.buf, this.off);
  }
  get protocolType(): number {
    return get16(this.buf, this.off + 2);
  }
  get hardwareLength(): number {
    return this.buf[this.off + 4]!;
  }
  get protocolLength(): number {
    return this.buf[this.off + 5]!;
  }
  get operation(): number {
    return get16(this.buf, this.off + 6);
  }
  /** Offset of the sender's 6-byte hardware address (meaningful when `hardwareLength` is 6). */
  get senderHardwareOffset(): number {
    return this.off + 8;
  }
  get senderProtocolAddress(): number {
    return get32(this.buf, this.off + 14);
  }
  get targetHardwareOffset(): number {
    return this.off + 18;
  }
  get targetProtocolAddress(): number {
    return get32(this.buf, this.off + 24);
  }
}

export class ArpRepr {
  operation: ArpOperation = ArpOperation.Request;
  readonly senderHardware = new Uint8Array(6);
  senderProtocol = 0;
  readonly targetHardware = new Uint8Array(6);
  targetProtocol = 0;

  parse(v: ArpView): DropReason {
    if (v.hardwareType !== ARP_HTYPE_ETHERNET || v.hardwareLength !== 6) return DropReason.ArpBadHardware;
    if (v.protocolType !== ETHERTYPE_IPV4 || v.protocolLength !== 4) return DropReason.ArpBadProtocol;
    const op = v.operation;
    if (op !== ArpOperation.Request && op !== ArpOperation.Reply) return DropReason.ArpBadOperation;
    const b = v.buf;
    const o = v.off;
    for (let i = 0; i < 6; i++) {
      this.senderHardware[i] = b[o + 8 + i]!;
      this.targetHardware[i] = b[o + 18 + i]!;
    }
    this.operation = op;
    this.senderProtocol = v.senderProtocolAddress;
    this.targetProtocol = v.targetProtocolAddress;
    return DropReason.Ok;
  }

  headerLen(): number {
    return ARP_LEN;
  }

  emit(buf: Uint8Array, off: number): number {
    set16(buf, off, ARP_HTYPE_ETHERNET);
    set16(buf, off + 2, ETHERTYPE_IPV4);
    buf[off + 4] = 6;
    buf[off + 5] = 4;
    set16(buf, off + 6, this.operation);
    buf.set(this.senderHardware, off + 8);
    set32(buf, off + 14, this.senderProtocol);
    buf.set(this.targetHardware, off + 18);
    set32(buf, off + 24, this.targetProtocol);
    return ARP_LEN;
  }

  equals(o: ArpRepr): boolean {
    if (this.operation !== o.operation) return false;
    if (this.senderProtocol !== o.senderProtocol || this.targetProtocol !== o.targetProtocol) return false;
    for (let i = 0; i < 6; i++) {
      if (this.senderHardware[i] !== o.senderHardware[i]) return false;
      if (this.targetHardware[i] !== o.targetHardware[i]) return false;
    }
    return true;
  }
}
