/**
 * `SimDriver`: runs endpoints and memory cables on a virtual clock. Each step polls, in
 * registration order, every endpoint whose deadline (its `pollAt()` or a `pollAt()` of a link it
 * reads) has come, then the clock jumps straight to the earliest next deadline. No real time
 * passes, so a simulated minute of retransmission timeouts runs in milliseconds and every run with
 * the same inputs and seeds ends at the same microsecond.
 *
 * Livelock guard: a run stops with a `SimLivelockError` after `maxSteps` steps, or after
 * `maxStepsPerInstant` steps without the clock moving (an endpoint whose deadline never passes
 * `now`).
 */
import type { MemoryCable } from '../core/link/cable.js';
import type { Pollable } from '../core/link/endpoint.js';
import type { Link } from '../core/link/link.js';
import { formatInstant, INSTANT_ZERO, type Instant, VirtualClock } from '../core/time/time.js';
import { Participants } from './participants.js';

export interface RunOptions {
  /** Steps allowed in this run. Default 10 million. */
  maxSteps?: number;
  /** Steps allowed at one instant. Default 100 000. */
  maxStepsPerInstant?: number;
}

/** Why a run ended. `idle`: nothing had a deadline left (and the stop condition did not hold). */
export type StopReason = 'done' | 'time' | 'idle';

export interface RunResult {
  reason: StopReason;
  /** The virtual time at the end. */
  now: Instant;
  /** Steps taken in this run. */
  steps: number;
}

export interface SimStats {
  /** Steps (rounds of polls at one instant) since the start. */
  steps: number;
  /** Endpoint polls since the start. */
  polls: number;
  /** Clock jumps since the start. */
  jumps: number;
  /** Virtual time now (µs since the origin). */
  now: Instant;
  /** Frames received off the registered cables, both ways. */
  framesMoved: number;
  /** Frames still in the registered cables. */
  framesInFlight: number;
}

export class SimLivelockError extends Error {
  override name = 'SimLivelockError';
}

export class SimDriver {
  readonly clock: VirtualClock;
  private readonly parts = new Participants();
  private readonly cables: MemoryCable[] = [];
  private steps = 0;
  private polls = 0;
  private jumps = 0;

  constructor(start: Instant = INSTANT_ZERO) {
    this.clock = new VirtualClock(start);
  }

  /** Registers an endpoint and the links it reads (their `pollAt()` wakes it too). */
  add(endpoint: Pollable, links: readonly Link[] = []): this {
    this.parts.add(endpoint, links);
    return this;
  }

  /** Registers a cable for the statistics. */
  addCable(cable: MemoryCable): this {
    this.cables.push(cable);
    return this;
  }

  now(): Instant {
    return this.clock.now();
  }

  /** The earliest deadline of any endpoint or link (undefined when all are idle). */
  nextDeadline(): Instant | undefined {
    return this.parts.nextDue();
  }

  /**
   * One step: jumps to the earliest deadline (never backwards) and polls every endpoint due
   * then. Returns false, doing nothing, when no deadline is left.
   */
  step(): boolean {
    const next = this.parts.nextDue();
    if (next === undefined) return false;
    const before = this.clock.now();
    const now = this.clock.advanceTo(next);
    if (now !== before) this.jumps++;
    this.polls += this.parts.pollDue(now);
    this.steps++;
    return true;
  }

  /**
   * Runs until `until` holds (checked before the first step and after each one) or, given an
   * Instant, until the clock reaches it (the clock ends exactly there, even when idle earlier).
   */
  runUntil(until: ((sim: SimDriver) => boolean) | Instant, opts: RunOptions = {}): RunResult {
    const maxSteps = opts.maxSteps ?? 10_000_000;
    const maxAtInstant = opts.maxStepsPerInstant ?? 100_000;
    const stopAt = typeof until === 'number' ? until : undefined;
    const pred = typeof until === 'function' ? until : undefined;
    let steps = 0;
    let sameInstant = 0;
    for (;;) {
      if (pred?.(this)) return this.result('done', steps);
      const next = this.parts.nextDue();
      if (next === undefined || (stopAt !== undefined && next > stopAt)) {
        if (stopAt !== undefined) {
          this.clock.advanceTo(stopAt);
          return this.result('time', steps);
        }
        return this.result('idle', steps);
      }
      if (steps >= maxSteps) {
        throw new SimLivelockError(
          `SimDriver: step limit of ${maxSteps} reached at t=${formatInstant(this.clock.now())}s ` +
            `without the stop condition (next deadline ${formatInstant(next)}s)`,
        );
      }
      const before = this.clock.now();
      this.step();
      steps++;
      sameInstant = this.clock.now() === before && steps > 1 ? sameInstant + 1 : 0;
      if (sameInstant >= maxAtInstant) {
        throw new SimLivelockError(
          `SimDriver: livelock: ${maxAtInstant} steps at t=${formatInstant(this.clock.now())}s ` +
            'without the clock moving (a deadline that stays at or before now after a poll)',
        );
      }
    }
  }

  /** Runs for `us` microseconds of virtual time. */
  runFor(us: number, opts: RunOptions = {}): RunResult {
    return this.runUntil((this.clock.now() + us) as Instant, opts);
  }

  get stats(): SimStats {
    let moved = 0;
    let inFlight = 0;
    for (const c of this.cables) {
      moved += c.delivered;
      inFlight += c.inFlight;
    }
    return {
      steps: this.steps,
      polls: this.polls,
      jumps: this.jumps,
      now: this.clock.now(),
      framesMoved: moved,
      framesInFlight: inFlight,
    };
  }

  private result(reason: StopReason, steps: number): RunResult {
    return { reason, now: this.clock.now(), steps };
  }
}
