/**
 * Loss detection and recovery for one TCB, the way Linux's `linux` profile does it:
 *
 * - Congestion-avoidance states (Linux `icsk_ca_state`): Open, Disorder (SACKs or dupacks seen),
 *   CWR, Recovery (fast recovery), Loss (after an RTO).
 * - Loss detection: RACK (RFC 8985 §6.2, `tcp_recovery` bit 0) on SACK connections — a segment is
 *   lost once a segment sent after it was delivered and a reordering window has passed; the
 *   reordering window is zero until reordering is seen while in recovery or with `tcp_reordering`
 *   segments SACKed, else min RTT / 4 — with a reorder timer for the rest. Without SACK, NewReno
 *   (RFC 6582): `tcp_reordering` duplicate ACKs mark the head lost, each partial ACK in recovery the
 *   next one.
 * - Fast recovery with Proportional Rate Reduction (RFC 6937): on entry ssthresh comes from the
 *   congestion control, and on each ACK cwnd = in-flight + what PRR allows; on exit cwnd = ssthresh.
 * - Tail loss probe (RFC 8985 §7, `tcp_early_retrans` 3 or 4): with SACK, in Open or CWR, a probe
 *   timer of 2·SRTT (+ the minimum RTO with one segment out, else + 2 ms) sends one new segment, or
 *   the last one again; an ACK above the probe that was no D-SACK means the probe repaired a loss,
 *   which costs a cwnd reduction (Linux tcp_process_tlp_ack).
 *
 * Not yet: undo (D-SACK / timestamps), F-RTO (RFC 5682). A spurious retransmission therefore keeps
 * its cwnd reduction.
 */
import type { Instant } from '../time/time.js';
import { seqGe, seqGt, seqLt, seqSub } from '../util/seq.js';
import { Seg } from './scoreboard.js';
import type { TcbCore } from './tcb-core.js';

/** Linux `enum tcp_ca_state`, as TCP_INFO reports it. */
export const CaState = { Open: 0, Disorder: 1, CWR: 2, Recovery: 3, Loss: 4 } as const;
export type CaState = (typeof CaState)[keyof typeof CaState];

/** Linux TCP_TIMEOUT_MIN_US: the TLP slack with more than one segment out. */
const TLP_SLACK_US = 2_000;
/** Flags describing one ACK, as Linux's FLAG_* bits. */
export const AckFlag = {
  /** New data was cumulatively acknowledged. */
  DATA_ACKED: 1,
  /** SND.UNA advanced. */
  UNA_ADVANCED: 2,
  /** New SACK information. */
  DATA_SACKED: 4,
  /** The segment carried data. */
  DATA: 8,
  /** The window changed. */
  WIN_UPDATE: 16,
  /** A D-SACK block was present. */
  DSACK: 32,
} as const;

/** Congestion-control ssthresh on loss (cc/: CUBIC's β = 0.7, Reno's ½). */
export function lossSsthresh(t: TcbCore): number {
  return t.cc.ssthresh();
}

/** Segments in flight (RFC 6675 pipe, Linux tcp_packets_in_flight). */
export function inFlight(t: TcbCore): number {
  return t.sb.inFlight() - t.renoSacked;
}

/** The reordering window (RFC 8985 §6.2 step 4, Linux tcp_rack_reo_wnd), µs. */
function reoWnd(t: TcbCore): number {
  if (!t.rack.reordSeen) {
    if (t.caState === CaState.Recovery || t.caState === CaState.Loss) return 0;
    if (t.sb.sackedOut >= t.reordering) return 0;
  }
  const minRtt = t.rtt.minRttUs > 0 ? t.rtt.minRttUs : t.rtt.srttUs;
  return Math.min(minRtt >> 2, t.rtt.srttUs);
}

/** RFC 8985 §6.2 step 2: the most recently sent delivered segment defines RACK.xmit_ts and RACK.rtt. */
function rackAdvance(t: TcbCore, now: Instant): void {
  const sb = t.sb;
  if (sb.deliveredSentAt < 0) return;
  const rttUs = now - sb.deliveredSentAt;
  // A retransmitted segment's delivery is ambiguous: only believe it when the RTT is plausible.
  if (sb.deliveredFlags & Seg.EVER_RETRANS && t.rtt.minRttUs > 0 && rttUs < t.rtt.minRttUs) return;
  const r = t.rack;
  if (sb.deliveredSentAt > r.xmitAt || (sb.deliveredSentAt === r.xmitAt && seqGt(sb.deliveredEnd, r.endSeq))) {
    r.xmitAt = sb.deliveredSentAt;
    r.endSeq = sb.deliveredEnd;
    r.rttUs = rttUs;
  }
}

/** RFC 8985 §6.2 step 5: mark segments lost; returns the reorder timeout still pending (µs) or 0. */
function rackDetectLoss(t: TcbCore, now: Instant): number {
  const sb = t.sb;
  const r = t.rack;
  if (r.xmitAt < 0) return 0;
  const wnd = reoWnd(t);
  let wait = 0;
  for (let i = 0; i < sb.packetsOut; i++) {
    const f = sb.flags(i);
    if (f & Seg.SACKED) continue;
    if (f & Seg.LOST && !(f & Seg.RETRANS)) continue;
    const at = sb.sentAt(i);
    const before = at < r.xmitAt || (at === r.xmitAt && seqLt(sb.end(i), r.endSeq));
    if (!before) continue;
    const remaining = r.rttUs + wnd - (now - at);
    if (remaining <= 0) sb.markLost(i);
    else if (remaining > wait) wait = remaining;
  }
  return wait;
}

/** RFC 6582 / Linux tcp_newreno_mark_lost: the head is lost. */
function newRenoMarkLost(t: TcbCore, unaAdvanced: boolean): void {
  const st = t.caState;
  if ((st < CaState.Recovery && t.renoSacked >= t.reordering) || (st === CaState.Recovery && unaAdvanced)) {
    if (t.sb.packetsOut > 0 && !(t.sb.flags(0) & Seg.LOST)) t.sb.markLost(0);
  }
}

function identifyLoss(t: TcbCore, flag: number, now: Instant): void {
  if (!t.sackOk) {
    newRenoMarkLost(t, (flag & AckFlag.UNA_ADVANCED) !== 0);
    return;
  }
  if (!t.cfg.rack) {
    sackMarkLost(t);
    return;
  }
  const wait = rackDetectLoss(t, now);
  t.reoAt = wait > 0 ? ((now + wait) as Instant) : undefined;
}

/**
 * Without RACK (`tcp_recovery` = 0): RFC 6675 §4 IsLost — a segment not SACKed with at least
 * `reordering` SACKed segments above it is lost (Linux's dupthresh marking of the head and what
 * follows it).
 */
function sackMarkLost(t: TcbCore): void {
  const sb = t.sb;
  let above = 0;
  for (let i = sb.packetsOut - 1; i >= 0; i--) {
    const f = sb.flags(i);
    if (f & Seg.SACKED) above++;
    else if (above >= t.reordering && !(f & Seg.LOST)) sb.markLost(i);
  }
}

/** Linux tcp_init_cwnd_reduction. */
function initCwndReduction(t: TcbCore): void {
  t.highSeq = t.snd.max;
  t.tlpHighSeq = -1;
  t.cwndCnt = 0;
  t.priorCwnd = t.cwnd;
  t.prrDelivered = 0;
  t.prrOut = 0;
  t.ssthresh = lossSsthresh(t);
}

/** Linux tcp_end_cwnd_reduction. */
function endCwndReduction(t: TcbCore): void {
  if (t.ssthresh < INFINITE_SSTHRESH && (t.caState === CaState.CWR || t.caState === CaState.Recovery)) {
    t.cwnd = t.ssthresh;
  }
}

export const INFINITE_SSTHRESH = 0x7fffffff;

function enterRecovery(t: TcbCore): void {
  if (t.sackOk) t.mib.TcpExtTCPSackRecovery++;
  else t.mib.TcpExtTCPRenoRecovery++;
  initCwndReduction(t);
  t.caState = CaState.Recovery;
  t.cc.setState(CaState.Recovery);
}

/** Linux tcp_try_keep_open: Disorder while anything is SACKed or retransmitted, else Open. */
function tryKeepOpen(t: TcbCore): void {
  const st = t.sb.sackedOut + t.renoSacked + t.sb.lostOut > 0 || t.sb.retransOut > 0 ? CaState.Disorder : CaState.Open;
  if (t.caState !== st) {
    t.caState = st;
    t.cc.setState(st);
    t.highSeq = t.snd.max;
  }
}

/**
 * Per-ACK work after the scoreboard saw it (Linux tcp_fastretrans_alert + tcp_cong_control):
 * state changes, loss marking, PRR or cwnd growth. `delivered`: segments newly acknowledged or
 * SACKed; `dupack`: a duplicate ACK in RFC 5681's sense.
 */
export function onAck(t: TcbCore, flag: number, delivered: number, dupack: boolean, now: Instant): void {
  const sb = t.sb;
  const priorLost = sb.lostOut;
  processTlpAck(t, flag, dupack);
  if (!t.sackOk && flag & AckFlag.UNA_ADVANCED) {
    // Linux tcp_remove_reno_sacks: a cumulative ACK covers the segments the dupacks stood for.
    const acked = sb.ackedSegs;
    t.renoSacked = acked - 1 >= t.renoSacked ? 0 : t.renoSacked - (acked - 1);
  }
  if (sb.packetsOut === 0) t.renoSacked = 0;
  const dubious = dupack || flag & AckFlag.DATA_SACKED || t.caState !== CaState.Open;
  if (dubious) {
    // Leave Recovery / Loss / CWR once everything sent before it was acknowledged.
    if (t.caState !== CaState.Open && t.caState !== CaState.Disorder && seqGe(t.snd.una, t.highSeq)) {
      if (t.caState !== CaState.CWR || t.snd.una !== t.highSeq) {
        endCwndReduction(t);
        t.caState = CaState.Open;
        t.cc.setState(CaState.Open);
        tryKeepOpen(t);
      }
    }
    switch (t.caState) {
      case CaState.Recovery:
        if (!t.sackOk && dupack && !(flag & AckFlag.UNA_ADVANCED)) addRenoSack(t);
        identifyLoss(t, flag, now);
        break;
      case CaState.Loss:
        if (!t.sackOk) {
          if (flag & AckFlag.UNA_ADVANCED) t.renoSacked = 0;
          else if (dupack && seqGt(t.snd.max, t.highSeq)) addRenoSack(t);
        }
        identifyLoss(t, flag, now);
        break;
      default:
        if (!t.sackOk && dupack) addRenoSack(t);
        identifyLoss(t, flag, now);
        if (sb.lostOut > 0 && t.caState !== CaState.CWR) enterRecovery(t);
        else tryKeepOpen(t);
    }
  }
  // Linux tcp_cong_control.
  if (t.caState === CaState.Recovery || t.caState === CaState.CWR) {
    prrReduction(t, delivered, sb.lostOut - priorLost, flag);
  } else if (flag & AckFlag.DATA_ACKED && t.isCwndLimited()) {
    t.growCwnd(delivered);
  }
}

/** Linux tcp_add_reno_sack, limited so that at least one hole remains (tcp_limit_reno_sacked). */
function addRenoSack(t: TcbCore): void {
  t.renoSacked++;
  const holes = Math.min(Math.max(t.sb.lostOut, 1), t.sb.packetsOut);
  if (t.renoSacked + holes > t.sb.packetsOut) {
    t.renoSacked = Math.max(0, t.sb.packetsOut - holes);
    t.rack.reordSeen = true;
  }
}

/** RFC 6937 PRR (Linux tcp_cwnd_reduction). */
function prrReduction(t: TcbCore, delivered: number, newlyLost: number, flag: number): void {
  if (delivered <= 0 || t.priorCwnd <= 0) return;
  const pipe = inFlight(t);
  const delta = t.ssthresh - pipe;
  t.prrDelivered += delivered;
  let sndcnt: number;
  if (delta < 0) {
    sndcnt = Math.floor((t.ssthresh * t.prrDelivered + t.priorCwnd - 1) / t.priorCwnd) - t.prrOut;
  } else {
    sndcnt = Math.max(t.prrDelivered - t.prrOut, delivered);
    if (flag & AckFlag.UNA_ADVANCED && newlyLost <= 0) sndcnt++;
    sndcnt = Math.min(delta, sndcnt);
  }
  // The fast retransmit goes out on entry whatever PRR says.
  sndcnt = Math.max(sndcnt, t.prrOut > 0 ? 0 : 1);
  t.cwnd = pipe + sndcnt;
}

/** Linux tcp_process_tlp_ack. */
function processTlpAck(t: TcbCore, flag: number, dupack: boolean): void {
  if (t.tlpHighSeq < 0 || seqLt(t.snd.una, t.tlpHighSeq)) return;
  if (!t.tlpRetrans) {
    t.tlpHighSeq = -1;
  } else if (flag & AckFlag.DSACK) {
    t.tlpHighSeq = -1; // the original and the probe both arrived: nothing was lost
  } else if (seqGt(t.snd.una, t.tlpHighSeq)) {
    // The probe repaired a loss: reduce cwnd once.
    initCwndReduction(t);
    t.caState = CaState.CWR;
    t.cc.setState(CaState.CWR);
    endCwndReduction(t);
    tryKeepOpen(t);
    t.mib.TcpExtTCPLossProbeRecovery++;
  } else if (dupack) {
    t.tlpHighSeq = -1;
  }
}

/** The reorder timer fired (Linux tcp_rack_reo_timeout). */
export function onReorderTimeout(t: TcbCore, now: Instant): void {
  t.reoAt = undefined;
  const prior = t.sb.lostOut;
  const wait = rackDetectLoss(t, now);
  if (wait > 0) t.reoAt = (now + wait) as Instant;
  const newlyLost = t.sb.lostOut - prior;
  if (newlyLost > 0 && t.caState !== CaState.Recovery) {
    // Linux tcp_rack_reo_timeout: enter recovery and let PRR allow the first retransmission as
    // if one segment had been delivered.
    enterRecovery(t);
    prrReduction(t, 1, newlyLost, 0);
  }
}

/** Update RACK from what this ACK delivered (call after the scoreboard took the ACK). */
export function noteDelivery(t: TcbCore, now: Instant): void {
  rackAdvance(t, now);
}

/**
 * RTO (RFC 6298 §5.4–5.6, Linux tcp_enter_loss): everything not SACKed is lost, cwnd = 1 segment,
 * ssthresh from the congestion control unless this is a repeated timeout of the same episode.
 */
export function enterLoss(t: TcbCore): void {
  const st = t.caState;
  if (st <= CaState.Disorder || !seqGt(t.highSeq, t.snd.una) || (st === CaState.Loss && t.retransmits === 0)) {
    t.ssthresh = lossSsthresh(t);
  }
  t.sb.markAllLost();
  t.renoSacked = 0;
  t.cwnd = inFlight(t) + 1;
  t.cwndCnt = 0;
  t.caState = CaState.Loss;
  t.cc.setState(CaState.Loss);
  t.highSeq = t.snd.max;
  t.tlpHighSeq = -1;
  t.reoAt = undefined;
  // RFC 8985 §6.2 / Linux: after an RTO a reordering that was seen may have been a loss.
  t.rack.reordSeen = false;
}

/**
 * Arm the tail loss probe instead of the RTO when allowed (Linux tcp_schedule_loss_probe).
 * `advancingRto`: the RTO would be re-armed from now (after an ACK) rather than kept.
 */
export function scheduleLossProbe(t: TcbCore, now: Instant, advancingRto: boolean): boolean {
  const er = t.cfg.earlyRetrans;
  if ((er !== 3 && er !== 4) || t.sb.packetsOut === 0 || !t.sackOk) return false;
  if (t.caState !== CaState.Open && t.caState !== CaState.CWR) return false;
  let timeout: number;
  if (t.rtt.hasSample) {
    timeout = 2 * t.rtt.srttUs + (t.sb.packetsOut === 1 ? t.cfg.rtoMinUs : TLP_SLACK_US);
  } else {
    timeout = t.cfg.rtoInitUs;
  }
  const rtoDelta = advancingRto ? t.rto() : t.rtxAt !== undefined ? t.rtxAt - now : t.rto();
  if (rtoDelta > 0) timeout = Math.min(timeout, rtoDelta);
  t.tlpAt = (now + timeout) as Instant;
  t.rtxAt = undefined;
  return true;
}

/**
 * The probe timer fired (RFC 8985 §7.3, Linux tcp_send_loss_probe): send one new segment if the
 * windows allow, else the last segment again; then the RTO takes over.
 */
export function onLossProbe(t: TcbCore, now: Instant): void {
  t.tlpAt = undefined;
  const sb = t.sb;
  if (t.tlpHighSeq < 0 && sb.packetsOut > 0) {
    const unsent = t.unsent();
    const offset = seqSub(t.snd.nxt, t.snd.una);
    let sent = false;
    if (unsent > 0 && offset + Math.min(unsent, t.sndMss) <= t.snd.wnd) {
      sent = t.sendNewSegments(now, 1, false, true) > 0;
      if (sent) t.tlpRetrans = false;
    }
    if (!sent) {
      const last = sb.packetsOut - 1;
      if (!(sb.flags(last) & Seg.SACKED) && t.retransmitRecord(last, now, true)) {
        t.tlpRetrans = true;
        sent = true;
      }
    }
    if (sent) {
      t.tlpHighSeq = t.snd.max;
      t.mib.TcpExtTCPLossProbes++;
    }
  }
  t.rtxAt = (now + t.rto()) as Instant;
}
