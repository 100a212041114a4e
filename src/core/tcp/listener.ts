/**
 * `TcpListener`: a socket in LISTEN (RFC 9293 §3.10.7.2) with Linux's two queues.
 *
 * - SYN queue: connections in SYN-RECEIVED created from a SYN (`Tcb.fromSyn`); they live in the
 *   layer's connection table and only count here. Linux bounds it by the backlog
 *   (`inet_csk_reqsk_queue_is_full`); without SYN cookies a SYN finding it full is dropped.
 * - Accept queue: connections that completed the handshake, waiting for `accept()`. Full means
 *   more than `backlog` entries (Linux's `sk_acceptq_is_full`); then a new SYN is dropped, and the
 *   final ACK of a handshake is dropped (the SYN-ACK is retransmitted later) or, with
 *   `tcp_abort_on_overflow`, answered with a reset.
 *
 * The backlog is clamped to `net.core.somaxconn` as listen(2) does.
 */
import { LINUX } from '../socket/linux.js';
import type { TcpSocketOptions } from './config.js';
import type { Tcb } from './tcb.js';

/** What a listener needs to know of a connection it spawned (implemented by the layer). */
export interface ListenerChild {
  readonly tcb: Tcb;
}

export class TcpListener {
  /** Handshakes in progress (SYN-RECEIVED children). */
  synQueueLen = 0;
  /** Chains listeners of one bucket (the layer's table). */
  next: TcpListener | undefined = undefined;
  /** Closed listeners take no SYNs; the layer unhashes them. */
  closed = false;
  /** SYNs dropped because a queue was full (Linux ListenOverflows / ListenDrops). */
  overflows = 0;
  drops = 0;

  private readonly queue: ListenerChild[] = [];
  private head = 0;

  constructor(
    /** Local address as the table keeps it: IPv4 number, 16-byte IPv6, `0` / `::` for any. */
    readonly v4: boolean,
    readonly local4: number,
    readonly local6: Uint8Array,
    readonly port: number,
    readonly backlog: number,
    /** Any-address listener: which families it takes (`::` takes IPv4 unless v6only). */
    readonly wildcard: boolean,
    readonly v6only: boolean,
    /** Socket options children inherit (buffers, TCP_NODELAY, TCP_MAXSEG). */
    readonly options: TcpSocketOptions,
  ) {}

  /** Connections waiting for `accept()`. */
  get acceptQueueLen(): number {
    return this.queue.length - this.head;
  }

  /** Linux's `sk_acceptq_is_full`: more than `backlog` connections wait. */
  get acceptQueueFull(): boolean {
    return this.acceptQueueLen > this.backlog;
  }

  /** Linux's `inet_csk_reqsk_queue_is_full`. */
  get synQueueFull(): boolean {
    return this.synQueueLen >= this.backlog;
  }

  /** A handshake completed: the child waits for `accept()`. */
  enqueue(child: ListenerChild): void {
    this.queue.push(child);
  }

  /** The oldest established connection, or undefined when none waits. */
  accept(): Tcb | undefined {
    if (this.head >= this.queue.length) return undefined;
    const c = this.queue[this.head]!;
    this.queue[this.head] = undefined as unknown as ListenerChild;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return c.tcb;
  }

  /** Children still queued (for close: they are reset). */
  drain(): Tcb[] {
    const out: Tcb[] = [];
    for (let t = this.accept(); t !== undefined; t = this.accept()) out.push(t);
    return out;
  }

  /** poll() events of a listening socket: EPOLLIN when a connection can be accepted. */
  pollEvents(): number {
    return this.acceptQueueLen > 0 ? LINUX.EPOLLIN | LINUX.EPOLLRDNORM : 0;
  }

  get readable(): boolean {
    return this.acceptQueueLen > 0;
  }
}
