/**
 * The congestion-control goodput table (src/bench/suites/sim-cc.ts) against its snapshot,
 * tests/snapshots/sim-cc.json. The simulation is deterministic, so figures must match exactly; a
 * difference means the engine's behaviour changed.
 *
 * By default a subset of cells is compared (a few seconds); `WIRESTACK_SIM_FULL=1` compares the
 * whole table. After a deliberate change, rewrite the snapshot with
 *
 *   WIRESTACK_UPDATE_SNAPSHOTS=1 node --test dist/test/bench/sim-cc.test.js
 *
 * (it runs the whole table and prints it) and review the diff of the JSON file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import {
  allCells,
  type Cell,
  CELL_BYTES,
  CELL_LIMIT_US,
  type CellResult,
  cellKey,
  formatTable,
  runTable,
} from '../../src/bench/suites/sim-cc.js';
import { checkoutRoot } from '../paths.js';

const SNAPSHOT = join(checkoutRoot(), 'tests', 'snapshots', 'sim-cc.json');
const UPDATE = process.env.WIRESTACK_UPDATE_SNAPSHOTS === '1';
const FULL = process.env.WIRESTACK_SIM_FULL === '1';

interface Snapshot {
  bytes: number;
  limitUs: number;
  cells: Record<string, { mbps: number; seconds: number; retrans: number; done: boolean }>;
}

function toSnapshot(rows: readonly CellResult[]): Snapshot {
  const cells: Snapshot['cells'] = {};
  for (const r of rows) cells[cellKey(r)] = { mbps: r.mbps, seconds: r.seconds, retrans: r.retrans, done: r.done };
  return { bytes: CELL_BYTES, limitUs: CELL_LIMIT_US, cells };
}

/** The default subset: every congestion control, RACK setting and loss rate on the two extreme paths. */
function subset(): Cell[] {
  const paths = [
    [200, 10e6],
    [1, 10e9],
  ];
  return allCells().filter((c) => paths.some(([rtt, rate]) => c.rttMs === rtt && c.rateBps === rate));
}

describe('sim-cc goodput table', () => {
  if (UPDATE) {
    it('rewrites the snapshot (WIRESTACK_UPDATE_SNAPSHOTS=1)', () => {
      const rows = runTable();
      mkdirSync(dirname(SNAPSHOT), { recursive: true });
      writeFileSync(SNAPSHOT, `${JSON.stringify(toSnapshot(rows), null, 2)}\n`);
      console.log(formatTable(rows).join('\n'));
    });
    return;
  }

  it('matches tests/snapshots/sim-cc.json exactly', () => {
    assert.ok(existsSync(SNAPSHOT), `${SNAPSHOT} is missing: run with WIRESTACK_UPDATE_SNAPSHOTS=1`);
    const snap = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Snapshot;
    assert.equal(snap.bytes, CELL_BYTES, 'the snapshot was taken with another transfer size');
    assert.equal(snap.limitUs, CELL_LIMIT_US);
    const cells = FULL ? allCells() : subset();
    assert.equal(Object.keys(snap.cells).length, allCells().length, 'the snapshot covers the whole table');
    const rows = runTable(cells);
    const got = toSnapshot(rows).cells;
    const want: Snapshot['cells'] = {};
    for (const c of cells) want[cellKey(c)] = snap.cells[cellKey(c)]!;
    assert.deepEqual(got, want);
  });

  it('keeps the qualitative picture: no cell stalls; RACK recovers at least as well as dupthresh at high loss', () => {
    const snap = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Snapshot;
    const at = (cc: string, rack: number, loss: number, rttMs: number, rateBps: number): number =>
      snap.cells[cellKey({ cc, rack, loss, rttMs, rateBps })]!.mbps;
    // Every transfer finishes at a useful rate: loss recovery never falls back to RTOs alone.
    for (const [key, cell] of Object.entries(snap.cells)) assert.ok(cell.mbps > 0.05, `${key}: ${cell.mbps} Mbit/s`);
    for (const cc of ['reno', 'cubic']) assert.ok(at(cc, 1, 0.05, 20, 1e9) >= at(cc, 0, 0.05, 20, 1e9));
    // Lossless: a 10 Mbit/s path is filled; more loss never helps.
    for (const cc of ['reno', 'cubic']) {
      assert.ok(at(cc, 1, 0, 1, 10e6) > 9);
      assert.ok(at(cc, 1, 0, 20, 1e9) >= at(cc, 1, 0.1, 20, 1e9));
    }
  });
});
