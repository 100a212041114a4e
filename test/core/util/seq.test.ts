import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  seqAdd,
  seqGe,
  seqGt,
  seqInRange,
  seqLe,
  seqLt,
  seqMax,
  seqMin,
  seqSub,
} from '../../../src/core/util/seq.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** A distance that keeps two sequence numbers comparable (less than 2^31 apart). */
const near = fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 });

describe('seq', () => {
  test('wrap-around examples', () => {
    assert.ok(seqLt(0xfffffff0, 0x10));
    assert.ok(seqGt(0x10, 0xfffffff0));
    assert.ok(seqLe(5, 5) && seqGe(5, 5) && !seqLt(5, 5) && !seqGt(5, 5));
    assert.equal(seqAdd(0xffffffff, 1), 0);
    assert.equal(seqAdd(0, -1), 0xffffffff);
    assert.equal(seqSub(0x10, 0xfffffff0), 0x20);
    assert.equal(seqSub(0xfffffff0, 0x10), -0x20);
    assert.equal(seqMax(0xfffffff0, 0x10), 0x10);
    assert.equal(seqMin(0xfffffff0, 0x10), 0xfffffff0);
    assert.ok(seqInRange(0, 0xfffffffe, 2));
    assert.ok(seqInRange(0xfffffffe, 0xfffffffe, 2));
    assert.ok(!seqInRange(2, 0xfffffffe, 2));
    assert.ok(!seqInRange(5, 5, 5));
  });

  test('comparisons agree with the distance', () => {
    fc.assert(
      fc.property(u32, near, (a, d) => {
        const b = seqAdd(a, d);
        assert.equal(seqSub(b, a), d);
        assert.equal(seqLt(a, b), d > 0);
        assert.equal(seqLe(a, b), d >= 0);
        assert.equal(seqGt(a, b), d < 0);
        assert.equal(seqGe(a, b), d <= 0);
        assert.equal(seqMax(a, b), d >= 0 ? b : a);
        assert.equal(seqMin(a, b), d >= 0 ? a : b);
        assert.ok(b >= 0 && b <= 0xffffffff && Number.isInteger(b));
      }),
      { numRuns: 5000 },
    );
  });

  test('seqInRange is lo <= x < hi along the circle', () => {
    fc.assert(
      fc.property(
        u32,
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: -1000, max: 2 ** 32 }),
        (lo, width, off) => {
          const hi = seqAdd(lo, width);
          const x = seqAdd(lo, off);
          // x sits (off mod 2^32) steps after lo.
          const steps = ((off % 2 ** 32) + 2 ** 32) % 2 ** 32;
          assert.equal(seqInRange(x, lo, hi), steps < width);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
