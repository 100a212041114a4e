/**
 * TUN throughput: wirestack ↔ the Linux kernel through a TUN device in a network namespace, next to
 * Linux ↔ Linux over a veth pair measured in the same run (the same Node program on both ends,
 * kernel sockets on both sides).
 *
 * In each namespace a kernel-side Node peer listens on three ports: `ack` (reads, answers one byte
 * per CHUNK bytes received), `push` (answers each byte received with CHUNK bytes) and `echo`. Ops:
 * - `… → Linux`: write CHUNK bytes, wait for the one-byte answer (one op = CHUNK bytes up);
 * - `Linux → …`: write one byte, wait for CHUNK bytes (one op = CHUNK bytes down);
 * - `rr`: write one byte, wait for it to come back (ops/s = round trips per second).
 * GB/s is in the table; Gbit/s per case is in its metrics. The wirestack cases run with offloads
 * (virtio-net header, TSO, 64 KiB frames) and at MTU 1500 without; the veth baseline has the
 * kernel's defaults (MTU 1500, GSO/GRO).
 *
 * Needs root, /dev/net/tun and `ip`; otherwise the suite has no cases and says why on stderr.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { addNetns, delNetns, ip, tunUnavailable } from '../../adapters/node/netns.js';
import { parseCidr, type RunHandle, startRun } from '../../cli/run.js';
import type { BenchCase, BenchSuite } from '../suite.js';

const CHUNK = 4 * 2 ** 20;
const PORT_ACK = 5001;
const PORT_PUSH = 5002;
const PORT_ECHO = 5003;

const PEER = `
import net from 'node:net';
import { performance } from 'node:perf_hooks';
const CH = Number(process.argv[1]);
const push = Buffer.alloc(CH, 0x5a);
let up = 0;
const ready = () => { if (++up === 3) console.log('ready'); };
net.createServer((s) => {
  let n = 0;
  s.on('data', (d) => { n += d.length; while (n >= CH) { n -= CH; s.write('k'); } });
  s.on('error', () => {});
}).listen(${PORT_ACK}, '::', ready);
net.createServer((s) => {
  s.on('data', (d) => { for (let i = 0; i < d.length; i++) s.write(push); });
  s.on('error', () => {});
}).listen(${PORT_PUSH}, '::', ready);
net.createServer((s) => { s.pipe(s); s.on('error', () => {}); }).listen(${PORT_ECHO}, '::', ready);
`;

/** One connection with byte-counting waits. */
class Conn {
  private got = 0;
  private want = 0;
  private wake: (() => void) | undefined;
  private readonly block = new Uint8Array(256 * 1024).fill(0xa5);

  constructor(readonly s: Duplex) {
    s.on('data', (d: Buffer) => {
      this.got += d.length;
      if (this.wake !== undefined && this.got >= this.want) {
        const w = this.wake;
        this.wake = undefined;
        w();
      }
    });
  }

  /** Resolves once `n` more bytes arrived. */
  expect(n: number): Promise<void> {
    this.want = this.got + n;
    if (this.got >= this.want) return Promise.resolve();
    return new Promise((r) => (this.wake = r));
  }

  send(n: number): Promise<void> {
    return new Promise((resolve) => {
      let left = n;
      const pump = (): void => {
        while (left > 0) {
          const len = Math.min(left, this.block.length);
          left -= len;
          if (!this.s.write(this.block.subarray(0, len))) {
            this.s.once('drain', pump);
            return;
          }
        }
        resolve();
      };
      pump();
    });
  }
}

function connected(s: Duplex): Promise<Conn> {
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(new Conn(s)));
    s.once('error', reject);
  });
}

function startPeer(ns: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const c = spawn('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', PEER, String(CHUNK)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(c);
    });
    c.on('close', (code) => reject(new Error(`peer exited (${code}): ${err.trim()}`)));
  });
}

/** An environment: a namespace with the peer and a way to connect to it from here. */
interface Env {
  connect(port: number): Promise<Conn>;
  close(): Promise<void>;
}

let seq = 0;

async function tunEnv(offload: boolean): Promise<Env> {
  const k = seq++;
  const ns = `wsb-${process.pid}-${k}`;
  const h: RunHandle = await startRun({
    mode: 'tun',
    device: `wsb${process.pid % 10000}x${k}`,
    netns: ns,
    createNetns: true,
    mtu: 1500,
    offload,
    addrs: [parseCidr('192.0.2.2/24')],
    peerAddrs: ['192.0.2.1/24'],
  });
  let peer: ChildProcess;
  try {
    peer = await startPeer(ns);
  } catch (e) {
    await h.close();
    throw e;
  }
  const socks: Duplex[] = [];
  return {
    connect: (port) => {
      const s = h.net.connect({ host: '192.0.2.1', port });
      socks.push(s);
      return connected(s);
    },
    close: async () => {
      for (const s of socks) s.destroy();
      peer.kill();
      await h.close();
    },
  };
}

async function vethEnv(): Promise<Env> {
  const k = seq++;
  const ns = `wsb-${process.pid}-${k}`;
  const a = `wsv${process.pid % 10000}x${k}`;
  addNetns(ns);
  let peer: ChildProcess | undefined;
  try {
    ip(['link', 'add', a, 'type', 'veth', 'peer', 'name', 'v1', 'netns', ns]);
    ip(['addr', 'add', '198.51.100.1/24', 'dev', a]);
    ip(['link', 'set', a, 'up']);
    ip(['addr', 'add', '198.51.100.2/24', 'dev', 'v1'], ns);
    ip(['link', 'set', 'v1', 'up'], ns);
    peer = await startPeer(ns);
  } catch (e) {
    spawnSync('ip', ['link', 'del', a], { stdio: 'ignore' });
    delNetns(ns);
    throw e;
  }
  const socks: Duplex[] = [];
  return {
    connect: (port) => {
      const s = net.connect({ host: '198.51.100.2', port });
      socks.push(s);
      return connected(s);
    },
    close: () => {
      for (const s of socks) s.destroy();
      peer.kill();
      spawnSync('ip', ['link', 'del', a], { stdio: 'ignore' });
      delNetns(ns);
      return Promise.resolve();
    },
  };
}

type Kind = 'up' | 'down' | 'rr';

function tunCase(name: string, open: () => Promise<Env>, kind: Kind, baseline?: string): BenchCase {
  let env: Env | undefined;
  let conn: Conn | undefined;
  let ops = 0;
  let ms = 0;
  const one = new Uint8Array([1]);
  const op: Record<Kind, () => Promise<void>> = {
    up: () => Promise.all([conn!.send(CHUNK), conn!.expect(1)]).then(() => undefined),
    down: () => {
      const p = conn!.expect(CHUNK);
      conn!.s.write(one);
      return p;
    },
    rr: () => {
      const p = conn!.expect(1);
      conn!.s.write(one);
      return p;
    },
  };
  const c: BenchCase = {
    name,
    setup: async () => {
      env = await open();
      conn = await env.connect(kind === 'up' ? PORT_ACK : kind === 'down' ? PORT_PUSH : PORT_ECHO);
    },
    fnAsync: async () => {
      const t0 = performance.now();
      await op[kind]();
      ms += performance.now() - t0;
      ops++;
    },
    teardown: async () => {
      await env?.close();
      env = undefined;
    },
    metrics: (): Record<string, number> =>
      kind === 'rr'
        ? { 'round trips/s (mean)': ms > 0 ? (ops * 1000) / ms : 0 }
        : { 'Gbit/s (mean)': ms > 0 ? (ops * CHUNK * 8) / ms / 1e6 : 0 },
  };
  if (kind !== 'rr') c.bytes = CHUNK;
  if (baseline !== undefined) c.baseline = baseline;
  return c;
}

let warned = false;

export const tunSuite: BenchSuite = {
  name: 'tun',
  cases(): BenchCase[] {
    const why = tunUnavailable();
    if (why !== undefined) {
      if (!warned) process.stderr.write(`bench tun: skipped: ${why}\n`);
      warned = true;
      return [];
    }
    const veth = (): Promise<Env> => vethEnv();
    const off = (): Promise<Env> => tunEnv(true);
    const plain = (): Promise<Env> => tunEnv(false);
    return [
      tunCase('linux → linux veth', veth, 'up'),
      tunCase('linux → linux veth (down)', veth, 'down'),
      tunCase('linux veth rr', veth, 'rr'),
      tunCase('wirestack → linux offload', off, 'up', 'linux → linux veth'),
      tunCase('linux → wirestack offload', off, 'down', 'linux → linux veth (down)'),
      tunCase('wirestack → linux mtu1500', plain, 'up', 'linux → linux veth'),
      tunCase('linux → wirestack mtu1500', plain, 'down', 'linux → linux veth (down)'),
      tunCase('wirestack rr offload', off, 'rr', 'linux veth rr'),
      tunCase('wirestack rr mtu1500', plain, 'rr', 'linux veth rr'),
    ];
  },
};
