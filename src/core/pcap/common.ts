/**
 * Shared pieces of the pcap and pcapng readers and writers: link types, the record a reader yields,
 * the writer interface and sink, byte-order helpers and 64-bit timestamp arithmetic.
 *
 * Timestamps are (seconds, nanoseconds) pairs of plain numbers: `tsSec` (seconds since the Unix
 * epoch, or since the driver's origin for virtual time) and `tsNsec` in [0, 1e9). That needs no
 * bigint per record; `PcapRecord.tsNs` gives the single bigint when wanted, and `instantFromTs` /
 * `tsFromInstant` convert to and from the core's integer-microsecond `Instant`.
 */
import { type Instant, US_PER_SECOND } from '../time/time.js';

export const LINKTYPE_ETHERNET = 1;
/** Raw IP: each packet starts with an IPv4 or IPv6 header (the version nibble tells which). */
export const LINKTYPE_RAW = 101;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

/** The link types the stack understands; readers still yield records of any link type. */
export function isSupportedLinkType(linkType: number): boolean {
  return (
    linkType === LINKTYPE_ETHERNET ||
    linkType === LINKTYPE_RAW ||
    linkType === LINKTYPE_IPV4 ||
    linkType === LINKTYPE_IPV6
  );
}

/** The usual maximum snapshot length (tcpdump and libpcap's default). */
export const DEFAULT_SNAPLEN = 262144;

/**
 * Where writers put their output. The chunk is borrowed: it is only valid during the call (writers
 * reuse one scratch buffer), so a sink that keeps bytes must copy them (`fs.writeSync` does).
 */
export type Sink = (chunk: Uint8Array) => void;

/** A sink that appends everything into one growing buffer (for tests and in-memory captures). */
export class ByteCollector {
  private buf = new Uint8Array(4096);
  private n = 0;
  readonly sink: Sink = (chunk) => {
    if (this.n + chunk.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.n + chunk.length) cap *= 2;
      const b = new Uint8Array(cap);
      b.set(this.buf.subarray(0, this.n));
      this.buf = b;
    }
    this.buf.set(chunk, this.n);
    this.n += chunk.length;
  };

  get length(): number {
    return this.n;
  }

  /** A copy of everything written so far. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

/** What both writers offer: one record per call, timestamps as (seconds, nanoseconds). */
export interface CaptureWriter {
  /** Writes `len` bytes of `data` from `off`, truncated to the snapshot length; `origLen` defaults to `len`. */
  write(data: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number, origLen?: number): void;
  /** The same with the timestamp taken from a core Instant. */
  writeAt(now: Instant, data: Uint8Array, off: number, len: number, origLen?: number): void;
}

/** Microseconds (an Instant) from a (seconds, nanoseconds) timestamp; sub-microsecond digits are dropped. */
export function instantFromTs(tsSec: number, tsNsec: number): Instant {
  return (tsSec * US_PER_SECOND + Math.floor(tsNsec / 1000)) as Instant;
}

/** The seconds part of an Instant as a pcap timestamp (negative instants clamp to 0). */
export function tsSecOf(t: Instant): number {
  return t > 0 ? Math.floor(t / US_PER_SECOND) : 0;
}

/** The nanoseconds part of an Instant as a pcap timestamp. */
export function tsNsecOf(t: Instant): number {
  return t > 0 ? (t - Math.floor(t / US_PER_SECOND) * US_PER_SECOND) * 1000 : 0;
}

/** One packet from a capture. Readers reuse one record; `copy()` keeps it. */
export class PcapRecord {
  linkType = 0;
  /** Interface index within the pcapng section (0 for classic pcap). */
  iface = 0;
  tsSec = 0;
  tsNsec = 0;
  /** False for pcapng Simple Packet Blocks, which carry no timestamp (tsSec = tsNsec = 0). */
  hasTimestamp = true;
  /** The captured bytes are `buf[off, off + len)`: `buf` is the whole capture, nothing is copied. */
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  /** Captured length. */
  len = 0;
  /** Length of the packet on the wire (may exceed `len` when the capture was truncated). */
  origLen = 0;

  /** The captured bytes as a view (allocates a view; use buf/off/len on hot paths). */
  get data(): Uint8Array {
    return this.buf.subarray(this.off, this.off + this.len);
  }

  /** The timestamp in nanoseconds as one bigint. */
  get tsNs(): bigint {
    return BigInt(this.tsSec) * 1_000_000_000n + BigInt(this.tsNsec);
  }

  /** The timestamp as a core Instant (µs, truncated). */
  instant(): Instant {
    return instantFromTs(this.tsSec, this.tsNsec);
  }

  copy(): PcapRecord {
    const r = new PcapRecord();
    r.linkType = this.linkType;
    r.iface = this.iface;
    r.tsSec = this.tsSec;
    r.tsNsec = this.tsNsec;
    r.hasTimestamp = this.hasTimestamp;
    r.buf = this.buf;
    r.off = this.off;
    r.len = this.len;
    r.origLen = this.origLen;
    return r;
  }
}

/** Copies `len` bytes of `src` from `srcOff` to `dst` at `dstOff` (a view only when it must). */
export function copyInto(
  dst: Uint8Array,
  dstOff: number,
  src: Uint8Array,
  srcOff: number,
  len: number,
): void {
  if (srcOff === 0 && len === src.length) dst.set(src, dstOff);
  else if (len <= 64) for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
  else dst.set(src.subarray(srcOff, srcOff + len), dstOff);
}

// --- byte order -----------------------------------------------------------------------------------

export function rd16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

export function rd32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function wr16(b: Uint8Array, o: number, v: number, le: boolean): void {
  if (le) {
    b[o] = v;
    b[o + 1] = v >>> 8;
  } else {
    b[o] = v >>> 8;
    b[o + 1] = v;
  }
}

export function wr32(b: Uint8Array, o: number, v: number, le: boolean): void {
  if (le) {
    b[o] = v;
    b[o + 1] = v >>> 8;
    b[o + 2] = v >>> 16;
    b[o + 3] = v >>> 24;
  } else {
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
  }
}

// --- 64-bit arithmetic on (hi, lo) uint32 pairs, results in module variables (no allocation) -------

const TWO_16 = 65536;
export const TWO_32 = 4294967296;

/** Results of `divmod64` and `mul64`. */
export const u64 = { hi: 0, lo: 0, rem: 0 };

/**
 * (hi * 2^32 + lo) / d for an integer 1 <= d <= 2^30, by long division over 16-bit digits (every
 * intermediate stays below 2^46, so float arithmetic is exact). Quotient in `u64.hi`/`u64.lo`,
 * remainder in `u64.rem`.
 */
export function divmod64(hi: number, lo: number, d: number): void {
  let r = 0;
  let cur = r * TWO_16 + (hi >>> 16);
  const q3 = Math.floor(cur / d);
  r = cur - q3 * d;
  cur = r * TWO_16 + (hi & 0xffff);
  const q2 = Math.floor(cur / d);
  r = cur - q2 * d;
  cur = r * TWO_16 + (lo >>> 16);
  const q1 = Math.floor(cur / d);
  r = cur - q1 * d;
  cur = r * TWO_16 + (lo & 0xffff);
  const q0 = Math.floor(cur / d);
  r = cur - q0 * d;
  u64.hi = q3 * TWO_16 + q2;
  u64.lo = q1 * TWO_16 + q0;
  u64.rem = r;
}

/** (hi, lo) >>> k for 0 <= k < 64, into `u64.hi`/`u64.lo`. */
export function shr64(hi: number, lo: number, k: number): void {
  if (k === 0) {
    u64.hi = hi;
    u64.lo = lo;
  } else if (k < 32) {
    u64.lo = ((lo >>> k) | (hi << (32 - k))) >>> 0;
    u64.hi = hi >>> k;
  } else {
    u64.lo = hi >>> (k - 32);
    u64.hi = 0;
  }
}

/** tsSec * 1e9 + tsNsec as a 64-bit (hi, lo) pair in `u64` (tsSec < 2^34, tsNsec < 2^30). */
export function nanos64(tsSec: number, tsNsec: number): void {
  const secHi = Math.floor(tsSec / TWO_16);
  const secLo = tsSec - secHi * TWO_16;
  const a = secLo * 1e9 + tsNsec;
  const b = secHi * 1e9;
  const bHi = Math.floor(b / TWO_16);
  const bLo = b - bHi * TWO_16;
  const c = bLo * TWO_16 + a;
  const cHi = Math.floor(c / TWO_32);
  u64.hi = (bHi + cHi) >>> 0;
  u64.lo = c - cHi * TWO_32;
}

/** The result of converting a pcapng timestamp: seconds and nanoseconds. */
export const tsOut = { sec: 0, nsec: 0 };

/**
 * Converts a pcapng timestamp of (hi, lo) units with `if_tsresol` byte `tsresol` into `tsOut`.
 * Returns false for resolutions it cannot represent (10^-v with v > 19, 2^-v with v > 63).
 * Units finer than a nanosecond are truncated.
 */
export function unitsToTs(hi: number, lo: number, tsresol: number): boolean {
  const v = tsresol & 0x7f;
  if (tsresol & 0x80) {
    if (v > 63) return false;
    let bits = v;
    if (bits > 30) {
      shr64(hi, lo, bits - 30);
      hi = u64.hi;
      lo = u64.lo;
      bits = 30;
    }
    divmod64(hi, lo, 2 ** bits);
    tsOut.sec = u64.hi * TWO_32 + u64.lo;
    // rem * 1e9 / 2^bits with 1e9 = 1953125 * 2^9, keeping every product below 2^53.
    const m = u64.rem * 1953125;
    tsOut.nsec = bits >= 9 ? Math.floor(m / 2 ** (bits - 9)) : m * 2 ** (9 - bits);
    return true;
  }
  if (v > 19) return false;
  if (v <= 9) {
    divmod64(hi, lo, 10 ** v);
    tsOut.sec = u64.hi * TWO_32 + u64.lo;
    tsOut.nsec = u64.rem * 10 ** (9 - v);
    return true;
  }
  // Finer than nanoseconds: first down to nanoseconds, then split seconds off.
  divmod64(hi, lo, 10 ** (v - 9));
  divmod64(u64.hi, u64.lo, 1e9);
  tsOut.sec = u64.hi * TWO_32 + u64.lo;
  tsOut.nsec = u64.rem;
  return true;
}
