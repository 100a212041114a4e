/**
 * CUBIC congestion control (RFC 9438) with HyStart, in the form Linux's `cubic` module gives it:
 *
 * - Window growth after a loss follows W(t) = C·(t − K)³ + W_max with C = 0.4 (`bic_scale` 41/1024
 *   × 10) and K = ∛(W_max·(1 − β)/C), t counted from the epoch start plus the minimum RTT. Time is
 *   kept in units of 1/1024 s, as the module does, so cwnd grows by cnt: one segment per `cnt`
 *   segments ACKed, where cnt = cwnd / (target − cwnd).
 * - β = 717/1024 ≈ 0.7 (`beta`); fast convergence (`fast_convergence`) lowers W_max to
 *   cwnd·(1 + β)/2 when a loss comes before the previous W_max was reached again.
 * - TCP-friendliness (`tcp_friendliness`): a Reno-equivalent window W_est grows by one segment per
 *   cwnd·8/(3·(1 − β)/(1 + β)) segments ACKed, and CUBIC never grows slower than it.
 * - The epoch restarts after each loss; idle time (a transmission with nothing in flight) moves the
 *   epoch start forward so the curve does not jump after a pause.
 * - HyStart (`hystart`, `hystart_detect`: 1 ACK train, 2 delay, 3 both) ends slow start early, from
 *   `hystart_low_window` segments on: when ACKs of one round keep arriving closely spaced
 *   (≤ `hystart_ack_delta_us`) for longer than half the minimum RTT, or when the least of the first
 *   8 RTT samples of a round exceeds the minimum RTT by an eighth of it (clamped to 4–16 ms).
 *   ssthresh becomes the current cwnd.
 * - An RTO (state Loss) forgets everything: W_max, the epoch, the minimum RTT.
 *
 * The module parameters are per stack (`net.wirestack.cubic_*` sysctls, see `CubicParams`).
 */
import { seqGt } from '../../util/seq.js';
import { congAvoidAi, slowStart } from './reno.js';
import { CA_STATE_LOSS, type CcSock, type CongestionControl, CwndEvent } from './types.js';

/** The module parameters (Linux `/sys/module/tcp_cubic/parameters/*`), read at `init`. */
export interface CubicParams {
  fastConvergence: number;
  /** β × 1024. */
  beta: number;
  /** ssthresh at start when HyStart is off (0: infinite). */
  initialSsthresh: number;
  /** C × 1024 / 10. */
  bicScale: number;
  tcpFriendliness: number;
  hystart: number;
  /** 1: ACK train, 2: delay, 3: both. */
  hystartDetect: number;
  hystartLowWindow: number;
  hystartAckDeltaUs: number;
}

export const CUBIC_DEFAULTS: Readonly<CubicParams> = {
  fastConvergence: 1,
  beta: 717,
  initialSsthresh: 0,
  bicScale: 41,
  tcpFriendliness: 1,
  hystart: 1,
  hystartDetect: 3,
  hystartLowWindow: 16,
  hystartAckDeltaUs: 2000,
};

export const HYSTART_ACK_TRAIN = 1;
export const HYSTART_DELAY = 2;
const HYSTART_MIN_SAMPLES = 8;
const HYSTART_DELAY_MIN_US = 4000;
const HYSTART_DELAY_MAX_US = 16000;
const BETA_SCALE = 1024;
/** Time unit of the cubic function: 2^-10 s. */
const BICTCP_HZ = 10;
/** The clock the epoch runs on (Linux jiffies at HZ = 1000). */
const HZ = 1000;
const US_PER_JIFFY = 1_000_000 / HZ;
/** 2^(10 + 3·BICTCP_HZ). */
const CUBE_SHIFT_DIV = 2 ** (10 + 3 * BICTCP_HZ);
/** GSO size the ACK-train allowance assumes (Linux sk_gso_max_size). */
const GSO_MAX_SIZE = 65536;

export class Cubic implements CongestionControl {
  readonly name = 'cubic';

  // ---- derived parameters ----
  private readonly cubeRttScale: number;
  /** 8·(1 + β)/(3·(1 − β)) ≈ 15: W_est grows by one per cwnd·betaScale/8 ACKs (α = 3(1 − β)/(1 + β)). */
  private readonly betaScale: number;
  /** 2^40 / (bic_scale·10): K³ (in 2^-30 s³) per segment of W_max − cwnd. */
  private readonly cubeFactor: number;

  // ---- per-connection state (Linux struct bictcp) ----
  /** Segments to ACK per cwnd increment. */
  cnt = 0;
  /** W_max: cwnd before the last reduction. */
  lastMaxCwnd = 0;
  lastCwnd = 0;
  /** Jiffies of the last cnt computation. */
  lastTime = 0;
  /** The plateau W(t) centres on. */
  originPoint = 0;
  /** K in 2^-10 s. */
  k = 0;
  /** Minimum RTT seen (µs, 0: none). */
  delayMin = 0;
  /** Jiffies when the current epoch began, -1: no epoch. */
  epochStart = -1;
  /** Segments ACKed in this epoch not yet counted towards W_est. */
  ackCnt = 0;
  /** W_est: the Reno-equivalent window. */
  tcpCwnd = 0;
  // HyStart
  sampleCnt = 0;
  found = false;
  /** µs: start of the current round, and the latest ACK of its train. */
  roundStart = 0;
  lastAck = 0;
  /** SND.NXT when the round began: the round ends when SND.UNA passes it. */
  endSeq = 0;
  /** Least RTT sample of this round (µs). */
  currRtt = 0;

  constructor(
    private readonly sk: CcSock,
    private readonly params: Readonly<CubicParams> = CUBIC_DEFAULTS,
  ) {
    this.cubeRttScale = params.bicScale * 10;
    this.betaScale = Math.floor(Math.floor((8 * (BETA_SCALE + params.beta)) / 3) / (BETA_SCALE - params.beta));
    this.cubeFactor = Math.floor(CUBE_SHIFT_DIV / (params.bicScale * 10));
  }

  init(): void {
    const p = this.params;
    this.reset();
    if (p.hystart) this.hystartReset();
    else if (p.initialSsthresh) this.sk.ssthresh = p.initialSsthresh;
  }

  private reset(): void {
    this.cnt = 0;
    this.lastMaxCwnd = 0;
    this.lastCwnd = 0;
    this.lastTime = 0;
    this.originPoint = 0;
    this.k = 0;
    this.delayMin = 0;
    this.epochStart = -1;
    this.ackCnt = 0;
    this.tcpCwnd = 0;
    this.found = false;
  }

  private hystartReset(): void {
    const now = this.sk.now;
    this.roundStart = now;
    this.lastAck = now;
    this.endSeq = this.sk.snd.nxt;
    this.currRtt = 0x7fffffff;
    this.sampleCnt = 0;
  }

  private jiffies(): number {
    return Math.floor(this.sk.now / US_PER_JIFFY);
  }

  ssthresh(): number {
    const p = this.params;
    const cwnd = this.sk.cwnd;
    this.epochStart = -1;
    if (cwnd < this.lastMaxCwnd && p.fastConvergence) {
      this.lastMaxCwnd = Math.floor((cwnd * (BETA_SCALE + p.beta)) / (2 * BETA_SCALE));
    } else {
      this.lastMaxCwnd = cwnd;
    }
    return Math.max(Math.floor((cwnd * p.beta) / BETA_SCALE), 2);
  }

  congAvoid(acked: number): void {
    const sk = this.sk;
    if (sk.cwnd < sk.ssthresh) {
      acked = slowStart(sk, acked);
      if (acked <= 0) return;
    }
    this.update(sk.cwnd, acked);
    congAvoidAi(sk, this.cnt, acked);
  }

  /** Compute cnt for the current cwnd (Linux bictcp_update). */
  update(cwnd: number, acked: number): void {
    this.ackCnt += acked;
    const now = this.jiffies();
    if (this.lastCwnd === cwnd && now - this.lastTime <= HZ / 32) return;
    if (!(this.epochStart >= 0 && now === this.lastTime)) {
      this.lastCwnd = cwnd;
      this.lastTime = now;
      if (this.epochStart < 0) {
        this.epochStart = now;
        this.ackCnt = acked;
        this.tcpCwnd = cwnd;
        if (this.lastMaxCwnd <= cwnd) {
          this.k = 0;
          this.originPoint = cwnd;
        } else {
          this.k = Math.floor(Math.cbrt(this.cubeFactor * (this.lastMaxCwnd - cwnd)));
          this.originPoint = this.lastMaxCwnd;
        }
      }
      // t: time since the epoch began plus the minimum RTT, in 2^-10 s.
      const tJ = now - this.epochStart + Math.ceil(this.delayMin / US_PER_JIFFY);
      const t = Math.floor((tJ * 2 ** BICTCP_HZ) / HZ);
      const offs = t < this.k ? this.k - t : t - this.k;
      // C·(t − K)³ in segments: cube_rtt_scale·offs³ / 2^40.
      const delta = Math.floor((this.cubeRttScale * offs * offs * offs) / CUBE_SHIFT_DIV);
      const target = t < this.k ? this.originPoint - delta : this.originPoint + delta;
      this.cnt = target > cwnd ? Math.floor(cwnd / (target - cwnd)) : 100 * cwnd;
      // No loss seen yet: at most 5% growth per RTT.
      if (this.lastMaxCwnd === 0 && this.cnt > 20) this.cnt = 20;
    }
    if (this.params.tcpFriendliness) {
      const per = Math.floor((cwnd * this.betaScale) / 8);
      if (per > 0 && this.ackCnt > per) {
        const n = Math.floor((this.ackCnt - 1) / per);
        this.ackCnt -= n * per;
        this.tcpCwnd += n;
      }
      if (this.tcpCwnd > cwnd) {
        const maxCnt = Math.floor(cwnd / (this.tcpCwnd - cwnd));
        if (this.cnt > maxCnt) this.cnt = maxCnt;
      }
    }
    if (this.cnt < 2) this.cnt = 2;
  }

  pktsAcked(_acked: number, rttUs: number): void {
    if (rttUs < 0) return;
    // Discard delay samples right after a loss (the queue is still draining).
    if (this.epochStart >= 0 && this.jiffies() - this.epochStart < HZ) return;
    const delay = rttUs === 0 ? 1 : rttUs;
    if (this.delayMin === 0 || this.delayMin > delay) this.delayMin = delay;
    const p = this.params;
    const sk = this.sk;
    if (!this.found && sk.cwnd < sk.ssthresh && p.hystart && sk.cwnd >= p.hystartLowWindow) this.hystartUpdate(delay);
  }

  /** The ACK-train allowance for the sender's burstiness (Linux hystart_ack_delay), µs. */
  private ackDelay(): number {
    const sk = this.sk;
    if (sk.rtt.srttUs <= 0) return 0;
    // The pacing rate the stack would use in slow start: 2 × cwnd × MSS per SRTT.
    const rate = (2 * sk.cwnd * sk.sndMss * 1_000_000) / sk.rtt.srttUs;
    if (rate <= 0) return 0;
    return Math.min(1000, Math.floor((GSO_MAX_SIZE * 4 * 1_000_000) / rate));
  }

  private hystartUpdate(delay: number): void {
    const sk = this.sk;
    const p = this.params;
    if (seqGt(sk.snd.una, this.endSeq)) this.hystartReset();
    if (p.hystartDetect & HYSTART_ACK_TRAIN) {
      const now = sk.now;
      if (now - this.lastAck <= p.hystartAckDeltaUs) {
        this.lastAck = now;
        // Without pacing, the train counts once it spans half the minimum RTT.
        const threshold = (this.delayMin + this.ackDelay()) >> 1;
        if (now - this.roundStart > threshold) {
          this.found = true;
          sk.mib.TcpExtTCPHystartTrainDetect++;
          sk.mib.TcpExtTCPHystartTrainCwnd += sk.cwnd;
          sk.ssthresh = sk.cwnd;
        }
      }
    }
    if (p.hystartDetect & HYSTART_DELAY) {
      if (this.currRtt > delay) this.currRtt = delay;
      if (this.sampleCnt < HYSTART_MIN_SAMPLES) {
        this.sampleCnt++;
      } else {
        const thresh = Math.min(Math.max(this.delayMin >> 3, HYSTART_DELAY_MIN_US), HYSTART_DELAY_MAX_US);
        if (this.currRtt > this.delayMin + thresh) {
          this.found = true;
          sk.mib.TcpExtTCPHystartDelayDetect++;
          sk.mib.TcpExtTCPHystartDelayCwnd += sk.cwnd;
          sk.ssthresh = sk.cwnd;
        }
      }
    }
  }

  setState(caState: number): void {
    if (caState === CA_STATE_LOSS) {
      this.reset();
      this.hystartReset();
    }
  }

  cwndEvent(ev: CwndEvent): void {
    if (ev !== CwndEvent.TX_START) return;
    // Idle: move the epoch forward by the time nothing was sent, so W(t) resumes where it was.
    const now = this.jiffies();
    const delta = now - Math.floor(this.sk.lastSendAt / US_PER_JIFFY);
    if (this.epochStart >= 0 && delta > 0) {
      this.epochStart += delta;
      if (this.epochStart > now) this.epochStart = now;
    }
  }

  undoCwnd(): number {
    return Math.max(this.sk.cwnd, this.sk.priorCwnd);
  }
}
