/**
 * `FaultInjector`: middleware that damages traffic on purpose, seeded through an `Rng`, so that
 * the same seed and the same input give the same output, frame for frame and microsecond for
 * microsecond. Settings are per direction (`tx`: what the owner transmits, `rx`: what it receives).
 *
 * Faults, decided per frame in this order (each draws from the direction's own generator only when
 * its setting is non-zero):
 * - loss: the frame vanishes (a transmit still reports success, as on a real wire);
 * - duplication: a second copy follows the first;
 * - corruption (per copy): one random bit is flipped, at or after `corruptFrom` (default: past the
 *   Ethernet header, which a real link's FCS would have protected; 0 for IP links). The receiver's
 *   IP/TCP/UDP checksums must catch it; flips in IPv6 header fields no checksum covers (traffic
 *   class, flow label, hop limit) are the known exception. While corruption is configured the
 *   injector's `caps.checksumOffload` is false;
 * - reordering: the frame is held back and released right after the next frame (or on its own
 *   after `reorderMaxHoldUs` when no next frame comes);
 * - delay/jitter/rate: the frame is released at `departure + delayUs + uniform[0, jitterUs]`, where
 *   departure follows a serializer of `rateBps` (frames queue behind each other); release times
 *   never decrease, so jitter does not reorder (that is what `reorder` is for).
 *
 * A direction with every setting zero passes frames straight through; one with only loss (and, on
 * transmit, duplication) calls the link below directly; otherwise frames wait in the injector's own bounded
 * queue (a full queue refuses a transmit, or leaves received frames in the link below).
 */
import type { Rng } from '../rand/rng.js';
import type { Instant } from '../time/time.js';
import { Frame, type Link, type LinkCapabilities, LinkStats, maxFrameLen } from './link.js';
import { FrameQueue, serializationUs } from './queue.js';

export interface FaultSettings {
  /** Probability in [0, 1] that a frame is lost. */
  loss?: number;
  /** Probability that a frame is sent twice. */
  duplicate?: number;
  /** Probability that a copy gets one bit flipped. */
  corrupt?: number;
  /** First byte that corruption may touch. Default 14 on Ethernet links, 0 on IP links. */
  corruptFrom?: number;
  /** Probability that a frame is held back behind the next one. */
  reorder?: number;
  /** Longest a held-back frame waits for a next frame (µs). Default 10 ms. */
  reorderMaxHoldUs?: number;
  /** Extra one-way delay (µs). */
  delayUs?: number;
  /** Extra delay uniform in [0, jitterUs] (µs). */
  jitterUs?: number;
  /** Rate limit in bits per second (0 = none). */
  rateBps?: number;
  /** Frames the injector may hold per direction. Default 256. */
  queueFrames?: number;
}

export interface FaultOptions extends FaultSettings {
  /** Overrides for frames the owner transmits. */
  tx?: FaultSettings;
  /** Overrides for frames the owner receives. */
  rx?: FaultSettings;
}

/** What the injector did, per direction. */
export class FaultCounters {
  /** Frames that entered this direction. */
  frames = 0;
  lost = 0;
  duplicated = 0;
  corrupted = 0;
  /** Frames released behind a later frame. */
  reordered = 0;
  /** Frames released later than they entered. */
  delayed = 0;
  /** Frames refused because the injector's queue was full (or too long for the link). */
  queueFull = 0;
  /** Frames the link below refused on their way out (tx only). */
  downstreamDrops = 0;
}

const DEFAULT_HOLD_US = 10_000;
const DEFAULT_QUEUE = 256;

/** One direction: decisions, the delay queue and the held-back frame. */
class FaultStage {
  readonly counters = new FaultCounters();
  readonly active: boolean;
  /** Needs the queue (anything but loss and duplication). */
  readonly queued: boolean;
  readonly q: FrameQueue | undefined;
  private readonly loss: number;
  private readonly dup: number;
  private readonly corrupt: number;
  private readonly corruptFrom: number;
  private readonly reorder: number;
  private readonly holdUs: number;
  private readonly delayUs: number;
  private readonly jitterUs: number;
  private readonly rateBps: number;
  private busyUntil = 0;
  private heldId = -1;
  private heldLen = 0;
  private heldUntil = 0;

  constructor(
    s: FaultSettings,
    private readonly rng: Rng,
    frameLen: number,
    defaultCorruptFrom: number,
    receiveSide: boolean,
  ) {
    this.loss = s.loss ?? 0;
    this.dup = s.duplicate ?? 0;
    this.corrupt = s.corrupt ?? 0;
    this.corruptFrom = s.corruptFrom ?? defaultCorruptFrom;
    this.reorder = s.reorder ?? 0;
    this.holdUs = s.reorderMaxHoldUs ?? DEFAULT_HOLD_US;
    this.delayUs = s.delayUs ?? 0;
    this.jitterUs = s.jitterUs ?? 0;
    this.rateBps = s.rateBps ?? 0;
    // A received frame is borrowed from the link below, so duplicating it needs the queue's copy.
    this.queued =
      this.corrupt > 0 ||
      this.reorder > 0 ||
      this.delayUs > 0 ||
      this.jitterUs > 0 ||
      this.rateBps > 0 ||
      (receiveSide && this.dup > 0);
    this.active = this.queued || this.loss > 0 || this.dup > 0;
    // Extra slots: the borrowed frame and the held-back one.
    this.q = this.queued ? new FrameQueue(s.queueFrames ?? DEFAULT_QUEUE, frameLen, 2, 2) : undefined;
  }

  /** Loss decision for the unqueued path: 0, 1 or 2 copies to send. */
  copies(): number {
    this.counters.frames++;
    if (this.loss > 0 && this.rng.nextFloat() < this.loss) {
      this.counters.lost++;
      return 0;
    }
    if (this.dup > 0 && this.rng.nextFloat() < this.dup) {
      this.counters.duplicated++;
      return 2;
    }
    return 1;
  }

  /** Puts a frame through the faults into the queue. False: refused (queue full). */
  input(buf: Uint8Array, off: number, len: number, now: Instant): boolean {
    const q = this.q!;
    const c = this.counters;
    c.frames++;
    if (len <= 0 || len > q.maxFrameLen) {
      c.queueFull++;
      return false;
    }
    if (this.loss > 0 && this.rng.nextFloat() < this.loss) {
      c.lost++;
      return true;
    }
    const dup = this.dup > 0 && this.rng.nextFloat() < this.dup;
    const hold = this.reorder > 0 && this.heldId < 0 && this.rng.nextFloat() < this.reorder;
    const needed = (dup ? 2 : 1) - (hold ? 1 : 0) + (this.heldId >= 0 ? 1 : 0);
    if (q.capacity - q.length < needed) {
      c.queueFull++;
      return false;
    }
    if (dup) c.duplicated++;
    let first = true;
    if (hold) {
      const id = q.takeSlot();
      if (id >= 0) {
        const b = q.slotBuffer(id);
        const o = q.slotOffset(id);
        b.set(buf.subarray(off, off + len), o);
        this.maybeCorrupt(b, o, len);
        this.heldId = id;
        this.heldLen = len;
        this.heldUntil = now + this.holdUs;
        first = false;
      }
    }
    if (first) this.enqueue(buf, off, len, now);
    if (dup) this.enqueue(buf, off, len, now);
    if (!hold && this.heldId >= 0) {
      c.reordered++;
      this.releaseHeld(now);
    }
    return true;
  }

  /** Releases a held frame whose wait has expired. */
  flush(now: Instant): void {
    if (this.heldId < 0 || this.heldUntil > now) return;
    const q = this.q!;
    if (q.full) {
      q.pool.free(this.heldId);
      this.heldId = -1;
      this.counters.queueFull++;
      return;
    }
    this.releaseHeld(this.heldUntil as Instant);
  }

  pollAt(): Instant | undefined {
    const h = this.q?.headAt();
    if (this.heldId < 0) return h;
    return h === undefined || this.heldUntil < h ? (this.heldUntil as Instant) : h;
  }

  private releaseHeld(now: Instant): void {
    this.q!.pushSlot(this.heldId, this.heldLen, this.departure(this.heldLen, now));
    this.heldId = -1;
  }

  private enqueue(buf: Uint8Array, off: number, len: number, now: Instant): void {
    const q = this.q!;
    const id = q.push(buf, off, len, this.departure(len, now));
    if (id >= 0) this.maybeCorrupt(q.slotBuffer(id), q.slotOffset(id), len);
  }

  private maybeCorrupt(b: Uint8Array, o: number, len: number): void {
    if (this.corrupt > 0 && this.rng.nextFloat() < this.corrupt) {
      const from = this.corruptFrom < len ? this.corruptFrom : 0;
      const bit = this.rng.nextInt(from * 8, len * 8);
      b[o + (bit >>> 3)]! ^= 1 << (bit & 7);
      this.counters.corrupted++;
    }
  }

  /** Release instant of a frame of `len` bytes entering at `now` (advances the serializer). */
  private departure(len: number, now: Instant): Instant {
    const q = this.q!;
    const start = now > this.busyUntil ? now : this.busyUntil;
    this.busyUntil = start + serializationUs(len, this.rateBps);
    let at = this.busyUntil + this.delayUs;
    if (this.jitterUs > 0) at += this.rng.nextInt(0, this.jitterUs + 1);
    if (at < q.lastAt) at = q.lastAt;
    if (at > now) this.counters.delayed++;
    return at as Instant;
  }
}

export class FaultInjector implements Link {
  readonly caps: LinkCapabilities;
  /** Frames taken by `transmit` and handed out by `receive` at this layer. */
  readonly stats = new LinkStats();
  private readonly txs: FaultStage;
  private readonly rxs: FaultStage;
  private readonly frame = new Frame();
  private readonly scratch = new Frame();

  /** Two independent streams are forked from `rng` (one per direction). */
  constructor(
    readonly inner: Link,
    rng: Rng,
    opts: FaultOptions = {},
  ) {
    const len = maxFrameLen(inner.caps);
    const from = inner.caps.medium === 'ethernet' ? 14 : 0;
    const tx = { ...opts, ...opts.tx };
    const rx = { ...opts, ...opts.rx };
    this.txs = new FaultStage(tx, rng.fork(), len, from, false);
    this.rxs = new FaultStage(rx, rng.fork(), len, from, true);
    const corrupts = (tx.corrupt ?? 0) > 0 || (rx.corrupt ?? 0) > 0;
    this.caps = { ...inner.caps, checksumOffload: inner.caps.checksumOffload && !corrupts };
  }

  get tx(): FaultCounters {
    return this.txs.counters;
  }

  get rx(): FaultCounters {
    return this.rxs.counters;
  }

  transmit(buf: Uint8Array, off: number, len: number, now: Instant): boolean {
    const s = this.txs;
    let ok: boolean;
    if (!s.active) {
      ok = this.inner.transmit(buf, off, len, now);
    } else if (!s.queued) {
      const n = s.copies();
      ok = true;
      for (let i = 0; i < n; i++) {
        if (!this.inner.transmit(buf, off, len, now)) {
          if (i === 0) ok = false;
          else s.counters.downstreamDrops++;
        }
      }
    } else {
      ok = s.input(buf, off, len, now);
      this.flushTx(now);
    }
    if (ok) {
      this.stats.txFrames++;
      this.stats.txBytes += len;
    } else if (len > maxFrameLen(this.caps) || len <= 0) this.stats.txOversize++;
    else this.stats.txQueueFull++;
    return ok;
  }

  receive(now: Instant): Frame | undefined {
    if (this.txs.queued) this.flushTx(now);
    const s = this.rxs;
    let f: Frame | undefined;
    if (!s.active) {
      f = this.inner.receive(now);
    } else if (!s.queued) {
      for (;;) {
        f = this.inner.receive(now);
        if (f === undefined) break;
        if (s.copies() !== 0) break; // only loss here: duplication on receive goes through the queue
      }
    } else {
      const q = s.q!;
      s.flush(now);
      while (q.capacity - q.length >= 3) {
        const g = this.inner.receive(now);
        if (g === undefined) break;
        s.input(g.buf, g.off, g.len, now);
      }
      f = q.pop(now, this.frame) ? this.frame : undefined;
    }
    if (f !== undefined) {
      this.stats.rxFrames++;
      this.stats.rxBytes += f.len;
    }
    return f;
  }

  pollAt(): Instant | undefined {
    let t = this.txs.pollAt();
    const r = this.rxs.pollAt();
    if (r !== undefined && (t === undefined || r < t)) t = r;
    const q = this.rxs.q;
    if (q === undefined || q.capacity - q.length >= 3) {
      const i = this.inner.pollAt();
      if (i !== undefined && (t === undefined || i < t)) t = i;
    }
    return t;
  }

  private flushTx(now: Instant): void {
    const s = this.txs;
    const q = s.q!;
    s.flush(now);
    const f = this.scratch;
    while (q.pop(now, f)) {
      if (!this.inner.transmit(f.buf, f.off, f.len, now)) s.counters.downstreamDrops++;
    }
    q.release();
  }
}
