/**
 * TCP header (RFC 9293 §3.1), following the wire-module template of udp.ts:
 *
 * - `TcpView`: offset accessors over a segment after one `check(buf, off, len)`, where `len` is the
 *   segment length the IP layer delivers (TCP has no length field of its own).
 * - `TcpRepr`: the header as a record, with its options in a preallocated `TcpOptions` that keeps
 *   their order, so `emit(parse(bytes))` reproduces the header (the three reserved bits excepted:
 *   they are emitted as zero, RFC 9293 §3.1).
 * - Checksums are separate helpers (`fillTcpChecksum`, `verifyTcpChecksum`) over the pseudo-header.
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-------------------------------+-------------------------------+
 *    |          Source Port          |       Destination Port        |   0
 *    +-------------------------------+-------------------------------+
 *    |                        Sequence Number                        |   4
 *    +---------------------------------------------------------------+
 *    |                    Acknowledgment Number                      |   8
 *    +-------+-----+-+-+-+-+-+-+-+-+-+-------------------------------+
 *    | Data  | Rsv |A|C|E|U|A|P|R|S|F|                               |
 *    | Offset|     |E|W|C|R|C|S|S|Y|I|            Window             |  12
 *    |       |     | |R|E|G|K|H|T|N|N|                               |
 *    +-------+-----+-+-+-+-+-+-+-+-+-+-------------------------------+
 *    |           Checksum            |         Urgent Pointer        |  16
 *    +-------------------------------+-------------------------------+
 *    |                    Options (0..40 bytes)                      |  20
 *
 * AE is the bit RFC 3540 called NS (historic); Accurate ECN reuses it as AE. The flags are handled as one 9-bit
 * number: bits 0..7 are byte 13, bit 8 is the low bit of byte 12.
 */

import { get16, get32, set16, set32 } from './bytes.js';
import { checksum } from './checksum.js';
import { DropReason } from './drop.js';
import { type ChecksumAddresses, transportSum } from './pseudo.js';
import { TcpOptions } from './tcp-options.js';

export const TCP_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;
export const IPPROTO_TCP = 6;

/** Flag bit masks of the 9-bit flags field. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
  AE: 0x100,
} as const;

const EMPTY = new Uint8Array(0);

export class TcpView {
  buf: Uint8Array = EMPTY;
  off = 0;
  /** Bytes of this segment (header + payload), as delivered by the IP layer. */
  len = 0;

  /**
   * `len` is the segment length from the layer below. The data offset must be at least 5 words and
   * the header it describes must fit inside `len`.
   */
  check(buf: Uint8Array, off: number, len: number): DropReason {
    if (off < 0 || len < TCP_HEADER_LEN || off + len > buf.length) return DropReason.Truncated;
    const headerLen = (buf[off + 12]! >>> 4) << 2;
    if (headerLen < TCP_HEADER_LEN || headerLen > len) return DropReason.TcpBadDataOffset;
    this.buf = buf;
    this.off = off;
    this.len = len;
    return DropReason.Ok;
  }

  get srcPort(): number {
    return get16(this.buf, this.off);
  }
  get dstPort(): number {
    return get16(this.buf, this.off + 2);
  }
  get seq(): number {
    return get32(this.buf, this.off + 4);
  }
  get ack(): number {
    return get32(this.buf, this.off + 8);
  }
  /** Data offset in 32-bit words (5..15 after `check`). */
  get dataOffset(): number {
    return this.buf[this.off + 12]! >>> 4;
  }
  /** Header length in bytes, options included. */
  get headerLength(): number {
    return (this.buf[this.off + 12]! >>> 4) << 2;
  }
  /** The three reserved bits (RFC 9293: sent as zero, ignored on receipt). */
  get reserved(): number {
    return (this.buf[this.off + 12]! >>> 1) & 7;
  }
  /** All 9 flag bits (`TcpFlag` masks), AE included. */
  get flags(): number {
    return ((this.buf[this.off + 12]! & 1) << 8) | this.buf[this.off + 13]!;
  }
  hasFlag(mask: number): boolean {
    return (this.flags & mask) !== 0;
  }
  get window(): number {
    return get16(this.buf, this.off + 14);
  }
  get checksum(): number {
    return get16(this.buf, this.off + 16);
  }
  get urgent(): number {
    return get16(this.buf, this.off + 18);
  }
  get optionsOffset(): number {
    return this.off + TCP_HEADER_LEN;
  }
  get optionsLength(): number {
    return this.headerLength - TCP_HEADER_LEN;
  }
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }
  get payloadLength(): number {
    return this.len - this.headerLength;
  }
}

export class TcpRepr {
  srcPort = 0;
  dstPort = 0;
  /** Sequence number (uint32). */
  seq = 0;
  /** Acknowledgment number (uint32), kept as sent even when ACK is not set. */
  ack = 0;
  /** 9-bit flags (`TcpFlag` masks). */
  flags = 0;
  window = 0;
  urgent = 0;
  readonly options = new TcpOptions();
  /** Payload bytes that follow the header. */
  payloadLen = 0;

  /**
   * Fill from a checked view. Returns the options' verdict: on `TcpBadOption` the record is still
   * complete (the malformed option is kept, undecoded), so a caller may choose to ignore it.
   */
  parse(v: TcpView): DropReason {
    const b = v.buf;
    const o = v.off;
    this.srcPort = get16(b, o);
    this.dstPort = get16(b, o + 2);
    this.seq = get32(b, o + 4);
    this.ack = get32(b, o + 8);
    this.flags = ((b[o + 12]! & 1) << 8) | b[o + 13]!;
    this.window = get16(b, o + 14);
    this.urgent = get16(b, o + 18);
    const headerLen = (b[o + 12]! >>> 4) << 2;
    this.payloadLen = v.len - headerLen;
    return this.options.parse(b, o + TCP_HEADER_LEN, headerLen - TCP_HEADER_LEN);
  }

  /** 20 + the options padded to a 4-byte multiple (at most 60). */
  headerLen(): number {
    return TCP_HEADER_LEN + this.options.encodedLength();
  }

  /** Sequence space the segment occupies: payload, plus one each for SYN and FIN. */
  seqLen(): number {
    return this.payloadLen + (this.flags & TcpFlag.SYN ? 1 : 0) + (this.flags & TcpFlag.FIN ? 1 : 0);
  }

  /** Writes the header with a zero checksum; fill it with `fillTcpChecksum` once the payload is in place. */
  emit(buf: Uint8Array, off: number): number {
    const headerLen = TCP_HEADER_LEN + this.options.encodedLength();
    set16(buf, off, this.srcPort);
    set16(buf, off + 2, this.dstPort);
    set32(buf, off + 4, this.seq);
    set32(buf, off + 8, this.ack);
    buf[off + 12] = ((headerLen >>> 2) << 4) | ((this.flags >>> 8) & 1);
    buf[off + 13] = this.flags;
    set16(buf, off + 14, this.window);
    set16(buf, off + 16, 0);
    set16(buf, off + 18, this.urgent);
    this.options.emit(buf, off + TCP_HEADER_LEN);
    return headerLen;
  }

  copyFrom(o: TcpRepr): void {
    this.srcPort = o.srcPort;
    this.dstPort = o.dstPort;
    this.seq = o.seq;
    this.ack = o.ack;
    this.flags = o.flags;
    this.window = o.window;
    this.urgent = o.urgent;
    this.payloadLen = o.payloadLen;
    this.options.copyFrom(o.options);
  }

  equals(o: TcpRepr): boolean {
    return (
      this.srcPort === o.srcPort &&
      this.dstPort === o.dstPort &&
      this.seq === o.seq &&
      this.ack === o.ack &&
      this.flags === o.flags &&
      this.window === o.window &&
      this.urgent === o.urgent &&
      this.payloadLen === o.payloadLen &&
      this.options.equals(o.options)
    );
  }

  /**
   * tcpdump's line after the addresses (as with `-S`, absolute numbers), e.g.
   * `Flags [P.], seq 1:6, ack 7, win 63, options [nop,nop,TS val 1 ecr 2], length 5`.
   */
  toString(): string {
    const f = this.flags;
    let s = `Flags [${tcpFlagsString(f)}]`;
    if (this.payloadLen > 0 || f & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) {
      s += `, seq ${this.seq}`;
      if (this.payloadLen > 0) s += `:${(this.seq + this.payloadLen) >>> 0}`;
    }
    if (f & TcpFlag.ACK) s += `, ack ${this.ack}`;
    s += `, win ${this.window}`;
    if (f & TcpFlag.URG) s += `, urg ${this.urgent}`;
    if (this.options.encodedLength() > 0) s += `, options [${this.options.toString()}]`;
    return `${s}, length ${this.payloadLen}`;
  }
}

/**
 * Flags as tcpdump prints them inside `Flags [...]`: F S R P, `.` for ACK, then U E W, in that
 * order (`S`, `S.`, `P.`, `F.`, `R.`, `.`, `SEW`, `S.E`); `none` when no flag is set. tcpdump 4.99
 * does not show AE; here it is appended as `e`.
 */
export function tcpFlagsString(flags: number): string {
  let s = '';
  if (flags & TcpFlag.FIN) s += 'F';
  if (flags & TcpFlag.SYN) s += 'S';
  if (flags & TcpFlag.RST) s += 'R';
  if (flags & TcpFlag.PSH) s += 'P';
  if (flags & TcpFlag.ACK) s += '.';
  if (flags & TcpFlag.URG) s += 'U';
  if (flags & TcpFlag.ECE) s += 'E';
  if (flags & TcpFlag.CWR) s += 'W';
  if (flags & TcpFlag.AE) s += 'e';
  return s === '' ? 'none' : s;
}

/** Compute and store the checksum of the segment at `off` (header + payload, `len` bytes). */
export function fillTcpChecksum(buf: Uint8Array, off: number, len: number, addrs: ChecksumAddresses): void {
  set16(buf, off + 16, 0);
  set16(buf, off + 16, checksum(buf, off, len, transportSum(addrs, IPPROTO_TCP, len)));
}

/** True when the segment's checksum is right (RFC 9293 §3.1: always present, over IPv4 and IPv6). */
export function verifyTcpChecksum(
  buf: Uint8Array,
  off: number,
  len: number,
  addrs: ChecksumAddresses,
): boolean {
  return checksum(buf, off, len, transportSum(addrs, IPPROTO_TCP, len)) === 0;
}
