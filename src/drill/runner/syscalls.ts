/**
 * System-call lines (LANGUAGE.md §7): evaluating the script's arguments into SocketApi calls and
 * checking the outputs the script states (getsockopt/ioctl values, poll revents).
 */
import { mapV4, type SockAddr, sockaddr4, sockaddr6 } from '../../core/socket/addr.js';
import type { CallResult, Linger, SocketApi, SysResult } from '../../core/socket/api.js';
import { ERRNO, LINUX } from '../../core/socket/linux.js';
import type { Expr } from '../parser/ast.js';
import type { ConnState } from './packets/conn.js';

export class SyscallError extends Error {}

const SYMBOLS: Readonly<Record<string, number>> = {
  ...LINUX,
  ...ERRNO,
  NULL: 0,
  PF_INET: LINUX.AF_INET,
  PF_INET6: LINUX.AF_INET6,
};

/** The integer value of an argument expression. */
export function evalInt(e: Expr): number {
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'word': {
      const v = SYMBOLS[e.name];
      if (v === undefined) throw new SyscallError(`unknown symbol '${e.name}'`);
      return v;
    }
    case 'binary':
      return e.op === '|' ? evalInt(e.lhs) | evalInt(e.rhs) : evalInt(e.lhs) & evalInt(e.rhs);
    case 'unary':
      return -evalInt(e.operand);
    case 'call': {
      const v = evalInt(e.arg);
      return e.fn === 'htons' ? ((v & 0xff) << 8) | ((v >>> 8) & 0xff) : v;
    }
    case 'list':
      if (e.items.length === 1) return evalInt(e.items[0]!);
      throw new SyscallError('expected a one-element list');
    default:
      throw new SyscallError(`expected an integer expression, got ${e.kind}`);
  }
}

/** The variant's socket domain and addresses (§6.10). */
export interface AddrPlan {
  readonly domain: number;
  readonly port: number;
  local(): SockAddr;
  remote(): SockAddr;
}

export function addrPlan(version: string, conn: ConnState, port = 8080): AddrPlan {
  if (version === 'ipv4') {
    const local = (): SockAddr => sockaddr4(conn.local4, port);
    return { domain: LINUX.AF_INET, port, local, remote: () => sockaddr4(conn.remote4, port) };
  }
  if (version === 'ipv6') {
    const local = (): SockAddr => sockaddr6(conn.local6, port);
    return { domain: LINUX.AF_INET6, port, local, remote: () => sockaddr6(conn.remote6, port) };
  }
  return {
    domain: LINUX.AF_INET6,
    port,
    local: () => sockaddr6(mapV4(conn.local4), port),
    remote: () => sockaddr6(mapV4(conn.remote4), port),
  };
}

/** A prepared call: run it, then `check` its completed result (outputs beyond ret/errno). */
export interface PreparedCall {
  /** The call returns a new fd (socket/accept). */
  readonly newFd: boolean;
  readonly connect: boolean;
  readonly closeFd: number | undefined;
  run(): CallResult;
  check(r: SysResult): string | undefined;
}

function nargs(name: string, args: readonly Expr[], min: number, max = min): void {
  if (args.length < min || args.length > max) throw new SyscallError(`Expected ${min} args but got ${args.length} for ${name}`);
}

function lenArg(e: Expr): number {
  return e.kind === 'ellipsis' ? 0 : evalInt(e);
}

function none(): string | undefined {
  return undefined;
}

/**
 * Builds the call for one syscall line. `fd` translates a script fd to a live one (throws for an
 * unknown fd).
 */
export function prepare(
  api: SocketApi,
  name: string,
  args: readonly Expr[],
  fd: (e: Expr) => number,
  plan: AddrPlan,
): PreparedCall {
  const base = { newFd: false, connect: false, closeFd: undefined, check: none };
  switch (name) {
    case 'socket': {
      nargs(name, args, 3);
      const domain = args[0]!.kind === 'ellipsis' ? plan.domain : evalInt(args[0]!);
      const type = evalInt(args[1]!);
      const proto = evalInt(args[2]!);
      return { ...base, newFd: true, run: () => api.socket(domain, type, proto) };
    }
    case 'bind': {
      nargs(name, args, 3);
      const f = fd(args[0]!);
      return { ...base, run: () => api.bind(f, plan.local()) };
    }
    case 'listen': {
      nargs(name, args, 2);
      const f = fd(args[0]!);
      const backlog = evalInt(args[1]!);
      return { ...base, run: () => api.listen(f, backlog) };
    }
    case 'accept': {
      nargs(name, args, 3);
      const f = fd(args[0]!);
      return { ...base, newFd: true, run: () => api.accept(f) };
    }
    case 'connect': {
      nargs(name, args, 3);
      const f = fd(args[0]!);
      const a1 = args[1]!;
      if (a1.kind === 'word' && a1.name === 'AF_UNSPEC') {
        return { ...base, run: () => api.connect(f, { family: LINUX.AF_UNSPEC, addr: 0, port: 0 }) };
      }
      return { ...base, connect: true, run: () => api.connect(f, plan.remote()) };
    }
    case 'read':
    case 'recv': {
      nargs(name, args, name === 'read' ? 3 : 4);
      const f = fd(args[0]!);
      const n = evalInt(args[2]!);
      const flags = name === 'recv' ? evalInt(args[3]!) : 0;
      const buf = new Uint8Array(Math.max(n, 0));
      return { ...base, run: () => (name === 'read' ? api.read(f, buf, n) : api.recv(f, buf, n, flags)) };
    }
    case 'write':
    case 'send': {
      nargs(name, args, name === 'write' ? 3 : 4);
      const f = fd(args[0]!);
      const n = evalInt(args[2]!);
      const flags = name === 'send' ? evalInt(args[3]!) : 0;
      const buf = new Uint8Array(Math.max(n, 0));
      return { ...base, run: () => (name === 'write' ? api.write(f, buf, n) : api.send(f, buf, n, flags)) };
    }
    case 'close': {
      nargs(name, args, 1);
      const f = fd(args[0]!);
      return { ...base, closeFd: evalInt(args[0]!), run: () => api.close(f) };
    }
    case 'shutdown': {
      nargs(name, args, 2);
      const f = fd(args[0]!);
      const how = evalInt(args[1]!);
      return { ...base, run: () => api.shutdown(f, how) };
    }
    case 'fcntl': {
      nargs(name, args, 2, 3);
      const f = fd(args[0]!);
      const cmd = evalInt(args[1]!);
      const arg = args.length > 2 ? evalInt(args[2]!) : 0;
      return { ...base, run: () => api.fcntl(f, cmd, arg) };
    }
    case 'ioctl': {
      nargs(name, args, 2, 3);
      const f = fd(args[0]!);
      const req = evalInt(args[1]!);
      const want = args.length > 2 && args[2]!.kind !== 'ellipsis' ? evalInt(args[2]!) : undefined;
      return {
        ...base,
        run: () => api.ioctl(f, req),
        check: (r) =>
          want !== undefined && r.ret >= 0 && r.value !== want ? `Bad ioctl output: expected: ${want} actual: ${String(r.value)}` : undefined,
      };
    }
    case 'setsockopt': {
      nargs(name, args, 5);
      const f = fd(args[0]!);
      const level = evalInt(args[1]!);
      const opt = evalInt(args[2]!);
      const v = args[3]!;
      let value: number | Linger;
      if (v.kind === 'linger') value = { onoff: v.onoff, linger: v.linger };
      else value = evalInt(v);
      return { ...base, run: () => api.setsockopt(f, level, opt, value) };
    }
    case 'getsockopt': {
      nargs(name, args, 4, 5);
      const f = fd(args[0]!);
      const level = evalInt(args[1]!);
      const opt = evalInt(args[2]!);
      const v = args[3]!;
      const want = v.kind === 'ellipsis' ? undefined : v.kind === 'linger' ? v : evalInt(v);
      void lenArg;
      return {
        ...base,
        run: () => api.getsockopt(f, level, opt),
        check: (r) => {
          if (want === undefined || r.ret < 0) return undefined;
          if (typeof want === 'number') {
            return r.value === want ? undefined : `Bad getsockopt optval: expected: ${want} actual: ${JSON.stringify(r.value)}`;
          }
          const got = r.value as Linger | undefined;
          return got?.onoff === want.onoff && got.linger === want.linger
            ? undefined
            : `Bad getsockopt optval: expected: {onoff=${want.onoff}, linger=${want.linger}} actual: ${JSON.stringify(got)}`;
        },
      };
    }
    case 'poll': {
      nargs(name, args, 3);
      const list = args[0]!;
      if (list.kind !== 'list') throw new SyscallError('poll: expected a list of pollfd');
      const fds: { fd: number; events: number }[] = [];
      const want: number[] = [];
      for (const it of list.items) {
        if (it.kind !== 'pollfd') throw new SyscallError('poll: expected {fd=..., events=...}');
        fds.push({ fd: fd(it.fd), events: evalInt(it.events) });
        want.push(it.revents === undefined ? 0 : evalInt(it.revents));
      }
      const timeout = evalInt(args[2]!);
      return {
        ...base,
        run: () => api.poll(fds, timeout),
        check: (r) => {
          if (r.ret < 0) return undefined;
          for (let i = 0; i < want.length; i++) {
            const got = r.revents?.[i] ?? 0;
            if (got !== want[i]) return `poll: expected revents=0x${want[i]!.toString(16)} for fd index ${i} but got revents=0x${got.toString(16)}`;
          }
          return undefined;
        },
      };
    }
    default:
      throw new SyscallError(`unsupported system call: ${name}`);
  }
}
