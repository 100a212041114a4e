/**
 * `Tcb`: one TCP connection (RFC 9293 §3.3.1), driven at segment level: the state, user calls,
 * output and timers of `TcbCore` (tcb-core.ts) plus segment arrival (input.ts).
 *
 * - Active open: `new Tcb(cfg, sink)`, then `connect(iss, now)`.
 * - Passive open: `Tcb.fromSyn(cfg, sink, syn, iss, now)` from a SYN the listener accepted.
 * - Segments: `input(seg, payload, payloadOff, now)`; timers: `pollAt()` and `poll(now)`.
 */
import type { Instant } from '../time/time.js';
import type { TcpRepr } from '../wire/tcp.js';
import type { TcpConfig } from './config.js';
import { segmentArrives } from './input.js';
import type { SegmentSink } from './segment.js';
import { TcbCore } from './tcb-core.js';

export { ReceiveSequence, SendSequence } from './tcb-core.js';

export class Tcb extends TcbCore {
  /**
   * Passive open from a received SYN (`syn`, already matched to this connection by the caller):
   * record IRS and the peer's options, answer with a SYN-ACK, enter SYN-RECEIVED.
   */
  static fromSyn(
    cfg: TcpConfig,
    sink: SegmentSink,
    syn: TcpRepr,
    iss: number,
    now: Instant,
    tsOffset = 0,
  ): Tcb {
    const t = new Tcb(cfg, sink);
    t.acceptSyn(syn, iss, now, tsOffset);
    return t;
  }

  /** A segment for this connection arrived (RFC 9293 §3.10.7). `payload[payloadOff..]` holds its data. */
  input(seg: TcpRepr, payload: Uint8Array, payloadOff: number, now: Instant): void {
    this.now = now;
    this.segsIn++;
    if (seg.payloadLen > 0) this.dataSegsIn++;
    segmentArrives(this, seg, payload, payloadOff, now);
  }
}
