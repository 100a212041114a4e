/**
 * TCP bulk throughput: two wirestack stacks joined by a memory cable (IPv4, MTU 1500, so MSS 1460,
 * checksums computed and verified), one connection, 4 MiB per op from A to B — against Node's own
 * `net` moving 4 MiB over the kernel loopback in the same process and the same run.
 *
 * Wall time is what is measured: the stacks run on the virtual clock as fast as the CPU allows.
 * Target (engine issue): >= 5 Gbit/s at MSS 1460. TSO-sized segments are not implemented in the
 * TCB yet, so there is no 64 KiB case.
 */
import { createServer, type Server, type Socket, connect as netConnect } from 'node:net';
import { MemoryCable } from '../core/link/cable.js';
import { SeededIsnGenerator } from '../core/rand/isn.js';
import { Xoshiro128 } from '../core/rand/rng.js';
import { Stack } from '../core/stack/stack.js';
import { TcpLayer } from '../core/tcp/layer.js';
import { TcpListener } from '../core/tcp/listener.js';
import { Tcb } from '../core/tcp/tcb.js';
import { SimDriver } from '../driver/sim.js';
import type { BenchCase, BenchSuite } from './suite.js';

const MiB = 1 << 20;
const OP_BYTES = 4 * MiB;

/** A connected pair of wirestack stacks; `transfer(n)` moves n bytes A→B and returns when B read them. */
class WirestackPair {
  private readonly sim: SimDriver;
  private readonly la: TcpLayer;
  private readonly lb: TcpLayer;
  private readonly client: Tcb;
  private readonly server: Tcb;
  private readonly out = new Uint8Array(256 * 1024).fill(0x5a);
  private readonly inBuf = new Uint8Array(256 * 1024);

  constructor() {
    const cable = new MemoryCable({ medium: 'ip', mtu: 1500, checksumOffload: false, queueFrames: 1024 });
    const a = new Stack({ name: 'a', rng: new Xoshiro128(1) });
    const b = new Stack({ name: 'b', rng: new Xoshiro128(2) });
    const ia = a.addInterface(cable.a);
    const ib = b.addInterface(cable.b);
    a.addAddress(ia.index, 0x0a000001, 24);
    b.addAddress(ib.index, 0x0a000002, 24);
    const buf = { sndBuf: 4 * MiB, rcvBuf: 4 * MiB };
    this.la = new TcpLayer(a, a.sysctls, { rng: new Xoshiro128(3), isn: new SeededIsnGenerator(4) });
    this.lb = new TcpLayer(b, b.sysctls, { rng: new Xoshiro128(5), isn: new SeededIsnGenerator(6) });
    a.registerTransport(this.la);
    b.registerTransport(this.lb);
    this.sim = new SimDriver().add(a, [cable.a]).add(b, [cable.b]).addCable(cable);
    const listener = this.lb.listen(0, 5001, 16, buf);
    if (!(listener instanceof TcpListener)) throw new Error(`listen: ${listener}`);
    const client = this.la.connect(0x0a000002, 5001, buf, this.sim.now());
    if (!(client instanceof Tcb)) throw new Error(`connect: ${client}`);
    this.client = client;
    let server: Tcb | undefined;
    this.sim.runUntil(() => (server ??= listener.accept()) !== undefined, { maxSteps: 100_000 });
    if (server === undefined) throw new Error('no connection accepted');
    this.server = server;
  }

  transfer(bytes: number): void {
    let sent = 0;
    let got = 0;
    const res = this.sim.runUntil(
      (s) => {
        const now = s.now();
        while (sent < bytes) {
          const w = this.client.send(this.out, 0, Math.min(this.out.length, bytes - sent), now);
          if (w <= 0) break;
          sent += w;
        }
        this.la.touch(this.client);
        for (;;) {
          const r = this.server.recv(this.inBuf, 0, this.inBuf.length, now);
          if (r <= 0) break;
          got += r;
        }
        this.lb.touch(this.server);
        return got >= bytes;
      },
      { maxSteps: 50_000_000 },
    );
    if (res.reason !== 'done') throw new Error(`transfer stopped (${res.reason}) after ${got} bytes`);
  }
}

/** The same over Node `net` and the kernel's loopback, in this process. */
class NodeNetPair {
  private server: Server | undefined;
  private client: Socket | undefined;
  private want = 0;
  private got = 0;
  private resolve: (() => void) | undefined;
  private readonly chunk = Buffer.alloc(256 * 1024, 0x5a);

  async open(): Promise<void> {
    await new Promise<void>((done, fail) => {
      this.server = createServer((s) => {
        s.on('data', (d: Buffer) => {
          this.got += d.length;
          if (this.resolve && this.got >= this.want) {
            const r = this.resolve;
            this.resolve = undefined;
            r();
          }
        });
      });
      this.server.once('error', fail);
      this.server.listen(0, '127.0.0.1', () => {
        const addr = this.server!.address();
        if (addr === null || typeof addr === 'string') return fail(new Error('no port'));
        this.client = netConnect(addr.port, '127.0.0.1', () => done());
        this.client.setNoDelay(true);
        this.client.once('error', fail);
      });
    });
  }

  async transfer(bytes: number): Promise<void> {
    this.got = 0;
    this.want = bytes;
    const finished = new Promise<void>((r) => {
      this.resolve = r;
    });
    for (let sent = 0; sent < bytes; sent += this.chunk.length) {
      const n = Math.min(this.chunk.length, bytes - sent);
      if (!this.client!.write(n === this.chunk.length ? this.chunk : this.chunk.subarray(0, n))) {
        await new Promise<void>((r) => this.client!.once('drain', r));
      }
    }
    await finished;
  }

  async close(): Promise<void> {
    this.client?.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export const tcpBulkSuite: BenchSuite = {
  name: 'tcp bulk (4 MiB per op)',
  cases(): BenchCase[] {
    let pair: WirestackPair | undefined;
    const node = new NodeNetPair();
    return [
      {
        name: 'node net loopback',
        bytes: OP_BYTES,
        setup: () => node.open(),
        fnAsync: () => node.transfer(OP_BYTES),
        teardown: () => node.close(),
      },
      {
        name: 'wirestack MSS 1460',
        bytes: OP_BYTES,
        baseline: 'node net loopback',
        setup: () => {
          pair = new WirestackPair();
        },
        fn: () => pair!.transfer(OP_BYTES),
      },
    ];
  },
};
