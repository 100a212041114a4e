/**
 * The `DrillNamespace` of one runner stack: the shell commands of a script (`sysctl`, `nstat`,
 * `ethtool`, `ip link set mtu`...) act on it. Counters are exposed under their Linux nstat names
 * where the stack keeps them (`IpInReceives`, `TcpOutRsts`, `TcpExtListenDrops`...).
 */
import type { Stack } from '../../core/stack/stack.js';
import type { Sysctls } from '../../core/stack/sysctl.js';
import type { TcpLayer } from '../../core/tcp/layer.js';
import type { DrillNamespace, RouteChange } from '../commands/namespace.js';

/** TCP counters whose Linux nstat name is `Tcp` + the field name. */
const TCP_MIB = ['ActiveOpens', 'PassiveOpens', 'AttemptFails', 'InSegs', 'OutSegs', 'InErrs', 'InCsumErrors', 'OutRsts'] as const;

export class StackNamespace implements DrillNamespace {
  private history: ReadonlyMap<string, number> | undefined;
  private base = new Map<string, number>();
  readonly offloads = new Map<string, boolean>();
  readonly mtus = new Map<string, number>();

  constructor(
    private readonly stack: Stack,
    private readonly tcp?: TcpLayer,
  ) {}

  get sysctls(): Sysctls {
    return this.stack.sysctls;
  }

  private raw(): Map<string, number> {
    const out = new Map<string, number>();
    const c = this.stack.counters;
    const groups: readonly (readonly [string, object])[] = [
      ['Ip', c.ip],
      ['Ip6', c.ip6],
      ['Icmp', c.icmp],
      ['Icmp6', c.icmp6],
      ['Udp', c.udp],
      ['Udp6', c.udp6],
    ];
    for (const [prefix, mib] of groups) {
      for (const [k, v] of Object.entries(mib)) if (typeof v === 'number') out.set(`${prefix}${k}`, v);
    }
    if (this.tcp !== undefined) {
      const t = this.tcp.counters;
      for (const k of TCP_MIB) out.set(`Tcp${k}`, t[k]);
      out.set('TcpExtListenOverflows', t.ListenOverflows);
      out.set('TcpExtListenDrops', t.ListenDrops);
      out.set('TcpExtTWRecycled', t.TimeWaitRecycled);
      out.set('TcpExtInactivityResets', t.InactivityResets);
      // The TcpExt counters the connections keep (mib.ts); RetransSegs is `Tcp` + the name.
      for (const [k, v] of Object.entries(this.tcp.mib)) {
        if (typeof v === 'number') out.set(k.startsWith('TcpExt') ? k : `Tcp${k}`, v);
      }
    }
    return out;
  }

  nstat(): ReadonlyMap<string, number> {
    const out = new Map<string, number>();
    for (const [k, v] of this.raw()) out.set(k, v - (this.base.get(k) ?? 0));
    return out;
  }

  nstatHistory(): ReadonlyMap<string, number> | undefined {
    return this.history;
  }

  saveNstatHistory(values: ReadonlyMap<string, number>): void {
    this.history = new Map(values);
  }

  resetNstat(): void {
    this.base = this.raw();
    this.history = undefined;
  }

  tcpMetricsFlush(): void {
    // The stack keeps no TCP metrics cache.
  }

  setOffload(dev: string, feature: string, on: boolean): void {
    this.offloads.set(`${dev}:${feature}`, on);
  }

  setQdisc(): void {
    // Queueing disciplines are not modelled; the link has no queue delay.
  }

  setMtu(dev: string, mtu: number): void {
    this.mtus.set(dev, mtu);
  }

  changeRoute(route: RouteChange): void {
    void route;
  }
}
