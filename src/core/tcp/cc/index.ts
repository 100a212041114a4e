/**
 * Congestion controls by name (`TCP_CONGESTION`, `net.ipv4.tcp_congestion_control`): `cubic`
 * (the default) and `reno`. An unknown name is ENOENT, as Linux's setsockopt reports it.
 *
 * CUBIC's module parameters are per stack, as `net.wirestack.cubic_<param>` sysctls (Linux's
 * `/sys/module/tcp_cubic/parameters/<param>`; the drill runner maps writes to those files here).
 */
import { ERRNO } from '../../socket/linux.js';
import type { Sysctls } from '../../stack/sysctl.js';
import type { Scoreboard } from '../scoreboard.js';
import { Cubic, CUBIC_DEFAULTS, type CubicParams } from './cubic.js';
import { Reno } from './reno.js';
import type { CcSock, CongestionControl } from './types.js';

export { Cubic, CUBIC_DEFAULTS, type CubicParams, HYSTART_ACK_TRAIN, HYSTART_DELAY } from './cubic.js';
export { Reno } from './reno.js';
export { CA_STATE_LOSS, type CcMib, type CcSock, type CongestionControl, CwndEvent } from './types.js';

/** The names the registry knows, in `tcp_available_congestion_control` order. */
export const CC_NAMES: readonly string[] = ['reno', 'cubic'];

/** Longest name TCP_CONGESTION accepts (Linux TCP_CA_NAME_MAX - 1). */
export const CC_NAME_MAX = 15;

/** `/sys/module/tcp_cubic/parameters/<param>` → the per-stack sysctl holding it. */
export const CUBIC_PARAM_SYSCTLS: Readonly<Record<string, { key: keyof CubicParams; sysctl: string }>> = {
  fast_convergence: { key: 'fastConvergence', sysctl: 'net.wirestack.cubic_fast_convergence' },
  beta: { key: 'beta', sysctl: 'net.wirestack.cubic_beta' },
  initial_ssthresh: { key: 'initialSsthresh', sysctl: 'net.wirestack.cubic_initial_ssthresh' },
  bic_scale: { key: 'bicScale', sysctl: 'net.wirestack.cubic_bic_scale' },
  tcp_friendliness: { key: 'tcpFriendliness', sysctl: 'net.wirestack.cubic_tcp_friendliness' },
  hystart: { key: 'hystart', sysctl: 'net.wirestack.cubic_hystart' },
  hystart_detect: { key: 'hystartDetect', sysctl: 'net.wirestack.cubic_hystart_detect' },
  hystart_low_window: { key: 'hystartLowWindow', sysctl: 'net.wirestack.cubic_hystart_low_window' },
  hystart_ack_delta_us: { key: 'hystartAckDeltaUs', sysctl: 'net.wirestack.cubic_hystart_ack_delta_us' },
};

/** The sysctl a `/sys/module/tcp_cubic/parameters/...` path stands for, or undefined. */
export function moduleParamSysctl(path: string): string | undefined {
  const m = /^\/sys\/module\/tcp_cubic\/parameters\/([a-z_]+)$/.exec(path.trim());
  if (!m) return undefined;
  return CUBIC_PARAM_SYSCTLS[m[1]!]?.sysctl;
}

/** The stack's CUBIC parameters (a snapshot; connections read it when they are created). */
export function cubicParams(sysctls: Sysctls): CubicParams {
  const p: CubicParams = { ...CUBIC_DEFAULTS };
  for (const { key, sysctl } of Object.values(CUBIC_PARAM_SYSCTLS)) p[key] = sysctls.int(sysctl);
  return p;
}

/**
 * The RTT sample an ACK gives the congestion control (Linux ca_rtt_us): from the latest-sent
 * segment it delivered, -1 when it delivered none or a retransmitted one (ambiguous).
 */
export function ccRttUs(sb: Scoreboard, now: number): number {
  if (sb.deliveredSentAt < 0 || sb.deliveredRetrans) return -1;
  return Math.max(1, now - sb.deliveredSentAt);
}

/** A new congestion control `name` for connection `sk`, or -ENOENT for an unknown name. */
export function createCc(
  name: string,
  sk: CcSock,
  cubic: Readonly<CubicParams> = CUBIC_DEFAULTS,
): CongestionControl | number {
  switch (name) {
    case 'cubic':
      return new Cubic(sk, cubic);
    case 'reno':
      return new Reno(sk);
    default:
      return -ERRNO.ENOENT;
  }
}

/** As `createCc`, falling back to CUBIC for a name the registry lacks (the sysctl only allows known ones). */
export function createCcOrDefault(name: string, sk: CcSock, cubic?: Readonly<CubicParams>): CongestionControl {
  const cc = createCc(name, sk, cubic);
  return typeof cc === 'number' ? new Cubic(sk, cubic) : cc;
}

/** What switching a live connection's congestion control needs (TcbCore provides it). */
export interface CcHost extends CcSock {
  cc: CongestionControl;
  ccName: string;
  readonly cfg: { readonly ccParams?: CubicParams | undefined };
  synchronized(): boolean;
}

/**
 * TCP_CONGESTION on a connection: a fresh instance of `name`, started at once when the connection
 * is already synchronized (else at establishment). Returns 0 or -ENOENT (unknown name).
 */
export function setCongestionControl(t: CcHost, name: string): number {
  const cc = createCc(name, t, t.cfg.ccParams);
  if (typeof cc === 'number') return cc;
  t.cc = cc;
  t.ccName = name;
  if (t.synchronized()) cc.init();
  return 0;
}

/** The name a TCP_CONGESTION value (a C string, possibly NUL-padded) stands for. */
export function ccNameOf(value: string): string {
  const nul = value.indexOf('\0');
  return (nul >= 0 ? value.slice(0, nul) : value).slice(0, CC_NAME_MAX);
}
