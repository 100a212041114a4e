/**
 * Address text for the web-streams API: IP literals only (the stack has no resolver). IPv6 may be
 * written in brackets. IPv4-mapped IPv6 addresses print as plain IPv4, the way a dual-stack
 * listener's peers are usually shown.
 */
import { isMapped16, mapV4, type SockAddr, sockaddr4, sockaddr6, unmap16 } from '../../core/socket/addr.js';
import { LINUX } from '../../core/socket/linux.js';
import type { IpAddr } from '../../core/stack/transport.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../../core/wire/address.js';

/** An IP literal as a stack address (uint32 or 16 bytes); undefined when it is not one. */
export function parseIp(text: string): IpAddr | undefined {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIpv4(s);
  if (v4 >= 0) return v4;
  const b = new Uint8Array(16);
  return parseIpv6(s, b) ? b : undefined;
}

/** Like `parseIp`, but a `TypeError` naming `what` for anything that is not an IP literal. */
export function requireIp(text: string, what: string): IpAddr {
  const a = parseIp(text);
  if (a === undefined) throw new TypeError(`${what} must be an IPv4 or IPv6 literal (no name resolution): ${JSON.stringify(text)}`);
  return a;
}

/** The socket family for an address (an IPv4-mapped one counts as IPv6). */
export function familyOf(a: IpAddr): number {
  return typeof a === 'number' ? LINUX.AF_INET : LINUX.AF_INET6;
}

/** The socket address of `a` on a socket of `family` (IPv4 on an AF_INET6 socket is mapped). */
export function sockAddr(family: number, a: IpAddr, port: number): SockAddr {
  if (family === LINUX.AF_INET) return sockaddr4(typeof a === 'number' ? a : unmap16(a), port);
  return sockaddr6(typeof a === 'number' ? mapV4(a) : a, port);
}

/** The text of a socket address's IP (IPv4-mapped printed as IPv4). */
export function formatAddr(sa: SockAddr): string {
  const a = sa.addr;
  if (typeof a === 'number') return formatIpv4(a);
  return isMapped16(a) ? formatIpv4(unmap16(a)) : formatIpv6(a);
}

/** Checks a port number (0 allowed where `zeroOk`). */
export function checkPort(port: unknown, what: string, zeroOk: boolean): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < (zeroOk ? 0 : 1) || port > 65535) {
    throw new TypeError(`${what} must be an integer port in ${zeroOk ? 0 : 1}..65535, got ${String(port)}`);
  }
  return port;
}
