/**
 * Errors of the web-streams API: a `DOMException` (where the host has one) whose `name` is the
 * errno name (`ECONNREFUSED`, `EPIPE`, ...), with the number in `errno` and the failing call in
 * `syscall`; the message reads `connect: ECONNREFUSED (Connection refused)`.
 */
import type { SysResult } from '../../core/socket/api.js';
import { ERRNO, ERRNO_INFO } from '../../core/socket/linux.js';

export interface SocketError extends Error {
  /** The errno name, e.g. `ECONNRESET`. */
  readonly name: string;
  /** The Linux errno number. */
  readonly errno: number;
  /** The socket call that failed (`connect`, `write`, ...). */
  readonly syscall: string;
}

type DomExceptionCtor = new (message?: string, name?: string) => Error;

/** The errno name of a number (`errno 999` for an unknown one). */
export function errnoName(errno: number): string {
  return ERRNO_INFO.get(errno)?.[0] ?? `errno ${errno}`;
}

/** A `SocketError` for `errno` raised by `syscall`. */
export function socketError(syscall: string, errno: number): SocketError {
  const info = ERRNO_INFO.get(errno);
  const name = info?.[0] ?? `errno ${errno}`;
  const message = `${syscall}: ${name}${info ? ` (${info[1]})` : ''}`;
  const Dom = (globalThis as { DOMException?: DomExceptionCtor }).DOMException;
  const err = Dom !== undefined ? new Dom(message, name) : Object.assign(new Error(message), { name });
  Object.defineProperty(err, 'errno', { value: errno, enumerable: true });
  Object.defineProperty(err, 'syscall', { value: syscall, enumerable: true });
  return err as SocketError;
}

/** True for an error made by `socketError`, optionally with this errno name. */
export function isSocketError(e: unknown, name?: string): e is SocketError {
  if (typeof e !== 'object' || e === null) return false;
  const s = e as Partial<SocketError>;
  return typeof s.errno === 'number' && typeof s.syscall === 'string' && (name === undefined || s.name === name);
}

/** A completed call's return value, or its error thrown as a `SocketError`. */
export function check(r: SysResult, syscall: string): number {
  if (r.ret < 0) throw socketError(syscall, r.errno ?? ERRNO.EIO);
  return r.ret;
}
