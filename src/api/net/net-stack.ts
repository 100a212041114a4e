/**
 * `NetStack`: Node's `net` API over one wirestack `Stack`, its `TcpLayer` and a `SocketApi`, run
 * in real time by a `RealtimeDriver`.
 *
 * How readiness works: the stack is registered with the driver through a thin endpoint whose
 * `poll` runs the stack and then schedules one readiness scan (`setImmediate`). The scan asks
 * each open socket and server to look at `eventsOf(fd)` and act (accept, read, write, finish a
 * connect, report an error). Socket calls that queue work (a SYN, data, a FIN, a window update)
 * call `kick()`, which polls whatever is due at once. Several `NetStack`s on one memory cable
 * should share one driver, so that a frame one sends wakes the other.
 */
import { randomInt } from 'node:crypto';
import type { Link } from '../../core/link/link.js';
import { Xoshiro128 } from '../../core/rand/rng.js';
import { SocketApi } from '../../core/socket/api.js';
import type { Stack } from '../../core/stack/stack.js';
import { TcpLayer } from '../../core/tcp/layer.js';
import type { Instant } from '../../core/time/time.js';
import { RealtimeDriver } from '../../driver/realtime.js';
import { isIP, isIPv4, isIPv6 } from './address.js';
import type { NetHost, ReadyWatcher } from './host.js';
import { Server, type ServerOptions } from './server.js';
import { type ConnectOptions, normalizeConnectArgs, Socket, type SocketOptions } from './socket.js';

export interface NetStackOptions {
  stack: Stack;
  /** The stack's TCP layer; default: a new one, registered with the stack. */
  tcp?: TcpLayer;
  /** Links the stack reads (the driver also wakes on their deadlines). */
  links?: readonly Link[];
  /** A driver to share with other stacks; default: a new one owned (and stopped) by `close()`. */
  driver?: RealtimeDriver;
  /** For an owned driver: do not keep the process alive for its timer alone. Default false. */
  unref?: boolean;
}

export class NetStack implements NetHost {
  readonly stack: Stack;
  readonly tcp: TcpLayer;
  readonly api: SocketApi;
  readonly driver: RealtimeDriver;
  private readonly ownsDriver: boolean;
  private readonly watchers = new Set<ReadyWatcher>();
  private scanPending = false;
  private closed = false;
  private readonly scan = (): void => {
    this.scanPending = false;
    if (this.closed) return;
    for (const w of [...this.watchers]) w.onReady();
  };

  constructor(opts: NetStackOptions) {
    this.stack = opts.stack;
    if (opts.tcp !== undefined) this.tcp = opts.tcp;
    else {
      this.tcp = new TcpLayer(opts.stack, opts.stack.sysctls, { rng: new Xoshiro128(randomInt(2 ** 48 - 1)) });
      opts.stack.registerTransport(this.tcp);
    }
    this.ownsDriver = opts.driver === undefined;
    this.driver = opts.driver ?? new RealtimeDriver({ unref: opts.unref ?? false });
    const driver = this.driver;
    this.api = new SocketApi(this.stack, this.tcp, { clock: () => driver.now() });
    const stack = this.stack;
    driver.add(
      {
        poll: (now: Instant): void => {
          stack.poll(now);
          this.schedule();
        },
        pollAt: () => stack.pollAt(),
      },
      opts.links ?? [],
    );
    driver.start();
  }

  // ------------------------------------------------------------------ the net API

  createServer(connectionListener?: (socket: Socket) => void): Server;
  createServer(options: ServerOptions, connectionListener?: (socket: Socket) => void): Server;
  createServer(a?: ServerOptions | ((socket: Socket) => void), b?: (socket: Socket) => void): Server {
    if (typeof a === 'function') return new Server(this, {}, a);
    return new Server(this, a ?? {}, b);
  }

  /** A new, unconnected socket of this stack (call `connect` on it). */
  socket(opts: SocketOptions = {}): Socket {
    return new Socket(this, opts);
  }

  connect(options: ConnectOptions & SocketOptions, cb?: () => void): Socket;
  connect(port: number, host?: string, cb?: () => void): Socket;
  connect(port: number, cb?: () => void): Socket;
  connect(...args: unknown[]): Socket {
    const [o, cb] = normalizeConnectArgs(args);
    const s = new Socket(this, o as SocketOptions);
    return s.connect(o, cb);
  }

  createConnection(options: ConnectOptions & SocketOptions, cb?: () => void): Socket;
  createConnection(port: number, host?: string, cb?: () => void): Socket;
  createConnection(port: number, cb?: () => void): Socket;
  createConnection(...args: unknown[]): Socket {
    return (this.connect as (...a: unknown[]) => Socket)(...args);
  }

  readonly isIP = isIP;
  readonly isIPv4 = isIPv4;
  readonly isIPv6 = isIPv6;

  /** Stops the driver when this stack owns it; open sockets stay as they are. */
  close(): void {
    this.closed = true;
    if (this.ownsDriver) this.driver.stop();
  }

  // ------------------------------------------------------------------ NetHost

  kick(): void {
    this.driver.kick();
  }

  watch(w: ReadyWatcher): void {
    this.watchers.add(w);
  }

  unwatch(w: ReadyWatcher): void {
    this.watchers.delete(w);
  }

  private schedule(): void {
    if (this.scanPending || this.closed) return;
    this.scanPending = true;
    setImmediate(this.scan);
  }
}
