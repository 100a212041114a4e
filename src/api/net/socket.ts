/**
 * `Socket`: a `stream.Duplex` over one TCP socket of the socket layer, with the events and methods
 * of Node's `net.Socket`.
 *
 * The descriptor is non-blocking. Reading happens while the stream wants data (`_read` was called
 * and the last `push()` returned true): each read takes what the receive queue holds (at most
 * 64 KiB) into one fresh Buffer that is pushed as is. When `push()` returns false the socket
 * stops reading, the receive queue fills and the advertised TCP window closes. Writing hands
 * each chunk to the socket layer; the chunk's callback runs once the send queue took all of it,
 * so the Writable's high-water mark and 'drain' give the backpressure. `end()` is
 * `shutdown(SHUT_WR)`; `destroy()` is `close()`; `resetAndDestroy()` closes with SO_LINGER {1, 0}
 * (an RST).
 *
 * `ref()` / `unref()` do nothing: the socket owns no handle. What keeps the process alive is the
 * driver's timer (see `NetStackOptions.unref`). Idle timeouts (`setTimeout`) use unref'd timers.
 */
import { Duplex } from 'node:stream';
import type { SockAddr } from '../../core/socket/addr.js';
import type { SysResult } from '../../core/socket/api.js';
import { ERRNO, LINUX } from '../../core/socket/linux.js';
import { type AddressInfo, asFamily, formatSockAddr, sockAddrFor } from './address.js';
import { codeError, errnoError } from './errors.js';
import type { NetHost, ReadyWatcher } from './host.js';

const MAX_READ = 64 * 1024;
const { POLLIN, POLLOUT, POLLERR, POLLHUP } = LINUX;

export interface SocketOptions {
  /** Keep the writable side open after the peer's FIN (default false: end it too). */
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

export interface ConnectOptions {
  port: number;
  /** An IP literal or 'localhost' (default 'localhost'); no name resolution. */
  host?: string;
  localAddress?: string;
  localPort?: number;
  /** 4 or 6: the family 'localhost' stands for. */
  family?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** Idle timeout (ms), as `setTimeout`. */
  timeout?: number;
}

type Callback = (err?: Error | null) => void;

interface PendingWrite {
  data: Uint8Array;
  off: number;
  cb: Callback;
}

export type ReadyState = 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed';

/** Arguments of `connect()`: `(options, [cb])`, `(port, [host], [cb])`. */
export function normalizeConnectArgs(args: unknown[]): [ConnectOptions, (() => void) | undefined] {
  const last = args[args.length - 1];
  const cb = typeof last === 'function' ? (last as () => void) : undefined;
  const a0 = args[0];
  if (a0 !== null && typeof a0 === 'object') return [{ ...(a0 as ConnectOptions) }, cb];
  const port = typeof a0 === 'string' ? Number(a0) : (a0 as number);
  const host = typeof args[1] === 'string' ? args[1] : undefined;
  return [{ port, ...(host !== undefined ? { host } : {}) }, cb];
}

export class Socket extends Duplex implements ReadyWatcher {
  /** connect() was called and the handshake has not ended. */
  connecting = false;
  bytesRead = 0;
  private fd = -1;
  private written = 0;
  private wantRead = false;
  private readEof = false;
  private pendingWrite: PendingWrite | undefined;
  private pendingFinal: Callback | undefined;
  private local: SockAddr | undefined;
  private remote: SockAddr | undefined;
  private target: SockAddr | undefined;
  private idleMs = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private linger0 = false;
  private hadError = false;
  private readonly scratch = new Uint8Array(1);

  constructor(
    private readonly host: NetHost,
    opts: SocketOptions = {},
    /** An accepted, connected, non-blocking descriptor (used by `Server`). */
    fd?: number,
  ) {
    super({
      allowHalfOpen: opts.allowHalfOpen ?? false,
      emitClose: false,
      autoDestroy: true,
      decodeStrings: true,
      ...(opts.readableHighWaterMark !== undefined ? { readableHighWaterMark: opts.readableHighWaterMark } : {}),
      ...(opts.writableHighWaterMark !== undefined ? { writableHighWaterMark: opts.writableHighWaterMark } : {}),
    });
    if (fd !== undefined) {
      this.fd = fd;
      this.fillNames();
      host.watch(this);
    }
  }

  // ------------------------------------------------------------------ connect

  connect(options: ConnectOptions, cb?: () => void): this;
  connect(port: number, host?: string, cb?: () => void): this;
  connect(port: number, cb?: () => void): this;
  connect(...args: unknown[]): this {
    const [o, cb] = normalizeConnectArgs(args);
    if (this.fd >= 0 || this.connecting) {
      throw codeError('ERR_SOCKET_CONNECTING', 'Socket is already connected or connecting');
    }
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
      throw codeError('ERR_SOCKET_BAD_PORT', `Port should be >= 0 and < 65536. Received ${String(o.port)}.`, RangeError);
    }
    if (cb !== undefined) this.once('connect', cb);
    if (o.timeout !== undefined) this.setTimeout(o.timeout);
    const host = o.host ?? 'localhost';
    const sa = sockAddrFor(host, o.port, o.family);
    if (sa === undefined) {
      const e = errnoError(0, 'getaddrinfo', host);
      e.code = 'ENOTFOUND';
      e.message = `getaddrinfo ENOTFOUND ${host} (no name resolution over this stack)`;
      this.failSoon(e);
      return this;
    }
    this.target = sa;
    this.connecting = true;
    const api = this.host.api;
    let family = sa.family;
    let local: SockAddr | undefined;
    if (o.localAddress !== undefined || o.localPort !== undefined) {
      local = sockAddrFor(o.localAddress ?? (family === LINUX.AF_INET ? '0.0.0.0' : '::'), o.localPort ?? 0);
      if (local === undefined) {
        this.failSoon(codeError('ERR_INVALID_IP_ADDRESS', `Invalid IP address: ${String(o.localAddress)}`, TypeError));
        return this;
      }
      // An IPv6 local address for an IPv4 peer: use an AF_INET6 socket and a mapped destination.
      if (local.family === LINUX.AF_INET6) family = LINUX.AF_INET6;
    }
    const s = api.socket(family, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK, 0);
    if (s.ret < 0) {
      this.failSoon(errnoError(s.errno!, 'socket'));
      return this;
    }
    this.fd = s.ret;
    this.host.watch(this);
    if (local !== undefined) {
      const b = api.bind(this.fd, asFamily(local, family));
      if (b.ret < 0) {
        this.failSoon(errnoError(b.errno!, 'bind', o.localAddress, o.localPort));
        return this;
      }
    }
    if (o.noDelay === true) this.setNoDelay(true);
    if (o.keepAlive === true) this.setKeepAlive(true, o.keepAliveInitialDelay ?? 0);
    const r = api.connect(this.fd, asFamily(sa, family)) as SysResult;
    this.host.kick();
    if (r.ret === 0) process.nextTick(() => this.finishConnect());
    else if (r.errno !== ERRNO.EINPROGRESS) this.failSoon(this.connectError(r.errno!));
    return this;
  }

  private connectError(errno: number): Error {
    const t = this.target;
    return errnoError(errno, 'connect', t ? formatSockAddr(t).address : undefined, t?.port);
  }

  private failSoon(e: Error): void {
    process.nextTick(() => this.destroy(e));
  }

  private finishConnect(): void {
    if (!this.connecting || this.fd < 0) return;
    const r = this.host.api.connect(this.fd, asFamily(this.target!, this.familyOfFd())) as SysResult;
    if (r.ret !== 0 && r.errno !== ERRNO.EISCONN) {
      if (r.errno === ERRNO.EALREADY || r.errno === ERRNO.EINPROGRESS) return;
      this.connecting = false;
      this.destroy(this.connectError(r.errno!));
      return;
    }
    this.connecting = false;
    this.fillNames();
    this.touchIdle();
    this.emit('connect');
    this.emit('ready');
    if (this.destroyed) return;
    if (this.pendingWrite !== undefined) this.tryWrite();
    if (this.pendingFinal !== undefined && this.pendingWrite === undefined) {
      const f = this.pendingFinal;
      this.pendingFinal = undefined;
      this.doShutdown(f);
    }
    if (this.wantRead) this.tryRead();
  }

  private familyOfFd(): number {
    const r = this.host.api.getsockopt(this.fd, LINUX.SOL_SOCKET, LINUX.SO_DOMAIN);
    return typeof r.value === 'number' ? r.value : LINUX.AF_INET;
  }

  private fillNames(): void {
    const api = this.host.api;
    const l = api.getsockname(this.fd);
    if (l.ret === 0) this.local = l.addr;
    const p = api.getpeername(this.fd);
    if (p.ret === 0) this.remote = p.addr;
  }

  // ------------------------------------------------------------------ readiness

  /** @internal Called by the stack after it did work. */
  onReady(): void {
    if (this.fd < 0 || this.destroyed) return;
    const ev = this.host.api.eventsOf(this.fd);
    if (this.connecting) {
      if ((ev & (POLLOUT | POLLERR | POLLHUP)) !== 0) this.finishConnect();
      return;
    }
    if (this.wantRead && (ev & (POLLIN | POLLERR | POLLHUP)) !== 0) this.tryRead();
    if (this.pendingWrite !== undefined && (ev & (POLLOUT | POLLERR | POLLHUP)) !== 0 && !this.destroyed) {
      this.tryWrite();
    }
    if ((ev & POLLERR) !== 0 && !this.destroyed && !this.wantRead && this.pendingWrite === undefined) {
      // An error with nobody reading or writing (e.g. an RST while paused): report it now.
      const e = this.host.api.getsockopt(this.fd, LINUX.SOL_SOCKET, LINUX.SO_ERROR);
      if (typeof e.value === 'number' && e.value !== 0) this.destroy(errnoError(e.value, 'read'));
    }
  }

  // ------------------------------------------------------------------ reading

  override _read(): void {
    this.wantRead = true;
    if (this.fd >= 0 && !this.connecting) this.tryRead();
  }

  private tryRead(): void {
    const api = this.host.api;
    let got = false;
    while (this.wantRead && this.fd >= 0 && !this.readEof) {
      const q = api.ioctl(this.fd, LINUX.FIONREAD);
      const avail = typeof q.value === 'number' ? q.value : 0;
      if (avail > 0) {
        const buf = Buffer.allocUnsafe(Math.min(avail, MAX_READ));
        const r = api.read(this.fd, buf) as SysResult;
        if (r.ret > 0) {
          got = true;
          this.bytesRead += r.ret;
          this.wantRead = this.push(r.ret === buf.length ? buf : buf.subarray(0, r.ret));
          continue;
        }
        if (!this.readResult(r)) break;
        continue;
      }
      // Nothing queued: EAGAIN, the end of the stream (0) or the connection's error.
      const r = api.read(this.fd, this.scratch) as SysResult;
      if (r.ret > 0) {
        got = true;
        this.bytesRead += r.ret;
        this.wantRead = this.push(Buffer.from(this.scratch));
        continue;
      }
      if (!this.readResult(r)) break;
    }
    if (got) {
      this.touchIdle();
      this.host.kick();
    }
  }

  /** Handles a read that returned no data; false when the loop must stop. */
  private readResult(r: SysResult): boolean {
    if (r.ret === 0) {
      this.readEof = true;
      this.wantRead = false;
      this.push(null);
      return false;
    }
    if (r.errno === ERRNO.EAGAIN) return false;
    this.wantRead = false;
    this.destroy(errnoError(r.errno!, 'read'));
    return false;
  }

  // ------------------------------------------------------------------ writing

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: Callback): void {
    this.pendingWrite = { data: chunk, off: 0, cb };
    if (this.fd >= 0 && !this.connecting) this.tryWrite();
  }

  private tryWrite(): void {
    const w = this.pendingWrite;
    if (w === undefined) return;
    const api = this.host.api;
    let moved = false;
    let err: number | undefined;
    while (w.off < w.data.length) {
      const r = api.write(this.fd, w.off === 0 ? w.data : w.data.subarray(w.off)) as SysResult;
      if (r.ret > 0) {
        w.off += r.ret;
        moved = true;
        continue;
      }
      if (r.ret < 0 && r.errno !== ERRNO.EAGAIN) err = r.errno;
      break;
    }
    if (moved) {
      this.touchIdle();
      this.host.kick();
    }
    if (err !== undefined) {
      this.pendingWrite = undefined;
      w.cb(errnoError(err, 'write'));
    } else if (w.off >= w.data.length) {
      this.pendingWrite = undefined;
      this.written += w.data.length;
      w.cb();
    }
  }

  override _final(cb: Callback): void {
    if (this.fd < 0 || this.connecting) {
      this.pendingFinal = cb;
      return;
    }
    this.doShutdown(cb);
  }

  private doShutdown(cb: Callback): void {
    const r = this.host.api.shutdown(this.fd, LINUX.SHUT_WR);
    this.host.kick();
    cb(r.ret < 0 && r.errno !== ERRNO.ENOTCONN ? errnoError(r.errno!, 'shutdown') : null);
  }

  // ------------------------------------------------------------------ closing

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.hadError = err != null;
    this.connecting = false;
    this.clearIdle();
    if (this.fd >= 0) {
      this.host.unwatch(this);
      const api = this.host.api;
      if (this.linger0) api.setsockopt(this.fd, LINUX.SOL_SOCKET, LINUX.SO_LINGER, { onoff: 1, linger: 0 });
      api.close(this.fd);
      this.fd = -1;
      this.host.kick();
    }
    cb(err);
    process.nextTick(() => this.emit('close', this.hadError));
  }

  /** Closes the connection with an RST (SO_LINGER {1, 0}) and destroys the stream. */
  resetAndDestroy(): this {
    if (this.fd < 0 && !this.connecting) {
      this.destroy(codeError('ERR_SOCKET_CLOSED', 'Socket is closed'));
      return this;
    }
    this.linger0 = true;
    this.destroy();
    return this;
  }

  // ------------------------------------------------------------------ options

  setNoDelay(noDelay = true): this {
    if (this.fd >= 0) this.host.api.setsockopt(this.fd, LINUX.SOL_TCP, LINUX.TCP_NODELAY, noDelay ? 1 : 0);
    return this;
  }

  /**
   * SO_KEEPALIVE, and TCP_KEEPIDLE from `initialDelay` (ms, rounded up to seconds). An option the
   * socket layer does not know (ENOPROTOOPT) is ignored, as Node does where the platform lacks it.
   */
  setKeepAlive(enable = false, initialDelay = 0): this {
    if (this.fd < 0) return this;
    const api = this.host.api;
    const r = api.setsockopt(this.fd, LINUX.SOL_SOCKET, LINUX.SO_KEEPALIVE, enable ? 1 : 0);
    if (r.ret < 0 && r.errno !== ERRNO.ENOPROTOOPT) return this;
    if (enable && initialDelay > 0) {
      api.setsockopt(this.fd, LINUX.SOL_TCP, LINUX.TCP_KEEPIDLE, Math.max(1, Math.ceil(initialDelay / 1000)));
    }
    return this;
  }

  /** Emits 'timeout' after `ms` of no reads or writes (0 turns it off). */
  setTimeout(ms: number, cb?: () => void): this {
    if (!Number.isFinite(ms) || ms < 0) {
      throw codeError('ERR_OUT_OF_RANGE', `The value of "timeout" is out of range. Received ${ms}`, RangeError);
    }
    this.idleMs = ms;
    if (cb !== undefined) {
      if (ms === 0) this.removeListener('timeout', cb);
      else this.once('timeout', cb);
    }
    this.clearIdle();
    if (ms > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        this.emit('timeout');
      }, ms);
      this.idleTimer.unref();
    }
    return this;
  }

  /** The idle timeout in ms (undefined when off). */
  get timeout(): number | undefined {
    return this.idleMs > 0 ? this.idleMs : undefined;
  }

  private touchIdle(): void {
    if (this.idleTimer !== undefined) this.idleTimer.refresh();
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // ------------------------------------------------------------------ state

  address(): AddressInfo | Record<string, never> {
    if (this.fd >= 0 && !this.connecting) this.fillNames();
    return this.local !== undefined && this.local.port !== 0 ? formatSockAddr(this.local) : {};
  }

  get remoteAddress(): string | undefined {
    return this.remote !== undefined ? formatSockAddr(this.remote).address : undefined;
  }
  get remotePort(): number | undefined {
    return this.remote?.port;
  }
  get remoteFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.remote !== undefined ? formatSockAddr(this.remote).family : undefined;
  }
  get localAddress(): string | undefined {
    return this.local !== undefined ? formatSockAddr(this.local).address : undefined;
  }
  get localPort(): number | undefined {
    return this.local?.port;
  }
  get localFamily(): 'IPv4' | 'IPv6' | undefined {
    return this.local !== undefined ? formatSockAddr(this.local).family : undefined;
  }

  /** Bytes handed to the socket layer, plus those still waiting in the stream. */
  get bytesWritten(): number {
    return this.written + this.writableLength;
  }

  /** Bytes waiting in the stream (Node's deprecated name for `writableLength`). */
  get bufferSize(): number {
    return this.writableLength;
  }

  get pending(): boolean {
    return this.fd < 0 || this.connecting;
  }

  get readyState(): ReadyState {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  /** The socket layer's descriptor (-1 when none). */
  get fdNumber(): number {
    return this.fd;
  }
}

