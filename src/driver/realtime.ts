/**
 * `RealtimeDriver`: the timer driver (timer.ts) on Node's monotonic clock — one `setTimeout`,
 * re-armed after every wake-up to the earliest deadline of any endpoint or link it reads (never a
 * periodic tick). An adapter that receives input outside the driver (a TUN read, a socket call)
 * calls `kick()` (poll now) or `wake()` (poll in a microtask).
 *
 * Time is `performance.now()` in integer microseconds since the driver was made. Node timers have
 * a 1 ms granularity and fire late, never early by design, so the delay is rounded up; a wake-up
 * that comes early anyway just re-arms.
 */
import { performance } from 'node:perf_hooks';
import { TimerDriver, type TimerDriverOptions, type TimerDriverStats } from './timer.js';

export type RealtimeOptions = Omit<TimerDriverOptions, 'clockMs'>;
export type RealtimeStats = TimerDriverStats;

export class RealtimeDriver extends TimerDriver {
  constructor(opts: RealtimeOptions = {}) {
    super({ ...opts, clockMs: () => performance.now() });
  }
}
