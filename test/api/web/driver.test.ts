/** WebDriver: polls what is due, coalesces wake-ups, runs its hooks, re-arms one timer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebDriver } from '../../../src/api/web/driver.js';
import type { Instant } from '../../../src/core/time/time.js';

class Fake {
  polls: number[] = [];
  constructor(public due: number | undefined) {}
  poll(now: Instant): void {
    this.polls.push(now);
    this.due = undefined;
  }
  pollAt(): Instant | undefined {
    return this.due as Instant | undefined;
  }
}

test('wake() calls in one turn cost one poll round; hooks run after it', async () => {
  let ms = 10;
  const d = new WebDriver({ clockMs: () => ms });
  const e = new Fake(undefined);
  let hooks = 0;
  d.add(e).afterPoll(() => hooks++);
  d.start();
  const base = d.stats.wakeups;
  assert.equal(hooks, 1);
  e.due = 0;
  d.wake();
  d.wake();
  d.wake();
  assert.equal(e.polls.length, 0, 'wake() polls later, not inside the caller');
  await Promise.resolve();
  assert.equal(d.stats.wakeups, base + 1);
  assert.deepEqual(e.polls, [0]);
  assert.equal(hooks, 2);
  ms = 11;
  d.stop();
  d.wake();
  await Promise.resolve();
  assert.equal(d.stats.wakeups, base + 1, 'a stopped driver ignores wake()');
});

test('after maxMicrotaskWakes wake-ups in one turn, the next waits for a macrotask', async () => {
  const d = new WebDriver({ clockMs: () => 0, maxMicrotaskWakes: 3 });
  d.add(new Fake(undefined)).start();
  const base = d.stats.wakeups;
  for (let i = 0; i < 3; i++) {
    d.wake();
    await Promise.resolve();
  }
  assert.equal(d.stats.wakeups, base + 3);
  d.wake();
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(d.stats.wakeups, base + 3, 'the fourth wake-up must not run in this turn');
  await new Promise((r) => setTimeout(r, 0));
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(d.stats.wakeups, base + 4);
  d.stop();
});

test('the timer wakes an endpoint at its deadline on the given clock', async () => {
  let ms = 0;
  const d = new WebDriver({ clockMs: () => ms });
  const e = new Fake(2000);
  d.add(e).start();
  assert.deepEqual(e.polls, [], 'not due yet');
  ms = 2;
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(e.polls, [2000]);
  assert.ok(d.stats.timerFires >= 1);
  d.stop();
});

test('an endpoint that throws stops the driver and reaches onError', () => {
  const errors: unknown[] = [];
  const d = new WebDriver({ clockMs: () => 0, onError: (e) => errors.push(e) });
  d.add({ poll: () => { throw new Error('boom'); }, pollAt: () => 0 as Instant });
  d.start();
  assert.equal(d.isRunning, false);
  assert.equal((errors[0] as Error).message, 'boom');
});
