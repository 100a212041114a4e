import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  FixedIsnGenerator,
  isnClock,
  isnV4,
  KeyedIsnGenerator,
  SeededIsnGenerator,
} from '../../../src/core/rand/isn.js';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { SipHash24 } from '../../../src/core/rand/siphash.js';
import { instant } from '../../../src/core/time/time.js';

const SECRET = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const V4_LOCAL = Uint8Array.of(192, 168, 1, 10);
const V4_REMOTE = Uint8Array.of(192, 168, 1, 1);
const V6_LOCAL = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i));
const V6_REMOTE = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : 0x40 + i));

describe('isn (RFC 6528)', () => {
  test('M + F with F = SipHash of the 4-tuple', () => {
    const g = new KeyedIsnGenerator(SECRET);
    const h = new SipHash24(SECRET);
    const tuple = Uint8Array.of(192, 168, 1, 10, 0xcf, 0xda, 192, 168, 1, 1, 0x00, 0x50);
    const f = h.hash(tuple, 0, tuple.length);
    assert.equal(g.hashTuple(V4_LOCAL, 53210, V4_REMOTE, 80), f);
    assert.equal(g.isn(V4_LOCAL, 53210, V4_REMOTE, 80, instant(0)), f);
    assert.equal(g.isn(V4_LOCAL, 53210, V4_REMOTE, 80, instant(4_000_000)), (f + 1_000_000) >>> 0);
  });

  test('the timer ticks every 4 µs and wraps at 2^32', () => {
    assert.equal(isnClock(instant(3)), 0);
    assert.equal(isnClock(instant(4)), 1);
    assert.equal(isnClock(instant(4 * 2 ** 32 + 8)), 2);
    const g = new KeyedIsnGenerator(SECRET);
    const a = g.isn(V6_LOCAL, 1, V6_REMOTE, 2, instant(1000));
    const b = g.isn(V6_LOCAL, 1, V6_REMOTE, 2, instant(1000 + 4 * 2 ** 32));
    assert.equal(a, b);
  });

  test('IPv6 tuples hash all 36 bytes; different tuples and keys differ', () => {
    const g = new KeyedIsnGenerator(SECRET);
    const h = new SipHash24(SECRET);
    const t = new Uint8Array(36);
    t.set(V6_LOCAL, 0);
    t.set([0x12, 0x34], 16);
    t.set(V6_REMOTE, 18);
    t.set([0x00, 0x16], 34);
    assert.equal(g.hashTuple(V6_LOCAL, 0x1234, V6_REMOTE, 22), h.hash(t, 0, 36));
    const now = instant(123456);
    const base = g.isn(V6_LOCAL, 0x1234, V6_REMOTE, 22, now);
    assert.notEqual(g.isn(V6_LOCAL, 0x1235, V6_REMOTE, 22, now), base);
    assert.notEqual(g.isn(V6_LOCAL, 0x1234, V6_REMOTE, 23, now), base);
    assert.notEqual(g.isn(V6_REMOTE, 0x1234, V6_LOCAL, 22, now), base);
    const other = new KeyedIsnGenerator(new Uint8Array(16));
    assert.notEqual(other.isn(V6_LOCAL, 0x1234, V6_REMOTE, 22, now), base);
  });

  test('isnV4 takes numeric addresses', () => {
    const g = new KeyedIsnGenerator(SECRET);
    const now = instant(99);
    assert.equal(
      isnV4(g, 0xc0a8010a, 53210, 0xc0a80101, 80, now),
      g.isn(V4_LOCAL, 53210, V4_REMOTE, 80, now),
    );
  });

  test('always a uint32', () => {
    const g = new KeyedIsnGenerator(SECRET);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 2 ** 53 - 1 }),
        (l, lp, r, rp, t) => {
          const x = g.isn(l, lp, r, rp, instant(t));
          assert.ok(Number.isInteger(x) && x >= 0 && x < 2 ** 32);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('fixed and seeded generators', () => {
    const f = new FixedIsnGenerator(0xfffffffe);
    assert.equal(f.isn(), 0xfffffffe);
    assert.equal(new FixedIsnGenerator(-1).isn(), 0xffffffff);
    const s1 = new SeededIsnGenerator(5);
    const s2 = new SeededIsnGenerator(new Xoshiro128(5));
    const a = [s1.isn(), s1.isn(), s1.isn()];
    assert.deepEqual(a, [s2.isn(), s2.isn(), s2.isn()]);
    assert.notEqual(a[0], a[1]);
  });
});
