/**
 * Simulation: the inactivity sweep (src/core/tcp/inactivity.ts) over many connections between two
 * stacks on the virtual clock, T = 60 s on stack A (the one sweeping; B's sweep is off).
 *
 * - N connections A→B open at seeded random instants over the first interval; a seeded tenth of
 *   them send 8 bytes at random gaps of 0.05T..0.9T until 4T, then go quiet; the rest stay idle.
 * - A link wrapper on A's end records, per connection, the last frame A received for it and the
 *   first reset A sent; the test records A's user calls. Every connection must be reset between T
 *   and 2T after its last event (segment in or user call), none while active.
 * - B's side sees each reset: its TCBs fail with ECONNRESET, and the sockets of the subset
 *   accepted through the SocketApi report ECONNRESET from recv; A's report ETIMEDOUT.
 * - Both tables end empty and, once the test drops its references, the heap and the array-buffer
 *   memory return to their baseline (gc exposed in-process through v8.setFlagsFromString).
 *
 * N = 100 000 connections by default (the figure; about 15 s on two cores);
 * `WIRESTACK_INACTIVITY_N` sets another count (e.g. 20000 for a quick run).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryCable } from '../../src/core/link/cable.js';
import type { Frame, Link } from '../../src/core/link/link.js';
import { SeededIsnGenerator } from '../../src/core/rand/isn.js';
import { Xoshiro128 } from '../../src/core/rand/rng.js';
import { sockaddr4 } from '../../src/core/socket/addr.js';
import { isPending, SocketApi, type SysResult } from '../../src/core/socket/api.js';
import { ERRNO, LINUX } from '../../src/core/socket/linux.js';
import { Stack } from '../../src/core/stack/stack.js';
import { INACTIVITY_SYSCTL } from '../../src/core/tcp/inactivity.js';
import { TcpLayer } from '../../src/core/tcp/layer.js';
import { TcpListener } from '../../src/core/tcp/listener.js';
import { TcpState } from '../../src/core/tcp/segment.js';
import { Tcb } from '../../src/core/tcp/tcb.js';
import type { Instant } from '../../src/core/time/time.js';
import { parseIpv4 } from '../../src/core/wire/address.js';
import { SimDriver } from '../../src/driver/sim.js';

const N = Number(process.env.WIRESTACK_INACTIVITY_N ?? 100_000);
const T_S = 60;
const T = T_S * 1_000_000;
const ACTIVE_UNTIL = 4 * T;
const END = ACTIVE_UNTIL + 3 * T;
const A4 = parseIpv4('10.0.0.1');
const B4 = parseIpv4('10.0.0.2');
/** Port 5000 is a SocketApi listening socket (the first API_CONNS connections); the others are layer listeners. */
const API_PORT = 5000;
const PORTS = [5000, 5001, 5002, 5003, 5004];
const API_CONNS = Math.min(300, N);
/** Tiny queues: what is measured is the connection, not 147 KiB of default buffers. */
const BUF = { sndBuf: 256, rcvBuf: 256 };
const RST_FLAG = 0x04;
const MiB = 1 << 20;

function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

interface Mem {
  heap: number;
  arrayBuffers: number;
}
function memory(gc: () => void): Mem {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

const key = (bPort: number, aPort: number): number => (bPort - API_PORT) * 65536 + aPort;

/** A's link end, recording per connection the last frame received and the first reset sent. */
class Stamp implements Link {
  readonly lastIn = new Float64Array(PORTS.length * 65536).fill(-1);
  readonly firstRst = new Float64Array(PORTS.length * 65536).fill(-1);
  rsts = 0;
  constructor(private readonly inner: Link) {}
  get caps(): Link['caps'] {
    return this.inner.caps;
  }
  get stats(): Link['stats'] {
    return this.inner.stats;
  }
  transmit(buf: Uint8Array, off: number, len: number, now: Instant): boolean {
    const ok = this.inner.transmit(buf, off, len, now);
    const ihl = (buf[off]! & 0xf) * 4;
    if (ok && buf[off + 9] === 6 && (buf[off + ihl + 13]! & RST_FLAG) !== 0) {
      const k = key(get16(buf, off + ihl + 2), get16(buf, off + ihl));
      this.rsts++;
      if (this.firstRst[k]! < 0) this.firstRst[k] = now;
    }
    return ok;
  }
  receive(now: Instant): Frame | undefined {
    const f = this.inner.receive(now);
    if (f !== undefined && f.buf[f.off + 9] === 6) {
      const ihl = (f.buf[f.off]! & 0xf) * 4;
      this.lastIn[key(get16(f.buf, f.off + ihl), get16(f.buf, f.off + ihl + 2))] = now;
    }
    return f;
  }
  pollAt(): Instant | undefined {
    return this.inner.pollAt();
  }
}

function get16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

interface Outcome {
  wallMs: number;
  minIdleOverT: number;
  maxIdleOverT: number;
  peakPerConn: Mem;
  residual: Mem | undefined;
  baseline: Mem | undefined;
  peak: Mem | undefined;
  end: Mem | undefined;
}

function run(n: number, seed: number): Outcome {
  const wall = performance.now();
  const gc = exposeGc();
  const rng = new Xoshiro128(seed);
  const cable = new MemoryCable({ medium: 'ip', mtu: 256, delayUs: 1000, queueFrames: n + 1024 });
  const stamp = new Stamp(cable.a);
  const a = new Stack({ name: 'a', rng: new Xoshiro128(seed + 1) });
  const b = new Stack({ name: 'b', rng: new Xoshiro128(seed + 2) });
  a.addAddress(a.addInterface(stamp).index, A4, 24);
  b.addAddress(b.addInterface(cable.b).index, B4, 24);
  assert.equal(a.sysctls.set(INACTIVITY_SYSCTL, String(T_S)), 0);
  assert.equal(b.sysctls.set(INACTIVITY_SYSCTL, '0'), 0);
  assert.equal(a.sysctls.set('net.ipv4.ip_local_port_range', '1024 65535'), 0);
  const la = new TcpLayer(a, a.sysctls, { rng: new Xoshiro128(seed + 3), isn: new SeededIsnGenerator(seed + 4) });
  const lb = new TcpLayer(b, b.sysctls, { rng: new Xoshiro128(seed + 5), isn: new SeededIsnGenerator(seed + 6) });
  a.registerTransport(la);
  b.registerTransport(lb);
  const sim = new SimDriver().add(a, [stamp]).add(b, [cable.b]).addCable(cable);
  const api = new SocketApi(b, lb, { clock: () => sim.now() });
  const lfd = api.socket(LINUX.AF_INET, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK, 0).ret;
  assert.equal(api.setsockopt(lfd, LINUX.SOL_SOCKET, LINUX.SO_RCVBUF, BUF.rcvBuf).ret, 0);
  assert.equal(api.setsockopt(lfd, LINUX.SOL_SOCKET, LINUX.SO_SNDBUF, BUF.sndBuf).ret, 0);
  assert.equal(api.bind(lfd, sockaddr4(0, API_PORT)).ret, 0);
  assert.equal(api.listen(lfd, 4096).ret, 0);
  const listeners: TcpListener[] = [];
  for (const p of PORTS.slice(1)) {
    const l = lb.listen(0, p, 4096, BUF);
    assert.ok(l instanceof TcpListener);
    listeners.push(l);
  }

  // ---- the schedule: opens over [0, T), touches of the active ones until ACTIVE_UNTIL ----
  const openAt = new Float64Array(n);
  const active = new Uint8Array(n);
  const events: [number, number][] = []; // [time µs, i (open) or -1 - i (touch)]
  for (let i = 0; i < n; i++) {
    openAt[i] = Math.floor(rng.nextFloat() * T_S * 1000) * 1000;
    events.push([openAt[i]!, i]);
    if (i >= API_CONNS / 2 && i < API_CONNS) active[i] = 1; // some API sockets are active too
    else if (i >= API_CONNS && rng.nextFloat() < 0.1) active[i] = 1;
    if (!active[i]) continue;
    for (let t = openAt[i]! + gap(rng); t < ACTIVE_UNTIL; t += gap(rng)) events.push([t, -1 - i]);
  }
  events.sort((x, y) => x[0] - y[0] || y[1] - x[1]);

  const client: (Tcb | undefined)[] = new Array<Tcb | undefined>(n);
  const bPort = new Uint16Array(n);
  const lastUser = new Float64Array(n);
  const serverTcbs: Tcb[] = [];
  const apiFds: number[] = [];
  let touchFailures = 0;
  const payload = new Uint8Array(8).fill(0x61);
  const drain = (): void => {
    for (const l of listeners) for (let t = l.accept(); t !== undefined; t = l.accept()) serverTcbs.push(t);
    for (;;) {
      const r = api.accept(lfd);
      if (isPending(r) || r.ret < 0) break;
      apiFds.push(r.ret);
    }
  };

  // The baseline includes the test's own bookkeeping (schedule, per-connection arrays).
  const baseline = gc ? memory(gc) : undefined;
  let peak: Mem | undefined;
  const peakAt = T + 5_000_000;
  for (let e = 0; e < events.length; ) {
    const t = events[e]![0];
    if (peak === undefined && t >= peakAt) {
      sim.runUntil(peakAt as Instant);
      drain();
      if (gc) peak = memory(gc);
      assert.equal(la.connectionCount, n, 'all open before the first reset');
      assert.equal(lb.connectionCount, n);
    }
    sim.runUntil(t as Instant);
    drain();
    const now = sim.now();
    for (; e < events.length && events[e]![0] === t; e++) {
      const ev = events[e]![1];
      if (ev >= 0) {
        const port = ev < API_CONNS ? API_PORT : PORTS[1 + (ev % (PORTS.length - 1))]!;
        const c = la.connect(B4, port, BUF, now);
        assert.ok(c instanceof Tcb, `connect #${ev}: ${String(c)}`);
        client[ev] = c;
        bPort[ev] = port;
        lastUser[ev] = now;
      } else {
        const i = -1 - ev;
        const c = client[i]!;
        if (c.send(payload, 0, payload.length, now) !== payload.length) touchFailures++;
        la.touch(c);
        lastUser[i] = now;
      }
    }
  }
  sim.runUntil(END as Instant);
  drain();

  // ---- every connection reset within [T, 2T] of its last event, none while active ----
  assert.equal(touchFailures, 0, 'an active connection could not send');
  assert.equal(stamp.stats.txQueueFull + cable.b.stats.txQueueFull, 0, 'a frame was refused by the cable');
  let bad = 0;
  let badMsg = '';
  let minR = Infinity;
  let maxR = -Infinity;
  for (let i = 0; i < n; i++) {
    const c = client[i]!;
    const k = key(bPort[i]!, c.localPort);
    const last = Math.max(lastUser[i]!, stamp.lastIn[k]!);
    const rst = stamp.firstRst[k]!;
    const r = (rst - last) / T;
    if (rst < 0 || r < 1 || r > 2 || c.state !== TcpState.CLOSED || c.error !== ERRNO.ETIMEDOUT) {
      if (bad++ === 0) badMsg = `#${i} active=${active[i]} last=${last} rst=${rst} state=${c.state} err=${c.error}`;
      continue;
    }
    minR = Math.min(minR, r);
    maxR = Math.max(maxR, r);
  }
  assert.equal(bad, 0, `${bad} connections outside [T, 2T], first: ${badMsg}`);
  assert.equal(stamp.rsts, n, 'one reset per connection');
  assert.equal(la.counters.InactivityResets, n);
  assert.equal(lb.counters.InactivityResets, 0);
  assert.equal(la.connectionCount, 0);
  assert.equal(lb.connectionCount, 0, 'B dropped every connection on the reset');

  // ---- the peer saw the resets ----
  assert.equal(serverTcbs.length + apiFds.length, n);
  for (const t of serverTcbs) assert.equal(t.error, ERRNO.ECONNRESET);
  const buf = new Uint8Array(64);
  for (const fd of apiFds) {
    let r: SysResult;
    do {
      const x = api.recv(fd, buf, buf.length, 0);
      assert.ok(!isPending(x));
      r = x;
    } while (r.ret > 0);
    assert.equal(r.errno, ERRNO.ECONNRESET, `socket ${fd}`);
    api.close(fd);
  }

  // ---- memory back to the baseline once the references are dropped ----
  client.fill(undefined);
  serverTcbs.length = 0;
  apiFds.length = 0;
  events.length = 0;
  const end = gc ? memory(gc) : undefined;
  const diff = (x: Mem | undefined, y: Mem | undefined, d = 1): Mem | undefined =>
    x && y ? { heap: (y.heap - x.heap) / d, arrayBuffers: (y.arrayBuffers - x.arrayBuffers) / d } : undefined;
  return {
    wallMs: performance.now() - wall,
    minIdleOverT: minR,
    maxIdleOverT: maxR,
    peakPerConn: diff(baseline, peak, n) ?? { heap: NaN, arrayBuffers: NaN },
    residual: diff(baseline, end),
    baseline,
    peak,
    end,
  };
}

function gap(rng: Xoshiro128): number {
  return Math.floor((0.05 + 0.85 * rng.nextFloat()) * T_S * 1000) * 1000;
}

describe(`inactivity sweep: ${N} connections between two stacks, T = ${T_S} s`, () => {
  it('idle ones reset within [T, 2T] of their last event, active ones never; the peer sees ECONNRESET; memory returns', (t) => {
    const o = run(N, 2026);
    const kib = (x: number): string => (x / 1024).toFixed(2);
    t.diagnostic(
      `N=${N} wall ${o.wallMs.toFixed(0)} ms; reset after ${o.minIdleOverT.toFixed(3)}T..${o.maxIdleOverT.toFixed(3)}T ` +
        `idle; at peak per connection pair: heap ${kib(o.peakPerConn.heap)} KiB, array buffers ` +
        `${kib(o.peakPerConn.arrayBuffers)} KiB` +
        (o.residual ? `; residual after: heap ${kib(o.residual.heap)} KiB, array buffers ${kib(o.residual.arrayBuffers)} KiB` : ''),
    );
    assert.ok(o.minIdleOverT >= 1 && o.maxIdleOverT <= 2);
    if (o.residual === undefined) {
      t.diagnostic('gc could not be exposed: heap check skipped (connection counts checked)');
      return;
    }
    // The peak holds two TCBs per connection. What may stay: the tables' slot arrays (grown once,
    // 2% of the peak is far above them) and code compiled during the run (about 1 MiB whatever N is).
    const grown = o.peak!.heap - o.baseline!.heap;
    assert.ok(grown > 0);
    assert.ok(o.residual.heap < 2 * MiB + 0.02 * grown, `heap residual ${o.residual.heap} B of ${grown} B at peak`);
    const grownAb = o.peak!.arrayBuffers - o.baseline!.arrayBuffers;
    assert.ok(grownAb > 0);
    assert.ok(o.residual.arrayBuffers < 0.02 * grownAb, `array-buffer residual ${o.residual.arrayBuffers} B of ${grownAb} B`);
  });
});
