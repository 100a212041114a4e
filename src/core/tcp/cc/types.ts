/**
 * The congestion-control plug-in interface (the shape of Linux's `tcp_congestion_ops`): one
 * instance per connection, created when the connection is and holding its own variables, so
 * nothing is allocated per ACK. Windows are in segments, times in microseconds.
 */

/** What a congestion control may read and change of its connection (TcbCore provides it). */
export interface CcSock {
  cwnd: number;
  ssthresh: number;
  /** Linux snd_cwnd_cnt: ACKed segments counted towards the next additive increase. */
  cwndCnt: number;
  /** cwnd when the current reduction began (Linux prior_cwnd). */
  readonly priorCwnd: number;
  readonly snd: { readonly una: number; readonly nxt: number };
  /** The latest time the connection saw (µs). */
  readonly now: number;
  /** When data last went out (µs; Linux lsndtime). */
  readonly lastSendAt: number;
  readonly sndMss: number;
  readonly rtt: { readonly srttUs: number };
  /** Counters the congestion control maintains (HyStart's, as Linux's TcpExt names them). */
  readonly mib: CcMib;
}

export interface CcMib {
  TcpExtTCPHystartTrainDetect: number;
  TcpExtTCPHystartTrainCwnd: number;
  TcpExtTCPHystartDelayDetect: number;
  TcpExtTCPHystartDelayCwnd: number;
}

/** Linux `enum tcp_ca_event` values the plug-ins see. */
export const CwndEvent = {
  /** The first transmission when nothing is in flight (after idle). */
  TX_START: 0,
  /** cwnd restarted after idle (RFC 7661-style restart). */
  CWND_RESTART: 1,
  /** The end of a cwnd reduction. */
  COMPLETE_CWR: 2,
  /** An RTO loss. */
  LOSS: 3,
} as const;
export type CwndEvent = (typeof CwndEvent)[keyof typeof CwndEvent];

/** Linux `enum tcp_ca_state` value for Loss (the one the plug-ins act on). */
export const CA_STATE_LOSS = 4;

export interface CongestionControl {
  /** The name `TCP_CONGESTION` and `tcp_congestion_control` use. */
  readonly name: string;
  /** (Re)start on connection establishment or when chosen on a live connection. */
  init(): void;
  /** The slow-start threshold after a loss (segments); called before cwnd is reduced. */
  ssthresh(): number;
  /** cwnd may grow (not in CWR/Recovery, data ACKed, cwnd-limited): `acked` segments were delivered. */
  congAvoid(acked: number): void;
  /** Segments were ACKed; `rttUs` is the RTT sample of this ACK, or -1 when it gave none. */
  pktsAcked(acked: number, rttUs: number): void;
  /** The congestion-avoidance state changed to `caState` (Linux `enum tcp_ca_state`). */
  setState(caState: number): void;
  cwndEvent(ev: CwndEvent): void;
  /** The cwnd to return to when a reduction proves spurious. */
  undoCwnd(): number;
}
