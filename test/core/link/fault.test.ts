import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCable } from '../../../src/core/link/cable.js';
import { FaultInjector, type FaultOptions } from '../../../src/core/link/fault.js';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { type Instant, instant } from '../../../src/core/time/time.js';
import { checksum } from '../../../src/core/wire/checksum.js';

const LEN = 200;

/** A test frame: 4-byte sequence number, 2-byte Internet checksum over the frame, filler. */
function fill(b: Uint8Array, seq: number): void {
  b[0] = seq >>> 24;
  b[1] = seq >>> 16;
  b[2] = seq >>> 8;
  b[3] = seq;
  b[4] = 0;
  b[5] = 0;
  for (let i = 6; i < LEN; i++) b[i] = (seq * 7 + i) & 0xff;
  const c = checksum(b, 0, LEN);
  b[4] = c >>> 8;
  b[5] = c;
}

function intact(b: Uint8Array, off: number, len: number): boolean {
  return len === LEN && checksum(b, off, len) === 0;
}

interface Arrival {
  seq: number;
  at: number;
  ok: boolean;
}

/** Sends `n` frames a→b through an injector on a (tx side), 100 µs apart, and collects what b gets. */
function run(seed: number, opts: FaultOptions, n: number, side: 'tx' | 'rx' = 'tx') {
  const cable = new MemoryCable({ medium: 'ip', queueFrames: 1024 });
  const inj = new FaultInjector(side === 'tx' ? cable.a : cable.b, new Xoshiro128(seed), opts);
  const sender = side === 'tx' ? inj : cable.a;
  const receiver = side === 'tx' ? cable.b : inj;
  const buf = new Uint8Array(LEN);
  const out: Arrival[] = [];
  const drain = (now: Instant) => {
    for (let f = receiver.receive(now); f; f = receiver.receive(now)) {
      const b = f.buf;
      const o = f.off;
      const seq = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
      out.push({ seq, at: now, ok: intact(b, o, f.len) });
    }
  };
  let now = 0;
  for (let i = 0; i < n; i++) {
    now = i * 100;
    fill(buf, i);
    // Advance through every deadline before this send instant.
    for (let t = receiver.pollAt() ?? inj.pollAt(); t !== undefined && t <= now; t = receiver.pollAt()) {
      drain(t);
      if (inj.pollAt() !== undefined && inj.pollAt()! <= t) inj.receive(t);
    }
    sender.transmit(buf, 0, LEN, now as Instant);
    drain(now as Instant);
  }
  for (let guard = 0; guard < 100_000; guard++) {
    const t = earliest(receiver.pollAt(), inj.pollAt());
    if (t === undefined) break;
    if (side === 'tx') inj.receive(t);
    drain(t);
  }
  return { out, inj };
}

function earliest(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/** Intact frames that arrive after a later sequence number. */
function lateCount(out: Arrival[]): number {
  let maxSeq = -1;
  let late = 0;
  for (const a of out) {
    if (!a.ok) continue;
    if (a.seq < maxSeq) late++;
    else maxSeq = a.seq;
  }
  return late;
}

function within(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual}, expected ${expected} ± ${tolerance}`,
  );
}

describe('FaultInjector', () => {
  const N = 20_000;
  const faults: FaultOptions = { loss: 0.1, duplicate: 0.05, corrupt: 0.02, reorder: 0.05 };

  for (const side of ['tx', 'rx'] as const) {
    it(`applies each fault at its rate on ${side} (fixed seed, 20k frames)`, () => {
      const { out, inj } = run(42, { [side]: faults }, N, side);
      const c = side === 'tx' ? inj.tx : inj.rx;
      const other = side === 'tx' ? inj.rx : inj.tx;
      assert.equal(other.frames, 0);
      assert.equal(c.frames, N);
      // 3 standard deviations of a binomial count.
      within(c.lost, N * 0.1, 3 * Math.sqrt(N * 0.1 * 0.9), 'lost');
      const kept = N - c.lost;
      within(c.duplicated, kept * 0.05, 3 * Math.sqrt(kept * 0.05), 'duplicated');
      within(c.corrupted, (kept + c.duplicated) * 0.02, 3 * Math.sqrt(kept * 0.02), 'corrupted');
      within(c.reordered, kept * 0.05, 3 * Math.sqrt(kept * 0.05), 'reordered');
      // What arrived matches the counters exactly.
      assert.equal(out.length, kept + c.duplicated);
      assert.equal(out.filter((a) => !a.ok).length, c.corrupted, 'every flipped bit fails the checksum');
      // Corruption may hit the sequence number, so order is judged on intact frames only.
      const late = lateCount(out);
      assert.ok(late <= c.reordered && late >= c.reordered - c.corrupted, `late ${late}`);
      const seen = new Set(out.filter((a) => a.ok).map((a) => a.seq));
      assert.ok(seen.size <= kept && seen.size >= kept - c.corrupted);
    });

    it(`reorders exactly as counted on ${side} (no corruption)`, () => {
      const { out, inj } = run(43, { [side]: { loss: 0.1, duplicate: 0.05, reorder: 0.05 } }, N, side);
      const c = side === 'tx' ? inj.tx : inj.rx;
      assert.equal(lateCount(out), c.reordered);
      assert.equal(new Set(out.map((a) => a.seq)).size, N - c.lost);
      assert.ok(out.every((a) => a.ok));
    });
  }

  it('is reproducible: same seed, same output; another seed, another output', () => {
    const opts: FaultOptions = { ...faults, delayUs: 300, jitterUs: 250, rateBps: 20e6 };
    const a = run(7, opts, 3000);
    const b = run(7, opts, 3000);
    const c = run(8, opts, 3000);
    assert.deepEqual(a.out, b.out);
    assert.deepEqual(a.inj.tx, b.inj.tx);
    assert.notDeepEqual(a.out, c.out);
  });

  it('adds delay plus jitter within bounds, never reordering by jitter', () => {
    const { out, inj } = run(3, { delayUs: 1000, jitterUs: 500 }, 2000);
    assert.equal(out.length, 2000);
    let prev = 0;
    let spread = 0;
    for (const a of out) {
      const d = a.at - a.seq * 100;
      assert.ok(d >= 1000 && d <= 1500, `delay ${d}`);
      assert.ok(a.at >= prev);
      prev = a.at;
      spread = Math.max(spread, d);
    }
    assert.ok(spread > 1400, 'jitter is used');
    assert.deepEqual(
      out.map((a) => a.seq),
      out.map((_, i) => i),
    );
    assert.equal(inj.tx.delayed, 2000);
  });

  it('rate-limits: 200-byte frames every 100 µs through 8 Mbit/s arrive 200 µs apart', () => {
    const { out } = run(1, { rateBps: 8_000_000 }, 100);
    assert.equal(out.length, 100);
    for (let i = 0; i < 100; i++) assert.equal(out[i]!.at, 200 * (i + 1));
  });

  it('releases a held-back frame after reorderMaxHoldUs when nothing follows', () => {
    const cable = new MemoryCable({ medium: 'ip' });
    const inj = new FaultInjector(cable.a, new Xoshiro128(1), { tx: { reorder: 1, reorderMaxHoldUs: 700 } });
    const buf = new Uint8Array(LEN);
    fill(buf, 5);
    assert.equal(inj.transmit(buf, 0, LEN, instant(1000)), true);
    assert.equal(cable.b.pollAt(), undefined);
    assert.equal(inj.pollAt(), 1700);
    assert.equal(inj.receive(instant(1699)), undefined);
    assert.equal(cable.b.pollAt(), undefined);
    inj.receive(instant(1700));
    const f = cable.b.receive(instant(1700));
    assert.ok(f && intact(f.buf, f.off, f.len));
    assert.equal(inj.tx.reordered, 0);
  });

  it('turns checksum offload off when it corrupts, and passes through when idle', () => {
    const cable = new MemoryCable();
    assert.equal(cable.caps.checksumOffload, true);
    assert.equal(
      new FaultInjector(cable.a, new Xoshiro128(1), { rx: { corrupt: 0.1 } }).caps.checksumOffload,
      false,
    );
    const idle = new FaultInjector(cable.a, new Xoshiro128(1));
    assert.equal(idle.caps.checksumOffload, true);
    const buf = new Uint8Array(64);
    assert.equal(idle.transmit(buf, 0, 64, instant(0)), true);
    assert.equal(cable.b.receive(instant(0))?.len, 64);
  });

  it('does not modify the transmitted buffer when corrupting', () => {
    const cable = new MemoryCable({ medium: 'ip' });
    const inj = new FaultInjector(cable.a, new Xoshiro128(9), { corrupt: 1 });
    const buf = new Uint8Array(LEN);
    fill(buf, 1);
    const copy = buf.slice();
    inj.transmit(buf, 0, LEN, instant(0));
    assert.deepEqual(buf, copy);
    const f = cable.b.receive(instant(0))!;
    assert.equal(intact(f.buf, f.off, f.len), false);
    assert.equal(inj.tx.corrupted, 1);
  });

  it('corrupts only past the Ethernet header by default', () => {
    const cable = new MemoryCable();
    const inj = new FaultInjector(cable.a, new Xoshiro128(5), { corrupt: 1 });
    const buf = new Uint8Array(60);
    for (let i = 0; i < 500; i++) {
      inj.transmit(buf, 0, 60, instant(i));
      const f = cable.b.receive(instant(i))!;
      for (let k = 0; k < 14; k++) assert.equal(f.buf[f.off + k], 0);
    }
  });

  it('refuses transmits when its own queue is full and counts them', () => {
    const cable = new MemoryCable({ medium: 'ip' });
    const inj = new FaultInjector(cable.a, new Xoshiro128(1), { delayUs: 1000, queueFrames: 3 });
    const buf = new Uint8Array(LEN);
    const ok = [0, 1, 2, 3].map(() => inj.transmit(buf, 0, LEN, instant(0)));
    assert.deepEqual(ok, [true, true, true, false]);
    assert.equal(inj.tx.queueFull, 1);
    assert.equal(inj.stats.txQueueFull, 1);
    assert.equal(inj.stats.txFrames, 3);
  });
});
