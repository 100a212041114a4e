/**
 * One network interface of a stack: its link (none for the built-in loopback), link address, MTU,
 * IPv4 and IPv6 addresses and its neighbor caches (Ethernet only).
 */
import type { Link, Medium } from '../link/link.js';
import type { Rng } from '../rand/rng.js';
import type { Instant } from '../time/time.js';
import { ipv4Mask, prefixEqual } from './route.js';
import { IPV4_ADDRESS_OPS, IPV6_ADDRESS_OPS, NeighborCache, type NeighborParams } from './neighbor.js';

export type IfaceMedium = Medium | 'loopback';

export class Ipv4IfAddr {
  constructor(
    readonly addr: number,
    readonly prefixLen: number,
  ) {}
  get network(): number {
    return (this.addr & ipv4Mask(this.prefixLen)) >>> 0;
  }
  /** The subnet's directed broadcast address (none for /31 and /32). */
  get broadcast(): number {
    return this.prefixLen >= 31 ? -1 : (this.addr | ~ipv4Mask(this.prefixLen)) >>> 0;
  }
  contains(a: number): boolean {
    return ((a ^ this.addr) & ipv4Mask(this.prefixLen)) === 0;
  }
}

export class Ipv6IfAddr {
  readonly addr = new Uint8Array(16);
  constructor(
    addr: Uint8Array,
    readonly prefixLen: number,
  ) {
    this.addr.set(addr.subarray(0, 16));
  }
  get linkLocal(): boolean {
    return this.addr[0] === 0xfe && (this.addr[1]! & 0xc0) === 0x80;
  }
  contains(b: Uint8Array, off = 0): boolean {
    return prefixEqual(this.addr, b, off, this.prefixLen);
  }
}

/** A queued packet waiting for address resolution: a copy of the IP packet. */
export type PendingPacket = Uint8Array;

export class Interface {
  readonly mac = new Uint8Array(6);
  readonly v4: Ipv4IfAddr[] = [];
  readonly v6: Ipv6IfAddr[] = [];
  readonly neigh4: NeighborCache<number, PendingPacket> | undefined;
  readonly neigh6: NeighborCache<Uint8Array, PendingPacket> | undefined;
  /** IPv4 MTU (the link's), and IPv6 MTU (the same, at least 1280 to carry IPv6). */
  mtu: number;

  constructor(
    readonly index: number,
    readonly name: string,
    readonly medium: IfaceMedium,
    readonly link: Link | undefined,
    mac: Uint8Array | undefined,
    rng: Rng,
    neighParams: NeighborParams | undefined,
    now: Instant,
  ) {
    if (mac !== undefined) this.mac.set(mac.subarray(0, 6));
    this.mtu = link === undefined ? 65536 : link.caps.mtu;
    if (medium === 'ethernet') {
      this.neigh4 = new NeighborCache<number, PendingPacket>(IPV4_ADDRESS_OPS, rng.fork(), neighParams, now);
      this.neigh6 = new NeighborCache<Uint8Array, PendingPacket>(IPV6_ADDRESS_OPS, rng.fork(), neighParams, now);
    } else {
      this.neigh4 = undefined;
      this.neigh6 = undefined;
    }
  }

  get checksumOffload(): boolean {
    return this.link === undefined ? true : this.link.caps.checksumOffload;
  }

  hasV4(a: number): boolean {
    const x = a >>> 0;
    for (let i = 0; i < this.v4.length; i++) if (this.v4[i]!.addr === x) return true;
    return false;
  }

  /** Index of the IPv6 address equal to the 16 bytes at `b[off]`, or -1. */
  findV6(b: Uint8Array, off = 0): number {
    for (let i = 0; i < this.v6.length; i++) if (prefixEqual(this.v6[i]!.addr, b, off, 128)) return i;
    return -1;
  }

  /** True when `b[off..off+16)` is the solicited-node multicast address of one of our addresses. */
  isSolicitedNode(b: Uint8Array, off: number): boolean {
    if (b[off] !== 0xff || b[off + 1] !== 0x02 || b[off + 11] !== 0x01 || b[off + 12] !== 0xff) return false;
    for (let i = 2; i < 11; i++) if (b[off + i] !== 0) return false;
    for (const a of this.v6) {
      if (a.addr[13] === b[off + 13] && a.addr[14] === b[off + 14] && a.addr[15] === b[off + 15]) return true;
    }
    return false;
  }

  /** The source address for `dst` on this interface: one whose subnet holds `dst`, else the first. */
  source4(dst: number): number | undefined {
    for (const a of this.v4) if (a.contains(dst)) return a.addr;
    return this.v4[0]?.addr;
  }

  /** Link-local destinations get a link-local source; others a global one when there is one. */
  source6(dst: Uint8Array, off = 0): Uint8Array | undefined {
    const ll = dst[off] === 0xfe && (dst[off + 1]! & 0xc0) === 0x80;
    const mc = dst[off] === 0xff;
    let fallback: Uint8Array | undefined;
    for (const a of this.v6) {
      if (a.contains(dst, off) && !mc) return a.addr;
      if (a.linkLocal === (ll || (mc && (dst[off + 1]! & 0x0f) <= 2))) return a.addr;
      fallback ??= a.addr;
    }
    return fallback;
  }
}

/** fe80::/64 with an EUI-64 interface identifier from `mac` (RFC 4291 appendix A). */
export function linkLocalFromMac(mac: Uint8Array): Uint8Array {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a[8] = mac[0]! ^ 0x02;
  a[9] = mac[1]!;
  a[10] = mac[2]!;
  a[11] = 0xff;
  a[12] = 0xfe;
  a[13] = mac[3]!;
  a[14] = mac[4]!;
  a[15] = mac[5]!;
  return a;
}

/** The solicited-node multicast address of `a` (ff02::1:ffXX:XXXX) into `out[off..off+16)`. */
export function solicitedNode(a: Uint8Array, out: Uint8Array, off = 0): void {
  for (let i = 0; i < 16; i++) out[off + i] = 0;
  out[off] = 0xff;
  out[off + 1] = 0x02;
  out[off + 11] = 0x01;
  out[off + 12] = 0xff;
  out[off + 13] = a[13]!;
  out[off + 14] = a[14]!;
  out[off + 15] = a[15]!;
}
