/**
 * Recursive-descent parser for packetdrill scripts:
 * `script := option* [command] event+ [command]`, `event := time action` (LANGUAGE.md §3).
 *
 * `parseScript` never throws: syntax and semantic errors come back as values whose message reads
 * `file:line:col: error: expected X, found Y` (or the semantic rule that was broken).
 */

import type { CommandSpec, Event, Script, ScriptOption } from './ast.js';
import { Cursor, ParseError, posOf } from './cursor.js';
import { parseSyscall } from './expr.js';
import { Lexer } from './lexer.js';
import { parsePacket } from './packet.js';
import { parseEventTime, startsEventTime } from './time.js';

/** Options a script may set (LANGUAGE.md §4); the names are written without `--`. */
export const SCRIPT_OPTION_NAMES: ReadonlySet<string> = new Set([
  'ip_version',
  'local_ip',
  'remote_ip',
  'gateway_ip',
  'netmask_ip',
  'bind_port',
  'connect_port',
  'mtu',
  'mss',
  'tolerance_usecs',
  'tolerance_percent',
  'tcp_ts_tick_usecs',
  'tcp_ts_ecr_scaled',
  'strict_segments',
  'non_fatal',
  'send_omit_free',
  'init_scripts',
  'speed',
  'define',
  'code_command',
  'code_format',
  'code_sockopt',
  'dry_run',
  'verbose',
  'debug',
  'is_anyip',
  'wire_client',
  'wire_server',
  'wire_server_ip',
  'wire_server_at',
  'wire_server_port',
  'wire_client_dev',
  'wire_server_dev',
  'so_filename',
  'so_flags',
  'psp_udp_port',
]);

export interface ParseOptions {
  /** Name used in error messages and `Script.file` (default `<script>`). */
  readonly file?: string;
  /** `-D SYM=VAL` defines, applied as packetdrill's lexer does (LANGUAGE.md §2). */
  readonly defines?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Script option names accepted besides `SCRIPT_OPTION_NAMES`. */
  readonly extraOptionNames?: Iterable<string>;
}

/** A parse failure; `message` is the full `file:line:col: error: ...` text. */
export interface ScriptError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export type ParseResult =
  | { readonly ok: true; readonly script: Script }
  | { readonly ok: false; readonly error: ScriptError };

/** Parses a whole script. Never throws. */
export function parseScript(text: string, options: ParseOptions = {}): ParseResult {
  const file = options.file ?? '<script>';
  let cursor: Cursor | undefined;
  try {
    const given = toMap(options.defines);
    cursor = new Cursor(new Lexer(text, given), file);
    const extra = new Set(options.extraOptionNames ?? []);
    return { ok: true, script: parseWhole(cursor, file, given, extra) };
  } catch (e) {
    if (e instanceof ParseError) {
      return { ok: false, error: { file: e.file, line: e.line, col: e.col, message: e.message } };
    }
    // Not expected; still reported as a value so that callers never see an exception.
    const line = cursor?.tok.line ?? 1;
    const col = cursor?.tok.col ?? 1;
    const why = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      error: { file, line, col, message: `${file}:${line}:${col}: error: internal parser error: ${why}` },
    };
  }
}

function toMap(d: ParseOptions['defines']): ReadonlyMap<string, string> {
  if (d === undefined) return new Map();
  if (d instanceof Map) return d;
  return new Map(Object.entries(d as Readonly<Record<string, string>>));
}

function parseWhole(
  c: Cursor,
  file: string,
  given: ReadonlyMap<string, string>,
  extra: ReadonlySet<string>,
): Script {
  const at = c.pos();
  const options: ScriptOption[] = [];
  const scriptDefines = new Map<string, string>();
  while (c.is('option')) {
    const o = parseOption(c);
    if (!SCRIPT_OPTION_NAMES.has(o.name) && !extra.has(o.name))
      c.semantic(o, `unknown script option '--${o.name}'`);
    if (o.name === 'define' && o.value !== undefined) {
      const eq = o.value.indexOf('=');
      if (eq > 0) scriptDefines.set(o.value.slice(0, eq), o.value.slice(eq + 1));
    }
    options.push(o);
  }
  // As in packetdrill, the script's defines apply once the option block is done (from the
  // token after the lookahead), and the caller's (command-line) defines win.
  const defines = new Map([...scriptDefines, ...given]);
  c.lexer.defines = defines;

  const initCommand = c.is('backquoted') ? command(c) : undefined;
  const events: Event[] = [];
  while (startsEventTime(c)) events.push(parseEvent(c));
  if (events.length === 0) {
    c.fail(
      'an event: a time (0, +.1, * or +.1~+.2) followed by a packet, system call, command or code block',
    );
  }
  const cleanupCommand = c.is('backquoted') ? command(c) : undefined;
  if (!c.is('eof')) {
    c.fail(
      cleanupCommand === undefined
        ? 'a new event (starting with a time such as +0, 0.1 or *), a cleanup `command` or the end of the script'
        : 'the end of the script after the cleanup command',
    );
  }
  return { line: at.line, col: at.col, file, options, initCommand, events, cleanupCommand, defines };
}

function command(c: Cursor): CommandSpec {
  const t = c.advance();
  return { line: t.line, col: t.col, command: t.text };
}

/** `--name [= value]` */
function parseOption(c: Cursor): ScriptOption {
  const nameTok = c.advance();
  const at = posOf(nameTok);
  if (!c.isChar('='))
    return { line: at.line, col: at.col, name: nameTok.text, value: undefined, written: undefined };
  const eq = c.advance();
  const t = c.tok;
  let value: string;
  switch (t.kind) {
    case 'int':
    case 'hex':
    case 'float':
    case 'ipv4':
    case 'ipv6':
    case 'string':
      c.advance();
      value = t.text;
      break;
    case 'keyword':
      if (t.text !== 'ipv4' && t.text !== 'ipv6') return c.fail(`a value for --${nameTok.text}`);
      c.advance();
      value = t.text;
      break;
    case 'word':
      c.advance();
      value = t.text;
      if (c.acceptChar('=')) {
        // --define=SYM=VAL
        const v = c.tok;
        if (v.kind === 'string') value = `${t.text}="${v.text}"`;
        else if (v.kind === 'backquoted') value = `${t.text}=\`${v.text}\``;
        else if (v.kind === 'word' || v.kind === 'int' || v.kind === 'hex' || v.kind === 'float') {
          value = `${t.text}=${v.text}`;
        } else return c.fail(`a value after '${t.text}=' (a word, number, string or back-quoted text)`);
        c.advance();
      }
      break;
    default:
      return c.fail(`a value for --${nameTok.text} (a number, word, string or address)`);
  }
  const written = c.lexer.src.slice(eq.end, c.prevEnd);
  return { line: at.line, col: at.col, name: nameTok.text, value, written };
}

function parseEvent(c: Cursor): Event {
  const time = parseEventTime(c);
  const at = { line: time.line, col: time.col };
  let ev: Event;
  const t = c.tok;
  if (t.kind === 'char' && (t.text === '<' || t.text === '>')) {
    ev = { line: at.line, col: at.col, type: 'packet', time, packet: parsePacket(c) };
  } else if (t.kind === 'word' || t.kind === 'ellipsis') {
    ev = { line: at.line, col: at.col, type: 'syscall', time, syscall: parseSyscall(c) };
  } else if (t.kind === 'backquoted') {
    ev = { line: at.line, col: at.col, type: 'command', time, command: command(c) };
  } else if (t.kind === 'code') {
    c.advance();
    ev = { line: at.line, col: at.col, type: 'code', time, code: t.text };
  } else {
    return c.fail(
      "a packet ('<' or '>'), a system call, a `command` or a %{ code }% block after the event time",
    );
  }
  const outboundPacket = ev.type === 'packet' && ev.packet.direction === 'outbound';
  if (time.kind === 'any' && !outboundPacket) {
    c.semantic(time, 'event time <star> can only be used with outbound packets');
  }
  if ((time.kind === 'absoluteRange' || time.kind === 'relativeRange') && !outboundPacket) {
    c.semantic(time, 'event time range can only be used with outbound packets');
  }
  return ev;
}
