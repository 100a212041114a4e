import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCable } from '../../../src/core/link/cable.js';
import { maxFrameLen } from '../../../src/core/link/link.js';
import { serializationUs } from '../../../src/core/link/queue.js';
import { type Instant, instant } from '../../../src/core/time/time.js';

const T0 = instant(0);

function frame(tag: number, len = 64): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (tag + i) & 0xff;
  return b;
}

describe('MemoryCable', () => {
  it('delivers frames a→b and b→a in order, with their bytes', () => {
    const c = new MemoryCable();
    for (let i = 0; i < 3; i++) assert.equal(c.a.transmit(frame(i), 0, 64, T0), true);
    assert.equal(c.b.transmit(frame(9, 100), 10, 50, T0), true);
    for (let i = 0; i < 3; i++) {
      const f = c.b.receive(T0);
      assert.ok(f);
      assert.equal(f.len, 64);
      assert.deepEqual(f.buf.subarray(f.off, f.off + f.len), frame(i));
    }
    assert.equal(c.b.receive(T0), undefined);
    const g = c.a.receive(T0);
    assert.ok(g);
    assert.deepEqual(g.buf.subarray(g.off, g.off + g.len), frame(9, 100).subarray(10, 60));
    assert.equal(c.a.stats.txFrames, 3);
    assert.equal(c.b.stats.rxFrames, 3);
    assert.equal(c.b.stats.rxBytes, 192);
    assert.equal(c.delivered, 4);
  });

  it('keeps an Ethernet frame 2 bytes past a 4-byte boundary (IP header aligned)', () => {
    const c = new MemoryCable();
    c.a.transmit(frame(1), 0, 64, T0);
    assert.equal(c.b.receive(T0)!.off % 4, 2);
    const ip = new MemoryCable({ medium: 'ip' });
    ip.a.transmit(frame(1), 0, 64, T0);
    assert.equal(ip.b.receive(T0)!.off % 4, 0);
  });

  it('applies the one-way delay exactly', () => {
    const c = new MemoryCable({ delayUs: 1000 });
    c.a.transmit(frame(1), 0, 64, instant(5));
    assert.equal(c.b.pollAt(), 1005);
    assert.equal(c.nextArrivalAt(), 1005);
    assert.equal(c.b.receive(instant(1004)), undefined);
    const f = c.b.receive(instant(1005));
    assert.ok(f);
    assert.equal(f.at, 1005);
    assert.equal(c.nextArrivalAt(), undefined);
    assert.equal(c.b.pollAt(), undefined);
  });

  it('serializes frames at the rate limit, in order, then adds the delay', () => {
    // 8 Mbit/s = one byte per microsecond.
    const c = new MemoryCable({ rateBps: 8_000_000, delayUs: 100 });
    for (let i = 0; i < 3; i++) c.a.transmit(frame(i, 1000), 0, 1000, T0);
    c.a.transmit(frame(3, 500), 0, 500, instant(10_000));
    const at: number[] = [];
    for (;;) {
      const t = c.b.pollAt();
      if (t === undefined) break;
      at.push(c.b.receive(t)!.at);
    }
    assert.deepEqual(at, [1100, 2100, 3100, 10_600]);
  });

  it('rounds serialization up to whole microseconds', () => {
    assert.equal(serializationUs(1500, 1e9), 12);
    assert.equal(serializationUs(1, 3), 2_666_667);
    assert.equal(serializationUs(1500, 0), 0);
    assert.equal(serializationUs(1500, undefined), 0);
  });

  it('has per-direction timing overrides', () => {
    const c = new MemoryCable({ delayUs: 10, ba: { delayUs: 30 } });
    c.a.transmit(frame(1), 0, 64, T0);
    c.b.transmit(frame(2), 0, 64, T0);
    assert.equal(c.b.pollAt(), 10);
    assert.equal(c.a.pollAt(), 30);
    assert.equal(c.nextArrivalAt(), 10);
  });

  it('bounds each queue and counts refused frames', () => {
    const c = new MemoryCable({ queueFrames: 4 });
    for (let i = 0; i < 4; i++) assert.equal(c.a.transmit(frame(i), 0, 64, T0), true);
    assert.equal(c.a.transmit(frame(4), 0, 64, T0), false);
    assert.equal(c.a.transmit(frame(5), 0, 64, T0), false);
    assert.equal(c.a.stats.txQueueFull, 2);
    assert.equal(c.a.stats.txDropped, 2);
    // The other direction is independent.
    assert.equal(c.b.transmit(frame(6), 0, 64, T0), true);
    assert.ok(c.b.receive(T0));
    assert.equal(c.a.transmit(frame(7), 0, 64, T0), true);
    const tags: number[] = [];
    for (let f = c.b.receive(T0); f; f = c.b.receive(T0)) tags.push(f.buf[f.off]!);
    assert.deepEqual(tags, [1, 2, 3, 7]);
    assert.equal(c.a.stats.txFrames, 5);
  });

  it('refuses empty and oversize frames', () => {
    const c = new MemoryCable({ mtu: 1500 });
    assert.equal(maxFrameLen(c.caps), 1514);
    assert.equal(c.a.transmit(new Uint8Array(1514), 0, 1514, T0), true);
    assert.equal(c.a.transmit(new Uint8Array(1515), 0, 1515, T0), false);
    assert.equal(c.a.transmit(new Uint8Array(1), 0, 0, T0), false);
    assert.equal(c.a.stats.txOversize, 2);
    const tso = new MemoryCable({ medium: 'ip', tso: true });
    assert.equal(maxFrameLen(tso.caps), 65535);
    assert.equal(tso.a.transmit(new Uint8Array(65535), 0, 65535, T0), true);
    assert.equal(tso.caps.checksumOffload, true);
  });

  it('keeps a received frame intact until the next receive, even when the peer refills the queue', () => {
    const c = new MemoryCable({ queueFrames: 2 });
    c.a.transmit(frame(1), 0, 64, T0);
    const f = c.b.receive(T0)!;
    // The borrowed slot is not handed out again: both new frames fit and none overwrites it.
    assert.equal(c.a.transmit(frame(2), 0, 64, T0), true);
    assert.equal(c.a.transmit(frame(3), 0, 64, T0), true);
    assert.deepEqual(f.buf.subarray(f.off, f.off + f.len), frame(1));
  });

  it('allocates no frame storage in steady state (pool high-water mark over 100k frames)', () => {
    const c = new MemoryCable({ queueFrames: 64, rateBps: 1e9, delayUs: 50 });
    const src = frame(0, 1514);
    let now = 0;
    let got = 0;
    let sum = 0;
    for (let i = 0; i < 100_000; i += 32) {
      for (let k = 0; k < 32; k++) {
        src[0] = (i + k) & 0xff;
        assert.equal(c.a.transmit(src, 0, 1514, now as Instant), true);
      }
      now = c.b.pollAt()! + 32 * 13;
      for (let f = c.b.receive(now as Instant); f; f = c.b.receive(now as Instant)) {
        got++;
        sum += f.buf[f.off]!;
      }
    }
    const pool = c.abQueue.pool;
    assert.equal(got, 100_000);
    assert.ok(sum > 0);
    assert.equal(pool.allocs, 100_000);
    assert.equal(pool.failures, 0);
    assert.ok(pool.highWater <= 33, `high water ${pool.highWater}`);
    assert.equal(c.abQueue.highWater, 32);
  });
});
