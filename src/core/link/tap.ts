/**
 * `PcapTap` and `Tracer`: pass-through middleware that record every frame each way.
 *
 * Both see a transmitted frame only if the link below took it (what entered the wire) and a
 * received frame when the owner pulls it, stamped with the `now` of that call.
 */
import { type CaptureWriter, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../pcap/common.js';
import { formatInstant, type Instant } from '../time/time.js';
import type { Frame, Link, LinkCapabilities, LinkStats } from './link.js';

/** Which directions a tap records. */
export type TapDirection = 'both' | 'tx' | 'rx';

/** The pcap link type for frames of a link (Ethernet, or raw IP for `ip` links). */
export function pcapLinkType(caps: LinkCapabilities): number {
  return caps.medium === 'ethernet' ? LINKTYPE_ETHERNET : LINKTYPE_RAW;
}

export class PcapTap implements Link {
  private readonly tx: boolean;
  private readonly rx: boolean;

  /** `writer` should have been opened with `pcapLinkType(inner.caps)`. */
  constructor(
    readonly inner: Link,
    private readonly writer: CaptureWriter,
    direction: TapDirection = 'both',
  ) {
    this.tx = direction !== 'rx';
    this.rx = direction !== 'tx';
  }

  get caps(): LinkCapabilities {
    return this.inner.caps;
  }

  get stats(): LinkStats {
    return this.inner.stats;
  }

  transmit(buf: Uint8Array, off: number, len: number, now: Instant): boolean {
    if (!this.inner.transmit(buf, off, len, now)) return false;
    if (this.tx) this.writer.writeAt(now, buf, off, len);
    return true;
  }

  receive(now: Instant): Frame | undefined {
    const f = this.inner.receive(now);
    if (f !== undefined && this.rx) this.writer.writeAt(now, f.buf, f.off, f.len);
    return f;
  }

  pollAt(): Instant | undefined {
    return this.inner.pollAt();
  }
}

/** Turns a frame into one line of text (e.g. `printFrame` from core/wire/print). */
export type FrameFormatter = (buf: Uint8Array, off: number, len: number, caps: LinkCapabilities) => string;

/** Where trace lines go. */
export type LineSink = (line: string) => void;

/** A fallback formatter: the length and the first 32 bytes in hex. */
export function hexSummary(buf: Uint8Array, off: number, len: number): string {
  const n = Math.min(len, 32);
  let s = `len ${len}`;
  if (n > 0) s += ' ';
  for (let i = 0; i < n; i++) s += buf[off + i]!.toString(16).padStart(2, '0');
  if (n < len) s += '…';
  return s;
}

/**
 * Emits one line per frame: `<seconds.micros> <name> > <formatted>` for transmit and `<` for
 * receive. Formatting allocates strings; it is a debugging aid, not a hot-path component.
 */
export class Tracer implements Link {
  /** Lines emitted. */
  lines = 0;

  constructor(
    readonly inner: Link,
    private readonly emit: LineSink,
    private readonly format: FrameFormatter = hexSummary,
    private readonly name = '',
  ) {}

  get caps(): LinkCapabilities {
    return this.inner.caps;
  }

  get stats(): LinkStats {
    return this.inner.stats;
  }

  transmit(buf: Uint8Array, off: number, len: number, now: Instant): boolean {
    if (!this.inner.transmit(buf, off, len, now)) return false;
    this.line(now, '>', buf, off, len);
    return true;
  }

  receive(now: Instant): Frame | undefined {
    const f = this.inner.receive(now);
    if (f !== undefined) this.line(now, '<', f.buf, f.off, f.len);
    return f;
  }

  pollAt(): Instant | undefined {
    return this.inner.pollAt();
  }

  private line(now: Instant, dir: string, buf: Uint8Array, off: number, len: number): void {
    const who = this.name === '' ? '' : `${this.name} `;
    this.lines++;
    this.emit(`${formatInstant(now)} ${who}${dir} ${this.format(buf, off, len, this.inner.caps)}`);
  }
}
