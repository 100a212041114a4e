/**
 * `TcpConfig`: everything a TCB reads from its stack's sysctls and its socket's options, resolved
 * once when the connection is created (like Linux, a connection keeps the values it started with).
 *
 * `tcpConfig(sysctls, opts)` applies the `linux` profile: IW10, initial RTO 1 s, minimum RTO
 * `tcp_rto_min_us` (200 ms), delayed ACK 40 ms..200 ms with quick-ack at connection start,
 * TIME-WAIT 60 s, SYN retries 1 s apart for `tcp_syn_linear_timeouts` then doubling, bounded by the
 * time budget of `tcp_syn_retries` (as Linux 6.18 does), SYN-ACK retries by `tcp_synack_retries`.
 */
import type { Sysctls } from '../stack/sysctl.js';
import { cubicParams, type CubicParams } from './cc/index.js';
import { INITIAL_RTO_US } from './rtt.js';

/** RFC 9293 §3.7.1: the MSS assumed when the peer sends no MSS option (Linux `TCP_MSS_DEFAULT`). */
export const DEFAULT_PEER_MSS = 536;
/** Linux `TCP_MIN_MSS`. */
export const MIN_MSS = 88;
/** Linux `TCP_TIMEWAIT_LEN`: TIME-WAIT lasts 60 s, not 2·MSL. */
export const TIME_WAIT_US = 60_000_000;
/** Linux `TCP_DELACK_MIN` / `TCP_ATO_MIN` and `TCP_DELACK_MAX`. */
export const DELACK_MIN_US = 40_000;
export const DELACK_MAX_US = 200_000;
/** Linux `TCP_MAX_QUICKACKS`. */
export const MAX_QUICKACKS = 16;
/** RFC 7323 §2.3: the largest shift count. */
export const MAX_WSCALE = 14;

export interface TcpSocketOptions {
  /** TCP_MAXSEG (0 = from the route: `mtuMss`). */
  maxSeg?: number;
  /** The MSS the path allows (MTU − 40 for IPv4, MTU − 60 for IPv6). Default 1460. */
  mtuMss?: number;
  /** SO_RCVBUF as set by the application (Linux doubles it); undefined = tcp_rmem[1]. */
  rcvBuf?: number;
  /** SO_SNDBUF as set by the application (Linux doubles it); undefined = tcp_wmem[1]. */
  sndBuf?: number;
  /** TCP_NODELAY. */
  nodelay?: boolean;
  /** SO_KEEPALIVE, and TCP_KEEPIDLE / TCP_KEEPINTVL (seconds) / TCP_KEEPCNT (0: the sysctl). */
  keepalive?: boolean;
  keepIdleS?: number;
  keepIntvlS?: number;
  keepCnt?: number;
  /** TCP_USER_TIMEOUT in ms (0: off). */
  userTimeoutMs?: number;
  /** TCP_NOTSENT_LOWAT in bytes (undefined: `tcp_notsent_lowat`). */
  notsentLowat?: number;
  /** IP_TOS / IPV6_TCLASS of outgoing segments. */
  tos?: number;
  /** IP_MTU_DISCOVER: false for IP_PMTUDISC_DONT (no DF bit). */
  pmtuDiscover?: boolean;
  /** TCP_CONGESTION (undefined: `tcp_congestion_control`). */
  congestion?: string;
}

export interface TcpConfig {
  /** The MSS we advertise in our SYN (advmss). */
  advMss: number;
  /** The largest segment the path takes (before options). */
  mtuMss: number;
  /** TCP_MAXSEG as set by the application (0 = none): it also caps the MSS we send with. */
  userMss: number;
  /** Receive and send queue sizes in bytes (ring capacities). */
  rcvBuf: number;
  sndBuf: number;
  /** The window scale shift we offer (RFC 7323), or -1 when window scaling is off. */
  rcvWscale: number;
  sack: boolean;
  timestamps: boolean;
  nodelay: boolean;
  /** Initial congestion window in segments (IW10). */
  initCwnd: number;
  rtoInitUs: number;
  rtoMinUs: number;
  rtoMaxUs: number;
  delAckMinUs: number;
  delAckMaxUs: number;
  timeWaitUs: number;
  /** FIN-WAIT-2 lifetime of a closed (orphaned) connection, `tcp_fin_timeout`. */
  finTimeoutUs: number;
  synRetries: number;
  /**
   * SYN retransmissions at the initial RTO before the backoff starts doubling
   * (`tcp_syn_linear_timeouts`, Linux 6.x; 4 by default).
   */
  synLinearTimeouts: number;
  synackRetries: number;
  /** Retransmissions of data before the connection is given up (`tcp_retries2`). */
  retries2: number;
  /** Minimum gap between answers to out-of-window segments (`tcp_invalid_ratelimit`), µs. */
  invalidRatelimitUs: number;
  /** Duplicate ACKs / SACKed segments before a loss is assumed (`tcp_reordering`). */
  reordering: number;
  /** RACK loss detection (`tcp_recovery` bit 0). */
  rack: boolean;
  /** The most reordering believed (`tcp_max_reordering`). */
  maxReordering: number;
  /** Tail loss probes (`tcp_early_retrans` 3 or 4). */
  earlyRetrans: number;
  /** `tcp_congestion_control` at creation. */
  cc: string;
  /** The stack's CUBIC module parameters (`net.wirestack.cubic_*`); defaults when absent. */
  ccParams?: CubicParams;
  /** SO_KEEPALIVE and its timing (`tcp_keepalive_time/intvl/probes` unless set per socket). */
  keepalive: boolean;
  keepIdleUs: number;
  keepIntvlUs: number;
  keepCnt: number;
  /** TCP_USER_TIMEOUT, µs (0: off). */
  userTimeoutUs: number;
  /** `tcp_shrink_window`: the advertised right edge may move left (docs/window-retraction.md). */
  shrinkWindow?: boolean;
  /** `net.wirestack.tcp_rfc7323_mwnd` (default on): accept up to the largest edge ever advertised. */
  rfc7323Mwnd?: boolean;
  /** TCP_NOTSENT_LOWAT / `tcp_notsent_lowat`: the most unsent data a write may leave queued. */
  notsentLowat: number;
  /** IP_TOS / IPV6_TCLASS (DSCP << 2 | ECN) of outgoing segments. */
  tos: number;
  /** Path MTU discovery (DF set); IP_MTU_DISCOVER = IP_PMTUDISC_DONT turns it off. */
  pmtuDiscover: boolean;
}

/**
 * The shift Linux offers for a receive space of `space` bytes: the smallest that makes the space
 * fit 16 bits, at most 14 (tcp_select_initial_window).
 */
export function wscaleFor(space: number): number {
  let ws = 0;
  while (space > 0xffff && ws < MAX_WSCALE) {
    space = Math.floor(space / 2);
    ws++;
  }
  return ws;
}

export function tcpConfig(sysctls: Sysctls, opts: TcpSocketOptions = {}): TcpConfig {
  const rmem = sysctls.ints('net.ipv4.tcp_rmem');
  const wmem = sysctls.ints('net.ipv4.tcp_wmem');
  const mtuMss = opts.mtuMss ?? 1460;
  const advMss = opts.maxSeg !== undefined && opts.maxSeg > 0 ? Math.min(opts.maxSeg, mtuMss) : mtuMss;
  const rcvBuf = opts.rcvBuf !== undefined ? 2 * opts.rcvBuf : rmem[1]!;
  const sndBuf = opts.sndBuf !== undefined ? 2 * opts.sndBuf : wmem[1]!;
  // A locked buffer (SO_RCVBUF) bounds the offered scale; otherwise the largest the stack allows.
  const space =
    opts.rcvBuf !== undefined ? rcvBuf : Math.max(rmem[2]!, sysctls.int('net.core.rmem_max'));
  return {
    advMss: Math.max(MIN_MSS, advMss),
    mtuMss,
    userMss: opts.maxSeg !== undefined && opts.maxSeg > 0 ? opts.maxSeg : 0,
    rcvBuf,
    sndBuf,
    rcvWscale: sysctls.int('net.ipv4.tcp_window_scaling') ? wscaleFor(space) : -1,
    sack: sysctls.int('net.ipv4.tcp_sack') !== 0,
    timestamps: sysctls.int('net.ipv4.tcp_timestamps') !== 0,
    nodelay: opts.nodelay ?? false,
    initCwnd: 10,
    rtoInitUs: INITIAL_RTO_US,
    rtoMinUs: sysctls.int('net.ipv4.tcp_rto_min_us'),
    rtoMaxUs: sysctls.int('net.ipv4.tcp_rto_max_ms') * 1000,
    delAckMinUs: DELACK_MIN_US,
    delAckMaxUs: DELACK_MAX_US,
    timeWaitUs: TIME_WAIT_US,
    finTimeoutUs: sysctls.int('net.ipv4.tcp_fin_timeout') * 1_000_000,
    synRetries: sysctls.int('net.ipv4.tcp_syn_retries'),
    synLinearTimeouts: sysctls.int('net.ipv4.tcp_syn_linear_timeouts'),
    synackRetries: sysctls.int('net.ipv4.tcp_synack_retries'),
    retries2: sysctls.int('net.ipv4.tcp_retries2'),
    invalidRatelimitUs: sysctls.int('net.ipv4.tcp_invalid_ratelimit') * 1000,
    reordering: Math.max(1, sysctls.int('net.ipv4.tcp_reordering')),
    rack: (sysctls.int('net.ipv4.tcp_recovery') & 1) !== 0,
    maxReordering: sysctls.int('net.ipv4.tcp_max_reordering'),
    earlyRetrans: sysctls.int('net.ipv4.tcp_early_retrans'),
    cc: opts.congestion ?? sysctls.str('net.ipv4.tcp_congestion_control'),
    ccParams: cubicParams(sysctls),
    keepalive: opts.keepalive ?? false,
    keepIdleUs: (opts.keepIdleS || sysctls.int('net.ipv4.tcp_keepalive_time')) * 1_000_000,
    keepIntvlUs: (opts.keepIntvlS || sysctls.int('net.ipv4.tcp_keepalive_intvl')) * 1_000_000,
    keepCnt: opts.keepCnt || sysctls.int('net.ipv4.tcp_keepalive_probes'),
    userTimeoutUs: (opts.userTimeoutMs ?? 0) * 1000,
    shrinkWindow: sysctls.int('net.ipv4.tcp_shrink_window') !== 0,
    rfc7323Mwnd: sysctls.int('net.wirestack.tcp_rfc7323_mwnd') !== 0,
    notsentLowat: opts.notsentLowat ?? sysctls.int('net.ipv4.tcp_notsent_lowat'),
    tos: opts.tos ?? 0,
    pmtuDiscover: opts.pmtuDiscover ?? sysctls.int('net.ipv4.ip_no_pmtu_disc') === 0,
  };
}

/**
 * How long Linux keeps retransmitting before giving up after `boundary` retries, µs: the time an
 * exponential schedule starting at `rtoBaseUs` takes, capped per step at `rtoMaxUs`. Linux gives up
 * on elapsed time, not on a retry count, so linear SYN timeouts fit more SYNs into the same budget
 * (observed on Linux 6.18 with tcp_syn_retries=2: SYNs at 0..5 s, ETIMEDOUT at 7 s).
 */
export function retransmitBudgetUs(boundary: number, rtoBaseUs: number, rtoMaxUs: number): number {
  const thresh = Math.floor(Math.log2(rtoMaxUs / rtoBaseUs));
  if (boundary <= thresh) return ((2 << boundary) - 1) * rtoBaseUs;
  return ((2 << thresh) - 1) * rtoBaseUs + (boundary - thresh) * rtoMaxUs;
}
