/**
 * Address helpers for the `net`-style API: IP literal checks (`isIP`), conversion between the
 * string forms users write and the socket layer's `SockAddr`, and the `{ address, family, port }`
 * records `address()` returns.
 */
import { fromIp } from '../../core/socket/addr.js';
import type { SockAddr } from '../../core/socket/addr.js';
import { LINUX } from '../../core/socket/linux.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../core/wire/address.js';

export interface AddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return V4.test(s);
}

export function isIPv6(s: string): boolean {
  if (!s.includes(':')) return false;
  const pct = s.indexOf('%');
  return parseIpv6(pct >= 0 ? s.slice(0, pct) : s, new Uint8Array(16));
}

/** 4 for an IPv4 literal, 6 for an IPv6 literal, 0 otherwise. */
export function isIP(s: string): 0 | 4 | 6 {
  if (isIPv4(s)) return 4;
  if (isIPv6(s)) return 6;
  return 0;
}

/**
 * The socket address for a literal host (`localhost` is the loopback of `family`, default IPv4),
 * or undefined when `host` is not an address (this API does no name resolution).
 */
export function sockAddrFor(host: string, port: number, family?: number): SockAddr | undefined {
  if (host === 'localhost') host = family === 6 ? '::1' : '127.0.0.1';
  const v = isIP(host);
  if (v === 4) return { family: LINUX.AF_INET, addr: parseIpv4(host), port };
  if (v === 6) {
    const b = new Uint8Array(16);
    const pct = host.indexOf('%');
    parseIpv6(pct >= 0 ? host.slice(0, pct) : host, b);
    return { family: LINUX.AF_INET6, addr: b, port };
  }
  return undefined;
}

/** The same address on a socket of `family` (IPv4 on AF_INET6 becomes IPv4-mapped). */
export function asFamily(sa: SockAddr, family: number): SockAddr {
  if (sa.family === family) return sa;
  return fromIp(family, typeof sa.addr === 'number' ? sa.addr : sa.addr, sa.port);
}

export function formatSockAddr(sa: SockAddr): AddressInfo {
  if (typeof sa.addr === 'number') return { address: formatIpv4(sa.addr), family: 'IPv4', port: sa.port };
  return { address: formatIpv6(sa.addr), family: 'IPv6', port: sa.port };
}
