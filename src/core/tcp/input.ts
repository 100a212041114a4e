/**
 * RFC 9293 §3.10.7 "SEGMENT ARRIVES", in RFC order, for one TCB. The only place a received segment
 * changes connection state. Deviations and additions (all Linux behaviour):
 *
 * - RFC 5961: an in-window RST that is not exactly at RCV.NXT, and any SYN in a synchronized state,
 *   draw a challenge ACK; ACKs outside [SND.UNA − MAX.SND.WND, SND.NXT] are answered and dropped.
 * - Answers to out-of-window segments that occupy no sequence space (and challenge ACKs) are
 *   rate-limited by `tcp_invalid_ratelimit`.
 * - In SYN-RECEIVED after a simultaneous open, the peer's SYN-ACK is taken as the ACK of our SYN.
 * - A retransmitted SYN in SYN-RECEIVED (passive) is answered with our SYN-ACK again.
 * - The receive window of the acceptability test reaches the largest right edge ever advertised
 *   (RFC 7323 §2.4; `net.wirestack.tcp_rfc7323_mwnd=0`: the edge of the last ACK, as Linux 6.18).
 */
import { ERRNO } from '../socket/linux.js';
import type { Instant } from '../time/time.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt, seqSub } from '../util/seq.js';
import { TcpFlag, type TcpRepr } from '../wire/tcp.js';
import { ccRttUs } from './cc/index.js';
import { AckFlag, noteDelivery, onAck, scheduleLossProbe } from './recovery.js';
import { resetFor, TcpState } from './segment.js';
import type { TcbCore as Tcb } from './tcb-core.js';

const { SYN, ACK, RST, FIN } = TcpFlag;

export function segmentArrives(t: Tcb, seg: TcpRepr, payload: Uint8Array, off: number, now: Instant): void {
  switch (t.state) {
    case TcpState.CLOSED:
      // RFC 9293 §3.10.7.1: no connection, answer with a reset.
      replyReset(t, seg);
      return;
    case TcpState.LISTEN:
      return;
    case TcpState.SYN_SENT:
      synSent(t, seg, payload, off, now);
      return;
    default:
      otherStates(t, seg, payload, off, now);
  }
}

function replyReset(t: Tcb, seg: TcpRepr): void {
  if (resetFor(seg, t.out)) t.sink.send(t.out, undefined, 0, 0);
}

/** RFC 9293 §3.10.7.3. */
function synSent(t: Tcb, seg: TcpRepr, payload: Uint8Array, off: number, now: Instant): void {
  const f = seg.flags;
  // First: the ACK bit.
  if (f & ACK) {
    if (seqLe(seg.ack, t.iss) || seqGt(seg.ack, t.snd.max)) {
      replyReset(t, seg);
      return;
    }
  }
  // Second: the RST bit. Only a RST acknowledging our SYN is believed (RFC 5961 §3.2 for SYN-SENT).
  if (f & RST) {
    if (f & ACK) t.fail(ERRNO.ECONNREFUSED);
    return;
  }
  // Fourth: the SYN bit.
  if (!(f & SYN)) return;
  t.irs = seg.seq;
  t.rcv.nxt = seqAdd(seg.seq, 1);
  t.lastAckSent = t.rcv.nxt;
  t.rcv.mwndSeq = seqAdd(t.rcv.nxt, t.rcv.wnd);
  t.negotiate(seg);
  if (f & ACK) {
    t.established(now);
    // RFC 7323 §2.2: the SYN-ACK's window is not scaled.
    t.snd.wnd = seg.window;
    t.snd.maxWnd = seg.window;
    t.snd.wl1 = seg.seq;
    t.snd.wl2 = seg.ack;
    t.ackNow = true;
    if (seg.payloadLen > 0 || f & FIN) {
      processText(t, seqAdd(seg.seq, 1), payload, off, seg.payloadLen, (f & FIN) !== 0, now);
    }
    t.output(now);
    return;
  }
  // Simultaneous open: SYN-RECEIVED, answer with SYN-ACK (same ISS).
  t.state = TcpState.SYN_RECEIVED;
  t.snd.wnd = seg.window;
  t.snd.maxWnd = seg.window;
  t.snd.wl1 = seg.seq;
  t.snd.wl2 = t.iss;
  t.backoff = 0;
  t.sendSyn(now);
}

/** RFC 9293 §3.10.7.4: SYN-RECEIVED and all synchronized states. */
function otherStates(t: Tcb, seg: TcpRepr, payload: Uint8Array, off: number, now: Instant): void {
  let f = seg.flags;
  let seq = seg.seq;
  const rcvWnd = t.acceptWindow();

  // RFC 5961 §3.2: a reset must sit exactly at RCV.NXT; in the window it draws a challenge ACK.
  if (f & RST) {
    if (seq === t.rcv.nxt) {
      reset(t);
    } else if (seqGe(seq, t.rcv.nxt) && seqLt(seq, seqAdd(t.rcv.nxt, Math.max(rcvWnd, 1)))) {
      const lastAt = t.lastOowAckAt;
      t.oowAck(now, true);
      if (t.lastOowAckAt !== lastAt) t.mib.TcpExtTCPChallengeACK++; // sent, not rate-limited
      t.output(now);
    }
    return;
  }

  if (f & SYN) {
    if (t.state === TcpState.SYN_RECEIVED) {
      if (!(f & ACK) && seq === t.irs) {
        // The peer retransmitted its SYN: our SYN-ACK was lost.
        t.ackNow = true;
        t.output(now);
        return;
      }
      if (f & ACK && seqAdd(seq, 1) === t.rcv.nxt && seg.ack === t.snd.max) {
        // Simultaneous open: the peer's SYN-ACK acknowledges our SYN.
        f &= ~SYN;
        seq = t.rcv.nxt;
      }
    }
    if (f & SYN) {
      // RFC 5961 §4.2: SYN in a synchronized state gets a challenge ACK, whatever its SEQ.
      t.oowAck(now, true);
      t.output(now);
      return;
    }
  }

  const len = seg.payloadLen + (f & FIN ? 1 : 0);
  const hasTs = t.tsOk && seg.options.hasTimestamps;
  // RFC 7323 §5.3: PAWS.
  if (hasTs && seqLt(seg.options.tsVal, t.tsRecent)) {
    t.oowAck(now, len === 0);
    t.output(now);
    return;
  }

  // First: the acceptability test (four cases).
  if (!acceptable(seq, len, t.rcv.nxt, rcvWnd)) {
    if (t.state === TcpState.TIME_WAIT && f & FIN) t.toTimeWait(now); // a retransmitted FIN
    // Beyond the right edge rather than old: Linux counts it (BeyondWindow).
    if (seqGe(seq, seqAdd(t.rcv.nxt, rcvWnd))) t.mib.TcpExtBeyondWindow++;
    t.oowAck(now, len === 0);
    t.output(now);
    return;
  }

  // Fifth: the ACK field.
  if (!(f & ACK)) return;
  if (!processAck(t, seg, seq, now)) {
    t.output(now);
    return;
  }
  // RFC 7323 §4.3: remember the peer's TSval when the segment covers the last ACK we sent — only
  // once its ACK proved acceptable (Linux), so a segment with a bogus ACK cannot poison TS.Recent.
  if (hasTs && seqLe(seq, t.lastAckSent)) t.tsRecent = seg.options.tsVal;
  const st = t.state;
  if (st === TcpState.CLOSED) return;

  // A closed application gets no more data: reset (Linux).
  if (
    t.orphan &&
    seg.payloadLen > 0 &&
    seqGt(seqAdd(seq, seg.payloadLen), t.rcv.nxt) &&
    (st === TcpState.FIN_WAIT_1 || st === TcpState.FIN_WAIT_2)
  ) {
    replyReset(t, seg);
    t.toClosed();
    return;
  }

  // Seventh/eighth: segment text and FIN.
  if (st === TcpState.ESTABLISHED || st === TcpState.FIN_WAIT_1 || st === TcpState.FIN_WAIT_2) {
    processText(t, seq, payload, off, seg.payloadLen, (f & FIN) !== 0, now);
  } else if (f & FIN && st === TcpState.TIME_WAIT) {
    t.toTimeWait(now);
    t.ackNow = true;
  }
  t.output(now);
}

/** RFC 9293 §3.10.7.4 table: the four cases of segment acceptability. */
export function acceptable(seq: number, len: number, rcvNxt: number, rcvWnd: number): boolean {
  if (len === 0) {
    if (rcvWnd === 0) return seq === rcvNxt;
    return seqLe(rcvNxt, seq) && seqLt(seq, seqAdd(rcvNxt, rcvWnd));
  }
  // Zero window: RFC 9293 asks to still take ACKs and RSTs; Linux processes a segment at RCV.NXT
  // and drops its data.
  if (rcvWnd === 0) return seq === rcvNxt;
  const end = seqAdd(seq, len - 1);
  const right = seqAdd(rcvNxt, rcvWnd);
  return (seqLe(rcvNxt, seq) && seqLt(seq, right)) || (seqLe(rcvNxt, end) && seqLt(end, right));
}

/** RFC 9293 §3.10.7.4 "If the RST bit is set", after RFC 5961's exact-SEQ check. */
function reset(t: Tcb): void {
  switch (t.state) {
    case TcpState.SYN_RECEIVED:
      t.fail(ERRNO.ECONNREFUSED);
      return;
    case TcpState.CLOSE_WAIT:
      // Linux reports EPIPE for a reset after the peer's FIN.
      t.fail(ERRNO.EPIPE);
      // RFC 9293 3.10.7.4: RST in CLOSE-WAIT, "all segment queues should be flushed" — with
      // net.ipv4.tcp_purge_receive_queue=1 the unread data goes too, and its memory at once
      // (docs/rst-close-wait.md); reads then see the FIN's end of stream.
      if (t.closePolicy.purgeReceiveQueue()) t.purgeQueues();
      return;
    case TcpState.CLOSING:
    case TcpState.LAST_ACK:
    case TcpState.TIME_WAIT:
      t.toClosed();
      return;
    default:
      t.fail(ERRNO.ECONNRESET);
  }
}

/** Fifth step: the ACK field. Returns false when the segment is to be dropped. */
function processAck(t: Tcb, seg: TcpRepr, seq: number, now: Instant): boolean {
  const ack = seg.ack;
  const snd = t.snd;
  // RFC 7323 §2.2: a segment with SYN carries an unscaled window (the simultaneous-open SYN-ACK).
  const scale = seg.flags & SYN ? 1 : 2 ** t.sndWscale;
  if (t.state === TcpState.SYN_RECEIVED) {
    if (!(seqLt(snd.una, ack) && seqLe(ack, snd.max))) {
      replyReset(t, seg);
      return false;
    }
    t.established(now);
    snd.wnd = seg.window * scale;
    snd.maxWnd = snd.wnd;
    snd.wl1 = seq;
    snd.wl2 = ack;
  }
  // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]. Linux answers one
  // that is too old with a (rate-limited) challenge ACK and drops one that acknowledges data never
  // sent without a word.
  if (seqGt(ack, snd.max)) return false;
  if (seqLt(ack, seqAdd(snd.una, -snd.maxWnd))) {
    t.oowAck(now, true);
    return false;
  }
  t.lastAckAt = now;
  // Linux tcp_ack: any acceptable ACK answers the keepalive and zero-window probes.
  t.kaProbes = 0;
  t.probes = 0;
  const sb = t.sb;
  const priorPackets = sb.packetsOut;
  sb.beginAck();
  let flag = 0;
  if (seg.payloadLen > 0 || seg.flags & FIN) flag |= AckFlag.DATA;
  // RFC 2018 / RFC 2883: SACK blocks mark the scoreboard; a first block below the ACK or inside
  // data already SACKed is a D-SACK.
  const o = seg.options;
  // The highest sequence SACKed before this ACK (Linux's forward-most ACK, for reordering).
  const fack = sb.highestSacked(snd.una);
  const hadSacked = sb.sackedOut > 0;
  if (t.sackOk && o.sackCount > 0 && priorPackets > 0) {
    for (let i = 0; i < o.sackCount; i++) {
      const l = o.sackLeft(i);
      const r = o.sackRight(i);
      if (!seqLt(l, r) || seqGt(r, snd.max)) continue;
      const dup = sb.sackRange(l, r, seqGt(ack, snd.una) ? ack : snd.una);
      if (i === 0 && dup) {
        flag |= AckFlag.DSACK;
        t.dsackDups++;
        t.mib.TcpExtTCPDSACKRecv++;
      }
    }
    if (sb.newlySacked > 0) flag |= AckFlag.DATA_SACKED;
  }
  if (seqGt(ack, snd.una)) {
    let acked = seqSub(ack, snd.una);
    if (t.finQueued && !t.finAcked && seqGt(snd.max, t.finSeq) && ack === seqAdd(t.finSeq, 1)) {
      t.finAcked = true;
      acked--;
    }
    t.sndQueue.discard(acked);
    t.bytesAcked += acked;
    snd.una = ack;
    if (seqLt(snd.nxt, snd.una)) snd.nxt = snd.una;
    sb.ackTo(ack);
    flag |= AckFlag.UNA_ADVANCED;
    if (acked > 0) flag |= AckFlag.DATA_ACKED;
    // RTT from the oldest newly acknowledged segment that was never retransmitted (Karn; Linux
    // samples every such ACK).
    if (sb.ackedFirstSentAt >= 0) t.rtt.sample(Math.max(1, now - sb.ackedFirstSentAt), snd.una, snd.nxt);
    t.timing = false;
    t.backoff = 0;
    t.retransmits = 0;
    t.retransStamp = -1;
    t.persistBackoff = 0;
    t.probes = 0;
  }
  // RFC 9293 §3.10.7.4: update the send window from the most recent segment.
  if (seqLt(snd.wl1, seq) || (snd.wl1 === seq && seqLe(snd.wl2, ack))) {
    const wnd = seg.window * scale;
    if (wnd !== snd.wnd) flag |= AckFlag.WIN_UPDATE;
    snd.wnd = wnd;
    if (snd.wnd > snd.maxWnd) snd.maxWnd = snd.wnd;
    snd.wl1 = seq;
    snd.wl2 = ack;
    if (snd.wnd > 0) t.persistAt = undefined;
  }
  if (priorPackets > 0) {
    // Linux tcp_check_sack_reordering: a never-retransmitted segment delivered below data SACKed
    // earlier was reordered, not lost; the reordering degree grows to that distance.
    if (hadSacked && sb.hasLow && seqLt(sb.deliveredLow, fack)) {
      const mss = Math.max(1, t.sndMss);
      const metric = seqSub(fack, sb.deliveredLow);
      if (metric > t.reordering * mss) t.reordering = Math.min(Math.ceil(metric / mss), t.cfg.maxReordering);
      t.reordSeen++;
      t.rack.reordSeen = true;
      t.mib.TcpExtTCPSACKReorder++;
    }
    noteDelivery(t, now);
    t.cc.pktsAcked(sb.ackedSegs, ccRttUs(sb, now));
    const dupack = !(flag & (AckFlag.UNA_ADVANCED | AckFlag.DATA | AckFlag.WIN_UPDATE)) && !(flag & AckFlag.DSACK);
    let delivered = sb.ackedSegs - sb.ackedWereSacked + sb.newlySacked;
    if (!t.sackOk) {
      // Linux tcp_remove_reno_sacks / tcp_add_reno_sack: the duplicate ACKs already counted the
      // segments a cumulative ACK now covers.
      if (flag & AckFlag.UNA_ADVANCED) delivered = Math.max(sb.ackedSegs - t.renoSacked, 1);
      else if (dupack) delivered++;
    }
    t.delivered += delivered;
    onAck(t, flag, delivered, dupack, now);
    // Linux tcp_check_space / tcp_chrono_stop: room again for a blocked writer; nothing queued.
    if (t.chronoType === 3 && t.writable) t.chronoEnd(3, now);
    else if (sb.packetsOut === 0 && t.unsent() <= 0) t.chronoEnd(1, now);
    if (sb.packetsOut === 0) {
      t.rtxAt = undefined;
      t.tlpAt = undefined;
      t.reoAt = undefined;
    } else if (flag & AckFlag.UNA_ADVANCED) {
      if (!scheduleLossProbe(t, now, true)) {
        t.tlpAt = undefined;
        t.rtxAt = (now + t.rto()) as Instant;
      }
    }
  }
  if (!t.finAcked) return true;
  switch (t.state) {
    case TcpState.FIN_WAIT_1:
      t.state = TcpState.FIN_WAIT_2;
      t.rtxAt = undefined;
      if (t.orphan) t.finWait2At = (now + t.cfg.finTimeoutUs) as Instant;
      return true;
    case TcpState.CLOSING:
      t.toTimeWait(now);
      return true;
    case TcpState.LAST_ACK:
      t.toClosed();
      return false;
    default:
      return true;
  }
}

/**
 * Seventh and eighth steps: place data (in order or not) in the receive queue and take a FIN that
 * is in order. `seq` is the sequence number of the first payload byte.
 */
function processText(
  t: Tcb,
  seq: number,
  payload: Uint8Array,
  off: number,
  len: number,
  fin: boolean,
  now: Instant,
): void {
  const rcv = t.rcv;
  // Trim what we already have.
  const old = seqSub(rcv.nxt, seq);
  if (old > 0) {
    if (old > len) {
      fin = false; // the FIN is old too
      len = 0;
    } else {
      off += old;
      len -= old;
    }
    seq = rcv.nxt;
    t.ackNow = true; // duplicate data: tell the peer where we are
  }
  let rel = seqSub(seq, rcv.nxt);
  // Trim what does not fit the window (RFC 7323 §2.4: up to the largest edge ever advertised) or
  // the queue; the ACK goes out at once.
  const wnd = t.acceptWindow();
  const room = Math.min(t.rcvQueue.free, wnd);
  if ((len > 0 || fin) && rel + len > room) {
    const kept = Math.max(0, room - rel);
    if (len > 0 && rel === 0 && kept === 0 && t.currentWindow() === 0) {
      t.mib.TcpExtTCPZeroWindowDrop++; // at RCV.NXT while our window is zero (Linux)
    } else {
      if (rel + len > wnd) t.mib.TcpExtBeyondWindow++;
      // In the window but no room in the queue (memory pressure).
      if (len > 0 && Math.min(rel + len, wnd) > room) t.mib.TcpExtTCPRcvQDrop++;
    }
    len = kept;
    fin = false;
    t.ackNow = true;
  }
  if (len > 0) {
    const hadHoles = t.ooo.count > 0;
    if (!t.ooo.add(rel, len)) {
      t.ackNow = true; // too many holes: drop it
      len = 0;
      fin = false;
    } else {
      t.rcvQueue.writeAt(rel, payload, off, len);
      const n = t.ooo.removeFront();
      if (n > 0) {
        t.rcvQueue.commit(n);
        rcv.nxt = seqAdd(rcv.nxt, n);
        t.bytesReceived += n;
      }
      t.noteDataReceived(len, now);
      if (rel > 0 || hadHoles) t.ackNow = true; // out of order, or a hole filled: ACK at once
    }
  }
  if (fin) {
    rel = seqSub(seq, rcv.nxt) + len;
    t.pendingFinSeq = seqAdd(rcv.nxt, rel);
    if (rel > 0) t.ackNow = true; // out of order: duplicate ACK at once
  }
  if (t.pendingFinSeq !== -1 && t.pendingFinSeq === rcv.nxt) {
    t.pendingFinSeq = -1;
    takeFin(t, now);
    return;
  }
  if (len > 0) t.scheduleAck(now);
}

/** Eighth step: the FIN is in order. */
function takeFin(t: Tcb, now: Instant): void {
  t.rcv.nxt = seqAdd(t.rcv.nxt, 1);
  t.finReceived = true;
  switch (t.state) {
    case TcpState.SYN_RECEIVED:
    case TcpState.ESTABLISHED:
      t.state = TcpState.CLOSE_WAIT;
      // Linux delays this ACK (interactive mode), hoping to send it with the application's FIN.
      t.pingpong = true;
      t.scheduleAck(now);
      return;
    case TcpState.FIN_WAIT_1:
      t.ackNow = true;
      if (t.finAcked) t.toTimeWait(now);
      else t.state = TcpState.CLOSING;
      return;
    case TcpState.FIN_WAIT_2:
      t.ackNow = true;
      t.toTimeWait(now);
      return;
    default:
      t.ackNow = true;
  }
}
