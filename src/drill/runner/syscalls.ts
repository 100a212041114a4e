/**
 * System-call lines (LANGUAGE.md §7): evaluating the script's arguments into SocketApi calls and
 * checking the outputs the script states (getsockopt/ioctl values, poll revents).
 */
import { mapV4, type SockAddr, sockaddr4, sockaddr6 } from '../../core/socket/addr.js';
import { type CallResult, isPending, type Linger, type MsgHdr, type SocketApi, type SysResult } from '../../core/socket/api.js';
import { ERRNO, LINUX } from '../../core/socket/linux.js';
import type { EpollEventExpr, Expr, ListExpr, MsghdrExpr } from '../parser/ast.js';
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
  /** The call returns a new fd (socket/accept/epoll_create): a non-negative result means "any fd". */
  readonly newFd: boolean;
  /** The new fd is a socket that becomes the socket under test (socket/accept; not epoll). */
  readonly sut?: boolean;
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

/** True for a `NULL` buffer argument (the call then sees a zero-length buffer: EFAULT). */
function isNull(e: Expr): boolean {
  return (e.kind === 'word' && e.name === 'NULL') || (e.kind === 'int' && e.value === 0);
}

/** A zero-filled buffer of `n` bytes, or an empty one for NULL (so the socket layer says EFAULT). */
function buffer(arg: Expr, n: number): Uint8Array {
  return isNull(arg) ? new Uint8Array(0) : new Uint8Array(Math.max(n, 0));
}

/** `[{..., len}, ...]`: zero-filled iovec buffers. */
function iovecs(name: string, list: Expr): Uint8Array[] {
  if (list.kind === 'ellipsis') return [];
  if (list.kind !== 'list') throw new SyscallError(`${name}: expected an iovec list [{..., len}, ...]`);
  return list.items.map((it) => {
    if (it.kind !== 'iovec') throw new SyscallError(`${name}: expected an iovec {..., len}`);
    return new Uint8Array(Math.max(it.len, 0));
  });
}

function msghdr(name: string, e: Expr): MsghdrExpr {
  if (e.kind !== 'msghdr') throw new SyscallError(`${name}: expected a msghdr {msg_name(...)=..., msg_iov(N)=[...], msg_flags=F}`);
  if (e.iovLen !== e.iov.items.length) {
    throw new SyscallError(`${name}: msg_iov(${e.iovLen}) does not match the ${e.iov.items.length} iovecs listed`);
  }
  return e;
}

/** The control messages the socket layer can report for a recvmsg (TCP_CM_INQ only). */
interface Cmsg {
  level: number;
  type: number;
  data: number;
}

function cmsgName(level: number, type: number): string {
  const names = Object.entries(LINUX);
  const lv = names.find(([k, v]) => v === level && k.startsWith('SOL_'))?.[0] ?? String(level);
  return `level ${lv} type ${type}`;
}

/** Checks the expected `msg_control` list of a recvmsg against the control messages produced. */
function checkCmsgs(expected: ListExpr | undefined, got: readonly Cmsg[]): string | undefined {
  if (expected === undefined) return undefined;
  const want = expected.items;
  for (const [i, w] of want.entries()) {
    if (w.kind !== 'cmsg') return `recvmsg: msg_control entry ${i} is not a {cmsg_level=..., cmsg_type=..., cmsg_data=...}`;
    const g = got[i];
    const level = evalInt(w.level);
    const type = evalInt(w.type);
    if (g === undefined) return `recvmsg: expected ${want.length} control messages but got ${got.length} (missing ${cmsgName(level, type)})`;
    if (g.level !== level || g.type !== type) {
      return `recvmsg: control message ${i}: expected ${cmsgName(level, type)} but got ${cmsgName(g.level, g.type)}`;
    }
    const data = evalInt(w.data);
    if (g.data !== data) return `recvmsg: control message ${i} (${cmsgName(level, type)}): expected data ${data} but got ${g.data}`;
  }
  if (got.length > want.length) return `recvmsg: expected ${want.length} control messages but got ${got.length}`;
  return undefined;
}

/** Rejects expected control messages the socket layer cannot produce, with a clear message. */
function supportedCmsgs(expected: ListExpr | undefined): void {
  for (const w of expected?.items ?? []) {
    if (w.kind !== 'cmsg') throw new SyscallError('recvmsg: msg_control entries must be {cmsg_level=..., cmsg_type=..., cmsg_data=...}');
    const level = evalInt(w.level);
    const type = evalInt(w.type);
    if (level !== LINUX.SOL_TCP || type !== LINUX.TCP_CM_INQ) {
      throw new SyscallError(`recvmsg: unsupported control message ${cmsgName(level, type)} (only SOL_TCP/TCP_CM_INQ is produced)`);
    }
    if (w.data.kind !== 'int' && w.data.kind !== 'word' && w.data.kind !== 'list') {
      throw new SyscallError('recvmsg: TCP_CM_INQ data must be an integer');
    }
  }
}

/** The epoll_event data a script writes (`fd=F` is a script fd, translated to the live one). */
function epollData(ev: EpollEventExpr, fd: (e: Expr) => number): number {
  return ev.member === 'fd' ? fd(ev.data) : evalInt(ev.data);
}

/** Wraps a result (pending or not) so that `after` runs on the completed result. */
function onDone(r: CallResult, after: (r: SysResult) => void): CallResult {
  if (isPending(r)) {
    const p = r.pending;
    return { pending: { deadline: p.deadline, retry: (now) => onDone(p.retry(now), after) } };
  }
  after(r);
  return r;
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
      return { ...base, newFd: true, sut: true, run: () => api.socket(domain, type, proto) };
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
      return { ...base, newFd: true, sut: true, run: () => api.accept(f) };
    }
    case 'accept4': {
      nargs(name, args, 4);
      const f = fd(args[0]!);
      const flags = evalInt(args[3]!);
      return { ...base, newFd: true, sut: true, run: () => api.accept4(f, flags) };
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
      const buf = buffer(args[1]!, n);
      return { ...base, run: () => (name === 'read' ? api.read(f, buf, n) : api.recv(f, buf, n, flags)) };
    }
    case 'recvfrom': {
      nargs(name, args, 6);
      const f = fd(args[0]!);
      const n = evalInt(args[2]!);
      const flags = evalInt(args[3]!);
      const buf = buffer(args[1]!, n);
      return { ...base, run: () => api.recvfrom(f, buf, n, flags) };
    }
    case 'readv':
    case 'writev': {
      nargs(name, args, 3);
      const f = fd(args[0]!);
      const iov = iovecs(name, args[1]!);
      const cnt = evalInt(args[2]!);
      if (cnt !== iov.length) throw new SyscallError(`${name}: iovcnt ${cnt} does not match the ${iov.length} iovecs listed`);
      return { ...base, run: () => (name === 'readv' ? api.readv(f, iov) : api.writev(f, iov)) };
    }
    case 'recvmsg': {
      nargs(name, args, 3);
      const f = fd(args[0]!);
      const m = msghdr(name, args[1]!);
      const flags = evalInt(args[2]!);
      const wantFlags = m.flags.kind === 'ellipsis' ? undefined : evalInt(m.flags);
      supportedCmsgs(m.control);
      const msg: MsgHdr = { iov: iovecs(name, m.iov) };
      let cmsgs: Cmsg[] = [];
      return {
        ...base,
        run: () =>
          onDone(api.recvmsg(f, msg, flags), (r) => {
            if (r.ret < 0 || m.control === undefined) return;
            // TCP_CM_INQ: the bytes left to read after this call, when TCP_INQ is on.
            const on = api.getsockopt(f, LINUX.SOL_TCP, LINUX.TCP_INQ);
            if (on.ret !== 0 || on.value === 0) return;
            const inq = api.ioctl(f, LINUX.SIOCINQ);
            let n = typeof inq.value === 'number' ? inq.value : 0;
            // Linux tcp_inq: an empty queue after the peer's FIN reports one "byte" (the EOF).
            if (n === 0 && api.eventsOf(f) & LINUX.EPOLLRDHUP) n = 1;
            cmsgs = [{ level: LINUX.SOL_TCP, type: LINUX.TCP_CM_INQ, data: n }];
          }),
        check: (r) => {
          if (r.ret < 0) return undefined;
          const got = r.msgFlags ?? 0;
          if (wantFlags !== undefined && got !== wantFlags) return `recvmsg: expected msg_flags 0x${wantFlags.toString(16)} but got 0x${got.toString(16)}`;
          return checkCmsgs(m.control, cmsgs);
        },
      };
    }
    case 'write':
    case 'send': {
      nargs(name, args, name === 'write' ? 3 : 4);
      const f = fd(args[0]!);
      const n = evalInt(args[2]!);
      const flags = name === 'send' ? evalInt(args[3]!) : 0;
      const buf = buffer(args[1]!, n);
      return { ...base, run: () => (name === 'write' ? api.write(f, buf, n) : api.send(f, buf, n, flags)) };
    }
    case 'sendto': {
      nargs(name, args, 6);
      const f = fd(args[0]!);
      const n = evalInt(args[2]!);
      const flags = evalInt(args[3]!);
      const buf = buffer(args[1]!, n);
      const a = args[4]!;
      const unspec = a.kind === 'word' && a.name === 'AF_UNSPEC';
      // MSG_FASTOPEN is connect() and write() in one call, to the configured remote address.
      const fastopen = (flags & LINUX.MSG_FASTOPEN) !== 0;
      const to: SockAddr | undefined = unspec ? { family: LINUX.AF_UNSPEC, addr: 0, port: 0 } : fastopen || a.kind === 'sockaddr' ? plan.remote() : undefined;
      return { ...base, connect: fastopen && !unspec, run: () => api.sendto(f, buf, n, flags, to) };
    }
    case 'sendmsg': {
      nargs(name, args, 3);
      const f = fd(args[0]!);
      const m = msghdr(name, args[1]!);
      const flags = evalInt(args[2]!);
      if (m.flags.kind !== 'ellipsis' && evalInt(m.flags) !== 0) throw new SyscallError('sendmsg: msg_flags must be 0');
      if (m.control !== undefined && m.control.items.length > 0) {
        throw new SyscallError('sendmsg: msg_control (ancillary data on send) is not supported by the socket layer');
      }
      const fastopen = (flags & LINUX.MSG_FASTOPEN) !== 0;
      const msg: MsgHdr = { iov: iovecs(name, m.iov) };
      if (fastopen) msg.name = plan.remote();
      return { ...base, connect: fastopen, run: () => api.sendmsg(f, msg, flags) };
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
      let value: number | Linger | string;
      if (v.kind === 'linger') value = { onoff: v.onoff, linger: v.linger };
      else if (v.kind === 'string') value = v.value; // e.g. TCP_CONGESTION "reno"
      else value = evalInt(v);
      return { ...base, run: () => api.setsockopt(f, level, opt, value) };
    }
    case 'getsockopt': {
      nargs(name, args, 4, 5);
      const f = fd(args[0]!);
      const level = evalInt(args[1]!);
      const opt = evalInt(args[2]!);
      const v = args[3]!;
      const want =
        v.kind === 'ellipsis' ? undefined : v.kind === 'linger' ? v : v.kind === 'string' ? v.value : evalInt(v);
      void lenArg;
      return {
        ...base,
        run: () => api.getsockopt(f, level, opt),
        check: (r) => {
          if (want === undefined || r.ret < 0) return undefined;
          if (typeof want === 'number' || typeof want === 'string') {
            return r.value === want ? undefined : `Bad getsockopt optval: expected: ${JSON.stringify(want)} actual: ${JSON.stringify(r.value)}`;
          }
          const got = r.value as Linger | undefined;
          return got?.onoff === want.onoff && got.linger === want.linger
            ? undefined
            : `Bad getsockopt optval: expected: {onoff=${want.onoff}, linger=${want.linger}} actual: ${JSON.stringify(got)}`;
        },
      };
    }
    case 'getsockname':
    case 'getpeername': {
      nargs(name, args, 3);
      const f = fd(args[0]!);
      return { ...base, run: () => (name === 'getsockname' ? api.getsockname(f) : api.getpeername(f)) };
    }
    case 'epoll_create': {
      nargs(name, args, 1);
      const size = evalInt(args[0]!);
      return { ...base, newFd: true, run: () => api.epoll_create(size) };
    }
    case 'epoll_create1': {
      nargs(name, args, 1);
      const flags = evalInt(args[0]!);
      return { ...base, newFd: true, run: () => api.epoll_create1(flags) };
    }
    case 'epoll_ctl': {
      nargs(name, args, 3, 4);
      const ep = fd(args[0]!);
      const op = evalInt(args[1]!);
      const target = fd(args[2]!);
      const e = args[3];
      if (e === undefined || isNull(e)) return { ...base, run: () => api.epoll_ctl(ep, op, target) };
      if (e.kind !== 'epollEvent') throw new SyscallError('epoll_ctl: expected {events=..., fd=...|ptr=...|u32=...|u64=...}');
      const data = epollData(e, fd);
      if (e.member === 'fd' && data !== target) throw new SyscallError('epoll_ctl: the event fd= must be the fd argument');
      const events = evalInt(e.events);
      return { ...base, run: () => api.epoll_ctl(ep, op, target, { events, data }) };
    }
    case 'epoll_wait': {
      nargs(name, args, 4);
      const ep = fd(args[0]!);
      const e = args[1]!;
      if (e.kind !== 'epollEvent' && e.kind !== 'ellipsis') throw new SyscallError('epoll_wait: expected {events=..., fd=...|ptr=...}');
      const want = e.kind === 'epollEvent' ? { events: evalInt(e.events), member: e.member, data: e.member === 'fd' && evalInt(e.data) === 0 ? 0 : epollData(e, fd) } : undefined;
      const maxevents = evalInt(args[2]!);
      const timeout = evalInt(args[3]!);
      return {
        ...base,
        run: () => api.epoll_wait(ep, maxevents, timeout),
        check: (r) => {
          // Only the first returned event is compared (events, then data by the chosen member).
          const got = r.events?.[0];
          if (want === undefined || r.ret <= 0 || got === undefined) return undefined;
          if (got.events !== want.events) {
            return `epoll_wait: expected events 0x${want.events.toString(16)} but got 0x${got.events.toString(16)}`;
          }
          if (got.data !== want.data) return `epoll_wait: expected ${want.member}=${want.data} but got ${got.data}`;
          return undefined;
        },
      };
    }
    case 'pipe':
    case 'splice':
    case 'open':
    case 'sendfile':
    case 'cap_set':
    case 'psp_rx_assoc':
    case 'psp_tx_assoc':
      throw new SyscallError(`unsupported system call: ${name} (the embedded stack has sockets only: no pipes, files, capabilities or PSP)`);
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
