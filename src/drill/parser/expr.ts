/**
 * System-call lines and their argument expressions (LANGUAGE.md §3 `syscall_spec`/`expr`, §7).
 *
 * The reference's forms are all here: integers, symbols, `...`, strings (adjacent ones
 * concatenated, `"..."...`), `a|b`, `NAME=expr`, `[list]`, `inet_addr("..")`, `inet6_addr("..")`
 * and the struct forms chosen by their first field name (sockaddr, msghdr, iovec, pollfd,
 * epoll_event, linger, cmsg, scm_timestamping, sock_extended_err, MPLS stack, GRE header), with
 * any other `{...}` a plain brace list. Extensions: `a & b` (binds tighter than `|`), unary
 * `-x`, `htons(x)`/`htonl(x)` as values, and `( expr )` grouping.
 */

import type { EpollEventExpr, Expr, IntExpr, ListExpr, MplsEntry, SyscallSpec } from './ast.js';
import { type Cursor, describeToken, posOf } from './cursor.js';
import type { Token } from './lexer.js';
import { parseGreHeader, parseMplsEntry } from './packet.js';
import { parseTimeValue } from './time.js';

const EXPR_WHAT = "an expression (number, symbol, string, '...', [list] or {struct})";

/** `[... end] name(args) = result [ERRNO (note)] [(note)]`; lookahead is `...` or a word. */
export function parseSyscall(c: Cursor): SyscallSpec {
  const at = c.pos();
  let end: SyscallSpec['end'];
  if (c.is('ellipsis')) {
    c.advance();
    end = parseTimeValue(c, "the end time of a blocking call (e.g. '+0...0.2 read(...)')");
  }
  const name = c.expect('word', 'a system call name').text;
  c.expectChar('(', `'(' after the system call name '${name}'`);
  const args: Expr[] = [];
  if (!c.acceptChar(')')) {
    args.push(parseExpr(c));
    while (c.acceptChar(',')) args.push(parseExpr(c));
    c.expectChar(')', `',' or ')' in the arguments of ${name}()`);
  }
  c.expectChar('=', `'=' and the expected result after ${name}(...)`);
  const result = parseExpr(c);
  let errno: SyscallSpec['errno'];
  if (c.is('word')) {
    const e = c.advance();
    if (!c.isChar('(')) {
      c.semantic(
        posOf(e),
        `expected '(' and a note after the errno ${e.text}, e.g. ${e.text} (Message text), found ${describeToken(c.tok)}`,
      );
    }
    errno = { line: e.line, col: e.col, name: e.text, note: parseNote(c) };
  }
  const note = c.isChar('(') ? parseNote(c) : undefined;
  return { line: at.line, col: at.col, name, args, result, end, errno, note };
}

/** `( (WORD | flags) WORD* )` */
function parseNote(c: Cursor): string {
  c.expectChar('(');
  const words: string[] = [];
  if (c.isKw('flags')) words.push(c.advance().text);
  else words.push(c.expect('word', 'a note word (notes may not contain reserved words or numbers)').text);
  while (c.is('word')) words.push(c.advance().text);
  c.expectChar(')', "')' to close the note (notes may not contain reserved words or numbers)");
  return words.join(' ');
}

/** An expression; `NAME=expr` only at the start. */
export function parseExpr(c: Cursor): Expr {
  c.enter();
  const e = parseExprInner(c);
  c.leave();
  return e;
}

function parseExprInner(c: Cursor): Expr {
  if (c.is('word')) {
    const w = c.advance();
    if (c.acceptChar('='))
      return { line: w.line, col: w.col, kind: 'assign', name: w.text, value: parseExpr(c) };
    return parseBinaryRest(c, wordOrCall(c, w), 1);
  }
  return parseBinaryRest(c, parseUnary(c), 1);
}

function precedence(c: Cursor): number {
  if (c.isChar('|')) return 1;
  if (c.isChar('&')) return 2;
  return 0;
}

/** Precedence climbing over `|` (1) and `&` (2), left-associative. */
function parseBinaryRest(c: Cursor, lhs: Expr, minPrec: number): Expr {
  for (;;) {
    const prec = precedence(c);
    if (prec === 0 || prec < minPrec) return lhs;
    const op = c.advance().text === '|' ? '|' : '&';
    let rhs = parseUnary(c);
    while (precedence(c) > prec) rhs = parseBinaryRest(c, rhs, precedence(c));
    lhs = { line: lhs.line, col: lhs.col, kind: 'binary', op, lhs, rhs };
  }
}

function parseUnary(c: Cursor): Expr {
  if (c.isChar('-')) {
    const at = posOf(c.advance());
    c.enter();
    const operand = parseUnary(c);
    c.leave();
    if (operand.kind === 'int' && !operand.hex && !operand.text.startsWith('-')) {
      return {
        line: at.line,
        col: at.col,
        kind: 'int',
        value: -operand.value,
        hex: false,
        text: `-${operand.text}`,
      };
    }
    return { line: at.line, col: at.col, kind: 'unary', op: '-', operand };
  }
  return parsePrimary(c);
}

function intExpr(t: Token): IntExpr {
  return { line: t.line, col: t.col, kind: 'int', value: t.value, hex: /^-?0x/i.test(t.text), text: t.text };
}

function wordOrCall(c: Cursor, w: Token): Expr {
  if (w.text === 'htonl' && c.isChar('(')) return call(c, w, 'htonl');
  return { line: w.line, col: w.col, kind: 'word', name: w.text };
}

function call(c: Cursor, at: Token, fn: 'htons' | 'htonl'): Expr {
  c.expectChar('(', `'(' after ${fn}`);
  const arg = parseExpr(c);
  c.expectChar(')', `')' after the argument of ${fn}()`);
  return { line: at.line, col: at.col, kind: 'call', fn, arg };
}

function parsePrimary(c: Cursor): Expr {
  const t = c.tok;
  const at = posOf(t);
  switch (t.kind) {
    case 'ellipsis':
      c.advance();
      return { line: at.line, col: at.col, kind: 'ellipsis' };
    case 'int':
    case 'hex':
      c.advance();
      return intExpr(t);
    case 'word':
      c.advance();
      return wordOrCall(c, t);
    case 'string': {
      let value = '';
      while (c.is('string')) value += c.advance().text;
      const ellipsis = c.is('ellipsis');
      if (ellipsis) c.advance();
      return { line: at.line, col: at.col, kind: 'string', value, ellipsis };
    }
    case 'keyword':
      if (t.text === 'htons') {
        c.advance();
        return call(c, t, 'htons');
      }
      if (t.text === 'inet_addr' || t.text === 'inet6_addr') {
        c.advance();
        c.expectChar('(', `'(' after ${t.text}`);
        const addr = c.expect('string', `a quoted address in ${t.text}("...")`).text;
        c.expectChar(')');
        return { line: at.line, col: at.col, kind: 'inetAddr', family: t.text === 'inet_addr' ? 4 : 6, addr };
      }
      break;
    case 'char':
      if (t.text === '[') return parseList(c);
      if (t.text === '{') return parseBrace(c);
      if (t.text === '(') {
        c.advance();
        const e = parseExpr(c);
        c.expectChar(')', '\')\' to close the parenthesized expression');
        return e;
      }
      break;
  }
  return c.fail(EXPR_WHAT);
}

function parseList(c: Cursor): ListExpr {
  const at = posOf(c.expectChar('['));
  const items: Expr[] = [];
  if (!c.acceptChar(']')) {
    items.push(parseExpr(c));
    while (c.acceptChar(',')) items.push(parseExpr(c));
    c.expectChar(']', '\',\' or \']\' in the list');
  }
  return { line: at.line, col: at.col, kind: 'list', items };
}

/** `name = ` inside a struct form. */
function field(c: Cursor, name: string): void {
  c.expectKw(name, `'${name}='`);
  c.expectChar('=', `'=' after ${name}`);
}

function intField(c: Cursor, name: string): number {
  field(c, name);
  return c.expectInt(`an integer for ${name}`).value;
}

function exprField(c: Cursor, name: string): Expr {
  field(c, name);
  return parseExpr(c);
}

function comma(c: Cursor): void {
  c.expectChar(',');
}

function close(c: Cursor, what: string): void {
  c.expectChar('}', `'}' to close the ${what}`);
}

/** The `{ ... }` forms, chosen by the token after `{`. */
function parseBrace(c: Cursor): Expr {
  const at = posOf(c.expectChar('{'));
  const t = c.tok;
  // `{}` and `{(label ...` are MPLS stacks; `{(expr)...}` (an extension) is a brace list.
  if (c.isChar('}') || (c.isChar('(') && c.peekNext().text === 'label')) {
    const entries: MplsEntry[] = [];
    while (c.isChar('(')) entries.push(parseMplsEntry(c));
    close(c, 'MPLS label stack');
    return { line: at.line, col: at.col, kind: 'mplsStack', entries };
  }
  if (t.kind === 'ellipsis') {
    c.advance();
    if (c.acceptChar(',')) {
      const len = c.expectInt('the iovec length in {..., len}').value;
      close(c, 'iovec {..., len}');
      return { line: at.line, col: at.col, kind: 'iovec', len };
    }
    return braceList(c, at, parseBinaryRest(c, { line: t.line, col: t.col, kind: 'ellipsis' }, 1));
  }
  if (t.kind !== 'keyword') return braceList(c, at, parseExpr(c));
  switch (t.text) {
    case 'sa_family': {
      field(c, 'sa_family');
      const family = c.expect('word', 'an address family (AF_INET or AF_INET6)').text;
      comma(c);
      field(c, 'sin_port');
      c.expectKw('htons', 'htons(port)');
      c.expectChar('(');
      const port = c.expectInt('a port number').value;
      c.expectChar(')');
      comma(c);
      field(c, 'sin_addr');
      c.expectKw('inet_addr', 'inet_addr("address")');
      c.expectChar('(');
      const addr = c.expect('string', 'a quoted address').text;
      c.expectChar(')');
      close(c, 'sockaddr');
      return { line: at.line, col: at.col, kind: 'sockaddr', family, port, addr };
    }
    case 'msg_name': {
      c.advance();
      c.expectChar('(');
      c.expect('ellipsis', "'...' in msg_name(...)");
      c.expectChar(')');
      c.expectChar('=');
      c.expect('ellipsis', "'...' after msg_name(...)=");
      comma(c);
      c.expectKw('msg_iov', "'msg_iov(N)='");
      c.expectChar('(');
      const iovLen = c.expectInt('the iovec count in msg_iov(N)').value;
      c.expectChar(')');
      c.expectChar('=');
      const iov = parseList(c);
      comma(c);
      const flags = exprField(c, 'msg_flags');
      let control: ListExpr | undefined;
      if (c.acceptChar(',')) {
        field(c, 'msg_control');
        control = parseList(c);
      }
      close(c, 'msghdr');
      return { line: at.line, col: at.col, kind: 'msghdr', iovLen, iov, flags, control };
    }
    case 'fd': {
      const fd = exprField(c, 'fd');
      comma(c);
      const events = exprField(c, 'events');
      let revents: Expr | undefined;
      if (c.acceptChar(',')) revents = exprField(c, 'revents');
      close(c, 'pollfd');
      return { line: at.line, col: at.col, kind: 'pollfd', fd, events, revents };
    }
    case 'events': {
      const events = exprField(c, 'events');
      comma(c);
      const m = c.tok;
      if (m.kind !== 'keyword' || !['fd', 'ptr', 'u32', 'u64'].includes(m.text)) {
        return c.fail("'fd=', 'ptr=', 'u32=' or 'u64=' in the epoll_event");
      }
      const member = m.text as EpollEventExpr['member'];
      const data = exprField(c, member);
      close(c, 'epoll_event');
      return { line: at.line, col: at.col, kind: 'epollEvent', events, member, data };
    }
    case 'onoff': {
      const onoff = intField(c, 'onoff');
      comma(c);
      const linger = intField(c, 'linger');
      close(c, 'linger');
      return { line: at.line, col: at.col, kind: 'linger', onoff, linger };
    }
    case 'cmsg_level': {
      const level = exprField(c, 'cmsg_level');
      comma(c);
      const type = exprField(c, 'cmsg_type');
      comma(c);
      const data = exprField(c, 'cmsg_data');
      close(c, 'cmsg');
      return { line: at.line, col: at.col, kind: 'cmsg', level, type, data };
    }
    case 'scm_sec': {
      const sec = intField(c, 'scm_sec');
      comma(c);
      const nsec = intField(c, 'scm_nsec');
      close(c, 'scm_timestamping');
      return { line: at.line, col: at.col, kind: 'scmTimestamping', sec, nsec };
    }
    case 'ee_errno': {
      const errno = exprField(c, 'ee_errno');
      comma(c);
      const origin = exprField(c, 'ee_origin');
      comma(c);
      const type = exprField(c, 'ee_type');
      comma(c);
      const code = exprField(c, 'ee_code');
      comma(c);
      const info = exprField(c, 'ee_info');
      comma(c);
      const data = exprField(c, 'ee_data');
      close(c, 'sock_extended_err');
      return { line: at.line, col: at.col, kind: 'sockExtendedErr', errno, origin, type, code, info, data };
    }
    case 'flags':
    case 'Flags': {
      const header = parseGreHeader(c, 'a GRE header');
      close(c, 'GRE header');
      return { line: at.line, col: at.col, kind: 'greHeader', header };
    }
    default:
      return braceList(c, at, parseExpr(c));
  }
}

function braceList(c: Cursor, at: { line: number; col: number }, first: Expr): Expr {
  const items: Expr[] = [first];
  while (c.acceptChar(',')) items.push(parseExpr(c));
  c.expectChar('}', '\',\' or \'}\' in the {...} list');
  return { line: at.line, col: at.col, kind: 'braceList', items };
}
