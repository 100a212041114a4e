/**
 * `wirestack run`: a wirestack stack attached to a real TUN or TAP device, optionally inside a
 * network namespace, serving echo / discard / a small HTTP server, or connecting out and relaying
 * stdin and stdout.
 *
 *   wirestack run --tun ws0 --netns demo --create-netns --addr 192.0.2.2/24 --addr fd00::2/64 \
 *     --peer-addr 192.0.2.1/24 --peer-addr fd00::1/64 --http 80 --echo 7
 *   ip netns exec demo curl http://192.0.2.2/
 *
 * The device is opened by this process (it lives as long as the process) and moved into the
 * namespace; `--peer-addr` gives the kernel side addresses. Services run over the `api/net`
 * sockets (Node's `http` for `--http`). `startRun` is the same thing as a function, for tests
 * and benchmarks.
 *
 * Exit codes: 0 on a clean stop (SIGINT/SIGTERM, or the `--connect` peer closed), 1 when a
 * connection failed, 2 for bad usage or when the device or namespace cannot be made (one line on
 * stderr).
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import http from 'node:http';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { NetnsError, addNetns, delNetns, netnsExists, openDevice, tunUnavailable } from '../adapters/node/netns.js';
import type { TunTapLink } from '../adapters/node/tun.js';
import { HttpAgent, NetStack, type Server, serveHttp, type Socket } from '../api/net/index.js';
import { FaultInjector } from '../core/link/fault.js';
import type { Link } from '../core/link/link.js';
import { PcapTap, pcapLinkType } from '../core/link/tap.js';
import type { CaptureWriter } from '../core/pcap/common.js';
import { PcapWriter } from '../core/pcap/pcap.js';
import { Xoshiro128 } from '../core/rand/rng.js';
import { Stack } from '../core/stack/stack.js';
import { ipv4Mask } from '../core/stack/route.js';
import type { Instant } from '../core/time/time.js';
import { parseIpv4, parseIpv6 } from '../core/wire/address.js';
import { RealtimeDriver } from '../driver/realtime.js';

export interface Cidr {
  text: string;
  version: 4 | 6;
  /** IPv4 as a number, IPv6 as 16 bytes. */
  addr: number | Uint8Array;
  prefixLen: number;
}

export interface RouteSpec {
  dst: Cidr;
  via?: Cidr;
}

export interface RunConfig {
  mode: 'tun' | 'tap';
  device: string;
  netns?: string;
  /** Create `netns` when missing (and delete it again on close). */
  createNetns?: boolean;
  addrs: Cidr[];
  routes?: RouteSpec[];
  /** Addresses of the kernel side of the device. */
  peerAddrs?: string[];
  mtu?: number;
  offload?: boolean;
  /** pcap file of every frame on the device (written as it goes). */
  pcap?: string;
  /** Loss injected each way by the link middleware, in [0, 1]. */
  loss?: number;
  /** Seed of the fault injector (random by default). */
  seed?: number;
  echo?: number[];
  discard?: number[];
  http?: number[];
  /** Status lines (default: none). */
  log?: (line: string) => void;
}

export interface RunHandle {
  net: NetStack;
  stack: Stack;
  device: TunTapLink;
  faults: FaultInjector | undefined;
  servers: Server[];
  /** Bytes consumed by the discard servers. */
  discarded: () => number;
  /** An http.Agent whose connections are sockets of this stack. */
  agent: (opts?: http.AgentOptions) => HttpAgent;
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------ parsing

export function parseCidr(text: string, requirePrefix = true): Cidr {
  const [a, p, extra] = text.split('/');
  if (a === undefined || extra !== undefined) throw new InvalidArgumentError(`bad address ${text}`);
  if (a.includes(':')) {
    const b = new Uint8Array(16);
    if (!parseIpv6(a, b)) throw new InvalidArgumentError(`bad IPv6 address ${text}`);
    const n = p === undefined ? (requirePrefix ? NaN : 128) : Number(p);
    if (!/^\d+$/.test(p ?? '128') || !(n >= 0 && n <= 128)) throw new InvalidArgumentError(`bad prefix length in ${text}`);
    return { text, version: 6, addr: b, prefixLen: n };
  }
  const v = parseIpv4(a);
  if (v < 0) throw new InvalidArgumentError(`bad IPv4 address ${text}`);
  const n = p === undefined ? (requirePrefix ? NaN : 32) : Number(p);
  if (!/^\d+$/.test(p ?? '32') || !(n >= 0 && n <= 32)) throw new InvalidArgumentError(`bad prefix length in ${text}`);
  return { text, version: 4, addr: v, prefixLen: n };
}

export function parseRoute(text: string): RouteSpec {
  const [d, via, extra] = text.split(',');
  if (d === undefined || extra !== undefined) throw new InvalidArgumentError(`bad route ${text} (CIDR[,via])`);
  const dst = parseCidr(d === 'default' ? '0.0.0.0/0' : d === 'default6' ? '::/0' : d);
  if (via === undefined || via === '') return { dst };
  const gw = parseCidr(via, false);
  if (gw.version !== dst.version) throw new InvalidArgumentError(`route ${text}: via is not the same IP version`);
  return { dst, via: gw };
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > 65535) throw new InvalidArgumentError(`bad port ${v}`);
  return n;
}

function collect<T>(parse: (v: string) => T): (v: string, prev: T[] | undefined) => T[] {
  return (v, prev) => [...(prev ?? []), parse(v)];
}

export function parseHostPort(v: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
  if (m === null) throw new InvalidArgumentError(`bad HOST:PORT ${v} (IPv6 as [addr]:port)`);
  return { host: m[1]!, port: parsePort(m[2]!) };
}

// ------------------------------------------------------------------------------ the HTTP app

/** Deterministic body bytes for `GET /bytes/N`: byte i is `(i * 131 + (i >>> 16)) & 0xff`. */
export function fillPattern(buf: Uint8Array, offset: number): void {
  for (let j = 0; j < buf.length; j++) {
    const i = offset + j;
    buf[j] = (i * 131 + Math.floor(i / 65536)) & 0xff;
  }
}

/** Hex SHA-256 of the first `n` bytes of the pattern. */
export function patternSha256(n: number): string {
  const h = createHash('sha256');
  const chunk = new Uint8Array(65536);
  for (let off = 0; off < n; off += chunk.length) {
    const len = Math.min(chunk.length, n - off);
    fillPattern(chunk, off);
    h.update(chunk.subarray(0, len));
  }
  return h.digest('hex');
}

const MAX_BYTES = 2 ** 40;

/**
 * The built-in HTTP server: `GET /` a greeting, `GET /bytes/N` N pattern bytes (`fillPattern`),
 * `POST /sha256` the hex SHA-256 and length of the body.
 */
export function httpApp(): http.Server {
  return http.createServer((req, res) => {
    const url = req.url ?? '/';
    const bytes = /^\/bytes\/(\d+)$/.exec(url);
    if (req.method === 'GET' && url === '/') {
      res.setHeader('content-type', 'text/plain');
      res.end('hello from wirestack\n');
    } else if (req.method === 'GET' && bytes !== null && Number(bytes[1]) <= MAX_BYTES) {
      const n = Number(bytes[1]);
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('content-length', String(n));
      let off = 0;
      const pump = (): void => {
        while (off < n) {
          const chunk = new Uint8Array(Math.min(65536, n - off));
          fillPattern(chunk, off);
          off += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    } else if (req.method === 'POST' && url === '/sha256') {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (d: Buffer) => {
        h.update(d);
        n += d.length;
      });
      req.on('end', () => {
        res.setHeader('content-type', 'text/plain');
        res.end(`${h.digest('hex')} ${n}\n`);
      });
    } else {
      res.statusCode = 404;
      res.end('not found: GET /, GET /bytes/N, POST /sha256\n');
    }
  });
}

// ------------------------------------------------------------------------------ the stack

function randomMac(): Uint8Array {
  const m = new Uint8Array(randomBytes(6));
  m[0] = (m[0]! & 0xfc) | 0x02;
  return m;
}

function network(c: Cidr): number | Uint8Array {
  if (typeof c.addr === 'number') return (c.addr & ipv4Mask(c.prefixLen)) >>> 0;
  const b = c.addr.slice();
  for (let bit = c.prefixLen; bit < 128; bit++) b[bit >>> 3] = b[bit >>> 3]! & ~(0x80 >>> (bit & 7));
  return b;
}

/** Attaches a stack to a TUN/TAP device and starts the services of `cfg`. Throws `NetnsError`. */
export async function startRun(cfg: RunConfig): Promise<RunHandle> {
  const why = tunUnavailable();
  if (why !== undefined) throw new NetnsError(why);
  const log = cfg.log ?? ((): void => {});
  let created = false;
  if (cfg.netns !== undefined && !netnsExists(cfg.netns)) {
    if (!cfg.createNetns) throw new NetnsError(`network namespace ${cfg.netns} does not exist (add --create-netns)`);
    addNetns(cfg.netns);
    created = true;
  }
  const driver = new RealtimeDriver();
  let device: TunTapLink;
  try {
    device = openDevice({
      mode: cfg.mode,
      name: cfg.device,
      ...(cfg.netns !== undefined ? { netns: cfg.netns } : {}),
      mtu: cfg.mtu ?? 1500,
      offload: cfg.offload ?? false,
      peerAddrs: cfg.peerAddrs ?? [],
      onInput: () => driver.kick(),
      clock: () => driver.now(),
    });
  } catch (e) {
    if (created) delNetns(cfg.netns!);
    throw e;
  }
  let pcapFd: number | undefined;
  let link: Link = device;
  if (cfg.pcap !== undefined) {
    const fd = openSync(cfg.pcap, 'w');
    pcapFd = fd;
    const w = new PcapWriter((c) => writeSync(fd, c), { linkType: pcapLinkType(device.caps) });
    // Wall-clock timestamps: the driver's instants count from its start.
    const epochUs = Math.round(Date.now() * 1000) - driver.now();
    const writer: CaptureWriter = {
      write: (d, o, l, s, ns, orig) => w.write(d, o, l, s, ns, orig),
      writeAt: (now, d, o, l, orig) => w.writeAt((now + epochUs) as Instant, d, o, l, orig),
    };
    link = new PcapTap(device, writer);
  }
  let faults: FaultInjector | undefined;
  if ((cfg.loss ?? 0) > 0) {
    faults = new FaultInjector(link, new Xoshiro128(cfg.seed ?? randomInt(2 ** 31)), { loss: cfg.loss! });
    link = faults;
  }
  const stack = new Stack({ name: 'wirestack', now: driver.now(), rng: new Xoshiro128(randomInt(2 ** 31)) });
  const iface = stack.addInterface(link, device.caps.medium === 'ethernet' ? { name: cfg.device, mac: randomMac() } : { name: cfg.device });
  for (const a of cfg.addrs) {
    const r = stack.addAddress(iface.index, a.addr, a.prefixLen);
    if (r !== 0) throw new NetnsError(`cannot add address ${a.text} (errno ${r})`);
  }
  for (const r of cfg.routes ?? []) {
    const dst = network(r.dst);
    const base = { prefixLen: r.dst.prefixLen, ifindex: iface.index };
    const res =
      typeof dst === 'number'
        ? stack.routes4.add({ ...base, dst, ...(r.via ? { gateway: r.via.addr as number } : {}) })
        : stack.routes6.add({ ...base, dst, ...(r.via ? { gateway: r.via.addr as Uint8Array } : {}) });
    if (res !== 'ok') throw new NetnsError(`cannot add route ${r.dst.text}: ${res}`);
  }
  const net = new NetStack({ stack, links: [link], driver });
  const servers: Server[] = [];
  let discarded = 0;
  const listen = (port: number, onConn: (s: Socket) => void): Promise<Server> =>
    new Promise((resolve, reject) => {
      const s = net.createServer(onConn);
      s.once('error', reject);
      s.listen(port, () => resolve(s));
    });
  for (const p of cfg.echo ?? []) servers.push(await listen(p, (s) => s.pipe(s).on('error', () => s.destroy())));
  for (const p of cfg.discard ?? []) {
    servers.push(
      await listen(p, (s) => {
        s.on('data', (d: Buffer) => (discarded += d.length));
        s.on('error', () => s.destroy());
        s.on('end', () => s.end());
      }),
    );
  }
  const apps: http.Server[] = [];
  for (const p of cfg.http ?? []) {
    const srv = await listen(p, () => {});
    const app = httpApp();
    serveHttp(srv, app);
    apps.push(app);
    servers.push(srv);
  }
  const where = cfg.netns !== undefined ? ` in netns ${cfg.netns}` : '';
  log(
    `wirestack: ${cfg.mode} ${cfg.device}${where} mtu ${device.caps.mtu}${device.vnetLen ? ' offload' : ''}, ` +
      `${cfg.addrs.map((a) => a.text).join(' ')}` +
      `${cfg.echo?.length ? `; echo ${cfg.echo.join(',')}` : ''}${cfg.discard?.length ? `; discard ${cfg.discard.join(',')}` : ''}` +
      `${cfg.http?.length ? `; http ${cfg.http.join(',')}` : ''}`,
  );
  let closed = false;
  return {
    net,
    stack,
    device,
    faults,
    servers,
    discarded: () => discarded,
    agent: (opts) => new HttpAgent(net, opts),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const a of apps) a.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      net.close();
      driver.stop();
      device.close();
      if (pcapFd !== undefined) closeSync(pcapFd);
      if (created) delNetns(cfg.netns!);
    },
  };
}

// ------------------------------------------------------------------------------ the command

interface RunFlags {
  tun?: string;
  tap?: string;
  netns?: string;
  createNetns?: boolean;
  addr?: Cidr[];
  peerAddr?: Cidr[];
  route?: RouteSpec[];
  mtu: number;
  offload: boolean;
  echo?: number[];
  discard?: number[];
  http?: number[];
  connect?: { host: string; port: number };
  pcap?: string;
  loss?: number;
}

async function connectAndRelay(h: RunHandle, target: { host: string; port: number }): Promise<number> {
  return new Promise((resolve) => {
    const s = h.net.connect({ host: target.host, port: target.port });
    let failed = false;
    s.on('error', (e: Error) => {
      failed = true;
      process.stderr.write(`wirestack run: connect ${target.host}:${target.port}: ${e.message}\n`);
    });
    s.on('connect', () => process.stdin.pipe(s));
    s.on('data', (d: Buffer) => process.stdout.write(d));
    s.on('close', () => {
      process.stdin.unpipe(s);
      process.stdin.pause();
      resolve(failed ? 1 : 0);
    });
  });
}

export async function runCommand(flags: RunFlags): Promise<number> {
  const fail = (msg: string): number => {
    process.stderr.write(`wirestack run: ${msg}\n`);
    return 2;
  };
  if ((flags.tun === undefined) === (flags.tap === undefined)) return fail('give one of --tun NAME or --tap NAME');
  if (!flags.addr?.length) return fail('give at least one --addr CIDR');
  const services = (flags.echo?.length ?? 0) + (flags.discard?.length ?? 0) + (flags.http?.length ?? 0);
  if (services === 0 && flags.connect === undefined) return fail('nothing to do: give --echo, --discard, --http or --connect');
  let h: RunHandle;
  try {
    h = await startRun({
      mode: flags.tun !== undefined ? 'tun' : 'tap',
      device: (flags.tun ?? flags.tap)!,
      ...(flags.netns !== undefined ? { netns: flags.netns } : {}),
      createNetns: flags.createNetns ?? false,
      addrs: flags.addr,
      routes: flags.route ?? [],
      peerAddrs: (flags.peerAddr ?? []).map((c) => c.text),
      mtu: flags.mtu,
      offload: flags.offload,
      ...(flags.pcap !== undefined ? { pcap: flags.pcap } : {}),
      ...(flags.loss !== undefined ? { loss: flags.loss / 100 } : {}),
      echo: flags.echo ?? [],
      discard: flags.discard ?? [],
      http: flags.http ?? [],
      log: (l) => process.stderr.write(`${l}\n`),
    });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  // SIGINT/SIGTERM (repeated ones too) stop the run; the device and a created namespace go away.
  let stop: () => void = () => {};
  const stopped = new Promise<void>((r) => (stop = r));
  const onSignal = (): void => stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let code = 0;
  if (flags.connect !== undefined) {
    code = await Promise.race([connectAndRelay(h, flags.connect), stopped.then(() => 0)]);
  } else {
    await stopped;
  }
  await h.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}

function parseMtu(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1280 || n > 65535) throw new InvalidArgumentError('expected 1280..65535');
  return n;
}

function parseLoss(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n >= 100) throw new InvalidArgumentError('expected a percentage in [0, 100)');
  return n;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('attach a stack to a TUN/TAP device (optionally in a network namespace) and serve or connect; needs root')
    .option('--tun <name>', 'create TUN device NAME (IP packets)')
    .option('--tap <name>', 'create TAP device NAME (Ethernet frames)')
    .option('--netns <name>', 'move the device into this network namespace')
    .option('--create-netns', 'create the namespace when missing (and delete it on exit)')
    .option('--addr <cidr>', "the stack's address, e.g. 192.0.2.2/24 or fd00::2/64 (repeatable)", collect((v) => parseCidr(v)))
    .option('--peer-addr <cidr>', "the kernel side's address on the device (repeatable)", collect((v) => parseCidr(v)))
    .option('--route <cidr[,via]>', 'a route of the stack, e.g. 0.0.0.0/0,192.0.2.1 (repeatable)', collect(parseRoute))
    .option('--mtu <n>', 'device MTU', parseMtu, 1500)
    .option('--offload', 'virtio-net header: checksum offload and TSO (64 KiB frames)', false)
    .option('--no-offload', 'plain frames of at most the MTU (default)')
    .option('--echo <port>', 'TCP echo server (repeatable)', collect(parsePort))
    .option('--discard <port>', 'TCP discard server (repeatable)', collect(parsePort))
    .option('--http <port>', 'HTTP server: GET /, GET /bytes/N, POST /sha256 (repeatable)', collect(parsePort))
    .option('--connect <host:port>', 'connect, send stdin, print what comes back, exit when closed', parseHostPort)
    .option('--pcap <file>', 'write every frame on the device to a pcap file')
    .addOption(new Option('--loss <percent>', 'drop this share of frames each way (fault injection)').argParser(parseLoss))
    .action(async function (this: Command, flags: RunFlags) {
      (this as Command & { exitCode?: number }).exitCode = await runCommand(flags);
    });
}
