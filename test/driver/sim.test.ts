import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCable } from '../../src/core/link/cable.js';
import type { Pollable } from '../../src/core/link/endpoint.js';
import { FaultInjector } from '../../src/core/link/fault.js';
import type { Link } from '../../src/core/link/link.js';
import { Xoshiro128 } from '../../src/core/rand/rng.js';
import { type Instant, instant, seconds } from '../../src/core/time/time.js';
import { SimDriver, SimLivelockError } from '../../src/driver/sim.js';

const LEN = 64;

function seqOf(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Sends ping n, retransmits it every `rtoUs` until pong n comes back, then moves to n + 1. */
export class Pinger implements Pollable {
  seq = 0;
  rtxAt: Instant | undefined;
  retransmits = 0;
  sendNow = true;
  doneAt: Instant | undefined;
  private readonly buf = new Uint8Array(LEN);

  constructor(
    private readonly link: Link,
    private readonly count: number,
    private readonly rtoUs: number,
  ) {}

  get done(): boolean {
    return this.seq >= this.count;
  }

  poll(now: Instant): void {
    for (let f = this.link.receive(now); f; f = this.link.receive(now)) {
      if (f.len === LEN && seqOf(f.buf, f.off) === this.seq && f.buf[f.off + 4] === 1) {
        this.seq++;
        this.rtxAt = undefined;
        this.sendNow = !this.done;
        if (this.done) this.doneAt = now;
      }
    }
    if (this.rtxAt !== undefined && this.rtxAt <= now) {
      this.retransmits++;
      this.sendNow = true;
    }
    if (this.sendNow && !this.done) {
      const b = this.buf;
      b[0] = this.seq >>> 24;
      b[1] = this.seq >>> 16;
      b[2] = this.seq >>> 8;
      b[3] = this.seq;
      b[4] = 0;
      this.link.transmit(b, 0, LEN, now);
      this.sendNow = false;
      this.rtxAt = (now + this.rtoUs) as Instant;
    }
  }

  pollAt(): Instant | undefined {
    return this.sendNow ? (0 as Instant) : this.rtxAt;
  }
}

/** Answers every ping with a pong of the same number. */
class Ponger implements Pollable {
  pongs = 0;
  constructor(private readonly link: Link) {}

  poll(now: Instant): void {
    for (let f = this.link.receive(now); f; f = this.link.receive(now)) {
      f.buf[f.off + 4] = 1; // the frame is ours until the next receive
      this.link.transmit(f.buf, f.off, f.len, now);
      this.pongs++;
    }
  }

  pollAt(): Instant | undefined {
    return undefined;
  }
}

function build(seed: number, count: number, loss: number) {
  const cable = new MemoryCable({ medium: 'ip', delayUs: 500, rateBps: 10e6 });
  const lossy = new FaultInjector(cable.a, new Xoshiro128(seed), { loss });
  const pinger = new Pinger(lossy, count, 5000);
  const ponger = new Ponger(cable.b);
  const sim = new SimDriver().add(pinger, [lossy]).add(ponger, [cable.b]).addCable(cable);
  return { sim, pinger, ponger, lossy };
}

function pingPong(seed: number, count: number, loss: number) {
  const b = build(seed, count, loss);
  return { ...b, res: b.sim.runUntil(() => b.pinger.done) };
}

describe('SimDriver', () => {
  it('runs 1000 ping-pong exchanges over a 5% lossy cable to an exact, reproducible virtual time', () => {
    const r1 = pingPong(2024, 1000, 0.05);
    const r2 = pingPong(2024, 1000, 0.05);
    assert.equal(r1.res.reason, 'done');
    assert.equal(r1.pinger.seq, 1000);
    // RTT without loss: 2 × (500 µs delay + 52 µs serialization of 64 B at 10 Mbit/s) = 1104 µs;
    // each lost ping or pong costs one 5 ms retransmission timeout.
    const lost = r1.lossy.tx.lost + r1.lossy.rx.lost;
    assert.ok(lost > 50 && lost < 160, `lost ${lost}`);
    assert.equal(r1.pinger.retransmits, lost);
    assert.equal(r1.res.now, 1000 * 1104 + lost * 5000);
    // Pinned: this seed loses 116 frames and ends at 1.684000 s of virtual time.
    assert.equal(lost, 116);
    assert.equal(r1.res.now, 1_684_000);
    // Same seed: same everything.
    assert.equal(r2.res.now, r1.res.now);
    assert.equal(r2.res.steps, r1.res.steps);
    assert.deepEqual(r2.sim.stats, r1.sim.stats);
    // Frames moved by the cable: every ping that survived the loss on its way out, and its pong
    // (pongs are lost after the cable, on receive).
    const s = r1.sim.stats;
    assert.equal(r1.ponger.pongs, 1000 + r1.lossy.rx.lost);
    assert.equal(s.framesMoved, 2 * r1.ponger.pongs);
    assert.equal(s.framesInFlight, 0);
    const r3 = pingPong(2025, 1000, 0.05);
    const shape = (r: typeof r1) => [r.lossy.tx.lost, r.lossy.rx.lost, r.res.steps, r.res.now];
    assert.notDeepEqual(shape(r3), shape(r1));
  });

  it('jumps the clock straight from deadline to deadline', () => {
    const deadlines = [instant(seconds(1)), instant(seconds(3)), instant(seconds(10))];
    const seen: number[] = [];
    const ep: Pollable = {
      poll(now) {
        seen.push(now);
        if (deadlines[0]! <= now) deadlines.shift();
      },
      pollAt: () => deadlines[0],
    };
    const sim = new SimDriver().add(ep);
    const res = sim.runUntil(() => false);
    assert.equal(res.reason, 'idle');
    assert.deepEqual(seen, [1e6, 3e6, 10e6]);
    assert.equal(res.steps, 3);
    assert.equal(sim.stats.jumps, 3);
    assert.equal(sim.now(), 10e6);
  });

  it('stops exactly at a time limit, even when idle before it', () => {
    const sim = new SimDriver();
    const r = build(1, 1_000_000, 0);
    const res = r.sim.runUntil(instant(50_000));
    assert.equal(res.reason, 'time');
    assert.equal(res.now, 50_000);
    assert.equal(r.pinger.seq, 45); // 50 000 / 1104 exchanges completed
    assert.equal(sim.runUntil(instant(777)).now, 777);
    assert.equal(sim.runFor(23).now, 800);
  });

  it('wakes an endpoint for its link even when the endpoint itself has no deadline', () => {
    const cable = new MemoryCable({ delayUs: 300 });
    const ponger = new Ponger(cable.b);
    const sim = new SimDriver().add(ponger, [cable.b]);
    cable.a.transmit(new Uint8Array(LEN), 0, LEN, instant(0));
    sim.runUntil(() => ponger.pongs === 1);
    assert.equal(sim.now(), 300);
  });

  it('reports a livelock clearly', () => {
    const stuck: Pollable = { poll() {}, pollAt: () => 5 as Instant };
    const sim = new SimDriver().add(stuck);
    assert.throws(
      () => sim.runUntil(() => false, { maxStepsPerInstant: 1000 }),
      (e: unknown) => e instanceof SimLivelockError && /livelock: 1000 steps at t=0\.000005s/.test(e.message),
    );
    let t = 0;
    const busy: Pollable = { poll() {}, pollAt: () => ++t as Instant };
    assert.throws(
      () => new SimDriver().add(busy).runUntil(() => false, { maxSteps: 500 }),
      (e: unknown) => e instanceof SimLivelockError && /step limit of 500/.test(e.message),
    );
  });
});
