/**
 * Event times (LANGUAGE.md §5.1): `t`, `+t`, `*`, `t1~t2`, `+t1~+t2`, and the time values
 * themselves (`INTEGER | FLOAT` seconds, converted to microseconds as the reference does).
 */

import type { EventTime, TimeValue } from './ast.js';
import { type Cursor, posOf } from './cursor.js';

/** True when the lookahead can start an event time. */
export function startsEventTime(c: Cursor): boolean {
  return c.is('int') || c.is('float') || c.isChar('+') || c.isChar('*');
}

/** `INTEGER | FLOAT`, non-negative. */
export function parseTimeValue(c: Cursor, what = 'a time in seconds (e.g. 0, .1, 1.5)'): TimeValue {
  const t = c.tok;
  if (t.kind !== 'int' && t.kind !== 'float') return c.fail(what);
  c.advance();
  if (t.value < 0) c.semantic(posOf(t), `negative time ${t.text}`);
  // Whole seconds scale exactly; a float is multiplied and truncated toward zero (C's cast).
  const usecs = t.kind === 'int' ? t.value * 1e6 : Math.trunc(t.value * 1e6);
  return { line: t.line, col: t.col, text: t.text, usecs };
}

/** `+t | t | * | t~t | +t~+t` */
export function parseEventTime(c: Cursor): EventTime {
  const at = c.pos();
  if (c.acceptChar('*')) return { line: at.line, col: at.col, kind: 'any' };
  if (c.acceptChar('+')) {
    const start = parseTimeValue(c, "a time after '+' (e.g. +0, +.1)");
    if (!c.acceptChar('~')) return { line: at.line, col: at.col, kind: 'relative', start };
    c.expectChar('+', "'+' before the end of a relative time range (write +a~+b)");
    const end = parseTimeValue(c, 'the end of the time range');
    if (end.usecs < start.usecs) c.semantic(at, 'time range is backwards');
    return { line: at.line, col: at.col, kind: 'relativeRange', start, end };
  }
  const start = parseTimeValue(c, 'an event time (e.g. 0, +.1, *, or a range +.1~+.2)');
  if (!c.acceptChar('~')) return { line: at.line, col: at.col, kind: 'absolute', start };
  const end = parseTimeValue(c, 'the end of the time range');
  if (end.usecs < start.usecs) c.semantic(at, 'time range is backwards');
  return { line: at.line, col: at.col, kind: 'absoluteRange', start, end };
}
