/**
 * What the shell-command interpreter acts on: one simulated network namespace of the stack under
 * test. The runner implements it over the real stack; tests use a recording double. Every method is
 * synchronous and must not throw for a well-formed request.
 */
import type { Sysctls } from '../../core/stack/sysctl.js';

/** A route metric as `ip route` writes it: `mtu lock 1500` → `{ value: 1500, lock: true }`. */
export interface RouteMetric {
  readonly value: number;
  readonly lock: boolean;
}

/** An `ip [-4|-6] route add|change|replace|del DEST [via GW] [dev DEV] [metrics...]` request. */
export interface RouteChange {
  readonly family: 4 | 6;
  readonly op: 'add' | 'change' | 'replace' | 'del';
  /** The destination as written (`192.0.2.1`, `2001:DB8::1`, `10.0.0.0/8`, `default`). */
  readonly dest: string;
  readonly via: string | undefined;
  readonly dev: string | undefined;
  /** Metrics by their `ip route` keyword: `mtu`, `advmss`, `initcwnd`, `cwnd`, `rto_min`, ... */
  readonly metrics: Readonly<Record<string, RouteMetric>>;
}

export interface DrillNamespace {
  /** The namespace's sysctls under their Linux names (`net.ipv4.tcp_sack`). */
  readonly sysctls: Sysctls;
  /**
   * The MIB counters `nstat` shows, by nstat's names (`IpInReceives`, `TcpActiveOpens`,
   * `TcpExtTCPFastOpenActive`, ...), absolute values since the namespace was created, in the order
   * nstat prints them (`Ip*`, `Icmp*`, `Tcp*`, `Udp*`, then `TcpExt*`/`IpExt*`).
   */
  nstat(): ReadonlyMap<string, number>;
  /** `nstat`'s saved history (the baseline for deltas), or undefined before the first save. */
  nstatHistory(): ReadonlyMap<string, number> | undefined;
  /** Saves `values` as nstat's history (what a plain `nstat` or `nstat -n` does). */
  saveNstatHistory(values: ReadonlyMap<string, number>): void;
  /** Forgets nstat's history (`nstat -r`): the next `nstat` shows absolute values. */
  resetNstat(): void;
  /** `ip tcp_metrics flush [all]`: forgets cached per-destination metrics and TFO cookies. */
  tcpMetricsFlush(): void;
  /** `ethtool -K DEV FEATURE on|off`; feature names as ethtool spells them (`tso`, `gso`, `gro`, ...). */
  setOffload(dev: string, feature: string, on: boolean): void;
  /**
   * `tc qdisc add|replace|change dev DEV root KIND [PARAMS...]`, or `kind` undefined for
   * `tc qdisc del dev DEV root` (back to the device default). `params` are the words after KIND.
   */
  setQdisc(dev: string, kind: string | undefined, params: readonly string[]): void;
  /** `ip link set dev DEV mtu N`. */
  setMtu(dev: string, mtu: number): void;
  /** `ip route ...` changes; metrics such as `advmss`, `mtu lock`, `initcwnd` change TCP's behaviour. */
  changeRoute(route: RouteChange): void;
}
