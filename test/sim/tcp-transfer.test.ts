/**
 * Simulation: two stacks over a memory cable (10 ms RTT, 100 Mbit/s) with a seeded fault injector
 * on one end, TCP layers on both, a bulk transfer each way at the same time, checked byte for byte
 * with SHA-256. Goodput is in Mbit/s of virtual time (the SimDriver's clock).
 *
 * The default sizes keep `npm test` quick; `WIRESTACK_SIM_FULL=1` runs the 100 MiB each way target.
 */
import assert from 'node:assert/strict';
import { createHash, type Hash } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryCable } from '../../src/core/link/cable.js';
import { FaultInjector, type FaultSettings } from '../../src/core/link/fault.js';
import { SeededIsnGenerator } from '../../src/core/rand/isn.js';
import { Xoshiro128 } from '../../src/core/rand/rng.js';
import { Stack } from '../../src/core/stack/stack.js';
import type { IpAddr } from '../../src/core/stack/transport.js';
import { TcpLayer } from '../../src/core/tcp/layer.js';
import { TcpListener } from '../../src/core/tcp/listener.js';
import { TcpState } from '../../src/core/tcp/segment.js';
import { Tcb } from '../../src/core/tcp/tcb.js';
import type { Instant } from '../../src/core/time/time.js';
import { parseIpv4, parseIpv6 } from '../../src/core/wire/address.js';
import { SimDriver } from '../../src/driver/sim.js';

const FULL = process.env.WIRESTACK_SIM_FULL === '1';
const MiB = 1 << 20;
const A4 = parseIpv4('10.0.0.1');
const B4 = parseIpv4('10.0.0.2');
const A6 = v6('2001:db8::a');
const B6 = v6('2001:db8::b');
const BUF = { sndBuf: 2 * MiB, rcvBuf: 2 * MiB };
/** The fault mix. */
const MIX: FaultSettings = { loss: 0.05, reorder: 0.05, duplicate: 0.01, corrupt: 0.001 };

function v6(s: string): Uint8Array {
  const b = new Uint8Array(16);
  assert.ok(parseIpv6(s, b));
  return b;
}

/** Writes `total` seeded pseudo-random bytes into a TCB as fast as it takes them, hashing them. */
class Source {
  private readonly rng: Xoshiro128;
  private readonly chunk = new Uint8Array(64 * 1024);
  private pos = 0;
  private filled = 0;
  private made = 0;
  sent = 0;
  readonly hash: Hash = createHash('sha256');

  constructor(
    readonly total: number,
    seed: number,
  ) {
    this.rng = new Xoshiro128(seed);
  }

  pump(t: Tcb, now: Instant): void {
    while (this.sent < this.total) {
      if (this.pos === this.filled) {
        const n = Math.min(this.chunk.length, this.total - this.made);
        for (let i = 0; i < n; i += 4) {
          const x = this.rng.nextU32();
          this.chunk[i] = x;
          this.chunk[i + 1] = x >>> 8;
          this.chunk[i + 2] = x >>> 16;
          this.chunk[i + 3] = x >>> 24;
        }
        this.hash.update(this.chunk.subarray(0, n));
        this.made += n;
        this.pos = 0;
        this.filled = n;
      }
      const w = t.send(this.chunk, this.pos, this.filled - this.pos, now);
      if (w <= 0) break;
      this.pos += w;
      this.sent += w;
    }
  }
}

/** Reads everything a TCB has, hashing it. */
class Sink {
  private readonly buf = new Uint8Array(64 * 1024);
  got = 0;
  readonly hash: Hash = createHash('sha256');

  pump(t: Tcb, now: Instant): void {
    for (;;) {
      const n = t.recv(this.buf, 0, this.buf.length, now);
      if (n <= 0) break;
      this.hash.update(this.buf.subarray(0, n));
      this.got += n;
    }
  }
}

interface Result {
  seconds: number;
  mbpsAB: number;
  mbpsBA: number;
  wallMs: number;
  segsA: number;
  retransmitsSeen: number;
}

function transfer(version: 4 | 6, bytes: number, faults: FaultSettings, seed: number): Result {
  const wall = performance.now();
  const cable = new MemoryCable({ medium: 'ip', delayUs: 5000, rateBps: 100_000_000, checksumOffload: false });
  const fa = new FaultInjector(cable.a, new Xoshiro128(seed), faults);
  const a = new Stack({ name: 'a', rng: new Xoshiro128(seed + 1) });
  const b = new Stack({ name: 'b', rng: new Xoshiro128(seed + 2) });
  const ia = a.addInterface(fa);
  const ib = b.addInterface(cable.b);
  a.addAddress(ia.index, A4, 24);
  b.addAddress(ib.index, B4, 24);
  a.addAddress(ia.index, A6, 64);
  b.addAddress(ib.index, B6, 64);
  const la = new TcpLayer(a, a.sysctls, { rng: new Xoshiro128(seed + 3), isn: new SeededIsnGenerator(seed + 4) });
  const lb = new TcpLayer(b, b.sysctls, { rng: new Xoshiro128(seed + 5), isn: new SeededIsnGenerator(seed + 6) });
  a.registerTransport(la);
  b.registerTransport(lb);
  const sim = new SimDriver().add(a, [fa]).add(b, [cable.b]).addCable(cable);

  const listener = lb.listen(version === 4 ? 0 : new Uint8Array(16), 5001, 128, BUF);
  assert.ok(listener instanceof TcpListener);
  const dst: IpAddr = version === 4 ? B4 : B6;
  const start = sim.now();
  const client = la.connect(dst, 5001, BUF, start);
  assert.ok(client instanceof Tcb);
  let server: Tcb | undefined;
  const srcA = new Source(bytes, seed * 7 + 1);
  const srcB = new Source(bytes, seed * 7 + 2);
  const sinkA = new Sink();
  const sinkB = new Sink();
  let doneAB = -1;
  let doneBA = -1;

  const res = sim.runUntil(
    (s) => {
      const now = s.now();
      server ??= listener.accept();
      srcA.pump(client, now);
      sinkA.pump(client, now);
      la.touch(client);
      if (server !== undefined) {
        srcB.pump(server, now);
        sinkB.pump(server, now);
        lb.touch(server);
      }
      if (doneAB < 0 && sinkB.got === bytes) doneAB = now;
      if (doneBA < 0 && sinkA.got === bytes) doneBA = now;
      return (doneAB >= 0 && doneBA >= 0) || client.state === TcpState.CLOSED;
    },
    { maxSteps: 200_000_000 },
  );
  const diag = (): string =>
    `t=${sim.now()} a→b ${sinkB.got} b→a ${sinkA.got} client ${client.state} server ${server?.state} ` +
    `a ${JSON.stringify(la.counters)} b ${JSON.stringify(lb.counters)}`;
  assert.equal(res.reason, 'done', diag());
  assert.notEqual(client.state, TcpState.CLOSED, diag());
  assert.equal(sinkB.got, bytes);
  assert.equal(sinkA.got, bytes);
  assert.equal(sinkB.hash.digest('hex'), srcA.hash.digest('hex'), 'a→b bytes differ');
  assert.equal(sinkA.hash.digest('hex'), srcB.hash.digest('hex'), 'b→a bytes differ');

  // Orderly close: both FINs exchanged, one side in TIME-WAIT, the other gone.
  client.close(sim.now());
  la.touch(client);
  server!.close(sim.now());
  lb.touch(server!);
  sim.runFor(30_000_000);
  assert.ok(
    client.state === TcpState.TIME_WAIT || client.state === TcpState.CLOSED,
    `client ends in ${client.state}`,
  );
  assert.ok(server!.state === TcpState.TIME_WAIT || server!.state === TcpState.CLOSED);
  sim.runFor(61_000_000);
  assert.equal(la.connectionCount, 0);
  assert.equal(lb.connectionCount, 0);

  const us = (x: number): number => (x - start) / 1e6;
  return {
    seconds: Math.max(us(doneAB), us(doneBA)),
    mbpsAB: (bytes * 8) / us(doneAB) / 1e6,
    mbpsBA: (bytes * 8) / us(doneBA) / 1e6,
    wallMs: performance.now() - wall,
    segsA: la.counters.OutSegs,
    retransmitsSeen: fa.tx.lost + fa.rx.lost,
  };
}

function row(label: string, r: Result): string {
  return (
    `${label.padEnd(28)} ${r.mbpsAB.toFixed(2).padStart(8)} ${r.mbpsBA.toFixed(2).padStart(8)} ` +
    `${r.seconds.toFixed(2).padStart(9)} ${r.wallMs.toFixed(0).padStart(8)}`
  );
}

const HEADER = `${'run'.padEnd(28)} ${'a→b Mb/s'.padStart(8)} ${'b→a Mb/s'.padStart(8)} ${'virtual s'.padStart(9)} ${'wall ms'.padStart(8)}`;

describe('simulation: TCP over a lossy, reordering, duplicating, corrupting link', () => {
  const size = FULL ? 100 * MiB : 4 * MiB;
  const lines: string[] = [];

  for (const version of [4, 6] as const) {
    it(`moves ${size / MiB} MiB each way byte-exact over IPv${version} with the full fault mix`, () => {
      const r = transfer(version, size, MIX, version === 4 ? 11 : 23);
      lines.push(row(`IPv${version} mix ${size / MiB} MiB`, r));
    });
  }

  it('goodput against loss 0 / 1 / 5 % (IPv4)', () => {
    const n = FULL ? 16 * MiB : MiB;
    for (const loss of [0, 0.01, 0.05]) {
      const r = transfer(4, n, { loss }, 31);
      lines.push(row(`IPv4 loss ${(loss * 100).toFixed(0)}% ${n / MiB} MiB`, r));
      if (loss === 0) assert.ok(r.mbpsAB > 10, `lossless goodput ${r.mbpsAB}`);
    }
    console.log(`\n${HEADER}\n${lines.join('\n')}\n`);
  });
});

describe('simulation: TCP over one stack’s loopback', () => {
  for (const version of [4, 6] as const) {
    it(`connects to itself over IPv${version} loopback and echoes data`, () => {
      const s = new Stack({ name: 'lo', rng: new Xoshiro128(3) });
      const tcp = new TcpLayer(s, s.sysctls, { rng: new Xoshiro128(4) });
      s.registerTransport(tcp);
      const sim = new SimDriver().add(s);
      const lo: IpAddr = version === 4 ? 0x7f000001 : v6('::1');
      const l = tcp.listen(lo, 7, 4);
      assert.ok(l instanceof TcpListener);
      const c = tcp.connect(lo, 7, {}, sim.now());
      assert.ok(c instanceof Tcb);
      const msg = new Uint8Array(100_000).map((_, i) => i * 7);
      let sent = 0;
      let server: Tcb | undefined;
      const got = new Uint8Array(msg.length);
      let n = 0;
      sim.runUntil(
        (d) => {
          server ??= l.accept();
          if (c.state === TcpState.ESTABLISHED && sent < msg.length) {
            const w = c.send(msg, sent, msg.length - sent, d.now());
            if (w > 0) sent += w;
            tcp.touch(c);
          }
          if (server !== undefined) {
            const r = server.recv(got, n, got.length - n, d.now());
            if (r > 0) n += r;
            tcp.touch(server);
          }
          return n === msg.length;
        },
        { maxSteps: 1_000_000 },
      );
      assert.deepEqual(got, msg);
    });
  }
});
