/**
 * `TunLink` / `TapLink`: a Linux TUN (bare IP packets) or TAP (Ethernet frames) device as a
 * `Link`. The device is opened with `TUNSETIFF` (`IFF_NO_PI`, optionally `IFF_VNET_HDR`), set
 * non-blocking, and read and written with libc `read`/`write` through koffi, one frame per call.
 *
 * Receive: a `Readiness` source (the event loop's poll by default, a backing-off timer as the
 * fallback) reports input; the link then reads frames straight into the slots of its bounded
 * `FrameQueue` (one copy, by the kernel) until the device is empty or the queue is full, and calls
 * `onInput` (wire it to `RealtimeDriver.kick`). `receive(now)` pops from that queue; `pollAt()` is
 * 0 (due at once) while frames wait. With the queue full the link stops reading and the kernel
 * holds the rest (its own queue, `txqueuelen`).
 *
 * Transmit: the frame is copied once into a scratch buffer (behind the virtio-net header when
 * there is one) and written with one `write()`; `EAGAIN` counts as a full queue.
 *
 * With `vnetHdr` (`IFF_VNET_HDR` + `TUNSETOFFLOAD` CSUM|TSO4|TSO6) the link offers checksum
 * offload and TSO up to 64 KiB: outgoing TCP/UDP packets carry NEEDS_CSUM (the kernel fills the
 * checksum), TCP packets longer than the MTU a TSO request; incoming packets were built or verified
 * by the kernel (NEEDS_CSUM / DATA_VALID / complete), so the stack need not verify them, and may
 * be GSO super-packets up to 64 KiB.
 *
 * The MTU given here must match the device's (`ip link set dev <name> mtu <n>`); the link does not
 * change it.
 */
import { capabilities, Frame, type Link, type LinkCapabilities, LinkStats, maxFrameLen } from '../../core/link/link.js';
import { FrameQueue } from '../../core/link/queue.js';
import type { Instant } from '../../core/time/time.js';
import { EAGAIN, EINTR, errnoError, F_GETFL, F_SETFL, libc, O_CLOEXEC, O_NONBLOCK, O_RDWR } from './libc.js';
import { defaultReadiness, type Readiness } from './readiness.js';
import {
  txHeader,
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_NONE,
  VNET_HDR_LEN,
  VNET_HDR_LEN_MRG,
  VnetHdr,
} from './vnet.js';

export const TUN_DEVICE = '/dev/net/tun';
export const IFF_TUN = 0x0001;
export const IFF_TAP = 0x0002;
export const IFF_NO_PI = 0x1000;
export const IFF_VNET_HDR = 0x4000;
/** _IOW('T', 202, int) */
export const TUNSETIFF = 0x400454ca;
/** _IOW('T', 208, unsigned int) */
export const TUNSETOFFLOAD = 0x400454d0;
/** _IOW('T', 216, int) */
export const TUNSETVNETHDRSZ = 0x400454d8;
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;
export const TUN_F_TSO6 = 0x04;
const IFNAMSIZ = 16;
const IFREQ_LEN = 40;

export interface TunOptions {
  /** Interface name (≤ 15 bytes; `%d` patterns allowed); default: the kernel picks `tunN`/`tapN`. */
  name?: string;
  /** IP MTU of the device. Default 1500. */
  mtu?: number;
  /** Use `IFF_VNET_HDR` with checksum and TSO offloads. Default false. */
  vnetHdr?: boolean;
  /** virtio-net header size with `vnetHdr`: 10 or 12. Default 10. */
  vnetHdrLen?: 10 | 12;
  /** With `vnetHdr`: also request TSO4/TSO6 (frames up to 64 KiB). Default true. */
  tso?: boolean;
  /** Frames buffered between the device and `receive`. Default 256 (64 with `vnetHdr`). */
  queueFrames?: number;
  /** Called after new frames were queued (wire to `RealtimeDriver.kick`). */
  onInput?: () => void;
  /** The clock stamped on received frames (`Frame.at`). Default: 0 (due at once). */
  clock?: () => Instant;
  /** The readiness source; default `defaultReadiness(fd)`. Receives the fd. */
  readiness?: (fd: number) => Readiness;
  /** Do not keep the process alive for the readiness source. Default false. */
  unref?: boolean;
}

/** Counters of the adapter beyond `LinkStats`. */
export class TunStats {
  /** `read` calls that returned a frame / found nothing (EAGAIN). */
  reads = 0;
  emptyReads = 0;
  /** Times the receive queue was full while the device may still have had input. */
  rxQueueFull = 0;
  /** Read or write errors other than EAGAIN/EINTR; the last errno. */
  readErrors = 0;
  writeErrors = 0;
  lastErrno = 0;
  /** Received frames shorter than the virtio-net header (dropped). */
  rxRunt = 0;
  /** Received with NEEDS_CSUM / DATA_VALID / a GSO type. */
  rxCsumPartial = 0;
  rxDataValid = 0;
  rxGso = 0;
  /** Sent with NEEDS_CSUM / a GSO request. */
  txCsumPartial = 0;
  txGso = 0;
  /** Readiness callbacks. */
  wakeups = 0;
}

/** Opens and configures a TUN/TAP device; returns its fd and the name the kernel gave it. */
export function openTunDevice(
  mode: 'tun' | 'tap',
  opts: { name?: string; vnetHdr?: boolean; vnetHdrLen?: number; offloads?: number } = {},
): { fd: number; name: string } {
  const c = libc();
  const fd = c.open(TUN_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const e = c.errno();
    const hint =
      e === 2
        ? ' (no TUN/TAP device node: load the tun module or pass the device into the container)'
        : e === 1 || e === 13
          ? ' (no access to the device node: run as root)'
          : '';
    throw errnoError(`open ${TUN_DEVICE}${hint}`, e);
  }
  try {
    const ifr = new Uint8Array(IFREQ_LEN);
    const name = opts.name ?? '';
    const nb = new TextEncoder().encode(name);
    if (nb.length >= IFNAMSIZ) throw new RangeError(`interface name too long: ${name}`);
    ifr.set(nb, 0);
    const flags = (mode === 'tun' ? IFF_TUN : IFF_TAP) | IFF_NO_PI | (opts.vnetHdr ? IFF_VNET_HDR : 0);
    ifr[16] = flags & 0xff;
    ifr[17] = flags >>> 8;
    if (c.ioctlPtr(fd, TUNSETIFF, ifr) < 0) {
      const e = c.errno();
      const hint = e === 1 || e === 13 ? ' (needs CAP_NET_ADMIN: run as root)' : '';
      throw errnoError(`ioctl TUNSETIFF ${name || mode}${hint}`, e);
    }
    let n = 0;
    while (n < IFNAMSIZ && ifr[n] !== 0) n++;
    const actual = new TextDecoder().decode(ifr.subarray(0, n));
    if (opts.vnetHdr) {
      const sz = new Uint8Array(4);
      sz[0] = opts.vnetHdrLen ?? VNET_HDR_LEN;
      if (c.ioctlPtr(fd, TUNSETVNETHDRSZ, sz) < 0) throw errnoError('ioctl TUNSETVNETHDRSZ', c.errno());
      if (c.ioctlInt(fd, TUNSETOFFLOAD, opts.offloads ?? 0) < 0) throw errnoError('ioctl TUNSETOFFLOAD', c.errno());
    }
    const fl = c.fcntl(fd, F_GETFL, 0);
    if (fl < 0 || c.fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) throw errnoError('fcntl O_NONBLOCK', c.errno());
    return { fd, name: actual };
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

/** The shared TUN/TAP link; use `TunLink.open` or `TapLink.open`. */
export class TunTapLink implements Link {
  readonly caps: LinkCapabilities;
  readonly stats = new LinkStats();
  readonly tunStats = new TunStats();
  readonly fd: number;
  readonly name: string;
  /** virtio-net header bytes in front of each frame (0 without `IFF_VNET_HDR`). */
  readonly vnetLen: number;
  onInput: (() => void) | undefined;
  private readonly queue: FrameQueue;
  /** Per slot: a permanent view starting where `read` puts the virtio-net header or the frame. */
  private readonly slotViews: Uint8Array[] = [];
  private readonly readLen: number;
  private readonly tx: Uint8Array;
  private readonly frame = new Frame();
  private readonly hdr = new VnetHdr();
  private readonly rxHdr = new VnetHdr();
  private readonly readiness: Readiness;
  private readonly clock: () => Instant;
  private readonly eth: boolean;
  private closed = false;
  private readonly onReady = (): boolean => this.fill();

  protected constructor(mode: 'tun' | 'tap', opts: TunOptions) {
    const vnet = opts.vnetHdr ?? false;
    const tso = vnet && (opts.tso ?? true);
    this.vnetLen = vnet ? (opts.vnetHdrLen ?? VNET_HDR_LEN) : 0;
    if (this.vnetLen !== 0 && this.vnetLen !== VNET_HDR_LEN && this.vnetLen !== VNET_HDR_LEN_MRG) {
      throw new RangeError('vnetHdrLen must be 10 or 12');
    }
    this.eth = mode === 'tap';
    this.caps = capabilities({
      medium: this.eth ? 'ethernet' : 'ip',
      mtu: opts.mtu ?? 1500,
      tso,
      maxTsoBytes: tso ? 65535 : undefined,
      checksumOffload: vnet,
    });
    const offloads = vnet ? TUN_F_CSUM | (tso ? TUN_F_TSO4 | TUN_F_TSO6 : 0) : 0;
    const { fd, name } = openTunDevice(mode, {
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      vnetHdr: vnet,
      vnetHdrLen: this.vnetLen,
      offloads,
    });
    this.fd = fd;
    this.name = name;
    this.onInput = opts.onInput;
    this.clock = opts.clock ?? ((): Instant => 0 as Instant);
    // Received GSO packets can reach 64 KiB whatever the MTU when the device has offloads.
    const rxMax = vnet ? 65535 + (this.eth ? 14 : 0) : maxFrameLen(this.caps);
    const align = this.eth ? 2 : 0;
    const pad = this.vnetLen + ((align - this.vnetLen + 64) % 4);
    this.queue = new FrameQueue(opts.queueFrames ?? (vnet ? 64 : 256), rxMax, pad, 2);
    const pool = this.queue.pool;
    for (let id = 0; id < pool.capacity; id++) {
      this.slotViews.push(pool.buffer(id).subarray(pool.offset(id) + pad - this.vnetLen));
    }
    this.readLen = rxMax + this.vnetLen;
    this.tx = new Uint8Array(this.vnetLen + Math.max(maxFrameLen(this.caps), 65535 + 14));
    try {
      this.readiness = (opts.readiness ?? defaultReadiness)(fd);
      if (opts.unref) this.readiness.unref();
      this.readiness.start(this.onReady);
    } catch (err) {
      libc().close(fd);
      throw err;
    }
  }

  get readinessKind(): string {
    return this.readiness.kind;
  }

  transmit(buf: Uint8Array, off: number, len: number, _now: Instant): boolean {
    if (this.closed || len <= 0 || len > maxFrameLen(this.caps) || off < 0 || off + len > buf.length) {
      this.stats.txOversize++;
      return false;
    }
    const t = this.tx;
    const v = this.vnetLen;
    if (len <= 64) for (let i = 0; i < len; i++) t[v + i] = buf[off + i]!;
    else t.set(buf.subarray(off, off + len), v);
    if (v !== 0) {
      const h = this.hdr;
      txHeader(h, t, v, len, this.eth, this.caps.mtu);
      h.emit(t, 0, v);
      if (h.flags !== 0) this.tunStats.txCsumPartial++;
      if (h.gsoType !== VIRTIO_NET_HDR_GSO_NONE) this.tunStats.txGso++;
    }
    const c = libc();
    let n = c.write(this.fd, t, v + len);
    if (n < 0 && c.errno() === EINTR) n = c.write(this.fd, t, v + len);
    if (n < 0) {
      const e = c.errno();
      if (e === EAGAIN) this.stats.txQueueFull++;
      else {
        this.tunStats.writeErrors++;
        this.tunStats.lastErrno = e;
        this.stats.txOversize++;
      }
      return false;
    }
    this.stats.txFrames++;
    this.stats.txBytes += len;
    return true;
  }

  receive(_now: Instant): Frame | undefined {
    if (!this.queue.pop(Number.MAX_SAFE_INTEGER as Instant, this.frame)) return undefined;
    this.stats.rxFrames++;
    this.stats.rxBytes += this.frame.len;
    return this.frame;
  }

  pollAt(): Instant | undefined {
    return this.queue.length > 0 ? (0 as Instant) : undefined;
  }

  /** Frames read from the device and not yet received. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Reads whatever the device has into the queue (until EAGAIN or the queue is full) and calls
   * `onInput` when something came. Returns whether something came. The readiness source calls it;
   * tests may too.
   */
  fill(): boolean {
    if (this.closed) return false;
    this.tunStats.wakeups++;
    const c = libc();
    const q = this.queue;
    const at = this.clock();
    let got = 0;
    while (true) {
      if (q.full) {
        this.tunStats.rxQueueFull++;
        break;
      }
      const id = q.takeSlot();
      if (id < 0) {
        this.tunStats.rxQueueFull++;
        break;
      }
      const n = c.read(this.fd, this.slotViews[id]!, this.readLen);
      if (n <= 0) {
        const e = n < 0 ? c.errno() : 0;
        q.pool.free(id);
        if (e === EINTR) continue;
        if (e === EAGAIN) this.tunStats.emptyReads++;
        else {
          this.tunStats.readErrors++;
          this.tunStats.lastErrno = e;
        }
        break;
      }
      this.tunStats.reads++;
      const v = this.vnetLen;
      if (v !== 0) {
        if (n < v || !this.rxHdr.parse(this.slotViews[id]!, 0, n)) {
          this.tunStats.rxRunt++;
          q.pool.free(id);
          continue;
        }
        const h = this.rxHdr;
        if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0) this.tunStats.rxCsumPartial++;
        if ((h.flags & VIRTIO_NET_HDR_F_DATA_VALID) !== 0) this.tunStats.rxDataValid++;
        if (h.gsoType !== VIRTIO_NET_HDR_GSO_NONE) this.tunStats.rxGso++;
        if (n === v) {
          q.pool.free(id);
          continue;
        }
      }
      q.pushSlot(id, n - v, at);
      got++;
    }
    if (got > 0) this.onInput?.();
    return got > 0;
  }

  /** Stops reading and closes the device (the kernel removes a non-persistent interface). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.readiness.close();
    libc().close(this.fd);
  }
}

export class TunLink extends TunTapLink {
  private constructor(opts: TunOptions) {
    super('tun', opts);
  }

  /** Creates (or attaches to) a TUN device: bare IPv4/IPv6 packets, medium 'ip'. */
  static open(opts: TunOptions = {}): TunLink {
    return new TunLink(opts);
  }
}

export class TapLink extends TunTapLink {
  private constructor(opts: TunOptions) {
    super('tap', opts);
  }

  /** Creates (or attaches to) a TAP device: Ethernet frames, medium 'ethernet'. */
  static open(opts: TunOptions = {}): TapLink {
    return new TapLink(opts);
  }
}
