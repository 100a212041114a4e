/**
 * Idle connections: what one costs in memory, and what the inactivity sweep costs in time.
 *
 * Two wirestack stacks on a memory cable and the virtual clock establish N idle connections
 * (N = `WIRESTACK_BENCH_IDLE_N`, default 1000; both ends are ours, so 2N TCBs). After a full
 * garbage collection the growth of the V8 heap (`heapUsed`) and of array-buffer memory (the
 * backing stores of typed arrays, outside the heap) is divided by 2N: bytes per idle established
 * connection end. The target is ≤ 2 KiB of heap per idle connection at 100k connections.
 * Socket buffers are the defaults (tcp_wmem[1], tcp_rmem[1]) unless `WIRESTACK_BENCH_IDLE_BUF`
 * gives SO_SNDBUF = SO_RCVBUF in bytes (the queues are then twice that, as on Linux).
 *
 * The figures come with a breakdown: the same measure over K instances of each per-connection
 * object alone (a whole `Tcb`, its send and receive `ByteRing`s, its `Assembler`, its scratch
 * `TcpRepr`, the table entry's `TcpTuple`).
 *
 * Garbage collection is exposed in-process (`v8.setFlagsFromString('--expose-gc')`); where that
 * fails, run `node --expose-gc dist/src/bench/main.js --filter idle`. The timed case is one
 * inactivity sweep (marking pass) over the N connections of one stack.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MemoryCable } from '../../core/link/cable.js';
import { SeededIsnGenerator } from '../../core/rand/isn.js';
import { Xoshiro128 } from '../../core/rand/rng.js';
import { Stack } from '../../core/stack/stack.js';
import { Sysctls } from '../../core/stack/sysctl.js';
import { tcpConfig, type TcpSocketOptions } from '../../core/tcp/config.js';
import { TcpTuple } from '../../core/tcp/demux.js';
import { INACTIVITY_SYSCTL, InactivitySweep } from '../../core/tcp/inactivity.js';
import { type TcpConn, TcpLayer } from '../../core/tcp/layer.js';
import { TcpListener } from '../../core/tcp/listener.js';
import type { SegmentSink } from '../../core/tcp/segment.js';
import { TcpState } from '../../core/tcp/segment.js';
import { Tcb } from '../../core/tcp/tcb.js';
import { Assembler } from '../../core/storage/assembler.js';
import { ByteRing } from '../../core/storage/ring.js';
import type { Instant } from '../../core/time/time.js';
import { TcpRepr } from '../../core/wire/tcp.js';
import { SimDriver } from '../../driver/sim.js';
import type { BenchCase, BenchSuite } from '../suite.js';

const BATCH = 512;
/** Instances per object kind in the breakdown. */
const K = 2000;

/** `global.gc`, exposed in-process; undefined when the runtime refuses. */
export function exposeGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) return g;
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

function snapshot(gc: () => void): Mem {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

/** Heap and array-buffer bytes per object of `k` made by `make` and kept alive. */
export function perObject(gc: () => void, k: number, make: () => unknown): Mem {
  const keep: unknown[] = new Array<unknown>(k).fill(undefined);
  const before = snapshot(gc);
  for (let i = 0; i < k; i++) keep[i] = make();
  const after = snapshot(gc);
  if (keep.length !== k) throw new Error('unreachable');
  return { heap: (after.heap - before.heap) / k, arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / k };
}

/** Two stacks with `n` idle established connections between them. */
export class IdlePair {
  readonly sim = new SimDriver();
  readonly la: TcpLayer;
  readonly lb: TcpLayer;
  readonly clients: Tcb[] = [];
  readonly servers: Tcb[] = [];

  constructor(n: number, opts: TcpSocketOptions) {
    const cable = new MemoryCable({ medium: 'ip', mtu: 1500, delayUs: 100, queueFrames: 2 * BATCH + 64 });
    const a = new Stack({ name: 'a', rng: new Xoshiro128(1) });
    const b = new Stack({ name: 'b', rng: new Xoshiro128(2) });
    a.addAddress(a.addInterface(cable.a).index, 0x0a000001, 24);
    b.addAddress(b.addInterface(cable.b).index, 0x0a000002, 24);
    for (const s of [a, b]) {
      s.sysctls.set('net.ipv4.ip_local_port_range', '1024 65535');
      s.sysctls.set(INACTIVITY_SYSCTL, '0');
    }
    this.la = new TcpLayer(a, a.sysctls, { rng: new Xoshiro128(3), isn: new SeededIsnGenerator(4) });
    this.lb = new TcpLayer(b, b.sysctls, { rng: new Xoshiro128(5), isn: new SeededIsnGenerator(6) });
    a.registerTransport(this.la);
    b.registerTransport(this.lb);
    this.sim.add(a, [cable.a]).add(b, [cable.b]).addCable(cable);
    const ports = Math.ceil(n / 60_000);
    const listeners: TcpListener[] = [];
    for (let p = 0; p < ports; p++) {
      const l = this.lb.listen(0, 5001 + p, 4096, opts);
      if (!(l instanceof TcpListener)) throw new Error(`listen: ${l}`);
      listeners.push(l);
    }
    for (let i = 0; i < n; ) {
      const end = Math.min(n, i + BATCH);
      for (; i < end; i++) {
        const c = this.la.connect(0x0a000002, 5001 + (i % ports), opts, this.sim.now());
        if (!(c instanceof Tcb)) throw new Error(`connect #${i}: ${c}`);
        this.clients.push(c);
      }
      const r = this.sim.runUntil(
        () => {
          for (const l of listeners) for (let t = l.accept(); t !== undefined; t = l.accept()) this.servers.push(t);
          return this.servers.length === end;
        },
        { maxSteps: 1_000_000 },
      );
      if (r.reason !== 'done') throw new Error(`only ${this.servers.length} of ${end} connections established`);
    }
    // Let the last ACKs and timers settle: nothing is in flight, no timer runs.
    this.sim.runFor(1_000_000);
    for (const t of this.clients) if (t.state !== TcpState.ESTABLISHED) throw new Error('a client is not established');
  }
}

export interface IdleMemoryReport {
  n: number;
  /** Per idle established connection end (one TCB and its table entry). */
  heapPerConn: number;
  arrayBuffersPerConn: number;
  /** Breakdown: per object of each kind. */
  parts: Record<string, Mem>;
}

export function measureIdleMemory(n: number, opts: TcpSocketOptions, gc: () => void): IdleMemoryReport {
  const before = snapshot(gc);
  const pair = new IdlePair(n, opts);
  const after = snapshot(gc);
  if (pair.clients.length + pair.servers.length !== 2 * n) throw new Error('lost connections');
  const cfg = tcpConfig(new Sysctls(), opts);
  const sink: SegmentSink = { send: () => true };
  const parts: Record<string, Mem> = {
    'Tcb (whole, with its queues)': perObject(gc, K, () => new Tcb(tcpConfig(new Sysctls(), opts), sink)),
    [`ByteRing send (${cfg.sndBuf} B)`]: perObject(gc, K, () => new ByteRing(cfg.sndBuf)),
    [`ByteRing receive (${cfg.rcvBuf} B)`]: perObject(gc, K, () => new ByteRing(cfg.rcvBuf)),
    'Assembler (32 ranges)': perObject(gc, K, () => new Assembler()),
    'TcpRepr (scratch segment + options)': perObject(gc, K, () => new TcpRepr()),
    'TcpTuple (table entry addresses)': perObject(gc, K, () => new TcpTuple()),
    TcpConfig: perObject(gc, K, () => tcpConfig(new Sysctls(), opts)),
  };
  return {
    n,
    heapPerConn: (after.heap - before.heap) / (2 * n),
    arrayBuffersPerConn: (after.arrayBuffers - before.arrayBuffers) / (2 * n),
    parts,
  };
}

/** The metrics of the report, flattened for the bench output. */
export function reportMetrics(r: IdleMemoryReport): Record<string, number> {
  const out: Record<string, number> = {
    connections: r.n,
    'heap B per idle connection end': Math.round(r.heapPerConn),
    'array-buffer B per idle connection end': Math.round(r.arrayBuffersPerConn),
  };
  for (const [k, m] of Object.entries(r.parts)) {
    out[`  ${k}: heap B`] = Math.round(m.heap);
    out[`  ${k}: array-buffer B`] = Math.round(m.arrayBuffers);
  }
  return out;
}

function envInt(name: string, d: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : d;
}

export const idleMemorySuite: BenchSuite = {
  name: 'idle connections (memory; inactivity sweep)',
  cases(): BenchCase[] {
    const n = envInt('WIRESTACK_BENCH_IDLE_N', 1000);
    const buf = envInt('WIRESTACK_BENCH_IDLE_BUF', 0);
    const opts: TcpSocketOptions = buf > 0 ? { sndBuf: buf, rcvBuf: buf } : {};
    let metrics: Record<string, number> = {};
    let table: TcpConn[] = [];
    let sweep: InactivitySweep<TcpConn> | undefined;
    let now = 0;
    return [
      {
        name: `inactivity sweep, ${n} idle connections`,
        setup: () => {
          const gc = exposeGc();
          if (gc === undefined) throw new Error('gc not available: run node with --expose-gc');
          const report = measureIdleMemory(n, opts, gc);
          metrics = reportMetrics(report);
          const pair = new IdlePair(n, opts);
          table = pair.clients.map((t) => pair.la.connOf(t)!);
          const sysctls = new Sysctls();
          sysctls.set(INACTIVITY_SYSCTL, '1');
          sweep = new InactivitySweep<TcpConn>(sysctls, () => {
            throw new Error('an active connection was reset');
          });
        },
        fn: () => {
          // Every connection had an event since the last sweep: this pass only sets bits.
          for (let i = 0; i < table.length; i++) table[i]!.inactive = false;
          now += 1_000_000;
          sweep!.poll(now as Instant, table, table.length);
        },
        metrics: () => metrics,
        teardown: () => {
          table = [];
        },
      },
    ];
  },
};
