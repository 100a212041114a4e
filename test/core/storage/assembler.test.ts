import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Assembler, DEFAULT_MAX_RANGES } from '../../../src/core/storage/assembler.js';

function ranges(a: Assembler): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < a.count; i++) out.push([a.start(i), a.end(i)]);
  return out;
}

function recent(a: Assembler, max: number): number[] {
  const out = new Int32Array(8);
  const n = a.recentOrder(out, max);
  return [...out.subarray(0, n)];
}

describe('Assembler', () => {
  test('fresh assembler', () => {
    const a = new Assembler();
    assert.equal(a.maxRanges, DEFAULT_MAX_RANGES);
    assert.ok(a.isEmpty);
    assert.equal(a.count, 0);
    assert.equal(a.lastIndex, -1);
    assert.equal(a.highestEnd, 0);
    assert.equal(a.removeFront(), 0);
    assert.deepEqual(recent(a, 4), []);
  });

  test('disjoint ranges stay sorted', () => {
    const a = new Assembler();
    assert.ok(a.add(20, 5));
    assert.equal(a.addedBytes, 5);
    assert.ok(a.add(5, 5));
    assert.equal(a.lastIndex, 0);
    assert.ok(a.add(40, 10));
    assert.equal(a.lastIndex, 2);
    assert.deepEqual(ranges(a), [
      [5, 10],
      [20, 25],
      [40, 50],
    ]);
    assert.equal(a.highestEnd, 50);
    assert.equal(a.removeFront(), 0);
  });

  test('overlaps and adjacency merge, counting only new bytes', () => {
    const a = new Assembler();
    a.add(10, 5); // [10,15)
    a.add(20, 5); // [20,25)
    a.add(15, 2); // adjacent to the first
    assert.equal(a.addedBytes, 2);
    assert.deepEqual(ranges(a), [
      [10, 17],
      [20, 25],
    ]);
    a.add(12, 10); // bridges both: [12,22) covers 5 + 2 already
    assert.equal(a.addedBytes, 3);
    assert.deepEqual(ranges(a), [[10, 25]]);
    assert.equal(a.lastIndex, 0);
    a.add(11, 3); // full duplicate (D-SACK material)
    assert.equal(a.addedBytes, 0);
    a.add(5, 30); // swallows everything
    assert.equal(a.addedBytes, 15);
    assert.deepEqual(ranges(a), [[5, 35]]);
  });

  test('a range merging several in the middle keeps the others', () => {
    const a = new Assembler();
    for (const off of [0, 10, 20, 30, 40]) a.add(off + 2, 3);
    a.add(14, 14); // touches [12,15), [22,25) and reaches 28
    assert.deepEqual(ranges(a), [
      [2, 5],
      [12, 28],
      [32, 35],
      [42, 45],
    ]);
    assert.equal(a.lastIndex, 1);
  });

  test('removeFront returns contiguous bytes and rebases', () => {
    const a = new Assembler();
    a.add(10, 10);
    a.add(30, 5);
    assert.ok(a.add(0, 10));
    assert.equal(a.removeFront(), 20);
    assert.deepEqual(ranges(a), [[10, 15]]);
    assert.equal(a.lastIndex, -1); // the touched range became in-order data
    a.add(0, 10);
    assert.equal(a.removeFront(), 15);
    assert.ok(a.isEmpty);
    assert.equal(a.removeFront(), 0);
  });

  test('removeFront keeps lastIndex pointing at the same range', () => {
    const a = new Assembler();
    a.add(0, 5);
    a.add(10, 5);
    a.add(20, 5);
    a.add(12, 1);
    assert.equal(a.lastIndex, 1);
    assert.equal(a.removeFront(), 5);
    assert.equal(a.lastIndex, 0);
    assert.deepEqual(ranges(a), [
      [5, 10],
      [15, 20],
    ]);
  });

  test('negative offsets and empty adds', () => {
    const a = new Assembler();
    assert.ok(a.add(-5, 8)); // only [0,3) is new
    assert.equal(a.addedBytes, 3);
    assert.deepEqual(ranges(a), [[0, 3]]);
    assert.ok(a.add(-10, 5)); // entirely before the base
    assert.equal(a.addedBytes, 0);
    assert.ok(a.add(7, 0));
    assert.ok(a.add(7, -3));
    assert.deepEqual(ranges(a), [[0, 3]]);
    assert.equal(a.lastIndex, 0);
  });

  test('the range bound refuses new ranges but not extensions or offset 0', () => {
    const a = new Assembler(3);
    a.add(10, 1);
    a.add(20, 1);
    a.add(30, 1);
    assert.ok(!a.add(40, 1));
    assert.ok(!a.add(5, 1));
    assert.equal(a.refusals, 2);
    assert.equal(a.addedBytes, 0);
    assert.equal(a.lastIndex, 2);
    assert.ok(a.add(31, 5)); // extends
    assert.ok(a.add(11, 9)); // bridges: frees a slot
    assert.equal(a.count, 2);
    assert.ok(a.add(50, 1));
    assert.ok(a.add(0, 2)); // in-order data always accepted: uses the spare slot
    assert.equal(a.count, 4);
    assert.ok(!a.add(60, 1));
    assert.ok(a.add(2, 1)); // still extends the front
    assert.equal(a.removeFront(), 3);
    assert.equal(a.count, 3);
    assert.deepEqual(ranges(a), [
      [7, 18],
      [27, 33],
      [47, 48],
    ]);
  });

  test('recentOrder lists ranges most recently touched first', () => {
    const a = new Assembler();
    a.add(30, 1);
    a.add(10, 1);
    a.add(50, 1);
    a.add(20, 1);
    assert.deepEqual(recent(a, 4), [1, 3, 0, 2]); // ranges: 10, 20, 30, 50
    a.add(31, 1);
    assert.deepEqual(recent(a, 3), [2, 1, 3]);
    assert.deepEqual(recent(a, 1), [2]);
    assert.deepEqual(recent(a, 0), []);
    const small = new Uint8Array(2);
    assert.equal(a.recentOrder(small, 10), 2);
    assert.deepEqual([...small], [2, 1]);
  });

  test('clear forgets ranges', () => {
    const a = new Assembler();
    a.add(3, 3);
    a.clear();
    assert.ok(a.isEmpty);
    assert.equal(a.lastIndex, -1);
    a.add(0, 2);
    assert.equal(a.removeFront(), 2);
  });

  test('long streams keep exact positions', () => {
    const a = new Assembler();
    for (let i = 0; i < 1000; i++) {
      a.add(1460, 1460);
      a.add(0, 1460);
      assert.equal(a.removeFront(), 2920);
    }
    a.add(5, 5);
    a.add(0, 1);
    assert.equal(a.removeFront(), 1);
    assert.deepEqual(ranges(a), [[4, 9]]);
  });
});

type Op = { k: 'add'; off: number; len: number } | { k: 'front' } | { k: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      k: fc.constant('add' as const),
      off: fc.integer({ min: -5, max: 120 }),
      len: fc.integer({ min: -1, max: 30 }),
    }),
    weight: 12,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('add' as const),
      off: fc.constant(0),
      len: fc.integer({ min: 0, max: 8 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ k: fc.constant('front' as const) }), weight: 3 },
  { arbitrary: fc.record({ k: fc.constant('clear' as const) }), weight: 1 },
);

const SPAN = 200;

/** Maximal runs of set bits. */
function runs(bits: boolean[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < bits.length; i++) {
    if (bits[i] && !bits[i - 1]) out.push([i, i]);
    if (bits[i]) out[out.length - 1]![1] = i + 1;
  }
  return out;
}

describe('Assembler against a bitmap model', () => {
  test('random add/removeFront sequences', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(opArb, { maxLength: 80 }), (max, ops) => {
        const a = new Assembler(max);
        let bits: boolean[] = new Array(SPAN).fill(false);
        // Per byte, the step at which its range last grew.
        let stamps: number[] = new Array(SPAN).fill(0);
        let lastRun: number | undefined; // start of the last touched run, in current coordinates
        let refusals = 0;
        ops.forEach((op, step) => {
          if (op.k === 'clear') {
            a.clear();
            bits.fill(false);
            lastRun = undefined;
          } else if (op.k === 'front') {
            const n = bits[0] ? runs(bits)[0]![1] : 0;
            assert.equal(a.removeFront(), n);
            bits = [...bits.slice(n), ...new Array(n).fill(false)];
            stamps = [...stamps.slice(n), ...new Array(n).fill(0)];
            if (lastRun !== undefined && n > 0) lastRun = lastRun === 0 ? undefined : lastRun - n;
          } else {
            const s = Math.max(op.off, 0);
            const e = op.off + op.len;
            const next = bits.slice();
            let fresh = 0;
            for (let i = s; i < e; i++) {
              if (!next[i]) fresh++;
              next[i] = true;
            }
            const before = runs(bits).length;
            const after = runs(next).length;
            const refuse = e > s && after > before && after > max && s !== 0;
            assert.equal(a.add(op.off, op.len), !refuse);
            if (refuse) {
              refusals++;
              assert.equal(a.addedBytes, 0);
            } else {
              assert.equal(a.addedBytes, Math.max(fresh, 0));
              bits = next;
              if (e > s) {
                const run = runs(bits).find(([rs, re]) => rs <= s && e <= re)!;
                for (let i = run[0]; i < run[1]; i++) stamps[i] = step + 1;
                lastRun = run[0];
              }
            }
          }
          const want = runs(bits);
          const got: [number, number][] = [];
          for (let i = 0; i < a.count; i++) got.push([a.start(i), a.end(i)]);
          assert.deepEqual(got, want);
          assert.equal(a.isEmpty, want.length === 0);
          assert.ok(a.count <= max + 1);
          if (a.count === max + 1) assert.equal(a.start(0), 0);
          assert.equal(a.refusals, refusals);
          assert.equal(a.highestEnd, want.length ? want[want.length - 1]![1] : 0);
          assert.equal(a.lastIndex, lastRun === undefined ? -1 : want.findIndex(([rs]) => rs === lastRun));
          // recentOrder: descending by the model's stamps.
          const order = new Int32Array(8);
          const k = Math.min(4, want.length);
          assert.equal(a.recentOrder(order, 4), k);
          const byRecency = want
            .map(([rs], i) => [stamps[rs]!, i] as const)
            .sort((x, y) => y[0] - x[0])
            .map(([, i]) => i);
          assert.deepEqual([...order.subarray(0, k)], byRecency.slice(0, k));
        });
      }),
      { numRuns: 4000 },
    );
  });
});
