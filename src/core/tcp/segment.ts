/**
 * The seam between one TCP connection (`Tcb`) and the layer below it.
 *
 * A TCB never sees frames, addresses or checksums. It receives parsed segments through
 * `Tcb.input(seg, payload, payloadOff, now)` and hands segments to a `SegmentSink`, which the IP
 * layer implements: it prepends the IP header, copies the payload out of the send ring into the
 * frame, fills the checksum and queues the frame on the link.
 *
 * Nothing is committed by the TCB before the sink accepted a segment (SND.NXT, timers, the ACK
 * state only move after `send` returned true), so a sink that cannot take the segment right now
 * (no buffer, no neighbor entry yet, queue full) returns false and the TCB simply tries again at its
 * next output opportunity.
 */
import type { ByteRing } from '../storage/ring.js';
import { TcpFlag, type TcpRepr } from '../wire/tcp.js';

export interface SegmentSink {
  /**
   * Transmit `seg` (ports are the TCB's `localPort`/`remotePort`; addresses are the sink's
   * business; `seg.payloadLen === payloadLen`; the checksum is the sink's to fill). The payload is
   * `payloadLen` bytes of `payload` starting `payloadSkip` bytes past its read head (the TCB's send
   * ring, whose head is SND.UNA); read it with `payload.peek(...)` or `payload.readableSlices(...)`.
   * `payload` is undefined when `payloadLen` is 0.
   *
   * `seg` is a scratch record the TCB reuses: copy what you need before returning. Return false
   * to refuse the segment; the TCB then commits nothing.
   */
  send(seg: TcpRepr, payload: ByteRing | undefined, payloadSkip: number, payloadLen: number): boolean;
}

/**
 * Connection states, numbered as Linux numbers them (`tcpi_state`, `/proc/net/tcp`), named after
 * RFC 9293 §3.3.2.
 */
export const TcpState = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECEIVED: 3,
  FIN_WAIT_1: 4,
  FIN_WAIT_2: 5,
  TIME_WAIT: 6,
  CLOSED: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
} as const;
export type TcpState = (typeof TcpState)[keyof typeof TcpState];

const STATE_NAMES: Readonly<Record<number, string>> = {
  1: 'ESTABLISHED',
  2: 'SYN-SENT',
  3: 'SYN-RECEIVED',
  4: 'FIN-WAIT-1',
  5: 'FIN-WAIT-2',
  6: 'TIME-WAIT',
  7: 'CLOSED',
  8: 'CLOSE-WAIT',
  9: 'LAST-ACK',
  10: 'LISTEN',
  11: 'CLOSING',
};

/** The RFC 9293 name of a state (`SYN-SENT`, `TIME-WAIT`, …). */
export function tcpStateName(s: number): string {
  return STATE_NAMES[s] ?? `state ${s}`;
}

/**
 * The reset RFC 9293 §3.10.7.1 prescribes for a segment no connection accepts (`seg` with
 * `payloadLen` bytes of data), written into `out`; false when `seg` is itself a reset (never
 * answered). Ports are swapped; no options (as Linux's reply resets). For use by the layer that
 * finds no TCB, and by a TCB in CLOSED.
 *
 * - ACK set: `<SEQ=SEG.ACK><CTL=RST>`.
 * - otherwise: `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>` (SEG.LEN counts SYN and FIN).
 */
export function resetFor(seg: TcpRepr, out: TcpRepr): boolean {
  if (seg.flags & TcpFlag.RST) return false;
  out.srcPort = seg.dstPort;
  out.dstPort = seg.srcPort;
  out.window = 0;
  out.urgent = 0;
  out.payloadLen = 0;
  out.options.clear();
  if (seg.flags & TcpFlag.ACK) {
    out.seq = seg.ack;
    out.ack = 0;
    out.flags = TcpFlag.RST;
  } else {
    let len = seg.payloadLen;
    if (seg.flags & TcpFlag.SYN) len++;
    if (seg.flags & TcpFlag.FIN) len++;
    out.seq = 0;
    out.ack = (seg.seq + len) >>> 0;
    out.flags = TcpFlag.RST | TcpFlag.ACK;
  }
  return true;
}
