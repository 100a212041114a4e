/**
 * UDP as web streams, in the shape of the Direct Sockets `UDPSocket`: `readable` yields
 * `{ data, remoteAddress, remotePort }` messages, `writable` takes `{ data, remoteAddress?,
 * remotePort? }` (the destination may be left out on a socket opened with a remote address).
 * `opened` resolves with the local (and remote) address; errors are `SocketError`s.
 */
import { isPending } from '../../core/socket/api.js';
import { ERRNO, LINUX } from '../../core/socket/linux.js';
import type { IpAddr } from '../../core/stack/transport.js';
import { checkPort, familyOf, formatAddr, requireIp, sockAddr } from './addr.js';
import { check, socketError, type SocketError } from './errors.js';
import type { WebStack } from './stack.js';

export interface UdpOptions {
  /** Local address. Default the wildcard of the family (`::`, dual-stack, unless IPv4 is implied). */
  localAddress?: string;
  /** Local port; 0 or absent for an ephemeral one. */
  localPort?: number;
  /** A default destination (the socket is connected: only its datagrams are received). */
  remoteAddress?: string;
  remotePort?: number;
  /** SO_SNDBUF / SO_RCVBUF in bytes. */
  sendBufferSize?: number;
  receiveBufferSize?: number;
  /** Messages the readable buffers ahead of the reader. Default 16. */
  readableHighWaterMark?: number;
}

export interface UdpMessage {
  data: Uint8Array;
  remoteAddress: string;
  remotePort: number;
}

export interface UdpOutgoingMessage {
  data: Uint8Array | ArrayBufferView | ArrayBuffer;
  remoteAddress?: string;
  remotePort?: number;
}

export interface UdpOpenInfo {
  localAddress: string;
  localPort: number;
  remoteAddress?: string;
  remotePort?: number;
}

export interface UdpSocket {
  readonly readable: ReadableStream<UdpMessage>;
  readonly writable: WritableStream<UdpOutgoingMessage>;
  readonly opened: Promise<UdpOpenInfo>;
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

const noop = (): void => {};
const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

function bytesOf(d: unknown): Uint8Array {
  if (d instanceof Uint8Array) return d;
  if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  throw new TypeError('a UDP message needs data as Uint8Array, ArrayBufferView or ArrayBuffer');
}

/** Opens a UDP socket on `ws`; bind / connect errors throw a `SocketError` at once. */
export function openUdp(ws: WebStack, opts: UdpOptions = {}): UdpSocket {
  const api = ws.api;
  const remote = opts.remoteAddress !== undefined ? requireIp(opts.remoteAddress, 'remoteAddress') : undefined;
  const localIp = opts.localAddress !== undefined ? requireIp(opts.localAddress, 'localAddress') : undefined;
  const family = familyOf(localIp ?? remote ?? new Uint8Array(16));
  const anyAddr: IpAddr = family === LINUX.AF_INET ? 0 : new Uint8Array(16);
  const fd = check(api.socket(family, LINUX.SOCK_DGRAM | LINUX.SOCK_NONBLOCK, 0), 'socket');
  try {
    if (family === LINUX.AF_INET6) check(api.setsockopt(fd, LINUX.SOL_IPV6, LINUX.IPV6_V6ONLY, 0), 'setsockopt');
    if (opts.sendBufferSize !== undefined) check(api.setsockopt(fd, LINUX.SOL_SOCKET, LINUX.SO_SNDBUF, opts.sendBufferSize), 'setsockopt');
    if (opts.receiveBufferSize !== undefined) check(api.setsockopt(fd, LINUX.SOL_SOCKET, LINUX.SO_RCVBUF, opts.receiveBufferSize), 'setsockopt');
    check(api.bind(fd, sockAddr(family, localIp ?? anyAddr, checkPort(opts.localPort ?? 0, 'localPort', true))), 'bind');
    if (remote !== undefined) {
      const r = api.connect(fd, sockAddr(family, remote, checkPort(opts.remotePort, 'remotePort', false)));
      if (isPending(r)) throw new Error('internal: a UDP connect blocked');
      check(r, 'connect');
    }
  } catch (e) {
    ws.release(fd);
    throw e;
  }
  let open = true;
  let failure: SocketError | undefined;
  let rc: ReadableStreamDefaultController<UdpMessage> | undefined;
  let wc: WritableStreamDefaultController | undefined;
  let resolveClosed!: () => void;
  let rejectClosed!: (e: unknown) => void;
  const closed = new Promise<void>((res, rej) => {
    resolveClosed = res;
    rejectClosed = rej;
  });
  closed.catch(noop);
  const local = api.getsockname(fd).addr!;
  const peer = remote !== undefined ? api.getpeername(fd).addr : undefined;
  const info: UdpOpenInfo = { localAddress: formatAddr(local), localPort: local.port };
  if (peer !== undefined) {
    info.remoteAddress = formatAddr(peer);
    info.remotePort = peer.port;
  }

  const fail = (e: SocketError): SocketError => {
    if (!open) return e;
    open = false;
    failure = e;
    try {
      rc?.error(e);
    } catch {
      // already closed
    }
    wc?.error(e);
    ws.release(fd);
    rejectClosed(e);
    return e;
  };
  const close = (): Promise<void> => {
    if (open) {
      open = false;
      try {
        rc?.close();
      } catch {
        // already closed
      }
      wc?.error(socketError('close', ERRNO.EBADF));
      ws.release(fd);
      resolveClosed();
    }
    return closed;
  };

  const readable = new ReadableStream<UdpMessage>(
    {
      start: (c) => {
        rc = c;
      },
      pull: async (c) => {
        const buf = ws.scratch;
        for (;;) {
          if (!open) return;
          const r = api.recvfrom(fd, buf, buf.length, LINUX.MSG_DONTWAIT);
          if (isPending(r)) throw new Error('internal: a non-blocking recvfrom blocked');
          if (r.ret >= 0) {
            const from = r.addr!;
            c.enqueue({ data: buf.slice(0, r.ret), remoteAddress: formatAddr(from), remotePort: from.port });
            return;
          }
          if (r.errno !== ERRNO.EAGAIN) {
            fail(socketError('recvfrom', r.errno!));
            return;
          }
          await ws.ready(fd, LINUX.POLLIN);
        }
      },
      cancel: close,
    },
    { highWaterMark: opts.readableHighWaterMark ?? 16 },
  );

  const writable = new WritableStream<UdpOutgoingMessage>({
    start: (c) => {
      wc = c;
    },
    write: async (msg) => {
      const data = bytesOf(msg.data);
      let to;
      if (msg.remoteAddress !== undefined || msg.remotePort !== undefined) {
        const ip = requireIp(msg.remoteAddress ?? '', 'remoteAddress');
        if (family === LINUX.AF_INET && typeof ip !== 'number') throw new TypeError('an IPv4 UDP socket cannot send to IPv6');
        to = sockAddr(family, ip, checkPort(msg.remotePort, 'remotePort', false));
      }
      for (;;) {
        if (!open) throw failure ?? socketError('sendto', ERRNO.EBADF);
        const r = api.sendto(fd, data, data.length, LINUX.MSG_DONTWAIT, to);
        if (isPending(r)) throw new Error('internal: a non-blocking sendto blocked');
        ws.wake();
        if (r.ret >= 0) return;
        if (r.errno !== ERRNO.EAGAIN && r.errno !== ERRNO.ENOBUFS) throw fail(socketError('sendto', r.errno!));
        // The link's queue is full (UDP is always writable): give it a moment to drain.
        await sleep(1);
      }
    },
    close,
    abort: close,
  });

  return { readable, writable, opened: Promise.resolve(info), closed, close };
}
