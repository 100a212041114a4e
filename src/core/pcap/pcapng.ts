/**
 * pcapng (the IETF OPSAWG draft "PCAP Next Generation Capture File Format"): a file is a sequence
 * of blocks `type(4) totalLength(4) body totalLength(4)`, lengths multiples of 4. A Section Header
 * Block (SHB) starts each section and fixes its byte order through the magic 0x1A2B3C4D; Interface
 * Description Blocks (IDB) declare interfaces (link type, `if_tsresol`, `if_tsoffset`) numbered
 * from 0 within the section; Enhanced Packet Blocks (EPB) carry packets with a 64-bit timestamp in
 * the interface's resolution.
 *
 * The writer emits one SHB, IDBs with `if_tsresol` = 9 (nanoseconds) and EPBs, little-endian by
 * default. The reader takes both byte orders, several sections and interfaces, any `if_tsresol`
 * down to 10^-19 / 2^-63 s, yields Simple Packet Blocks as records without a timestamp, and skips
 * every other block type.
 */
import { type Instant, US_PER_SECOND } from '../time/time.js';
import { DropReason } from '../wire/drop.js';
import {
  type CaptureWriter,
  copyInto,
  DEFAULT_SNAPLEN,
  LINKTYPE_ETHERNET,
  nanos64,
  PcapRecord,
  rd16,
  rd32,
  type Sink,
  TWO_32,
  tsOut,
  u64,
  unitsToTs,
  wr16,
  wr32,
} from './common.js';

export const BLOCK_SHB = 0x0a0d0d0a;
export const BLOCK_IDB = 1;
export const BLOCK_SPB = 3;
export const BLOCK_ISB = 5;
export const BLOCK_EPB = 6;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_SHB_USERAPPL = 4;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** An option list (code, value) encoded with end-of-options; `le` selects the byte order. */
function encodeOptions(opts: ReadonlyArray<[number, Uint8Array]>, le: boolean): Uint8Array {
  if (opts.length === 0) return new Uint8Array(0);
  let n = 4;
  for (const [, v] of opts) n += 4 + pad4(v.length);
  const b = new Uint8Array(n);
  let o = 0;
  for (const [code, v] of opts) {
    wr16(b, o, code, le);
    wr16(b, o + 2, v.length, le);
    b.set(v, o + 4);
    o += 4 + pad4(v.length);
  }
  wr16(b, o, OPT_ENDOFOPT, le);
  wr16(b, o + 2, 0, le);
  return b;
}

/** A whole block around a fixed part and an options part. */
function block(type: number, fixed: Uint8Array, options: Uint8Array, le: boolean): Uint8Array {
  const total = 12 + fixed.length + options.length;
  const b = new Uint8Array(total);
  wr32(b, 0, type, le);
  wr32(b, 4, total, le);
  b.set(fixed, 8);
  b.set(options, 8 + fixed.length);
  wr32(b, total - 4, total, le);
  return b;
}

export interface PcapngWriterOptions {
  /** Link type of interface 0. Default LINKTYPE_ETHERNET (1). */
  linkType?: number;
  /** Snapshot length of interface 0; records are cut to it. Default 262144. */
  snaplen?: number;
  /** `if_name` of interface 0. */
  ifName?: string;
  /** `shb_userappl` of the section. Default 'wirestack'. */
  application?: string;
  bigEndian?: boolean;
}

export class PcapngWriter implements CaptureWriter {
  private readonly le: boolean;
  private readonly snaplens: number[] = [];
  private scratch = new Uint8Array(2048);

  /** Writes the section header and the IDB of interface 0 to `sink` right away. */
  constructor(
    private readonly sink: Sink,
    opts: PcapngWriterOptions = {},
  ) {
    this.le = !opts.bigEndian;
    const le = this.le;
    const fixed = new Uint8Array(16);
    wr32(fixed, 0, BYTE_ORDER_MAGIC, le);
    wr16(fixed, 4, 1, le);
    wr16(fixed, 6, 0, le);
    // Section length unknown: -1.
    wr32(fixed, 8, 0xffffffff, le);
    wr32(fixed, 12, 0xffffffff, le);
    const app = new TextEncoder().encode(opts.application ?? 'wirestack');
    sink(block(BLOCK_SHB, fixed, encodeOptions([[OPT_SHB_USERAPPL, app]], le), le));
    this.addInterface(opts.linkType ?? LINKTYPE_ETHERNET, opts.snaplen ?? DEFAULT_SNAPLEN, opts.ifName);
  }

  /** Declares another interface (nanosecond timestamps) and returns its index. */
  addInterface(linkType: number, snaplen = DEFAULT_SNAPLEN, name?: string): number {
    const le = this.le;
    const fixed = new Uint8Array(8);
    wr16(fixed, 0, linkType, le);
    wr32(fixed, 4, snaplen, le);
    const opts: [number, Uint8Array][] = [];
    if (name !== undefined) opts.push([OPT_IF_NAME, new TextEncoder().encode(name)]);
    opts.push([OPT_IF_TSRESOL, Uint8Array.of(9)]);
    this.sink(block(BLOCK_IDB, fixed, encodeOptions(opts, le), le));
    this.snaplens.push(snaplen);
    return this.snaplens.length - 1;
  }

  get interfaceCount(): number {
    return this.snaplens.length;
  }

  /** Writes one EPB on interface `iface` (throws RangeError for an undeclared interface). */
  write(
    data: Uint8Array,
    off: number,
    len: number,
    tsSec: number,
    tsNsec: number,
    origLen = len,
    iface = 0,
  ): void {
    const snaplen = this.snaplens[iface];
    if (snaplen === undefined) throw new RangeError(`pcapng: no interface ${iface}`);
    const caplen = Math.min(len, snaplen);
    const padded = pad4(caplen);
    const total = 32 + padded;
    if (this.scratch.length < total) this.scratch = new Uint8Array(Math.max(total, this.scratch.length * 2));
    const b = this.scratch;
    const le = this.le;
    nanos64(Math.max(tsSec, 0), tsNsec);
    wr32(b, 0, BLOCK_EPB, le);
    wr32(b, 4, total, le);
    wr32(b, 8, iface, le);
    wr32(b, 12, u64.hi, le);
    wr32(b, 16, u64.lo, le);
    wr32(b, 20, caplen, le);
    wr32(b, 24, origLen, le);
    copyInto(b, 28, data, off, caplen);
    for (let i = 28 + caplen; i < 28 + padded; i++) b[i] = 0;
    wr32(b, total - 4, total, le);
    this.sink(b.subarray(0, total));
  }

  writeAt(now: Instant, data: Uint8Array, off: number, len: number, origLen = len, iface = 0): void {
    const us = now > 0 ? now : 0;
    const sec = Math.floor(us / US_PER_SECOND);
    this.write(data, off, len, sec, (us - sec * US_PER_SECOND) * 1000, origLen, iface);
  }
}

/**
 * Iterates the packets of a pcapng file held in memory, with the same contract as `PcapReader`:
 * `next()` fills the reused `record` and returns true, or returns false at the end with `error`
 * (`DropReason.Ok` for a clean end) and `errorOffset` (start of the offending block). Never throws
 * and never reads outside the input.
 */
export class PcapngReader {
  readonly format = 'pcapng';
  readonly record = new PcapRecord();
  error = DropReason.Ok;
  errorOffset = 0;
  /** Byte order of the current section. */
  littleEndian = true;
  /** Sections seen so far. */
  sections = 0;
  // Interfaces of the current section.
  private readonly ifLinkType: number[] = [];
  private readonly ifTsresol: number[] = [];
  private readonly ifTsoffset: number[] = [];
  private pos = 0;
  private done = false;

  constructor(private readonly bytes: Uint8Array) {
    this.record.buf = bytes;
    if (bytes.length < 4) this.fail(DropReason.Truncated, 0);
    else if (rd32(bytes, 0, true) !== BLOCK_SHB) this.fail(DropReason.PcapBadMagic, 0);
  }

  /** Number of interfaces declared in the current section. */
  get interfaceCount(): number {
    return this.ifLinkType.length;
  }

  /** Link type of interface `i` of the current section (-1 when undeclared). */
  interfaceLinkType(i: number): number {
    return this.ifLinkType[i] ?? -1;
  }

  private fail(reason: DropReason, offset: number): false {
    this.error = reason;
    this.errorOffset = offset;
    this.done = true;
    return false;
  }

  next(): boolean {
    const b = this.bytes;
    while (!this.done) {
      const p = this.pos;
      const left = b.length - p;
      if (left === 0) {
        this.done = true;
        return false;
      }
      if (left < 12) return this.fail(DropReason.Truncated, p);
      let le = this.littleEndian;
      const typeLe = rd32(b, p, true);
      if (typeLe === BLOCK_SHB) {
        // The byte-order magic decides how to read this block and the rest of the section.
        const bom = rd32(b, p + 8, true);
        if (bom === BYTE_ORDER_MAGIC) le = true;
        else if (rd32(b, p + 8, false) === BYTE_ORDER_MAGIC) le = false;
        else return this.fail(DropReason.PcapBadMagic, p);
      } else if (this.sections === 0) {
        return this.fail(DropReason.PcapBadMagic, p);
      }
      const type = rd32(b, p, le);
      const total = rd32(b, p + 4, le);
      if (total < 12 || (total & 3) !== 0) return this.fail(DropReason.PcapBadBlock, p);
      if (total > left) return this.fail(DropReason.Truncated, p);
      if (rd32(b, p + total - 4, le) !== total) return this.fail(DropReason.PcapBadBlock, p);
      const end = p + total - 4;
      this.pos = p + total;
      switch (type) {
        case BLOCK_SHB:
          if (total < 28 || rd16(b, p + 12, le) !== 1) return this.fail(DropReason.PcapBadBlock, p);
          this.littleEndian = le;
          this.sections++;
          this.ifLinkType.length = 0;
          this.ifTsresol.length = 0;
          this.ifTsoffset.length = 0;
          break;
        case BLOCK_IDB:
          if (total < 20 || !this.readIdb(p, end)) return this.fail(DropReason.PcapBadBlock, p);
          break;
        case BLOCK_EPB:
          if (!this.readEpb(p, end)) return this.fail(DropReason.PcapBadBlock, p);
          return true;
        case BLOCK_SPB:
          if (!this.readSpb(p, end)) return this.fail(DropReason.PcapBadBlock, p);
          return true;
        default:
          break;
      }
    }
    return false;
  }

  /** IDB at `p`, options up to `end`; false when malformed. */
  private readIdb(p: number, end: number): boolean {
    const b = this.bytes;
    const le = this.littleEndian;
    const linkType = rd16(b, p + 8, le);
    let tsresol = 6;
    let tsoffset = 0;
    let o = p + 16;
    while (o + 4 <= end) {
      const code = rd16(b, o, le);
      const len = rd16(b, o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (o + 4 + pad4(len) > end) return false;
      if (code === OPT_IF_TSRESOL && len >= 1) tsresol = b[o + 4]!;
      else if (code === OPT_IF_TSOFFSET && len === 8) {
        // A signed 64-bit count of seconds added to every timestamp of the interface.
        const hi = rd32(b, o + 4 + (le ? 4 : 0), le) | 0;
        const lo = rd32(b, o + 4 + (le ? 0 : 4), le);
        tsoffset = hi * TWO_32 + lo;
      }
      o += 4 + pad4(len);
    }
    // Reject resolutions the converter cannot represent up front.
    if (!unitsToTs(0, 0, tsresol)) return false;
    this.ifLinkType.push(linkType);
    this.ifTsresol.push(tsresol);
    this.ifTsoffset.push(tsoffset);
    return true;
  }

  private readEpb(p: number, end: number): boolean {
    const b = this.bytes;
    const le = this.littleEndian;
    if (end - p < 28) return false;
    const iface = rd32(b, p + 8, le);
    if (iface >= this.ifLinkType.length) return false;
    const caplen = rd32(b, p + 20, le);
    if (caplen > end - (p + 28)) return false;
    unitsToTs(rd32(b, p + 12, le), rd32(b, p + 16, le), this.ifTsresol[iface]!);
    const r = this.record;
    r.linkType = this.ifLinkType[iface]!;
    r.iface = iface;
    r.tsSec = tsOut.sec + this.ifTsoffset[iface]!;
    r.tsNsec = tsOut.nsec;
    r.hasTimestamp = true;
    r.off = p + 28;
    r.len = caplen;
    r.origLen = rd32(b, p + 24, le);
    return true;
  }

  private readSpb(p: number, end: number): boolean {
    const b = this.bytes;
    if (end - p < 12 || this.ifLinkType.length === 0) return false;
    const origLen = rd32(b, p + 8, this.littleEndian);
    const room = end - (p + 12);
    const r = this.record;
    r.linkType = this.ifLinkType[0]!;
    r.iface = 0;
    r.tsSec = 0;
    r.tsNsec = 0;
    r.hasTimestamp = false;
    r.off = p + 12;
    r.len = Math.min(origLen, room);
    r.origLen = origLen;
    return true;
  }

  *[Symbol.iterator](): Generator<PcapRecord, void, undefined> {
    while (this.next()) yield this.record;
  }
}
