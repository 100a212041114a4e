/**
 * Inactivity sweep: a one-bit "clock" algorithm that resets connections idle for a long time,
 * without a timer per connection (docs/inactivity.md).
 *
 * Every `net.wirestack.tcp_inactivity_interval` seconds (T, default 7200; 0 turns it off) one
 * sweep walks the layer's connection table once:
 * - a covered connection whose `inactive` bit is still set has seen no event for a whole
 *   interval: it is aborted (`R.` with SEQ = SND.NXT, as ABORT sends, RFC 9293 §3.10.5), its
 *   application sees ETIMEDOUT (as after a keepalive or user timeout) and the layer frees it;
 * - every other covered connection gets its bit set.
 * Any event clears the bit: a segment the layer demultiplexes to the connection, or a user call
 * on its socket (`TcpLayer.touch`). Sweeps are exactly T apart, so an idle connection is reset
 * between T and 2T after its last event (T ≤ idle < 2T, plus the driver's lateness).
 *
 * Covered states: ESTABLISHED and the closing states that can otherwise last forever
 * (FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK). Not covered: LISTEN (not in the
 * table), SYN-SENT and SYN-RECEIVED (their retry budgets end them within minutes), TIME-WAIT (its
 * own 60 s timer; a reset from TIME-WAIT is never sent).
 *
 * The sweep is armed only while the table holds a connection, so an idle layer has no deadline.
 * After the interval changes, the next sweep only sets bits: a bit set under the old interval
 * never shortens the new one.
 */
import { ERRNO } from '../socket/linux.js';
import type { Sysctls } from '../stack/sysctl.js';
import type { Instant } from '../time/time.js';
import { TcpState } from './segment.js';
import type { Tcb } from './tcb.js';

/** The per-stack knob, seconds between sweeps (0 = off). */
export const INACTIVITY_SYSCTL = 'net.wirestack.tcp_inactivity_interval';

/** What the sweep needs of a connection-table entry (the layer's `TcpConn`). */
export interface InactivityEntry {
  /** Set by a sweep; cleared by any event on the connection. */
  inactive: boolean;
  readonly tcb: Tcb;
}

/** States whose connections the sweep may reset. */
export function inactivityCovers(state: TcpState): boolean {
  switch (state) {
    case TcpState.ESTABLISHED:
    case TcpState.FIN_WAIT_1:
    case TcpState.FIN_WAIT_2:
    case TcpState.CLOSE_WAIT:
    case TcpState.CLOSING:
    case TcpState.LAST_ACK:
      return true;
    default:
      return false;
  }
}

/** Resets `t` for inactivity: a reset to the peer, CLOSED, ETIMEDOUT for the application. */
export function resetInactive(t: Tcb, now: Instant): void {
  t.abort(now);
  if (t.err === 0) t.err = ERRNO.ETIMEDOUT;
}

export class InactivitySweep<E extends InactivityEntry> {
  /** When the next sweep runs; undefined while none is armed. */
  private nextAt: Instant | undefined = undefined;
  /** The interval the armed deadline was computed with, µs (-1 before the first look). */
  private intervalUs = -1;
  /** The next sweep only sets bits (the interval changed). */
  private markOnly = false;
  /** Sweeps run so far. */
  sweeps = 0;

  /**
   * @param sysctls the stack's sysctls (the interval is read on every `pollAt`, so a change takes
   *   effect at once)
   * @param onReset called for each entry just reset (the layer frees it)
   */
  constructor(
    private readonly sysctls: Sysctls,
    private readonly onReset: (e: E) => void,
  ) {}

  /** The interval now configured, µs (0 = off). */
  get configuredUs(): number {
    return this.sysctls.int(INACTIVITY_SYSCTL) * 1_000_000;
  }

  /**
   * The next sweep's deadline, arming it at `now` + T when the table (`live` entries) is not
   * empty and none is armed; undefined when off or the table is empty.
   */
  pollAt(now: Instant, live: number): Instant | undefined {
    const us = this.configuredUs;
    if (us !== this.intervalUs) {
      this.intervalUs = us;
      this.nextAt = undefined;
      this.markOnly = true;
    }
    if (us === 0 || live === 0) {
      this.nextAt = undefined;
      return undefined;
    }
    if (this.nextAt === undefined) this.nextAt = (now + us) as Instant;
    return this.nextAt;
  }

  /**
   * Runs the sweep over `table` (indexed by slot; holes are undefined) when it is due at `now`.
   * Returns the number of connections reset.
   */
  poll(now: Instant, table: readonly (E | undefined)[], live: number): number {
    const at = this.pollAt(now, live);
    if (at === undefined || now < at) return 0;
    this.nextAt = (now + this.intervalUs) as Instant;
    this.sweeps++;
    const markOnly = this.markOnly;
    this.markOnly = false;
    let resets = 0;
    // Resetting frees a slot (it becomes undefined) but never moves another entry.
    for (let i = 0; i < table.length; i++) {
      const e = table[i];
      if (e === undefined || !inactivityCovers(e.tcb.state)) continue;
      if (e.inactive && !markOnly) {
        resetInactive(e.tcb, now);
        resets++;
        this.onReset(e);
      } else {
        e.inactive = true;
      }
    }
    return resets;
  }
}
