/**
 * A binary min-heap of (deadline, id) pairs for the stack's timers, ordered by deadline and then by
 * id (so equal deadlines pop in a deterministic order). Storage is two parallel typed arrays that
 * double when full: no allocation per push once grown.
 *
 * Lazy deletion: re-arming or cancelling a timer does not search the heap. The owner pushes the new
 * deadline and keeps the authoritative deadline in its own fields (e.g. a TCB's `rtxAt`); entries
 * that no longer match are stale. `prune(isLive)` drops stale entries from the top before the owner
 * reads `peek()`, and `compact(isLive)` drops all of them at once when the heap has grown well past
 * the number of live timers (keeps memory bounded). Pass a long-lived `isLive` function, not a new
 * closure per call.
 */
import type { Instant } from '../time/time.js';

/** Tells whether a heap entry still stands for an armed timer. */
export type IsLive = (deadline: Instant, id: number) => boolean;

export class DeadlineHeap {
  private deadlines: Float64Array;
  private ids: Uint32Array;
  private n = 0;
  /** The deadline of the entry the last `pop()` returned. */
  poppedDeadline = 0 as Instant;

  constructor(initialCapacity = 64) {
    const cap = Math.max(1, initialCapacity | 0);
    this.deadlines = new Float64Array(cap);
    this.ids = new Uint32Array(cap);
  }

  get size(): number {
    return this.n;
  }

  get capacity(): number {
    return this.deadlines.length;
  }

  /** Adds an entry. `id` is a uint32 (e.g. a TCB slot index); `deadline` an integer µs Instant. */
  push(deadline: Instant, id: number): void {
    if (this.n === this.deadlines.length) this.grow();
    this.siftUp(this.n++, deadline, id >>> 0);
  }

  /** The earliest deadline, or undefined when empty. */
  peek(): Instant | undefined {
    return this.n === 0 ? undefined : (this.deadlines[0]! as Instant);
  }

  /** The id of the earliest entry, or -1 when empty. */
  peekId(): number {
    return this.n === 0 ? -1 : this.ids[0]!;
  }

  /** Removes the earliest entry and returns its id (-1 when empty); its deadline goes to `poppedDeadline`. */
  pop(): number {
    if (this.n === 0) return -1;
    const id = this.ids[0]!;
    this.poppedDeadline = this.deadlines[0]! as Instant;
    const last = --this.n;
    if (last > 0) this.siftDown(0, this.deadlines[last]!, this.ids[last]!);
    return id;
  }

  /** Pops stale entries off the top; returns the earliest live deadline (undefined when none). */
  prune(isLive: IsLive): Instant | undefined {
    while (this.n > 0 && !isLive(this.deadlines[0]! as Instant, this.ids[0]!)) this.pop();
    return this.peek();
  }

  /** Drops every stale entry in O(n) and restores the heap order; returns how many were dropped. */
  compact(isLive: IsLive): number {
    const d = this.deadlines;
    const ids = this.ids;
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      if (isLive(d[i]! as Instant, ids[i]!)) {
        d[k] = d[i]!;
        ids[k] = ids[i]!;
        k++;
      }
    }
    const dropped = this.n - k;
    this.n = k;
    for (let i = (k >>> 1) - 1; i >= 0; i--) this.siftDown(i, d[i]!, ids[i]!);
    return dropped;
  }

  clear(): void {
    this.n = 0;
  }

  private grow(): void {
    const cap = this.deadlines.length * 2;
    const d = new Float64Array(cap);
    const ids = new Uint32Array(cap);
    d.set(this.deadlines);
    ids.set(this.ids);
    this.deadlines = d;
    this.ids = ids;
  }

  /** Places (deadline, id) at hole `i`, moving parents down while they are later. */
  private siftUp(i: number, deadline: number, id: number): void {
    const d = this.deadlines;
    const ids = this.ids;
    while (i > 0) {
      const p = (i - 1) >>> 1;
      const pd = d[p]!;
      if (pd < deadline || (pd === deadline && ids[p]! <= id)) break;
      d[i] = pd;
      ids[i] = ids[p]!;
      i = p;
    }
    d[i] = deadline;
    ids[i] = id;
  }

  /** Places (deadline, id) at hole `i`, moving the earlier child up while it is earlier. */
  private siftDown(i: number, deadline: number, id: number): void {
    const d = this.deadlines;
    const ids = this.ids;
    const n = this.n;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (d[r]! < d[c]! || (d[r] === d[c] && ids[r]! < ids[c]!))) c = r;
      const cd = d[c]!;
      if (deadline < cd || (deadline === cd && id <= ids[c]!)) break;
      d[i] = cd;
      ids[i] = ids[c]!;
      i = c;
    }
    d[i] = deadline;
    ids[i] = id;
  }
}
