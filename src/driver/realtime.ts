/**
 * `RealtimeDriver`: runs endpoints on real time with a single `setTimeout`, re-armed after every
 * wake-up to the earliest deadline of any endpoint or link it reads (never a periodic tick). An
 * adapter that receives input outside the driver (a TUN read, a WebSocket message) calls `kick()`,
 * which polls whatever is due at once and re-arms the timer.
 *
 * Time is `performance.now()` in integer microseconds since the driver was made. Node timers have
 * a 1 ms granularity and fire late, never early by design, so the delay is rounded up; a wake-up
 * that comes early anyway just re-arms.
 */
import { performance } from 'node:perf_hooks';
import type { Pollable } from '../core/link/endpoint.js';
import type { Link } from '../core/link/link.js';
import type { Instant } from '../core/time/time.js';
import { Participants } from './participants.js';

export interface RealtimeOptions {
  /** Do not keep the Node process alive for the timer alone. Default false. */
  unref?: boolean;
  /** Rounds of polls at one wake-up before yielding to the event loop. Default 64. */
  maxRoundsPerWake?: number;
  /** Called when an endpoint's `poll` throws; the driver has stopped. Default: rethrow. */
  onError?: (err: unknown) => void;
}

export interface RealtimeStats {
  /** Times the driver woke (timer or kick). */
  wakeups: number;
  /** Endpoint polls. */
  polls: number;
  /** Timer wake-ups, and the largest lateness (µs) of one against its deadline. */
  timerFires: number;
  maxLateUs: number;
}

export class RealtimeDriver {
  private readonly parts = new Participants();
  private readonly origin = performance.now();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor: Instant | undefined;
  private running = false;
  private busy = false;
  private again = false;
  readonly stats: RealtimeStats = { wakeups: 0, polls: 0, timerFires: 0, maxLateUs: 0 };
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

  constructor(private readonly opts: RealtimeOptions = {}) {}

  /** Microseconds since the driver was made. */
  now(): Instant {
    return Math.round((performance.now() - this.origin) * 1000) as Instant;
  }

  add(endpoint: Pollable, links: readonly Link[] = []): this {
    this.parts.add(endpoint, links);
    if (this.running) this.kick();
    return this;
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

  /** Polls every endpoint that is due now, then re-arms the timer. Safe to call from inside a poll. */
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
    this.timer = setTimeout(this.onTimer, delayMs);
    if (this.opts.unref) this.timer.unref();
  }
}
