/**
 * `TcbCore`: the state of one TCP connection (RFC 9293 §3.3.1) and everything but segment
 * arrival: user calls, output, timers. `Tcb` (tcb.ts) adds `input`, which runs input.ts; the split
 * keeps input.ts free of an import cycle. Use `Tcb`.
 *
 * - Output goes through the injected `SegmentSink` (segment.ts); nothing is committed before the
 *   sink accepted the segment.
 * - User calls (§3.10.1–3.10.5): `connect`, `send`, `recv`, `shutdownWrite`, `close`, `abort`, and
 *   readiness (`pollEvents`, `readable`, `writable`, `eof`, `error`, `takeError`). Errors are Linux
 *   errno values; calls that fail return a negative errno.
 * - Timers are deadline fields (`rtxAt`, `delayedAckAt`, `persistAt`, `timeWaitAt`, `finWait2At`):
 *   `pollAt()` is the earliest, `poll(now)` runs the ones due (§3.10.8).
 *
 * Sequence variables carry their RFC names (`snd.una`, `rcv.nxt`, …). The send queue is a ByteRing
 * whose head is SND.UNA once the SYN is acknowledged; retransmission re-reads it. The receive queue
 * is a ByteRing whose tail is RCV.NXT, with an Assembler for out-of-order data written in place.
 *
 * Congestion control here is a minimal Reno (IW10, slow start, congestion avoidance, RTO →
 * one segment) until the pluggable module exists; loss recovery is go-back-N from SND.UNA on RTO.
 */
import { ERRNO, LINUX } from '../socket/linux.js';
import { Assembler } from '../storage/assembler.js';
import { ByteRing } from '../storage/ring.js';
import { earliest, type Instant } from '../time/time.js';
import { seqAdd, seqGt, seqLt, seqSub } from '../util/seq.js';
import { TcpFlag, TcpRepr } from '../wire/tcp.js';
import { TCP_MAX_OPTIONS_LEN } from '../wire/tcp-options.js';
import { DEFAULT_PEER_MSS, MAX_QUICKACKS, MAX_WSCALE, MIN_MSS, retransmitBudgetUs, type TcpConfig } from './config.js';
import { DETACHED_MIB, type TcpExtMib } from './mib.js';
import { type CongestionControl, createCcOrDefault, CwndEvent } from './cc/index.js';
import { CaState, enterLoss, INFINITE_SSTHRESH, inFlight, onLossProbe, onReorderTimeout, scheduleLossProbe } from './recovery.js';
import { FALLBACK_RTO_US, INITIAL_RTO_US, RttEstimator } from './rtt.js';
import { Scoreboard, Seg } from './scoreboard.js';
import { type SegmentSink, TcpState } from './segment.js';

/** Send sequence variables (RFC 9293 §3.3.1), plus the highest sequence number ever sent. */
export class SendSequence {
  una = 0;
  nxt = 0;
  wnd = 0;
  wl1 = 0;
  wl2 = 0;
  /** Highest SND.NXT reached (SND.NXT goes back to SND.UNA on a retransmission timeout). */
  max = 0;
  /** Largest window the peer ever offered (RFC 5961 §5 MAX.SND.WND). */
  maxWnd = 0;
}

/**
 * What a connection asks of its stack when it is reset or closed (the layer's `TcpConn` answers
 * from the stack's sysctls and orphan count; docs/rst-close-wait.md, docs/linger.md).
 */
export interface ClosePolicy {
  /** `net.ipv4.tcp_purge_receive_queue`: a RST in CLOSE-WAIT flushes the receive queue. */
  purgeReceiveQueue(): boolean;
  /** Retransmissions / probes an orphan gets (Linux tcp_orphan_retries: 0 means 8 while alive). */
  orphanRetries(alive: boolean): number;
  /** Orphans (this one included) shifted left by `shift` exceed `net.ipv4.tcp_max_orphans`. */
  tooManyOrphans(shift: number): boolean;
}

/** The policy of a TCB without a stack: the sysctl defaults, no orphan limit. */
export const DETACHED_CLOSE_POLICY: ClosePolicy = {
  purgeReceiveQueue: () => false,
  orphanRetries: (alive) => (alive ? 8 : 0),
  tooManyOrphans: () => false,
};

/** Linux TCP_TIMEWAIT_LEN: an orphan that sent within it is reset when it runs out of resources. */
const ORPHAN_RESET_RECENT_US = 60_000_000;

/** Receive sequence variables (RFC 9293 §3.3.1). */
export class ReceiveSequence {
  nxt = 0;
  /** The window last advertised, bytes. */
  wnd = 0;
  /** The largest right edge ever advertised (RFC 7323 §2.4): the window never shrinks below it. */
  mwndSeq = 0;
}

const TS_OPTION_LEN = 12; // nop, nop, timestamps

// One scratch segment for every connection: a segment is built and handed to the sink (which
// serialises it at once) within one synchronous call, so connections never need their own (it
// saves about 2 KiB of heap per connection).
const SCRATCH_OUT = new TcpRepr();
const SCRATCH_SACK_IDX = new Int32Array(4);
const SCRATCH_SACK_BLOCKS = new Uint32Array(8);
const NO_MARKS = new Uint32Array(0);

export class TcbCore {
  state: TcpState = TcpState.CLOSED;
  localPort = 0;
  remotePort = 0;
  readonly snd = new SendSequence();
  readonly rcv = new ReceiveSequence();
  iss = 0;
  irs = 0;

  readonly sndQueue: ByteRing;
  readonly rcvQueue: ByteRing;
  readonly ooo = new Assembler();
  readonly rtt: RttEstimator;

  // ---- negotiated options (RFC 9293 §3.7.1, RFC 7323, RFC 2018) ----
  /** The peer's MSS option (536 when absent). */
  peerMss = DEFAULT_PEER_MSS;
  /** Payload bytes per full segment we send (options for timestamps deducted). */
  sndMss = DEFAULT_PEER_MSS;
  /** Estimate of the peer's segment size, for the delayed-ACK rule (Linux rcv_mss). */
  rcvMss = DEFAULT_PEER_MSS;
  sndWscale = 0;
  rcvWscale = 0;
  wsOk = false;
  tsOk = false;
  sackOk = false;
  /** RFC 7323 §4.3 TS.Recent. */
  tsRecent = 0;
  /** Added to the millisecond clock for our TSval (Linux randomises it per connection). */
  tsOffset = 0;

  // ---- congestion and loss recovery (segments; recovery.ts) ----
  cwnd = 10;
  ssthresh = INFINITE_SSTHRESH;
  cwndCnt = 0;
  /** Congestion control by name (`TCP_CONGESTION`, `tcp_congestion_control`). */
  ccName = 'cubic';
  /** The congestion control itself (cc/), created with the connection. */
  cc: CongestionControl;
  readonly sb = new Scoreboard();
  caState: CaState = CaState.Open;
  /** SND.MAX when the current recovery episode began (RFC 6582 "recover"). */
  highSeq = 0;
  priorCwnd = 0;
  prrDelivered = 0;
  prrOut = 0;
  /** Duplicate ACKs standing in for SACKs on a connection without SACK (Linux reno sacked_out). */
  renoSacked = 0;
  /** RACK state (RFC 8985 §6.1). */
  readonly rack = { xmitAt: -1, endSeq: 0, rttUs: 0, reordSeen: false };
  /** SND.MAX after the tail loss probe, or -1 when none is outstanding; whether it was a retransmission. */
  tlpHighSeq = -1;
  tlpRetrans = false;
  /** Linux's cwnd-limited rule (tcp_cwnd_validate): cwnd grows only while it limits the sender. */
  cwndLimited = false;
  maxPacketsOut = 0;
  maxPacketsSeq = 0;
  /** The reordering degree in segments (Linux tp->reordering; starts at `tcp_reordering`). */
  reordering = 3;
  /** Times reordering was seen (tcpi_reord_seen). */
  reordSeen = 0;
  /** Segments retransmitted over the connection's life (tcpi_total_retrans). */
  totalRetrans = 0;
  // ---- TCP_INFO counters (Linux names in comments) ----
  segsOut = 0; // tcpi_segs_out
  segsIn = 0; // tcpi_segs_in
  dataSegsOut = 0; // tcpi_data_segs_out
  dataSegsIn = 0; // tcpi_data_segs_in
  bytesSent = 0; // tcpi_bytes_sent
  bytesRetrans = 0; // tcpi_bytes_retrans
  bytesAcked = 0; // tcpi_bytes_acked
  bytesReceived = 0; // tcpi_bytes_received
  delivered = 0; // tcpi_delivered
  dsackDups = 0; // tcpi_dsack_dups
  /**
   * Linux's chrono: what limits the sender now (0 none, 1 busy, 2 the peer's window, 3 the send
   * buffer) since `chronoStart`, and the µs spent in each before.
   */
  chronoType = 0;
  chronoStart = 0;
  chronoBusyUs = 0;
  chronoRwndUs = 0;
  chronoSndbufUs = 0;
  /** The stack's TcpExt counters (the layer attaches them). */
  mib: TcpExtMib = DETACHED_MIB;
  /** Reset and orphan rules of the stack (the layer attaches them). */
  closePolicy: ClosePolicy = DETACHED_CLOSE_POLICY;

  // ---- closing ----
  /** The application asked for a FIN (shutdown or close). */
  finQueued = false;
  finAcked = false;
  /** Our FIN's sequence number, once the data before it is fixed (valid with `finQueued`). */
  finSeq = 0;
  /** The peer's FIN was received in order. */
  finReceived = false;
  /** Sequence number of a FIN received out of order, or -1. */
  pendingFinSeq = -1;
  /** close() was called: nobody reads any more. */
  orphan = false;
  /** connect() or fromSyn() happened (recv on a never-opened TCB is ENOTCONN). */
  opened = false;
  /** Pending socket error (SO_ERROR), 0 when none. */
  err = 0;

  // ---- timers (deadlines) ----
  rtxAt: Instant | undefined = undefined;
  /** Tail loss probe and RACK reorder timers (they replace the RTO while armed). */
  tlpAt: Instant | undefined = undefined;
  reoAt: Instant | undefined = undefined;
  /** Keepalive timer (SO_KEEPALIVE) and unanswered keepalive probes. */
  keepaliveAt: Instant | undefined = undefined;
  kaProbes = 0;
  /** When the current run of retransmissions of the head began (TCP_USER_TIMEOUT), or -1. */
  retransStamp = -1;
  delayedAckAt: Instant | undefined = undefined;
  persistAt: Instant | undefined = undefined;
  timeWaitAt: Instant | undefined = undefined;
  finWait2At: Instant | undefined = undefined;
  /** Exponential backoff count of the retransmission timer; retransmissions since the last progress. */
  backoff = 0;
  retransmits = 0;
  persistBackoff = 0;
  probes = 0;
  synRetransmitted = false;
  synSentAt = 0;

  // ---- RTT timing (Karn's algorithm) ----
  timing = false;
  timingSeq = 0;
  timingStart = 0;

  // ---- ACK generation ----
  /** An ACK must go out at the next output. */
  ackNow = false;
  /** RCV.NXT carried by the last ACK sent (Linux rcv_wup). */
  lastAckSent = 0;
  quickAcks = 0;
  pingpong = false;
  /** Delayed-ACK timeout estimate (0 until the first data arrived). */
  atoUs = 0;
  /** When data last arrived (Linux lrcvtime; set at establishment too). */
  lastDataAt = 0;
  /** When data last went out (Linux lsndtime) and when an acceptable ACK last arrived (rcv_tstamp). */
  lastSendAt = 0;
  lastAckAt = 0;
  lastOowAckAt = -1;
  /** End of the last sub-MSS segment sent (Minshall's Nagle variant). */
  sndSml = 0;
  /** Sequence number just past the data of the latest write call (where Linux marks PSH). */
  writeEnd = 0;
  /** Segment size of the receive-offload aggregate being processed (0: an ordinary segment). */
  rxGsoSize = 0;
  /** Record ends (MSG_EOR) not yet passed by SND.NXT, in order. */
  private eorMarks = NO_MARKS;
  private eorCount = 0;
  /** TCP_CORK; the current send carries MSG_MORE; one push overrides both (TCP_NODELAY set). */
  cork = false;
  holdPartial = false;
  pushOnce = false;

  /** The latest time seen by input/poll; user calls without a `now` use it. */
  now = 0 as Instant;

  /** Scratch record every outgoing segment is built in. */
  get out(): TcpRepr {
    return SCRATCH_OUT;
  }
  private get sackIdx(): Int32Array {
    return SCRATCH_SACK_IDX;
  }
  private get sackBlocks(): Uint32Array {
    return SCRATCH_SACK_BLOCKS;
  }

  constructor(
    readonly cfg: TcpConfig,
    readonly sink: SegmentSink,
  ) {
    this.sndQueue = new ByteRing(cfg.sndBuf);
    this.rcvQueue = new ByteRing(cfg.rcvBuf);
    this.rtt = new RttEstimator(cfg.rtoMinUs, cfg.rtoMaxUs);
    this.rtt.reset(cfg.rtoInitUs);
    this.ccName = cfg.cc;
    this.reordering = cfg.reordering;
    this.cc = createCcOrDefault(cfg.cc, this, cfg.ccParams);
  }

  // =============================================================== opening

  /** Active open (RFC 9293 §3.10.1): send a SYN with ISN `iss`, enter SYN-SENT. */
  connect(iss: number, now: Instant, tsOffset = 0): number {
    if (this.opened) return -ERRNO.EISCONN;
    this.now = now;
    this.opened = true;
    this.tsOffset = tsOffset >>> 0;
    this.iss = iss >>> 0;
    this.snd.una = this.iss;
    this.snd.nxt = this.iss;
    this.snd.max = this.iss;
    this.rcvWscale = this.cfg.rcvWscale >= 0 ? this.cfg.rcvWscale : 0;
    this.state = TcpState.SYN_SENT;
    this.sendSyn(now);
    return 0;
  }

  /**
   * Passive-open set-up from a received SYN (`syn`, already matched to this connection by the
   * caller): record IRS and the peer's options, answer with a SYN-ACK, enter SYN-RECEIVED. Use
   * `Tcb.fromSyn`.
   */
  acceptSyn(syn: TcpRepr, iss: number, now: Instant, tsOffset = 0): void {
    this.now = now;
    this.opened = true;
    this.localPort = syn.dstPort;
    this.remotePort = syn.srcPort;
    this.tsOffset = tsOffset >>> 0;
    this.iss = iss >>> 0;
    this.snd.una = this.iss;
    this.snd.nxt = this.iss;
    this.snd.max = this.iss;
    this.irs = syn.seq;
    this.rcv.nxt = seqAdd(syn.seq, 1);
    this.lastAckSent = this.rcv.nxt;
    this.negotiate(syn);
    // RFC 7323 §2.2: the window of a SYN is never scaled.
    this.snd.wnd = syn.window;
    this.snd.maxWnd = syn.window;
    this.snd.wl1 = syn.seq;
    this.snd.wl2 = this.iss;
    this.state = TcpState.SYN_RECEIVED;
    this.sendSyn(now);
  }

  /** Adopt the peer's SYN options (RFC 9293 §3.7.1, RFC 7323 §§2.2, 3.2, RFC 2018 §2). */
  negotiate(syn: TcpRepr): void {
    const o = syn.options;
    this.peerMss = o.mss >= 0 ? Math.max(o.mss, 48) : DEFAULT_PEER_MSS;
    this.wsOk = this.cfg.rcvWscale >= 0 && o.wscale >= 0;
    this.sndWscale = this.wsOk ? Math.min(o.wscale, MAX_WSCALE) : 0;
    this.rcvWscale = this.wsOk ? this.cfg.rcvWscale : 0;
    this.tsOk = this.cfg.timestamps && o.hasTimestamps;
    if (this.tsOk) this.tsRecent = o.tsVal;
    this.sackOk = this.cfg.sack && o.sackPermitted;
    const base = this.mssBase();
    this.sndMss = Math.max(MIN_MSS - TS_OPTION_LEN, base - (this.tsOk ? TS_OPTION_LEN : 0));
  }

  /** The segment size before options: the peer's MSS within the path's and TCP_MAXSEG (Linux mss_clamp). */
  mssBase(): number {
    const base = Math.min(this.peerMss, this.cfg.mtuMss);
    return this.cfg.userMss > 0 ? Math.min(base, this.cfg.userMss) : base;
  }

  /** SYN-SENT/SYN-RECEIVED → ESTABLISHED bookkeeping shared by both opens. */
  established(now: Instant): void {
    this.state = TcpState.ESTABLISHED;
    this.snd.una = seqAdd(this.iss, 1);
    if (seqLt(this.snd.nxt, this.snd.una)) this.snd.nxt = this.snd.una;
    if (!this.synRetransmitted) {
      this.rtt.sample(Math.max(1, now - this.synSentAt), this.snd.una, this.snd.nxt);
    } else if (!this.rtt.hasSample) {
      // RFC 6298 §5.7: after a lost SYN or SYN-ACK, start data transfer with RTO = 3 s.
      this.rtt.reset(FALLBACK_RTO_US);
    }
    this.backoff = 0;
    this.retransmits = 0;
    this.rtxAt = undefined;
    this.cwnd = this.cfg.initCwnd;
    this.cc.init();
    this.sndSml = this.snd.una;
    this.lastDataAt = now;
    if (this.cfg.keepalive) this.keepaliveAt = (now + this.cfg.keepIdleUs) as Instant;
    this.lastSendAt = now;
    this.lastAckAt = now;
    if (this.finQueued) this.state = TcpState.FIN_WAIT_1;
  }

  // =============================================================== user calls

  /**
   * Queue up to `len` bytes of `data` from `off` for sending (RFC 9293 §3.10.2); returns the
   * bytes accepted, or -EAGAIN (queue full / still connecting), -EPIPE (shut down or closed), or a
   * pending error (consumed, as Linux's send does).
   */
  send(data: Uint8Array, off: number, len: number, now: Instant = this.now, more = false, eor = false): number {
    this.now = now;
    const st = this.state;
    if (st !== TcpState.ESTABLISHED && st !== TcpState.CLOSE_WAIT) {
      if (this.err) return -this.takeError();
      if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECEIVED) return -ERRNO.EAGAIN;
      return -ERRNO.EPIPE;
    }
    if (this.err) return -this.takeError();
    if (this.finQueued) return -ERRNO.EPIPE;
    if (len <= 0) return 0;
    const n =
      this.cfg.notsentLowat < 0xffffffff
        ? this.queueUnderLowat(data, off, len, now)
        : this.sndQueue.write(data, off, len);
    if (n <= 0) {
      // Linux starts the send-buffer-limited clock when a writer finds no room.
      if (this.sndQueue.free === 0) this.chronoBegin(3, now);
      return n < 0 ? n : -ERRNO.EAGAIN;
    }
    this.chronoBegin(1, now);
    // MSG_MORE: more follows, so no PSH mark and a partial segment waits (Linux tcp_push with
    // MSG_MORE corks that push only).
    if (!more) this.writeEnd = seqAdd(this.snd.una, this.sndQueue.length);
    // MSG_EOR (Linux skb->eor): the record ends here; no segment will carry bytes of both sides.
    if (eor && n === len) this.addEor(seqAdd(this.snd.una, this.sndQueue.length));
    this.holdPartial = more;
    this.output(now);
    this.holdPartial = false;
    return n;
  }

  /**
   * TCP_NOTSENT_LOWAT (Linux tcp_sendmsg with tcp_stream_memory_free): data is taken in buffers of
   * the size goal (half the largest window the peer offered, whole segments, at most 64 KiB); the
   * unsent tail buffer is topped up freely, and a new buffer is started only while the bytes not
   * yet sent are under the limit. Each full buffer is pushed at once, as Linux's tcp_push_one.
   */
  private queueUnderLowat(data: Uint8Array, off: number, len: number, now: Instant): number {
    const mss = Math.max(1, this.sndMss);
    const half = this.snd.maxWnd > DEFAULT_PEER_MSS ? this.snd.maxWnd >>> 1 : this.snd.maxWnd;
    const goal = Math.max(mss, Math.floor(Math.min(65536, half) / mss) * mss);
    let done = 0;
    while (done < len) {
      const unsent = Math.max(0, this.unsent());
      const tail = unsent > 0 ? ((unsent - 1) % goal) + 1 : 0;
      let room = tail > 0 ? goal - tail : 0;
      if (room === 0) {
        if (unsent >= this.cfg.notsentLowat) break;
        room = goal;
      }
      const n = this.sndQueue.write(data, off + done, Math.min(room, len - done));
      if (n === 0) break;
      done += n;
      if (tail + n >= goal) this.output(now);
    }
    return done > 0 ? done : -ERRNO.EAGAIN;
  }

  /** Mark a record end at `seq` (MSG_EOR). */
  private addEor(seq: number): void {
    if (this.eorCount === this.eorMarks.length) {
      const next = new Uint32Array(Math.max(4, this.eorMarks.length * 2));
      next.set(this.eorMarks.subarray(0, this.eorCount));
      this.eorMarks = next;
    }
    this.eorMarks[this.eorCount++] = seq >>> 0;
  }

  /** The first record end after SND.NXT (MSG_EOR), dropping those already sent; -1 when none. */
  private nextEor(): number {
    const nxt = this.snd.nxt;
    let drop = 0;
    while (drop < this.eorCount && !seqGt(this.eorMarks[drop]!, nxt)) drop++;
    if (drop > 0) {
      this.eorMarks.copyWithin(0, drop, this.eorCount);
      this.eorCount -= drop;
    }
    return this.eorCount > 0 ? this.eorMarks[0]! : -1;
  }

  /** TCP_CORK: while set, partial segments wait; clearing it sends what waits (Linux). */
  setCork(on: boolean, now: Instant): void {
    this.cork = on;
    if (!on && this.synchronized()) this.output(now);
  }

  /** Send what waits whatever cork or MSG_MORE said (TCP_NODELAY being set, Linux TCP_NAGLE_PUSH). */
  pushPending(now: Instant): void {
    if (!this.synchronized()) return;
    this.pushOnce = true;
    this.output(now);
    this.pushOnce = false;
  }

  /**
   * Copy up to `len` received bytes into `dst` at `off` (RFC 9293 §3.10.3). Returns the count; 0 at
   * end of stream (FIN received, or the connection is gone after its error was reported); a
   * pending error once (e.g. -ECONNRESET) after the queued data; -EAGAIN when nothing is there yet.
   */
  recv(dst: Uint8Array, off: number, len: number, now: Instant = this.now): number {
    this.now = now;
    if (!this.opened) return -ERRNO.ENOTCONN;
    if (len <= 0) return 0;
    const before = this.advertisableWindow();
    const n = this.rcvQueue.read(dst, off, len);
    if (n > 0) {
      this.windowUpdateCheck(before, now);
      return n;
    }
    if (this.finReceived) return 0;
    if (this.err) return -this.takeError();
    if (this.state === TcpState.CLOSED) return 0;
    return -ERRNO.EAGAIN;
  }

  /** shutdown(SHUT_WR) (RFC 9293 §3.10.4 CLOSE for the sending direction): queue a FIN. */
  shutdownWrite(now: Instant = this.now): number {
    this.now = now;
    switch (this.state) {
      case TcpState.CLOSED:
        return this.opened ? 0 : -ERRNO.ENOTCONN;
      case TcpState.SYN_SENT:
        // Linux disconnects a connection still in SYN-SENT: no segment, straight to CLOSED.
        this.toClosed();
        return 0;
      case TcpState.SYN_RECEIVED:
        // RFC 9293 §3.10.4: queue the FIN until ESTABLISHED.
        this.finQueued = true;
        return 0;
      case TcpState.ESTABLISHED:
        this.queueFin(TcpState.FIN_WAIT_1);
        break;
      case TcpState.CLOSE_WAIT:
        this.queueFin(TcpState.LAST_ACK);
        break;
      default:
        return 0;
    }
    this.output(now);
    return 0;
  }

  /**
   * close(): the application is done with the connection. With unread received data the connection
   * is reset (RFC 2525 §2.17, as Linux does); otherwise a FIN is queued and the connection finishes
   * on its own (FIN-WAIT-2 then lasts at most `tcp_fin_timeout`).
   */
  close(now: Instant = this.now): void {
    this.now = now;
    this.orphan = true;
    switch (this.state) {
      case TcpState.CLOSED:
        return;
      case TcpState.SYN_SENT:
        this.toClosed();
        return;
      case TcpState.SYN_RECEIVED:
      case TcpState.ESTABLISHED:
      case TcpState.CLOSE_WAIT:
        if (!this.rcvQueue.isEmpty) {
          this.mib.TcpExtTCPAbortOnClose++;
          this.abort(now);
          return;
        }
        this.shutdownWrite(now);
        this.orphanOutOfResources(now, 0, true);
        return;
      case TcpState.FIN_WAIT_2:
        this.finWait2At = (now + this.cfg.finTimeoutUs) as Instant;
        return;
      default:
        this.orphanOutOfResources(now, 0, true);
        return;
    }
  }

  /**
   * Linux tcp_out_of_resources for an orphan (at close, shift 0, after the FIN; on its timers, shift
   * = the backoff): when the stack holds more orphans than `tcp_max_orphans` allows, the connection
   * is dropped — with `R.` (SEQ as any ACK) when asked or when it sent within the last 60 s or the
   * peer's window is closed — and counted in TcpExtTCPAbortOnMemory. Returns whether it was dropped.
   */
  private orphanOutOfResources(now: Instant, shift: number, doReset: boolean): boolean {
    const st = this.state;
    if (!this.orphan || !this.synchronized() || st === TcpState.FIN_WAIT_2 || st === TcpState.TIME_WAIT) return false;
    if (!this.closePolicy.tooManyOrphans(shift)) return false;
    if (now - this.lastSendAt <= ORPHAN_RESET_RECENT_US || this.snd.wnd === 0) doReset = true;
    if (doReset) this.xmit(TcpFlag.RST | TcpFlag.ACK, this.ackSeq(), 0, 0, now);
    this.mib.TcpExtTCPAbortOnMemory++;
    this.toClosed();
    return true;
  }

  /** ABORT (RFC 9293 §3.10.5) / SO_LINGER {1, 0}: send `R.` with SEQ = SND.NXT, enter CLOSED. */
  abort(now: Instant = this.now): void {
    this.now = now;
    const st = this.state;
    if (st !== TcpState.CLOSED && st !== TcpState.SYN_SENT && st !== TcpState.TIME_WAIT) {
      this.xmit(TcpFlag.RST | TcpFlag.ACK, this.snd.max, 0, 0, now);
    }
    this.orphan = true;
    this.toClosed();
  }

  // =============================================================== readiness

  /** The pending error without consuming it (0 when none). */
  get error(): number {
    return this.err;
  }
  /** SO_ERROR: the pending error, consumed. */
  takeError(): number {
    const e = this.err;
    this.err = 0;
    return e;
  }
  /** Bytes the application can read now. */
  get available(): number {
    return this.rcvQueue.length;
  }
  /** The peer's FIN arrived in order: after the queued data, reads return 0. */
  get eof(): boolean {
    return this.finReceived;
  }
  get readable(): boolean {
    return (this.pollEvents() & LINUX.EPOLLIN) !== 0;
  }
  get writable(): boolean {
    return (this.pollEvents() & LINUX.EPOLLOUT) !== 0;
  }

  /** poll()/epoll events as Linux's tcp_poll reports them (EPOLLIN, OUT, ERR, HUP, RDHUP…). */
  pollEvents(): number {
    const st = this.state;
    const closed = st === TcpState.CLOSED && this.opened;
    const rdShut = this.finReceived || closed;
    const wrShut = this.finQueued || closed;
    let mask = 0;
    if ((rdShut && wrShut) || closed) mask |= LINUX.EPOLLHUP;
    if (rdShut) mask |= LINUX.EPOLLIN | LINUX.EPOLLRDNORM | LINUX.EPOLLRDHUP;
    if (st !== TcpState.SYN_SENT && st !== TcpState.SYN_RECEIVED && this.opened) {
      if (this.rcvQueue.length > 0) mask |= LINUX.EPOLLIN | LINUX.EPOLLRDNORM;
      if (wrShut) mask |= LINUX.EPOLLOUT | LINUX.EPOLLWRNORM;
      else if (
        this.sndQueue.free >= this.sndQueue.length >>> 1 &&
        this.sndQueue.free > 0 &&
        2 * Math.max(0, this.unsent()) < this.cfg.notsentLowat
      ) {
        // Linux sk_stream_is_writeable: free space at least half of what is queued, and (with
        // TCP_NOTSENT_LOWAT) twice the unsent bytes under the limit.
        mask |= LINUX.EPOLLOUT | LINUX.EPOLLWRNORM;
      }
    }
    if (this.err) mask |= LINUX.EPOLLERR;
    return mask;
  }

  // =============================================================== segments and timers

  /** The earliest deadline, or undefined when no timer runs. */
  pollAt(): Instant | undefined {
    let t = earliest(this.rtxAt, this.delayedAckAt);
    t = earliest(t, this.tlpAt);
    t = earliest(t, this.reoAt);
    t = earliest(t, this.keepaliveAt);
    t = earliest(t, this.persistAt);
    t = earliest(t, this.timeWaitAt);
    return earliest(t, this.finWait2At);
  }

  /** Run the timers due at `now` (RFC 9293 §3.10.8). */
  poll(now: Instant): void {
    this.now = now;
    if (this.timeWaitAt !== undefined && now >= this.timeWaitAt) {
      this.toClosed();
      return;
    }
    if (this.finWait2At !== undefined && now >= this.finWait2At) {
      this.toClosed();
      return;
    }
    if (this.keepaliveAt !== undefined && now >= this.keepaliveAt) {
      this.onKeepalive(now);
      if (this.state === TcpState.CLOSED) return;
    }
    if (this.reoAt !== undefined && now >= this.reoAt) onReorderTimeout(this, now);
    if (this.tlpAt !== undefined && now >= this.tlpAt) onLossProbe(this, now);
    if (this.rtxAt !== undefined && now >= this.rtxAt) this.onRetransmitTimeout(now);
    if (this.persistAt !== undefined && now >= this.persistAt) this.onPersistTimeout(now);
    if (this.delayedAckAt !== undefined && now >= this.delayedAckAt) {
      this.delayedAckAt = undefined;
      if (this.pingpong) {
        // A delayed ACK was missed: leave interactive mode (Linux).
        this.pingpong = false;
        this.atoUs = this.cfg.delAckMinUs;
      } else {
        this.atoUs = Math.min(this.atoUs * 2, this.rtt.backedOffRtoUs(this.backoff));
      }
      this.ackNow = true;
    }
    this.output(now);
  }

  private onRetransmitTimeout(now: Instant): void {
    this.rtxAt = undefined;
    const st = this.state;
    if (st === TcpState.SYN_SENT) {
      // Linux: give up once the time an exponential schedule of tcp_syn_retries would take has
      // passed since the first SYN; the first tcp_syn_linear_timeouts retries keep the initial RTO.
      if (now - this.synSentAt >= retransmitBudgetUs(this.cfg.synRetries, INITIAL_RTO_US, this.cfg.rtoMaxUs)) {
        this.fail(ERRNO.ETIMEDOUT);
        return;
      }
      this.retransmits++;
      if (this.retransmits > this.cfg.synLinearTimeouts) this.backoff++;
      this.synRetransmitted = true;
      this.sendSyn(now);
      return;
    }
    if (st === TcpState.SYN_RECEIVED) {
      // SYN-ACKs: a retry count with plain doubling (the linear timeouts are for active opens only).
      if (this.retransmits >= this.cfg.synackRetries) {
        this.fail(ERRNO.ETIMEDOUT);
        return;
      }
      this.retransmits++;
      this.backoff++;
      this.synRetransmitted = true;
      this.sendSyn(now);
      return;
    }
    if (st === TcpState.CLOSED || st === TcpState.TIME_WAIT) return;
    if (this.sb.packetsOut === 0) return;
    if (this.retransStamp < 0) this.retransStamp = now;
    const userTimeout = this.cfg.userTimeoutUs;
    let retries = this.cfg.retries2;
    if (this.orphan) {
      // Linux tcp_write_timeout for a closed socket: tcp_orphan_retries instead of tcp_retries2
      // (0 = 8 while the backed-off RTO is under the maximum), then the orphan limit.
      const alive = this.rto() < this.cfg.rtoMaxUs;
      retries = this.closePolicy.orphanRetries(alive);
      if (this.orphanOutOfResources(now, this.backoff, alive || this.retransmits < retries)) return;
    }
    if (userTimeout > 0 ? now - this.retransStamp >= userTimeout : this.retransmits >= retries) {
      this.mib.TcpExtTCPAbortOnTimeout++;
      this.fail(ERRNO.ETIMEDOUT);
      return;
    }
    // RFC 6298 §5.4–5.6 and RFC 5681 §3.1: everything outstanding is lost, cwnd = 1 segment, the
    // head goes again at once and the timer backs off.
    this.mib.TcpExtTCPTimeouts++;
    enterLoss(this);
    this.timing = false;
    this.backoff++;
    this.retransmits++;
    this.output(now, true);
    this.rtxAt = (now + this.rto()) as Instant;
    this.tlpAt = undefined;
  }

  private onPersistTimeout(now: Instant): void {
    this.persistAt = undefined;
    if (!this.synchronized() || this.unsent() <= 0 || this.snd.nxt !== this.snd.una) return;
    if (this.snd.wnd > 0) {
      // Data waits with nothing in flight (cork, MSG_MORE, a small window): Linux
      // tcp_write_wakeup sends what the window allows, one segment, with PSH.
      this.sendNewSegments(now, 1, true);
      if (this.sb.packetsOut === 0) this.output(now);
      return;
    }
    let maxProbes = this.cfg.retries2;
    if (this.orphan) {
      // Linux tcp_probe_timer for a closed socket: tcp_orphan_retries probes; one whose backed-off
      // interval reached the maximum is dropped once its backoff reaches that count.
      const alive = this.rtt.backedOffRtoUs(this.persistBackoff) < this.cfg.rtoMaxUs;
      maxProbes = this.closePolicy.orphanRetries(alive);
      if (!alive && this.persistBackoff >= maxProbes) this.probes = maxProbes;
      else if (this.orphanOutOfResources(now, this.persistBackoff, true)) return;
    }
    if (this.probes >= maxProbes) {
      // Linux tcp_write_err: nothing is sent, the connection is gone.
      this.mib.TcpExtTCPAbortOnTimeout++;
      this.fail(ERRNO.ETIMEDOUT);
      return;
    }
    // Zero-window probe as Linux sends it: a pure ACK with SEQ = SND.UNA - 1.
    this.xmit(TcpFlag.ACK, seqAdd(this.snd.una, -1), 0, 0, now);
    this.probes++;
    this.persistBackoff++;
    this.persistAt = (now + this.rtt.backedOffRtoUs(this.persistBackoff)) as Instant;
  }

  // =============================================================== output

  /**
   * SO_SNDBUF on an existing connection (Linux allows it): the send queue takes the new size, but
   * never drops below what it already holds; writes see the new limit at once.
   */
  setSendBuffer(bytes: number): void {
    this.cfg.sndBuf = bytes;
    this.sndQueue.resize(Math.max(bytes, this.sndQueue.length));
  }

  /**
   * SO_RCVBUF on a connection (`bytes` already doubled): the receive queue takes the new size, never
   * less than what it holds (in-order and out-of-order data). The advertised window follows as
   * `tcp_shrink_window` allows.
   */
  setRecvBuffer(bytes: number): void {
    this.cfg.rcvBuf = bytes;
    this.rcvQueue.resize(Math.max(bytes, this.rcvQueue.length + this.ooo.highestEnd));
  }

  /** The current RTO with backoff, µs. */
  rto(): number {
    return this.rtt.backedOffRtoUs(this.backoff);
  }

  /** Data and FIN may flow (the SYN is acknowledged and we are not closed). */
  synchronized(): boolean {
    const st = this.state;
    return (
      st === TcpState.ESTABLISHED ||
      st === TcpState.CLOSE_WAIT ||
      st === TcpState.FIN_WAIT_1 ||
      st === TcpState.FIN_WAIT_2 ||
      st === TcpState.CLOSING ||
      st === TcpState.LAST_ACK ||
      st === TcpState.TIME_WAIT
    );
  }

  /**
   * (Re)start the keepalive timer (SO_KEEPALIVE, RFC 1122 §4.2.3.6) after the socket option changed:
   * it fires the idle time after the last segment received.
   */
  resetKeepalive(now: Instant): void {
    if (!this.cfg.keepalive || this.state === TcpState.CLOSED || this.state === TcpState.SYN_SENT) {
      this.keepaliveAt = undefined;
      return;
    }
    const idle = now - Math.max(this.lastDataAt, this.lastAckAt);
    this.keepaliveAt = (now + Math.max(0, this.cfg.keepIdleUs - idle)) as Instant;
  }

  /**
   * The keepalive timer (Linux tcp_keepalive_timer): while data is in flight or queued the
   * retransmission machinery watches the peer; after the idle time without a segment from the peer
   * a probe (a pure ACK with SEQ = SND.UNA − 1) goes out every interval; after the probe count (or
   * TCP_USER_TIMEOUT) without an answer, RST and ETIMEDOUT.
   */
  private onKeepalive(now: Instant): void {
    this.keepaliveAt = undefined;
    const st = this.state;
    if (!this.cfg.keepalive || st === TcpState.CLOSED || st === TcpState.SYN_SENT || st === TcpState.TIME_WAIT) return;
    if (st === TcpState.LISTEN || st === TcpState.SYN_RECEIVED) return;
    const c = this.cfg;
    if (this.sb.packetsOut > 0 || this.unsent() > 0) {
      this.keepaliveAt = (now + c.keepIdleUs) as Instant;
      return;
    }
    const idle = now - Math.max(this.lastDataAt, this.lastAckAt);
    if (idle < c.keepIdleUs) {
      this.keepaliveAt = (now + c.keepIdleUs - idle) as Instant;
      return;
    }
    const expired = c.userTimeoutUs > 0 ? idle >= c.userTimeoutUs && this.kaProbes > 0 : this.kaProbes >= c.keepCnt;
    if (expired) {
      this.xmit(TcpFlag.RST | TcpFlag.ACK, this.ackSeq(), 0, 0, now);
      this.mib.TcpExtTCPAbortOnTimeout++;
      this.fail(ERRNO.ETIMEDOUT);
      return;
    }
    this.xmit(TcpFlag.ACK, seqAdd(this.snd.una, -1), 0, 0, now);
    this.mib.TcpExtTCPKeepAlive++;
    this.kaProbes++;
    this.keepaliveAt = (now + c.keepIntvlUs) as Instant;
  }

  private chronoSet(type: number, now: Instant): void {
    const d = now - this.chronoStart;
    if (this.chronoType === 1) this.chronoBusyUs += d;
    else if (this.chronoType === 2) this.chronoRwndUs += d;
    else if (this.chronoType === 3) this.chronoSndbufUs += d;
    this.chronoType = type;
    this.chronoStart = now;
  }

  /** Linux tcp_chrono_start: a stronger limit (higher type) takes over. */
  chronoBegin(type: number, now: Instant): void {
    if (type > this.chronoType) this.chronoSet(type, now);
  }

  /** Linux tcp_chrono_stop: nothing queued ends the clock; else back to busy if `type` was on. */
  chronoEnd(type: number, now: Instant): void {
    if (this.sb.packetsOut === 0 && this.unsent() <= 0) {
      if (this.chronoType !== 0) this.chronoSet(0, now);
    } else if (type === this.chronoType) {
      this.chronoSet(1, now);
    }
  }

  /** µs spent busy / limited by the peer's window / by the send buffer, up to `now` (TCP_INFO). */
  chronoStats(now: Instant): [number, number, number] {
    const d = now - this.chronoStart;
    return [
      this.chronoBusyUs + (this.chronoType === 1 ? d : 0),
      this.chronoRwndUs + (this.chronoType === 2 ? d : 0),
      this.chronoSndbufUs + (this.chronoType === 3 ? d : 0),
    ];
  }

  /** Cwnd limits the sender (Linux tcp_is_cwnd_limited): in slow start, while cwnd < 2 × the most in flight. */
  isCwndLimited(): boolean {
    if (this.cwndLimited) return true;
    if (this.cwnd < this.ssthresh) return this.cwnd < 2 * this.maxPacketsOut;
    return false;
  }

  /** Linux tcp_cwnd_validate, after a burst of transmissions. */
  private cwndValidate(): void {
    const pkts = this.sb.packetsOut;
    const limited = inFlight(this) >= this.cwnd;
    if (!seqLt(this.snd.una, this.maxPacketsSeq) || pkts > this.maxPacketsOut || limited) {
      this.maxPacketsOut = pkts;
      this.maxPacketsSeq = this.snd.max;
      this.cwndLimited = limited;
    }
  }

  /** Slow start and congestion avoidance, in segments: the congestion control decides (cc/). */
  growCwnd(segs: number): void {
    if (segs > 0) this.cc.congAvoid(segs);
  }

  /**
   * Send record `i` of the scoreboard again (Linux __tcp_retransmit_skb): the same range and PSH;
   * a record longer than a segment now (the MSS fell) is split first. `probe`: a tail loss probe
   * resends only the last segment's worth.
   */
  retransmitRecord(i: number, now: Instant, probe = false): boolean {
    const sb = this.sb;
    let start = sb.start(i);
    const end = sb.end(i);
    const f = sb.flags(i);
    const finOnly = (f & Seg.FIN) !== 0;
    let len = seqSub(end, start) - (finOnly ? 1 : 0);
    const max = this.maxPayload();
    if (len > max) {
      if (probe) {
        start = seqAdd(start, len - max);
      } else {
        sb.split(i, seqAdd(start, max));
        return this.retransmitRecord(i, now);
      }
      len = max;
    }
    let flags = TcpFlag.ACK;
    if (f & Seg.PSH) flags |= TcpFlag.PSH;
    if (f & Seg.FIN) flags |= TcpFlag.FIN;
    if (!this.xmit(flags, start, seqSub(start, this.snd.una), len, now)) return false;
    sb.markRetransmitted(i, now);
    this.retransmits = Math.max(this.retransmits, 0);
    this.totalRetrans++;
    this.bytesRetrans += len;
    this.mib.RetransSegs++;
    if (this.caState === CaState.Recovery || this.caState === CaState.CWR) this.prrOut++;
    if (this.caState === CaState.Recovery) this.mib.TcpExtTCPFastRetrans++;
    else if (this.caState === CaState.Loss) this.mib.TcpExtTCPSlowStartRetrans++;
    this.timing = false;
    return true;
  }

  /** The MSS fell (PMTU): segments larger than a segment now are lost; resend them (Linux tcp_simple_retransmit). */
  simpleRetransmit(now: Instant): void {
    const sb = this.sb;
    const max = this.maxPayload();
    let lost = false;
    for (let i = 0; i < sb.packetsOut; i++) {
      const f = sb.flags(i);
      const len = seqSub(sb.end(i), sb.start(i)) - (f & Seg.FIN ? 1 : 0);
      if (len > max && sb.markLost(i)) lost = true;
    }
    if (!lost) return;
    if (this.caState !== CaState.Loss) {
      this.highSeq = this.snd.max;
      this.caState = CaState.Loss;
      this.cc.setState(CaState.Loss);
    }
    this.timing = false;
    this.output(now, true);
  }

  /** RFC 6675 §5 (NextSeg rule 1) / Linux tcp_xmit_retransmit_queue: lost segments first. */
  private retransmitLost(now: Instant, rtoHead: boolean): boolean {
    const sb = this.sb;
    let i = sb.findFlag(Seg.LOST, Seg.RETRANS | Seg.SACKED);
    let first = rtoHead;
    while (i >= 0) {
      if (!first && inFlight(this) >= this.cwnd) return true;
      if (!first && seqGt(sb.end(i), seqAdd(this.snd.una, Math.max(this.snd.wnd, this.sndMss)))) return true;
      first = false;
      if (!this.retransmitRecord(i, now)) return false;
      i = sb.findFlag(Seg.LOST, Seg.RETRANS | Seg.SACKED, i + 1);
    }
    return true;
  }

  /** Queued bytes not sent yet (negative once the FIN is out). */
  unsent(): number {
    return this.sndQueue.length - seqSub(this.snd.nxt, this.snd.una);
  }

  /**
   * Send what can be sent now: data within the peer's window and the congestion window, a FIN,
   * then a pure ACK if one is owed and nothing carried it. `rtoHead`: the retransmission timer
   * fired, the segment at SND.UNA goes out even into a closed window.
   */
  output(now: Instant, rtoHead = false): void {
    const st = this.state;
    if (st === TcpState.CLOSED || st === TcpState.SYN_SENT || st === TcpState.LISTEN) return;
    if (st === TcpState.SYN_RECEIVED) {
      if (this.ackNow) {
        this.ackNow = false;
        this.sendSyn(now);
      }
      return;
    }
    const canData = st !== TcpState.TIME_WAIT && st !== TcpState.FIN_WAIT_2;
    if (canData && this.sb.lostOut > 0) {
      if (!this.retransmitLost(now, rtoHead)) {
        if (this.rtxAt === undefined && this.tlpAt === undefined) this.rtxAt = (now + this.rto()) as Instant;
        return;
      }
    }
    if (canData) this.sendNewSegments(now, Infinity);
    if (this.ackNow) this.xmit(TcpFlag.ACK, this.ackSeq(), 0, 0, now);
    // Persist (RFC 9293 §3.8.6.1): data waits, nothing is in flight, the window is closed.
    if (
      canData &&
      this.unsent() > 0 &&
      this.snd.una === this.snd.max &&
      this.rtxAt === undefined &&
      this.tlpAt === undefined &&
      this.persistAt === undefined
    ) {
      this.persistAt = (now + this.rtt.backedOffRtoUs(this.persistBackoff)) as Instant;
    }
  }

  /**
   * New data (and the FIN) within the peer's window and the congestion window, at most `limit`
   * segments; returns how many went out. Arms the loss probe or the RTO for what is in flight.
   */
  sendNewSegments(now: Instant, limit: number, wakeup = false, probe = false): number {
    let sent = 0;
    let rwndLimited = false;
    while (sent < limit) {
      const q = this.sndQueue.length;
      const offset = seqSub(this.snd.nxt, this.snd.una);
      const unsent = q - offset;
      if (unsent < 0) break; // the FIN is out
      const pipe = inFlight(this);
      const cwndRoom = this.cwnd - pipe;
      let room = this.snd.wnd - offset;
      const maxPayload = this.maxPayload();
      let len = Math.min(unsent, maxPayload);
      const eorAt = this.eorCount > 0 ? this.nextEor() : -1;
      const toEor = eorAt >= 0 ? seqSub(eorAt, this.snd.nxt) : -1;
      if (toEor > 0 && len > toEor) len = toEor;
      if (len > room) {
        // Window-limited: only a segment that fits entirely, or anything when nothing is in flight.
        if (offset > 0 || room <= 0) len = 0;
        else len = room;
        if (len === 0) rwndLimited = true;
      }
      const fin = this.finQueued && offset + len === q && (len > 0 || unsent === 0);
      if (len === 0 && !fin) break;
      // A lone FIN goes whatever the congestion window says (Linux tcp_cwnd_test), and so does a
      // tail loss probe (Linux forces one segment out).
      if (cwndRoom <= 0 && len > 0 && !probe) break;
      if (len > 0 && len < this.sndMss && !fin && len === unsent && !wakeup && !probe && !this.pushOnce) {
        // TCP_CORK and MSG_MORE hold a partial segment; Nagle (RFC 9293 §3.7.4), Minshall's
        // variant, holds new small data while a small segment is unacknowledged.
        if (this.cork || this.holdPartial) break;
        if (!this.cfg.nodelay && seqGt(this.sndSml, this.snd.una)) break;
      }
      if (room < 0) room = 0;
      let flags = TcpFlag.ACK;
      const burstEnd =
        len === toEor || (probe ? false : this.pushes(offset, len, unsent, room, maxPayload, cwndRoom - 1, sent));
      if (len > 0 && (wakeup || burstEnd || (probe && seqAdd(this.snd.una, offset + len) === this.writeEnd))) {
        flags |= TcpFlag.PSH;
      }
      if (fin) flags |= TcpFlag.FIN;
      const seq = this.snd.nxt;
      if (!this.xmit(flags, seq, offset, len, now)) {
        // Refused below: try again when the retransmission timer fires.
        if (this.rtxAt === undefined && this.tlpAt === undefined) this.rtxAt = (now + this.rto()) as Instant;
        break;
      }
      // Committed.
      const wasEmpty = this.sb.packetsOut === 0;
      if (wasEmpty && len > 0) this.cc.cwndEvent(CwndEvent.TX_START);
      const segFlags = (flags & TcpFlag.PSH ? Seg.PSH : 0) | (fin ? Seg.FIN : 0);
      this.sb.push(seq, seqAdd(seq, len + (fin ? 1 : 0)), segFlags, now);
      if (len > 0 && !this.timing) {
        this.timing = true;
        this.timingSeq = seqAdd(seq, len);
        this.timingStart = now;
      }
      if (fin) this.finSeq = seqAdd(seq, len);
      this.snd.nxt = seqAdd(seq, len + (fin ? 1 : 0));
      if (seqGt(this.snd.nxt, this.snd.max)) this.snd.max = this.snd.nxt;
      if (len > 0 && len < this.sndMss) this.sndSml = this.snd.nxt;
      if (this.caState === CaState.Recovery || this.caState === CaState.CWR) this.prrOut++;
      if (wasEmpty || this.tlpAt !== undefined || this.rtxAt === undefined) this.rtxAt = (now + this.rto()) as Instant;
      this.persistAt = undefined;
      if (len > 0 && this.atoUs > 0 && now - this.lastDataAt < this.atoUs) this.pingpong = true;
      if (len > 0) this.lastSendAt = now;
      sent++;
      if (fin) break;
    }
    // Linux tcp_write_xmit: the peer's window is what stops us, or no longer is.
    if (rwndLimited) this.chronoBegin(2, now);
    else if (this.chronoType === 2) this.chronoEnd(2, now);
    if (sent > 0) {
      this.cwndValidate();
      if (limit !== 1) scheduleLossProbe(this, now, false);
    }
    return sent;
  }

  /**
   * PSH as Linux places it (per write, not per segment): on the segment that ends the data of the
   * latest write call, and on the last new segment of a burst that the window stops while more data
   * waits (Linux sends such a burst as one TSO packet carrying PSH).
   */
  private pushes(
    offset: number,
    len: number,
    unsent: number,
    room: number,
    maxPayload: number,
    cwndRoomAfter: number,
    sentBefore: number,
  ): boolean {
    const end = seqAdd(this.snd.una, offset + len);
    if (end === this.writeEnd) return true;
    const left = unsent - len;
    // Observed Linux placement (google corpus tcp/nagle/https_client.pkt): the full segment before
    // a write's sub-MSS tail carries PSH too.
    if (left > 0 && left < maxPayload && len === maxPayload && seqAdd(end, left) === this.writeEnd) return true;
    // Out of the Open state a segment clocked out alone by one ACK is no burst end (Linux
    // fragments its skb); a burst of two or more still is.
    if (this.caState !== CaState.Open && sentBefore === 0 && cwndRoomAfter <= 0) return false;
    if (this.caState === CaState.Recovery || this.caState === CaState.Loss) return false;
    return cwndRoomAfter <= 0 || room - len < Math.min(left, maxPayload);
  }

  /**
   * The SEQ of a segment without data: the highest sequence number sent (SND.NXT before any
   * go-back-N rewind), kept inside the peer's window as Linux's tcp_acceptable_seq does, so the peer
   * never finds it left of RCV.NXT and drops the ACK it carries.
   */
  ackSeq(): number {
    const edge = seqAdd(this.snd.una, this.snd.wnd);
    return seqLt(edge, this.snd.max) && seqGt(edge, this.snd.una) ? edge : this.snd.max;
  }

  /** Payload that fits one segment next to the options a data segment carries now. */
  private maxPayload(): number {
    const base = this.mssBase();
    let opt = this.tsOk ? TS_OPTION_LEN : 0;
    if (this.sackOk && this.ooo.count > 0) {
      const n = Math.min(this.ooo.count, this.tsOk ? 3 : 4);
      opt += 4 + 8 * n;
    }
    return Math.max(1, base - opt);
  }

  /** Send our SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED); arms the retransmission timer. */
  sendSyn(now: Instant): boolean {
    const synAck = this.state === TcpState.SYN_RECEIVED;
    const o = this.out;
    o.srcPort = this.localPort;
    o.dstPort = this.remotePort;
    o.seq = this.iss;
    o.ack = synAck ? this.rcv.nxt : 0;
    o.flags = synAck ? TcpFlag.SYN | TcpFlag.ACK : TcpFlag.SYN;
    o.urgent = 0;
    o.payloadLen = 0;
    const win = this.synWindow();
    o.window = win;
    // Linux's layout: mss, then sackOK+TS (or nop,nop,TS / nop,nop,sackOK), then nop,wscale.
    const op = o.options;
    op.clear();
    const ts = synAck ? this.tsOk : this.cfg.timestamps;
    const sack = synAck ? this.sackOk : this.cfg.sack;
    const ws = synAck ? this.wsOk : this.cfg.rcvWscale >= 0;
    op.addMss(this.cfg.advMss);
    if (ts) {
      if (sack) op.addSackPermitted();
      else {
        op.addNop();
        op.addNop();
      }
      op.addTimestamps(this.tsClock(now), synAck ? this.tsRecent : 0);
    } else if (sack) {
      op.addNop();
      op.addNop();
      op.addSackPermitted();
    }
    if (ws) {
      op.addNop();
      op.addWindowScale(this.cfg.rcvWscale);
    }
    const ok = this.sink.send(o, undefined, 0, 0);
    if (ok) {
      if (this.snd.nxt === this.iss) this.snd.nxt = seqAdd(this.iss, 1);
      if (seqGt(this.snd.nxt, this.snd.max)) this.snd.max = this.snd.nxt;
      if (this.retransmits === 0) this.synSentAt = now;
      this.rcv.wnd = win;
      if (synAck) this.rcv.mwndSeq = seqAdd(this.rcv.nxt, win);
    }
    this.rtxAt = (now + this.rto()) as Instant;
    return ok;
  }

  /** The window of our SYN or SYN-ACK: the receive space up to 64 KiB, a multiple of the MSS. */
  private synWindow(): number {
    let w = Math.min(this.rcvQueue.free, 0xffff);
    if (w > this.cfg.advMss) w -= w % this.cfg.advMss;
    return w;
  }

  /** TSval: a millisecond clock plus the connection's offset (RFC 7323 §5.4). */
  tsClock(now: Instant): number {
    return (Math.floor(now / 1000) + this.tsOffset) >>> 0;
  }

  /**
   * The window field to advertise now: the free receive space, scaled. Unless `tcp_shrink_window`
   * allows a retraction (Linux: only with window scaling in effect), it never moves the right edge
   * left of what was advertised before (RFC 9293 §3.8.6.2.1); with it, a full queue gives a zero
   * window (docs/window-retraction.md).
   */
  private windowField(): number {
    const ws = this.rcvWscale;
    let w = Math.floor(this.rcvQueue.free / 2 ** ws);
    if (this.cfg.shrinkWindow === true && ws > 0) return Math.min(w, 0xffff);
    const promised = seqSub(this.rcv.mwndSeq, this.rcv.nxt);
    if (promised > 0 && w * 2 ** ws < promised) w = Math.ceil(promised / 2 ** ws);
    return Math.min(w, 0xffff);
  }

  /** What is left of the window of the last ACK sent, from RCV.NXT (Linux tcp_receive_window). */
  currentWindow(): number {
    return Math.max(0, seqSub(seqAdd(this.lastAckSent, this.rcv.wnd), this.rcv.nxt));
  }

  /**
   * The window of the acceptability test, from RCV.NXT: up to the largest right edge ever advertised
   * (RFC 7323 §2.4: any segment that would have been in window for any ACK sent), or with
   * `net.wirestack.tcp_rfc7323_mwnd=0` up to the right edge of the last ACK (Linux 6.18).
   */
  acceptWindow(): number {
    if (this.cfg.rfc7323Mwnd === false) return this.currentWindow();
    return Math.max(0, seqSub(this.rcv.mwndSeq, this.rcv.nxt));
  }

  /** The window we could advertise now, bytes (for the window-update rule). */
  advertisableWindow(): number {
    return Math.floor(this.rcvQueue.free / 2 ** this.rcvWscale) * 2 ** this.rcvWscale;
  }

  /** Linux's receive-side window update: reading opened the window at least twofold. */
  private windowUpdateCheck(before: number, now: Instant): void {
    if (!this.synchronized() || this.finReceived) return;
    const cur = this.currentWindow();
    // Linux tcp_cleanup_rbuf: only when the window left is at most half of the largest window we
    // could ever offer (the window clamp: the queue, and 16 bits shifted by our scale).
    const clamp = Math.min(this.rcvQueue.capacity, 0xffff * 2 ** this.rcvWscale);
    if (2 * cur > clamp) return;
    const next = this.advertisableWindow();
    if (next > before && next > 0 && next >= 2 * cur) {
      this.ackNow = true;
      this.output(now);
    }
  }

  /**
   * Build and hand one segment to the sink: `flags` at `seq`, `len` bytes from the send queue
   * `skip` bytes past SND.UNA. ACK-bearing segments carry RCV.NXT, our window and the options of
   * the synchronized state (`nop,nop,TS`, then `nop,nop,sack…`). Commits the ACK state on success.
   */
  xmit(flags: number, seq: number, skip: number, len: number, now: Instant): boolean {
    const o = this.out;
    o.srcPort = this.localPort;
    o.dstPort = this.remotePort;
    o.seq = seq >>> 0;
    o.flags = flags;
    o.urgent = 0;
    o.payloadLen = len;
    const hasAck = (flags & TcpFlag.ACK) !== 0;
    o.ack = hasAck ? this.rcv.nxt : 0;
    const win = hasAck ? this.windowField() : 0;
    o.window = win;
    const op = o.options;
    op.clear();
    if (this.tsOk) {
      op.addNop();
      op.addNop();
      op.addTimestamps(this.tsClock(now), this.tsRecent);
    }
    if (this.sackOk && hasAck && this.ooo.count > 0 && !(flags & TcpFlag.RST)) this.addSack();
    const ok = this.sink.send(o, len > 0 ? this.sndQueue : undefined, skip, len);
    if (ok) {
      this.segsOut++;
      if (len > 0) {
        this.dataSegsOut++;
        this.bytesSent += len;
      }
    }
    if (!ok || !hasAck) return ok;
    // RFC 9293 §3.8.6.2.2 bookkeeping: the window and the ACK just given.
    this.rcv.wnd = win * 2 ** this.rcvWscale;
    const edge = seqAdd(this.rcv.nxt, this.rcv.wnd);
    if (seqGt(edge, this.rcv.mwndSeq)) this.rcv.mwndSeq = edge;
    if (this.rcv.nxt !== this.lastAckSent || this.ackNow || this.delayedAckAt !== undefined) {
      if (this.quickAcks > 0) this.quickAcks--;
    }
    this.lastAckSent = this.rcv.nxt;
    this.ackNow = false;
    this.delayedAckAt = undefined;
    return true;
  }

  /** RFC 2018 §4: the block holding the latest segment first, then the most recently changed. */
  private addSack(): void {
    const n = this.ooo.recentOrder(this.sackIdx, this.tsOk ? 3 : 4);
    const base = this.rcv.nxt;
    const b = this.sackBlocks;
    for (let i = 0; i < n; i++) {
      const k = this.sackIdx[i]!;
      b[2 * i] = seqAdd(base, this.ooo.start(k));
      b[2 * i + 1] = seqAdd(base, this.ooo.end(k));
    }
    if (this.out.options.encodedLength() + 4 + 8 * n <= TCP_MAX_OPTIONS_LEN) {
      this.out.options.addNop();
      this.out.options.addNop();
      this.out.options.addSack(b, n);
    }
  }

  // =============================================================== state changes

  /** Set the FIN to go after the queued data and move to `next` (FIN-WAIT-1 or LAST-ACK). */
  queueFin(next: TcpState): void {
    this.finQueued = true;
    this.state = next;
  }

  /** Enter TIME-WAIT: only the 60 s timer runs. */
  toTimeWait(now: Instant): void {
    this.state = TcpState.TIME_WAIT;
    this.rtxAt = undefined;
    this.persistAt = undefined;
    this.finWait2At = undefined;
    this.timeWaitAt = (now + this.cfg.timeWaitUs) as Instant;
  }

  /** Enter CLOSED: all timers stop. The receive queue stays readable. */
  toClosed(): void {
    this.state = TcpState.CLOSED;
    this.rtxAt = undefined;
    this.tlpAt = undefined;
    this.reoAt = undefined;
    this.keepaliveAt = undefined;
    this.delayedAckAt = undefined;
    this.persistAt = undefined;
    this.timeWaitAt = undefined;
    this.finWait2At = undefined;
    this.ackNow = false;
    this.sndQueue.clear();
  }

  /** Drop both queues and the out-of-order ranges and release the queues' storage (CLOSED only). */
  purgeQueues(): void {
    this.rcvQueue.clear();
    this.rcvQueue.resize(0);
    this.ooo.clear();
    this.sndQueue.clear();
    this.sndQueue.resize(0);
  }

  /** The connection failed with `errno` (reported once through recv/send/SO_ERROR). */
  fail(errno: number): void {
    this.err = errno;
    this.toClosed();
  }

  /**
   * Queue an answer to an out-of-window segment, at most one per `tcp_invalid_ratelimit` (Linux
   * applies the limit to segments without data, and to challenge ACKs).
   */
  oowAck(now: Instant, limited: boolean): void {
    if (limited) {
      if (this.lastOowAckAt >= 0 && now - this.lastOowAckAt < this.cfg.invalidRatelimitUs) return;
      this.lastOowAckAt = now;
    }
    this.ackNow = true;
  }

  /** The first data after a quiet period starts quick-ACK mode (Linux tcp_event_data_recv). */
  noteDataReceived(len: number, now: Instant): void {
    // Linux tcp_measure_rcv_mss: an offload aggregate counts by the size of its segments.
    if (this.rxGsoSize > 0 && this.rxGsoSize < len) len = this.rxGsoSize;
    if (len >= this.rcvMss) this.rcvMss = Math.min(len, this.cfg.advMss);
    if (this.atoUs === 0) {
      this.enterQuickAck();
      this.atoUs = this.cfg.delAckMinUs;
    } else {
      const m = now - this.lastDataAt;
      const min = this.cfg.delAckMinUs;
      if (m <= min / 2) this.atoUs = (this.atoUs >> 1) + (min >> 1);
      else if (m < this.atoUs) this.atoUs = Math.min((this.atoUs >> 1) + m, this.rto());
      else if (m > this.rto()) this.enterQuickAck();
    }
    this.lastDataAt = now;
  }

  private enterQuickAck(): void {
    const n = Math.floor(this.rcvQueue.capacity / (2 * this.rcvMss));
    this.quickAcks = Math.min(MAX_QUICKACKS, Math.max(2, n));
  }

  /** After in-order data: ACK now (quick-ACK, two full segments, holes) or arm the delayed ACK. */
  scheduleAck(now: Instant): void {
    if (this.ackNow) return;
    if (
      seqSub(this.rcv.nxt, this.lastAckSent) > this.rcvMss ||
      (this.quickAcks > 0 && !this.pingpong) ||
      this.ooo.count > 0
    ) {
      this.ackNow = true;
      return;
    }
    if (this.delayedAckAt !== undefined) return;
    let ato = this.atoUs;
    if (ato === 0) {
      this.ackNow = true;
      return;
    }
    if (ato > this.cfg.delAckMinUs) {
      let max = this.pingpong ? this.cfg.delAckMaxUs : 500_000;
      if (this.rtt.hasSample) {
        const r = Math.max(this.rtt.srttUs, this.cfg.delAckMinUs);
        if (r < max) max = r;
      }
      ato = Math.min(ato, max);
    }
    this.delayedAckAt = (now + ato) as Instant;
  }
}
