/**
 * `Server`: a listening TCP socket of the socket layer with the events and methods of Node's
 * `net.Server`. Without a host it listens on `::` with IPV6_V6ONLY off, so it takes IPv4 clients
 * too (their addresses appear IPv4-mapped, `::ffff:a.b.c.d`). `close()` stops accepting at once
 * and emits 'close' when the last connection has closed.
 */
import { EventEmitter } from 'node:events';
import type { SockAddr } from '../../core/socket/addr.js';
import type { SysResult } from '../../core/socket/api.js';
import { ERRNO, LINUX } from '../../core/socket/linux.js';
import { type AddressInfo, formatSockAddr, sockAddrFor } from './address.js';
import { codeError, errnoError } from './errors.js';
import type { NetHost, ReadyWatcher } from './host.js';
import { Socket } from './socket.js';

export interface ServerOptions {
  /** Accepted sockets keep their writable side open after the peer's FIN. Default false. */
  allowHalfOpen?: boolean;
  /** Accepted sockets start paused. Default false. */
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

export interface ListenOptions {
  port?: number;
  /** An IP literal or 'localhost'; default `::` (dual-stack). */
  host?: string;
  backlog?: number;
  ipv6Only?: boolean;
}

const DEFAULT_BACKLOG = 511;

export class Server extends EventEmitter implements ReadyWatcher {
  /** Connections beyond this are closed as soon as they are accepted. */
  maxConnections: number | undefined = undefined;
  private fd = -1;
  private local: SockAddr | undefined;
  private readonly conns = new Set<Socket>();
  private closing = false;
  private readonly opts: ServerOptions;

  constructor(
    private readonly host: NetHost,
    opts: ServerOptions = {},
    connectionListener?: (socket: Socket) => void,
  ) {
    super();
    this.opts = { ...opts };
    if (connectionListener !== undefined) this.on('connection', connectionListener);
  }

  get listening(): boolean {
    return this.fd >= 0;
  }

  listen(options: ListenOptions, cb?: () => void): this;
  listen(port?: number, host?: string, backlog?: number, cb?: () => void): this;
  listen(port: number, host: string, cb?: () => void): this;
  listen(port: number, cb?: () => void): this;
  listen(...args: unknown[]): this {
    const last = args[args.length - 1];
    const cb = typeof last === 'function' ? (last as () => void) : undefined;
    if (cb !== undefined) args = args.slice(0, -1);
    let o: ListenOptions;
    if (args[0] !== null && typeof args[0] === 'object') o = { ...(args[0] as ListenOptions) };
    else {
      o = {};
      if (args[0] !== undefined) o.port = Number(args[0]);
      if (typeof args[1] === 'string') o.host = args[1];
      const b = typeof args[1] === 'number' ? args[1] : args[2];
      if (typeof b === 'number') o.backlog = b;
    }
    if (this.fd >= 0) throw codeError('ERR_SERVER_ALREADY_LISTEN', 'Listen method has been called more than once');
    const port = o.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw codeError('ERR_SOCKET_BAD_PORT', `Port should be >= 0 and < 65536. Received ${String(o.port)}.`, RangeError);
    }
    if (cb !== undefined) this.once('listening', cb);
    const sa = sockAddrFor(o.host ?? '::', port);
    if (sa === undefined) {
      process.nextTick(() => this.emit('error', codeError('ENOTFOUND', `getaddrinfo ENOTFOUND ${String(o.host)}`)));
      return this;
    }
    const api = this.host.api;
    const fd = api.socket(sa.family, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK, 0).ret;
    const fail = (r: SysResult, call: string): this => {
      api.close(fd);
      const where = formatSockAddr(sa);
      const e = errnoError(r.errno!, call, where.address, port);
      process.nextTick(() => this.emit('error', e));
      return this;
    };
    if (sa.family === LINUX.AF_INET6) {
      api.setsockopt(fd, LINUX.SOL_IPV6, LINUX.IPV6_V6ONLY, o.ipv6Only === true ? 1 : 0);
    }
    api.setsockopt(fd, LINUX.SOL_SOCKET, LINUX.SO_REUSEADDR, 1);
    const b = api.bind(fd, sa);
    if (b.ret < 0) return fail(b, 'listen');
    const l = api.listen(fd, o.backlog ?? DEFAULT_BACKLOG);
    if (l.ret < 0) return fail(l, 'listen');
    this.fd = fd;
    this.closing = false;
    this.local = api.getsockname(fd).addr;
    this.host.watch(this);
    process.nextTick(() => {
      if (this.fd === fd) this.emit('listening');
    });
    return this;
  }

  /** @internal Accepts every queued connection. */
  onReady(): void {
    if (this.fd < 0) return;
    const api = this.host.api;
    if ((api.eventsOf(this.fd) & LINUX.POLLIN) === 0) return;
    for (;;) {
      if (this.fd < 0) return;
      const r = api.accept4(this.fd, LINUX.SOCK_NONBLOCK) as SysResult;
      if (r.ret < 0) {
        if (r.errno !== ERRNO.EAGAIN) this.emit('error', errnoError(r.errno!, 'accept'));
        return;
      }
      if (this.maxConnections !== undefined && this.conns.size >= this.maxConnections) {
        api.close(r.ret);
        this.host.kick();
        this.emit('drop', r.addr !== undefined ? { remote: formatSockAddr(r.addr) } : {});
        continue;
      }
      const s = new Socket(this.host, { allowHalfOpen: this.opts.allowHalfOpen ?? false }, r.ret);
      if (this.opts.noDelay === true) s.setNoDelay(true);
      if (this.opts.keepAlive === true) s.setKeepAlive(true, this.opts.keepAliveInitialDelay ?? 0);
      if (this.opts.pauseOnConnect === true) s.pause();
      this.conns.add(s);
      s.once('close', () => {
        this.conns.delete(s);
        this.maybeClosed();
      });
      this.emit('connection', s);
    }
  }

  /** Stops accepting; 'close' (and `cb`) follow when every connection has closed. */
  close(cb?: (err?: Error) => void): this {
    if (cb !== undefined) {
      if (this.fd < 0) {
        this.once('close', () => cb(codeError('ERR_SERVER_NOT_RUNNING', 'Server is not running.')));
      } else {
        this.once('close', () => cb());
      }
    }
    if (this.fd >= 0) {
      this.host.unwatch(this);
      this.host.api.close(this.fd);
      this.fd = -1;
      this.host.kick();
    }
    this.closing = true;
    this.maybeClosed();
    return this;
  }

  private maybeClosed(): void {
    if (!this.closing || this.conns.size > 0) return;
    this.closing = false;
    process.nextTick(() => this.emit('close'));
  }

  address(): AddressInfo | null {
    return this.fd >= 0 && this.local !== undefined ? formatSockAddr(this.local) : null;
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.conns.size;
    process.nextTick(() => cb(null, n));
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}
