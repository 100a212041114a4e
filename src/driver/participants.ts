/**
 * The bookkeeping both drivers share: endpoints with the links they read, and the earliest
 * instant each needs a poll (its own `pollAt()` or one of its links' `pollAt()`).
 */
import type { Pollable } from '../core/link/endpoint.js';
import type { Link } from '../core/link/link.js';
import type { Instant } from '../core/time/time.js';

export class Participants {
  readonly endpoints: Pollable[] = [];
  private readonly links: Link[][] = [];

  add(endpoint: Pollable, links: readonly Link[]): void {
    this.endpoints.push(endpoint);
    this.links.push([...links]);
  }

  /** When endpoint `i` next needs a poll (undefined: only on new input). */
  dueAt(i: number): Instant | undefined {
    let t = this.endpoints[i]!.pollAt();
    const ls = this.links[i]!;
    for (let k = 0; k < ls.length; k++) {
      const l = ls[k]!.pollAt();
      if (l !== undefined && (t === undefined || l < t)) t = l;
    }
    return t;
  }

  /** The earliest due instant over all endpoints. */
  nextDue(): Instant | undefined {
    let t: Instant | undefined;
    for (let i = 0; i < this.endpoints.length; i++) {
      const d = this.dueAt(i);
      if (d !== undefined && (t === undefined || d < t)) t = d;
    }
    return t;
  }

  /** Polls every endpoint due at `now`, in registration order; returns how many were polled. */
  pollDue(now: Instant): number {
    let n = 0;
    for (let i = 0; i < this.endpoints.length; i++) {
      const d = this.dueAt(i);
      if (d !== undefined && d <= now) {
        this.endpoints[i]!.poll(now);
        n++;
      }
    }
    return n;
  }
}
