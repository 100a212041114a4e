import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteRing, RingSlices } from '../../../src/core/storage/ring.js';

const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);
const seq = (n: number, from = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

/** Read everything readable without consuming. */
function contents(r: ByteRing): number[] {
  const out = new Uint8Array(r.length);
  assert.equal(r.peek(out, 0, out.length, 0), r.length);
  return [...out];
}

/** Bytes described by a slices record. */
function sliceBytes(r: ByteRing, s: RingSlices): number[] {
  const st = r.storage;
  return [...st.subarray(s.off0, s.off0 + s.len0), ...st.subarray(s.off1, s.off1 + s.len1)];
}

describe('ByteRing basics', () => {
  test('fresh ring', () => {
    const r = new ByteRing(8);
    assert.equal(r.capacity, 8);
    assert.equal(r.length, 0);
    assert.equal(r.free, 8);
    assert.ok(r.isEmpty);
    assert.ok(!r.isFull);
    assert.equal(r.storage.length, 0, 'no backing array before the first byte');
    assert.equal(r.allocated, 0);
  });

  test('the backing array grows with the data (4 KiB, doubling, never past the capacity) and can be released', () => {
    const r = new ByteRing(100_000);
    assert.equal(r.write(seq(10), 0, 10), 10);
    assert.equal(r.allocated, 4096);
    // Out-of-order data far ahead grows it to cover the placed bytes, keeping what is there.
    assert.equal(r.writeAt(20_000, seq(5), 0, 5), 5);
    assert.equal(r.allocated, 32768);
    const out = new Uint8Array(10);
    assert.equal(r.peek(out, 0, 10, 0), 10);
    assert.deepEqual(out, seq(10));
    assert.equal(r.write(new Uint8Array(99_990), 0, 99_990), 99_990);
    assert.equal(r.allocated, 100_000, 'capped at the capacity');
    assert.equal(r.release(), false, 'not while data is stored');
    r.discard(100_000);
    assert.equal(r.release(), true);
    assert.equal(r.allocated, 0);
    assert.equal(r.write(seq(3), 0, 3), 3);
    assert.equal(r.allocated, 4096);
  });

  test('write then read in order, partial when full', () => {
    const r = new ByteRing(5);
    assert.equal(r.write(seq(3), 0, 3), 3);
    assert.equal(r.write(seq(4, 10), 0, 4), 2);
    assert.ok(r.isFull);
    assert.equal(r.free, 0);
    assert.equal(r.write(seq(1), 0, 1), 0);
    const out = new Uint8Array(10);
    assert.equal(r.read(out, 1, 10), 5);
    assert.deepEqual([...out.subarray(0, 7)], [0, 1, 2, 3, 10, 11, 0]);
    assert.ok(r.isEmpty);
    assert.equal(r.read(out, 0, 4), 0);
  });

  test('source and destination bounds clip the count', () => {
    const r = new ByteRing(16);
    assert.equal(r.write(seq(4), 2, 10), 2);
    assert.equal(r.write(seq(4), 4, 1), 0);
    assert.equal(r.write(seq(4), 9, 1), 0);
    assert.equal(r.write(seq(4), -1, 2), 0);
    assert.deepEqual(contents(r), [3, 4]);
    const out = new Uint8Array(3);
    assert.equal(r.read(out, 2, 5), 1);
    assert.equal(out[2], 3);
    assert.equal(r.read(out, 3, 5), 0);
    assert.equal(r.read(out, -1, 5), 0);
    assert.equal(r.length, 1);
  });

  test('zero and negative lengths do nothing', () => {
    const r = new ByteRing(4);
    const b = seq(4);
    assert.equal(r.write(b, 0, 0), 0);
    assert.equal(r.write(b, 0, -3), 0);
    r.write(b, 0, 2);
    assert.equal(r.read(b, 0, 0), 0);
    assert.equal(r.peek(b, 0, 0, 0), 0);
    assert.equal(r.discard(0), 0);
    assert.equal(r.discard(-1), 0);
    assert.equal(r.commit(0), 0);
    assert.equal(r.commit(-2), 0);
    assert.equal(r.writeAt(0, b, 0, 0), 0);
    assert.equal(r.length, 2);
  });

  test('wrap-around write and read use both pieces', () => {
    const r = new ByteRing(6);
    r.write(seq(4), 0, 4);
    r.discard(3);
    assert.equal(r.write(seq(5, 20), 0, 5), 5); // tail wraps
    assert.deepEqual(contents(r), [4, 20, 21, 22, 23, 24]);
    const s = new RingSlices();
    assert.equal(r.readableSlices(0, 6, s), 6);
    assert.deepEqual([s.off0, s.len0, s.off1, s.len1], [3, 3, 0, 3]);
    assert.deepEqual(sliceBytes(r, s), [4, 20, 21, 22, 23, 24]);
    const out = new Uint8Array(6);
    assert.equal(r.read(out, 0, 6), 6);
    assert.deepEqual([...out], [4, 20, 21, 22, 23, 24]);
  });

  test('peek with skip re-reads without consuming (retransmission)', () => {
    const r = new ByteRing(8);
    r.write(seq(8), 0, 8);
    r.discard(5);
    r.write(seq(4, 50), 0, 4); // content: 6 7 8 50 51 52 53, wrapped
    const out = new Uint8Array(4);
    assert.equal(r.peek(out, 0, 4, 2), 4);
    assert.deepEqual([...out], [8, 50, 51, 52]);
    assert.equal(r.peek(out, 0, 4, 5), 2);
    assert.deepEqual([...out.subarray(0, 2)], [52, 53]);
    assert.equal(r.peek(out, 0, 4, 7), 0);
    assert.equal(r.peek(out, 0, 4, 99), 0);
    assert.equal(r.peek(out, 0, 4, -1), 0);
    assert.equal(r.length, 7);
  });

  test('discard consumes acknowledged data, clipped to length', () => {
    const r = new ByteRing(4);
    r.write(seq(3), 0, 3);
    assert.equal(r.discard(2), 2);
    assert.deepEqual(contents(r), [3]);
    assert.equal(r.discard(10), 1);
    assert.ok(r.isEmpty);
  });

  test('writeAt places data beyond the tail, commit makes it readable', () => {
    const r = new ByteRing(8);
    r.write(bytes(1, 2), 0, 2);
    assert.equal(r.writeAt(2, bytes(5, 6), 0, 2), 2); // out of order: bytes 4 and 5 of the stream
    assert.equal(r.length, 2);
    assert.equal(r.writeAt(0, bytes(3, 4), 0, 2), 2); // the hole
    assert.equal(r.commit(4), 4);
    assert.deepEqual(contents(r), [1, 2, 3, 4, 5, 6]);
    assert.equal(r.writeAt(2, seq(9), 0, 9), 0); // beyond the free space
    assert.equal(r.writeAt(1, seq(9), 0, 9), 1);
    assert.equal(r.writeAt(-1, seq(9), 0, 9), 0);
    assert.equal(r.commit(5), 2);
    assert.ok(r.isFull);
  });

  test('writeAt wraps around', () => {
    const r = new ByteRing(5);
    r.write(seq(4), 0, 4);
    r.discard(4); // head at 4
    assert.equal(r.writeAt(1, bytes(8, 9, 10), 0, 3), 3); // positions 0..2
    r.writeAt(0, bytes(7), 0, 1); // position 4
    r.commit(4);
    assert.deepEqual(contents(r), [7, 8, 9, 10]);
  });

  test('writableSlices describe the uncommitted area', () => {
    const r = new ByteRing(6);
    r.write(seq(5), 0, 5);
    r.discard(4); // head 4, len 1, tail 5
    const s = new RingSlices();
    assert.equal(r.writableSlices(0, 10, s), 5);
    assert.deepEqual([s.off0, s.len0, s.off1, s.len1], [5, 1, 0, 4]);
    assert.equal(r.writableSlices(2, 2, s), 2);
    assert.deepEqual([s.off0, s.len0, s.off1, s.len1], [1, 2, 0, 0]);
    r.storage[1] = 77;
    r.storage[2] = 78;
    assert.equal(r.writableSlices(5, 1, s), 0);
    assert.deepEqual([s.len0, s.len1], [0, 0]);
    assert.equal(r.writableSlices(-1, 1, s), 0);
    r.writeAt(0, bytes(70, 71), 0, 2);
    r.commit(4);
    assert.deepEqual(contents(r), [5, 70, 71, 77, 78]);
  });

  test('readableSlices clip to the committed data', () => {
    const r = new ByteRing(4);
    const s = new RingSlices();
    assert.equal(r.readableSlices(0, 4, s), 0);
    assert.deepEqual([s.len0, s.len1], [0, 0]);
    r.write(seq(3), 0, 3);
    assert.equal(r.readableSlices(1, 9, s), 2);
    assert.deepEqual(sliceBytes(r, s), [2, 3]);
    assert.equal(r.readableSlices(3, 1, s), 0);
    assert.equal(r.readableSlices(-1, 1, s), 0);
  });

  test('clear empties and rewinds', () => {
    const r = new ByteRing(4);
    r.write(seq(3), 0, 3);
    r.discard(2);
    r.clear();
    assert.equal(r.length, 0);
    r.write(seq(4), 0, 4);
    const s = new RingSlices();
    r.readableSlices(0, 4, s);
    assert.deepEqual([s.off0, s.len0, s.len1], [0, 4, 0]);
  });

  test('capacity 0 accepts nothing', () => {
    const r = new ByteRing(0);
    assert.equal(r.capacity, 0);
    assert.ok(r.isEmpty && r.isFull);
    assert.equal(r.write(seq(3), 0, 3), 0);
    assert.equal(r.writeAt(0, seq(3), 0, 3), 0);
    assert.equal(r.commit(1), 0);
    assert.equal(r.read(new Uint8Array(3), 0, 3), 0);
    assert.ok(r.resize(3));
    assert.equal(r.write(seq(3), 0, 3), 3);
    assert.equal(new ByteRing(-5).capacity, 0);
  });
});

describe('ByteRing resize', () => {
  test('grow keeps wrapped content and data placed beyond it', () => {
    const r = new ByteRing(6);
    r.write(seq(6), 0, 6);
    r.discard(4);
    r.write(bytes(7, 8), 0, 2); // content 5 6 7 8, wrapped
    r.writeAt(1, bytes(9), 0, 1);
    assert.ok(r.resize(10));
    assert.equal(r.capacity, 10);
    assert.equal(r.free, 6);
    assert.deepEqual(contents(r), [5, 6, 7, 8]);
    r.writeAt(0, bytes(42), 0, 1);
    r.commit(2);
    assert.deepEqual(contents(r), [5, 6, 7, 8, 42, 9]);
    assert.equal(r.write(seq(9), 0, 9), 4);
  });

  test('shrink to the length is allowed, below it refused', () => {
    const r = new ByteRing(8);
    r.write(seq(8), 0, 8);
    r.discard(6);
    r.write(seq(3, 20), 0, 3); // 7 8 20 21 22, wrapped
    assert.ok(!r.resize(4));
    assert.equal(r.capacity, 8);
    assert.deepEqual(contents(r), [7, 8, 20, 21, 22]);
    assert.ok(r.resize(5));
    assert.ok(r.isFull);
    assert.deepEqual(contents(r), [7, 8, 20, 21, 22]);
    assert.ok(r.resize(5));
    assert.ok(!r.resize(Number.NaN));
  });
});

type Op =
  | { k: 'write'; data: Uint8Array; off: number; len: number }
  | { k: 'read'; len: number; off: number }
  | { k: 'peek'; len: number; skip: number }
  | { k: 'discard'; n: number }
  | { k: 'writeAt'; skip: number; data: Uint8Array; len: number }
  | { k: 'commit'; n: number }
  | { k: 'slices'; skip: number; len: number }
  | { k: 'resize'; cap: number }
  | { k: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      k: fc.constant('write' as const),
      data: fc.uint8Array({ maxLength: 24 }),
      off: fc.integer({ min: 0, max: 4 }),
      len: fc.integer({ min: -1, max: 26 }),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('read' as const),
      len: fc.integer({ min: -1, max: 26 }),
      off: fc.integer({ min: 0, max: 4 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('peek' as const),
      len: fc.integer({ min: 0, max: 26 }),
      skip: fc.integer({ min: -1, max: 26 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ k: fc.constant('discard' as const), n: fc.integer({ min: -1, max: 26 }) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('writeAt' as const),
      skip: fc.integer({ min: -1, max: 26 }),
      data: fc.uint8Array({ maxLength: 16 }),
      len: fc.integer({ min: 0, max: 16 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ k: fc.constant('commit' as const), n: fc.integer({ min: -1, max: 26 }) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('slices' as const),
      skip: fc.integer({ min: -1, max: 26 }),
      len: fc.integer({ min: 0, max: 26 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ k: fc.constant('resize' as const), cap: fc.integer({ min: 0, max: 40 }) }),
    weight: 1,
  },
  { arbitrary: fc.record({ k: fc.constant('clear' as const) }), weight: 1 },
);

const clamp = (want: number, ...limits: number[]): number => Math.max(0, Math.min(want, ...limits));

describe('ByteRing against an array model', () => {
  test('random operation sequences', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 24 }), fc.array(opArb, { maxLength: 60 }), (cap0, ops) => {
        const r = new ByteRing(cap0);
        let cap = cap0;
        // committed bytes, then what is known of the free area past the tail (undefined = stale).
        let committed: (number | undefined)[] = [];
        let beyond: (number | undefined)[] = new Array(cap0).fill(undefined);
        const slices = new RingSlices();
        const check = (a: (number | undefined)[], b: number[]): void => {
          assert.equal(a.length, b.length);
          a.forEach((v, i) => {
            if (v !== undefined) assert.equal(b[i], v);
          });
        };
        for (const op of ops) {
          switch (op.k) {
            case 'write': {
              const n = clamp(op.len, cap - committed.length, op.data.length - op.off);
              assert.equal(r.write(op.data, op.off, op.len), n);
              beyond.splice(0, n);
              committed.push(...op.data.subarray(op.off, op.off + n));
              break;
            }
            case 'read': {
              const dst = new Uint8Array(op.off + 10);
              const n = clamp(op.len, committed.length, dst.length - op.off);
              assert.equal(r.read(dst, op.off, op.len), n);
              check(committed.splice(0, n), [...dst.subarray(op.off, op.off + n)]);
              beyond.push(...new Array(n).fill(undefined));
              break;
            }
            case 'peek': {
              const dst = new Uint8Array(op.len);
              const n = op.skip < 0 ? 0 : clamp(op.len, committed.length - op.skip);
              assert.equal(r.peek(dst, 0, op.len, op.skip), n);
              check(committed.slice(op.skip, op.skip + n), [...dst.subarray(0, n)]);
              break;
            }
            case 'discard': {
              const n = clamp(op.n, committed.length);
              assert.equal(r.discard(op.n), n);
              committed.splice(0, n);
              beyond.push(...new Array(n).fill(undefined));
              break;
            }
            case 'writeAt': {
              const n = op.skip < 0 ? 0 : clamp(op.len, beyond.length - op.skip, op.data.length);
              assert.equal(r.writeAt(op.skip, op.data, 0, op.len), n);
              for (let i = 0; i < n; i++) beyond[op.skip + i] = op.data[i]!;
              break;
            }
            case 'commit': {
              const n = clamp(op.n, beyond.length);
              assert.equal(r.commit(op.n), n);
              committed.push(...beyond.splice(0, n));
              break;
            }
            case 'slices': {
              const n = op.skip < 0 ? 0 : clamp(op.len, committed.length - op.skip);
              assert.equal(r.readableSlices(op.skip, op.len, slices), n);
              assert.equal(slices.len0 + slices.len1, n);
              check(committed.slice(op.skip, op.skip + n), sliceBytes(r, slices));
              const w = op.skip < 0 ? 0 : clamp(op.len, beyond.length - op.skip);
              assert.equal(r.writableSlices(op.skip, op.len, slices), w);
              check(beyond.slice(op.skip, op.skip + w), sliceBytes(r, slices));
              break;
            }
            case 'resize': {
              const ok = op.cap >= committed.length;
              assert.equal(r.resize(op.cap), ok);
              if (ok) {
                cap = op.cap;
                beyond = beyond.slice(0, cap - committed.length);
                while (beyond.length < cap - committed.length) beyond.push(undefined);
              }
              break;
            }
            case 'clear':
              r.clear();
              committed = [];
              beyond = new Array(cap).fill(undefined);
              break;
          }
          assert.equal(r.capacity, cap);
          assert.equal(r.length, committed.length);
          assert.equal(r.free, beyond.length);
          check(committed, contents(r));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
