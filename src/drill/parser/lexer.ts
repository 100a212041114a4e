/**
 * Lexer for packetdrill scripts, reproducing the reference scanner's rules (LANGUAGE.md §2):
 * at each position the longest match of all token rules wins, and on a tie the rule listed first
 * (keywords, `...`, `--option`, float, integer, hex, word, string, back-quoted, single char,
 * comments, code, IPv4, IPv6). Quirks kept on purpose:
 *
 * - `1.` is not a float; `P.5` is the word `P` then the float `.5`; `-1` is one integer token.
 * - Keywords are reserved only as whole words (`ack` is a keyword, `acks` a word).
 * - A string or back-quoted text ends at the first quote not preceded by a backslash.
 * - C comments and `%{ ... }%` bodies follow the reference's pairwise scan, so `**` + `/` and
 *   `}}` + `%` do not close them.
 * - `#` is not a comment: it only appears inside commands and code.
 * - `-D` defines replace a WORD (never a keyword or number) by a STRING (`"..."` value), a
 *   BACK_QUOTED (`` `...` `` value), an INTEGER (a value `strtol(v, 0)` reads completely) or a
 *   WORD with the value's text.
 *
 * Two deliberate leniencies: a `\r` directly before `\n` is whitespace (CRLF files), and a `//`
 * comment may end at the end of the file without a newline.
 */

/** Token kinds. `keyword` covers all reserved words; `char` is any other single character. */
export type TokenKind =
  | 'eof'
  | 'int'
  | 'hex'
  | 'float'
  | 'word'
  | 'keyword'
  | 'string'
  | 'backquoted'
  | 'code'
  | 'option'
  | 'ellipsis'
  | 'ipv4'
  | 'ipv6'
  | 'char';

export interface Token {
  readonly kind: TokenKind;
  /**
   * The token's text: for `string`/`backquoted` the content between the delimiters (escapes not
   * processed), for `code` the trimmed body, for `option` the name after `--`, for a `word`
   * produced by a define the define's value, otherwise the source text.
   */
  readonly text: string;
  /** Numeric value of `int`, `hex` and `float` tokens (NaN otherwise). */
  readonly value: number;
  /** 1-based line and column of the first character. */
  readonly line: number;
  readonly col: number;
  /** Offsets of the token in the source: [offset, end). */
  readonly offset: number;
  readonly end: number;
  /** When a define produced this token: the word that was replaced. */
  readonly definedFrom: string | undefined;
}

/** Reserved words (case-sensitive); they can never be a WORD. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'sa_family',
  'sin_port',
  'sin_addr',
  'msg_name',
  'msg_iov',
  'msg_flags',
  'msg_control',
  'cmsg_data',
  'cmsg_level',
  'cmsg_type',
  'ee_errno',
  'ee_origin',
  'ee_type',
  'ee_code',
  'ee_info',
  'ee_data',
  'scm_sec',
  'scm_nsec',
  'fd',
  'u32',
  'u64',
  'ptr',
  'events',
  'revents',
  'onoff',
  'linger',
  'htons',
  'ipv4',
  'ipv6',
  'icmp',
  'udp',
  'GREv0',
  'gre',
  'raw',
  'sum',
  'off',
  'key',
  'seq',
  'none',
  'checksum',
  'sequence#',
  'present',
  'encap',
  'psp',
  'spi',
  'mpls',
  'label',
  'tc',
  'ttl',
  'inet_addr',
  'inet6_addr',
  'ack',
  'eol',
  'ecr',
  'mss',
  'mtu',
  'nop',
  'sack',
  'sackOK',
  'md5',
  'TS',
  'FO',
  'FOEXP',
  'ECN',
  'e0b',
  'e1b',
  'ceb',
  'tos',
  'flowlabel',
  'flags',
  'Flags',
  'val',
  'win',
  'urg',
  'wscale',
  'ect01',
  'ect0',
  'ect1',
  'noecn',
  'ce',
  'id',
]);

// Character classes as bit flags over ASCII.
const DIGIT = 1;
const HEXDIGIT = 2;
const IDENT = 4;
const SPACE = 8;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  let k = 0;
  if (ch >= '0' && ch <= '9') k |= DIGIT | HEXDIGIT | IDENT;
  if ((ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')) k |= HEXDIGIT;
  if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch === '_') k |= IDENT;
  if (ch === ' ' || ch === '\t' || ch === '\n') k |= SPACE;
  CLASS[c] = k;
}

function cls(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? CLASS[c]! : 0;
}

/** Run length of characters of class `k` starting at `i`. */
function runOf(s: string, i: number, k: number): number {
  let j = i;
  while (j < s.length && (cls(s, j) & k) !== 0) j++;
  return j - i;
}

// IPv6 forms of the reference lexer (RFC 4291 text forms, including IPv4-mapped/embedded).
const SEG = '[0-9a-fA-F]{1,4}';
const V4 = '[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+';
const IPV6_FORMS = [
  '::',
  `(?:${SEG}:){7}${SEG}`,
  `(?:${SEG}:){1,7}:`,
  `(?:${SEG}:){1,6}:${SEG}`,
  `(?:${SEG}:){1,5}(?::${SEG}){1,2}`,
  `(?:${SEG}:){1,4}(?::${SEG}){1,3}`,
  `(?:${SEG}:){1,3}(?::${SEG}){1,4}`,
  `(?:${SEG}:){1,2}(?::${SEG}){1,5}`,
  `${SEG}:(?::${SEG}){1,6}`,
  `:(?::${SEG}){1,7}`,
  `::ffff:${V4}`,
  `::ffff:0{1,4}:${V4}`,
  `(?:${SEG}:){1,4}:${V4}`,
];
/**
 * One sticky pattern per form. Within a form the bounded greedy quantifiers already give that
 * form's longest match (segments must end at a colon, and the "::" fixes the group count), so
 * the longest over the forms is the lexer's match.
 */
const IPV6_RES = IPV6_FORMS.map((f) => new RegExp(f, 'y'));
/** Window scanned for "::" before trying the patterns (far above any real address). */
const IPV6_PRECHECK = 64;

/** Reads `s` as C `strtol(s, &end, 0)` and returns the value only if all of `s` was consumed. */
export function strtolFull(s: string): number | undefined {
  let i = 0;
  while (i < s.length && ' \t\n\v\f\r'.includes(s[i]!)) i++;
  let sign = 1;
  if (s[i] === '+' || s[i] === '-') {
    if (s[i] === '-') sign = -1;
    i++;
  }
  let base = 10;
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && (cls(s, i + 2) & HEXDIGIT) !== 0) {
    base = 16;
    i += 2;
  } else if (s[i] === '0') {
    base = 8;
  }
  const start = i;
  let v = 0;
  for (; i < s.length; i++) {
    const d = Number.parseInt(s[i]!, 36);
    if (Number.isNaN(d) || d >= base) break;
    v = v * base + d;
  }
  if (i === start || i !== s.length) return undefined;
  return sign * v;
}

/** The lexer: call `next()` until it returns an `eof` token. Never throws. */
export class Lexer {
  private pos = 0;
  private readonly lineStarts: number[] = [0];
  /** Marks of positions from which a C-comment or code body scan is known to find no end. */
  private deadComment: Uint8Array | undefined;
  private deadCode: Uint8Array | undefined;

  /**
   * @param src the script text
   * @param defines SYM -> VAL substitutions applied to WORD tokens; may be replaced between
   *   calls to `next()` (in-script `--define` options take effect after the option block)
   */
  constructor(
    readonly src: string,
    public defines: ReadonlyMap<string, string> = new Map(),
  ) {
    for (let i = 0; i < src.length; i++) if (src.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** 1-based line and column of a source offset. */
  position(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }

  next(): Token {
    const s = this.src;
    for (;;) {
      this.skipSpace();
      const p = this.pos;
      if (p >= s.length) return this.make('eof', p, p, '');
      const c = s[p]!;
      if (c === '/' && s[p + 1] === '/') {
        const nl = s.indexOf('\n', p);
        this.pos = nl < 0 ? s.length : nl + 1;
        continue;
      }
      if (c === '/' && s[p + 1] === '*') {
        const end = this.pairBody(p, '*', '/', 'comment');
        if (end > 0) {
          this.pos = end;
          continue;
        }
      }
      return this.token(p);
    }
  }

  private skipSpace(): void {
    const s = this.src;
    let p = this.pos;
    for (;;) {
      if (p >= s.length) break;
      if ((cls(s, p) & SPACE) !== 0) p++;
      else if (s.charCodeAt(p) === 13 && s.charCodeAt(p + 1) === 10) p += 2;
      else break;
    }
    this.pos = p;
  }

  /** Longest match at `p` (not whitespace, not a comment). */
  private token(p: number): Token {
    const s = this.src;
    const c = s[p]!;
    const k = cls(s, p);

    if (c === '%' && s[p + 1] === '{') {
      const end = this.pairBody(p, '}', '%', 'code');
      if (end > 0) {
        this.pos = end;
        return this.make('code', p, end, trimCode(s.slice(p + 2, end - 2)));
      }
    }
    if (c === '"' || c === '`') {
      const end = quotedEnd(s, p);
      if (end > 0) {
        this.pos = end;
        return this.make(c === '"' ? 'string' : 'backquoted', p, end, s.slice(p + 1, end - 1));
      }
      this.pos = p + 1;
      return this.make('char', p, p + 1, c);
    }

    // Candidates in rule order; keep the first of the longest.
    let bestKind: TokenKind = 'char';
    let bestLen = 0;
    const offer = (kind: TokenKind, len: number): void => {
      if (len > bestLen) {
        bestKind = kind;
        bestLen = len;
      }
    };

    const ident = runOf(s, p, IDENT);
    if (ident > 0) {
      const w = s.slice(p, p + ident);
      if (KEYWORDS.has(w)) offer('keyword', ident);
      else if (w === 'sequence' && s[p + ident] === '#') offer('keyword', ident + 1);
    }
    if (c === '.' && s[p + 1] === '.' && s[p + 2] === '.') offer('ellipsis', 3);
    if (c === '-' && s[p + 1] === '-') {
      const n = runOf(s, p + 2, IDENT);
      if (n > 0) offer('option', n + 2);
    }
    // FLOAT -?[0-9]*\.[0-9]+ and INTEGER -?[0-9]+
    {
      const sign = c === '-' ? 1 : 0;
      const ints = runOf(s, p + sign, DIGIT);
      const afterInts = p + sign + ints;
      if (s[afterInts] === '.') {
        const frac = runOf(s, afterInts + 1, DIGIT);
        if (frac > 0) offer('float', sign + ints + 1 + frac);
      }
      if (ints > 0) offer('int', sign + ints);
    }
    if (c === '0' && s[p + 1] === 'x') {
      const n = runOf(s, p + 2, HEXDIGIT);
      if (n > 0) offer('hex', n + 2);
    }
    if (ident > 0) offer('word', ident);
    if ((k & DIGIT) !== 0) offer('ipv4', ipv4Len(s, p));
    if ((k & HEXDIGIT) !== 0 || c === ':') offer('ipv6', ipv6Len(s, p));

    if (bestLen === 0) bestLen = 1; // any other single character
    const end = p + bestLen;
    this.pos = end;
    const text = s.slice(p, end);
    switch (bestKind as TokenKind) {
      case 'word':
        return this.word(p, end, text);
      case 'option':
        return this.make('option', p, end, text.slice(2));
      case 'int':
        return this.make('int', p, end, text, Number(text));
      case 'hex':
        return this.make('hex', p, end, text, Number.parseInt(text.slice(2), 16));
      case 'float':
        return this.make('float', p, end, text, Number.parseFloat(text));
      default:
        return this.make(bestKind, p, end, text);
    }
  }

  /** A WORD, after define substitution. */
  private word(p: number, end: number, w: string): Token {
    const v = this.defines.get(w);
    if (v === undefined) return this.make('word', p, end, w);
    if (v[0] === '"') return this.make('string', p, end, unquote(v), Number.NaN, w);
    if (v[0] === '`') return this.make('backquoted', p, end, unquote(v), Number.NaN, w);
    const n = strtolFull(v);
    if (n !== undefined) {
      // Keep a plain decimal or hex value as written, so that it prints back the same.
      const text = /^-?(?:0|[1-9][0-9]*)$|^0x[0-9a-fA-F]+$/.test(v) ? v : String(n);
      return this.make('int', p, end, text, n, w);
    }
    return this.make('word', p, end, v, Number.NaN, w);
  }

  private make(
    kind: TokenKind,
    offset: number,
    end: number,
    text: string,
    value = Number.NaN,
    definedFrom?: string,
  ): Token {
    const { line, col } = this.position(offset);
    return { kind, text, value, line, col, offset, end, definedFrom };
  }

  /**
   * End offset of `open first ... first second` scanned the reference's way: after the two-char
   * opener, a character other than `first` is body; `first` followed by `second` closes; `first`
   * followed by anything else consumes both. Returns 0 when the body never closes.
   */
  private pairBody(p: number, first: string, second: string, which: 'comment' | 'code'): number {
    const s = this.src;
    const dead = which === 'comment' ? this.deadComment : this.deadCode;
    let i = p + 2;
    while (i < s.length && dead?.[i] !== 1) {
      if (s[i] !== first) i++;
      else if (s[i + 1] === second) return i + 2;
      else i += 2;
    }
    // No end: mark the positions this scan went through, so that a later scan reaching one of
    // them stops at once (keeps lexing linear on unclosed openers).
    const marks = dead ?? new Uint8Array(s.length + 1);
    if (which === 'comment') this.deadComment = marks;
    else this.deadCode = marks;
    const stop = i;
    for (i = p + 2; i < stop; ) {
      marks[i] = 1;
      i += s[i] === first ? 2 : 1;
    }
    return 0;
  }
}

/** Strips the first and last character (the reference's `quoted()` of a define value). */
function unquote(v: string): string {
  return v.length >= 2 ? v.slice(1, -1) : '';
}

/** A code body with leading and trailing spaces and tabs (not newlines) removed. */
function trimCode(body: string): string {
  let a = 0;
  let b = body.length;
  while (a < b && (body[a] === ' ' || body[a] === '\t')) a++;
  while (b > a && (body[b - 1] === ' ' || body[b - 1] === '\t')) b--;
  return body.slice(a, b);
}

/**
 * End offset (after the closing delimiter) of the string or back-quoted text opening at `p`, or
 * 0 when none closes. Longest match of `q(\\.|[^q])*q`: the body may hold a delimiter only when a
 * backslash precedes it, so the match ends at the first unescaped delimiter, or failing that at
 * the last escaped one.
 */
function quotedEnd(s: string, p: number): number {
  const q = s[p]!;
  let last = 0;
  for (let i = s.indexOf(q, p + 1); i >= 0; i = s.indexOf(q, i + 1)) {
    last = i + 1;
    if (s[i - 1] !== '\\') return last;
  }
  return last;
}

function ipv4Len(s: string, p: number): number {
  let i = p;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (s[i] !== '.') return 0;
      i++;
    }
    const n = runOf(s, i, DIGIT);
    if (n === 0) return 0;
    i += n;
  }
  return i - p;
}

function ipv6Len(s: string, p: number): number {
  // Every form contains "::" except the full eight-group one (seven colons).
  let colons = 0;
  let double = false;
  for (let n = 0; n < IPV6_PRECHECK && p + n < s.length; n++) {
    const ch = s[p + n]!;
    if (ch === ':') {
      colons++;
      if (n > 0 && s[p + n - 1] === ':') double = true;
    } else if (ch !== '.' && (cls(s, p + n) & HEXDIGIT) === 0) break;
  }
  if (!double && colons < 7) return 0;
  let best = 0;
  for (const re of IPV6_RES) {
    re.lastIndex = p;
    const m = re.exec(s);
    if (m !== null && m[0].length > best) best = m[0].length;
  }
  return best;
}
