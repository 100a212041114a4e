/**
 * `Assembler`: the out-of-order byte ranges a TCP receiver holds beyond RCV.NXT.
 *
 * Offsets are relative to the base (RCV.NXT): offset 0 is the next byte the application stream
 * needs. Ranges are kept sorted, disjoint and non-adjacent (touching ranges merge), in typed arrays
 * allocated once, by the first `add`; nothing is allocated after that.
 *
 * The number of ranges is bounded (`maxRanges`). An `add` that would create a range beyond the bound
 * is refused (`add` returns false, `refusals` counts it) so the caller drops that segment. A range
 * starting at offset 0 is never refused, so in-order data can always close the first hole even when
 * every slot is taken: for that reason one spare slot exists, and `count` may briefly be
 * `maxRanges + 1` until `removeFront` consumes the range at offset 0.
 *
 * SACK (RFC 2018 §4): the first block reported must be the range holding the segment that triggered
 * the ACK, the others should be the most recently reported ones. Every range carries a stamp of when
 * it last grew; `lastIndex` is the range the latest `add` touched and `recentOrder` lists ranges
 * most recently touched first.
 *
 * With a `ByteRing` receive queue whose tail is RCV.NXT, a segment at `off = SEG.SEQ - RCV.NXT` is
 * handled as: `if (asm.add(off, len)) ring.writeAt(off, data, 0, len)` (else drop it), then
 * `n = asm.removeFront(); ring.commit(n); RCV.NXT += n`.
 *
 * Positions are stored absolute (base + offset) as float64 so `removeFront` only shifts the arrays;
 * integers stay exact far beyond any TCP stream length.
 */

export const DEFAULT_MAX_RANGES = 32;
const NONE = new Float64Array(0);

export class Assembler {
  readonly maxRanges: number;
  /** Ranges currently held. */
  count = 0;
  /** Index of the range the last accepted non-empty `add` grew or created, or -1. */
  lastIndex = -1;
  /** Bytes the last `add` covered that were not covered before (0 for a full duplicate or a refusal). */
  addedBytes = 0;
  /** Adds refused because they would have exceeded `maxRanges`. */
  refusals = 0;

  private base = 0;
  private clock = 0;
  // Allocated by the first `add` (most connections never see out-of-order data).
  private starts = NONE;
  private ends = NONE;
  private stamps = NONE;

  constructor(maxRanges = DEFAULT_MAX_RANGES) {
    this.maxRanges = maxRanges >= 1 ? Math.floor(maxRanges) : 1;
  }

  private allocate(): void {
    const slots = this.maxRanges + 1;
    this.starts = new Float64Array(slots);
    this.ends = new Float64Array(slots);
    this.stamps = new Float64Array(slots);
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  /** Start of range `i` (0 ≤ i < count), relative to the base. */
  start(i: number): number {
    return this.starts[i]! - this.base;
  }
  /** End (exclusive) of range `i`, relative to the base. */
  end(i: number): number {
    return this.ends[i]! - this.base;
  }
  /** When range `i` last grew: larger is more recent. */
  stamp(i: number): number {
    return this.stamps[i]!;
  }
  /** End of the highest range relative to the base (0 when empty): how far data has been received. */
  get highestEnd(): number {
    return this.count === 0 ? 0 : this.ends[this.count - 1]! - this.base;
  }

  /**
   * Record that bytes `[offset, offset + len)` arrived. A part before the base (negative offset) is
   * ignored and `len ≤ 0` changes nothing. Returns false, leaving everything unchanged, when the
   * range would add a range beyond `maxRanges` without starting at offset 0.
   */
  add(offset: number, len: number): boolean {
    if (this.starts.length === 0) this.allocate();
    this.addedBytes = 0;
    let s = offset;
    const e0 = offset + len;
    if (s < 0) s = 0;
    if (!(e0 > s)) return true;
    const base = this.base;
    s += base;
    const e = e0 + base;
    const starts = this.starts;
    const ends = this.ends;
    const count = this.count;
    // j: last range starting at or before e; i..j: the ranges touching [s, e).
    let j = count - 1;
    while (j >= 0 && starts[j]! > e) j--;
    let i = j;
    while (i >= 0 && ends[i]! >= s) i--;
    i++;
    const merged = j - i + 1;
    if (merged === 0) {
      if (count >= this.maxRanges && s !== base) {
        this.refusals++;
        return false;
      }
      this.move(i + 1, i, count);
      starts[i] = s;
      ends[i] = e;
      this.count = count + 1;
      this.addedBytes = e - s;
    } else {
      let covered = 0;
      for (let k = i; k <= j; k++) {
        const lo = Math.max(starts[k]!, s);
        const hi = Math.min(ends[k]!, e);
        covered += hi - lo; // never negative: range k touches [s, e)
      }
      this.addedBytes = e - s - covered;
      if (starts[i]! > s) starts[i] = s;
      if (ends[j]! > e) ends[i] = ends[j]!;
      else ends[i] = e;
      if (merged > 1) {
        this.move(i + 1, j + 1, count);
        this.count = count - merged + 1;
      }
    }
    this.stamps[i] = ++this.clock;
    this.lastIndex = i;
    return true;
  }

  /**
   * If a range starts at offset 0, remove it, move the base to its end and return its length (the
   * bytes that became contiguous with the stream); otherwise return 0.
   */
  removeFront(): number {
    const count = this.count;
    if (count === 0 || this.starts[0] !== this.base) return 0;
    const end = this.ends[0]!;
    const n = end - this.base;
    this.move(0, 1, count);
    this.count = count - 1;
    this.lastIndex = this.lastIndex > 0 ? this.lastIndex - 1 : -1;
    // Rebase to 0 whenever empty so positions stay small integers.
    this.base = this.count === 0 ? 0 : end;
    return n;
  }

  /**
   * Write into `out` the indices of up to `max` ranges, most recently touched first (the order in
   * which a receiver reports SACK blocks); returns how many were written.
   */
  recentOrder(out: Uint8Array | Int32Array, max: number): number {
    const stamps = this.stamps;
    let n = 0;
    if (max > out.length) max = out.length;
    for (let i = 0; i < this.count; i++) {
      const st = stamps[i]!;
      // Insertion into the top-`max` list, kept sorted by descending stamp.
      let k = n < max ? n++ : max;
      while (k > 0 && stamps[out[k - 1]!]! < st) {
        if (k < max) out[k] = out[k - 1]!;
        k--;
      }
      if (k < max) out[k] = i;
    }
    return n;
  }

  /**
   * Move ranges `[from, to)` to start at index `dst`. Element loops, not `copyWithin`: with at most
   * `maxRanges + 1` entries the builtin's call overhead costs more than the copy (see the bench).
   */
  private move(dst: number, from: number, to: number): void {
    const starts = this.starts;
    const ends = this.ends;
    const stamps = this.stamps;
    if (dst < from) {
      for (let k = from; k < to; k++, dst++) {
        starts[dst] = starts[k]!;
        ends[dst] = ends[k]!;
        stamps[dst] = stamps[k]!;
      }
    } else {
      for (let k = to - 1, d = dst + (to - from) - 1; k >= from; k--, d--) {
        starts[d] = starts[k]!;
        ends[d] = ends[k]!;
        stamps[d] = stamps[k]!;
      }
    }
  }

  /** Forget every range and rebase to 0 (counters are kept). */
  clear(): void {
    this.count = 0;
    this.lastIndex = -1;
    this.addedBytes = 0;
    this.base = 0;
  }
}
