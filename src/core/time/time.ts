/**
 * Time in the core: **integer microseconds, everywhere.**
 *
 * - `Instant` is a point in time and `Duration` a span, both plain numbers holding an integer count
 *   of microseconds (exact up to 2^53 µs, about 285 years). They are branded so an Instant is not
 *   passed where a Duration is expected (and neither where a bare number of milliseconds is);
 *   comparison operators (`<`, `<=`, `===`) work on them directly.
 * - The core never reads a clock. Drivers pass `now: Instant` into `receive`/`poll` and read back
 *   `pollAt(): Instant | undefined`. What instant 0 means is up to the driver (process start for
 *   real time, the start of a simulation for a virtual clock).
 * - Names of plain-number fields and constants carry the unit when it is not obvious:
 *   `rtoUs`, `MIN_RTO_US`, `delayedAckUs`.
 *
 * Constructors round to the nearest integer microsecond, so `millis(1.5)` is 1500 µs and
 * `seconds(0.0000004)` is 0 µs. Arithmetic helpers assume integer inputs and do no rounding.
 */

declare const instantBrand: unique symbol;
declare const durationBrand: unique symbol;

/** A point in time, in integer microseconds since the driver's origin. */
export type Instant = number & { readonly [instantBrand]: true };
/** A span of time, in integer microseconds (may be negative, e.g. as the result of `diff`). */
export type Duration = number & { readonly [durationBrand]: true };

export const US_PER_MS = 1000;
export const US_PER_SECOND = 1_000_000;

/** The instant at the driver's origin. */
export const INSTANT_ZERO = 0 as Instant;
export const DURATION_ZERO = 0 as Duration;

/** An instant `us` microseconds after the origin. */
export function instant(us: number): Instant {
  return Math.round(us) as Instant;
}

export function micros(n: number): Duration {
  return Math.round(n) as Duration;
}

export function millis(n: number): Duration {
  return Math.round(n * US_PER_MS) as Duration;
}

export function seconds(n: number): Duration {
  return Math.round(n * US_PER_SECOND) as Duration;
}

/** `t + d`. */
export function add(t: Instant, d: Duration): Instant {
  return (t + d) as Instant;
}

/** `t - d`. */
export function subDuration(t: Instant, d: Duration): Instant {
  return (t - d) as Instant;
}

/** The duration from `b` to `a` (`a - b`; negative when `a` is earlier). */
export function diff(a: Instant, b: Instant): Duration {
  return (a - b) as Duration;
}

/** `a + b` for durations. */
export function addDurations(a: Duration, b: Duration): Duration {
  return (a + b) as Duration;
}

/** `d * k`, rounded to an integer microsecond (e.g. RTO back-off, `k` = 2). */
export function scale(d: Duration, k: number): Duration {
  return Math.round(d * k) as Duration;
}

/** -1, 0 or 1 as `a` is before, at or after `b` (works for two Instants or two Durations). */
export function compare<T extends Instant | Duration>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function minInstant(a: Instant, b: Instant): Instant {
  return a < b ? a : b;
}

export function maxInstant(a: Instant, b: Instant): Instant {
  return a > b ? a : b;
}

/** The earlier of two optional deadlines (`undefined` means "none"), for `pollAt` aggregation. */
export function earliest(a: Instant | undefined, b: Instant | undefined): Instant | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

export function minDuration(a: Duration, b: Duration): Duration {
  return a < b ? a : b;
}

export function maxDuration(a: Duration, b: Duration): Duration {
  return a > b ? a : b;
}

/** `d` clamped to `[lo, hi]` (e.g. an RTO between its minimum and maximum). */
export function clampDuration(d: Duration, lo: Duration, hi: Duration): Duration {
  return d < lo ? lo : d > hi ? hi : d;
}

/** Milliseconds as a (possibly fractional) number, for display and for Node timers at the boundary. */
export function toMillis(d: Duration | Instant): number {
  return d / US_PER_MS;
}

export function toSeconds(d: Duration | Instant): number {
  return d / US_PER_SECOND;
}

/** Integer microseconds with up to `digits` fractional digits of `unit`, trailing zeros removed. */
function fixed(us: number, unitUs: number, digits: number): string {
  const whole = Math.floor(us / unitUs);
  const frac = us - whole * unitUs;
  if (frac === 0) return String(whole);
  return `${whole}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`;
}

/**
 * A short human form: `0s`, `750µs`, `1.5ms`, `200ms`, `1s`, `3.000001s`, `-40ms`. Exact: no
 * digits are lost (µs below a millisecond, ms with up to 3 decimals below a second, else seconds
 * with up to 6 decimals).
 */
export function formatDuration(d: Duration): string {
  if (d === 0) return '0s';
  const sign = d < 0 ? '-' : '';
  const us = Math.abs(d);
  if (us < US_PER_MS) return `${sign}${us}µs`;
  if (us < US_PER_SECOND) return `${sign}${fixed(us, US_PER_MS, 3)}ms`;
  return `${sign}${fixed(us, US_PER_SECOND, 6)}s`;
}

/** An instant as seconds with exactly 6 decimals, e.g. `12.000345` (the form traces print). */
export function formatInstant(t: Instant): string {
  const sign = t < 0 ? '-' : '';
  const us = Math.abs(t);
  const s = Math.floor(us / US_PER_SECOND);
  return `${sign}${s}.${String(us - s * US_PER_SECOND).padStart(6, '0')}`;
}

/** Anything that can tell the current instant (a driver's clock). */
export interface Clock {
  now(): Instant;
}

/**
 * A clock that moves only when told to, and never backwards: the simulation driver and the
 * packetdrill runner jump it from deadline to deadline.
 */
export class VirtualClock implements Clock {
  private t: Instant;

  constructor(start: Instant = INSTANT_ZERO) {
    this.t = start;
  }

  now(): Instant {
    return this.t;
  }

  /** Moves to `t` if it is later than now; an earlier `t` leaves the clock where it is. Returns now. */
  advanceTo(t: Instant): Instant {
    if (t > this.t) this.t = t;
    return this.t;
  }

  /** Moves forward by `d` (a negative `d` is ignored). Returns now. */
  advanceBy(d: Duration): Instant {
    if (d > 0) this.t = (this.t + d) as Instant;
    return this.t;
  }
}
