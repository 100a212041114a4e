/**
 * The names a `%{ }%` code block sees (LANGUAGE.md §10): Linux's `struct tcp_info` fields in
 * declaration order with their C types (include/uapi/linux/tcp.h, Linux 6.18, including the
 * AccECN bitfield word at the end), the `SO_MEMINFO` indices, the `TCP_CC_INFO` names and the
 * `TCP_*` / `TCPI_OPT_*` constants packetdrill defines before each snippet.
 */

/** A C field type; `bits` marks a bitfield of that width inside the given storage type. */
export interface TcpInfoField {
  readonly name: string;
  readonly ctype: '__u8' | '__u16' | '__u32' | '__u64';
  readonly bits?: number;
}

const f = (name: string, ctype: TcpInfoField['ctype'], bits?: number): TcpInfoField =>
  bits === undefined ? { name, ctype } : { name, ctype, bits };

/** Every `tcpi_*` field of `struct tcp_info`, in declaration order. */
export const TCP_INFO_FIELDS: readonly TcpInfoField[] = [
  f('tcpi_state', '__u8'),
  f('tcpi_ca_state', '__u8'),
  f('tcpi_retransmits', '__u8'),
  f('tcpi_probes', '__u8'),
  f('tcpi_backoff', '__u8'),
  f('tcpi_options', '__u8'),
  f('tcpi_snd_wscale', '__u8', 4),
  f('tcpi_rcv_wscale', '__u8', 4),
  f('tcpi_delivery_rate_app_limited', '__u8', 1),
  f('tcpi_fastopen_client_fail', '__u8', 2),
  f('tcpi_rto', '__u32'),
  f('tcpi_ato', '__u32'),
  f('tcpi_snd_mss', '__u32'),
  f('tcpi_rcv_mss', '__u32'),
  f('tcpi_unacked', '__u32'),
  f('tcpi_sacked', '__u32'),
  f('tcpi_lost', '__u32'),
  f('tcpi_retrans', '__u32'),
  f('tcpi_fackets', '__u32'),
  f('tcpi_last_data_sent', '__u32'),
  f('tcpi_last_ack_sent', '__u32'),
  f('tcpi_last_data_recv', '__u32'),
  f('tcpi_last_ack_recv', '__u32'),
  f('tcpi_pmtu', '__u32'),
  f('tcpi_rcv_ssthresh', '__u32'),
  f('tcpi_rtt', '__u32'),
  f('tcpi_rttvar', '__u32'),
  f('tcpi_snd_ssthresh', '__u32'),
  f('tcpi_snd_cwnd', '__u32'),
  f('tcpi_advmss', '__u32'),
  f('tcpi_reordering', '__u32'),
  f('tcpi_rcv_rtt', '__u32'),
  f('tcpi_rcv_space', '__u32'),
  f('tcpi_total_retrans', '__u32'),
  f('tcpi_pacing_rate', '__u64'),
  f('tcpi_max_pacing_rate', '__u64'),
  f('tcpi_bytes_acked', '__u64'),
  f('tcpi_bytes_received', '__u64'),
  f('tcpi_segs_out', '__u32'),
  f('tcpi_segs_in', '__u32'),
  f('tcpi_notsent_bytes', '__u32'),
  f('tcpi_min_rtt', '__u32'),
  f('tcpi_data_segs_in', '__u32'),
  f('tcpi_data_segs_out', '__u32'),
  f('tcpi_delivery_rate', '__u64'),
  f('tcpi_busy_time', '__u64'),
  f('tcpi_rwnd_limited', '__u64'),
  f('tcpi_sndbuf_limited', '__u64'),
  f('tcpi_delivered', '__u32'),
  f('tcpi_delivered_ce', '__u32'),
  f('tcpi_bytes_sent', '__u64'),
  f('tcpi_bytes_retrans', '__u64'),
  f('tcpi_dsack_dups', '__u32'),
  f('tcpi_reord_seen', '__u32'),
  f('tcpi_rcv_ooopack', '__u32'),
  f('tcpi_snd_wnd', '__u32'),
  f('tcpi_rcv_wnd', '__u32'),
  f('tcpi_rehash', '__u32'),
  f('tcpi_total_rto', '__u16'),
  f('tcpi_total_rto_recoveries', '__u16'),
  f('tcpi_total_rto_time', '__u32'),
  f('tcpi_received_ce', '__u32'),
  f('tcpi_delivered_e1_bytes', '__u32'),
  f('tcpi_delivered_e0_bytes', '__u32'),
  f('tcpi_delivered_ce_bytes', '__u32'),
  f('tcpi_received_e1_bytes', '__u32'),
  f('tcpi_received_e0_bytes', '__u32'),
  f('tcpi_received_ce_bytes', '__u32'),
  f('tcpi_ecn_mode', '__u32', 2),
  f('tcpi_accecn_opt_seen', '__u32', 2),
  f('tcpi_accecn_fail_mode', '__u32', 4),
  f('tcpi_options2', '__u32', 24),
];

/** The names of `TCP_INFO_FIELDS`, for quick membership tests. */
export const TCP_INFO_NAMES: ReadonlySet<string> = new Set(TCP_INFO_FIELDS.map((x) => x.name));

/** `SO_MEMINFO` array indices (include/uapi/linux/sock_diag.h), exposed as `SK_MEMINFO_<NAME>`. */
export const SK_MEMINFO_NAMES: readonly string[] = [
  'SK_MEMINFO_RMEM_ALLOC',
  'SK_MEMINFO_RCVBUF',
  'SK_MEMINFO_WMEM_ALLOC',
  'SK_MEMINFO_SNDBUF',
  'SK_MEMINFO_FWD_ALLOC',
  'SK_MEMINFO_WMEM_QUEUED',
  'SK_MEMINFO_OPTMEM',
  'SK_MEMINFO_BACKLOG',
  'SK_MEMINFO_DROPS',
];

/** `TCP_CC_INFO` names packetdrill emits (BBR, DCTCP and Vegas views of the union). */
export const TCP_CC_INFO_NAMES: readonly string[] = [
  'bbr_bw_lo',
  'bbr_bw_hi',
  'bbr_bw',
  'bbr_min_rtt',
  'bbr_pacing_gain',
  'bbr_cwnd_gain',
  'dctcp_enabled',
  'dctcp_ce_state',
  'dctcp_alpha',
  'dctcp_ab_ecn',
  'dctcp_ab_tot',
  'tcpv_enabled',
  'tcpv_rttcnt',
  'tcp_rtt',
  'tcp_minrtt',
];

/** Constants defined before every snippet: TCP states, congestion-avoidance states, option bits. */
export const TCP_CODE_CONSTANTS: Readonly<Record<string, number>> = {
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
  TCP_CA_Open: 0,
  TCP_CA_Disorder: 1,
  TCP_CA_CWR: 2,
  TCP_CA_Recovery: 3,
  TCP_CA_Loss: 4,
  TCPI_OPT_TIMESTAMPS: 1,
  TCPI_OPT_SACK: 2,
  TCPI_OPT_WSCALE: 4,
  TCPI_OPT_ECN: 8,
  TCPI_OPT_ECN_SEEN: 16,
  TCPI_OPT_SYN_DATA: 32,
  TCPI_OPT_USEC_TS: 64,
  TCPI_OPT_TFO_CHILD: 128,
};
