import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { INITIAL_RTO_US, RttEstimator } from '../../../src/core/tcp/rtt.js';

describe('RttEstimator (RFC 6298, linux profile)', () => {
  test('before any sample the RTO is the initial 1 s', () => {
    const e = new RttEstimator();
    assert.equal(e.rtoUs, INITIAL_RTO_US);
    assert.equal(e.hasSample, false);
  });

  test('first sample: SRTT = R, RTTVAR = R/2, RTO = R + max(2R, min RTO)', () => {
    const e = new RttEstimator();
    e.sample(100_000, 1, 1);
    assert.equal(e.srttUs, 100_000);
    assert.equal(e.mdevUs, 50_000);
    assert.equal(e.rtoUs, 100_000 + 200_000);
    const big = new RttEstimator();
    big.sample(300_000, 1, 1);
    assert.equal(big.rtoUs, 300_000 + 600_000);
  });

  test('a steady path converges to SRTT + min RTO (Linux: 10 ms path -> 210 ms)', () => {
    const e = new RttEstimator();
    let una = 0;
    for (let i = 0; i < 200; i++) {
      una += 1000;
      e.sample(10_000, una, una + 1000);
    }
    assert.equal(e.srttUs, 10_000);
    assert.equal(e.rtoUs, 210_000);
  });

  test('a falling RTT barely raises the variance; a rising one does', () => {
    const down = new RttEstimator();
    down.sample(100_000, 1, 1);
    down.sample(10_000, 1, 1); // same flight
    const up = new RttEstimator();
    up.sample(100_000, 1, 1);
    up.sample(190_000, 1, 1);
    assert.ok(down.mdevUs < up.mdevUs, `${down.mdevUs} < ${up.mdevUs}`);
  });

  test('backoff doubles and caps at the maximum', () => {
    const e = new RttEstimator();
    assert.equal(e.backedOffRtoUs(0), 1_000_000);
    assert.equal(e.backedOffRtoUs(3), 8_000_000);
    assert.equal(e.backedOffRtoUs(10), 120_000_000);
    assert.equal(e.backedOffRtoUs(100), 120_000_000);
  });

  test('RTO always within [srtt + min RTO, max RTO] for any sample sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 60 }),
        (rtts) => {
          const e = new RttEstimator();
          let una = 0;
          for (const r of rtts) {
            una = (una + 1460) >>> 0;
            e.sample(r, una, (una + 14600) >>> 0);
            assert.ok(e.rtoUs <= 120_000_000);
            assert.ok(e.rtoUs >= Math.min(e.srttUs + 200_000, 120_000_000));
            assert.ok(Number.isInteger(e.rtoUs));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
