/**
 * Socket addresses as the socket layer sees them: `AF_INET` with an IPv4 address as a uint32, or
 * `AF_INET6` with 16 address bytes (an IPv4-mapped `::ffff:a.b.c.d` address stands for IPv4 on an
 * `AF_INET6` socket, as on Linux). `AF_UNSPEC` only appears as connect's disconnect request.
 */
import type { IpAddr } from '../stack/transport.js';
import { LINUX } from './linux.js';

export interface SockAddr {
  family: number;
  /** AF_INET: uint32; AF_INET6: 16 bytes. */
  addr: number | Uint8Array;
  port: number;
}

export function sockaddr4(addr: number, port: number): SockAddr {
  return { family: LINUX.AF_INET, addr: addr >>> 0, port };
}

export function sockaddr6(addr: Uint8Array, port: number): SockAddr {
  return { family: LINUX.AF_INET6, addr: addr.slice(0, 16), port };
}

export function isMapped16(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

export function isZero16(a: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== 0) return false;
  return true;
}

/** `::ffff:a.b.c.d` for an IPv4 address. */
export function mapV4(a: number): Uint8Array {
  const b = new Uint8Array(16);
  b[10] = 0xff;
  b[11] = 0xff;
  b[12] = a >>> 24;
  b[13] = (a >>> 16) & 0xff;
  b[14] = (a >>> 8) & 0xff;
  b[15] = a & 0xff;
  return b;
}

export function unmap16(a: Uint8Array): number {
  return ((a[12]! << 24) | (a[13]! << 16) | (a[14]! << 8) | a[15]!) >>> 0;
}

/** The address as an `IpAddr` for the stack (IPv4-mapped stays 16 bytes; the TCP layer unmaps). */
export function toIpAddr(sa: SockAddr): IpAddr {
  return typeof sa.addr === 'number' ? sa.addr >>> 0 : sa.addr.slice(0, 16);
}

/** True when the address is the wildcard (`0.0.0.0`, `::`). */
export function isAnySockAddr(sa: SockAddr): boolean {
  return typeof sa.addr === 'number' ? sa.addr === 0 : isZero16(sa.addr);
}

/** An address of `family` built from a stack address (IPv4 on an AF_INET6 socket is mapped). */
export function fromIp(family: number, a: IpAddr, port: number): SockAddr {
  if (family === LINUX.AF_INET) return sockaddr4(typeof a === 'number' ? a : unmap16(a), port);
  return sockaddr6(typeof a === 'number' ? mapV4(a) : a, port);
}

/** The IPv4 address a socket address denotes, or undefined when it is a real IPv6 address. */
export function v4Of(sa: SockAddr): number | undefined {
  if (typeof sa.addr === 'number') return sa.addr >>> 0;
  return isMapped16(sa.addr) ? unmap16(sa.addr) : undefined;
}
