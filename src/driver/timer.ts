/**
 * `TimerDriver`: runs endpoints on real time with a single timer, re-armed after every wake-up to
 * the earliest deadline of any endpoint or link it reads (never a periodic tick). It needs only
 * `setTimeout`, `queueMicrotask` and a millisecond clock (by default `globalThis.performance`), so
 * it runs in Node, browsers and workers alike; `RealtimeDriver` (Node) and `WebDriver` (the
 * web-streams API) are this driver with their defaults.
 *
 * Input that arrives outside the driver (a TUN read, a socket call) calls `kick()`, which polls
 * whatever is due at once, or `wake()`, which does so in a microtask so that a burst of calls costs
 * one poll. After every wake-up the `afterPoll` hooks run (e.g. to resolve promises waiting for
 * socket readiness).
 *
 * Time is the clock in integer microseconds since the driver was made. Timers have a 1 ms
 * granularity and fire late, never early by design, so the delay is rounded up; a wake-up that
 * comes early anyway just re-arms.
 */
import type { Pollable } from '../core/link/endpoint.js';
import type { Link } from '../core/link/link.js';
import type { Instant } from '../core/time/time.js';
import { Participants } from './participants.js';

export interface TimerDriverOptions {
  /** Milliseconds from an arbitrary origin; default `globalThis.performance.now()`. */
  clockMs?: () => number;
  /** Do not keep a Node process alive for the timer alone (where timers have `unref`). Default false. */
  unref?: boolean;
  /** Rounds of polls at one wake-up before yielding to the event loop. Default 64. */
  maxRoundsPerWake?: number;
  /**
   * `wake()`s served by microtasks before the driver yields to the event loop (the next one waits
   * for a macrotask), so a busy transfer cannot starve timers, input and rendering. Default 256.
   */
  maxMicrotaskWakes?: number;
  /** Called when an endpoint's `poll` or a hook throws; the driver has stopped. Default: rethrow. */
  onError?: (err: unknown) => void;
}

export interface TimerDriverStats {
  /** Times the driver woke (timer, `wake()` or `kick()`). */
  wakeups: number;
  /** Endpoint polls. */
  polls: number;
  /** Timer wake-ups, and the largest lateness (µs) of one against its deadline. */
  timerFires: number;
  maxLateUs: number;
}

type TimerHandle = ReturnType<typeof setTimeout>;

function defaultClockMs(): () => number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  if (perf === undefined) throw new Error('TimerDriver: no globalThis.performance; pass clockMs');
  return () => perf.now();
}

export class TimerDriver {
  private readonly parts = new Participants();
  private readonly clockMs: () => number;
  private readonly origin: number;
  private readonly hooks: (() => void)[] = [];
  private timer: TimerHandle | undefined;
  private armedFor: Instant | undefined;
  private running = false;
  private busy = false;
  private again = false;
  private wakeQueued = false;
  private microWakes = 0;
  readonly stats: TimerDriverStats = { wakeups: 0, polls: 0, timerFires: 0, maxLateUs: 0 };
  private readonly onTimer = (): void => {
    const due = this.armedFor;
    this.timer = undefined;
    this.armedFor = undefined;
    this.stats.timerFires++;
    if (due !== undefined) {
      const late = this.now() - due;
      if (late > this.stats.maxLateUs) this.stats.maxLateUs = late;
    }
    this.kick();
  };
  private readonly onWake = (): void => {
    this.wakeQueued = false;
    this.kick();
  };
  private readonly onTurn = (): void => {
    this.microWakes = 0;
  };

  constructor(private readonly opts: TimerDriverOptions = {}) {
    this.clockMs = opts.clockMs ?? defaultClockMs();
    this.origin = this.clockMs();
  }

  /** Microseconds since the driver was made. */
  now(): Instant {
    return Math.round((this.clockMs() - this.origin) * 1000) as Instant;
  }

  /** Registers an endpoint and the links it reads (their deadlines wake it too). */
  add(endpoint: Pollable, links: readonly Link[] = []): this {
    this.parts.add(endpoint, links);
    if (this.running) this.onAdded();
    return this;
  }

  /** What adding an endpoint to a running driver does: poll at once (`WebDriver`: in a microtask). */
  protected onAdded(): void {
    this.kick();
  }

  /** Runs `fn` after every wake-up, once the due endpoints were polled. */
  afterPoll(fn: () => void): void {
    this.hooks.push(fn);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** The instant the timer is armed for (undefined when none). */
  get armedAt(): Instant | undefined {
    return this.armedFor;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.kick();
  }

  /**
   * Schedules one `kick()` in a microtask (several `wake()`s before it runs cost one); after
   * `maxMicrotaskWakes` of those within one event-loop turn, in a macrotask instead.
   */
  wake(): void {
    if (!this.running || this.wakeQueued) return;
    this.wakeQueued = true;
    if (this.microWakes < (this.opts.maxMicrotaskWakes ?? 256)) {
      if (this.microWakes++ === 0) setTimeout(this.onTurn, 0);
      queueMicrotask(this.onWake);
    } else setTimeout(this.onWake, 0);
  }

  /** Polls every endpoint that is due now, runs the hooks, then re-arms the timer. Safe inside a poll. */
  kick(): void {
    if (!this.running) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.stats.wakeups++;
    try {
      const max = this.opts.maxRoundsPerWake ?? 64;
      let rounds = 0;
      do {
        this.again = false;
        const n = this.parts.pollDue(this.now());
        this.stats.polls += n;
        if (n === 0 && !this.again) break;
      } while (++rounds < max && this.running);
      for (let i = 0; i < this.hooks.length; i++) this.hooks[i]!();
    } catch (err) {
      this.busy = false;
      this.stop();
      if (this.opts.onError) {
        this.opts.onError(err);
        return;
      }
      throw err;
    }
    this.busy = false;
    this.arm();
  }

  /** Cancels the timer; `start()` resumes. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }

  private arm(): void {
    if (!this.running) return;
    const next = this.parts.nextDue();
    if (next === this.armedFor && this.timer !== undefined) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = next;
    if (next === undefined) return;
    const delayMs = Math.max(0, Math.ceil((next - this.now()) / 1000));
    const t = setTimeout(this.onTimer, delayMs);
    if (this.opts.unref) (t as { unref?: () => void }).unref?.();
    this.timer = t;
  }
}
