/**
 * Tokenizer and parser for the shell subset of back-quoted commands: words with single/double
 * quotes and backslash escapes, `$VAR`, `${VAR}`, `$((arithmetic))`, `#` comments, backslash-newline
 * continuations, redirections (`>`, `>>`, `<`, `N>`, `N>&M`, `&>`), pipelines `|`, and lists joined
 * by `;`, `&&`, `||` and newlines. Globs, subshells, `$(...)` and here-documents are not part of it:
 * they are reported as syntax errors.
 */

/** A piece of a word; expansion concatenates the pieces. */
export type WordPart =
  | { readonly kind: 'lit'; readonly text: string }
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'arith'; readonly expr: string };

export interface Word {
  readonly parts: readonly WordPart[];
}

export interface Redirect {
  /** The file descriptor redirected (1 for `>`, 2 for `2>`, 0 for `<`; `&>` is fd 1 and 2). */
  readonly fd: number;
  readonly op: '>' | '>>' | '<' | '>&' | '&>';
  /** The target file, or for `>&` the fd number as a word. */
  readonly target: Word;
}

export interface SimpleCommand {
  readonly words: readonly Word[];
  readonly redirects: readonly Redirect[];
}

/** `cmd | cmd | ...`. */
export interface Pipeline {
  readonly commands: readonly SimpleCommand[];
}

/** `pipeline (&& | ||) pipeline ...`; `ops[i]` joins `pipelines[i]` and `pipelines[i+1]`. */
export interface AndOr {
  readonly pipelines: readonly Pipeline[];
  readonly ops: readonly ('&&' | '||')[];
}

/** A whole command text: and-or lists run in order. */
export interface ShellList {
  readonly items: readonly AndOr[];
}

export class ShellSyntaxError extends Error {}

type Tok = { readonly t: 'word'; readonly word: Word } | { readonly t: 'op'; readonly op: string; readonly fd?: number };

function isMeta(c: string): boolean {
  return c === '|' || c === '&' || c === ';' || c === '<' || c === '>' || c === '(' || c === ')' || c === '\n';
}

/** Splits command text into words and operators. */
export function tokenizeShell(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '\n' || c === ';') {
      toks.push({ t: 'op', op: c === ';' && src[i + 1] === ';' ? ';;' : c === '\n' ? '\n' : ';' });
      i += c === ';' && src[i + 1] === ';' ? 2 : 1;
      continue;
    }
    if (c === '(' || c === ')') throw new ShellSyntaxError(`unsupported shell syntax '${c}'`);
    // IO-number prefix: digits immediately followed by '<' or '>'.
    const io = /^(\d+)([<>])/.exec(src.slice(i, i + 12));
    if (io) {
      const fd = Number(io[1]);
      i += io[1]!.length;
      i = pushRedirOp(src, i, toks, fd);
      continue;
    }
    if (c === '>' || c === '<') {
      i = pushRedirOp(src, i, toks, c === '<' ? 0 : 1);
      continue;
    }
    if (c === '&' && src[i + 1] === '>') {
      i += src[i + 2] === '>' ? 3 : 2;
      toks.push({ t: 'op', op: '&>', fd: 1 });
      continue;
    }
    if (c === '&' || c === '|') {
      const two = src.slice(i, i + 2);
      if (two === '&&' || two === '||') {
        toks.push({ t: 'op', op: two });
        i += 2;
      } else {
        if (c === '&') throw new ShellSyntaxError('background jobs (&) are not supported');
        toks.push({ t: 'op', op: '|' });
        i++;
      }
      continue;
    }
    const r = readWord(src, i);
    toks.push({ t: 'word', word: r.word });
    i = r.end;
  }
  return toks;
}

function pushRedirOp(src: string, i: number, toks: Tok[], fd: number): number {
  const c = src[i]!;
  if (c === '<') {
    toks.push({ t: 'op', op: '<', fd });
    return i + 1;
  }
  if (src[i + 1] === '>') {
    toks.push({ t: 'op', op: '>>', fd });
    return i + 2;
  }
  if (src[i + 1] === '&') {
    toks.push({ t: 'op', op: '>&', fd });
    return i + 2;
  }
  toks.push({ t: 'op', op: '>', fd });
  return i + (src[i + 1] === '|' ? 2 : 1);
}

function readWord(src: string, start: number): { word: Word; end: number } {
  const parts: WordPart[] = [];
  let lit = '';
  let i = start;
  const flush = (): void => {
    if (lit !== '') parts.push({ kind: 'lit', text: lit });
    lit = '';
  };
  const dollar = (inQuotes: boolean): boolean => {
    // At src[i] === '$'. Returns false when the '$' is literal.
    if (src.startsWith('$((', i)) {
      let depth = 0;
      let j = i + 1;
      for (; j < src.length; j++) {
        if (src[j] === '(') depth++;
        else if (src[j] === ')') {
          depth--;
          if (depth === 0) break;
        }
      }
      if (j >= src.length || src.slice(i + 3, j).endsWith(')') === false) throw new ShellSyntaxError('unterminated $((...))');
      flush();
      parts.push({ kind: 'arith', expr: src.slice(i + 3, j - 1) });
      i = j + 1;
      return true;
    }
    if (src[i + 1] === '(') throw new ShellSyntaxError('command substitution $(...) is not supported');
    if (src[i + 1] === '{') {
      const end = src.indexOf('}', i);
      if (end < 0) throw new ShellSyntaxError('unterminated ${...}');
      const name = src.slice(i + 2, end);
      if (!/^([A-Za-z_]\w*|\d+|[?$#])$/.test(name)) throw new ShellSyntaxError(`unsupported parameter expansion \${${name}}`);
      flush();
      parts.push({ kind: 'var', name });
      i = end + 1;
      return true;
    }
    const m = /^\$([A-Za-z_]\w*|\d|[?$#])/.exec(src.slice(i, i + 256));
    if (!m) return false;
    flush();
    parts.push({ kind: 'var', name: m[1]! });
    i += m[0].length;
    void inQuotes;
    return true;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || isMeta(c)) break;
    if (c === '\\') {
      if (src[i + 1] === '\n') {
        i += 2;
        continue;
      }
      lit += src[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError('unterminated single quote');
      lit += src.slice(i + 1, end);
      // An empty quoted string still makes a word.
      if (end === i + 1) parts.push({ kind: 'lit', text: '' });
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      let empty = true;
      while (true) {
        if (i >= src.length) throw new ShellSyntaxError('unterminated double quote');
        const d = src[i]!;
        if (d === '"') break;
        empty = false;
        if (d === '\\' && '$`"\\\n'.includes(src[i + 1] ?? '')) {
          if (src[i + 1] !== '\n') lit += src[i + 1];
          i += 2;
          continue;
        }
        if (d === '`') throw new ShellSyntaxError('command substitution `...` is not supported');
        if (d === '$' && dollar(true)) continue;
        lit += d;
        i++;
      }
      if (empty) parts.push({ kind: 'lit', text: '' });
      i++;
      continue;
    }
    if (c === '`') throw new ShellSyntaxError('command substitution `...` is not supported');
    if (c === '$' && dollar(false)) continue;
    if (c === '*' || c === '?' || c === '[') {
      // Glob characters stay literal (no pathname expansion here).
    }
    lit += c;
    i++;
  }
  flush();
  return { word: { parts }, end: i };
}

/** Parses command text into lists of pipelines. Throws `ShellSyntaxError`. */
export function parseShell(src: string): ShellList {
  const toks = tokenizeShell(src);
  let p = 0;
  const items: AndOr[] = [];
  const skipSeparators = (): void => {
    while (p < toks.length) {
      const t = toks[p]!;
      if (t.t === 'op' && (t.op === ';' || t.op === '\n')) p++;
      else break;
    }
  };
  const command = (): SimpleCommand => {
    const words: Word[] = [];
    const redirects: Redirect[] = [];
    while (p < toks.length) {
      const t = toks[p]!;
      if (t.t === 'word') {
        words.push(t.word);
        p++;
        continue;
      }
      if (t.op === '>' || t.op === '>>' || t.op === '<' || t.op === '>&' || t.op === '&>') {
        const target = toks[p + 1];
        if (!target || target.t !== 'word') throw new ShellSyntaxError(`syntax error: expected a file name after '${t.op}'`);
        redirects.push({ fd: t.fd ?? 1, op: t.op, target: target.word });
        p += 2;
        continue;
      }
      break;
    }
    if (words.length === 0) {
      const t = toks[p];
      throw new ShellSyntaxError(`syntax error near unexpected token '${t === undefined ? 'end of input' : t.t === 'op' ? t.op.replace('\n', 'newline') : ''}'`);
    }
    return { words, redirects };
  };
  const pipeline = (): Pipeline => {
    const commands = [command()];
    while (p < toks.length) {
      const t = toks[p]!;
      if (t.t !== 'op' || t.op !== '|') break;
      p++;
      while (p < toks.length && toks[p]!.t === 'op' && (toks[p] as { op: string }).op === '\n') p++;
      commands.push(command());
    }
    return { commands };
  };
  skipSeparators();
  while (p < toks.length) {
    const pipelines = [pipeline()];
    const ops: ('&&' | '||')[] = [];
    while (p < toks.length) {
      const t = toks[p]!;
      if (t.t !== 'op' || (t.op !== '&&' && t.op !== '||')) break;
      p++;
      while (p < toks.length && toks[p]!.t === 'op' && (toks[p] as { op: string }).op === '\n') p++;
      ops.push(t.op);
      pipelines.push(pipeline());
    }
    items.push({ pipelines, ops });
    const t = toks[p];
    if (t !== undefined && !(t.t === 'op' && (t.op === ';' || t.op === '\n'))) {
      throw new ShellSyntaxError(`syntax error near unexpected token '${t.t === 'op' ? t.op : 'word'}'`);
    }
    skipSeparators();
  }
  return { items };
}

/**
 * Evaluates a shell arithmetic expression (`$(( ))`): integers (decimal, 0x hex, leading-0 octal),
 * variables, unary `+ - ! ~`, `* / %`, `+ -`, `<< >>`, comparisons, `& ^ |`, `&& ||`, parentheses.
 */
export function evalArithmetic(expr: string, env: (name: string) => string | undefined): bigint {
  const toks = expr.match(/0[xX][0-9a-fA-F]+|\d+|[A-Za-z_]\w*|<<|>>|<=|>=|==|!=|&&|\|\||\S/g) ?? [];
  let p = 0;
  const peek = (): string | undefined => toks[p];
  type Apply = (op: string, a: bigint, b: bigint) => bigint;
  const bin = (ops: readonly string[], sub: () => bigint, apply: Apply) => (): bigint => {
    let a = sub();
    while (p < toks.length && ops.includes(peek()!)) {
      const op = toks[p++]!;
      a = apply(op, a, sub());
    }
    return a;
  };
  const b = (x: boolean): bigint => (x ? 1n : 0n);
  const primary = (): bigint => {
    const t = toks[p++];
    if (t === undefined) throw new ShellSyntaxError(`arithmetic syntax error in '${expr}'`);
    if (t === '(') {
      const v = lor();
      if (toks[p++] !== ')') throw new ShellSyntaxError(`arithmetic syntax error in '${expr}'`);
      return v;
    }
    if (t === '-') return -primary();
    if (t === '+') return primary();
    if (t === '!') return b(primary() === 0n);
    if (t === '~') return ~primary();
    if (/^0[xX]/.test(t)) return BigInt(t);
    if (/^0\d+$/.test(t)) return BigInt(`0o${t.slice(1)}`);
    if (/^\d+$/.test(t)) return BigInt(t);
    if (/^[A-Za-z_]\w*$/.test(t)) {
      const v = (env(t) ?? '').trim();
      return v === '' ? 0n : evalArithmetic(v, env);
    }
    throw new ShellSyntaxError(`arithmetic syntax error in '${expr}'`);
  };
  const mul = bin(['*', '/', '%'], primary, (op, x, y) => {
    if (op !== '*' && y === 0n) throw new ShellSyntaxError('arithmetic: division by 0');
    return op === '*' ? x * y : op === '/' ? x / y : x % y;
  });
  const add = bin(['+', '-'], mul, (op, x, y) => (op === '+' ? x + y : x - y));
  const shift = bin(['<<', '>>'], add, (op, x, y) => (op === '<<' ? x << y : x >> y));
  const rel = bin(['<', '<=', '>', '>='], shift, (op, x, y) => b(op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y));
  const eq = bin(['==', '!='], rel, (op, x, y) => b(op === '==' ? x === y : x !== y));
  const band = bin(['&'], eq, (_op, x, y) => x & y);
  const bxor = bin(['^'], band, (_op, x, y) => x ^ y);
  const bor = bin(['|'], bxor, (_op, x, y) => x | y);
  const land = bin(['&&'], bor, (_op, x, y) => b(x !== 0n && y !== 0n));
  const lor = bin(['||'], land, (_op, x, y) => b(x !== 0n || y !== 0n));
  const v = lor();
  if (p !== toks.length) throw new ShellSyntaxError(`arithmetic syntax error in '${expr}'`);
  return v;
}
