/**
 * What a driver runs: anything with a `poll(now)` and a `pollAt()` deadline. The stack implements
 * it; the drivers (`SimDriver` on a virtual clock, `RealtimeDriver` on real time) only call these
 * two methods, so the stack does not depend on the driver.
 *
 * Contract:
 * - `poll(now)` does all work due at `now`: reads frames from its links (`Link.receive`), runs
 *   expired timers, transmits. It must not assume it is called exactly at its deadline (a real
 *   timer fires late; a driver may poll early because another endpoint was due).
 * - `pollAt()` is the earliest instant the endpoint next needs `poll`, or `undefined` when it
 *   waits only for input. After `poll(now)` it should be later than `now` unless more work is
 *   already due (a driver treats a deadline that never moves past `now` as a livelock).
 * - A driver registers the endpoint with the links it reads, and also wakes it at those links'
 *   `pollAt()`; an endpoint may fold its links' `pollAt()` into its own, it is not required to.
 */
import type { Instant } from '../time/time.js';

export interface Pollable {
  poll(now: Instant): void;
  pollAt(): Instant | undefined;
}

/** The stack side of a driver: the same contract under the name the drivers use. */
export type Endpoint = Pollable;
