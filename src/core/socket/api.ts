/**
 * `SocketApi`: the BSD socket calls, with Linux's numbers and errno values, over one `Stack` and
 * its `TcpLayer`. Sans-IO and synchronous.
 *
 * Contract for callers (the packetdrill runner, the Node API, the gateway):
 * - Every call returns a `CallResult`: either a completed `SysResult` (`ret`, and `errno` when
 *   `ret` is -1, plus call-specific outputs such as `addr`, `value`, `revents`, `events`), or
 *   `{ pending }` when the socket is blocking (no O_NONBLOCK, no MSG_DONTWAIT) and the operation
 *   cannot complete yet. The core never blocks.
 * - A driver holding a `PendingCall` keeps polling the stack (and its TCP layer) and calls
 *   `pending.retry(now)` after anything happened; it returns the completed result or `{ pending }`
 *   again. `pending.deadline` (SO_RCVTIMEO / SO_SNDTIMEO / SO_LINGER / poll timeout) is when the
 *   call gives up: a retry at or after it completes with the timeout result. Undefined: no limit.
 * - Side effects happen when the call is made (a connect sends its SYN, a close sends its FIN); a
 *   pending call only waits. A blocking write that took part of the data reports the part once it
 *   completes; a blocking close with SO_LINGER {1, t > 0} has already released its fd.
 * - The clock is the `clock` given to the constructor; retries use the `now` they are given.
 *
 * Behaviour choices: `socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)` is EPROTONOSUPPORT (what Linux
 * 6.x returns). `close()` with SO_LINGER {1, t > 0} waits for the send queue to drain and the FIN to
 * be acknowledged, also on O_NONBLOCK sockets (Linux); with `bsdLinger` a non-blocking lingering close
 * returns EWOULDBLOCK at once (the fd is released, the connection closes on its own).
 */
import type { Stack } from '../stack/stack.js';
import type { IpAddr } from '../stack/transport.js';
import { UdpPeer, type UdpSocket } from '../stack/udp.js';
import { CC_NAMES, ccNameOf, setCongestionControl } from '../tcp/cc/index.js';
import type { TcpSocketOptions } from '../tcp/config.js';
import { TcpConn, type TcpLayer } from '../tcp/layer.js';
import type { TcpListener } from '../tcp/listener.js';
import { TcpState } from '../tcp/segment.js';
import type { RepairResult, TcpRepairRecord } from '../tcp/repair.js';
import type { Tcb } from '../tcp/tcb.js';
import type { Instant } from '../time/time.js';
import { fromIp, isAnySockAddr, isMapped16, mapV4, type SockAddr, toIpAddr, v4Of } from './addr.js';
import { Epoll, type EpollEvent, type EpollProbe } from './epoll.js';
import { ERRNO, LINUX } from './linux.js';
// connection repair (TCP_REPAIR*, export/importConnection): socket/repair.ts
import { exportSocket, importSocket, repairClose, repairGetsockopt, type RepairOptValue, repairSetsockopt } from './repair.js';
import { type TcpInfo, tcpInfo } from './tcp-info.js';

export interface SysResult {
  ret: number;
  errno?: number;
  /** accept / recvfrom / recvmsg / getsockname / getpeername. */
  addr?: SockAddr;
  /** getsockopt / ioctl. */
  value?: OptValue;
  /** poll: one entry per fd given. */
  revents?: number[];
  /** epoll_wait. */
  events?: EpollEvent[];
  /** recvmsg: msg_flags. */
  msgFlags?: number;
}

export interface PendingCall {
  /** When the call times out; undefined when it waits without limit. */
  readonly deadline: Instant | undefined;
  retry(now: Instant): CallResult;
}

export type CallResult = SysResult | { pending: PendingCall };

export interface Linger {
  onoff: number;
  linger: number;
}
export interface Timeval {
  sec: number;
  usec: number;
}
export type OptValue = number | Linger | Timeval | TcpInfo | RepairOptValue | string;

export interface PollFd {
  fd: number;
  events: number;
}
export type { EpollEvent } from './epoll.js';
export interface MsgHdr {
  name?: SockAddr;
  iov: Uint8Array[];
}

export interface SocketApiOptions {
  /** The current time (e.g. the SimDriver's clock). */
  clock: () => Instant;
  /** BSD's lingering close on a non-blocking socket: EWOULDBLOCK at once. Default false (Linux). */
  bsdLinger?: boolean;
}

export function isPending(r: CallResult): r is { pending: PendingCall } {
  return 'pending' in r;
}

const SOCK_MIN_RCVBUF = 2304;
const SOCK_MIN_SNDBUF = 4608;
const TCP_MSS_DEFAULT = 536;
const TYPE_MASK = 0xf;
const SOCK_MAX = 11;
const MAX_TCP_WINDOW = 32767;
const MIN_USER_MSS = 88;
const { AF_INET, AF_INET6 } = LINUX;

function ok(ret = 0): SysResult {
  return { ret };
}
function fail(errno: number): SysResult {
  return { ret: -1, errno };
}
/** A stack-style return (>= 0, or a negative errno) as a result. */
function fromNeg(n: number): SysResult {
  return n < 0 ? fail(-n) : ok(n);
}

class Sock {
  readonly isEpoll = false;
  nonblock: boolean;
  cloexec: boolean;
  /** Bound local address and port (port 0: not bound). */
  local: SockAddr;
  reuseaddr = false;
  /** User values of SO_RCVBUF / SO_SNDBUF after the rmem_max / wmem_max clamp (undefined: default). */
  rcvbuf: number | undefined = undefined;
  sndbuf: number | undefined = undefined;
  nodelay = false;
  maxseg = 0;
  /** SO_KEEPALIVE, TCP_KEEPIDLE/INTVL (s) and TCP_KEEPCNT (0: the sysctl); TCP_USER_TIMEOUT (ms). */
  keepalive = false;
  keepIdle = 0;
  keepIntvl = 0;
  keepCnt = 0;
  userTimeout = 0;
  /** IP_TOS / IPV6_TCLASS; IP_MTU_DISCOVER (-1: not set, the sysctl decides). */
  tos = 0;
  pmtudisc = -1;
  /** TCP_CORK, TCP_NOTSENT_LOWAT (undefined: the sysctl), TCP_INQ. */
  cork = false;
  notsentLowat: number | undefined = undefined;
  inq = false;
  /** TCP_CONGESTION (undefined: `tcp_congestion_control`). */
  congestion: string | undefined = undefined;
  linger: Linger = { onoff: 0, linger: 0 };
  rcvtimeoUs = 0;
  sndtimeoUs = 0;
  v6only: boolean;
  tcb: Tcb | undefined = undefined;
  listener: TcpListener | undefined = undefined;
  /** connect() started and not yet reported complete (Linux SS_CONNECTING). */
  connecting = false;
  connected = false;
  peer: SockAddr | undefined = undefined;
  rdShut = false;
  wrShut = false;
  udp: UdpSocket | undefined = undefined;
  /** bind() chose the address (an implicit binding is released on disconnect, as Linux). */
  explicitBind = false;

  constructor(
    readonly family: number,
    readonly type: number,
    readonly protocol: number,
    flags: number,
    v6only: boolean,
  ) {
    this.nonblock = (flags & LINUX.SOCK_NONBLOCK) !== 0;
    this.cloexec = (flags & LINUX.SOCK_CLOEXEC) !== 0;
    this.local = family === AF_INET ? { family, addr: 0, port: 0 } : { family, addr: new Uint8Array(16), port: 0 };
    this.v6only = family === AF_INET6 && v6only;
  }

  get isTcp(): boolean {
    return this.type === LINUX.SOCK_STREAM;
  }

  tcpOptions(): TcpSocketOptions {
    const o: TcpSocketOptions = { nodelay: this.nodelay };
    if (this.rcvbuf !== undefined) o.rcvBuf = Math.max(this.rcvbuf, SOCK_MIN_RCVBUF / 2);
    if (this.sndbuf !== undefined) o.sndBuf = Math.max(this.sndbuf, SOCK_MIN_SNDBUF / 2);
    if (this.maxseg > 0) o.maxSeg = this.maxseg;
    o.keepalive = this.keepalive;
    o.keepIdleS = this.keepIdle;
    o.keepIntvlS = this.keepIntvl;
    o.keepCnt = this.keepCnt;
    o.userTimeoutMs = this.userTimeout;
    if (this.notsentLowat !== undefined) o.notsentLowat = this.notsentLowat;
    o.tos = this.tos;
    if (this.pmtudisc >= 0) o.pmtuDiscover = this.pmtudisc !== LINUX.IP_PMTUDISC_DONT;
    if (this.congestion !== undefined) o.congestion = this.congestion;
    return o;
  }
}

type FileEntry = Sock | Epoll;

class Waiter implements PendingCall {
  constructor(
    readonly deadline: Instant | undefined,
    private readonly attempt: (now: Instant) => SysResult | undefined,
    private readonly onTimeout: () => SysResult,
  ) {}
  retry(now: Instant): CallResult {
    const r = this.attempt(now);
    if (r !== undefined) return r;
    if (this.deadline !== undefined && now >= this.deadline) return this.onTimeout();
    return { pending: this };
  }
}

export class SocketApi {
  private readonly files: (FileEntry | undefined)[] = [];
  /** No fd below this one is free (the lowest free fd is searched from here, as POSIX wants it). */
  private lowFree = 3;
  /** The open epoll instances (close removes an fd from their interest lists). */
  private readonly epolls = new Set<Epoll>();
  private readonly clock: () => Instant;
  private readonly bsdLinger: boolean;
  private nextEphemeral = 0;

  constructor(
    readonly stack: Stack,
    readonly tcp: TcpLayer,
    opts: SocketApiOptions,
  ) {
    this.clock = opts.clock;
    this.bsdLinger = opts.bsdLinger ?? false;
  }

  // ================================================================ fd table

  private alloc(f: FileEntry): number {
    let fd = this.lowFree;
    while (this.files[fd] !== undefined) fd++;
    this.files[fd] = f;
    this.lowFree = fd + 1;
    if (f.isEpoll) this.epolls.add(f);
    return fd;
  }

  private sock(fd: number): Sock | number {
    const f = Number.isInteger(fd) && fd >= 0 ? this.files[fd] : undefined;
    if (f === undefined) return ERRNO.EBADF;
    if (f.isEpoll) return ERRNO.ENOTSOCK;
    return f;
  }

  /** Open file descriptors (sorted). */
  openFds(): number[] {
    const out: number[] = [];
    this.files.forEach((f, i) => {
      if (f !== undefined) out.push(i);
    });
    return out;
  }

  private block(
    nonblock: boolean,
    timeoUs: number,
    attempt: (now: Instant) => SysResult | undefined,
    wouldBlock: () => SysResult,
    onTimeout: () => SysResult = wouldBlock,
  ): CallResult {
    const now = this.clock();
    const r = attempt(now);
    if (r !== undefined) return r;
    if (nonblock) return wouldBlock();
    const deadline = timeoUs > 0 ? ((now + timeoUs) as Instant) : undefined;
    return { pending: new Waiter(deadline, attempt, onTimeout) };
  }

  // ================================================================ socket / bind / listen

  socket(domain: number, type: number, protocol: number): SysResult {
    if (domain !== AF_INET && domain !== AF_INET6) return fail(ERRNO.EAFNOSUPPORT);
    const flags = type & ~TYPE_MASK;
    if ((flags & ~(LINUX.SOCK_NONBLOCK | LINUX.SOCK_CLOEXEC)) !== 0) return fail(ERRNO.EINVAL);
    const base = type & TYPE_MASK;
    if (base >= SOCK_MAX) return fail(ERRNO.EINVAL);
    let proto: number;
    if (base === LINUX.SOCK_STREAM) {
      if (protocol !== 0 && protocol !== LINUX.IPPROTO_TCP) return fail(ERRNO.EPROTONOSUPPORT);
      proto = LINUX.IPPROTO_TCP;
    } else if (base === LINUX.SOCK_DGRAM) {
      if (protocol !== 0 && protocol !== LINUX.IPPROTO_UDP) return fail(ERRNO.EPROTONOSUPPORT);
      proto = LINUX.IPPROTO_UDP;
    } else if (base === LINUX.SOCK_RAW) {
      return fail(ERRNO.EPROTONOSUPPORT);
    } else {
      return fail(ERRNO.ESOCKTNOSUPPORT);
    }
    const v6only = this.stack.sysctls.int('net.ipv6.bindv6only') !== 0;
    return ok(this.alloc(new Sock(domain, base, proto, flags, v6only)));
  }

  /** The address family check shared by bind and connect. 0 when `sa` suits the socket. */
  private checkFamily(s: Sock, sa: SockAddr): number {
    if (s.family === AF_INET) return sa.family === AF_INET && typeof sa.addr === 'number' ? 0 : ERRNO.EAFNOSUPPORT;
    if (sa.family !== AF_INET6) return sa.family === AF_INET ? ERRNO.EINVAL : ERRNO.EAFNOSUPPORT;
    return sa.addr instanceof Uint8Array && sa.addr.length >= 16 ? 0 : ERRNO.EINVAL;
  }

  private overlaps(a: SockAddr, b: SockAddr): boolean {
    if (isAnySockAddr(a) || isAnySockAddr(b)) return true;
    const a4 = v4Of(a);
    const b4 = v4Of(b);
    if (a4 !== undefined || b4 !== undefined) return a4 === b4;
    const x = a.addr as Uint8Array;
    const y = b.addr as Uint8Array;
    for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return false;
    return true;
  }

  /** EADDRINUSE when another TCP socket holds `port` on an overlapping address (SO_REUSEADDR aware). */
  private tcpPortConflict(self: Sock, sa: SockAddr): boolean {
    for (const f of this.files) {
      if (f === undefined || f.isEpoll || f === self || !f.isTcp || f.local.port !== sa.port) continue;
      if (!this.overlaps(f.local, sa)) continue;
      if (f.reuseaddr && self.reuseaddr && f.listener === undefined) continue;
      return true;
    }
    return false;
  }

  private ephemeralTcpPort(self: Sock, sa: SockAddr): number {
    const range = this.stack.sysctls.ints('net.ipv4.ip_local_port_range');
    const lo = range[0]!;
    const n = range[1]! - lo + 1;
    for (let i = 0; i < n; i++) {
      const p = lo + ((this.nextEphemeral + i) % n);
      if (!this.tcpPortConflict(self, { ...sa, port: p })) {
        this.nextEphemeral = (this.nextEphemeral + i + 1) % n;
        return p;
      }
    }
    return 0;
  }

  bind(fd: number, sa: SockAddr): SysResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    const fe = this.checkFamily(s, sa);
    if (fe !== 0) return fail(fe);
    if (!(Number.isInteger(sa.port) && sa.port >= 0 && sa.port < 65536)) return fail(ERRNO.EINVAL);
    if (s.local.port !== 0 || s.tcb !== undefined || s.listener !== undefined) return fail(ERRNO.EINVAL);
    const mapped = sa.addr instanceof Uint8Array && isMapped16(sa.addr);
    if (mapped && s.v6only) return fail(ERRNO.EINVAL);
    if (!isAnySockAddr(sa) && !this.stack.isLocal(toIpAddr(sa))) return fail(ERRNO.EADDRNOTAVAIL);
    const local: SockAddr = { family: s.family, addr: typeof sa.addr === 'number' ? sa.addr >>> 0 : sa.addr.slice(0, 16), port: sa.port };
    if (!s.isTcp) {
      const u = this.udpOf(s);
      const r = u.bind(isAnySockAddr(sa) ? undefined : toIpAddr(sa), sa.port);
      if (r !== 0) return fail(r);
      local.port = u.localPort;
      s.local = local;
      return ok();
    }
    if (local.port === 0) {
      local.port = this.ephemeralTcpPort(s, local);
      if (local.port === 0) return fail(ERRNO.EADDRINUSE);
    } else if (this.tcpPortConflict(s, local)) {
      return fail(ERRNO.EADDRINUSE);
    }
    s.local = local;
    s.explicitBind = true;
    return ok();
  }

  listen(fd: number, backlog: number): SysResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    if (!s.isTcp) return fail(ERRNO.EOPNOTSUPP);
    if (s.listener !== undefined) return ok();
    if (s.tcb !== undefined || s.connecting || s.connected) return fail(ERRNO.EINVAL);
    if (s.local.port === 0) {
      const p = this.ephemeralTcpPort(s, s.local);
      if (p === 0) return fail(ERRNO.EADDRINUSE);
      s.local = { ...s.local, port: p };
    } else {
      for (const f of this.files) {
        if (f === undefined || f.isEpoll || f === s || !f.isTcp || f.local.port !== s.local.port) continue;
        if (this.overlaps(f.local, s.local)) {
          if (f.listener !== undefined || !(f.reuseaddr && s.reuseaddr)) return fail(ERRNO.EADDRINUSE);
        }
      }
    }
    const r = this.tcp.listen(toIpAddr(s.local), s.local.port, backlog, { ...s.tcpOptions(), v6only: s.v6only });
    if (typeof r === 'number') return fail(-r);
    s.listener = r;
    return ok();
  }

  // ================================================================ accept / connect

  accept(fd: number): CallResult {
    return this.accept4(fd, 0);
  }

  accept4(fd: number, flags: number): CallResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    if ((flags & ~(LINUX.SOCK_NONBLOCK | LINUX.SOCK_CLOEXEC)) !== 0) return fail(ERRNO.EINVAL);
    if (!s.isTcp) return fail(ERRNO.EOPNOTSUPP);
    return this.block(
      s.nonblock,
      s.rcvtimeoUs,
      () => {
        const l = s.listener;
        if (l === undefined || l.closed) return fail(ERRNO.EINVAL);
        const tcb = l.accept();
        if (tcb === undefined) return undefined;
        const c = new Sock(s.family, s.type, s.protocol, flags, s.v6only);
        c.tcb = tcb;
        c.connected = true;
        c.nodelay = s.nodelay;
        c.maxseg = s.maxseg;
        c.rcvbuf = s.rcvbuf;
        c.sndbuf = s.sndbuf;
        c.linger = { ...s.linger };
        c.rcvtimeoUs = s.rcvtimeoUs;
        c.sndtimeoUs = s.sndtimeoUs;
        const t = tcb.sink;
        if (t instanceof TcpConn) {
          c.local = fromIp(s.family, t.v4 ? t.local4 : t.local6, t.localPort);
          c.peer = fromIp(s.family, t.v4 ? t.remote4 : t.remote6, t.remotePort);
        }
        const nfd = this.alloc(c);
        return { ret: nfd, addr: c.peer ?? fromIp(s.family, 0, 0) };
      },
      () => fail(ERRNO.EAGAIN),
    );
  }

  connect(fd: number, sa: SockAddr): CallResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    if (sa.family === LINUX.AF_UNSPEC) return this.disconnect(s);
    const fe = this.checkFamily(s, sa);
    if (fe !== 0) return fail(fe);
    if (!s.isTcp) {
      const u = this.udpOf(s);
      const r = u.connect(toIpAddr(sa), sa.port);
      if (r !== 0) return fail(r);
      s.peer = { family: s.family, addr: toIpAddr(sa), port: sa.port };
      s.connected = true;
      return ok();
    }
    if (s.listener !== undefined || s.connected) return fail(ERRNO.EISCONN);
    if (s.connecting) {
      if (s.nonblock) {
        const r = this.connectProgress(s);
        return r ?? fail(ERRNO.EALREADY);
      }
      // A second blocking connect waits again and, timing out, reports EALREADY (Linux).
      return this.block(false, s.sndtimeoUs, () => this.connectProgress(s), () => fail(ERRNO.EALREADY));
    }
    if (v4Of(sa) !== undefined && s.family === AF_INET6 && s.v6only) return fail(ERRNO.ENETUNREACH);
    const bound = s.local.port !== 0;
    const r = this.tcp.connect(
      toIpAddr(sa),
      sa.port,
      {
        ...s.tcpOptions(),
        ...(bound && !isAnySockAddr(s.local) ? { local: toIpAddr(s.local) } : {}),
        ...(bound ? { localPort: s.local.port } : {}),
      },
      this.clock(),
    );
    if (typeof r === 'number') return fail(-r);
    s.tcb = r;
    s.connecting = true;
    const t = r.sink;
    if (t instanceof TcpConn) {
      s.local = fromIp(s.family, t.v4 ? t.local4 : t.local6, t.localPort);
      s.peer = fromIp(s.family, t.v4 ? t.remote4 : t.remote6, t.remotePort);
    }
    this.tcp.touch(r);
    if (s.nonblock) return fail(ERRNO.EINPROGRESS);
    return this.block(false, s.sndtimeoUs, () => this.connectProgress(s), () => fail(ERRNO.EINPROGRESS));
  }

  /** The result of a connect in progress: undefined while the handshake runs. */
  private connectProgress(s: Sock): SysResult | undefined {
    const t = s.tcb;
    if (t === undefined) return fail(ERRNO.ECONNABORTED);
    if (t.state === TcpState.SYN_SENT || t.state === TcpState.SYN_RECEIVED) return undefined;
    s.connecting = false;
    if (t.state === TcpState.CLOSED) {
      const e = t.takeError();
      s.tcb = undefined;
      s.peer = undefined;
      return fail(e !== 0 ? e : ERRNO.ECONNABORTED);
    }
    s.connected = true;
    return ok();
  }

  private disconnect(s: Sock): SysResult {
    if (!s.isTcp) {
      this.udpOf(s).disconnect();
      s.connected = false;
      s.peer = undefined;
      return ok();
    }
    if (s.listener !== undefined) {
      this.tcp.closeListener(s.listener, this.clock());
      s.listener = undefined;
    }
    const t = s.tcb;
    if (t !== undefined) {
      t.abort(this.clock());
      this.tcp.touch(t);
    }
    s.tcb = undefined;
    s.connecting = false;
    s.connected = false;
    s.peer = undefined;
    s.rdShut = false;
    s.wrShut = false;
    if (!s.explicitBind) s.local = fromIp(s.family, s.family === AF_INET ? 0 : new Uint8Array(16), 0);
    return ok();
  }

  // ================================================================ data

  /** One non-blocking receive into dst: bytes, or a negative errno. */
  private recvOnce(
    s: Sock,
    dst: Uint8Array,
    off: number,
    len: number,
    flags: number,
    now: Instant,
    from?: UdpPeer,
  ): number {
    if ((flags & LINUX.MSG_OOB) !== 0) return -ERRNO.EINVAL;
    if (!s.isTcp) {
      const u = this.udpOf(s);
      if (u.queued === 0 && u.error === 0 && s.rdShut) return 0;
      if ((flags & LINUX.MSG_PEEK) !== 0) return -ERRNO.EOPNOTSUPP;
      return u.recvFrom(dst, off, len, from);
    }
    const t = s.tcb;
    if (t === undefined) return -ERRNO.ENOTCONN;
    if (s.rdShut && t.available === 0) return 0;
    if ((flags & LINUX.MSG_PEEK) !== 0 && t.available > 0) {
      return t.rcvQueue.peek(dst, off, Math.min(len, t.available), 0);
    }
    const n = t.recv(dst, off, len, now);
    this.tcp.touch(t);
    return n;
  }

  private recvCommon(fd: number, dst: Uint8Array, off: number, len: number, flags: number): CallResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    if (len < 0 || off < 0 || off + len > dst.length) return fail(ERRNO.EFAULT);
    const from = s.isTcp ? undefined : new UdpPeer();
    const waitall = s.isTcp && (flags & (LINUX.MSG_WAITALL | LINUX.MSG_PEEK)) === LINUX.MSG_WAITALL;
    const nonblock = s.nonblock || (flags & LINUX.MSG_DONTWAIT) !== 0;
    let got = 0;
    const result = (n: number): SysResult => {
      const r = fromNeg(n);
      if (from !== undefined && n >= 0) r.addr = fromIp(s.family, from.addr(), from.port);
      return r;
    };
    return this.block(
      nonblock,
      s.rcvtimeoUs,
      (now) => {
        for (;;) {
          const n = this.recvOnce(s, dst, off + got, len - got, flags, now, from);
          if (n === -ERRNO.EAGAIN) return got > 0 && (!waitall || nonblock) ? ok(got) : undefined;
          if (n < 0) return got > 0 ? ok(got) : result(n);
          if (n === 0) return ok(got);
          got += n;
          if (!waitall || got >= len) return got === n ? result(n) : ok(got);
        }
      },
      () => (got > 0 ? ok(got) : fail(ERRNO.EAGAIN)),
    );
  }

  read(fd: number, dst: Uint8Array, len = dst.length): CallResult {
    return this.recvCommon(fd, dst, 0, len, 0);
  }
  recv(fd: number, dst: Uint8Array, len: number, flags: number): CallResult {
    return this.recvCommon(fd, dst, 0, len, flags);
  }
  recvfrom(fd: number, dst: Uint8Array, len: number, flags: number): CallResult {
    return this.recvCommon(fd, dst, 0, len, flags);
  }

  readv(fd: number, iov: Uint8Array[]): CallResult {
    return this.recvmsg(fd, { iov }, 0);
  }

  recvmsg(fd: number, msg: MsgHdr, flags: number): CallResult {
    const total = msg.iov.reduce((a, b) => a + b.length, 0);
    const tmp = new Uint8Array(total);
    const s = this.sock(fd);
    const nextLen = typeof s !== 'number' && !s.isTcp && s.udp !== undefined ? s.udp.nextLength() : -1;
    const scatter = (r: CallResult): CallResult => {
      if (isPending(r)) {
        const p = r.pending;
        return { pending: { deadline: p.deadline, retry: (now) => scatter(p.retry(now)) } };
      }
      if (r.ret > 0) {
        let pos = 0;
        for (const b of msg.iov) {
          const n = Math.min(b.length, r.ret - pos);
          if (n <= 0) break;
          b.set(tmp.subarray(pos, pos + n));
          pos += n;
        }
      }
      if (r.ret >= 0) r.msgFlags = nextLen > total ? LINUX.MSG_TRUNC : 0;
      return r;
    };
    return scatter(this.recvCommon(fd, tmp, 0, total, flags));
  }

  /** One non-blocking send: bytes accepted, or a negative errno. */
  private sendOnce(
    s: Sock,
    data: Uint8Array,
    off: number,
    len: number,
    now: Instant,
    to?: SockAddr,
    flags = 0,
  ): number {
    if (!s.isTcp) {
      if (s.wrShut) return -ERRNO.EPIPE;
      const u = this.udpOf(s);
      if (to !== undefined) {
        const fe = this.checkFamily(s, to);
        if (fe !== 0) return -fe;
        return u.sendTo(data, off, len, now, toIpAddr(to), to.port);
      }
      if (!s.connected) return -ERRNO.EDESTADDRREQ;
      return u.send(data, off, len, now);
    }
    const t = s.tcb;
    if (t === undefined) return -ERRNO.EPIPE;
    if (s.wrShut && t.error === 0) return -ERRNO.EPIPE;
    const n = t.send(data, off, len, now, (flags & LINUX.MSG_MORE) !== 0, (flags & LINUX.MSG_EOR) !== 0);
    this.tcp.touch(t);
    return n;
  }

  private sendCommon(fd: number, data: Uint8Array, off: number, len: number, flags: number, to?: SockAddr): CallResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    if (len < 0 || off < 0 || off + len > data.length) return fail(ERRNO.EFAULT);
    const nonblock = s.nonblock || (flags & LINUX.MSG_DONTWAIT) !== 0;
    let done = 0;
    let waited = false;
    return this.block(
      nonblock,
      s.sndtimeoUs,
      (now) => {
        // A blocked writer wakes when the socket is writable again (Linux sk_stream_write_space:
        // free space at least half of what is queued), not at the first freed byte.
        if (waited && s.tcb !== undefined && !s.tcb.writable && s.tcb.error === 0) return undefined;
        for (;;) {
          const n = this.sendOnce(s, data, off + done, len - done, now, s.isTcp ? undefined : to, flags);
          if (n === -ERRNO.EAGAIN) {
            waited = true;
            return done > 0 && nonblock ? ok(done) : undefined;
          }
          if (n < 0) return done > 0 ? ok(done) : fail(-n);
          done += n;
          if (done >= len || !s.isTcp) return ok(done);
        }
      },
      () => (done > 0 ? ok(done) : fail(ERRNO.EAGAIN)),
    );
  }

  write(fd: number, data: Uint8Array, len = data.length): CallResult {
    return this.sendCommon(fd, data, 0, len, 0);
  }
  send(fd: number, data: Uint8Array, len: number, flags: number): CallResult {
    return this.sendCommon(fd, data, 0, len, flags);
  }
  sendto(fd: number, data: Uint8Array, len: number, flags: number, to?: SockAddr): CallResult {
    return this.sendCommon(fd, data, 0, len, flags, to);
  }
  writev(fd: number, iov: Uint8Array[]): CallResult {
    return this.sendmsg(fd, { iov }, 0);
  }
  sendmsg(fd: number, msg: MsgHdr, flags: number): CallResult {
    const total = msg.iov.reduce((a, b) => a + b.length, 0);
    const tmp = new Uint8Array(total);
    let pos = 0;
    for (const b of msg.iov) {
      tmp.set(b, pos);
      pos += b.length;
    }
    return this.sendCommon(fd, tmp, 0, total, flags, msg.name);
  }

  // ================================================================ shutdown / close

  shutdown(fd: number, how: number): SysResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    if (how !== LINUX.SHUT_RD && how !== LINUX.SHUT_WR && how !== LINUX.SHUT_RDWR) return fail(ERRNO.EINVAL);
    const rd = how !== LINUX.SHUT_WR;
    const wr = how !== LINUX.SHUT_RD;
    const now = this.clock();
    if (!s.isTcp) {
      if (!s.connected) return fail(ERRNO.ENOTCONN);
      s.rdShut ||= rd;
      s.wrShut ||= wr;
      return ok();
    }
    if (s.listener !== undefined) {
      if (rd) {
        this.tcp.closeListener(s.listener, now);
        s.listener = undefined;
      }
      return ok();
    }
    const t = s.tcb;
    if (t === undefined || (t.state === TcpState.CLOSED && !s.connecting)) {
      s.rdShut ||= rd;
      s.wrShut ||= wr;
      return fail(ERRNO.ENOTCONN);
    }
    s.rdShut ||= rd;
    if (wr) {
      s.wrShut = true;
      t.shutdownWrite(now);
      this.tcp.touch(t);
    }
    return ok();
  }

  close(fd: number): CallResult {
    const f = Number.isInteger(fd) && fd >= 0 ? this.files[fd] : undefined;
    if (f === undefined) return fail(ERRNO.EBADF);
    this.files[fd] = undefined;
    if (fd < this.lowFree) this.lowFree = fd;
    for (const e of this.epolls) e.interest.delete(fd);
    if (f.isEpoll) {
      this.epolls.delete(f);
      return ok();
    }
    const s = f;
    const now = this.clock();
    if (!s.isTcp) {
      s.udp?.close();
      return ok();
    }
    if (s.listener !== undefined) {
      this.tcp.closeListener(s.listener, now);
      return ok();
    }
    const t = s.tcb;
    if (t === undefined) return ok();
    if (repairClose(s, this.tcp)) return ok(); // repair mode: dropped without FIN or RST
    if (s.linger.onoff !== 0 && s.linger.linger === 0) {
      // Linux: unread data is checked first (TCPAbortOnClose), then zero linger (TCPAbortOnData).
      if (t.state !== TcpState.CLOSED) {
        if (t.rcvQueue.isEmpty) t.mib.TcpExtTCPAbortOnData++;
        else t.mib.TcpExtTCPAbortOnClose++;
      }
      t.abort(now);
      this.tcp.touch(t);
      return ok();
    }
    t.close(now);
    this.tcp.touch(t);
    if (s.linger.onoff === 0 || s.linger.linger <= 0) return ok();
    const drained = (): SysResult | undefined => {
      const st = t.state;
      if (st === TcpState.CLOSED || st === TcpState.TIME_WAIT || st === TcpState.FIN_WAIT_2) return ok();
      if (t.sndQueue.isEmpty && t.finAcked) return ok();
      return undefined;
    };
    if (drained() !== undefined) return ok();
    if (this.bsdLinger && s.nonblock) return fail(ERRNO.EWOULDBLOCK);
    const deadline = (now + s.linger.linger * 1_000_000) as Instant;
    return { pending: new Waiter(deadline, drained, () => ok()) };
  }

  // ================================================================ options

  getsockopt(fd: number, level: number, name: number): SysResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    const val = (v: OptValue): SysResult => ({ ret: 0, value: v });
    if (level === LINUX.SOL_SOCKET) {
      switch (name) {
        case LINUX.SO_ERROR: {
          if (!s.isTcp) {
            const u = s.udp;
            const e = u?.error ?? 0;
            if (u !== undefined) u.error = 0;
            return val(e);
          }
          const t = s.tcb;
          if (t === undefined) return val(0);
          const e = t.takeError();
          if (e !== 0) return val(e);
          const c = t.sink;
          if (c instanceof TcpConn && c.softError !== 0) {
            const soft = c.softError;
            c.softError = 0;
            return val(soft);
          }
          return val(0);
        }
        case LINUX.SO_TYPE:
          return val(s.type);
        case LINUX.SO_DOMAIN:
          return val(s.family);
        case LINUX.SO_PROTOCOL:
          return val(s.protocol);
        case LINUX.SO_ACCEPTCONN:
          return val(s.listener !== undefined ? 1 : 0);
        case LINUX.SO_REUSEADDR:
          return val(s.reuseaddr ? 1 : 0);
        case LINUX.SO_RCVBUF:
          return val(this.rcvbufOf(s));
        case LINUX.SO_SNDBUF:
          return val(this.sndbufOf(s));
        case LINUX.SO_KEEPALIVE:
          return val(s.keepalive ? 1 : 0);
        case LINUX.SO_LINGER:
          return val({ ...s.linger });
        case LINUX.SO_RCVTIMEO:
          return val(timeval(s.rcvtimeoUs));
        case LINUX.SO_SNDTIMEO:
          return val(timeval(s.sndtimeoUs));
        default:
          return fail(ERRNO.ENOPROTOOPT);
      }
    }
    if (level === LINUX.SOL_TCP && s.isTcp) {
      const rp = repairGetsockopt(s, name, this.clock()); // socket/repair.ts
      if (rp !== undefined) return rp;
      switch (name) {
        case LINUX.TCP_NODELAY:
          return val(s.nodelay ? 1 : 0);
        case LINUX.TCP_KEEPIDLE:
          return val(s.keepIdle || this.stack.sysctls.int('net.ipv4.tcp_keepalive_time'));
        case LINUX.TCP_KEEPINTVL:
          return val(s.keepIntvl || this.stack.sysctls.int('net.ipv4.tcp_keepalive_intvl'));
        case LINUX.TCP_KEEPCNT:
          return val(s.keepCnt || this.stack.sysctls.int('net.ipv4.tcp_keepalive_probes'));
        case LINUX.TCP_USER_TIMEOUT:
          return val(s.userTimeout);
        case LINUX.TCP_CORK:
          return val(s.cork ? 1 : 0);
        case LINUX.TCP_NOTSENT_LOWAT:
          return val(s.notsentLowat ?? 0); // Linux reports 0 when only the sysctl applies
        case LINUX.TCP_INQ:
          return val(s.inq ? 1 : 0);
        case LINUX.TCP_MAXSEG: {
          const t = s.tcb;
          if (t !== undefined && t.synchronized()) return val(t.sndMss);
          return val(s.maxseg > 0 ? s.maxseg : TCP_MSS_DEFAULT);
        }
        case LINUX.TCP_INFO:
          return val(this.tcpInfoOf(s));
        case LINUX.TCP_CONGESTION:
          return val(s.tcb?.ccName ?? s.congestion ?? this.stack.sysctls.str('net.ipv4.tcp_congestion_control'));
        default:
          return fail(ERRNO.ENOPROTOOPT);
      }
    }
    if (level === LINUX.SOL_IPV6 && s.family === AF_INET6 && name === LINUX.IPV6_V6ONLY) return val(s.v6only ? 1 : 0);
    if (level === LINUX.SOL_IP && name === LINUX.IP_TOS) return val(s.tos);
    if (level === LINUX.SOL_IPV6 && s.family === AF_INET6 && name === LINUX.IPV6_TCLASS) return val(s.tos);
    if (level === LINUX.SOL_IP && name === LINUX.IP_MTU_DISCOVER) {
      return val(s.pmtudisc >= 0 ? s.pmtudisc : this.stack.sysctls.int('net.ipv4.ip_no_pmtu_disc') !== 0 ? 0 : 1);
    }
    return fail(ERRNO.ENOPROTOOPT);
  }

  /**
   * IP_TOS (IPv4; a TCP socket keeps its ECN bits, as Linux), IPV6_TCLASS (-1 resets) and
   * IP_MTU_DISCOVER (0..5): they apply to the segments a connection sends from now on.
   */
  private setIpOption(s: Sock, level: number, name: number, int: number | undefined): SysResult {
    if (int === undefined) return fail(ERRNO.EINVAL);
    if (name === LINUX.IP_MTU_DISCOVER && level === LINUX.SOL_IP) {
      if (int < 0 || int > 5) return fail(ERRNO.EINVAL);
      s.pmtudisc = int;
    } else if (level === LINUX.SOL_IPV6) {
      if (int < -1 || int > 0xff) return fail(ERRNO.EINVAL);
      s.tos = int === -1 ? 0 : int;
    } else {
      s.tos = s.isTcp ? (int & 0xfc) | (s.tos & 0x03) : int & 0xff;
    }
    const t = s.tcb;
    if (t !== undefined) {
      t.cfg.tos = s.tos;
      if (s.pmtudisc >= 0) t.cfg.pmtuDiscover = s.pmtudisc !== LINUX.IP_PMTUDISC_DONT;
    }
    if (s.listener !== undefined) Object.assign(s.listener.options, s.tcpOptions());
    return ok();
  }

  private tcpInfoOf(s: Sock): TcpInfo {
    const t = s.tcb;
    let pmtu = 0;
    if (t !== undefined) {
      const c = t.sink;
      if (c instanceof TcpConn) pmtu = this.stack.pathMtu(c.v4 ? c.remote4 : c.remote6, this.clock());
    }
    return tcpInfo(t, s.listener !== undefined, this.clock(), pmtu);
  }

  private rcvbufOf(s: Sock): number {
    if (s.isTcp && s.tcb !== undefined) return s.tcb.cfg.rcvBuf;
    if (s.rcvbuf !== undefined) return Math.max(2 * s.rcvbuf, SOCK_MIN_RCVBUF);
    if (s.isTcp) return this.stack.sysctls.ints('net.ipv4.tcp_rmem')[1]!;
    return s.udp?.rcvbuf ?? this.stack.sysctls.int('net.core.rmem_default');
  }

  private sndbufOf(s: Sock): number {
    if (s.isTcp && s.tcb !== undefined) return s.tcb.cfg.sndBuf;
    if (s.sndbuf !== undefined) return Math.max(2 * s.sndbuf, SOCK_MIN_SNDBUF);
    if (s.isTcp) return this.stack.sysctls.ints('net.ipv4.tcp_wmem')[1]!;
    return this.stack.sysctls.int('net.core.wmem_default');
  }

  /** Keepalive settings changed: children of a listener inherit them; a connection restarts its timer. */
  private applyKeepalive(s: Sock): void {
    const t = s.tcb;
    if (t !== undefined) {
      const c = t.cfg;
      const sys = this.stack.sysctls;
      c.keepalive = s.keepalive;
      c.keepIdleUs = (s.keepIdle || sys.int('net.ipv4.tcp_keepalive_time')) * 1_000_000;
      c.keepIntvlUs = (s.keepIntvl || sys.int('net.ipv4.tcp_keepalive_intvl')) * 1_000_000;
      c.keepCnt = s.keepCnt || sys.int('net.ipv4.tcp_keepalive_probes');
      t.resetKeepalive(this.clock());
      this.tcp.touch(t);
    }
    if (s.listener !== undefined) Object.assign(s.listener.options, s.tcpOptions());
  }

  setsockopt(fd: number, level: number, name: number, value: OptValue): SysResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    const int = typeof value === 'number' ? value | 0 : undefined;
    if (level === LINUX.SOL_SOCKET) {
      switch (name) {
        case LINUX.SO_REUSEADDR:
          if (int === undefined) return fail(ERRNO.EINVAL);
          s.reuseaddr = int !== 0;
          return ok();
        case LINUX.SO_RCVBUF:
        case LINUX.SO_SNDBUF: {
          if (int === undefined) return fail(ERRNO.EINVAL);
          const rcv = name === LINUX.SO_RCVBUF;
          // A connection's queues can be resized (the advertised window follows the receive queue
          // as tcp_shrink_window allows: docs/window-retraction.md); a UDP socket's buffers are
          // sized when they are created.
          if (!s.isTcp && (s.udp !== undefined || !rcv)) return fail(ERRNO.ENOPROTOOPT);
          const max = this.stack.sysctls.int(rcv ? 'net.core.rmem_max' : 'net.core.wmem_max');
          const v = Math.min(Math.max(int, 0), max);
          if (s.tcb !== undefined && rcv) {
            s.rcvbuf = v;
            s.tcb.setRecvBuffer(Math.max(2 * v, SOCK_MIN_RCVBUF));
            return ok();
          }
          if (s.tcb !== undefined) {
            s.sndbuf = v;
            s.tcb.setSendBuffer(Math.max(2 * v, SOCK_MIN_SNDBUF));
            return ok();
          }
          if (rcv) s.rcvbuf = v;
          else s.sndbuf = v;
          if (s.listener !== undefined) Object.assign(s.listener.options, s.tcpOptions());
          return ok();
        }
        case LINUX.SO_KEEPALIVE:
          if (int === undefined) return fail(ERRNO.EINVAL);
          s.keepalive = int !== 0;
          this.applyKeepalive(s);
          return ok();
        case LINUX.SO_LINGER:
          if (typeof value !== 'object' || !('onoff' in value)) return fail(ERRNO.EINVAL);
          s.linger = { onoff: value.onoff, linger: Math.max(0, value.linger | 0) };
          return ok();
        case LINUX.SO_RCVTIMEO:
        case LINUX.SO_SNDTIMEO: {
          if (typeof value !== 'object' || !('usec' in value)) return fail(ERRNO.EINVAL);
          if (value.usec < 0 || value.usec >= 1_000_000) return fail(ERRNO.EDOM);
          const us = value.sec < 0 ? 0 : value.sec * 1_000_000 + value.usec;
          if (name === LINUX.SO_RCVTIMEO) s.rcvtimeoUs = us;
          else s.sndtimeoUs = us;
          return ok();
        }
        default:
          return fail(ERRNO.ENOPROTOOPT);
      }
    }
    if (level === LINUX.SOL_TCP && s.isTcp) {
      const rp = repairSetsockopt(s, this.tcp, name, value, this.clock()); // socket/repair.ts
      if (rp !== undefined) return rp;
      switch (name) {
        case LINUX.TCP_NODELAY: {
          if (int === undefined) return fail(ERRNO.EINVAL);
          s.nodelay = int !== 0;
          const t = s.tcb;
          if (t !== undefined) {
            t.cfg.nodelay = s.nodelay;
            // Linux: setting TCP_NODELAY pushes what waits, corked or not.
            if (s.nodelay) t.pushPending(this.clock());
            this.tcp.touch(t);
          }
          if (s.listener !== undefined) s.listener.options.nodelay = s.nodelay;
          return ok();
        }
        case LINUX.TCP_KEEPIDLE:
        case LINUX.TCP_KEEPINTVL:
        case LINUX.TCP_KEEPCNT: {
          // Linux: 1..MAX_TCP_KEEPIDLE / MAX_TCP_KEEPINTVL (32767 s), 1..MAX_TCP_KEEPCNT (127).
          const max = name === LINUX.TCP_KEEPCNT ? 127 : 32767;
          if (int === undefined || int < 1 || int > max) return fail(ERRNO.EINVAL);
          if (name === LINUX.TCP_KEEPIDLE) s.keepIdle = int;
          else if (name === LINUX.TCP_KEEPINTVL) s.keepIntvl = int;
          else s.keepCnt = int;
          this.applyKeepalive(s);
          return ok();
        }
        case LINUX.TCP_CORK: {
          if (int === undefined) return fail(ERRNO.EINVAL);
          s.cork = int !== 0;
          if (s.tcb !== undefined) {
            s.tcb.setCork(s.cork, this.clock());
            this.tcp.touch(s.tcb);
          }
          return ok();
        }
        case LINUX.TCP_NOTSENT_LOWAT: {
          if (typeof value !== 'number') return fail(ERRNO.EINVAL);
          s.notsentLowat = value >>> 0;
          if (s.tcb !== undefined) {
            s.tcb.cfg.notsentLowat = s.notsentLowat;
            this.tcp.touch(s.tcb);
          }
          if (s.listener !== undefined) s.listener.options.notsentLowat = s.notsentLowat;
          return ok();
        }
        case LINUX.TCP_INQ:
          if (int === undefined) return fail(ERRNO.EINVAL);
          s.inq = int !== 0;
          return ok();
        case LINUX.TCP_CONGESTION: {
          // By name, as a string; an unknown name is ENOENT (Linux tcp_set_congestion_control).
          if (typeof value !== 'string') return fail(ERRNO.EFAULT);
          const cc = ccNameOf(value);
          if (!CC_NAMES.includes(cc)) return fail(ERRNO.ENOENT);
          s.congestion = cc;
          if (s.tcb !== undefined) setCongestionControl(s.tcb, cc);
          if (s.listener !== undefined) s.listener.options.congestion = cc;
          return ok();
        }
        case LINUX.TCP_USER_TIMEOUT: {
          if (int === undefined || int < 0) return fail(ERRNO.EINVAL);
          s.userTimeout = int;
          if (s.tcb !== undefined) s.tcb.cfg.userTimeoutUs = int * 1000;
          if (s.listener !== undefined) s.listener.options.userTimeoutMs = int;
          return ok();
        }
        case LINUX.TCP_MAXSEG:
          if (int === undefined) return fail(ERRNO.EINVAL);
          if (int !== 0 && (int < MIN_USER_MSS || int > MAX_TCP_WINDOW)) return fail(ERRNO.EINVAL);
          // The MSS is fixed when the connection is created.
          if (s.tcb !== undefined) return fail(ERRNO.ENOPROTOOPT);
          s.maxseg = int;
          if (s.listener !== undefined) s.listener.options.maxSeg = int > 0 ? int : undefined;
          return ok();
        default:
          return fail(ERRNO.ENOPROTOOPT);
      }
    }
    if (
      (level === LINUX.SOL_IP && (name === LINUX.IP_TOS || name === LINUX.IP_MTU_DISCOVER)) ||
      (level === LINUX.SOL_IPV6 && s.family === AF_INET6 && name === LINUX.IPV6_TCLASS)
    ) {
      return this.setIpOption(s, level, name, int);
    }
    if (level === LINUX.SOL_IPV6 && s.family === AF_INET6 && name === LINUX.IPV6_V6ONLY) {
      if (int === undefined) return fail(ERRNO.EINVAL);
      if (s.local.port !== 0 || s.tcb !== undefined || s.listener !== undefined || s.udp !== undefined) {
        return fail(ERRNO.EINVAL);
      }
      s.v6only = int !== 0;
      return ok();
    }
    return fail(ERRNO.ENOPROTOOPT);
  }

  // ================================================================ connection repair (socket/repair.ts)

  /** The state of `fd`'s connection as a record (docs/repair.md); errors as values. */
  exportConnection(fd: number): RepairResult<TcpRepairRecord> {
    return exportSocket(this.sock(fd), this.clock());
  }

  /**
   * A connected socket built from an exported record and resumed at once; its fd, or an error.
   * `flags`: SOCK_NONBLOCK / SOCK_CLOEXEC; `addrs` overrides the record's addresses.
   */
  importConnection(record: unknown, flags = 0, addrs?: { local: IpAddr; remote: IpAddr }): RepairResult<number> {
    const make = (family: number): { sock: Sock; fd: number } => {
      const sock = new Sock(family, LINUX.SOCK_STREAM, LINUX.IPPROTO_TCP, flags, false);
      return { sock, fd: this.alloc(sock) };
    };
    return importSocket(this.tcp, record, this.clock(), make, addrs);
  }

  // ================================================================ fcntl / ioctl / names

  fcntl(fd: number, cmd: number, arg = 0): SysResult {
    const f = Number.isInteger(fd) && fd >= 0 ? this.files[fd] : undefined;
    if (f === undefined) return fail(ERRNO.EBADF);
    switch (cmd) {
      case LINUX.F_GETFL:
        return ok(LINUX.O_RDWR | (!f.isEpoll && f.nonblock ? LINUX.O_NONBLOCK : 0));
      case LINUX.F_SETFL:
        if (!f.isEpoll) f.nonblock = (arg & LINUX.O_NONBLOCK) !== 0;
        return ok();
      case LINUX.F_GETFD:
        return ok(f.cloexec ? LINUX.FD_CLOEXEC : 0);
      case LINUX.F_SETFD:
        f.cloexec = (arg & LINUX.FD_CLOEXEC) !== 0;
        return ok();
      default:
        return fail(ERRNO.EINVAL);
    }
  }

  ioctl(fd: number, req: number): SysResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s === ERRNO.ENOTSOCK ? ERRNO.ENOTTY : s);
    if (req === LINUX.FIONREAD) {
      if (!s.isTcp) return { ret: 0, value: Math.max(0, s.udp?.nextLength() ?? 0) };
      if (s.listener !== undefined) return fail(ERRNO.EINVAL);
      return { ret: 0, value: s.tcb?.available ?? 0 };
    }
    if (req === LINUX.SIOCOUTQ) {
      if (!s.isTcp) return { ret: 0, value: 0 };
      if (s.listener !== undefined) return fail(ERRNO.EINVAL);
      return { ret: 0, value: s.tcb?.sndQueue.length ?? 0 };
    }
    return fail(ERRNO.ENOTTY);
  }

  getsockname(fd: number): SysResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    const u = s.udp;
    if (u !== undefined && u.localPort !== 0) {
      // The UDP socket may have bound itself (sendto / connect on an unbound socket).
      const any = s.family === AF_INET ? 0 : new Uint8Array(16);
      return { ret: 0, addr: fromIp(s.family, u.localAny ? any : u.local, u.localPort) };
    }
    return { ret: 0, addr: { ...s.local, addr: typeof s.local.addr === 'number' ? s.local.addr : s.local.addr.slice() } };
  }

  getpeername(fd: number): SysResult {
    const s = this.sock(fd);
    if (typeof s === 'number') return fail(s);
    if (s.peer === undefined) return fail(ERRNO.ENOTCONN);
    if (s.isTcp) {
      const st = s.tcb?.state;
      if (st === undefined || st === TcpState.CLOSED || st === TcpState.SYN_SENT) return fail(ERRNO.ENOTCONN);
    } else if (!s.connected) return fail(ERRNO.ENOTCONN);
    return { ret: 0, addr: s.peer };
  }

  // ================================================================ readiness

  /** The poll mask of an open file (0 for an unknown fd). */
  eventsOf(fd: number): number {
    const f = this.files[fd];
    if (f === undefined) return 0;
    if (f.isEpoll) {
      for (const [efd, e] of f.interest) {
        if (efd !== fd && !e.disabled && (this.eventsOf(efd) & e.events) !== 0) return LINUX.POLLIN | LINUX.POLLRDNORM;
      }
      return 0;
    }
    const s = f;
    if (!s.isTcp) {
      let m = LINUX.POLLOUT | LINUX.POLLWRNORM | LINUX.POLLWRBAND;
      const u = s.udp;
      if (u !== undefined && u.queued > 0) m |= LINUX.POLLIN | LINUX.POLLRDNORM;
      if (u !== undefined && u.error !== 0) m |= LINUX.POLLERR;
      if (s.rdShut) m |= LINUX.POLLIN | LINUX.POLLRDNORM | LINUX.POLLRDHUP;
      if (s.rdShut && s.wrShut) m |= LINUX.POLLHUP;
      return m;
    }
    if (s.listener !== undefined) return s.listener.pollEvents();
    const t = s.tcb;
    if (t === undefined) {
      let m = LINUX.POLLOUT | LINUX.POLLWRNORM | LINUX.POLLHUP;
      if (s.rdShut) m |= LINUX.POLLIN | LINUX.POLLRDNORM | LINUX.POLLRDHUP;
      return m;
    }
    let m = t.pollEvents();
    if (s.rdShut) m |= LINUX.POLLIN | LINUX.POLLRDNORM | LINUX.POLLRDHUP;
    if (s.rdShut && (s.wrShut || t.finQueued)) m |= LINUX.POLLHUP;
    return m;
  }

  poll(fds: readonly PollFd[], timeoutMs: number): CallResult {
    const revents = fds.map(() => 0);
    const scan = (): SysResult | undefined => {
      let n = 0;
      for (let i = 0; i < fds.length; i++) {
        const p = fds[i]!;
        let r = 0;
        if (p.fd >= 0) {
          const want = p.events | LINUX.POLLERR | LINUX.POLLHUP;
          r = this.files[p.fd] === undefined ? LINUX.POLLNVAL : this.eventsOf(p.fd) & want;
        }
        revents[i] = r;
        if (r !== 0) n++;
      }
      return n > 0 ? { ret: n, revents: revents.slice() } : undefined;
    };
    const timeout = (): SysResult => ({ ret: 0, revents: revents.map(() => 0) });
    if (timeoutMs === 0) return scan() ?? timeout();
    return this.block(false, timeoutMs > 0 ? timeoutMs * 1000 : 0, scan, timeout);
  }

  epoll_create(size: number): SysResult {
    if (size <= 0) return fail(ERRNO.EINVAL);
    return ok(this.alloc(new Epoll(false)));
  }

  epoll_create1(flags: number): SysResult {
    if ((flags & ~LINUX.EPOLL_CLOEXEC) !== 0) return fail(ERRNO.EINVAL);
    return ok(this.alloc(new Epoll((flags & LINUX.EPOLL_CLOEXEC) !== 0)));
  }

  epoll_ctl(epfd: number, op: number, fd: number, ev?: EpollEvent): SysResult {
    const ep = this.files[epfd];
    const target = this.files[fd];
    if (ep === undefined || target === undefined) return fail(ERRNO.EBADF);
    if (!ep.isEpoll || epfd === fd) return fail(ERRNO.EINVAL);
    const cur = ep.interest.get(fd);
    switch (op) {
      case LINUX.EPOLL_CTL_ADD:
        if (ev === undefined) return fail(ERRNO.EFAULT);
        if (cur !== undefined) return fail(ERRNO.EEXIST);
        ep.add(fd, ev, this.epollProbe);
        return ok();
      case LINUX.EPOLL_CTL_MOD:
        if (ev === undefined) return fail(ERRNO.EFAULT);
        if (cur === undefined) return fail(ERRNO.ENOENT);
        cur.arm(ev.events, ev.data);
        return ok();
      case LINUX.EPOLL_CTL_DEL:
        if (cur === undefined) return fail(ERRNO.ENOENT);
        ep.interest.delete(fd);
        return ok();
      default:
        return fail(ERRNO.EINVAL);
    }
  }

  /** epoll_wait: the report rules are in epoll.ts (level / EPOLLET / EPOLLONESHOT). */
  epoll_wait(epfd: number, maxevents: number, timeoutMs: number): CallResult {
    const ep = this.files[epfd];
    if (ep === undefined) return fail(ERRNO.EBADF);
    if (!ep.isEpoll || maxevents <= 0) return fail(ERRNO.EINVAL);
    const scan = (): SysResult | undefined => {
      const events = ep.collect(maxevents, this.epollProbe);
      return events.length > 0 ? { ret: events.length, events } : undefined;
    };
    const timeout = (): SysResult => ({ ret: 0, events: [] });
    if (timeoutMs === 0) return scan() ?? timeout();
    return this.block(false, timeoutMs > 0 ? timeoutMs * 1000 : 0, scan, timeout);
  }

  /**
   * Samples the readiness of every file watched by an epoll instance, so that edge-triggered
   * entries see the edges between two epoll_wait calls. Call it after each stack step.
   */
  epollTick(): void {
    for (const f of this.files) if (f !== undefined && f.isEpoll) f.sample(this.epollProbe);
  }

  private readonly epollProbe: EpollProbe = {
    readiness: (fd) => this.eventsOf(fd),
    arrivals: (fd) => {
      const f = this.files[fd];
      if (f === undefined || f.isEpoll) return 0;
      if (f.tcb !== undefined) return f.tcb.rcv.nxt;
      return f.udp?.queued ?? 0;
    },
  };

  // ================================================================ helpers

  private udpOf(s: Sock): UdpSocket {
    if (s.udp === undefined) {
      const opts: { rcvbuf?: number; v6only?: boolean } = { v6only: s.v6only };
      if (s.rcvbuf !== undefined) opts.rcvbuf = Math.max(2 * s.rcvbuf, SOCK_MIN_RCVBUF);
      s.udp = this.stack.udp.socket(s.family === AF_INET ? 4 : 6, opts);
    }
    return s.udp;
  }
}

function timeval(us: number): Timeval {
  return { sec: Math.floor(us / 1_000_000), usec: us % 1_000_000 };
}

/** For callers that hold a stack address: the socket address of `family`. */
export function sockAddrOf(family: number, a: IpAddr, port: number): SockAddr {
  return family === AF_INET6 && typeof a === 'number' ? { family, addr: mapV4(a), port } : fromIp(family, a, port);
}
