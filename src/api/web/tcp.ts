/**
 * TCP as web streams. `connectTcp` returns a socket in the shape of the `connect()` API of
 * Cloudflare Workers (`readable`, `writable` usable at once, `opened`, `closed`, `close()`); the
 * `opened` info carries the fields of the Direct Sockets `TCPSocketOpenInfo` (`remoteAddress`,
 * `remotePort`, `localAddress`, `localPort`). `listenTcp` returns a server whose `readable` yields
 * accepted sockets of the same shape.
 *
 * Backpressure: the readable pulls from the socket only while its queue is below
 * `readableHighWaterMark` bytes, so a slow reader fills the receive queue and closes the TCP
 * window; a write resolves once the send queue took all of its bytes. Failures are `SocketError`s
 * (a `DOMException` named after the errno).
 */
import type { SockAddr } from '../../core/socket/addr.js';
import { isPending } from '../../core/socket/api.js';
import { ERRNO, LINUX } from '../../core/socket/linux.js';
import { checkPort, familyOf, formatAddr, requireIp, sockAddr } from './addr.js';
import { check, socketError, type SocketError } from './errors.js';
import type { WebStack } from './stack.js';

export interface TcpSocketOptions {
  /** TCP_NODELAY. Default false. */
  noDelay?: boolean;
  /** SO_SNDBUF / SO_RCVBUF in bytes (as `setsockopt`, which doubles them). */
  sendBufferSize?: number;
  receiveBufferSize?: number;
  /** Bytes the readable buffers ahead of the reader. Default 65536. */
  readableHighWaterMark?: number;
}

export interface TcpConnectOptions extends TcpSocketOptions {
  /** The peer: an IPv4 or IPv6 literal (`address` is a synonym). */
  hostname?: string;
  address?: string;
  port: number;
  /** Source address and port (default: chosen by the route and the ephemeral range). */
  localAddress?: string;
  localPort?: number;
}

export interface TcpOpenInfo {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

export interface TcpSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves once connected (rejects with the connect error, e.g. `ECONNREFUSED`). */
  readonly opened: Promise<TcpOpenInfo>;
  /** Resolves when the socket is released after both streams finished; rejects on an error. */
  readonly closed: Promise<void>;
  /** Closes both streams and the connection (an orderly FIN after queued data); returns `closed`. */
  close(): Promise<void>;
}

export interface TcpListenOptions extends TcpSocketOptions {
  /** Address to listen on. Default `::` (dual-stack: IPv4 peers too). */
  hostname?: string;
  /** Port; 0 or absent for an ephemeral one (see `localPort`). */
  port?: number;
  /** Accept queue length. Default 128. */
  backlog?: number;
  /** IPV6_V6ONLY on a `::` listener. Default false. */
  ipv6Only?: boolean;
}

export interface TcpServer {
  /** Accepted connections (already open). */
  readonly readable: ReadableStream<TcpSocket>;
  readonly localAddress: string;
  readonly localPort: number;
  /** Resolves once the listener is closed. */
  readonly closed: Promise<void>;
  /** Stops listening (pending connections are reset); returns `closed`. */
  close(): Promise<void>;
}

const DEFAULT_HWM = 65536;
const POLL_IN = LINUX.POLLIN | LINUX.POLLRDHUP;
const DONTWAIT = LINUX.MSG_DONTWAIT;
const noop = (): void => {};

function bytesOf(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError('a TCP writable takes Uint8Array, ArrayBufferView or ArrayBuffer chunks');
}

function setOptions(ws: WebStack, fd: number, o: TcpSocketOptions): void {
  const api = ws.api;
  if (o.noDelay) check(api.setsockopt(fd, LINUX.SOL_TCP, LINUX.TCP_NODELAY, 1), 'setsockopt');
  if (o.sendBufferSize !== undefined) check(api.setsockopt(fd, LINUX.SOL_SOCKET, LINUX.SO_SNDBUF, o.sendBufferSize), 'setsockopt');
  if (o.receiveBufferSize !== undefined) check(api.setsockopt(fd, LINUX.SOL_SOCKET, LINUX.SO_RCVBUF, o.receiveBufferSize), 'setsockopt');
}

function infoOf(ws: WebStack, fd: number): TcpOpenInfo {
  const local = ws.api.getsockname(fd).addr!;
  const peer = ws.api.getpeername(fd).addr;
  return {
    remoteAddress: peer ? formatAddr(peer) : '',
    remotePort: peer?.port ?? 0,
    localAddress: formatAddr(local),
    localPort: local.port,
  };
}

/** One connected (or connecting) TCP socket over an fd of `ws`. */
class WebTcpSocket implements TcpSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<TcpOpenInfo>;
  readonly closed: Promise<void>;
  private resolveOpened!: (i: TcpOpenInfo) => void;
  private rejectOpened!: (e: unknown) => void;
  private resolveClosed!: () => void;
  private rejectClosed!: (e: unknown) => void;
  private rc: ReadableStreamDefaultController<Uint8Array> | undefined;
  private wc: WritableStreamDefaultController | undefined;
  private fdOpen = true;
  private isOpen = false;
  private readDone = false;
  private writeDone = false;
  private error: SocketError | undefined;

  constructor(
    private readonly ws: WebStack,
    private readonly fd: number,
    opts: TcpSocketOptions,
  ) {
    this.opened = new Promise((res, rej) => {
      this.resolveOpened = res;
      this.rejectOpened = rej;
    });
    this.closed = new Promise((res, rej) => {
      this.resolveClosed = res;
      this.rejectClosed = rej;
    });
    this.opened.catch(noop);
    this.closed.catch(noop);
    const hwm = opts.readableHighWaterMark ?? DEFAULT_HWM;
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.rc = c;
        },
        pull: (c) => this.pull(c),
        cancel: () => {
          this.readDone = true;
          if (this.fdOpen) ws.api.shutdown(fd, LINUX.SHUT_RD);
          this.maybeRelease();
        },
      },
      { highWaterMark: hwm, size: (chunk) => chunk.byteLength },
    );
    this.writable = new WritableStream<Uint8Array>({
      start: (c) => {
        this.wc = c;
      },
      write: (chunk) => this.write(chunk),
      close: async () => {
        await this.whenOpen();
        if (this.fdOpen) {
          const r = ws.api.shutdown(fd, LINUX.SHUT_WR);
          ws.wake();
          if (r.ret < 0 && r.errno !== ERRNO.ENOTCONN) throw this.fail(socketError('shutdown', r.errno!));
        }
        this.writeDone = true;
        this.maybeRelease();
      },
      abort: () => {
        this.writeDone = true;
        this.reset();
      },
    });
  }

  /** Marks the socket connected (an accepted socket, or a finished connect). */
  open(): void {
    if (this.isOpen || this.error !== undefined) return;
    this.isOpen = true;
    this.resolveOpened(infoOf(this.ws, this.fd));
  }

  /** Waits for a non-blocking connect to finish. */
  async finishConnect(): Promise<void> {
    const ev = await this.ws.ready(this.fd, LINUX.POLLOUT);
    if (!this.fdOpen || ev === 0) return;
    const e = this.ws.api.getsockopt(this.fd, LINUX.SOL_SOCKET, LINUX.SO_ERROR).value as number;
    if (e !== 0) {
      this.fail(socketError('connect', e));
      return;
    }
    this.open();
  }

  close(): Promise<void> {
    if (this.fdOpen && this.error === undefined) {
      this.readDone = true;
      this.writeDone = true;
      try {
        this.rc?.close();
      } catch {
        // already closed or errored
      }
      this.wc?.error(socketError('close', ERRNO.EBADF));
      if (!this.isOpen) this.rejectOpened(socketError('connect', ERRNO.ECONNABORTED));
      this.maybeRelease();
    }
    return this.closed;
  }

  /** Fails everything with `e` (reset-free: the fd is closed, the stack sends what TCP requires). */
  fail(e: SocketError): SocketError {
    if (this.error !== undefined || !this.fdOpen) return e;
    this.error = e;
    this.rejectOpened(e);
    try {
      this.rc?.error(e);
    } catch {
      // the stream is already closed
    }
    this.wc?.error(e);
    this.fdOpen = false;
    this.ws.release(this.fd);
    this.rejectClosed(e);
    return e;
  }

  private reset(): void {
    if (!this.fdOpen) return;
    this.ws.api.setsockopt(this.fd, LINUX.SOL_SOCKET, LINUX.SO_LINGER, { onoff: 1, linger: 0 });
    this.readDone = true;
    try {
      this.rc?.error(socketError('write', ERRNO.ECONNABORTED));
    } catch {
      // already closed
    }
    this.maybeRelease();
  }

  private maybeRelease(): void {
    if (!this.fdOpen || !this.readDone || !this.writeDone) return;
    this.fdOpen = false;
    this.ws.release(this.fd);
    this.rejectOpened(socketError('connect', ERRNO.ECONNABORTED));
    this.resolveClosed();
  }

  private async whenOpen(): Promise<void> {
    if (this.isOpen) return;
    try {
      await this.opened;
    } catch (e) {
      throw this.error ?? e;
    }
  }

  private async pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    await this.whenOpen();
    const { ws, fd } = this;
    const buf = ws.scratch;
    for (;;) {
      if (!this.fdOpen || this.readDone) return;
      const want = Math.max(1, Math.min(buf.length, c.desiredSize ?? buf.length));
      const r = ws.api.recv(fd, buf, want, DONTWAIT);
      if (isPending(r)) throw new Error('internal: a non-blocking recv blocked');
      ws.wake();
      if (r.ret > 0) {
        c.enqueue(buf.slice(0, r.ret));
        return;
      }
      if (r.ret === 0) {
        this.readDone = true;
        c.close();
        this.maybeRelease();
        return;
      }
      if (r.errno !== ERRNO.EAGAIN) {
        this.fail(socketError('read', r.errno!));
        return;
      }
      await ws.ready(fd, POLL_IN);
    }
  }

  private async write(chunk: Uint8Array): Promise<void> {
    const data = bytesOf(chunk);
    await this.whenOpen();
    const { ws, fd } = this;
    let off = 0;
    while (off < data.length) {
      if (!this.fdOpen) throw this.error ?? socketError('write', ERRNO.EBADF);
      const r = ws.api.send(fd, off === 0 ? data : data.subarray(off), data.length - off, DONTWAIT);
      if (isPending(r)) throw new Error('internal: a non-blocking send blocked');
      ws.wake();
      if (r.ret >= 0) {
        off += r.ret;
        continue;
      }
      if (r.errno !== ERRNO.EAGAIN) throw this.fail(socketError('write', r.errno!));
      await ws.ready(fd, LINUX.POLLOUT);
    }
  }
}

/** Opens a TCP connection from `ws` (see `TcpSocket`); connect errors reject `opened`. */
export function connectTcp(ws: WebStack, opts: TcpConnectOptions): TcpSocket {
  const host = opts.hostname ?? opts.address;
  if (host === undefined) throw new TypeError('connectTcp: hostname (or address) is required');
  const ip = requireIp(host, 'hostname');
  const port = checkPort(opts.port, 'port', false);
  const family = familyOf(ip);
  const api = ws.api;
  const fd = check(api.socket(family, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK, 0), 'socket');
  const sock = new WebTcpSocket(ws, fd, opts);
  try {
    setOptions(ws, fd, opts);
    if (opts.localAddress !== undefined || opts.localPort !== undefined) {
      const local = opts.localAddress !== undefined ? requireIp(opts.localAddress, 'localAddress') : (family === LINUX.AF_INET ? 0 : new Uint8Array(16));
      check(api.bind(fd, sockAddr(family, local, checkPort(opts.localPort ?? 0, 'localPort', true))), 'bind');
    }
  } catch (e) {
    ws.release(fd);
    throw e;
  }
  const r = api.connect(fd, sockAddr(family, ip, port));
  ws.wake();
  if (isPending(r)) throw new Error('internal: a non-blocking connect blocked');
  if (r.ret === 0) sock.open();
  else if (r.errno === ERRNO.EINPROGRESS) void sock.finishConnect();
  else sock.fail(socketError('connect', r.errno!));
  return sock;
}

/** Listens for TCP connections on `ws`; bind and listen errors throw a `SocketError` at once. */
export function listenTcp(ws: WebStack, opts: TcpListenOptions = {}): TcpServer {
  const ip = requireIp(opts.hostname ?? '::', 'hostname');
  const port = checkPort(opts.port ?? 0, 'port', true);
  const family = familyOf(ip);
  const api = ws.api;
  const fd = check(api.socket(family, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK, 0), 'socket');
  let local: SockAddr;
  try {
    if (family === LINUX.AF_INET6) check(api.setsockopt(fd, LINUX.SOL_IPV6, LINUX.IPV6_V6ONLY, opts.ipv6Only ? 1 : 0), 'setsockopt');
    setOptions(ws, fd, opts);
    check(api.bind(fd, sockAddr(family, ip, port)), 'bind');
    check(api.listen(fd, opts.backlog ?? 128), 'listen');
    local = api.getsockname(fd).addr!;
  } catch (e) {
    ws.release(fd);
    throw e;
  }
  ws.wake();
  let listening = true;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((res) => {
    resolveClosed = res;
  });
  let rc: ReadableStreamDefaultController<TcpSocket> | undefined;
  const stop = (): void => {
    if (!listening) return;
    listening = false;
    ws.release(fd);
    resolveClosed();
  };
  const readable = new ReadableStream<TcpSocket>(
    {
      start: (c) => {
        rc = c;
      },
      pull: async (c) => {
        for (;;) {
          if (!listening) return;
          // Accepted sockets inherit the listener's options (buffer sizes, TCP_NODELAY).
          const r = api.accept4(fd, LINUX.SOCK_NONBLOCK);
          if (isPending(r)) throw new Error('internal: a non-blocking accept blocked');
          ws.wake();
          if (r.ret >= 0) {
            const s = new WebTcpSocket(ws, r.ret, opts);
            s.open();
            c.enqueue(s);
            return;
          }
          if (r.errno !== ERRNO.EAGAIN) {
            const e = socketError('accept', r.errno!);
            stop();
            c.error(e);
            return;
          }
          await ws.ready(fd, LINUX.POLLIN);
        }
      },
      cancel: stop,
    },
    { highWaterMark: 0 },
  );
  return {
    readable,
    localAddress: formatAddr(local),
    localPort: local.port,
    closed,
    close(): Promise<void> {
      if (listening) {
        stop();
        try {
          rc?.close();
        } catch {
          // already closed
        }
      }
      return closed;
    },
  };
}
