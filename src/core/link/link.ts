/**
 * The `Link` contract: what a stack's interface transmits into and receives from. Memory cables,
 * TUN/TAP adapters and the middleware (pcap tap, tracer, fault injector) all implement it, and
 * middleware wraps another `Link`, so they stack: `new Tracer(new PcapTap(new FaultInjector(end)))`.
 *
 * Transmit is a call with a borrowed frame `(buf, off, len)`: the link copies it (exactly once per
 * hop, into a preallocated slot) before returning, so the caller may reuse its buffer at once.
 * `false` means the frame was not taken (queue full, oversize); the link counts it.
 *
 * Receive is pull-based: the owner calls `receive(now)` until it returns `undefined`. Why pull and
 * not a callback:
 * - no re-entrancy: a stack that transmits while handling a frame cannot recurse into its peer
 *   through a cable, and the order of events stays that of the owner's poll loop (deterministic);
 * - backpressure comes for free: the stack reads as many frames per wake-up as it wants and the
 *   rest wait in the link's bounded queue;
 * - zero copy on the receive side: the returned `Frame` points into the link's own slot and stays
 *   valid until the next `receive` call on the same link (the slot is not reused before that).
 *
 * Links that defer work (a delayed frame, a rate-limited queue, a held-back reordered frame)
 * report the earliest instant they need attention in `pollAt()`; the owner must call `receive(now)`
 * once that instant has come, which also performs due deferred transmit work. The owner folds
 * `pollAt()` into its own deadline (see `Pollable` in endpoint.ts).
 */
import type { Instant } from '../time/time.js';

/** What a link carries: Ethernet frames (TAP, bridges) or bare IP packets (TUN). */
export type Medium = 'ethernet' | 'ip';

/** Length of an Ethernet II header (no VLAN tag, no FCS). */
export const ETH_HEADER_LEN = 14;

export interface LinkCapabilities {
  readonly medium: Medium;
  /** Largest IP packet the link carries (without any Ethernet header). */
  readonly mtu: number;
  /** The link takes IP packets larger than the MTU (up to `maxTsoBytes`) and segments them itself. */
  readonly tso: boolean;
  /** Largest IP packet accepted when `tso` is set (≤ 65535 for IPv4). */
  readonly maxTsoBytes: number;
  /**
   * Checksums need not be filled in on transmit nor verified on receive: nothing on this link can
   * corrupt bytes (memory cable) or the far end fills/verifies them (TUN with offloads).
   */
  readonly checksumOffload: boolean;
}

/** The longest frame a link with these capabilities accepts (IP packet plus Ethernet header). */
export function maxFrameLen(caps: LinkCapabilities): number {
  const ip = caps.tso ? Math.max(caps.mtu, caps.maxTsoBytes) : caps.mtu;
  return ip + (caps.medium === 'ethernet' ? ETH_HEADER_LEN : 0);
}

/** A received frame: `buf[off, off + len)`, borrowed until the next `receive` on the same link. */
export class Frame {
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  len = 0;
  /** When the frame became receivable (arrival time on a cable). */
  at = 0 as Instant;
  /**
   * For a receive-offload aggregate (GRO, a virtio-net GSO frame): the size of the segments it was
   * made of; 0 for an ordinary frame.
   */
  gsoSize = 0;
}

/** Counters every link keeps (per end; middleware keeps its own). */
export class LinkStats {
  /** Frames and bytes taken by `transmit`. */
  txFrames = 0;
  txBytes = 0;
  /** `transmit` calls refused because the queue was full (backpressure). */
  txQueueFull = 0;
  /** `transmit` calls refused because the frame was longer than `maxFrameLen(caps)` (or empty). */
  txOversize = 0;
  /** Frames and bytes handed out by `receive`. */
  rxFrames = 0;
  rxBytes = 0;

  get txDropped(): number {
    return this.txQueueFull + this.txOversize;
  }
}

export interface Link {
  readonly caps: LinkCapabilities;
  readonly stats: LinkStats;
  /** Copies `buf[off, off + len)` into the link. False: not taken (counted in `stats`). */
  transmit(buf: Uint8Array, off: number, len: number, now: Instant): boolean;
  /** The next frame receivable at `now`, borrowed until the next `receive` call; undefined when none. */
  receive(now: Instant): Frame | undefined;
  /** Earliest instant `receive` can return a frame or deferred work is due; undefined when idle. */
  pollAt(): Instant | undefined;
}

export function capabilities(c: Partial<LinkCapabilities> = {}): LinkCapabilities {
  const mtu = c.mtu ?? 1500;
  return {
    medium: c.medium ?? 'ethernet',
    mtu,
    tso: c.tso ?? false,
    maxTsoBytes: c.maxTsoBytes ?? (c.tso ? 65535 : mtu),
    checksumOffload: c.checksumOffload ?? false,
  };
}
