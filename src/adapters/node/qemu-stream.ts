/**
 * `QemuStreamLink`: an Ethernet link over QEMU's stream netdev protocol (`-netdev stream`, and the
 * older `-netdev socket` with `connect=`/`listen=`): over a UNIX or TCP stream socket, each frame
 * is sent as a 4-byte big-endian length followed by that many bytes of Ethernet frame.
 *
 * Framing survives any split of the byte stream: the length prefix is gathered byte by byte when
 * it straddles reads, and the frame body is copied straight into a slot of the bounded receive
 * `FrameQueue` as it arrives. A length of 0 or above `QEMU_STREAM_MAX_FRAME` (QEMU's own buffer
 * size) is a broken stream: the connection is closed and `streamStats.malformed` counts it. A frame
 * that is legal on the stream but longer than this link's `maxFrameLen(caps)` is skipped and
 * counted (`rxOversize`).
 *
 * Bounded buffers: when the receive queue is full the socket is paused (the peer sees TCP/UNIX
 * backpressure) and the unread rest of the current chunk is kept until `receive` frees room.
 * Transmit refuses a frame (`txQueueFull`) while more than `maxTxBytes` wait in the socket.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { capabilities, Frame, type Link, type LinkCapabilities, LinkStats, maxFrameLen } from '../../core/link/link.js';
import { FrameQueue } from '../../core/link/queue.js';
import type { Instant } from '../../core/time/time.js';

/** QEMU's NET_BUFSIZE (4096 + 65536): the longest frame its stream backend handles. */
export const QEMU_STREAM_MAX_FRAME = 4096 + 65536;

export type StreamAddress = { path: string } | { host?: string; port: number };

export interface QemuStreamOptions {
  /** IP MTU. Default 1500. */
  mtu?: number;
  /** Frames buffered between the socket and `receive`. Default 256. */
  queueFrames?: number;
  /** Bytes allowed to wait in the socket's send buffer before transmit refuses. Default 1 MiB. */
  maxTxBytes?: number;
  /** Called after new frames were queued (wire to `RealtimeDriver.kick`). */
  onInput?: () => void;
  /** Called once when the connection is gone (with the error, if any). */
  onClose?: (err?: Error) => void;
  /** The clock stamped on received frames (`Frame.at`). Default: 0 (due at once). */
  clock?: () => Instant;
}

export class QemuStreamStats {
  /** Malformed length prefixes (the connection was closed). */
  malformed = 0;
  /** Frames skipped because they exceed `maxFrameLen(caps)`. */
  rxOversize = 0;
  /** Times reading was paused because the receive queue was full. */
  rxPaused = 0;
  /** Socket errors. */
  errors = 0;
}

export class QemuStreamLink implements Link {
  readonly caps: LinkCapabilities;
  readonly stats = new LinkStats();
  readonly streamStats = new QemuStreamStats();
  onInput: (() => void) | undefined;
  onClose: ((err?: Error) => void) | undefined;
  private readonly queue: FrameQueue;
  private readonly frame = new Frame();
  private readonly maxTxBytes: number;
  private readonly clock: () => Instant;
  // Receive state: length prefix being gathered, then the body being copied.
  private readonly lenBytes = new Uint8Array(4);
  private lenHave = 0;
  /** Body bytes still expected for the current frame (-1: reading a length prefix). */
  private bodyLeft = -1;
  private bodyLen = 0;
  private slot = -1;
  /** True while the current body is being skipped (oversize). */
  private skipping = false;
  /** Unprocessed chunks while paused on a full queue (the first from `heldOff`). */
  private held: Uint8Array[] = [];
  private heldOff = 0;
  private paused = false;
  private closedFlag = false;

  constructor(
    readonly socket: Socket,
    opts: QemuStreamOptions = {},
  ) {
    this.caps = capabilities({ medium: 'ethernet', mtu: opts.mtu ?? 1500 });
    this.queue = new FrameQueue(opts.queueFrames ?? 256, maxFrameLen(this.caps), 2, 2);
    this.maxTxBytes = opts.maxTxBytes ?? 1 << 20;
    this.onInput = opts.onInput;
    this.onClose = opts.onClose;
    this.clock = opts.clock ?? ((): Instant => 0 as Instant);
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: Error) => {
      this.streamStats.errors++;
      this.finish(err);
    });
    socket.on('close', () => this.finish());
  }

  /** Connects to a QEMU (or another link) listening on `addr`. */
  static connect(addr: StreamAddress, opts: QemuStreamOptions = {}): Promise<QemuStreamLink> {
    return new Promise((resolve, reject) => {
      const s = 'path' in addr ? connect(addr.path) : connect(addr.port, addr.host ?? '127.0.0.1');
      const fail = (err: Error): void => reject(err);
      s.once('error', fail);
      s.once('connect', () => {
        s.off('error', fail);
        resolve(new QemuStreamLink(s, opts));
      });
    });
  }

  /**
   * Listens on `addr` and resolves `accepted` with a link for the first connection (later ones are
   * refused, as QEMU's server does while connected). Close `server` when done.
   */
  static listen(
    addr: StreamAddress,
    opts: QemuStreamOptions = {},
  ): Promise<{ server: Server; accepted: Promise<QemuStreamLink> }> {
    return new Promise((resolve, reject) => {
      let taken = false;
      let accept: (l: QemuStreamLink) => void = () => {};
      const accepted = new Promise<QemuStreamLink>((res) => (accept = res));
      const server = createServer((s) => {
        if (taken) {
          s.destroy();
          return;
        }
        taken = true;
        accept(new QemuStreamLink(s, opts));
      });
      server.once('error', reject);
      const ready = (): void => {
        server.off('error', reject);
        resolve({ server, accepted });
      };
      if ('path' in addr) server.listen(addr.path, ready);
      else server.listen(addr.port, addr.host ?? '127.0.0.1', ready);
    });
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Frames received from the socket and not yet handed out. */
  get pending(): number {
    return this.queue.length;
  }

  transmit(buf: Uint8Array, off: number, len: number, _now: Instant): boolean {
    if (len <= 0 || len > maxFrameLen(this.caps) || off < 0 || off + len > buf.length) {
      this.stats.txOversize++;
      return false;
    }
    if (this.closedFlag || this.socket.writableLength > this.maxTxBytes) {
      this.stats.txQueueFull++;
      return false;
    }
    const out = Buffer.allocUnsafe(4 + len);
    out.writeUInt32BE(len, 0);
    out.set(buf.subarray(off, off + len), 4);
    this.socket.write(out);
    this.stats.txFrames++;
    this.stats.txBytes += len;
    return true;
  }

  receive(_now: Instant): Frame | undefined {
    if (!this.queue.pop(Number.MAX_SAFE_INTEGER as Instant, this.frame)) {
      this.resumeIfRoom();
      return undefined;
    }
    this.stats.rxFrames++;
    this.stats.rxBytes += this.frame.len;
    this.resumeIfRoom();
    return this.frame;
  }

  pollAt(): Instant | undefined {
    return this.queue.length > 0 ? (0 as Instant) : undefined;
  }

  /** Closes the connection. */
  close(): void {
    this.socket.destroy();
    this.finish();
  }

  private finish(err?: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.held = [];
    if (this.slot >= 0) this.queue.pool.free(this.slot);
    this.slot = -1;
    this.onClose?.(err);
  }

  private resumeIfRoom(): void {
    if (!this.paused || this.queue.full || this.closedFlag) return;
    this.paused = false;
    const h = this.held;
    this.held = [];
    for (let i = 0; i < h.length; i++) {
      if (this.paused) {
        this.held.push(h[i]!);
        continue;
      }
      this.consume(h[i]!, i === 0 ? this.heldOff : 0);
    }
    if (!this.paused && !this.closedFlag) this.socket.resume();
  }

  private onData(chunk: Uint8Array): void {
    if (this.closedFlag) return;
    if (this.paused) {
      if (this.held.length === 0) this.heldOff = 0;
      this.held.push(chunk);
      return;
    }
    this.consume(chunk, 0);
  }

  /** Parses `chunk[off..]`; pauses (holding the rest) when the queue fills. */
  private consume(chunk: Uint8Array, off: number): void {
    const end = chunk.length;
    let got = 0;
    const q = this.queue;
    while (off < end && !this.closedFlag) {
      if (this.bodyLeft < 0) {
        while (this.lenHave < 4 && off < end) this.lenBytes[this.lenHave++] = chunk[off++]!;
        if (this.lenHave < 4) break;
        const b = this.lenBytes;
        const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
        if (n === 0 || n > QEMU_STREAM_MAX_FRAME) {
          this.streamStats.malformed++;
          this.socket.destroy();
          this.finish(new Error(`qemu stream: bad frame length ${n}`));
          return;
        }
        if (n > q.maxFrameLen) {
          this.skipping = true;
          this.streamStats.rxOversize++;
        } else {
          if (q.full || (this.slot = q.takeSlot()) < 0) {
            // No room: keep the length prefix and the rest of the chunk until receive frees a slot.
            this.slot = -1;
            this.pause(chunk, off);
            break;
          }
          this.skipping = false;
        }
        this.bodyLen = n;
        this.bodyLeft = n;
      }
      const take = Math.min(this.bodyLeft, end - off);
      if (!this.skipping) {
        const dst = q.slotBuffer(this.slot);
        const at = q.slotOffset(this.slot) + (this.bodyLen - this.bodyLeft);
        dst.set(chunk.subarray(off, off + take), at);
      }
      off += take;
      this.bodyLeft -= take;
      if (this.bodyLeft === 0) {
        if (!this.skipping) {
          q.pushSlot(this.slot, this.bodyLen, this.clock());
          this.slot = -1;
          got++;
        }
        this.skipping = false;
        this.bodyLeft = -1;
        this.lenHave = 0;
      }
    }
    if (got > 0) this.onInput?.();
  }

  private pause(chunk: Uint8Array, off: number): void {
    // The prefix has been read: step back so the next consume re-reads nothing and takes a slot.
    this.lenHave = 4;
    this.bodyLeft = -1;
    if (off < chunk.length) {
      this.held.unshift(chunk);
      this.heldOff = off;
    } else {
      this.heldOff = 0;
    }
    if (!this.paused) {
      this.paused = true;
      this.streamStats.rxPaused++;
      this.socket.pause();
    }
  }
}
