/**
 * IP fragment reassembly: IPv4 (RFC 791, hole list after RFC 815) and IPv6 (RFC 8200 §4.5).
 *
 * Each datagram in progress owns one buffer, grown by doubling up to the largest datagram, laid out
 * as `[room for the first fragment's header][fragmentable part]`, plus a hole list of
 * `[first, last)` byte ranges not yet received (the last hole is open-ended until the fragment
 * without MF arrives). Fragment data is copied straight into place; nothing else is allocated per
 * fragment. On completion the buffer holds the whole datagram as if it had never been fragmented
 * (header patched: IPv4 total length / flags / checksum; IPv6 payload length and the Next Header
 * that named the Fragment header), so the caller can parse it again as an ordinary packet.
 *
 * Rules, as Linux applies them (net/ipv4/ip_fragment.c, net/ipv4/inet_fragment.c,
 * net/ipv6/reassembly.c) for both versions:
 * - A fragment whose bytes all lie in data already received, inside one contiguous received range,
 *   is a duplicate: it is dropped and the datagram kept (RFC 5722 as amended by erratum 3089).
 *   Linux tests containment in a "run" of fragments that arrived in order; a received range here
 *   may be made of pieces that arrived in any order, which is slightly more lenient.
 * - Any other overlap with received data discards the whole datagram (RFC 5722 for IPv6; Linux
 *   does the same for IPv4 since 4.19) and counts ReasmOverlaps and ReasmFails.
 * - A last fragment that ends before data already received, a second last fragment with another
 *   end, or data past a known end discards the datagram (ReasmFails).
 * - A reassembled datagram longer than the header's length field allows is discarded (ReasmFails).
 * - The timeout runs from the first fragment and is not refreshed by later ones. On expiry the
 *   datagram is discarded (ReasmTimeout, ReasmFails); when its offset-0 fragment had arrived,
 *   `poll` reports it so the caller can send ICMP Time Exceeded code 1 quoting that fragment.
 * - Memory: buffers, hole lists and a fixed per-datagram overhead are counted against
 *   `highThreshBytes`. A new datagram that would exceed it is refused; a datagram whose growth
 *   would exceed it is discarded. Either counts ReasmFails, as Linux does for a refused queue.
 *
 * Not done here: ECN codepoint merging across fragments (Linux's ip_frag_ecn table), the IPv4
 * `ipfrag_max_dist` check, and RFC 7112's "first fragment holds the whole header chain" check
 * (the IPv6 input path can apply it before calling `push`).
 */

import { mix32 } from '../rand/rng.js';
import { add, type Duration, type Instant, seconds } from '../time/time.js';
import { get32, set16 } from '../wire/bytes.js';
import { DropReason } from '../wire/drop.js';
import { fillIpv4Checksum, IPV4_MAX_TOTAL_LEN, type Ipv4Repr, type Ipv4View } from '../wire/ipv4.js';
import { IPV6_HEADER_LEN, IPV6_MAX_PAYLOAD_LEN, type Ipv6ExtWalker, type Ipv6View } from '../wire/ipv6.js';
import type { Sysctls } from './sysctl.js';

export interface ReassemblyLimits {
  /** Bytes all datagrams in progress may hold (`ipfrag_high_thresh` / `ip6frag_high_thresh`). */
  readonly highThreshBytes: number;
  /** Lifetime of a datagram in progress (`ipfrag_time` / `ip6frag_time`, seconds there). */
  readonly timeoutUs: Duration;
  /** Datagrams in progress at once. */
  readonly maxDatagrams: number;
}

export const DEFAULT_MAX_REASM_DATAGRAMS = 1024;

export function ipv4ReassemblyLimits(
  s: Sysctls,
  maxDatagrams = DEFAULT_MAX_REASM_DATAGRAMS,
): ReassemblyLimits {
  return {
    highThreshBytes: s.int('net.ipv4.ipfrag_high_thresh'),
    timeoutUs: seconds(s.int('net.ipv4.ipfrag_time')),
    maxDatagrams,
  };
}

export function ipv6ReassemblyLimits(
  s: Sysctls,
  maxDatagrams = DEFAULT_MAX_REASM_DATAGRAMS,
): ReassemblyLimits {
  return {
    highThreshBytes: s.int('net.ipv6.ip6frag_high_thresh'),
    timeoutUs: seconds(s.int('net.ipv6.ip6frag_time')),
    maxDatagrams,
  };
}

/** What became of one fragment. */
export enum ReasmOutcome {
  /** Stored; the datagram is still incomplete. */
  Pending,
  /** The datagram is complete: see `out`. */
  Complete,
  /** Entirely inside received data: dropped, datagram kept. */
  Duplicate,
  /** Overlapped received data: the datagram was discarded. */
  Overlap,
  /** Contradicts the datagram's known end: the datagram was discarded. */
  Inconsistent,
  /** The reassembled datagram would exceed the largest length: discarded. */
  Oversize,
  /** Over `highThreshBytes`: refused (new datagram) or discarded (growing one). */
  NoMemory,
  /** `maxDatagrams` already in progress: refused. */
  TooManyDatagrams,
  /** Not a fragment (offset 0 and no MF), or not a walked fragment: nothing done. */
  NotFragment,
}

/** The drop reason a caller counts for an outcome (`Ok` for Pending/Complete). */
export function reasmDropReason(o: ReasmOutcome, v6: boolean): DropReason {
  switch (o) {
    case ReasmOutcome.Pending:
    case ReasmOutcome.Complete:
      return DropReason.Ok;
    case ReasmOutcome.NotFragment:
      return DropReason.Unsupported;
    case ReasmOutcome.Duplicate:
      return DropReason.ReasmDuplicate;
    case ReasmOutcome.Overlap:
      return DropReason.ReasmOverlap;
    case ReasmOutcome.Inconsistent:
      return DropReason.ReasmInconsistent;
    case ReasmOutcome.Oversize:
      return DropReason.ReasmOversize;
    case ReasmOutcome.NoMemory:
      return DropReason.ReasmNoMemory;
    case ReasmOutcome.TooManyDatagrams:
      return DropReason.ReasmTooManyDatagrams;
    default:
      return v6 ? DropReason.Ipv6BadFragment : DropReason.Ipv4BadFragment;
  }
}

/** Counters under Linux's IP MIB names, plus a few of wirestack's own. */
export class ReasmStats {
  ReasmReqds = 0;
  ReasmOKs = 0;
  ReasmFails = 0;
  ReasmTimeout = 0;
  ReasmOverlaps = 0;
  duplicates = 0;
  refusedMemory = 0;
  refusedCount = 0;
}

/** A datagram given up on timeout whose first fragment had arrived (for ICMP Time Exceeded, code 1). */
export interface ReasmExpired {
  /** The first fragment's header followed by the data received contiguously from offset 0. */
  readonly buf: Uint8Array;
  readonly off: number;
  readonly len: number;
  /** Length of the header part (IPv4 header with options; IPv6 unfragmentable part). */
  readonly headerLen: number;
}

/** A completed datagram: `buf[off, off+len)` is the whole datagram; `buf` now belongs to the caller. */
export class ReasmResult {
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  len = 0;
  headerLen = 0;
}

/** Memory counted per datagram besides its buffers (its record and the table slot). */
export const REASM_DATAGRAM_OVERHEAD = 256;
const OPEN_END = 0x7fffffff;
const MIN_BUFFER = 1024;
const INITIAL_HOLES = 8;

class Datagram {
  // Key: v4 uses a0/b0 and proto; v6 uses all eight words and proto -1.
  a0 = 0;
  a1 = 0;
  a2 = 0;
  a3 = 0;
  b0 = 0;
  b1 = 0;
  b2 = 0;
  b3 = 0;
  proto = 0;
  id = 0;
  hash = 0;
  nextInBucket: Datagram | undefined = undefined;
  older: Datagram | undefined = undefined;
  newer: Datagram | undefined = undefined;
  deadline = 0 as Instant;

  buf: Uint8Array = new Uint8Array(0);
  /** Where fragmentable offset 0 sits in `buf`. */
  base = 0;
  /** Header length once the offset-0 fragment arrived, else 0. */
  hdrLen = 0;
  /** IPv6: position within the header of the Next Header byte to patch, and the value. */
  nhPatch = -1;
  nhValue = 0;
  holes = new Int32Array(2 * INITIAL_HOLES);
  holeCount = 1;
  /** End of the datagram's data once the last fragment arrived, else -1. */
  total = -1;
  /** Highest end of data received. */
  extent = 0;
  bytes = 0;

  constructor() {
    this.holes[0] = 0;
    this.holes[1] = OPEN_END;
  }
}

/** The part shared by both versions: table, deadlines, memory, holes. */
abstract class ReassemblerBase {
  readonly stats = new ReasmStats();
  /** Filled on `Complete`. */
  readonly out = new ReasmResult();
  private readonly buckets = new Map<number, Datagram>();
  private oldest: Datagram | undefined = undefined;
  private newest: Datagram | undefined = undefined;
  private count = 0;
  private memBytes = 0;
  private readonly expired: ReasmExpired[] = [];
  /** Why the last `create` refused. */
  protected refusal = ReasmOutcome.NoMemory;

  constructor(
    readonly limits: ReassemblyLimits,
    /** Room kept in front of the data for the header before the first fragment is seen. */
    private readonly headRoom: number,
    /** Largest header + data a completed datagram may have. */
    private readonly maxDatagram: number,
  ) {}

  /** Bytes currently held. */
  get memoryBytes(): number {
    return this.memBytes;
  }

  /** Datagrams in progress. */
  get size(): number {
    return this.count;
  }

  pollAt(): Instant | undefined {
    return this.oldest?.deadline;
  }

  /**
   * Discards datagrams whose deadline is at or before `now`. Returns those whose first fragment had
   * arrived; the array is reused by the next call.
   */
  poll(now: Instant): readonly ReasmExpired[] {
    this.expired.length = 0;
    for (let d = this.oldest; d !== undefined && d.deadline <= now; d = this.oldest) {
      this.stats.ReasmTimeout++;
      this.stats.ReasmFails++;
      if (d.hdrLen > 0) {
        let contiguous = d.total >= 0 ? d.total : d.extent;
        if (d.holeCount > 0 && d.holes[0]! < contiguous) contiguous = d.holes[0]!;
        this.expired.push({
          buf: d.buf,
          off: d.base - d.hdrLen,
          len: d.hdrLen + contiguous,
          headerLen: d.hdrLen,
        });
      }
      this.remove(d);
    }
    return this.expired;
  }

  protected find(
    hash: number,
    a0: number,
    a1: number,
    a2: number,
    a3: number,
    b0: number,
    b1: number,
    b2: number,
    b3: number,
    proto: number,
    id: number,
  ): Datagram | undefined {
    for (let d = this.buckets.get(hash); d !== undefined; d = d.nextInBucket) {
      if (
        d.id === id &&
        d.proto === proto &&
        d.a0 === a0 &&
        d.b0 === b0 &&
        d.a1 === a1 &&
        d.a2 === a2 &&
        d.a3 === a3 &&
        d.b1 === b1 &&
        d.b2 === b2 &&
        d.b3 === b3
      ) {
        return d;
      }
    }
    return undefined;
  }

  /** A new, empty datagram linked in, or undefined when refused (counted). */
  protected create(now: Instant, hash: number): Datagram | undefined {
    if (this.count >= this.limits.maxDatagrams) {
      this.stats.refusedCount++;
      this.stats.ReasmFails++;
      this.refusal = ReasmOutcome.TooManyDatagrams;
      return undefined;
    }
    const cost = REASM_DATAGRAM_OVERHEAD + 8 * INITIAL_HOLES;
    if (this.memBytes + cost > this.limits.highThreshBytes) {
      this.stats.refusedMemory++;
      this.stats.ReasmFails++;
      this.refusal = ReasmOutcome.NoMemory;
      return undefined;
    }
    const d = new Datagram();
    d.hash = hash;
    d.base = this.headRoom;
    d.deadline = add(now, this.limits.timeoutUs);
    d.bytes = cost;
    this.memBytes += cost;
    d.nextInBucket = this.buckets.get(hash);
    this.buckets.set(hash, d);
    d.older = this.newest;
    if (this.newest) this.newest.newer = d;
    else this.oldest = d;
    this.newest = d;
    this.count++;
    return d;
  }

  private remove(d: Datagram): void {
    const head = this.buckets.get(d.hash);
    if (head === d) {
      if (d.nextInBucket) this.buckets.set(d.hash, d.nextInBucket);
      else this.buckets.delete(d.hash);
    } else {
      for (let p = head; p !== undefined; p = p.nextInBucket) {
        if (p.nextInBucket === d) {
          p.nextInBucket = d.nextInBucket;
          break;
        }
      }
    }
    if (d.older) d.older.newer = d.newer;
    else this.oldest = d.newer;
    if (d.newer) d.newer.older = d.older;
    else this.newest = d.older;
    d.older = d.newer = d.nextInBucket = undefined;
    this.memBytes -= d.bytes;
    d.bytes = 0;
    this.count--;
  }

  private fail(d: Datagram, o: ReasmOutcome): ReasmOutcome {
    this.stats.ReasmFails++;
    if (o === ReasmOutcome.Overlap) this.stats.ReasmOverlaps++;
    if (o === ReasmOutcome.NoMemory) this.stats.refusedMemory++;
    this.remove(d);
    return o;
  }

  /** Makes `buf` hold at least `need` bytes, within the memory limit. */
  private reserve(d: Datagram, need: number): boolean {
    const cur = d.buf.length;
    if (need <= cur) return true;
    let cap = Math.max(MIN_BUFFER, cur);
    while (cap < need) cap *= 2;
    const max = this.maxDatagram + this.headRoom;
    if (cap > max) cap = Math.max(max, need);
    if (this.memBytes + cap - cur > this.limits.highThreshBytes) return false;
    const nb = new Uint8Array(cap);
    nb.set(d.buf);
    d.buf = nb;
    d.bytes += cap - cur;
    this.memBytes += cap - cur;
    return true;
  }

  /**
   * Adds `len` data bytes at fragment offset `off` from `src[srcOff...]`; `hdr[hdrOff, +hdrLen)` is
   * this fragment's header, kept when `off` is 0.
   */
  protected insert(
    d: Datagram,
    off: number,
    more: boolean,
    src: Uint8Array,
    srcOff: number,
    len: number,
    hdrOff: number,
    hdrLen: number,
    nhPatch: number,
    nhValue: number,
  ): ReasmOutcome {
    const end = off + len;
    // The datagram's end (RFC 791 / RFC 8200: the fragment without M fixes it).
    if (!more) {
      if (end < d.extent || (d.total >= 0 && end !== d.total)) return this.fail(d, ReasmOutcome.Inconsistent);
      if (d.total < 0) {
        d.total = end;
        // Close the open-ended hole, which starts at `extent` <= end.
        const i = d.holeCount - 1;
        if (d.holes[2 * i]! >= end) d.holeCount--;
        else d.holes[2 * i + 1] = end;
      }
    } else if (d.total >= 0 && end > d.total) {
      return this.fail(d, ReasmOutcome.Inconsistent);
    }
    if (end > this.maxDatagram) return this.fail(d, ReasmOutcome.Oversize);

    if (len > 0) {
      // RFC 815: the fragment must fall inside one hole (new data) or inside no hole (duplicate).
      const holes = d.holes;
      let hit = -1;
      let hits = 0;
      for (let i = 0; i < d.holeCount; i++) {
        const hs = holes[2 * i]!;
        if (hs >= end) break;
        if (off < holes[2 * i + 1]!) {
          if (hits === 0) hit = i;
          hits++;
        }
      }
      if (hits === 0) {
        this.stats.duplicates++;
        return d.holeCount === 0 ? this.complete(d) : ReasmOutcome.Duplicate;
      }
      const hs = holes[2 * hit]!;
      const he = holes[2 * hit + 1]!;
      if (hits > 1 || off < hs || end > he) return this.fail(d, ReasmOutcome.Overlap);

      if (!this.reserve(d, d.base + end)) return this.fail(d, ReasmOutcome.NoMemory);
      copyBytes(d.buf, d.base + off, src, srcOff, len);
      if (off === hs && end === he) {
        holes.copyWithin(2 * hit, 2 * hit + 2, 2 * d.holeCount);
        d.holeCount--;
      } else if (off === hs) {
        holes[2 * hit] = end;
      } else if (end === he) {
        holes[2 * hit + 1] = off;
      } else {
        if (!this.growHoles(d)) return this.fail(d, ReasmOutcome.NoMemory);
        const h = d.holes;
        h.copyWithin(2 * hit + 2, 2 * hit, 2 * d.holeCount);
        h[2 * hit + 1] = off;
        h[2 * hit + 2] = end;
        d.holeCount++;
      }
      if (end > d.extent) d.extent = end;
      if (off === 0 && d.hdrLen === 0 && !this.keepHeader(d, src, hdrOff, hdrLen, nhPatch, nhValue)) {
        return this.fail(d, ReasmOutcome.NoMemory);
      }
    }
    if (d.holeCount === 0) return this.complete(d);
    return ReasmOutcome.Pending;
  }

  private growHoles(d: Datagram): boolean {
    if (2 * d.holeCount + 2 <= d.holes.length) return true;
    const grow = d.holes.byteLength;
    if (this.memBytes + grow > this.limits.highThreshBytes) return false;
    const nh = new Int32Array(d.holes.length * 2);
    nh.set(d.holes);
    d.holes = nh;
    d.bytes += grow;
    this.memBytes += grow;
    return true;
  }

  private keepHeader(
    d: Datagram,
    src: Uint8Array,
    hdrOff: number,
    hdrLen: number,
    nhPatch: number,
    nhValue: number,
  ): boolean {
    if (hdrLen > d.base) {
      // Rare (long IPv6 extension chain): move the data right to make room.
      const newBase = (hdrLen + 7) & ~7;
      if (!this.reserve(d, newBase + d.extent)) return false;
      d.buf.copyWithin(newBase, d.base, d.base + d.extent);
      d.base = newBase;
    }
    copyBytes(d.buf, d.base - hdrLen, src, hdrOff, hdrLen);
    d.hdrLen = hdrLen;
    d.nhPatch = nhPatch;
    d.nhValue = nhValue;
    return true;
  }

  private complete(d: Datagram): ReasmOutcome {
    const start = d.base - d.hdrLen;
    const len = d.hdrLen + d.total;
    if (len > this.maxDatagram) return this.fail(d, ReasmOutcome.Oversize);
    this.fixHeader(d.buf, start, d.hdrLen, d.total, d.nhPatch, d.nhValue);
    const o = this.out;
    o.buf = d.buf;
    o.off = start;
    o.len = len;
    o.headerLen = d.hdrLen;
    this.stats.ReasmOKs++;
    this.remove(d);
    return ReasmOutcome.Complete;
  }

  /** Rewrites the first fragment's header at `buf[off]` for the whole datagram. */
  protected abstract fixHeader(
    buf: Uint8Array,
    off: number,
    hdrLen: number,
    dataLen: number,
    nhPatch: number,
    nhValue: number,
  ): void;
}

/** A plain copy loop: no `subarray` view per fragment. */
function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
}

function hash4(a: number, b: number, c: number, d: number): number {
  return mix32(a ^ mix32(b ^ mix32(c ^ mix32(d ^ 0x9e3779b9))));
}

/** IPv4 reassembly, keyed by (src, dst, protocol, identification). */
export class Ipv4Reassembler extends ReassemblerBase {
  constructor(limits: ReassemblyLimits) {
    super(limits, 60, IPV4_MAX_TOTAL_LEN);
  }

  /**
   * Takes a checked view and its parsed repr (a fragment: MF set or offset non-zero). On
   * `Complete`, `out` holds the whole datagram.
   */
  push(view: Ipv4View, repr: Ipv4Repr, now: Instant): ReasmOutcome {
    if (!repr.isFragment) return ReasmOutcome.NotFragment;
    this.stats.ReasmReqds++;
    const h = hash4(repr.src, repr.dst, (repr.protocol << 16) | repr.identification, 4);
    let d = this.find(h, repr.src, 0, 0, 0, repr.dst, 0, 0, 0, repr.protocol, repr.identification);
    if (d === undefined) {
      d = this.create(now, h);
      if (d === undefined) return this.refusal;
      d.a0 = repr.src;
      d.b0 = repr.dst;
      d.proto = repr.protocol;
      d.id = repr.identification;
    }
    return this.insert(
      d,
      repr.fragmentOffset,
      repr.moreFragments,
      view.buf,
      view.payloadOffset,
      view.payloadLength,
      view.off,
      view.headerLength,
      -1,
      0,
    );
  }

  protected fixHeader(buf: Uint8Array, off: number, hdrLen: number, dataLen: number): void {
    set16(buf, off + 2, hdrLen + dataLen);
    // Clear MF and the offset; DF and the reserved bit stay as the first fragment had them.
    buf[off + 6] = buf[off + 6]! & 0xc0;
    buf[off + 7] = 0;
    fillIpv4Checksum(buf, off, hdrLen);
  }
}

/** IPv6 reassembly, keyed by (src, dst, identification). */
export class Ipv6Reassembler extends ReassemblerBase {
  constructor(limits: ReassemblyLimits) {
    super(limits, 64, IPV6_HEADER_LEN + IPV6_MAX_PAYLOAD_LEN);
  }

  /**
   * Takes a checked view and a walker that stopped at a Fragment header (`walker.hasFragment` and
   * offset non-zero or M set). On `Complete`, `out` holds the whole packet without the Fragment
   * header.
   */
  push(view: Ipv6View, walker: Ipv6ExtWalker, now: Instant): ReasmOutcome {
    if (!walker.hasFragment || (walker.fragmentOffset === 0 && !walker.moreFragments)) {
      return ReasmOutcome.NotFragment;
    }
    this.stats.ReasmReqds++;
    const b = view.buf;
    const s = view.srcOffset;
    const t = view.dstOffset;
    const a0 = get32(b, s);
    const a1 = get32(b, s + 4);
    const a2 = get32(b, s + 8);
    const a3 = get32(b, s + 12);
    const b0 = get32(b, t);
    const b1 = get32(b, t + 4);
    const b2 = get32(b, t + 8);
    const b3 = get32(b, t + 12);
    const id = walker.fragmentIdent;
    const h = hash4(a0 ^ b0, a1 ^ b1 ^ id, a2 ^ mix32(b2), a3 ^ mix32(b3 ^ 6));
    let d = this.find(h, a0, a1, a2, a3, b0, b1, b2, b3, -1, id);
    if (d === undefined) {
      d = this.create(now, h);
      if (d === undefined) return this.refusal;
      d.a0 = a0;
      d.a1 = a1;
      d.a2 = a2;
      d.a3 = a3;
      d.b0 = b0;
      d.b1 = b1;
      d.b2 = b2;
      d.b3 = b3;
      d.proto = -1;
      d.id = id;
    }
    const hdrLen = walker.fragmentHeaderOffset - view.off;
    return this.insert(
      d,
      walker.fragmentOffset,
      walker.moreFragments,
      b,
      walker.offset,
      walker.length,
      view.off,
      hdrLen,
      walker.fragmentPrevNextHeaderOffset - view.off,
      walker.protocol,
    );
  }

  protected fixHeader(
    buf: Uint8Array,
    off: number,
    hdrLen: number,
    dataLen: number,
    nhPatch: number,
    nhValue: number,
  ): void {
    set16(buf, off + 4, hdrLen - IPV6_HEADER_LEN + dataLen);
    buf[off + nhPatch] = nhValue;
  }
}
