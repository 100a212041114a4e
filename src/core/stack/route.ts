/**
 * Routing tables, one per IP version: longest-prefix match, then the lowest metric among routes of
 * that prefix (Linux's route priority). An entry names an outgoing interface, a gateway or none
 * (the destination is on-link), a metric and an optional path MTU.
 *
 * IPv4 keeps one map per prefix length (network number -> routes by metric) and probes the lengths
 * in use from longest to shortest: at most 33 map lookups. IPv6 keeps its routes sorted by prefix
 * length (longest first), then metric, and takes the first match; tables here are small.
 * `lookup` allocates nothing.
 *
 * `format` prints a route as `ip route` / `ip -6 route` does for the fields kept here, e.g.
 * `default via 10.0.0.1 dev eth0 metric 100`, `10.0.0.0/24 dev eth0 scope link`,
 * `2001:db8::/64 dev eth0 metric 1024`.
 */

import { formatIpv4, formatIpv6 } from '../wire/address.js';

export type RouteAddResult = 'ok' | 'exists' | 'invalid';

/** Interface index -> name, for formatting. */
export type IfName = (ifindex: number) => string;
const defaultIfName: IfName = (i) => `if${i}`;

export interface Ipv4RouteSpec {
  /** Network number (host bits must be zero). */
  readonly dst: number;
  readonly prefixLen: number;
  /** Next hop, or undefined when the destination is on-link. */
  readonly gateway?: number;
  readonly ifindex: number;
  /** Lower wins among routes of the same prefix. Default 0 (Linux's IPv4 default). */
  readonly metric?: number;
  /** Path MTU for the route, or 0 for the interface's. */
  readonly mtu?: number;
}

export class Ipv4Route {
  readonly dst: number;
  readonly prefixLen: number;
  readonly gateway: number | undefined;
  readonly ifindex: number;
  readonly metric: number;
  readonly mtu: number;
  constructor(s: Ipv4RouteSpec) {
    this.dst = s.dst >>> 0;
    this.prefixLen = s.prefixLen;
    this.gateway = s.gateway === undefined ? undefined : s.gateway >>> 0;
    this.ifindex = s.ifindex;
    this.metric = s.metric ?? 0;
    this.mtu = s.mtu ?? 0;
  }

  /** The next hop for `dst`: the gateway, or `dst` itself when on-link. */
  nextHop(dst: number): number {
    return this.gateway ?? dst >>> 0;
  }

  format(ifName: IfName = defaultIfName): string {
    let s =
      this.prefixLen === 0
        ? 'default'
        : this.prefixLen === 32
          ? formatIpv4(this.dst)
          : `${formatIpv4(this.dst)}/${this.prefixLen}`;
    if (this.gateway !== undefined) s += ` via ${formatIpv4(this.gateway)}`;
    s += ` dev ${ifName(this.ifindex)}`;
    if (this.gateway === undefined) s += ' scope link';
    if (this.metric !== 0) s += ` metric ${this.metric}`;
    if (this.mtu !== 0) s += ` mtu ${this.mtu}`;
    return s;
  }
}

export function ipv4Mask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

export class Ipv4RouteTable {
  private readonly byLen: Map<number, Ipv4Route[]>[] = [];
  /** Prefix lengths with at least one route, longest first. */
  private lens: number[] = [];
  private count = 0;

  constructor() {
    for (let i = 0; i <= 32; i++) this.byLen.push(new Map());
  }

  get size(): number {
    return this.count;
  }

  /** Like `ip route add`: refuses host bits in `dst` and a second route with the same prefix and metric. */
  add(spec: Ipv4RouteSpec): RouteAddResult {
    const len = spec.prefixLen;
    if (!Number.isInteger(len) || len < 0 || len > 32) return 'invalid';
    const r = new Ipv4Route(spec);
    if ((r.dst & ipv4Mask(len)) >>> 0 !== r.dst) return 'invalid';
    const m = this.byLen[len]!;
    let list = m.get(r.dst);
    if (list === undefined) {
      list = [];
      m.set(r.dst, list);
    }
    if (list.some((x) => x.metric === r.metric)) return 'exists';
    list.push(r);
    list.sort((a, b) => a.metric - b.metric);
    this.count++;
    if (!this.lens.includes(len)) this.lens = [...this.lens, len].sort((a, b) => b - a);
    return 'ok';
  }

  /** Removes the route with this prefix (and metric, when given: else the first by metric). */
  remove(dst: number, prefixLen: number, metric?: number): boolean {
    const m = this.byLen[prefixLen];
    const list = m?.get(dst >>> 0);
    if (m === undefined || list === undefined) return false;
    const i = metric === undefined ? 0 : list.findIndex((x) => x.metric === metric);
    if (i < 0) return false;
    list.splice(i, 1);
    this.count--;
    if (list.length === 0) {
      m.delete(dst >>> 0);
      if (m.size === 0) this.lens = this.lens.filter((l) => l !== prefixLen);
    }
    return true;
  }

  /** The best route to `dst`, or undefined. */
  lookup(dst: number): Ipv4Route | undefined {
    const lens = this.lens;
    for (let i = 0; i < lens.length; i++) {
      const len = lens[i]!;
      const list = this.byLen[len]!.get((dst & ipv4Mask(len)) >>> 0);
      if (list !== undefined) return list[0];
    }
    return undefined;
  }

  /** Every route, in `ip route` order: by destination, then prefix length, then metric. */
  list(): Ipv4Route[] {
    const out: Ipv4Route[] = [];
    for (const m of this.byLen) for (const l of m.values()) out.push(...l);
    return out.sort((a, b) => a.dst - b.dst || a.prefixLen - b.prefixLen || a.metric - b.metric);
  }

  format(ifName: IfName = defaultIfName): string {
    return this.list()
      .map((r) => `${r.format(ifName)}\n`)
      .join('');
  }
}

export interface Ipv6RouteSpec {
  /** Network prefix (16 bytes, copied; host bits must be zero). */
  readonly dst: Uint8Array;
  readonly prefixLen: number;
  readonly gateway?: Uint8Array;
  readonly ifindex: number;
  /** Default 1024 (Linux's IPv6 default). */
  readonly metric?: number;
  readonly mtu?: number;
}

export class Ipv6Route {
  readonly dst = new Uint8Array(16);
  readonly prefixLen: number;
  readonly gateway: Uint8Array | undefined;
  readonly ifindex: number;
  readonly metric: number;
  readonly mtu: number;
  constructor(s: Ipv6RouteSpec) {
    this.dst.set(s.dst.subarray(0, 16));
    this.prefixLen = s.prefixLen;
    this.gateway = s.gateway === undefined ? undefined : s.gateway.slice(0, 16);
    this.ifindex = s.ifindex;
    this.metric = s.metric ?? 1024;
    this.mtu = s.mtu ?? 0;
  }

  /** True when the 16 bytes at `buf[off]` are inside this route's prefix. */
  matches(buf: Uint8Array, off: number): boolean {
    return prefixEqual(this.dst, buf, off, this.prefixLen);
  }

  format(ifName: IfName = defaultIfName): string {
    let s = this.prefixLen === 0 ? 'default' : `${formatIpv6(this.dst)}/${this.prefixLen}`;
    if (this.gateway !== undefined) s += ` via ${formatIpv6(this.gateway)}`;
    s += ` dev ${ifName(this.ifindex)} metric ${this.metric}`;
    if (this.mtu !== 0) s += ` mtu ${this.mtu}`;
    return s;
  }
}

/** The first `bits` bits of `a[0..16)` and `b[off..off+16)` are equal. */
export function prefixEqual(a: Uint8Array, b: Uint8Array, off: number, bits: number): boolean {
  const whole = bits >>> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[off + i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((a[whole]! ^ b[off + whole]!) & mask) === 0;
}

function hostBitsZero(a: Uint8Array, bits: number): boolean {
  for (let i = 0; i < 16; i++) {
    const keep = bits >= 8 * (i + 1) ? 8 : Math.max(0, bits - 8 * i);
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    if ((a[i]! & ~mask & 0xff) !== 0) return false;
  }
  return true;
}

export class Ipv6RouteTable {
  /** Longest prefix first, then lowest metric. */
  private routes: Ipv6Route[] = [];

  get size(): number {
    return this.routes.length;
  }

  add(spec: Ipv6RouteSpec): RouteAddResult {
    const len = spec.prefixLen;
    if (!Number.isInteger(len) || len < 0 || len > 128 || spec.dst.length < 16) return 'invalid';
    if (spec.gateway !== undefined && spec.gateway.length < 16) return 'invalid';
    const r = new Ipv6Route(spec);
    if (!hostBitsZero(r.dst, len)) return 'invalid';
    if (
      this.routes.some(
        (x) => x.prefixLen === len && x.metric === r.metric && prefixEqual(x.dst, r.dst, 0, 128),
      )
    ) {
      return 'exists';
    }
    this.routes = [...this.routes, r].sort((a, b) => b.prefixLen - a.prefixLen || a.metric - b.metric);
    return 'ok';
  }

  remove(dst: Uint8Array, prefixLen: number, metric?: number): boolean {
    const i = this.routes.findIndex(
      (x) =>
        x.prefixLen === prefixLen &&
        (metric === undefined || x.metric === metric) &&
        prefixEqual(x.dst, dst, 0, 128),
    );
    if (i < 0) return false;
    this.routes.splice(i, 1);
    return true;
  }

  /** The best route to the address at `buf[off..off+16)`, or undefined. */
  lookup(buf: Uint8Array, off = 0): Ipv6Route | undefined {
    const rs = this.routes;
    for (let i = 0; i < rs.length; i++) if (rs[i]!.matches(buf, off)) return rs[i];
    return undefined;
  }

  list(): Ipv6Route[] {
    return [...this.routes].sort((a, b) => {
      for (let i = 0; i < 16; i++) if (a.dst[i] !== b.dst[i]) return a.dst[i]! - b.dst[i]!;
      return a.prefixLen - b.prefixLen || a.metric - b.metric;
    });
  }

  format(ifName: IfName = defaultIfName): string {
    return this.list()
      .map((r) => `${r.format(ifName)}\n`)
      .join('');
  }
}
