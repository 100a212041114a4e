/**
 * TCP_INFO: a Linux-shaped `struct tcp_info` filled from a TCB. Fields the TCB keeps are real
 * (listed in `TCP_INFO_REAL`); the others are 0 until the TCB tracks them.
 */
import { TcpState } from '../tcp/segment.js';
import type { Tcb } from '../tcp/tcb.js';
import type { Instant } from '../time/time.js';
import { seqSub } from '../util/seq.js';

export interface TcpInfo {
  tcpi_state: number;
  tcpi_ca_state: number;
  tcpi_retransmits: number;
  tcpi_probes: number;
  tcpi_backoff: number;
  tcpi_options: number;
  tcpi_snd_wscale: number;
  tcpi_rcv_wscale: number;
  tcpi_rto: number;
  tcpi_ato: number;
  tcpi_snd_mss: number;
  tcpi_rcv_mss: number;
  tcpi_unacked: number;
  tcpi_sacked: number;
  tcpi_lost: number;
  tcpi_retrans: number;
  tcpi_fackets: number;
  tcpi_last_data_sent: number;
  tcpi_last_ack_sent: number;
  tcpi_last_data_recv: number;
  tcpi_last_ack_recv: number;
  tcpi_pmtu: number;
  tcpi_rcv_ssthresh: number;
  tcpi_rtt: number;
  tcpi_rttvar: number;
  tcpi_snd_ssthresh: number;
  tcpi_snd_cwnd: number;
  tcpi_advmss: number;
  tcpi_reordering: number;
  tcpi_rcv_rtt: number;
  tcpi_rcv_space: number;
  tcpi_total_retrans: number;
  tcpi_bytes_acked: number;
  tcpi_bytes_received: number;
  tcpi_notsent_bytes: number;
  tcpi_min_rtt: number;
}

/** The fields filled from real TCB state. */
export const TCP_INFO_REAL: readonly (keyof TcpInfo)[] = [
  'tcpi_state',
  'tcpi_retransmits',
  'tcpi_probes',
  'tcpi_backoff',
  'tcpi_options',
  'tcpi_snd_wscale',
  'tcpi_rcv_wscale',
  'tcpi_rto',
  'tcpi_ato',
  'tcpi_snd_mss',
  'tcpi_rcv_mss',
  'tcpi_unacked',
  'tcpi_last_data_recv',
  'tcpi_pmtu',
  'tcpi_rtt',
  'tcpi_rttvar',
  'tcpi_snd_ssthresh',
  'tcpi_snd_cwnd',
  'tcpi_advmss',
  'tcpi_rcv_space',
  'tcpi_notsent_bytes',
];

const TCPI_OPT_TIMESTAMPS = 1;
const TCPI_OPT_SACK = 2;
const TCPI_OPT_WSCALE = 4;
const INFINITE_SSTHRESH = 0x7fffffff;

function zero(): TcpInfo {
  return {
    tcpi_state: 0,
    tcpi_ca_state: 0,
    tcpi_retransmits: 0,
    tcpi_probes: 0,
    tcpi_backoff: 0,
    tcpi_options: 0,
    tcpi_snd_wscale: 0,
    tcpi_rcv_wscale: 0,
    tcpi_rto: 0,
    tcpi_ato: 0,
    tcpi_snd_mss: 0,
    tcpi_rcv_mss: 0,
    tcpi_unacked: 0,
    tcpi_sacked: 0,
    tcpi_lost: 0,
    tcpi_retrans: 0,
    tcpi_fackets: 0,
    tcpi_last_data_sent: 0,
    tcpi_last_ack_sent: 0,
    tcpi_last_data_recv: 0,
    tcpi_last_ack_recv: 0,
    tcpi_pmtu: 0,
    tcpi_rcv_ssthresh: 0,
    tcpi_rtt: 0,
    tcpi_rttvar: 0,
    tcpi_snd_ssthresh: 0,
    tcpi_snd_cwnd: 0,
    tcpi_advmss: 0,
    tcpi_reordering: 0,
    tcpi_rcv_rtt: 0,
    tcpi_rcv_space: 0,
    tcpi_total_retrans: 0,
    tcpi_bytes_acked: 0,
    tcpi_bytes_received: 0,
    tcpi_notsent_bytes: 0,
    tcpi_min_rtt: 0,
  };
}

/** TCP_INFO for a socket: `tcb` undefined for a listener (`listening`) or a fresh socket. */
export function tcpInfo(tcb: Tcb | undefined, listening: boolean, now: Instant, pmtu: number): TcpInfo {
  const i = zero();
  if (tcb === undefined) {
    i.tcpi_state = listening ? TcpState.LISTEN : TcpState.CLOSED;
    i.tcpi_rto = listening ? 0 : 1_000_000;
    i.tcpi_snd_mss = 536;
    i.tcpi_rcv_mss = 536;
    i.tcpi_snd_cwnd = 10;
    i.tcpi_snd_ssthresh = INFINITE_SSTHRESH;
    return i;
  }
  i.tcpi_state = tcb.state;
  i.tcpi_retransmits = tcb.retransmits;
  // Linux keeps one probe count and one backoff for retransmissions, window and keepalive probes.
  i.tcpi_probes = Math.max(tcb.probes, tcb.kaProbes);
  i.tcpi_backoff = tcb.persistAt !== undefined ? tcb.persistBackoff : tcb.backoff;
  let o = 0;
  if (tcb.tsOk) o |= TCPI_OPT_TIMESTAMPS;
  if (tcb.sackOk) o |= TCPI_OPT_SACK;
  if (tcb.wsOk) o |= TCPI_OPT_WSCALE;
  i.tcpi_options = o;
  if (tcb.wsOk) {
    i.tcpi_snd_wscale = tcb.sndWscale;
    i.tcpi_rcv_wscale = tcb.rcvWscale;
  }
  i.tcpi_rto = tcb.rto();
  i.tcpi_ato = tcb.atoUs;
  i.tcpi_snd_mss = tcb.sndMss;
  i.tcpi_rcv_mss = tcb.rcvMss;
  const flight = seqSub(tcb.snd.nxt, tcb.snd.una);
  i.tcpi_unacked = flight > 0 && tcb.sndMss > 0 ? Math.ceil(flight / tcb.sndMss) : 0;
  const ms = (at: number): number => (at > 0 ? Math.floor((now - at) / 1000) : 0);
  i.tcpi_last_data_recv = ms(tcb.lastDataAt);
  i.tcpi_last_data_sent = ms(tcb.lastSendAt);
  i.tcpi_last_ack_recv = ms(tcb.lastAckAt);
  i.tcpi_pmtu = pmtu;
  i.tcpi_rcv_ssthresh = tcb.advertisableWindow();
  i.tcpi_rtt = tcb.rtt.srttUs;
  i.tcpi_rttvar = tcb.rtt.mdevUs;
  i.tcpi_snd_ssthresh = tcb.ssthresh;
  i.tcpi_snd_cwnd = tcb.cwnd;
  i.tcpi_advmss = tcb.cfg.advMss;
  i.tcpi_rcv_space = tcb.cfg.rcvBuf;
  i.tcpi_notsent_bytes = Math.max(0, tcb.unsent());
  if (tcb.state === TcpState.CLOSED) i.tcpi_state = TcpState.CLOSED;
  return i;
}
