/**
 * The retransmission scoreboard: one record per segment sent and not yet cumulatively acknowledged,
 * in sequence order, with its SACK / lost / retransmitted state and the time it last went out
 * (RFC 6675 §3 "scoreboard", RFC 8985 per-segment transmit times). Counters follow Linux's names
 * in segments: `packetsOut`, `sackedOut`, `lostOut`, `retransOut`, so that
 * `inFlight = packetsOut − sackedOut − lostOut + retransOut` (RFC 6675 "pipe" as Linux counts it).
 *
 * Records live in typed-array rings that grow by doubling (never per packet); the bytes are in the
 * send queue, a record only names its range.
 */
import type { Instant } from '../time/time.js';
import { seqGe, seqGt, seqLe, seqLt } from '../util/seq.js';

/** Record flags. */
export const Seg = {
  /** Selectively acknowledged (RFC 2018). */
  SACKED: 1,
  /** Deemed lost, to be retransmitted. */
  LOST: 2,
  /** Retransmitted and not yet acknowledged or deemed lost again. */
  RETRANS: 4,
  /** Retransmitted at least once (Karn: no RTT sample). */
  EVER_RETRANS: 8,
  /** Sent with PSH (kept on retransmission, as Linux keeps it on the skb). */
  PSH: 16,
  /** Carries our FIN (its sequence space ends one past the data). */
  FIN: 32,
} as const;

const INITIAL_CAPACITY = 16;
const NO_U32 = new Uint32Array(0);
const NO_U8 = new Uint8Array(0);
const NO_F64 = new Float64Array(0);

export class Scoreboard {
  // Allocated by the first `push` (an idle connection has nothing in flight).
  private starts = NO_U32;
  private ends = NO_U32;
  private flagsArr = NO_U8;
  private sent = NO_F64;
  private head = 0;
  private n = 0;

  sackedOut = 0;
  lostOut = 0;
  retransOut = 0;

  // ---- what the last ackTo / sackRange delivered (for RTT, RACK and recovery) ----
  /** Records fully acknowledged by the last `ackTo` (previously SACKed ones included). */
  ackedSegs = 0;
  /** Of those, how many had been SACKed before. */
  ackedWereSacked = 0;
  /** Records newly SACKed since `beginAck`. */
  newlySacked = 0;
  /** Delivered (acked or SACKed) since `beginAck`: the latest-sent record's send time, end and flags. */
  deliveredSentAt = -1;
  deliveredEnd = 0;
  deliveredFlags = 0;
  /** Send time of the oldest never-retransmitted record cumulatively acked since `beginAck` (RTT). */
  ackedFirstSentAt = -1;
  /** Any record delivered since `beginAck` had been retransmitted. */
  deliveredRetrans = false;
  /** Lowest start of a never-retransmitted record delivered since `beginAck` (valid with `hasLow`). */
  deliveredLow = 0;
  hasLow = false;

  get packetsOut(): number {
    return this.n;
  }

  get capacity(): number {
    return this.starts.length;
  }

  /** Segments believed in the network (Linux tcp_packets_in_flight). */
  inFlight(): number {
    return this.n - this.sackedOut - this.lostOut + this.retransOut;
  }

  clear(): void {
    this.head = 0;
    this.n = 0;
    this.sackedOut = 0;
    this.lostOut = 0;
    this.retransOut = 0;
  }

  private slot(i: number): number {
    return (this.head + i) & (this.starts.length - 1);
  }

  /** Give the arrays back while nothing is in flight (they come back with the next segment). */
  release(): void {
    if (this.n !== 0) return;
    this.starts = NO_U32;
    this.ends = NO_U32;
    this.flagsArr = NO_U8;
    this.sent = NO_F64;
    this.head = 0;
  }

  start(i: number): number {
    return this.starts[this.slot(i)]!;
  }

  end(i: number): number {
    return this.ends[this.slot(i)]!;
  }

  flags(i: number): number {
    return this.flagsArr[this.slot(i)]!;
  }

  sentAt(i: number): number {
    return this.sent[this.slot(i)]!;
  }

  /** End of the last record (the highest sequence sent), or `fallback` when empty. */
  lastEnd(fallback: number): number {
    return this.n === 0 ? fallback : this.end(this.n - 1);
  }

  /** Append a newly sent segment [start, end). */
  push(start: number, end: number, flags: number, now: Instant): void {
    if (this.n === this.starts.length) this.grow();
    const k = this.slot(this.n);
    this.starts[k] = start >>> 0;
    this.ends[k] = end >>> 0;
    this.flagsArr[k] = flags;
    this.sent[k] = now;
    this.n++;
  }

  private grow(): void {
    const cap = this.starts.length === 0 ? INITIAL_CAPACITY : this.starts.length * 2;
    const s = new Uint32Array(cap);
    const e = new Uint32Array(cap);
    const f = new Uint8Array(cap);
    const t = new Float64Array(cap);
    for (let i = 0; i < this.n; i++) {
      const k = this.slot(i);
      s[i] = this.starts[k]!;
      e[i] = this.ends[k]!;
      f[i] = this.flagsArr[k]!;
      t[i] = this.sent[k]!;
    }
    this.starts = s;
    this.ends = e;
    this.flagsArr = f;
    this.sent = t;
    this.head = 0;
  }

  /** Split record `i` at sequence `at` (inside it) into two records with the same state. */
  split(i: number, at: number): void {
    if (this.n === this.starts.length) this.grow();
    for (let j = this.n; j > i + 1; j--) {
      const d = this.slot(j);
      const src = this.slot(j - 1);
      this.starts[d] = this.starts[src]!;
      this.ends[d] = this.ends[src]!;
      this.flagsArr[d] = this.flagsArr[src]!;
      this.sent[d] = this.sent[src]!;
    }
    const k = this.slot(i);
    const k2 = this.slot(i + 1);
    const f = this.flagsArr[k]!;
    this.starts[k2] = at >>> 0;
    this.ends[k2] = this.ends[k]!;
    this.flagsArr[k2] = f;
    this.sent[k2] = this.sent[k]!;
    this.ends[k] = at >>> 0;
    // PSH and FIN stay with the second part (as Linux tcp_fragment keeps them).
    this.flagsArr[k] = f & ~(Seg.PSH | Seg.FIN);
    this.n++;
    if (f & Seg.SACKED) this.sackedOut++;
    if (f & Seg.LOST) this.lostOut++;
    if (f & Seg.RETRANS) this.retransOut++;
  }

  /** Record `i` went out again now. */
  markRetransmitted(i: number, now: Instant): void {
    const k = this.slot(i);
    let f = this.flagsArr[k]!;
    if (!(f & Seg.RETRANS)) this.retransOut++;
    f |= Seg.RETRANS | Seg.EVER_RETRANS;
    this.flagsArr[k] = f;
    this.sent[k] = now;
  }

  /** Record `i` is deemed lost (its retransmission, if any, too). */
  markLost(i: number): boolean {
    const k = this.slot(i);
    const f = this.flagsArr[k]!;
    if (f & Seg.SACKED) return false;
    if (f & Seg.LOST && !(f & Seg.RETRANS)) return false;
    if (f & Seg.RETRANS) this.retransOut--;
    if (!(f & Seg.LOST)) this.lostOut++;
    this.flagsArr[k] = (f | Seg.LOST) & ~Seg.RETRANS;
    return true;
  }

  /** Everything not SACKed is lost and no retransmission is outstanding (RTO, RFC 6298 §5.4). */
  markAllLost(): void {
    for (let i = 0; i < this.n; i++) this.markLost(i);
  }

  /** Reset the per-ACK delivery summary. */
  beginAck(): void {
    this.ackedSegs = 0;
    this.ackedWereSacked = 0;
    this.newlySacked = 0;
    this.deliveredSentAt = -1;
    this.deliveredEnd = 0;
    this.deliveredFlags = 0;
    this.ackedFirstSentAt = -1;
    this.deliveredRetrans = false;
    this.hasLow = false;
  }

  private delivered(k: number): void {
    const f = this.flagsArr[k]!;
    const at = this.sent[k]!;
    if (f & Seg.EVER_RETRANS) this.deliveredRetrans = true;
    else if (!this.hasLow || seqLt(this.starts[k]!, this.deliveredLow)) {
      this.deliveredLow = this.starts[k]!;
      this.hasLow = true;
    }
    if (at > this.deliveredSentAt || (at === this.deliveredSentAt && seqGt(this.ends[k]!, this.deliveredEnd))) {
      this.deliveredSentAt = at;
      this.deliveredEnd = this.ends[k]!;
      this.deliveredFlags = f;
    }
  }

  /** Cumulative ACK up to `una`: drop whole records, trim a partly acknowledged head. */
  ackTo(una: number): void {
    while (this.n > 0) {
      const k = this.head;
      const end = this.ends[k]!;
      if (seqLe(end, una)) {
        const f = this.flagsArr[k]!;
        if (!(f & Seg.SACKED)) this.delivered(k);
        else this.ackedWereSacked++;
        if (!(f & Seg.EVER_RETRANS) && this.ackedFirstSentAt < 0) this.ackedFirstSentAt = this.sent[k]!;
        if (f & Seg.SACKED) this.sackedOut--;
        if (f & Seg.LOST) this.lostOut--;
        if (f & Seg.RETRANS) this.retransOut--;
        this.ackedSegs++;
        this.head = (this.head + 1) & (this.starts.length - 1);
        this.n--;
        continue;
      }
      if (seqGt(una, this.starts[k]!)) this.starts[k] = una >>> 0;
      break;
    }
    if (this.n === 0) this.head = 0;
  }

  /**
   * A SACK block [start, end): mark the records it covers entirely. Returns whether the block lies
   * wholly below `una` or inside data already SACKed (a D-SACK candidate, RFC 2883 §4).
   */
  sackRange(start: number, end: number, una: number): boolean {
    if (seqLe(end, una)) return true;
    let fresh = false;
    for (let i = 0; i < this.n; i++) {
      const k = this.slot(i);
      const s = this.starts[k]!;
      const e = this.ends[k]!;
      if (seqGe(s, end)) break;
      if (seqLt(s, start) || seqGt(e, end)) continue;
      const f = this.flagsArr[k]!;
      if (f & Seg.SACKED) continue;
      fresh = true;
      this.delivered(k);
      if (f & Seg.LOST) this.lostOut--;
      if (f & Seg.RETRANS) this.retransOut--;
      this.flagsArr[k] = (f | Seg.SACKED) & ~(Seg.LOST | Seg.RETRANS);
      this.sackedOut++;
      this.newlySacked++;
    }
    return !fresh && this.coveredBySacked(start, end);
  }

  private coveredBySacked(start: number, end: number): boolean {
    for (let i = 0; i < this.n; i++) {
      const k = this.slot(i);
      if (!(this.flagsArr[k]! & Seg.SACKED)) continue;
      if (seqLe(this.starts[k]!, start) && seqGe(this.ends[k]!, end)) return true;
    }
    return false;
  }

  /** Index of the first record with `flag` set and `not` clear, from `from`, or -1. */
  findFlag(flag: number, not: number, from = 0): number {
    for (let i = from; i < this.n; i++) {
      const f = this.flags(i);
      if (f & flag && !(f & not)) return i;
    }
    return -1;
  }

  /** Highest end of a SACKed record, or `fallback`. */
  highestSacked(fallback: number): number {
    for (let i = this.n - 1; i >= 0; i--) if (this.flags(i) & Seg.SACKED) return this.end(i);
    return fallback;
  }
}
