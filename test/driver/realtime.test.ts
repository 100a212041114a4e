import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCable } from '../../src/core/link/cable.js';
import type { Pollable } from '../../src/core/link/endpoint.js';
import type { Instant } from '../../src/core/time/time.js';
import { RealtimeDriver } from '../../src/driver/realtime.js';

/** Timers fire late, not early; allow generous lateness on a busy CI machine. */
const LATE_MS = 40;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Records poll times; wants a poll at each listed deadline. */
class Alarm implements Pollable {
  readonly polls: number[] = [];
  constructor(private readonly deadlines: number[]) {}
  poll(now: Instant): void {
    this.polls.push(now);
    while (this.deadlines.length > 0 && this.deadlines[0]! <= now) this.deadlines.shift();
  }
  pollAt(): Instant | undefined {
    return this.deadlines[0] as Instant | undefined;
  }
}

describe('RealtimeDriver', () => {
  it('fires at the earliest deadline with one re-armed timer', async () => {
    const d = new RealtimeDriver();
    const t0 = d.now();
    const a = new Alarm([t0 + 20_000]);
    const b = new Alarm([t0 + 10_000]);
    d.add(a).add(b);
    d.start();
    assert.equal(d.armedAt, t0 + 10_000);
    await sleep(30 + LATE_MS);
    d.stop();
    assert.equal(b.polls.length, 1);
    assert.equal(a.polls.length, 1);
    assert.ok(b.polls[0]! >= t0 + 10_000 && b.polls[0]! < t0 + 10_000 + LATE_MS * 1000, `b at ${b.polls[0]}`);
    assert.ok(a.polls[0]! >= t0 + 20_000 && a.polls[0]! < t0 + 20_000 + LATE_MS * 1000, `a at ${a.polls[0]}`);
    assert.ok(d.stats.timerFires >= 2);
    assert.equal(d.armedAt, undefined);
  });

  it('kick() polls an endpoint with fresh input at once; stop() cancels the timer', async () => {
    const d = new RealtimeDriver();
    const cable = new MemoryCable();
    let got = 0;
    const rx: Pollable = {
      poll(now) {
        while (cable.b.receive(now)) got++;
      },
      pollAt: () => undefined,
    };
    d.add(rx, [cable.b]).start();
    assert.equal(d.armedAt, undefined, 'idle: no timer');
    cable.a.transmit(new Uint8Array(60), 0, 60, d.now());
    d.kick();
    assert.equal(got, 1);
    const late = new Alarm([d.now() + 5_000]);
    d.add(late);
    assert.notEqual(d.armedAt, undefined);
    d.stop();
    await sleep(10);
    assert.equal(late.polls.length, 0);
    assert.equal(d.isRunning, false);
  });

  it('wakes for a frame arriving later on a delayed cable (re-arming to the link deadline)', async () => {
    const d = new RealtimeDriver();
    const cable = new MemoryCable({ delayUs: 8_000 });
    const arrivals: number[] = [];
    const rx: Pollable = {
      poll(now) {
        for (let f = cable.b.receive(now); f; f = cable.b.receive(now)) arrivals.push(now - f.at);
      },
      pollAt: () => undefined,
    };
    d.add(rx, [cable.b]).start();
    cable.a.transmit(new Uint8Array(60), 0, 60, d.now());
    d.kick();
    assert.equal(arrivals.length, 0);
    await sleep(8 + LATE_MS);
    d.stop();
    assert.equal(arrivals.length, 1);
    assert.ok(arrivals[0]! >= 0 && arrivals[0]! < LATE_MS * 1000, `lateness ${arrivals[0]} µs`);
  });

  it('stops and reports when a poll throws', () => {
    const errors: unknown[] = [];
    const d = new RealtimeDriver({ onError: (e) => errors.push(e) });
    const bad: Pollable = {
      poll() {
        throw new Error('boom');
      },
      pollAt: () => 0 as Instant,
    };
    d.add(bad).start();
    assert.equal(errors.length, 1);
    assert.equal(d.isRunning, false);
  });
});
