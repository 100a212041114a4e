/** Errors shaped as Node's system errors: `code` ('ECONNREFUSED'), negative `errno`, `syscall`. */
import { ERRNO_INFO } from '../../core/socket/linux.js';

export interface NetError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
}

/** A system error for a Linux errno number from the socket layer. */
export function errnoError(errno: number, syscall: string, address?: string, port?: number): NetError {
  const info = ERRNO_INFO.get(errno);
  const code = info?.[0] ?? `E${errno}`;
  let msg = `${syscall} ${code}`;
  if (address !== undefined) msg += ` ${address}${port !== undefined ? `:${port}` : ''}`;
  const e = new Error(msg) as NetError;
  e.code = code;
  e.errno = -errno;
  e.syscall = syscall;
  if (address !== undefined) e.address = address;
  if (port !== undefined) e.port = port;
  return e;
}

/** An error with a Node-style `ERR_*` code (argument and state errors). */
export function codeError(code: string, message: string, Ctor: ErrorConstructor = Error): NetError {
  const e = new Ctor(message) as NetError;
  e.code = code;
  return e;
}
