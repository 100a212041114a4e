/**
 * `ByteRing`: a circular byte buffer for the TCP send and receive queues.
 *
 * Layout: `length` committed bytes start at the read head and may wrap past the end of the backing
 * array. Beyond them lies the uncommitted area (`free` bytes), which out-of-order data can be
 * written into at its final position (`writeAt`) and later made readable in order (`commit`).
 *
 * - Send queue: `write` appends application data; the read head is SND.UNA, `peek(skip)` re-reads
 *   unacknowledged bytes for (re)transmission and `discard(n)` drops what the peer acknowledged.
 * - Receive queue: the tail (head + length) is RCV.NXT; segments land with `writeAt(seq - RCV.NXT)`,
 *   `commit(n)` extends the readable data when the hole before them closes, `read` hands bytes to
 *   the application.
 *
 * Any capacity works (not only powers of two). Every copy is one or two `TypedArray.set` calls; the
 * only allocations are the `subarray` views `set` needs (none when a whole source array is copied
 * in one piece) and the new backing array in `resize`. Counts are clipped to what the ring, the
 * source and the destination can hold, so no call throws and none touches memory outside its
 * arguments. Arguments are integers; negative counts act as zero.
 */

/** Two pieces of the backing array (`ByteRing.storage`): `[off0, off0 + len0)` then `[off1, off1 + len1)`. */
export class RingSlices {
  off0 = 0;
  len0 = 0;
  off1 = 0;
  len1 = 0;
}

const EMPTY = new Uint8Array(0);
/** First backing array size (then doubling). */
const MIN_ALLOC = 4096;

export class ByteRing {
  private buf: Uint8Array;
  private cap: number;
  /** Read position in `buf`. */
  private head = 0;
  /** Committed (readable) bytes. */
  private len = 0;

  /**
   * The backing array grows with what is stored: nothing until the first byte, then doubling from
   * 4 KiB up to the capacity (an idle or lightly used connection does not pay for its whole
   * window). Positions wrap at the backing array's length (`pcap`), never beyond `cap`.
   */
  constructor(capacity: number) {
    this.cap = capacity > 0 ? Math.floor(capacity) : 0;
    this.buf = EMPTY;
  }

  /** Bytes of backing array allocated now (≤ `capacity`). */
  get allocated(): number {
    return this.buf.length;
  }

  /** Physical size: where positions wrap. */
  private get pcap(): number {
    return this.buf.length;
  }

  /** Make the backing array cover `end` bytes past the head (committed and placed alike). */
  private reserve(end: number): void {
    const p = this.buf.length;
    if (end <= p) return;
    let next = p === 0 ? MIN_ALLOC : p * 2;
    while (next < end) next *= 2;
    if (next > this.cap) next = this.cap;
    const nb = new Uint8Array(next);
    if (p > 0) this.copyOut(this.head, nb, 0, p);
    this.buf = nb;
    this.head = 0;
  }

  /** Give the backing array back while nothing is stored (it comes back on the next write). */
  release(): boolean {
    if (this.len !== 0) return false;
    this.buf = EMPTY;
    this.head = 0;
    return true;
  }

  get capacity(): number {
    return this.cap;
  }
  /** Committed bytes, readable from the head. */
  get length(): number {
    return this.len;
  }
  /** Room beyond the committed bytes: what `write` accepts and how far `writeAt` may reach. */
  get free(): number {
    return this.cap - this.len;
  }
  get isEmpty(): boolean {
    return this.len === 0;
  }
  get isFull(): boolean {
    return this.len === this.cap;
  }
  /**
   * The backing array, for zero-copy consumers working with `readableSlices`/`writableSlices`.
   * It is replaced by `resize`; do not keep it across one.
   */
  get storage(): Uint8Array {
    return this.buf;
  }

  /** Append up to `len` bytes of `src` from `off`; returns how many were copied. */
  write(src: Uint8Array, off: number, len: number): number {
    const n = clip(len, this.cap - this.len, src.length - off, off);
    if (n === 0) return 0;
    this.reserve(this.len + n);
    this.copyIn(this.wrap(this.head + this.len), src, off, n);
    this.len += n;
    return n;
  }

  /** Copy up to `len` bytes from the head into `dst` at `off` and consume them; returns the count. */
  read(dst: Uint8Array, off: number, len: number): number {
    const n = clip(len, this.len, dst.length - off, off);
    if (n === 0) return 0;
    this.copyOut(this.head, dst, off, n);
    this.head = this.wrap(this.head + n);
    this.len -= n;
    return n;
  }

  /** Copy up to `len` bytes starting `skip` bytes past the head into `dst` at `off`, without consuming. */
  peek(dst: Uint8Array, off: number, len: number, skip: number): number {
    if (skip < 0) return 0;
    const n = clip(len, this.len - skip, dst.length - off, off);
    if (n === 0) return 0;
    this.copyOut(this.wrap(this.head + skip), dst, off, n);
    return n;
  }

  /** Consume up to `n` bytes from the head without copying (acknowledged data); returns the count. */
  discard(n: number): number {
    if (!(n > 0)) return 0;
    if (n > this.len) n = this.len;
    this.head = this.wrap(this.head + n);
    this.len -= n;
    return n;
  }

  /**
   * Place up to `len` bytes of `src` from `off` at `skip` bytes past the committed data, without
   * making them readable. Returns how many were placed (clipped to `free - skip`).
   */
  writeAt(skip: number, src: Uint8Array, off: number, len: number): number {
    if (skip < 0) return 0;
    const n = clip(len, this.cap - this.len - skip, src.length - off, off);
    if (n === 0) return 0;
    this.reserve(this.len + skip + n);
    this.copyIn(this.wrap(this.head + this.len + skip), src, off, n);
    return n;
  }

  /** Make `n` bytes already placed past the committed data readable; returns the count (≤ `free`). */
  commit(n: number): number {
    if (!(n > 0)) return 0;
    const room = this.cap - this.len;
    if (n > room) n = room;
    this.reserve(this.len + n);
    this.len += n;
    return n;
  }

  /**
   * Describe up to `len` committed bytes starting `skip` past the head as at most two pieces of
   * `storage`; returns their total length (0 and empty pieces when nothing is there).
   */
  readableSlices(skip: number, len: number, out: RingSlices): number {
    const n = skip < 0 ? 0 : clip(len, this.len - skip, len, 0);
    return this.slices(n === 0 ? 0 : this.wrap(this.head + skip), n, out);
  }

  /**
   * Describe up to `len` bytes of the uncommitted area starting `skip` past the committed data, for
   * a producer that fills them in place before `commit`; returns their total length.
   */
  writableSlices(skip: number, len: number, out: RingSlices): number {
    const n = skip < 0 ? 0 : clip(len, this.cap - this.len - skip, len, 0);
    if (n > 0) this.reserve(this.len + skip + n);
    return this.slices(n === 0 ? 0 : this.wrap(this.head + this.len + skip), n, out);
  }

  /** Drop all content (committed and placed) and rewind to the start of the backing array. */
  clear(): void {
    this.head = 0;
    this.len = 0;
  }

  /**
   * Change the capacity, keeping the committed bytes and, as far as they fit, the bytes placed
   * beyond them. Refuses (returns false) to shrink below `length`. The caller must not have placed
   * data beyond the new capacity that it still needs (TCP keeps its out-of-order data: SO_RCVBUF).
   */
  resize(newCapacity: number): boolean {
    newCapacity = Math.floor(newCapacity);
    if (!(newCapacity >= this.len)) return false;
    if (newCapacity === this.cap) return true;
    this.cap = newCapacity;
    const p = this.buf.length;
    if (p > newCapacity) {
      // Keep the committed bytes and, as far as they fit, the placed ones.
      const next = newCapacity > 0 ? new Uint8Array(newCapacity) : EMPTY;
      if (newCapacity > 0) this.copyOut(this.head, next, 0, newCapacity);
      this.buf = next;
      this.head = 0;
    }
    return true;
  }

  /** Reduce a position in [0, 2 * pcap) into [0, pcap). */
  private wrap(p: number): number {
    const c = this.buf.length;
    return p >= c ? p - c : p;
  }

  private copyIn(pos: number, src: Uint8Array, off: number, n: number): void {
    const first = this.pcap - pos;
    if (n <= first) {
      this.buf.set(off === 0 && n === src.length ? src : src.subarray(off, off + n), pos);
    } else {
      this.buf.set(src.subarray(off, off + first), pos);
      this.buf.set(src.subarray(off + first, off + n), 0);
    }
  }

  private copyOut(pos: number, dst: Uint8Array, off: number, n: number): void {
    const buf = this.buf;
    const c = buf.length;
    const first = c - pos;
    if (n <= first) {
      dst.set(pos === 0 && n === c ? buf : buf.subarray(pos, pos + n), off);
    } else {
      dst.set(buf.subarray(pos, c), off);
      dst.set(buf.subarray(0, n - first), off + first);
    }
  }

  private slices(pos: number, n: number, out: RingSlices): number {
    const first = this.pcap - pos;
    out.off0 = pos;
    out.off1 = 0;
    if (n <= first) {
      out.len0 = n;
      out.len1 = 0;
    } else {
      out.len0 = first;
      out.len1 = n - first;
    }
    return n;
  }
}

/** min(want, a, b), or 0 when any is not positive or `off` is negative. */
function clip(want: number, a: number, b: number, off: number): number {
  if (!(want > 0) || !(off >= 0)) return 0;
  let n = want;
  if (a < n) n = a;
  if (b < n) n = b;
  return Math.max(n, 0);
}
