/**
 * Connection churn: one op = connect, a 100-byte request, a 100-byte response, close (the server
 * closes first, as an HTTP/1.0 server does, so TIME-WAIT stays on the server's side), measured
 * until the client has seen the end of the stream and closed too.
 *
 * wirestack: two stacks on a memory cable on the virtual clock, driving the TCBs directly (no
 * socket layer), IPv4. Every 5000 ops the virtual clock jumps past TIME-WAIT (60 s) so the table
 * does not grow without bound; that jump is part of the measured time. Baseline: Node's own `net`
 * over the kernel loopback, in the same process and run. Target (engine issue): ≥ 2× Node `net`.
 */
import { createServer, type Server, connect as netConnect } from 'node:net';
import { MemoryCable } from '../../core/link/cable.js';
import { SeededIsnGenerator } from '../../core/rand/isn.js';
import { Xoshiro128 } from '../../core/rand/rng.js';
import { Stack } from '../../core/stack/stack.js';
import { TcpLayer } from '../../core/tcp/layer.js';
import { TcpListener } from '../../core/tcp/listener.js';
import { TcpState } from '../../core/tcp/segment.js';
import { Tcb } from '../../core/tcp/tcb.js';
import type { Instant } from '../../core/time/time.js';
import { SimDriver } from '../../driver/sim.js';
import type { BenchCase, BenchSuite } from '../suite.js';

const MSG = 100;
const PORT = 5002;
const B_ADDR = 0x0a000002;
const TIME_WAIT_JUMP_EVERY = 5000;

class WirestackChurn {
  private readonly sim: SimDriver;
  private readonly la: TcpLayer;
  private readonly lb: TcpLayer;
  private readonly listener: TcpListener;
  private readonly req = new Uint8Array(MSG).fill(0x71);
  private readonly resp = new Uint8Array(MSG).fill(0x72);
  private readonly buf = new Uint8Array(4096);
  private ops = 0;

  constructor() {
    const cable = new MemoryCable({ medium: 'ip', mtu: 1500, checksumOffload: false, queueFrames: 1024 });
    const a = new Stack({ name: 'a', rng: new Xoshiro128(11) });
    const b = new Stack({ name: 'b', rng: new Xoshiro128(12) });
    a.addAddress(a.addInterface(cable.a).index, 0x0a000001, 24);
    b.addAddress(b.addInterface(cable.b).index, B_ADDR, 24);
    this.la = new TcpLayer(a, a.sysctls, { rng: new Xoshiro128(13), isn: new SeededIsnGenerator(14) });
    this.lb = new TcpLayer(b, b.sysctls, { rng: new Xoshiro128(15), isn: new SeededIsnGenerator(16) });
    a.registerTransport(this.la);
    b.registerTransport(this.lb);
    this.sim = new SimDriver().add(a, [cable.a]).add(b, [cable.b]).addCable(cable);
    const l = this.lb.listen(0, PORT, 1024, {});
    if (!(l instanceof TcpListener)) throw new Error(`listen: ${l}`);
    this.listener = l;
  }

  private run(done: () => boolean, what: string): void {
    const r = this.sim.runUntil(done, { maxSteps: 100_000 });
    if (r.reason !== 'done') throw new Error(`churn: ${what} stopped (${r.reason})`);
  }

  op(): void {
    const now = (): Instant => this.sim.now();
    const c = this.la.connect(B_ADDR, PORT, {}, now());
    if (!(c instanceof Tcb)) throw new Error(`connect: ${c}`);
    let s: Tcb | undefined;
    this.run(() => (s ??= this.listener.accept()) !== undefined && c.state === TcpState.ESTABLISHED, 'handshake');
    const srv = s!;
    c.send(this.req, 0, MSG, now());
    this.la.touch(c);
    let got = 0;
    this.run(() => {
      for (;;) {
        const n = srv.recv(this.buf, 0, this.buf.length, now());
        if (n <= 0) break;
        got += n;
      }
      return got >= MSG;
    }, 'request');
    srv.send(this.resp, 0, MSG, now());
    srv.close(now());
    this.lb.touch(srv);
    got = 0;
    let eof = false;
    this.run(() => {
      for (;;) {
        const n = c.recv(this.buf, 0, this.buf.length, now());
        if (n > 0) got += n;
        else {
          if (n === 0) eof = true;
          break;
        }
      }
      return got >= MSG && eof;
    }, 'response');
    c.close(now());
    this.la.touch(c);
    this.run(() => c.state === TcpState.CLOSED, 'close');
    this.la.touch(c);
    if (++this.ops % TIME_WAIT_JUMP_EVERY === 0) this.sim.runFor(61_000_000);
  }
}

class NodeChurn {
  private server: Server | undefined;
  private port = 0;
  private readonly req = Buffer.alloc(MSG, 0x71);
  private readonly resp = Buffer.alloc(MSG, 0x72);

  async open(): Promise<void> {
    await new Promise<void>((done, fail) => {
      this.server = createServer((s) => {
        let got = 0;
        s.on('data', (d: Buffer) => {
          got += d.length;
          if (got >= MSG) s.end(this.resp);
        });
        s.on('error', () => s.destroy());
      });
      this.server.once('error', fail);
      this.server.listen(0, '127.0.0.1', () => {
        const a = this.server!.address();
        if (a === null || typeof a === 'string') return fail(new Error('no port'));
        this.port = a.port;
        done();
      });
    });
  }

  op(): Promise<void> {
    return new Promise<void>((done, fail) => {
      const c = netConnect(this.port, '127.0.0.1', () => c.write(this.req));
      let got = 0;
      c.on('data', (d: Buffer) => {
        got += d.length;
      });
      c.on('end', () => c.end());
      c.on('close', () => (got >= MSG ? done() : fail(new Error(`short response: ${got}`))));
      c.on('error', fail);
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export const churnSuite: BenchSuite = {
  name: 'tcp connection churn (connect, 100 B request, 100 B response, close)',
  cases(): BenchCase[] {
    let ws: WirestackChurn | undefined;
    const node = new NodeChurn();
    return [
      {
        name: 'node net loopback churn',
        setup: () => node.open(),
        fnAsync: () => node.op(),
        teardown: () => node.close(),
      },
      {
        name: 'wirestack churn',
        baseline: 'node net loopback churn',
        setup: () => {
          ws = new WirestackChurn();
        },
        fn: () => ws!.op(),
      },
    ];
  },
};
