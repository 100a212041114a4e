/**
 * Event timing (LANGUAGE.md §4.1, §6.6): the tolerance window of an expected event and the sniff
 * timeout of an outbound packet line. All times are µs since the script start.
 */

import type { EventTime } from '../../parser/ast.js';

/** An event's resolved script time: one instant, a window, or `*`. */
export type ExpectedTime =
  | { readonly kind: 'exact'; readonly us: number }
  | { readonly kind: 'range'; readonly startUs: number; readonly endUs: number }
  | { readonly kind: 'any' };

export interface ToleranceConfig {
  readonly toleranceUsecs: number;
  readonly tolerancePercent: number;
}

/**
 * Resolves a script time against the previous event's script time `prevUs` (relative forms add
 * to it). `*` resolves to `any`; its event time stays `prevUs` for the next relative event.
 */
export function resolveTime(t: EventTime, prevUs: number): ExpectedTime {
  switch (t.kind) {
    case 'absolute':
      return { kind: 'exact', us: t.start.usecs };
    case 'relative':
      return { kind: 'exact', us: prevUs + t.start.usecs };
    case 'absoluteRange':
      return { kind: 'range', startUs: t.start.usecs, endUs: t.end.usecs };
    case 'relativeRange':
      return { kind: 'range', startUs: prevUs + t.start.usecs, endUs: prevUs + t.end.usecs };
    case 'any':
      return { kind: 'any' };
  }
}

/** `tol = max(tolerance_usecs, tolerance_percent% × (expected − last))`. */
export function toleranceUs(cfg: ToleranceConfig, expectedUs: number, lastUs: number): number {
  return Math.max(cfg.toleranceUsecs, (cfg.tolerancePercent / 100) * (expectedUs - lastUs));
}

function secs(us: number): string {
  return (us / 1e6).toFixed(6);
}

/**
 * Checks `actualUs` against the expected time; `lastUs` is the previous event's script time.
 * Returns packetdrill's timing error text, or undefined when on time.
 */
export function verifyTime(
  t: ExpectedTime,
  actualUs: number,
  lastUs: number,
  cfg: ToleranceConfig,
  description = 'outbound packet',
): string | undefined {
  if (t.kind === 'any') return undefined;
  const start = t.kind === 'exact' ? t.us : t.startUs;
  const end = t.kind === 'exact' ? t.us : t.endUs;
  const tol = toleranceUs(cfg, start, lastUs);
  if (actualUs >= start - tol && actualUs <= end + tol) return undefined;
  if (t.kind === 'range') {
    return `timing error: expected ${description} in time range ${secs(start)}~${secs(end)} sec but happened at ${secs(actualUs)} sec`;
  }
  return `timing error: expected ${description} at ${secs(start)} sec but happened at ${secs(actualUs)} sec; tolerance ${secs(tol)} sec`;
}

/** Extra time after the expected moment before an outbound line gives up. */
export const SNIFF_SLACK_US = 2_000_000;

/**
 * How long (µs) an outbound line sniffs, counted from the previous event's script time `lastUs`:
 * `max(expected, range end) − last + 2 s`; undefined (no limit) for `*`.
 */
export function sniffTimeoutUs(t: ExpectedTime, lastUs: number): number | undefined {
  if (t.kind === 'any') return undefined;
  const latest = t.kind === 'exact' ? t.us : Math.max(t.startUs, t.endUs);
  return latest - lastUs + SNIFF_SLACK_US;
}
