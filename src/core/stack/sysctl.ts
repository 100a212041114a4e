/**
 * Per-stack configuration under Linux sysctl names, like one network namespace. The `linux`
 * profile's defaults are those of a fresh network namespace on Linux 6.18 (read from
 * /proc/sys in a new namespace), except where the host's build choice differs from upstream
 * (default congestion control: cubic). wirestack's own knobs sit beside Linux's under the same
 * naming scheme.
 *
 * Values are set from text as with `sysctl -w` / `/proc/sys` writes: one integer, a whitespace-
 * separated integer vector, or a string; a bad value is refused with EINVAL and changes nothing.
 */
import { ERRNO } from '../socket/linux.js';

export type SysctlValue = number | readonly number[] | string;

export interface SysctlDef {
  readonly name: string;
  readonly kind: 'int' | 'ints' | 'string';
  readonly default: SysctlValue;
  /** Inclusive bounds for ints (each element for vectors). */
  readonly min?: number;
  readonly max?: number;
  /** Allowed words for strings (e.g. congestion control names), when restricted. */
  readonly choices?: readonly string[];
}

const i = (name: string, d: number, min?: number, max?: number): SysctlDef => ({
  name,
  kind: 'int',
  default: d,
  ...(min === undefined ? {} : { min }),
  ...(max === undefined ? {} : { max }),
});
const v = (name: string, d: readonly number[]): SysctlDef => ({ name, kind: 'ints', default: d, min: 0 });
const s = (name: string, d: string): SysctlDef => ({ name, kind: 'string', default: d });

/** Linux's values in a fresh network namespace (see the header comment). */
const LINUX_DEFAULTS: readonly SysctlDef[] = [
  i('net.core.optmem_max', 131072),
  i('net.core.rmem_default', 212992),
  i('net.core.rmem_max', 4194304),
  i('net.core.somaxconn', 4096),
  i('net.core.wmem_default', 212992),
  i('net.core.wmem_max', 4194304),
  i('net.ipv4.icmp_echo_ignore_all', 0),
  i('net.ipv4.icmp_ratelimit', 1000),
  i('net.ipv4.ip_default_ttl', 64),
  i('net.ipv4.ip_forward', 0),
  v('net.ipv4.ip_local_port_range', [32768, 60999]),
  i('net.ipv4.ip_no_pmtu_disc', 0),
  i('net.ipv4.ipfrag_high_thresh', 4194304),
  i('net.ipv4.ipfrag_low_thresh', 3145728),
  i('net.ipv4.ipfrag_max_dist', 64),
  i('net.ipv4.ipfrag_time', 30),
  i('net.ipv4.tcp_abort_on_overflow', 0),
  i('net.ipv4.tcp_adv_win_scale', 1),
  s('net.ipv4.tcp_allowed_congestion_control', 'reno cubic'),
  i('net.ipv4.tcp_app_win', 31),
  i('net.ipv4.tcp_autocorking', 1),
  s('net.ipv4.tcp_available_congestion_control', 'reno cubic'),
  i('net.ipv4.tcp_backlog_ack_defer', 1),
  i('net.ipv4.tcp_base_mss', 1024),
  i('net.ipv4.tcp_challenge_ack_limit', 2147483647),
  i('net.ipv4.tcp_comp_sack_delay_ns', 1000000),
  i('net.ipv4.tcp_comp_sack_nr', 44),
  i('net.ipv4.tcp_comp_sack_slack_ns', 100000),
  s('net.ipv4.tcp_congestion_control', 'cubic'),
  i('net.ipv4.tcp_dsack', 1),
  i('net.ipv4.tcp_early_retrans', 3),
  i('net.ipv4.tcp_ecn', 2),
  i('net.ipv4.tcp_ecn_fallback', 1),
  i('net.ipv4.tcp_ecn_option', 2),
  i('net.ipv4.tcp_ecn_option_beacon', 3),
  i('net.ipv4.tcp_fack', 0),
  i('net.ipv4.tcp_fastopen', 1),
  i('net.ipv4.tcp_fastopen_blackhole_timeout_sec', 0),
  s('net.ipv4.tcp_fastopen_key', '00000000-00000000-00000000-00000000'),
  i('net.ipv4.tcp_fin_timeout', 60),
  i('net.ipv4.tcp_frto', 2),
  i('net.ipv4.tcp_invalid_ratelimit', 500),
  i('net.ipv4.tcp_keepalive_intvl', 75),
  i('net.ipv4.tcp_keepalive_probes', 9),
  i('net.ipv4.tcp_keepalive_time', 7200),
  i('net.ipv4.tcp_limit_output_bytes', 4194304),
  i('net.ipv4.tcp_max_reordering', 300),
  i('net.ipv4.tcp_max_syn_backlog', 2048),
  i('net.ipv4.tcp_max_tw_buckets', 131072),
  i('net.ipv4.tcp_min_rtt_wlen', 300),
  i('net.ipv4.tcp_min_snd_mss', 48),
  i('net.ipv4.tcp_min_tso_segs', 2),
  i('net.ipv4.tcp_moderate_rcvbuf', 1),
  i('net.ipv4.tcp_mtu_probe_floor', 48),
  i('net.ipv4.tcp_mtu_probing', 0),
  i('net.ipv4.tcp_no_metrics_save', 0),
  i('net.ipv4.tcp_no_ssthresh_metrics_save', 1),
  i('net.ipv4.tcp_notsent_lowat', 4294967295),
  i('net.ipv4.tcp_orphan_retries', 0),
  i('net.ipv4.tcp_pacing_ca_ratio', 120),
  i('net.ipv4.tcp_pacing_ss_ratio', 200),
  i('net.ipv4.tcp_pingpong_thresh', 1),
  i('net.ipv4.tcp_probe_interval', 600),
  i('net.ipv4.tcp_probe_threshold', 8),
  // A proposed Linux knob (not in 6.18): a RST in CLOSE-WAIT purges the receive queue (docs/rst-close-wait.md).
  i('net.ipv4.tcp_purge_receive_queue', 0, 0, 1),
  i('net.ipv4.tcp_recovery', 1),
  i('net.ipv4.tcp_reflect_tos', 0),
  i('net.ipv4.tcp_reordering', 3),
  i('net.ipv4.tcp_retrans_collapse', 1),
  i('net.ipv4.tcp_retries1', 3),
  i('net.ipv4.tcp_retries2', 15),
  i('net.ipv4.tcp_rfc1337', 0),
  v('net.ipv4.tcp_rmem', [4096, 131072, 33554432]),
  i('net.ipv4.tcp_rto_max_ms', 120000),
  i('net.ipv4.tcp_rto_min_us', 200000),
  i('net.ipv4.tcp_sack', 1),
  i('net.ipv4.tcp_shrink_window', 0),
  i('net.ipv4.tcp_slow_start_after_idle', 1),
  i('net.ipv4.tcp_stdurg', 0),
  i('net.ipv4.tcp_syn_linear_timeouts', 4),
  i('net.ipv4.tcp_syn_retries', 6),
  i('net.ipv4.tcp_synack_retries', 5),
  i('net.ipv4.tcp_syncookies', 1),
  i('net.ipv4.tcp_thin_linear_timeouts', 0),
  i('net.ipv4.tcp_timestamps', 1),
  i('net.ipv4.tcp_tso_rtt_log', 9),
  i('net.ipv4.tcp_tso_win_divisor', 3),
  i('net.ipv4.tcp_tw_reuse', 2),
  i('net.ipv4.tcp_tw_reuse_delay', 1000),
  i('net.ipv4.tcp_window_scaling', 1),
  v('net.ipv4.tcp_wmem', [4096, 16384, 4194304]),
  i('net.ipv4.tcp_workaround_signed_windows', 0),
  i('net.ipv6.conf.default.hop_limit', 64),
  i('net.ipv6.conf.default.mtu', 1280),
  i('net.ipv6.ip6frag_high_thresh', 4194304),
  i('net.ipv6.ip6frag_low_thresh', 3145728),
  i('net.ipv6.ip6frag_time', 60),
  // Global (not per-namespace) on Linux, per stack here.
  i('net.ipv4.tcp_max_orphans', 4096, 0),
  // The IPv4-mapped/IPv6 counterparts a socket layer needs.
  i('net.ipv6.bindv6only', 0, 0, 1),
  // wirestack's own: seconds between inactivity sweeps of the TCP table, 0 = off (docs/inactivity.md).
  i('net.wirestack.tcp_inactivity_interval', 7200, 0, 2147483647),
  // wirestack's own: RFC 7323 §2.4 receiver rules after a window retraction, 0 = Linux 6.18's
  // (docs/window-retraction.md).
  i('net.wirestack.tcp_rfc7323_mwnd', 1, 0, 1),
  // wirestack's own: the CUBIC module parameters, per stack (Linux /sys/module/tcp_cubic/parameters).
  i('net.wirestack.cubic_fast_convergence', 1, 0, 1),
  i('net.wirestack.cubic_beta', 717, 1, 1023),
  i('net.wirestack.cubic_initial_ssthresh', 0, 0, 2147483647),
  i('net.wirestack.cubic_bic_scale', 41, 1, 2147483647),
  i('net.wirestack.cubic_tcp_friendliness', 1, 0, 1),
  i('net.wirestack.cubic_hystart', 1, 0, 1),
  i('net.wirestack.cubic_hystart_detect', 3, 0, 3),
  i('net.wirestack.cubic_hystart_low_window', 16, 0, 2147483647),
  i('net.wirestack.cubic_hystart_ack_delta_us', 2000, 0, 2147483647),
];

/** Booleans and small enumerations whose range Linux enforces (proc_dou8vec_minmax and friends). */
const RANGES: Readonly<Record<string, readonly [number, number]>> = {
  'net.ipv4.tcp_sack': [0, 1],
  'net.ipv4.tcp_dsack': [0, 1],
  'net.ipv4.tcp_timestamps': [0, 2],
  'net.ipv4.tcp_window_scaling': [0, 1],
  'net.ipv4.tcp_syncookies': [0, 2],
  'net.ipv4.tcp_shrink_window': [0, 1],
  'net.ipv4.tcp_slow_start_after_idle': [0, 1],
  'net.ipv4.tcp_recovery': [0, 7],
  'net.ipv4.tcp_early_retrans': [0, 4],
  'net.ipv4.tcp_frto': [0, 2],
  'net.ipv4.tcp_rfc1337': [0, 1],
  'net.ipv4.tcp_mtu_probing': [0, 2],
  'net.ipv4.tcp_syn_retries': [1, 127],
  'net.ipv4.tcp_synack_retries': [0, 255],
  'net.ipv4.tcp_tso_win_divisor': [1, 255],
  'net.ipv4.tcp_min_tso_segs': [1, 255],
  'net.ipv4.tcp_rto_min_us': [1, 2147483647],
  'net.ipv4.tcp_rto_max_ms': [1000, 120000],
  'net.ipv4.tcp_pingpong_thresh': [1, 255],
  'net.ipv4.tcp_abort_on_overflow': [0, 1],
  'net.ipv4.tcp_autocorking': [0, 1],
  'net.ipv4.tcp_moderate_rcvbuf': [0, 1],
  'net.ipv4.tcp_keepalive_time': [1, 2147483647],
  'net.ipv4.tcp_keepalive_intvl': [1, 2147483647],
  'net.ipv4.tcp_keepalive_probes': [1, 127],
};

function withRange(d: SysctlDef): SysctlDef {
  const r = RANGES[d.name];
  if (r && d.kind === 'int') return { ...d, min: r[0], max: r[1] };
  if (d.name.endsWith('congestion_control') && d.kind === 'string' && !d.name.includes('available')) {
    return { ...d, choices: ['reno', 'cubic'] };
  }
  return d;
}

export const SYSCTL_DEFS: ReadonlyMap<string, SysctlDef> = new Map(
  LINUX_DEFAULTS.map((d) => [d.name, withRange(d)] as const),
);

/** Accepts `net.ipv4.tcp_sack`, `net/ipv4/tcp_sack` and `/proc/sys/net/ipv4/tcp_sack`. */
export function canonicalSysctlName(name: string): string {
  let n = name.trim();
  if (n.startsWith('/proc/sys/')) n = n.slice('/proc/sys/'.length);
  return n.replaceAll('/', '.');
}

export class Sysctls {
  private readonly values = new Map<string, SysctlValue>();

  constructor(
    private readonly defs: ReadonlyMap<string, SysctlDef> = SYSCTL_DEFS,
    overrides: Readonly<Record<string, SysctlValue>> = {},
  ) {
    for (const d of defs.values()) this.values.set(d.name, d.default);
    for (const [k, val] of Object.entries(overrides)) this.values.set(canonicalSysctlName(k), val);
  }

  has(name: string): boolean {
    return this.defs.has(canonicalSysctlName(name));
  }

  names(): string[] {
    return [...this.defs.keys()].sort();
  }

  /** The value of an integer sysctl (the first element of a vector). Unknown names are a programming error. */
  int(name: string): number {
    const val = this.values.get(name);
    if (typeof val === 'number') return val;
    if (Array.isArray(val)) return val[0] as number;
    throw new Error(`sysctl ${name} is not an integer`);
  }

  ints(name: string): readonly number[] {
    const val = this.values.get(name);
    if (Array.isArray(val)) return val;
    if (typeof val === 'number') return [val];
    throw new Error(`sysctl ${name} is not an integer vector`);
  }

  str(name: string): string {
    const val = this.values.get(name);
    if (val === undefined) throw new Error(`sysctl ${name} is unknown`);
    return typeof val === 'string' ? val : this.format(name);
  }

  get(name: string): SysctlValue | undefined {
    return this.values.get(canonicalSysctlName(name));
  }

  /** The value as `sysctl` prints it (vectors tab-separated). */
  format(name: string): string {
    const val = this.values.get(canonicalSysctlName(name));
    if (val === undefined) return '';
    return Array.isArray(val) ? val.join('\t') : String(val);
  }

  /**
   * Set from text as a `/proc/sys` write does. Returns 0, ENOENT for an unknown name, or EINVAL for
   * a value of the wrong shape or out of range (the old value stays).
   */
  set(name: string, text: string): number {
    const key = canonicalSysctlName(name);
    const def = this.defs.get(key);
    if (!def) return ERRNO.ENOENT;
    const t = text.trim();
    if (def.kind === 'string') {
      if (t === '') return ERRNO.EINVAL;
      if (def.choices && !def.choices.includes(t)) return ERRNO.ENOENT;
      this.values.set(key, t);
      return 0;
    }
    const parts = t.split(/\s+/);
    const nums: number[] = [];
    for (const p of parts) {
      if (!/^[-+]?(0x[0-9a-fA-F]+|\d+)$/.test(p)) return ERRNO.EINVAL;
      const n = Number(p);
      if (!Number.isSafeInteger(n)) return ERRNO.EINVAL;
      if (def.min !== undefined && n < def.min) return ERRNO.EINVAL;
      if (def.max !== undefined && n > def.max) return ERRNO.EINVAL;
      nums.push(n);
    }
    if (def.kind === 'int') {
      if (nums.length !== 1) return ERRNO.EINVAL;
      this.values.set(key, nums[0]!);
    } else {
      // Like proc_dointvec: the values given replace the leading elements, the rest stay.
      const old = this.ints(key);
      if (nums.length > old.length) return ERRNO.EINVAL;
      this.values.set(key, [...nums, ...old.slice(nums.length)]);
    }
    return 0;
  }

  /** A copy of every value, for save/restore around a script (`set_sysctls.py`). */
  snapshot(): Map<string, SysctlValue> {
    return new Map(this.values);
  }

  restore(snap: ReadonlyMap<string, SysctlValue>): void {
    for (const [k, val] of snap) this.values.set(k, val);
  }
}
