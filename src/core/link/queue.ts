/**
 * `FrameQueue`: a bounded FIFO of frames, each with the instant it becomes deliverable. Frames are
 * copied once into slots of a `FramePool` (the queue holds slot ids in a ring of typed arrays), so
 * a queue in steady state allocates nothing. A popped frame stays *borrowed* (its slot is not
 * reused) until the next `pop` or `release`, which is what lets `Link.receive` hand out a view of
 * the slot without a second copy.
 */
import { FramePool } from '../storage/pool.js';
import type { Instant } from '../time/time.js';
import type { Frame } from './link.js';

const POOL_HEADROOM = 128;

export class FrameQueue {
  readonly capacity: number;
  readonly maxFrameLen: number;
  readonly pool: FramePool;
  /** Offset of the frame's first byte past the slot start (2 for Ethernet keeps IP 4-byte aligned). */
  readonly pad: number;
  private readonly ids: Int32Array;
  private readonly lens: Int32Array;
  private readonly ats: Float64Array;
  private head = 0;
  private n = 0;
  private borrowed = -1;
  /** Deliverable instant of the last pushed frame (for FIFO departure scheduling). */
  lastAt = -Infinity;
  /** Most frames queued at once. */
  highWater = 0;

  /**
   * Holds up to `capacity` frames of up to `maxFrameLen` bytes. Its pool has `capacity + extra`
   * slots: one more for the borrowed frame plus `extra - 1` the owner may take for itself.
   */
  constructor(capacity: number, maxFrameLen: number, pad = 0, extra = 1) {
    if (!(capacity >= 1) || !(maxFrameLen >= 1)) throw new RangeError('FrameQueue: capacity and frame size');
    this.capacity = Math.floor(capacity);
    this.maxFrameLen = Math.floor(maxFrameLen);
    this.pad = pad;
    this.pool = new FramePool(Math.max(POOL_HEADROOM + 1, this.maxFrameLen + pad), this.capacity + extra);
    this.ids = new Int32Array(this.capacity);
    this.lens = new Int32Array(this.capacity);
    this.ats = new Float64Array(this.capacity);
  }

  get length(): number {
    return this.n;
  }

  get full(): boolean {
    return this.n >= this.capacity;
  }

  /** Deliverable instant of the head frame, or undefined when empty. */
  headAt(): Instant | undefined {
    return this.n === 0 ? undefined : (this.ats[this.head]! as Instant);
  }

  /** Copies a frame in; returns its slot id, or -1 when full, too long or out of slots. */
  push(buf: Uint8Array, off: number, len: number, at: Instant): number {
    if (this.n >= this.capacity || len > this.maxFrameLen || len <= 0) return -1;
    const id = this.pool.alloc();
    if (id < 0) return -1;
    const dst = this.pool.buffer(id);
    const o = this.pool.offset(id) + this.pad;
    if (len <= 64) for (let i = 0; i < len; i++) dst[o + i] = buf[off + i]!;
    else dst.set(buf.subarray(off, off + len), o);
    this.pushSlot(id, len, at);
    return id;
  }

  /** Appends a slot already filled by the owner (taken with `takeSlot`); the queue must not be full. */
  pushSlot(id: number, len: number, at: Instant): void {
    const i = (this.head + this.n) % this.capacity;
    this.ids[i] = id;
    this.lens[i] = len;
    this.ats[i] = at;
    this.n++;
    this.lastAt = at;
    if (this.n > this.highWater) this.highWater = this.n;
  }

  /** A spare slot for the owner to fill (e.g. a held-back frame), or -1. */
  takeSlot(): number {
    return this.pool.alloc();
  }

  /** The buffer and offset of a slot's frame bytes. */
  slotBuffer(id: number): Uint8Array {
    return this.pool.buffer(id);
  }

  slotOffset(id: number): number {
    return this.pool.offset(id) + this.pad;
  }

  /**
   * Pops the head frame into `out` if it is deliverable at `now` (releasing the previously
   * borrowed one first). The popped slot stays borrowed until the next `pop`/`release`.
   */
  pop(now: Instant, out: Frame): boolean {
    this.release();
    if (this.n === 0) return false;
    const at = this.ats[this.head]!;
    if (at > now) return false;
    const id = this.ids[this.head]!;
    out.buf = this.pool.buffer(id);
    out.off = this.pool.offset(id) + this.pad;
    out.len = this.lens[this.head]!;
    out.at = at as Instant;
    this.borrowed = id;
    this.head = (this.head + 1) % this.capacity;
    this.n--;
    return true;
  }

  /** Returns the borrowed slot (if any) to the pool. */
  release(): void {
    if (this.borrowed >= 0) {
      this.pool.free(this.borrowed);
      this.borrowed = -1;
    }
  }
}

/**
 * Microseconds to put `len` bytes on a wire of `rateBps` bits per second, rounded up to a whole
 * microsecond (0 when there is no rate limit).
 */
export function serializationUs(len: number, rateBps: number | undefined): number {
  if (!rateBps || !(rateBps > 0)) return 0;
  return Math.ceil((len * 8 * 1_000_000) / rateBps);
}
