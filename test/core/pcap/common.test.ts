import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ByteCollector,
  divmod64,
  instantFromTs,
  nanos64,
  shr64,
  tsNsecOf,
  tsOut,
  tsSecOf,
  u64,
  unitsToTs,
} from '../../../src/core/pcap/common.js';
import { instant } from '../../../src/core/time/time.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const big = (hi: number, lo: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);

describe('pcap 64-bit helpers', () => {
  test('divmod64 matches bigint', () => {
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 1, max: 2 ** 30 }), (hi, lo, d) => {
        divmod64(hi, lo, d);
        const v = big(hi, lo);
        assert.equal(big(u64.hi, u64.lo), v / BigInt(d));
        assert.equal(BigInt(u64.rem), v % BigInt(d));
      }),
      { numRuns: 3000 },
    );
  });

  test('shr64 matches bigint', () => {
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 0, max: 63 }), (hi, lo, k) => {
        shr64(hi, lo, k);
        assert.equal(big(u64.hi, u64.lo), big(hi, lo) >> BigInt(k));
      }),
      { numRuns: 2000 },
    );
  });

  test('nanos64 matches bigint', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 34 - 1 }),
        fc.integer({ min: 0, max: 999_999_999 }),
        (s, ns) => {
          nanos64(s, ns);
          assert.equal(big(u64.hi, u64.lo), BigInt(s) * 1_000_000_000n + BigInt(ns));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('unitsToTs for decimal and binary resolutions', () => {
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 0, max: 19 }), fc.boolean(), (hi, lo, v, binary) => {
        const units = big(hi, lo);
        let wantSec: bigint;
        let wantNs: bigint;
        if (binary) {
          const per = 1n << BigInt(v);
          wantSec = units / per;
          wantNs = ((units % per) * 1_000_000_000n) / per;
          assert.ok(unitsToTs(hi, lo, 0x80 | v));
        } else {
          const per = 10n ** BigInt(v);
          wantSec = units / per;
          wantNs = ((units % per) * 1_000_000_000n) / per;
          assert.ok(unitsToTs(hi, lo, v));
        }
        // Seconds beyond 2^53 lose precision as numbers; compare as numbers.
        assert.equal(tsOut.sec, Number(wantSec));
        assert.equal(tsOut.nsec, Number(wantNs));
      }),
      { numRuns: 3000 },
    );
    // Binary resolutions finer than 2^-30 are truncated to 2^-30 first: within a nanosecond.
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 31, max: 63 }), (hi, lo, v) => {
        const units = big(hi, lo);
        const per = 1n << BigInt(v);
        assert.ok(unitsToTs(hi, lo, 0x80 | v));
        assert.equal(tsOut.sec, Number(units / per));
        const ns = Number(((units % per) * 1_000_000_000n) / per);
        assert.ok(tsOut.nsec === ns || tsOut.nsec === ns - 1);
      }),
      { numRuns: 1000 },
    );
    assert.equal(unitsToTs(0, 0, 20), false);
    assert.equal(unitsToTs(0, 0, 0x80 | 64), false);
  });

  test('Instant conversions', () => {
    const t = instant(12_345_678);
    assert.equal(tsSecOf(t), 12);
    assert.equal(tsNsecOf(t), 345_678_000);
    assert.equal(instantFromTs(12, 345_678_999), 12_345_678);
    assert.equal(tsSecOf(instant(-5)), 0);
    assert.equal(tsNsecOf(instant(-5)), 0);
  });

  test('ByteCollector copies borrowed chunks', () => {
    const c = new ByteCollector();
    const scratch = new Uint8Array(3000);
    for (let i = 0; i < 5; i++) {
      scratch.fill(i);
      c.sink(scratch);
    }
    const b = c.bytes();
    assert.equal(b.length, 15000);
    assert.equal(c.length, 15000);
    for (let i = 0; i < 5; i++) assert.ok(b.subarray(i * 3000, (i + 1) * 3000).every((x) => x === i));
  });
});
