/**
 * `WebDriver`: the timer driver (src/driver/timer.ts) for any JavaScript host with
 * `performance.now()` and `setTimeout` (browsers, workers, Node, Deno), with no Node built-ins: one
 * timer, re-armed after every wake-up to the earliest deadline of any endpoint or link it reads.
 *
 * Socket calls made by the web-streams API change what the stack has to do (a write queues data,
 * a read opens the window), so the API calls `wake()` after them: it schedules one poll in a
 * microtask, so a burst of calls costs one poll. After every wake-up the driver runs its
 * `afterPoll` hooks, which is where the API resolves promises waiting for socket readiness.
 *
 * Time is `performance.now()` in integer microseconds since the driver was made (an injectable
 * `clockMs` for tests). Timers fire late, never early by design, so the delay is rounded up; a
 * wake-up that comes early anyway just re-arms.
 */
import { TimerDriver, type TimerDriverOptions, type TimerDriverStats } from '../../driver/timer.js';

export type WebDriverOptions = Omit<TimerDriverOptions, 'unref'>;
export type WebDriverStats = TimerDriverStats;

/** The timer driver for the web-streams API: endpoints added while running are polled in a microtask. */
export class WebDriver extends TimerDriver {
  constructor(opts: WebDriverOptions = {}) {
    super(opts);
  }

  protected override onAdded(): void {
    this.wake();
  }
}
