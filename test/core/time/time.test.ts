import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  add,
  addDurations,
  clampDuration,
  compare,
  type Duration,
  diff,
  earliest,
  formatDuration,
  formatInstant,
  type Instant,
  instant,
  maxInstant,
  micros,
  millis,
  minInstant,
  scale,
  seconds,
  subDuration,
  toMillis,
  toSeconds,
  VirtualClock,
} from '../../../src/core/time/time.js';

describe('time', () => {
  test('constructors are integer microseconds', () => {
    assert.equal(instant(5), 5);
    assert.equal(micros(7), 7);
    assert.equal(millis(200), 200_000);
    assert.equal(millis(1.5), 1500);
    assert.equal(seconds(1), 1_000_000);
    assert.equal(seconds(0.25), 250_000);
    assert.equal(seconds(0.0000004), 0);
    assert.ok(Number.isInteger(millis(0.3333)));
    assert.equal(toMillis(millis(40)), 40);
    assert.equal(toSeconds(seconds(3)), 3);
  });

  test('arithmetic', () => {
    const t = instant(1_000_000);
    assert.equal(add(t, millis(200)), 1_200_000);
    assert.equal(subDuration(t, millis(1)), 999_000);
    assert.equal(diff(instant(10), instant(4)), 6);
    assert.equal(diff(instant(4), instant(10)), -6);
    assert.equal(addDurations(millis(1), micros(1)), 1001);
    assert.equal(scale(millis(200), 2), 400_000);
    assert.equal(compare(instant(1), instant(2)), -1);
    assert.equal(compare(instant(2), instant(2)), 0);
    assert.equal(compare(millis(3), millis(2)), 1);
    assert.equal(minInstant(instant(3), instant(2)), 2);
    assert.equal(maxInstant(instant(3), instant(2)), 3);
    assert.equal(earliest(undefined, instant(9)), 9);
    assert.equal(earliest(instant(8), undefined), 8);
    assert.equal(earliest(instant(8), instant(9)), 8);
    assert.equal(earliest(undefined, undefined), undefined);
    assert.equal(clampDuration(millis(50), millis(200), seconds(120)), 200_000);
    assert.equal(clampDuration(seconds(500), millis(200), seconds(120)), 120_000_000);
  });

  test('formatDuration', () => {
    const cases: [Duration, string][] = [
      [micros(0), '0s'],
      [micros(750), '750µs'],
      [micros(1500), '1.5ms'],
      [millis(200), '200ms'],
      [micros(1001), '1.001ms'],
      [seconds(1), '1s'],
      [micros(3_000_001), '3.000001s'],
      [millis(-40), '-40ms'],
      [seconds(120), '120s'],
    ];
    for (const [d, s] of cases) assert.equal(formatDuration(d), s);
  });

  test('formatDuration is exact', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (us) => {
        const s = formatDuration(micros(us));
        const m = /^(-?)([0-9.]+)(µs|ms|s)$/.exec(s);
        assert.ok(m, s);
        const scaleUs = m[3] === 'µs' ? 1 : m[3] === 'ms' ? 1000 : 1_000_000;
        const back = Math.round(Number(m[2]) * scaleUs) * (m[1] ? -1 : 1);
        assert.equal(back, us === 0 ? 0 : us);
      }),
      { numRuns: 2000 },
    );
  });

  test('formatInstant', () => {
    assert.equal(formatInstant(instant(12_000_345)), '12.000345');
    assert.equal(formatInstant(instant(0)), '0.000000');
  });

  test('VirtualClock never goes backwards', () => {
    const c = new VirtualClock();
    assert.equal(c.now(), 0);
    assert.equal(c.advanceTo(instant(500)), 500);
    assert.equal(c.advanceTo(instant(100)), 500);
    assert.equal(c.advanceBy(millis(1)), 1500);
    assert.equal(c.advanceBy(micros(-10)), 1500);
    assert.equal(new VirtualClock(instant(42)).now(), 42);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1e9 }), { maxLength: 50 }), (steps) => {
        const clock = new VirtualClock();
        let prev: Instant = clock.now();
        for (const s of steps) {
          const now = s % 2 ? clock.advanceTo(instant(s)) : clock.advanceBy(micros(s));
          assert.ok(now >= prev);
          prev = now;
        }
      }),
    );
  });
});
