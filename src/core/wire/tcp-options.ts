/**
 * TCP options (RFC 9293 §3.1, §3.2): a reusable, preallocated record of one segment's option block.
 *
 * The record keeps the option bytes themselves, in wire order, plus a small table of the options
 * (kind, offset, length) and decoded fields for the kinds the stack understands. Because the bytes
 * are kept, a parsed block re-emits byte-identically: option order, NOPs, EOL, unknown kinds,
 * malformed-but-delimitable options and whatever followed an EOL all survive a parse/emit round trip.
 *
 * - Building: `clear()` then `addMss(…)`, `addNop()`, … in the order they should go on the wire. Each
 *   `add*` returns false (and changes nothing) when the option would not fit in the 40-byte option
 *   space, so `emit` can never produce an over-long block. Options added after an EOL are written
 *   but, as on the wire, count as padding: they are not decoded.
 * - Parsing: `parse(buf, off, len)` returns a drop reason:
 *   - `TcpBadOptionLength`: the block cannot be delimited (a length byte < 2, an option running
 *     past the region, or a region longer than 40 bytes). The record then holds the options before
 *     the bad one.
 *   - `TcpBadOption`: a known kind with a length its RFC forbids (MSS ≠ 4, WS ≠ 3, SACK-permitted
 *     ≠ 2, timestamps ≠ 10, SACK not 2+8n with n in 1..4, MD5 ≠ 18, Fast Open cookie not 0 or 4..16
 *     bytes). The block is still recorded completely and that option is kept undecoded, so a caller
 *     that prefers to ignore such an option (as Linux does) can use the record as is.
 * - Decoded accessors reflect the last valid occurrence of each kind (receivers overwrite as they
 *   walk the block); `findKind` and the item table give access to every occurrence.
 * - `equals` compares what goes on the wire: two records are equal when they emit the same bytes.
 */

import { get16, get32, hex, set16, set32 } from './bytes.js';
import { DropReason } from './drop.js';

/** Option kinds (IANA "TCP Option Kind Numbers"). */
export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
  MD5: 19,
  FAST_OPEN: 34,
  /** RFC 6994 shared experimental kind; Fast Open used it with ExID 0xF989 before kind 34. */
  EXPERIMENTAL: 254,
} as const;

/** The option space: data offset 15 words minus the 20-byte fixed header. */
export const TCP_MAX_OPTIONS_LEN = 40;
/** RFC 2018: at most 4 blocks fit (3 alongside timestamps). */
export const TCP_MAX_SACK_BLOCKS = 4;
export const TCP_MD5_DIGEST_LEN = 16;
/** RFC 7413 §4.1.1: a cookie is 4 to 16 bytes; an empty option is a cookie request. */
export const TCP_FASTOPEN_COOKIE_MIN = 4;
export const TCP_FASTOPEN_COOKIE_MAX = 16;
/** RFC 7413 §4.1.1 / RFC 6994: the experiment ID of Fast Open carried in kind 254. */
export const TCP_FASTOPEN_EXP_MAGIC = 0xf989;

const K = TcpOptionKind;

function fastOpenCookieLenOk(n: number): boolean {
  return n === 0 || (n >= TCP_FASTOPEN_COOKIE_MIN && n <= TCP_FASTOPEN_COOKIE_MAX);
}

export class TcpOptions {
  /**
   * The block as it goes on the wire: the options (`itemsLength` bytes, an EOL included), then
   * `paddingLength` bytes that followed an EOL. `emit` zero-fills up to the next 4-byte boundary.
   * Read-only for callers: change the record through `clear`/`add*`/`parse`/`copyFrom`.
   */
  readonly bytes = new Uint8Array(TCP_MAX_OPTIONS_LEN);
  private used = 0;
  private padding = 0;
  private afterEol = false;
  private items = 0;
  private readonly itemOff = new Uint8Array(TCP_MAX_OPTIONS_LEN);
  private readonly itemLen = new Uint8Array(TCP_MAX_OPTIONS_LEN);

  private mssValue = -1;
  private wscaleValue = -1;
  private sackOk = false;
  private sackN = 0;
  /** Decoded SACK blocks as [left0, right0, left1, right1, …]; valid for `sackCount` blocks. */
  readonly sackBlocks = new Uint32Array(2 * TCP_MAX_SACK_BLOCKS);
  private tsPresent = false;
  private tsValValue = 0;
  private tsEcrValue = 0;
  private md5Present = false;
  /** The MD5 digest (RFC 2385) when `hasMd5`. */
  readonly md5 = new Uint8Array(TCP_MD5_DIGEST_LEN);
  private tfoPresent = false;
  private tfoExp = false;
  private tfoLen = 0;
  /** The Fast Open cookie when `hasFastOpen` (`fastOpenCookieLength` bytes; 0 = cookie request). */
  readonly fastOpenCookie = new Uint8Array(TCP_FASTOPEN_COOKIE_MAX);

  /** Forget everything: an empty block (encodes to 0 bytes). */
  clear(): void {
    this.used = 0;
    this.padding = 0;
    this.afterEol = false;
    this.items = 0;
    this.mssValue = -1;
    this.wscaleValue = -1;
    this.sackOk = false;
    this.sackN = 0;
    this.tsPresent = false;
    this.tsValValue = 0;
    this.tsEcrValue = 0;
    this.md5Present = false;
    this.tfoPresent = false;
    this.tfoExp = false;
    this.tfoLen = 0;
  }

  // ---- decoded accessors ----

  /** Maximum segment size (RFC 9293 §3.7.1), or -1 when absent. */
  get mss(): number {
    return this.mssValue;
  }
  /** Window scale shift count as sent (RFC 7323 §2.3; the receiver clamps > 14), or -1 when absent. */
  get wscale(): number {
    return this.wscaleValue;
  }
  /** SACK-permitted (RFC 2018 §2). */
  get sackPermitted(): boolean {
    return this.sackOk;
  }
  /** Number of SACK blocks (RFC 2018 §3), 0 when absent. */
  get sackCount(): number {
    return this.sackN;
  }
  sackLeft(i: number): number {
    return this.sackBlocks[2 * i]!;
  }
  sackRight(i: number): number {
    return this.sackBlocks[2 * i + 1]!;
  }
  /** Timestamps option present (RFC 7323 §3). */
  get hasTimestamps(): boolean {
    return this.tsPresent;
  }
  get tsVal(): number {
    return this.tsValValue;
  }
  get tsEcr(): number {
    return this.tsEcrValue;
  }
  get hasMd5(): boolean {
    return this.md5Present;
  }
  /** Fast Open option present (kind 34, or kind 254 with ExID 0xF989). */
  get hasFastOpen(): boolean {
    return this.tfoPresent;
  }
  /** True when the Fast Open option used the experimental kind 254 form. */
  get fastOpenExperimental(): boolean {
    return this.tfoExp;
  }
  /** Cookie length; 0 with `hasFastOpen` is a cookie request. */
  get fastOpenCookieLength(): number {
    return this.tfoLen;
  }

  // ---- the option table ----

  /** Number of options before (and including) the first EOL. */
  get count(): number {
    return this.items;
  }
  kindAt(i: number): number {
    return this.bytes[this.itemOff[i]!]!;
  }
  /** Offset of option `i` within the block (add the block's offset to address it in a segment). */
  offsetAt(i: number): number {
    return this.itemOff[i]!;
  }
  /** Total length of option `i`, kind and length bytes included (1 for EOL and NOP). */
  lengthAt(i: number): number {
    return this.itemLen[i]!;
  }
  /** Index of the last option of this kind, or -1. */
  findKind(kind: number): number {
    for (let i = this.items - 1; i >= 0; i--) if (this.bytes[this.itemOff[i]!] === kind) return i;
    return -1;
  }
  /** Bytes taken by the options up to and including an EOL. */
  get itemsLength(): number {
    return this.used - this.padding;
  }
  /** Bytes after an EOL (zero padding normally; kept verbatim so the block re-emits identically). */
  get paddingLength(): number {
    return this.padding;
  }

  /** Length on the wire: the options and padding, rounded up to a multiple of 4 (≤ 40). */
  encodedLength(): number {
    return (this.used + 3) & ~3;
  }

  /** Write the block at `off`, zero-padded to a 4-byte multiple; returns the bytes written. */
  emit(buf: Uint8Array, off: number): number {
    const b = this.bytes;
    const n = this.used;
    const end = (n + 3) & ~3;
    for (let i = 0; i < n; i++) buf[off + i] = b[i]!;
    for (let i = n; i < end; i++) buf[off + i] = 0;
    return end;
  }

  /** Fill the record from the option region of a segment (`len` bytes at `off`). */
  parse(buf: Uint8Array, off: number, len: number): DropReason {
    this.clear();
    if (off < 0 || len < 0 || off + len > buf.length) return DropReason.Truncated;
    if (len > TCP_MAX_OPTIONS_LEN) return DropReason.TcpBadOptionLength;
    const b = this.bytes;
    const itemOff = this.itemOff;
    const itemLen = this.itemLen;
    for (let i = 0; i < len; i++) b[i] = buf[off + i]!;
    let result = DropReason.Ok;
    let n = 0;
    let p = 0;
    // One walk, with the common single-byte options handled inline (a hot path: every segment).
    while (p < len) {
      const kind = b[p]!;
      if (kind === K.NOP) {
        itemOff[n] = p;
        itemLen[n++] = 1;
        p++;
        continue;
      }
      if (kind === K.EOL) {
        // RFC 9293 §3.2: EOL ends the list; what follows is padding (normally zeros), kept as is.
        itemOff[n] = p;
        itemLen[n++] = 1;
        this.afterEol = true;
        this.padding = len - p - 1;
        break;
      }
      const optLen = p + 1 < len ? b[p + 1]! : 0;
      if (optLen < 2 || p + optLen > len) {
        // Not delimitable: keep what came before.
        this.items = n;
        this.used = p;
        return DropReason.TcpBadOptionLength;
      }
      itemOff[n] = p;
      itemLen[n++] = optLen;
      if (!this.decode(kind, p, optLen)) result = DropReason.TcpBadOption;
      p += optLen;
    }
    this.items = n;
    this.used = len;
    return result;
  }

  /** Make this record a copy of `o`. */
  copyFrom(o: TcpOptions): void {
    if (o === this) return;
    const n = o.used;
    // Re-deriving from the bytes gives the same table, padding and decoded fields.
    this.parse(o.bytes, 0, n);
  }

  /** True when both records put the same bytes on the wire. */
  equals(o: TcpOptions): boolean {
    const end = this.encodedLength();
    if (o.encodedLength() !== end) return false;
    for (let i = 0; i < end; i++) {
      const x = i < this.used ? this.bytes[i]! : 0;
      const y = i < o.used ? o.bytes[i]! : 0;
      if (x !== y) return false;
    }
    return true;
  }

  // ---- builders ----

  addEol(): boolean {
    const p = this.reserve(1);
    if (p < 0) return false;
    this.bytes[p] = K.EOL;
    this.commit(p, 1);
    return true;
  }

  addNop(): boolean {
    const p = this.reserve(1);
    if (p < 0) return false;
    this.bytes[p] = K.NOP;
    this.commit(p, 1);
    return true;
  }

  addMss(mss: number): boolean {
    const p = this.reserve(4);
    if (p < 0) return false;
    this.head(p, K.MSS, 4);
    set16(this.bytes, p + 2, mss);
    this.commit(p, 4);
    return true;
  }

  addWindowScale(shift: number): boolean {
    const p = this.reserve(3);
    if (p < 0) return false;
    this.head(p, K.WINDOW_SCALE, 3);
    this.bytes[p + 2] = shift;
    this.commit(p, 3);
    return true;
  }

  addSackPermitted(): boolean {
    const p = this.reserve(2);
    if (p < 0) return false;
    this.head(p, K.SACK_PERMITTED, 2);
    this.commit(p, 2);
    return true;
  }

  /**
   * SACK blocks from `blocks` as [left0, right0, left1, right1, …] (a preallocated array works
   * without allocation); `count` blocks, 1..4.
   */
  addSack(blocks: ArrayLike<number>, count = blocks.length >>> 1): boolean {
    if (count < 1 || count > TCP_MAX_SACK_BLOCKS || 2 * count > blocks.length) return false;
    const n = 2 + 8 * count;
    const p = this.reserve(n);
    if (p < 0) return false;
    this.head(p, K.SACK, n);
    for (let i = 0; i < 2 * count; i++) set32(this.bytes, p + 2 + 4 * i, blocks[i]!);
    this.commit(p, n);
    return true;
  }

  addTimestamps(tsVal: number, tsEcr: number): boolean {
    const p = this.reserve(10);
    if (p < 0) return false;
    this.head(p, K.TIMESTAMPS, 10);
    set32(this.bytes, p + 2, tsVal);
    set32(this.bytes, p + 6, tsEcr);
    this.commit(p, 10);
    return true;
  }

  /** RFC 2385 signature option with the 16-byte digest at `digest[off..off+16]`. */
  addMd5(digest: ArrayLike<number>, off = 0): boolean {
    if (off < 0 || off + TCP_MD5_DIGEST_LEN > digest.length) return false;
    const p = this.reserve(18);
    if (p < 0) return false;
    this.head(p, K.MD5, 18);
    for (let i = 0; i < TCP_MD5_DIGEST_LEN; i++) this.bytes[p + 2 + i] = digest[off + i]!;
    this.commit(p, 18);
    return true;
  }

  /**
   * Fast Open (RFC 7413): a cookie of 4..16 bytes, or an empty cookie for a cookie request.
   * `experimental` uses kind 254 with ExID 0xF989 instead of kind 34.
   */
  addFastOpen(cookie: ArrayLike<number>, experimental = false, off = 0, len = cookie.length - off): boolean {
    if (!fastOpenCookieLenOk(len) || off < 0 || off + len > cookie.length) return false;
    const hdr = experimental ? 4 : 2;
    const n = hdr + len;
    const p = this.reserve(n);
    if (p < 0) return false;
    this.head(p, experimental ? K.EXPERIMENTAL : K.FAST_OPEN, n);
    if (experimental) set16(this.bytes, p + 2, TCP_FASTOPEN_EXP_MAGIC);
    for (let i = 0; i < len; i++) this.bytes[p + hdr + i] = cookie[off + i]!;
    this.commit(p, n);
    return true;
  }

  /**
   * Any option with a length byte: `kind` (2..255), then the `len` data bytes at `data[off..]`. It is
   * decoded exactly as a parser would decode it, so a known kind with a wrong length (to craft a
   * malformed segment) is kept undecoded. Kinds 0 and 1 have no length byte: use addEol/addNop.
   */
  addUnknown(kind: number, data: ArrayLike<number>, off = 0, len = data.length - off): boolean {
    if (kind < 2 || kind > 255 || off < 0 || len < 0 || off + len > data.length) return false;
    const n = 2 + len;
    if (n > 255) return false;
    const p = this.reserve(n);
    if (p < 0) return false;
    this.head(p, kind, n);
    for (let i = 0; i < len; i++) this.bytes[p + 2 + i] = data[off + i]!;
    this.commit(p, n);
    return true;
  }

  /** Room for `n` more bytes: the offset to write at, or -1 when the block would exceed 40 bytes. */
  private reserve(n: number): number {
    const p = this.used;
    if (p + n > TCP_MAX_OPTIONS_LEN) return -1;
    this.used = p + n;
    return p;
  }

  private head(p: number, kind: number, len: number): void {
    this.bytes[p] = kind;
    this.bytes[p + 1] = len;
  }

  /**
   * Record the option just placed at `p` (`len` bytes, already in `bytes`): add it to the table
   * and decode it, or count it as padding when it follows an EOL. False when a known kind has a
   * length its RFC forbids.
   */
  private commit(p: number, len: number): boolean {
    if (this.afterEol) {
      this.padding += len;
      return true;
    }
    this.itemOff[this.items] = p;
    this.itemLen[this.items] = len;
    this.items++;
    const kind = this.bytes[p]!;
    if (kind === K.EOL) {
      this.afterEol = true;
      return true;
    }
    return kind === K.NOP || this.decode(kind, p, len);
  }

  /** Decode the option of `kind` with a length byte, `len` bytes at `p`; false when the length is wrong. */
  private decode(kind: number, p: number, len: number): boolean {
    const b = this.bytes;
    switch (kind) {
      case K.MSS:
        if (len !== 4) return false;
        this.mssValue = get16(b, p + 2);
        return true;
      case K.WINDOW_SCALE:
        if (len !== 3) return false;
        this.wscaleValue = b[p + 2]!;
        return true;
      case K.SACK_PERMITTED:
        if (len !== 2) return false;
        this.sackOk = true;
        return true;
      case K.SACK: {
        const n = (len - 2) >>> 3;
        if (n < 1 || n > TCP_MAX_SACK_BLOCKS || len !== 2 + 8 * n) return false;
        for (let i = 0; i < 2 * n; i++) this.sackBlocks[i] = get32(b, p + 2 + 4 * i);
        this.sackN = n;
        return true;
      }
      case K.TIMESTAMPS:
        if (len !== 10) return false;
        this.tsPresent = true;
        this.tsValValue = get32(b, p + 2);
        this.tsEcrValue = get32(b, p + 6);
        return true;
      case K.MD5:
        if (len !== 2 + TCP_MD5_DIGEST_LEN) return false;
        for (let i = 0; i < TCP_MD5_DIGEST_LEN; i++) this.md5[i] = b[p + 2 + i]!;
        this.md5Present = true;
        return true;
      case K.FAST_OPEN:
        return this.decodeFastOpen(p + 2, len - 2, false);
      case K.EXPERIMENTAL:
        // RFC 6994: other experiment IDs (or none) are options we do not know, which is fine.
        if (len < 4 || get16(b, p + 2) !== TCP_FASTOPEN_EXP_MAGIC) return true;
        return this.decodeFastOpen(p + 4, len - 4, true);
      default:
        return true;
    }
  }

  private decodeFastOpen(p: number, n: number, experimental: boolean): boolean {
    // RFC 7413 §4.1.1. Linux additionally ignores odd-length cookies; that is the caller's policy.
    if (!fastOpenCookieLenOk(n)) return false;
    for (let i = 0; i < n; i++) this.fastOpenCookie[i] = this.bytes[p + i]!;
    this.tfoPresent = true;
    this.tfoExp = experimental;
    this.tfoLen = n;
    return true;
  }

  /**
   * tcpdump's rendering of the option list (without the surrounding `options [` `]`), e.g.
   * `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 8`. SACK edges are absolute (as with `tcpdump -S`).
   * Differences from tcpdump 4.99: `md5 <hex>` (tcpdump adds a note that it cannot check the
   * digest), `tfo cookie …` with one space (tcpdump prints two), `exp-<ExID>` followed by any data
   * bytes, and every kind other than those decoded here prints as `unknown-<kind> 0x<hex>`. An
   * option whose length is wrong for its kind prints as `<name>[len N]` and its data in hex.
   * Padding after an EOL is not shown.
   */
  toString(): string {
    let s = '';
    for (let i = 0; i < this.items; i++) {
      if (i > 0) s += ',';
      s += this.itemString(this.itemOff[i]!, this.itemLen[i]!);
    }
    return s;
  }

  private itemString(p: number, len: number): string {
    const b = this.bytes;
    const kind = b[p]!;
    const data = len > 2 ? ` 0x${hex(b, p + 2, len - 2)}` : '';
    switch (kind) {
      case K.EOL:
        return 'eol';
      case K.NOP:
        return 'nop';
      case K.MSS:
        return len === 4 ? `mss ${get16(b, p + 2)}` : `mss[len ${len}]${data}`;
      case K.WINDOW_SCALE:
        return len === 3 ? `wscale ${b[p + 2]!}` : `wscale[len ${len}]${data}`;
      case K.SACK_PERMITTED:
        return len === 2 ? 'sackOK' : `sackOK[len ${len}]${data}`;
      case K.SACK: {
        const n = (len - 2) >>> 3;
        if (n < 1 || len !== 2 + 8 * n) return `sack[len ${len}]${data}`;
        let s = `sack ${n} `;
        for (let j = 0; j < n; j++) s += `{${get32(b, p + 2 + 8 * j)}:${get32(b, p + 6 + 8 * j)}}`;
        return s;
      }
      case K.TIMESTAMPS:
        return len === 10 ? `TS val ${get32(b, p + 2)} ecr ${get32(b, p + 6)}` : `TS[len ${len}]${data}`;
      case K.MD5:
        return len === 18 ? `md5 ${hex(b, p + 2, 16)}` : `md5[len ${len}]${data}`;
      case K.FAST_OPEN:
        return fastOpenString('tfo', b, p + 2, len - 2, len, data);
      case K.EXPERIMENTAL:
        if (len >= 4) {
          const exid = get16(b, p + 2);
          if (exid === TCP_FASTOPEN_EXP_MAGIC) return fastOpenString('exp-tfo', b, p + 4, len - 4, len, data);
          return `exp-${hex(b, p + 2, 2)}${len > 4 ? ` 0x${hex(b, p + 4, len - 4)}` : ''}`;
        }
        return `unknown-${kind}${data}`;
      default:
        return `unknown-${kind}${data}`;
    }
  }
}

function fastOpenString(
  name: string,
  b: Uint8Array,
  p: number,
  n: number,
  len: number,
  data: string,
): string {
  if (!fastOpenCookieLenOk(n)) return `${name}[len ${len}]${data}`;
  return n === 0 ? `${name} cookiereq` : `${name} cookie ${hex(b, p, n)}`;
}
