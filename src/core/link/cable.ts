/**
 * `MemoryCable`: two connected link ends, `a` and `b`. What one end transmits the other receives,
 * in order, after an optional one-way delay and, with a rate limit, after its serialization time
 * (frames queue behind each other like on a real wire). Each direction has its own bounded queue;
 * a full queue refuses the frame (`transmit` returns false, counted in `txQueueFull`).
 *
 * Timing, per direction, in integer microseconds:
 *   start   = max(now, wire busy until)         (frames leave in order)
 *   busy    = start + ceil(len * 8e6 / rateBps) (0 without a rate limit)
 *   arrival = busy + delayUs
 *
 * Checksums: nothing on a memory cable corrupts bytes, so by default it offers `checksumOffload`
 * (the stack may skip filling and verifying checksums); wrap it in a `FaultInjector` with
 * corruption to get a link that needs checksums.
 */
import { earliest, type Instant } from '../time/time.js';
import { capabilities, Frame, type Link, type LinkCapabilities, LinkStats, maxFrameLen } from './link.js';
import { FrameQueue, serializationUs } from './queue.js';

/** Timing of one direction of a cable. */
export interface CableDirection {
  /** One-way propagation delay (µs). Default 0. */
  delayUs?: number;
  /** Bits per second; undefined or 0 = unlimited. */
  rateBps?: number;
  /** Frames queued or in flight at once. Default 256. */
  queueFrames?: number;
}

export interface CableOptions extends CableDirection, Partial<LinkCapabilities> {
  /** Overrides for the a→b direction. */
  ab?: CableDirection;
  /** Overrides for the b→a direction. */
  ba?: CableDirection;
}

const DEFAULT_QUEUE_FRAMES = 256;

/** One end of a cable: transmits into `out`, receives from `in`. */
export class CableEnd implements Link {
  readonly stats = new LinkStats();
  private readonly frame = new Frame();
  private busyUntil = 0;

  constructor(
    readonly caps: LinkCapabilities,
    private readonly out: FrameQueue,
    private readonly inq: FrameQueue,
    private readonly delayUs: number,
    private readonly rateBps: number,
  ) {}

  transmit(buf: Uint8Array, off: number, len: number, now: Instant): boolean {
    const q = this.out;
    if (len <= 0 || len > q.maxFrameLen) {
      this.stats.txOversize++;
      return false;
    }
    if (q.full) {
      this.stats.txQueueFull++;
      return false;
    }
    const start = now > this.busyUntil ? now : this.busyUntil;
    const busy = start + serializationUs(len, this.rateBps);
    if (q.push(buf, off, len, (busy + this.delayUs) as Instant) < 0) {
      this.stats.txQueueFull++;
      return false;
    }
    this.busyUntil = busy;
    this.stats.txFrames++;
    this.stats.txBytes += len;
    return true;
  }

  receive(now: Instant): Frame | undefined {
    if (!this.inq.pop(now, this.frame)) return undefined;
    this.stats.rxFrames++;
    this.stats.rxBytes += this.frame.len;
    return this.frame;
  }

  pollAt(): Instant | undefined {
    return this.inq.headAt();
  }

  /** Frames on their way to this end (in flight or waiting to be received). */
  get pending(): number {
    return this.inq.length;
  }
}

export class MemoryCable {
  readonly caps: LinkCapabilities;
  readonly a: CableEnd;
  readonly b: CableEnd;
  /** Queue of the a→b direction (its pool shows the steady-state slot use). */
  readonly abQueue: FrameQueue;
  readonly baQueue: FrameQueue;

  constructor(opts: CableOptions = {}) {
    this.caps = capabilities({ checksumOffload: true, ...opts });
    const ab = { ...pick(opts), ...opts.ab };
    const ba = { ...pick(opts), ...opts.ba };
    const len = maxFrameLen(this.caps);
    const pad = this.caps.medium === 'ethernet' ? 2 : 0;
    this.abQueue = new FrameQueue(ab.queueFrames ?? DEFAULT_QUEUE_FRAMES, len, pad);
    this.baQueue = new FrameQueue(ba.queueFrames ?? DEFAULT_QUEUE_FRAMES, len, pad);
    this.a = new CableEnd(this.caps, this.abQueue, this.baQueue, ab.delayUs ?? 0, ab.rateBps ?? 0);
    this.b = new CableEnd(this.caps, this.baQueue, this.abQueue, ba.delayUs ?? 0, ba.rateBps ?? 0);
  }

  /** The earliest arrival of any frame still in the cable, either way (undefined when empty). */
  nextArrivalAt(): Instant | undefined {
    return earliest(this.abQueue.headAt(), this.baQueue.headAt());
  }

  /** Frames delivered so far, both directions. */
  get delivered(): number {
    return this.a.stats.rxFrames + this.b.stats.rxFrames;
  }

  /** Frames in the cable, both directions. */
  get inFlight(): number {
    return this.abQueue.length + this.baQueue.length;
  }
}

function pick(o: CableDirection): CableDirection {
  const d: CableDirection = {};
  if (o.delayUs !== undefined) d.delayUs = o.delayUs;
  if (o.rateBps !== undefined) d.rateBps = o.rateBps;
  if (o.queueFrames !== undefined) d.queueFrames = o.queueFrames;
  return d;
}
