/**
 * Congestion control in simulation: goodput of one bulk transfer between two stacks over the
 * memory cable, on the SimDriver's virtual clock, for NewReno (`reno`) and CUBIC, each with RACK
 * (`net.ipv4.tcp_recovery` 1) and without (0, so duplicate-ACK counting), over
 *
 *   random loss {0, 1, 5, 10} % (data direction) × RTT {1, 20, 200} ms × bottleneck {10 Mbit/s,
 *   1 Gbit/s, 10 Gbit/s}
 *
 * The bottleneck is the cable's serializer with its default 256-frame queue, so there is tail drop
 * as well as random loss. Each cell moves `CELL_BYTES` (4 MiB) from a to b and reports goodput in
 * Mbit/s of virtual time from connect() to the last byte read; a cell that has not finished after
 * `CELL_LIMIT_US` of virtual time reports what arrived by then. Everything is seeded, so the same
 * code gives the same table: tests/snapshots/sim-cc.json holds it and test/bench/sim-cc.test.ts
 * compares it exactly (`WIRESTACK_UPDATE_SNAPSHOTS=1` rewrites it after a deliberate change).
 *
 * `npm run bench` prints the table as the metrics of the `table` case (kbit/s, one line per cell;
 * the snapshot test's update mode prints it as a grid); that case's timing is one small cell
 * (1 MiB, 1 % loss, 20 ms, 1 Gbit/s, CUBIC with RACK), i.e. the simulator's own speed.
 */
import { MemoryCable } from '../../core/link/cable.js';
import { FaultInjector } from '../../core/link/fault.js';
import { SeededIsnGenerator } from '../../core/rand/isn.js';
import { Xoshiro128 } from '../../core/rand/rng.js';
import { Stack } from '../../core/stack/stack.js';
import { TcpLayer } from '../../core/tcp/layer.js';
import { TcpListener } from '../../core/tcp/listener.js';
import { TcpState } from '../../core/tcp/segment.js';
import { Tcb } from '../../core/tcp/tcb.js';
import type { Instant } from '../../core/time/time.js';
import { SimDriver } from '../../driver/sim.js';
import type { BenchSuite } from '../suite.js';

export const CCS = ['reno', 'cubic'] as const;
export const RACK = [1, 0] as const;
export const LOSSES = [0, 0.01, 0.05, 0.1] as const;
export const RTTS_MS = [1, 20, 200] as const;
export const RATES_BPS = [10e6, 1e9, 10e9] as const;

export const CELL_BYTES = 4 << 20;
/** Virtual time after which a cell gives up (µs). */
export const CELL_LIMIT_US = 600_000_000;
const BUF = 16 << 20;
const A = 0x0a000001;
const B = 0x0a000002;

export interface Cell {
  cc: string;
  rack: number;
  loss: number;
  rttMs: number;
  rateBps: number;
}

export interface CellResult extends Cell {
  /** Goodput, Mbit/s of virtual time (rounded to 1/1000). */
  mbps: number;
  /** Virtual seconds from connect() to the last byte read (rounded to 1 µs). */
  seconds: number;
  /** Segments the sender retransmitted. */
  retrans: number;
  /** Whether all bytes arrived within the limit. */
  done: boolean;
}

/** Every cell of the table, in a fixed order. */
export function allCells(): Cell[] {
  const out: Cell[] = [];
  for (const rateBps of RATES_BPS)
    for (const rttMs of RTTS_MS)
      for (const loss of LOSSES)
        for (const cc of CCS) for (const rack of RACK) out.push({ cc, rack, loss, rttMs, rateBps });
  return out;
}

export function cellKey(c: Cell): string {
  const rate = c.rateBps >= 1e9 ? `${c.rateBps / 1e9}Gbit/s` : `${c.rateBps / 1e6}Mbit/s`;
  return `${c.cc}${c.rack ? '+rack' : ''} loss=${c.loss * 100}% rtt=${c.rttMs}ms ${rate}`;
}

/** A seed derived from the cell, so each cell is reproducible on its own. */
function seedOf(c: Cell): number {
  return (
    1 +
    RATES_BPS.indexOf(c.rateBps as (typeof RATES_BPS)[number]) * 1000 +
    RTTS_MS.indexOf(c.rttMs as (typeof RTTS_MS)[number]) * 100 +
    LOSSES.indexOf(c.loss as (typeof LOSSES)[number]) * 10
  );
}

/** One transfer of `bytes` from a to b; the same cell and size always give the same result. */
export function runCell(c: Cell, bytes = CELL_BYTES): CellResult {
  const seed = seedOf(c);
  const cable = new MemoryCable({
    medium: 'ip',
    delayUs: Math.round((c.rttMs * 1000) / 2),
    rateBps: c.rateBps,
    checksumOffload: true,
  });
  // Random loss on the data direction only (a transmits); the loss stream is the same for every
  // congestion control of one path, so they face the same coin flips.
  const fa = new FaultInjector(cable.a, new Xoshiro128(seed), { tx: { loss: c.loss } });
  const a = new Stack({ name: 'a', rng: new Xoshiro128(seed + 1) });
  const b = new Stack({ name: 'b', rng: new Xoshiro128(seed + 2) });
  for (const s of [a, b]) {
    s.sysctls.set('net.ipv4.tcp_congestion_control', c.cc);
    s.sysctls.set('net.ipv4.tcp_recovery', String(c.rack));
    s.sysctls.set('net.core.rmem_max', String(BUF));
    s.sysctls.set('net.core.wmem_max', String(BUF));
  }
  const ia = a.addInterface(fa);
  const ib = b.addInterface(cable.b);
  a.addAddress(ia.index, A, 24);
  b.addAddress(ib.index, B, 24);
  const la = new TcpLayer(a, a.sysctls, { rng: new Xoshiro128(seed + 3), isn: new SeededIsnGenerator(seed + 4) });
  const lb = new TcpLayer(b, b.sysctls, { rng: new Xoshiro128(seed + 5), isn: new SeededIsnGenerator(seed + 6) });
  a.registerTransport(la);
  b.registerTransport(lb);
  const sim = new SimDriver().add(a, [fa]).add(b, [cable.b]).addCable(cable);
  const opts = { sndBuf: BUF / 2, rcvBuf: BUF / 2 };
  const listener = lb.listen(0, 5001, 16, opts);
  if (!(listener instanceof TcpListener)) throw new Error(`listen failed: ${String(listener)}`);
  const start = sim.now();
  const client = la.connect(B, 5001, opts, start);
  if (!(client instanceof Tcb)) throw new Error(`connect failed: ${String(client)}`);
  const chunk = new Uint8Array(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
  const rbuf = new Uint8Array(256 * 1024);
  let sent = 0;
  let got = 0;
  let server: Tcb | undefined;
  let doneAt = -1;
  const limit = (start + CELL_LIMIT_US) as Instant;
  sim.runUntil(
    (s) => {
      const now = s.now();
      server ??= listener.accept();
      while (sent < bytes) {
        const w = client.send(chunk, 0, Math.min(chunk.length, bytes - sent), now);
        if (w <= 0) break;
        sent += w;
      }
      la.touch(client);
      if (server !== undefined) {
        for (;;) {
          const n = server.recv(rbuf, 0, rbuf.length, now);
          if (n <= 0) break;
          got += n;
        }
        lb.touch(server);
      }
      if (got >= bytes) doneAt = now;
      return doneAt >= 0 || client.state === TcpState.CLOSED || now >= limit;
    },
    { maxSteps: 500_000_000 },
  );
  const end = doneAt >= 0 ? doneAt : sim.now();
  const secs = (end - start) / 1e6;
  return {
    ...c,
    mbps: secs > 0 ? Math.round(((got * 8) / secs / 1e6) * 1000) / 1000 : 0,
    seconds: Math.round(secs * 1e6) / 1e6,
    retrans: client.totalRetrans,
    done: doneAt >= 0,
  };
}

/** The whole table, in `allCells` order. */
export function runTable(cells: readonly Cell[] = allCells(), bytes = CELL_BYTES): CellResult[] {
  return cells.map((c) => runCell(c, bytes));
}

/** The table as text: one line per path, goodput (Mbit/s) per congestion control and RACK setting. */
export function formatTable(rows: readonly CellResult[]): string[] {
  const cols = CCS.flatMap((cc) => RACK.map((rack) => ({ cc, rack })));
  const head =
    `${'bottleneck'.padEnd(12)}${'rtt'.padStart(7)}${'loss'.padStart(6)}` +
    cols.map((k) => `${k.cc}${k.rack ? '+rack' : ''}`.padStart(12)).join('');
  const lines = [head];
  for (const rateBps of RATES_BPS)
    for (const rttMs of RTTS_MS)
      for (const loss of LOSSES) {
        const cells = cols.map((k) =>
          rows.find(
            (r) => r.rateBps === rateBps && r.rttMs === rttMs && r.loss === loss && r.cc === k.cc && r.rack === k.rack,
          ),
        );
        if (cells.every((x) => x === undefined)) continue;
        const rate = rateBps >= 1e9 ? `${rateBps / 1e9} Gbit/s` : `${rateBps / 1e6} Mbit/s`;
        lines.push(
          `${rate.padEnd(12)}${`${rttMs}ms`.padStart(7)}${`${loss * 100}%`.padStart(6)}` +
            cells.map((x) => (x === undefined ? '-' : `${x.mbps.toFixed(2)}${x.done ? '' : '*'}`).padStart(12)).join(''),
        );
      }
  return lines;
}

let table: CellResult[] | undefined;

export const simCcSuite: BenchSuite = {
  name: 'sim-cc',
  cases: () => [
    {
      name: 'table',
      setup: () => {
        table ??= runTable();
      },
      fn: () => {
        runCell({ cc: 'cubic', rack: 1, loss: 0.01, rttMs: 20, rateBps: 1e9 }, 1 << 20);
      },
      metrics: () => {
        const m: Record<string, number> = {};
        // kbit/s as integers, so the report prints them exactly.
        for (const r of table ?? []) m[`${cellKey(r)}${r.done ? '' : ' (unfinished)'} kbit/s`] = Math.round(r.mbps * 1000);
        return m;
      },
    },
  ],
};
