/**
 * TCP sequence-number arithmetic modulo 2^32 (RFC 9293 section 3.4): sequence numbers are uint32
 * numbers and compare by the sign of their 32-bit difference, so `a` is "before" `b` when `b` lies
 * less than 2^31 ahead of it. Comparisons are only meaningful between numbers less than 2^31 apart,
 * which TCP's window limits guarantee.
 */

/** a < b */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a <= b */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** a > b */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** a >= b */
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** a + n modulo 2^32, as a uint32 (`n` may be negative). */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** The signed distance a - b, in [-2^31, 2^31): e.g. `seqSub(snd.nxt, snd.una)` is the bytes in flight. */
export function seqSub(a: number, b: number): number {
  return (a - b) | 0;
}

/** The later of a and b. */
export function seqMax(a: number, b: number): number {
  return ((a - b) | 0) >= 0 ? a : b;
}

/** The earlier of a and b. */
export function seqMin(a: number, b: number): number {
  return ((a - b) | 0) <= 0 ? a : b;
}

/**
 * lo <= x < hi, walking forward from `lo` (half open; empty when lo == hi). Correct across the wrap
 * for any range shorter than 2^32. For RFC 9293's `SND.UNA < SEG.ACK =< SND.NXT` write
 * `seqInRange(ack, una + 1, nxt + 1)`; for `RCV.NXT =< SEG.SEQ < RCV.NXT + RCV.WND` write
 * `seqInRange(seq, rcvNxt, rcvNxt + rcvWnd)`.
 */
export function seqInRange(x: number, lo: number, hi: number): boolean {
  return (x - lo) >>> 0 < (hi - lo) >>> 0;
}
