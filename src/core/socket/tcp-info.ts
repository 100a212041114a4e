/**
 * TCP_INFO: a Linux-shaped `struct tcp_info` filled from a TCB. Fields the TCB keeps are real
 * (listed in `TCP_INFO_REAL`); the others are 0 until the TCB tracks them.
 */
import { TcpState } from '../tcp/segment.js';
import type { Tcb } from '../tcp/tcb.js';
import type { Instant } from '../time/time.js';

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
  tcpi_segs_out: number;
  tcpi_segs_in: number;
  tcpi_data_segs_in: number;
  tcpi_data_segs_out: number;
  tcpi_busy_time: number;
  tcpi_rwnd_limited: number;
  tcpi_sndbuf_limited: number;
  tcpi_delivered: number;
  tcpi_bytes_sent: number;
  tcpi_bytes_retrans: number;
  tcpi_dsack_dups: number;
  tcpi_reord_seen: number;
  tcpi_snd_wnd: number;
  tcpi_rcv_wnd: number;
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
  'tcpi_ca_state',
  'tcpi_sacked',
  'tcpi_lost',
  'tcpi_retrans',
  'tcpi_last_data_sent',
  'tcpi_last_ack_recv',
  'tcpi_reordering',
  'tcpi_total_retrans',
  'tcpi_bytes_acked',
  'tcpi_bytes_received',
  'tcpi_min_rtt',
  'tcpi_segs_out',
  'tcpi_segs_in',
  'tcpi_data_segs_in',
  'tcpi_data_segs_out',
  'tcpi_busy_time',
  'tcpi_rwnd_limited',
  'tcpi_sndbuf_limited',
  'tcpi_delivered',
  'tcpi_bytes_sent',
  'tcpi_bytes_retrans',
  'tcpi_dsack_dups',
  'tcpi_reord_seen',
  'tcpi_snd_wnd',
  'tcpi_rcv_wnd',
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
    tcpi_segs_out: 0,
    tcpi_segs_in: 0,
    tcpi_data_segs_in: 0,
    tcpi_data_segs_out: 0,
    tcpi_busy_time: 0,
    tcpi_rwnd_limited: 0,
    tcpi_sndbuf_limited: 0,
    tcpi_delivered: 0,
    tcpi_bytes_sent: 0,
    tcpi_bytes_retrans: 0,
    tcpi_dsack_dups: 0,
    tcpi_reord_seen: 0,
    tcpi_snd_wnd: 0,
    tcpi_rcv_wnd: 0,
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
  // The retransmission scoreboard, in segments (Linux packets_out, sacked_out, lost_out, retrans_out).
  const sb = tcb.sb;
  i.tcpi_ca_state = tcb.caState;
  i.tcpi_unacked = sb.packetsOut;
  i.tcpi_sacked = sb.sackedOut + tcb.renoSacked;
  i.tcpi_lost = sb.lostOut;
  i.tcpi_retrans = sb.retransOut;
  i.tcpi_reordering = tcb.reordering;
  i.tcpi_total_retrans = tcb.totalRetrans;
  i.tcpi_min_rtt = tcb.rtt.minRttUs;
  i.tcpi_bytes_acked = tcb.bytesAcked;
  i.tcpi_bytes_received = tcb.bytesReceived;
  i.tcpi_segs_out = tcb.segsOut;
  i.tcpi_segs_in = tcb.segsIn;
  i.tcpi_data_segs_out = tcb.dataSegsOut;
  i.tcpi_data_segs_in = tcb.dataSegsIn;
  i.tcpi_delivered = tcb.delivered;
  i.tcpi_bytes_sent = tcb.bytesSent;
  i.tcpi_bytes_retrans = tcb.bytesRetrans;
  i.tcpi_dsack_dups = tcb.dsackDups;
  i.tcpi_reord_seen = tcb.reordSeen;
  i.tcpi_snd_wnd = tcb.snd.wnd;
  i.tcpi_rcv_wnd = tcb.rcv.wnd;
  // Linux reports the sum of all three chrono clocks as busy time.
  const [busy, rwnd, sndbuf] = tcb.chronoStats(now);
  i.tcpi_busy_time = busy + rwnd + sndbuf;
  i.tcpi_rwnd_limited = rwnd;
  i.tcpi_sndbuf_limited = sndbuf;
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
