/**
 * Readiness sources: how an adapter learns that its file descriptor has input without blocking.
 *
 * - `UvPollReadiness`: the event loop's own poll (libuv `uv_poll_t`) through koffi's public
 *   `koffi.node.poll`; level-triggered, no latency, no idle cost.
 * - `TimerReadiness`: the fallback. It calls `check()` on `setImmediate` while input keeps coming
 *   and backs off (doubling, up to `maxIdleMs`) while the descriptor stays idle.
 *
 * `onReady` returns whether it found input; the timer source uses that to reset its backoff.
 */
import koffi from 'koffi';
import type * as K from 'koffi';

export interface Readiness {
  /** Starts calling `onReady` when the descriptor may be readable. */
  start(onReady: () => boolean): void;
  /** Stops calling; `start` may be called again. */
  stop(): void;
  /** Releases the source for good. */
  close(): void;
  /** Lets the process exit while the source waits. */
  unref(): void;
  readonly kind: 'uv-poll' | 'timer';
}

export class UvPollReadiness implements Readiness {
  readonly kind = 'uv-poll';
  private handle: K.node.PollHandle | undefined;
  private unrefd = false;

  constructor(private readonly fd: number) {}

  start(onReady: () => boolean): void {
    // koffi 3 calls back with (status, events) although its typings declare (events) alone.
    const cb = ((a: number | K.node.PollEvents, b?: K.node.PollEvents): void => {
      const ev = typeof a === 'object' ? a : b;
      if (ev === undefined || ev.readable || ev.disconnect) onReady();
    }) as (ev: K.node.PollEvents) => void;
    if (this.handle === undefined) {
      this.handle = koffi.node.poll(this.fd, { readable: true }, cb);
      if (this.unrefd) this.handle.unref();
    } else {
      this.handle.start({ readable: true }, cb);
    }
  }

  stop(): void {
    this.handle?.stop();
  }

  close(): void {
    this.handle?.stop();
    this.handle?.close();
    this.handle = undefined;
  }

  unref(): void {
    this.unrefd = true;
    this.handle?.unref();
  }
}

export interface TimerReadinessOptions {
  /** Longest sleep between checks while idle. Default 5 ms. */
  maxIdleMs?: number;
}

export class TimerReadiness implements Readiness {
  readonly kind = 'timer';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private onReady: (() => boolean) | undefined;
  private idleMs = 0;
  private unrefd = false;
  private readonly maxIdleMs: number;
  private readonly tick = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    const cb = this.onReady;
    if (cb === undefined) return;
    if (cb()) this.idleMs = 0;
    else this.idleMs = this.idleMs === 0 ? 1 : Math.min(this.maxIdleMs, this.idleMs * 2);
    if (this.onReady !== undefined) this.schedule();
  };

  constructor(opts: TimerReadinessOptions = {}) {
    this.maxIdleMs = opts.maxIdleMs ?? 5;
  }

  start(onReady: () => boolean): void {
    this.onReady = onReady;
    this.idleMs = 0;
    if (this.timer === undefined && this.immediate === undefined) this.schedule();
  }

  stop(): void {
    this.onReady = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  close(): void {
    this.stop();
  }

  unref(): void {
    this.unrefd = true;
    this.timer?.unref();
    this.immediate?.unref();
  }

  private schedule(): void {
    if (this.idleMs === 0) {
      this.immediate = setImmediate(this.tick);
      if (this.unrefd) this.immediate.unref();
    } else {
      this.timer = setTimeout(this.tick, this.idleMs);
      if (this.unrefd) this.timer.unref();
    }
  }
}

/** The event-loop poll when koffi offers it, else the timer fallback. */
export function defaultReadiness(fd: number): Readiness {
  const node = (koffi as { node?: { poll?: unknown } }).node;
  if (node !== undefined && typeof node.poll === 'function') return new UvPollReadiness(fd);
  return new TimerReadiness();
}
