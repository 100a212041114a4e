/**
 * UDP (RFC 768). The template every wire module follows:
 *
 * - `UdpView`: offset accessors over a frame. `check(buf, off, len)` does the one length check;
 *   after it returns `DropReason.Ok` every accessor reads in bounds. Views are reusable (no
 *   allocation per packet): keep one per pipeline stage and re-`check` it.
 * - `UdpRepr`: a small validated record. `parse(view)` fills it from a checked view and may refuse
 *   with a drop reason; `headerLen()`; `emit(buf, off)` writes the header and returns its length.
 *   `parse(emit(r))` equals `r` (property-tested).
 * - Checksums are separate helpers because they need the pseudo-header and the payload.
 */

import { get16, set16 } from './bytes.js';
import { checksum } from './checksum.js';
import { DropReason } from './drop.js';
import { type ChecksumAddresses, transportSum } from './pseudo.js';

export const UDP_HEADER_LEN = 8;
export const IPPROTO_UDP = 17;

const EMPTY = new Uint8Array(0);

export class UdpView {
  buf: Uint8Array = EMPTY;
  off = 0;
  /** Bytes of this datagram (header + payload), as bounded by the UDP length field. */
  len = 0;

  /** `len` is what the layer below delivers; the UDP length field must fit inside it. */
  check(buf: Uint8Array, off: number, len: number): DropReason {
    if (off < 0 || len < UDP_HEADER_LEN || off + len > buf.length) return DropReason.Truncated;
    const udpLen = get16(buf, off + 4);
    // A length of 0 is only meaningful for IPv6 jumbograms (RFC 2675), which we do not accept.
    if (udpLen < UDP_HEADER_LEN || udpLen > len) return DropReason.UdpBadLength;
    this.buf = buf;
    this.off = off;
    this.len = udpLen;
    return DropReason.Ok;
  }

  get srcPort(): number {
    return get16(this.buf, this.off);
  }
  get dstPort(): number {
    return get16(this.buf, this.off + 2);
  }
  get length(): number {
    return get16(this.buf, this.off + 4);
  }
  get checksum(): number {
    return get16(this.buf, this.off + 6);
  }
  get payloadOffset(): number {
    return this.off + UDP_HEADER_LEN;
  }
  get payloadLength(): number {
    return this.len - UDP_HEADER_LEN;
  }
}

export class UdpRepr {
  srcPort = 0;
  dstPort = 0;
  /** Payload bytes that follow the header. */
  payloadLen = 0;

  parse(v: UdpView): DropReason {
    this.srcPort = v.srcPort;
    this.dstPort = v.dstPort;
    this.payloadLen = v.payloadLength;
    return DropReason.Ok;
  }

  headerLen(): number {
    return UDP_HEADER_LEN;
  }

  /** Writes the header with a zero checksum; fill it with `fillUdpChecksum` once the payload is in place. */
  emit(buf: Uint8Array, off: number): number {
    set16(buf, off, this.srcPort);
    set16(buf, off + 2, this.dstPort);
    set16(buf, off + 4, UDP_HEADER_LEN + this.payloadLen);
    set16(buf, off + 6, 0);
    return UDP_HEADER_LEN;
  }

  equals(o: UdpRepr): boolean {
    return this.srcPort === o.srcPort && this.dstPort === o.dstPort && this.payloadLen === o.payloadLen;
  }
}

/** Compute and store the checksum of the datagram at `off` (header + payload, `len` bytes). */
export function fillUdpChecksum(buf: Uint8Array, off: number, len: number, addrs: ChecksumAddresses): void {
  set16(buf, off + 6, 0);
  let c = checksum(buf, off, len, transportSum(addrs, IPPROTO_UDP, len));
  // RFC 768: a computed zero is sent as all ones (zero means "no checksum" over IPv4).
  if (c === 0) c = 0xffff;
  set16(buf, off + 6, c);
}

/** True when the datagram's checksum is right (or absent over IPv4, which RFC 768 allows). */
export function verifyUdpChecksum(
  buf: Uint8Array,
  off: number,
  len: number,
  addrs: ChecksumAddresses,
): boolean {
  if (get16(buf, off + 6) === 0) return addrs.v6 === undefined; // RFC 8200 §8.1: mandatory over IPv6
  return checksum(buf, off, len, transportSum(addrs, IPPROTO_UDP, len)) === 0;
}
