/**
 * Connection-table keys without strings: a TCP 4-tuple (or a listener's local address and port)
 * folded into one uint32 with a seeded multiplicative mix. The hash only picks a bucket; buckets
 * are chains compared field by field, so collisions cost time, never correctness. The seed comes
 * from the stack's randomness so that a remote peer cannot aim many tuples at one bucket.
 *
 * Addresses: an IPv4 tuple is hashed from its two uint32 numbers, an IPv6 one from the 16-byte
 * addresses. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are turned into IPv4 numbers before
 * they reach the table (`unmapAddr`), so a dual-stack socket and an IPv4 packet meet in one entry.
 */
import type { IpAddr } from '../stack/transport.js';
import { get32 } from '../wire/bytes.js';

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x9e3779b1);
  return h ^ (h >>> 15);
}

function mix16(h: number, a: Uint8Array): number {
  h = mix(h, get32(a, 0));
  h = mix(h, get32(a, 4));
  h = mix(h, get32(a, 8));
  return mix(h, get32(a, 12));
}

/** Bucket key of an IPv4 4-tuple (local first). */
export function hashTuple4(seed: number, local: number, remote: number, localPort: number, remotePort: number): number {
  let h = mix(seed, local);
  h = mix(h, remote);
  h = mix(h, ((localPort << 16) | remotePort) >>> 0);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Bucket key of an IPv6 4-tuple (local first). */
export function hashTuple6(
  seed: number,
  local: Uint8Array,
  remote: Uint8Array,
  localPort: number,
  remotePort: number,
): number {
  let h = mix16(seed ^ 0x6, local);
  h = mix16(h, remote);
  h = mix(h, ((localPort << 16) | remotePort) >>> 0);
  return (h ^ (h >>> 13)) >>> 0;
}

/** Bucket key of a listener bound to a specific IPv4 address. */
export function hashLocal4(seed: number, local: number, port: number): number {
  return hashTuple4(seed ^ 0x55555555, local, 0, port, 0);
}

/** Bucket key of a listener bound to a specific IPv6 address. */
export function hashLocal6(seed: number, local: Uint8Array, port: number): number {
  let h = mix16(seed ^ 0x5555aaaa, local);
  h = mix(h, port);
  return (h ^ (h >>> 13)) >>> 0;
}

/** True for `::ffff:a.b.c.d`. */
export function isMapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** True for `::` (and for the IPv4 number 0). */
export function isAnyAddr(a: IpAddr): boolean {
  if (typeof a === 'number') return a === 0;
  for (let i = 0; i < 16; i++) if (a[i] !== 0) return false;
  return true;
}

/** An IPv4-mapped address as its IPv4 number; anything else unchanged (IPv6 copied to 16 bytes). */
export function unmapAddr(a: IpAddr): IpAddr {
  if (typeof a === 'number') return a >>> 0;
  if (isMapped(a)) return get32(a, 12);
  return a.slice(0, 16);
}

export function eq16(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Addresses and ports of one connection as the table keeps them (IPv4 as numbers, IPv6 as 16
 * bytes). `local`/`remote` are from this host's point of view.
 */
export class TcpTuple {
  v4 = true;
  local4 = 0;
  remote4 = 0;
  readonly local6 = new Uint8Array(16);
  readonly remote6 = new Uint8Array(16);
  localPort = 0;
  remotePort = 0;

  /** Sets the addresses from already unmapped `IpAddr` values of one family. */
  setAddrs(local: IpAddr, remote: IpAddr): this {
    if (typeof remote === 'number') {
      this.v4 = true;
      this.local4 = typeof local === 'number' ? local >>> 0 : 0;
      this.remote4 = remote >>> 0;
    } else {
      this.v4 = false;
      if (typeof local !== 'number') this.local6.set(local.subarray(0, 16));
      this.remote6.set(remote.subarray(0, 16));
    }
    return this;
  }

  copyTuple(o: TcpTuple): this {
    this.v4 = o.v4;
    this.local4 = o.local4;
    this.remote4 = o.remote4;
    this.local6.set(o.local6);
    this.remote6.set(o.remote6);
    this.localPort = o.localPort;
    this.remotePort = o.remotePort;
    return this;
  }

  hash(seed: number): number {
    return this.v4
      ? hashTuple4(seed, this.local4, this.remote4, this.localPort, this.remotePort)
      : hashTuple6(seed, this.local6, this.remote6, this.localPort, this.remotePort);
  }

  sameTuple(o: TcpTuple): boolean {
    if (this.v4 !== o.v4 || this.localPort !== o.localPort || this.remotePort !== o.remotePort) return false;
    if (this.v4) return this.local4 === o.local4 && this.remote4 === o.remote4;
    return eq16(this.local6, o.local6) && eq16(this.remote6, o.remote6);
  }

  /** The local address as an `IpAddr` (allocates for IPv6). */
  localAddr(): IpAddr {
    return this.v4 ? this.local4 : this.local6.slice();
  }

  /** The remote address as an `IpAddr` (allocates for IPv6). */
  remoteAddr(): IpAddr {
    return this.v4 ? this.remote4 : this.remote6.slice();
  }
}
