/**
 * Round-trip time estimation and the retransmission timeout (RFC 6298), in the `linux` profile's
 * form.
 *
 * RFC 6298 §2: SRTT and RTTVAR with gains 1/8 and 1/4, RTO = SRTT + max(G, 4·RTTVAR), clamped to
 * [min, max]. Linux keeps the same smoothing but treats the variance term differently, and scripts
 * written against Linux observe the difference in retransmission times:
 *
 * - the mean deviation `mdev` is smoothed with gain 1/4, except that a sample *below* the mean
 *   (RTT falling) only contributes 1/8 of its excess deviation, so a falling RTT does not inflate
 *   the RTO;
 * - the RTO uses `rttvar`, which is never below the minimum RTO (`tcp_rto_min_us`, 200 ms): it
 *   follows the largest mdev seen during one flight and decays a quarter of the way towards it once
 *   per round trip (when SND.UNA passes the sequence number recorded at the start of the flight);
 * - RTO = SRTT + rttvar, so a steady 10 ms path gets 10 + 200 = 210 ms, not max(200, 10 + 4·5).
 *
 * All times are integer microseconds. The scaled state (srtt·8, mdev·4) keeps integer arithmetic
 * exact, as the smoothing is defined on it.
 */
import { seqGt } from '../util/seq.js';

export const INITIAL_RTO_US = 1_000_000; // RFC 6298 §2.1
export const FALLBACK_RTO_US = 3_000_000; // RFC 6298 §5.7: after a lost SYN, when no sample exists

export class RttEstimator {
  /** Smoothed RTT × 8 (0 = no sample yet). */
  srtt8 = 0;
  /** Mean deviation × 4. */
  mdev4 = 0;
  /** Largest mdev × 4 seen in the current flight. */
  mdevMax4 = 0;
  /** The variance term the RTO uses (µs, ≥ minimum RTO). */
  rttvarUs = 0;
  /** SND.NXT when the current flight's variance tracking started. */
  rttSeq = 0;
  /** Current RTO before backoff (µs). */
  rtoUs = INITIAL_RTO_US;
  /** Lowest RTT sample seen (µs, 0 before the first); Linux windows it over tcp_min_rtt_wlen. */
  minRttUs = 0;

  constructor(
    public rtoMinUs = 200_000,
    public rtoMaxUs = 120_000_000,
  ) {}

  get hasSample(): boolean {
    return this.srtt8 !== 0;
  }

  /** Smoothed RTT in µs (0 before the first sample). */
  get srttUs(): number {
    return this.srtt8 >>> 3;
  }

  /** RTTVAR as RFC 6298 and `tcp_info.tcpi_rttvar` report it (µs): mdev. */
  get mdevUs(): number {
    return this.mdev4 >>> 2;
  }

  /**
   * Feed one RTT sample (µs, > 0). `sndUna`/`sndNxt` are the sender's state after the ACK that gave
   * the sample; they pace the once-per-flight decay of `rttvar`.
   */
  sample(rttUs: number, sndUna: number, sndNxt: number): void {
    let m = Math.max(1, Math.floor(rttUs));
    if (this.minRttUs === 0 || m < this.minRttUs) this.minRttUs = m;
    if (this.srtt8 === 0) {
      // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2.
      this.srtt8 = m * 8;
      this.mdev4 = m * 2;
      this.rttvarUs = Math.max(this.mdev4, this.rtoMinUs);
      this.mdevMax4 = this.rttvarUs;
      this.rttSeq = sndNxt;
    } else {
      // RFC 6298 §2.3, in scaled integers: SRTT += (R - SRTT)/8.
      m -= this.srtt8 >> 3;
      this.srtt8 += m;
      if (m < 0) {
        m = -m;
        m -= this.mdev4 >> 2;
        // RTT below the mean: only 1/8 of the excess deviation counts (Linux).
        if (m > 0) m >>= 3;
      } else {
        m -= this.mdev4 >> 2;
      }
      this.mdev4 += m; // mdev += (|err| - mdev)/4
      if (this.mdev4 > this.mdevMax4) {
        this.mdevMax4 = this.mdev4;
        if (this.mdevMax4 > this.rttvarUs) this.rttvarUs = this.mdevMax4;
      }
      if (seqGt(sndUna, this.rttSeq)) {
        // Once per flight: let rttvar decay towards the flight's largest mdev.
        if (this.mdevMax4 < this.rttvarUs) this.rttvarUs -= (this.rttvarUs - this.mdevMax4) >> 2;
        this.rttSeq = sndNxt;
        this.mdevMax4 = this.rtoMinUs;
      }
    }
    if (this.srtt8 < 1) this.srtt8 = 1;
    this.rtoUs = Math.min((this.srtt8 >> 3) + this.rttvarUs, this.rtoMaxUs);
  }

  /** The RTO after `backoff` doublings (RFC 6298 §5.5), capped at the maximum. */
  backedOffRtoUs(backoff: number): number {
    const r = this.rtoUs * 2 ** Math.min(backoff, 31);
    return Math.min(r, this.rtoMaxUs);
  }

  /** Forget samples (e.g. RFC 6298 §5.7 after SYN loss keeps RTO at 3 s until data flows). */
  reset(rtoUs = INITIAL_RTO_US): void {
    this.srtt8 = 0;
    this.mdev4 = 0;
    this.mdevMax4 = 0;
    this.rttvarUs = 0;
    this.rtoUs = rtoUs;
  }
}
