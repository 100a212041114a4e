/**
 * `WebStack`: one core `Stack` with its `TcpLayer` and `SocketApi`, run on real time by a
 * `WebDriver`, for the web-streams API (`connectTcp`, `listenTcp`, `openUdp`). Browser-safe: no
 * Node built-ins here or below.
 *
 * Every socket call the API makes is non-blocking; when one would block, the API waits on
 * `ready(fd, mask)`, a promise the driver's after-poll hook settles once `eventsOf(fd)` shows one
 * of the events (or an error / hang-up). Several stacks can share one driver (two stacks on a
 * memory cable in one page).
 */
import type { Link } from '../../core/link/link.js';
import { KeyedIsnGenerator } from '../../core/rand/isn.js';
import { Xoshiro128 } from '../../core/rand/rng.js';
import { SocketApi } from '../../core/socket/api.js';
import { LINUX } from '../../core/socket/linux.js';
import type { Interface } from '../../core/stack/iface.js';
import { type InterfaceOptions, Stack } from '../../core/stack/stack.js';
import { Sysctls, type SysctlValue } from '../../core/stack/sysctl.js';
import { TcpLayer } from '../../core/tcp/layer.js';
import { parseMac } from '../../core/wire/address.js';
import { parseIp } from './addr.js';
import { WebDriver } from './driver.js';

export interface WebStackOptions {
  /** A name for traces. */
  name?: string;
  /** The driver to run on (share one among the stacks of a page). Default: a new `WebDriver`. */
  driver?: WebDriver;
  /**
   * Seed for the stack's randomness and ISNs: same seed, same ports and sequence numbers. Default:
   * `crypto.getRandomValues` (RFC 6528 keyed ISNs).
   */
  seed?: number;
  /** Per-stack sysctls by Linux name, e.g. `{ 'net.ipv4.tcp_rmem': [4096, 131072, 6291456] }`. */
  sysctls?: Readonly<Record<string, SysctlValue>>;
}

export interface AttachOptions {
  /** Interface name. */
  name?: string;
  /** MAC address (`02:00:00:00:00:01` or 6 bytes); required on an Ethernet link. */
  mac?: string | Uint8Array;
  /** Addresses with prefix length, e.g. `['10.0.0.1/24', '2001:db8::1/64']`. */
  addresses?: readonly string[];
}

interface Waiter {
  fd: number;
  mask: number;
  resolve: (events: number) => void;
}

const ALWAYS = LINUX.POLLERR | LINUX.POLLHUP;

function randomWords(n: number): Uint32Array {
  const c = (globalThis as { crypto?: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto;
  if (c === undefined) throw new Error('WebStack: no globalThis.crypto; pass a seed');
  return c.getRandomValues(new Uint32Array(n));
}

export class WebStack {
  readonly stack: Stack;
  readonly tcp: TcpLayer;
  readonly api: SocketApi;
  readonly driver: WebDriver;
  private readonly waiters: Waiter[] = [];
  /** A shared receive buffer: calls are synchronous, so one is enough per stack. */
  readonly scratch = new Uint8Array(65536);

  constructor(opts: WebStackOptions = {}) {
    const driver = opts.driver ?? new WebDriver();
    this.driver = driver;
    const words = opts.seed === undefined ? randomWords(6) : undefined;
    const rng = new Xoshiro128(opts.seed ?? words![0]! * 0x200000 + (words![1]! & 0x1fffff));
    const sysctls = new Sysctls(undefined, opts.sysctls ?? {});
    this.stack = new Stack({ name: opts.name ?? 'web', rng, sysctls, now: driver.now() });
    const tcpRng = rng.fork();
    const isn = words === undefined ? undefined : new KeyedIsnGenerator(new Uint8Array(words.buffer, 8, 16));
    this.tcp = new TcpLayer(this.stack, this.stack.sysctls, isn === undefined ? { rng: tcpRng } : { rng: tcpRng, isn });
    this.stack.registerTransport(this.tcp);
    this.api = new SocketApi(this.stack, this.tcp, { clock: () => driver.now() });
    driver.add(this.stack);
    driver.afterPoll(() => this.settle());
    driver.start();
  }

  /** Adds an interface on `link` with its addresses (the stack reads the link when the driver polls). */
  attach(link: Link, opts: AttachOptions = {}): Interface {
    let mac: Uint8Array | undefined;
    if (typeof opts.mac === 'string') {
      mac = new Uint8Array(6);
      if (!parseMac(opts.mac, mac)) throw new TypeError(`bad MAC address ${opts.mac}`);
    } else mac = opts.mac;
    const ifOpts: InterfaceOptions = {};
    if (opts.name !== undefined) ifOpts.name = opts.name;
    if (mac !== undefined) ifOpts.mac = mac;
    const iface = this.stack.addInterface(link, ifOpts);
    for (const a of opts.addresses ?? []) {
      const slash = a.indexOf('/');
      const ip = parseIp(slash < 0 ? a : a.slice(0, slash));
      const prefix = slash < 0 ? (typeof ip === 'number' ? 32 : 128) : Number(a.slice(slash + 1));
      if (ip === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > (typeof ip === 'number' ? 32 : 128)) {
        throw new TypeError(`bad interface address ${a}`);
      }
      const e = this.stack.addAddress(iface.index, ip, prefix);
      if (e !== 0) throw new Error(`cannot add ${a}: errno ${e}`);
    }
    this.driver.wake();
    return iface;
  }

  /** Asks the driver for a poll soon (after a socket call changed what the stack must do). */
  wake(): void {
    this.driver.wake();
  }

  /**
   * Resolves with the fd's poll mask once it has one of `mask`'s events, an error or a hang-up
   * (with 0 once the fd is released). Checked now and after every driver wake-up.
   */
  ready(fd: number, mask: number): Promise<number> {
    const ev = this.api.eventsOf(fd);
    if ((ev & (mask | ALWAYS)) !== 0) return Promise.resolve(ev);
    return new Promise((resolve) => {
      this.waiters.push({ fd, mask, resolve });
      this.driver.wake();
    });
  }

  /** Closes `fd` (an orderly close) and settles its waiters with 0. */
  release(fd: number): void {
    this.api.close(fd);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.fd !== fd) continue;
      this.waiters.splice(i, 1);
      w.resolve(0);
    }
    this.driver.wake();
  }

  /** Stops the driver (all stacks on it); pending stream operations then wait for ever. */
  stop(): void {
    this.driver.stop();
  }

  private settle(): void {
    const ws = this.waiters;
    for (let i = 0; i < ws.length; ) {
      const w = ws[i]!;
      const ev = this.api.eventsOf(w.fd);
      if ((ev & (w.mask | ALWAYS)) !== 0) {
        ws[i] = ws[ws.length - 1]!;
        ws.pop();
        w.resolve(ev);
      } else i++;
    }
  }
}
