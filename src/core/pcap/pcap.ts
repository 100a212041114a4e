/**
 * Classic libpcap files: a 24-byte global header, then records of a 16-byte header (seconds,
 * fraction, captured length, original length) and the captured bytes. The magic number tells the
 * byte order and the fraction's unit: 0xa1b2c3d4 microseconds, 0xa1b23c4d nanoseconds. The reader
 * takes both units in both byte orders; the writer writes nanoseconds, little-endian, by default.
 */
import { type Instant, US_PER_SECOND } from '../time/time.js';
import { DropReason } from '../wire/drop.js';
import {
  type CaptureWriter,
  copyInto,
  DEFAULT_SNAPLEN,
  LINKTYPE_ETHERNET,
  PcapRecord,
  rd16,
  rd32,
  type Sink,
  wr16,
  wr32,
} from './common.js';

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

export interface PcapWriterOptions {
  /** Default LINKTYPE_ETHERNET (1). */
  linkType?: number;
  /** Records are cut to this many bytes. Default 262144. */
  snaplen?: number;
  /** Fraction unit of the timestamps. Default 'nano'. */
  precision?: 'nano' | 'micro';
  /** Write big-endian instead of little-endian. */
  bigEndian?: boolean;
}

export class PcapWriter implements CaptureWriter {
  readonly linkType: number;
  readonly snaplen: number;
  readonly nano: boolean;
  private readonly le: boolean;
  private scratch = new Uint8Array(2048);

  /** Writes the global header to `sink` right away. */
  constructor(
    private readonly sink: Sink,
    opts: PcapWriterOptions = {},
  ) {
    this.linkType = opts.linkType ?? LINKTYPE_ETHERNET;
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    this.nano = (opts.precision ?? 'nano') === 'nano';
    this.le = !opts.bigEndian;
    const h = new Uint8Array(PCAP_GLOBAL_HEADER_LEN);
    wr32(h, 0, this.nano ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO, this.le);
    wr16(h, 4, 2, this.le);
    wr16(h, 6, 4, this.le);
    // thiszone and sigfigs stay 0
    wr32(h, 16, this.snaplen, this.le);
    wr32(h, 20, this.linkType, this.le);
    sink(h);
  }

  write(data: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number, origLen = len): void {
    const caplen = Math.min(len, this.snaplen);
    const total = PCAP_RECORD_HEADER_LEN + caplen;
    if (this.scratch.length < total) this.scratch = new Uint8Array(Math.max(total, this.scratch.length * 2));
    const b = this.scratch;
    wr32(b, 0, tsSec, this.le);
    wr32(b, 4, this.nano ? tsNsec : Math.floor(tsNsec / 1000), this.le);
    wr32(b, 8, caplen, this.le);
    wr32(b, 12, origLen, this.le);
    copyInto(b, PCAP_RECORD_HEADER_LEN, data, off, caplen);
    this.sink(b.subarray(0, total));
  }

  writeAt(now: Instant, data: Uint8Array, off: number, len: number, origLen = len): void {
    const us = now > 0 ? now : 0;
    const sec = Math.floor(us / US_PER_SECOND);
    this.write(data, off, len, sec, (us - sec * US_PER_SECOND) * 1000, origLen);
  }
}

/**
 * Iterates the records of a classic pcap file held in memory. `next()` returns true with `record`
 * filled (a reused object whose bytes point into the input), or false at the end: then `error` is
 * `DropReason.Ok` for a clean end, or the reason and `errorOffset` the byte offset of the bad part.
 * Never throws and never reads outside the input.
 */
export class PcapReader {
  readonly format = 'pcap';
  readonly record = new PcapRecord();
  error = DropReason.Ok;
  errorOffset = 0;
  /** From the global header (valid when it parsed). */
  linkType = 0;
  snaplen = 0;
  nano = false;
  littleEndian = true;
  private pos = 0;
  private done = false;

  constructor(private readonly bytes: Uint8Array) {
    const b = bytes;
    if (b.length < 4) {
      this.fail(DropReason.Truncated, 0);
      return;
    }
    const magicBe = rd32(b, 0, false);
    const magicLe = rd32(b, 0, true);
    if (magicBe === PCAP_MAGIC_MICRO || magicBe === PCAP_MAGIC_NANO) {
      this.littleEndian = false;
      this.nano = magicBe === PCAP_MAGIC_NANO;
    } else if (magicLe === PCAP_MAGIC_MICRO || magicLe === PCAP_MAGIC_NANO) {
      this.littleEndian = true;
      this.nano = magicLe === PCAP_MAGIC_NANO;
    } else {
      this.fail(DropReason.PcapBadMagic, 0);
      return;
    }
    if (b.length < PCAP_GLOBAL_HEADER_LEN) {
      this.fail(DropReason.Truncated, 0);
      return;
    }
    if (rd16(b, 4, this.littleEndian) !== 2) {
      this.fail(DropReason.PcapBadMagic, 4);
      return;
    }
    this.snaplen = rd32(b, 16, this.littleEndian);
    // The upper bits may carry FCS information; the link type is the low 16 bits.
    this.linkType = rd32(b, 20, this.littleEndian) & 0xffff;
    this.record.linkType = this.linkType;
    this.record.buf = b;
    this.pos = PCAP_GLOBAL_HEADER_LEN;
  }

  private fail(reason: DropReason, offset: number): false {
    this.error = reason;
    this.errorOffset = offset;
    this.done = true;
    return false;
  }

  next(): boolean {
    if (this.done) return false;
    const b = this.bytes;
    const p = this.pos;
    if (p === b.length) {
      this.done = true;
      return false;
    }
    if (b.length - p < PCAP_RECORD_HEADER_LEN) return this.fail(DropReason.Truncated, p);
    const le = this.littleEndian;
    const sec = rd32(b, p, le);
    const frac = rd32(b, p + 4, le);
    const caplen = rd32(b, p + 8, le);
    const origLen = rd32(b, p + 12, le);
    if (frac >= (this.nano ? 1e9 : 1e6)) return this.fail(DropReason.PcapBadBlock, p);
    if (caplen > b.length - p - PCAP_RECORD_HEADER_LEN) return this.fail(DropReason.Truncated, p);
    const r = this.record;
    r.tsSec = sec;
    r.tsNsec = this.nano ? frac : frac * 1000;
    r.off = p + PCAP_RECORD_HEADER_LEN;
    r.len = caplen;
    r.origLen = origLen;
    this.pos = r.off + caplen;
    return true;
  }

  *[Symbol.iterator](): Generator<PcapRecord, void, undefined> {
    while (this.next()) yield this.record;
  }
}
