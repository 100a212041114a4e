/**
 * Parser for the Python subset of `%{ }%` blocks: statements `assert e[, msg]`, `print(...)`,
 * assignments (`x = e`, `a, b = e`, `x += e` and the other augmented forms), `if/elif/else`, `pass`
 * and bare expressions; expressions with Python precedence — `or`/`and`/`not`, chained
 * comparisons incl. `in`/`not in`/`is`, `| ^ & << >> + - * / // % **`, unary `- + ~`, calls,
 * attribute access, subscripts, tuples, lists, `%`-formatting and f-strings.
 */
import { type PyToken, PySyntaxError, tokenizePython } from './lexer.js';

export interface PyPos {
  readonly line: number;
  readonly col: number;
}

export type PyExpr =
  | ({ readonly k: 'num'; readonly value: bigint | number } & PyPos)
  | ({ readonly k: 'str'; readonly value: string } & PyPos)
  | ({ readonly k: 'fstr'; readonly parts: readonly (string | { readonly expr: PyExpr; readonly spec: string })[] } & PyPos)
  | ({ readonly k: 'name'; readonly name: string } & PyPos)
  | ({ readonly k: 'const'; readonly value: boolean | null } & PyPos)
  | ({ readonly k: 'tuple' | 'list'; readonly items: readonly PyExpr[] } & PyPos)
  | ({ readonly k: 'unary'; readonly op: '-' | '+' | '~' | 'not'; readonly operand: PyExpr } & PyPos)
  | ({ readonly k: 'binary'; readonly op: string; readonly lhs: PyExpr; readonly rhs: PyExpr } & PyPos)
  | ({ readonly k: 'bool'; readonly op: 'and' | 'or'; readonly lhs: PyExpr; readonly rhs: PyExpr } & PyPos)
  | ({ readonly k: 'compare'; readonly first: PyExpr; readonly ops: readonly string[]; readonly rest: readonly PyExpr[] } & PyPos)
  | ({ readonly k: 'cond'; readonly test: PyExpr; readonly then: PyExpr; readonly else: PyExpr } & PyPos)
  | ({ readonly k: 'call'; readonly fn: PyExpr; readonly args: readonly PyExpr[] } & PyPos)
  | ({ readonly k: 'attr'; readonly obj: PyExpr; readonly name: string } & PyPos)
  | ({ readonly k: 'index'; readonly obj: PyExpr; readonly index: PyExpr } & PyPos);

export type PyStmt =
  | ({ readonly k: 'assert'; readonly test: PyExpr; readonly msg: PyExpr | undefined } & PyPos)
  | ({ readonly k: 'assign'; readonly targets: readonly PyExpr[]; readonly value: PyExpr } & PyPos)
  | ({ readonly k: 'augassign'; readonly target: PyExpr; readonly op: string; readonly value: PyExpr } & PyPos)
  | ({ readonly k: 'if'; readonly branches: readonly { readonly test: PyExpr; readonly body: readonly PyStmt[] }[]; readonly orelse: readonly PyStmt[] } & PyPos)
  | ({ readonly k: 'expr'; readonly expr: PyExpr } & PyPos)
  | ({ readonly k: 'pass' } & PyPos);

export interface PyProgram {
  readonly body: readonly PyStmt[];
}

const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** Nesting limit for expressions, so that hostile input cannot exhaust the stack. */
export const MAX_PY_NESTING = 200;

class PyParser {
  private pos = 0;
  private depth = 0;

  private enter(): void {
    if (++this.depth > MAX_PY_NESTING) this.fail('expression nested too deeply');
  }
  constructor(private readonly toks: readonly PyToken[]) {}

  private peek(o = 0): PyToken {
    return this.toks[Math.min(this.pos + o, this.toks.length - 1)]!;
  }
  private next(): PyToken {
    const t = this.peek();
    this.pos++;
    return t;
  }
  private isOp(text: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === 'op' && t.text === text;
  }
  private isWord(text: string): boolean {
    const t = this.peek();
    return t.kind === 'name' && t.text === text;
  }
  private fail(msg: string, t: PyToken = this.peek()): never {
    throw new PySyntaxError(msg, t.line, t.col);
  }
  private expectOp(text: string): PyToken {
    if (!this.isOp(text)) this.fail(`expected '${text}', found ${describe(this.peek())}`);
    return this.next();
  }

  program(): PyProgram {
    const body: PyStmt[] = [];
    while (this.peek().kind === 'newline') this.next();
    while (this.peek().kind !== 'eof') {
      if (this.peek().kind === 'indent') this.fail('unexpected indent');
      body.push(...this.statementLine());
      while (this.peek().kind === 'newline') this.next();
    }
    return { body };
  }

  /** One logical line: `simple (; simple)* [;] NEWLINE`, or a compound `if` statement. */
  private statementLine(): PyStmt[] {
    if (this.isWord('if')) return [this.ifStmt()];
    const out = [this.simple()];
    while (this.isOp(';')) {
      this.next();
      if (this.peek().kind === 'newline' || this.peek().kind === 'eof') break;
      out.push(this.simple());
    }
    const t = this.peek();
    if (t.kind !== 'newline' && t.kind !== 'eof' && t.kind !== 'dedent') this.fail(`invalid syntax: unexpected ${describe(t)}`);
    if (t.kind === 'newline') this.next();
    return out;
  }

  private block(): PyStmt[] {
    this.expectOp(':');
    if (this.peek().kind !== 'newline') {
      const out = [this.simple()];
      while (this.isOp(';')) {
        this.next();
        if (this.peek().kind === 'newline') break;
        out.push(this.simple());
      }
      if (this.peek().kind === 'newline') this.next();
      return out;
    }
    this.next();
    while (this.peek().kind === 'newline') this.next();
    if (this.peek().kind !== 'indent') this.fail('expected an indented block');
    this.next();
    const body: PyStmt[] = [];
    while (this.peek().kind !== 'dedent' && this.peek().kind !== 'eof') {
      body.push(...this.statementLine());
      while (this.peek().kind === 'newline') this.next();
    }
    if (this.peek().kind === 'dedent') this.next();
    return body;
  }

  private ifStmt(): PyStmt {
    const t = this.next();
    const branches = [{ test: this.expr(), body: this.block() }];
    let orelse: PyStmt[] = [];
    while (this.isWord('elif')) {
      this.next();
      branches.push({ test: this.expr(), body: this.block() });
    }
    if (this.isWord('else')) {
      this.next();
      orelse = this.block();
    }
    return { k: 'if', branches, orelse, line: t.line, col: t.col };
  }

  private simple(): PyStmt {
    const t = this.peek();
    const at = { line: t.line, col: t.col };
    if (this.isWord('assert')) {
      this.next();
      const test = this.expr();
      let msg: PyExpr | undefined;
      if (this.isOp(',')) {
        this.next();
        msg = this.expr();
      }
      return { k: 'assert', test, msg, ...at };
    }
    if (this.isWord('pass')) {
      this.next();
      return { k: 'pass', ...at };
    }
    for (const w of ['for', 'while', 'def', 'class', 'import', 'from', 'return', 'with', 'try', 'lambda', 'del', 'global', 'raise']) {
      if (this.isWord(w)) this.fail(`unsupported Python statement '${w}'`);
    }
    const first = this.exprList();
    const p = this.peek();
    if (p.kind === 'op' && p.text.length >= 2 && p.text.endsWith('=') && !COMPARE_OPS.has(p.text)) {
      this.next();
      checkTarget(first, false);
      return { k: 'augassign', target: first, op: p.text.slice(0, -1), value: this.exprList(), ...at };
    }
    if (this.isOp('=')) {
      const targets = [first];
      let value: PyExpr = first;
      while (this.isOp('=')) {
        this.next();
        value = this.exprList();
        targets.push(value);
      }
      targets.pop();
      for (const tg of targets) checkTarget(tg, true);
      return { k: 'assign', targets, value, ...at };
    }
    return { k: 'expr', expr: first, ...at };
  }

  /** `e (, e)* [,]` — a tuple when there is a comma. */
  private exprList(): PyExpr {
    const t = this.peek();
    const first = this.expr();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.endsExprList()) break;
      items.push(this.expr());
    }
    return { k: 'tuple', items, line: t.line, col: t.col };
  }

  private endsExprList(): boolean {
    const t = this.peek();
    return t.kind === 'newline' || t.kind === 'eof' || (t.kind === 'op' && [')', ']', '=', ';', ':'].includes(t.text));
  }

  expr(): PyExpr {
    this.enter();
    try {
      return this.condExpr();
    } finally {
      this.depth--;
    }
  }

  private condExpr(): PyExpr {
    const t = this.peek();
    const e = this.orExpr();
    if (this.isWord('if')) {
      this.next();
      const test = this.orExpr();
      if (!this.isWord('else')) this.fail("expected 'else' in conditional expression");
      this.next();
      return { k: 'cond', test, then: e, else: this.expr(), line: t.line, col: t.col };
    }
    return e;
  }

  private orExpr(): PyExpr {
    let lhs = this.andExpr();
    while (this.isWord('or')) {
      const t = this.next();
      lhs = { k: 'bool', op: 'or', lhs, rhs: this.andExpr(), line: t.line, col: t.col };
    }
    return lhs;
  }

  private andExpr(): PyExpr {
    let lhs = this.notExpr();
    while (this.isWord('and')) {
      const t = this.next();
      lhs = { k: 'bool', op: 'and', lhs, rhs: this.notExpr(), line: t.line, col: t.col };
    }
    return lhs;
  }

  private notExpr(): PyExpr {
    if (this.isWord('not')) {
      const t = this.next();
      this.enter();
      const operand = this.notExpr();
      this.depth--;
      return { k: 'unary', op: 'not', operand, line: t.line, col: t.col };
    }
    return this.comparison();
  }

  private compareOp(): string | undefined {
    const t = this.peek();
    if (t.kind === 'op' && COMPARE_OPS.has(t.text)) return this.next().text;
    if (t.kind === 'name' && t.text === 'in') return this.next().text;
    if (t.kind === 'name' && t.text === 'not' && this.peek(1).kind === 'name' && this.peek(1).text === 'in') {
      this.pos += 2;
      return 'not in';
    }
    if (t.kind === 'name' && t.text === 'is') {
      this.next();
      if (this.isWord('not')) {
        this.next();
        return 'is not';
      }
      return 'is';
    }
    return undefined;
  }

  private comparison(): PyExpr {
    const t = this.peek();
    const first = this.bitOr();
    const ops: string[] = [];
    const rest: PyExpr[] = [];
    for (let op = this.compareOp(); op !== undefined; op = this.compareOp()) {
      ops.push(op);
      rest.push(this.bitOr());
    }
    return ops.length === 0 ? first : { k: 'compare', first, ops, rest, line: t.line, col: t.col };
  }

  private binaryLevel(ops: readonly string[], sub: () => PyExpr): PyExpr {
    let lhs = sub();
    while (this.peek().kind === 'op' && ops.includes(this.peek().text)) {
      const t = this.next();
      lhs = { k: 'binary', op: t.text, lhs, rhs: sub(), line: t.line, col: t.col };
    }
    return lhs;
  }

  private bitOr(): PyExpr {
    return this.binaryLevel(['|'], () => this.bitXor());
  }
  private bitXor(): PyExpr {
    return this.binaryLevel(['^'], () => this.bitAnd());
  }
  private bitAnd(): PyExpr {
    return this.binaryLevel(['&'], () => this.shift());
  }
  private shift(): PyExpr {
    return this.binaryLevel(['<<', '>>'], () => this.arith());
  }
  private arith(): PyExpr {
    return this.binaryLevel(['+', '-'], () => this.term());
  }
  private term(): PyExpr {
    return this.binaryLevel(['*', '/', '//', '%'], () => this.factor());
  }

  private factor(): PyExpr {
    const t = this.peek();
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      this.next();
      this.enter();
      const operand = this.factor();
      this.depth--;
      return { k: 'unary', op: t.text, operand, line: t.line, col: t.col };
    }
    return this.power();
  }

  private power(): PyExpr {
    const base = this.postfix();
    if (this.isOp('**')) {
      const t = this.next();
      return { k: 'binary', op: '**', lhs: base, rhs: this.factor(), line: t.line, col: t.col };
    }
    return base;
  }

  private postfix(): PyExpr {
    let e = this.atom();
    for (;;) {
      const t = this.peek();
      if (this.isOp('(')) {
        this.next();
        const args: PyExpr[] = [];
        while (!this.isOp(')')) {
          if (this.peek().kind === 'name' && this.isOp('=', 1)) this.fail('keyword arguments are not supported');
          args.push(this.expr());
          if (!this.isOp(',')) break;
          this.next();
        }
        this.expectOp(')');
        e = { k: 'call', fn: e, args, line: t.line, col: t.col };
      } else if (this.isOp('.')) {
        this.next();
        const n = this.next();
        if (n.kind !== 'name') this.fail(`expected an attribute name, found ${describe(n)}`, n);
        e = { k: 'attr', obj: e, name: n.text, line: t.line, col: t.col };
      } else if (this.isOp('[')) {
        this.next();
        const index = this.expr();
        this.expectOp(']');
        e = { k: 'index', obj: e, index, line: t.line, col: t.col };
      } else {
        return e;
      }
    }
  }

  private atom(): PyExpr {
    const t = this.next();
    const at = { line: t.line, col: t.col };
    switch (t.kind) {
      case 'int':
        return { k: 'num', value: BigInt(/^0[oO]/.test(t.text) ? `0o${t.text.slice(2)}` : t.text), ...at };
      case 'float':
        return { k: 'num', value: Number(t.text), ...at };
      case 'string':
      case 'fstring': {
        // Adjacent literals concatenate.
        const pieces: { text: string; f: boolean; tok: PyToken }[] = [{ text: t.text, f: t.kind === 'fstring', tok: t }];
        while (this.peek().kind === 'string' || this.peek().kind === 'fstring') {
          const n = this.next();
          pieces.push({ text: n.text, f: n.kind === 'fstring', tok: n });
        }
        if (!pieces.some((p) => p.f)) return { k: 'str', value: pieces.map((p) => p.text).join(''), ...at };
        const parts: (string | { expr: PyExpr; spec: string })[] = [];
        for (const p of pieces) parts.push(...(p.f ? parseFString(p.text, p.tok) : [p.text]));
        return { k: 'fstr', parts, ...at };
      }
      case 'name':
        if (t.text === 'True' || t.text === 'False') return { k: 'const', value: t.text === 'True', ...at };
        if (t.text === 'None') return { k: 'const', value: null, ...at };
        if (['and', 'or', 'not', 'in', 'is', 'if', 'else', 'elif', 'assert', 'pass', 'lambda'].includes(t.text)) {
          this.fail(`invalid syntax: unexpected keyword '${t.text}'`, t);
        }
        return { k: 'name', name: t.text, ...at };
      case 'op':
        if (t.text === '(') {
          if (this.isOp(')')) {
            this.next();
            return { k: 'tuple', items: [], ...at };
          }
          const e = this.exprList();
          this.expectOp(')');
          return e;
        }
        if (t.text === '[') {
          const items: PyExpr[] = [];
          while (!this.isOp(']')) {
            items.push(this.expr());
            if (!this.isOp(',')) break;
            this.next();
          }
          this.expectOp(']');
          return { k: 'list', items, ...at };
        }
        return this.fail(`invalid syntax: unexpected ${describe(t)}`, t);
      default:
        return this.fail(`invalid syntax: unexpected ${describe(t)}`, t);
    }
  }
}

function describe(t: PyToken): string {
  if (t.kind === 'eof') return 'end of code';
  if (t.kind === 'newline') return 'end of line';
  if (t.kind === 'indent' || t.kind === 'dedent') return 'indentation';
  return `'${t.text}'`;
}

function checkTarget(e: PyExpr, allowTuple: boolean): void {
  if (e.k === 'name' || e.k === 'attr' || e.k === 'index') return;
  if (allowTuple && (e.k === 'tuple' || e.k === 'list')) {
    for (const x of e.items) checkTarget(x, false);
    return;
  }
  throw new PySyntaxError('cannot assign to expression', e.line, e.col);
}

function parseFString(text: string, tok: PyToken): (string | { expr: PyExpr; spec: string })[] {
  const out: (string | { expr: PyExpr; spec: string })[] = [];
  let lit = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '{' && text[i + 1] === '{') {
      lit += '{';
      i += 2;
    } else if (c === '}' && text[i + 1] === '}') {
      lit += '}';
      i += 2;
    } else if (c === '{') {
      const end = text.indexOf('}', i);
      if (end < 0) throw new PySyntaxError("f-string: expecting '}'", tok.line, tok.col);
      const inner = text.slice(i + 1, end);
      const colon = inner.indexOf(':');
      const src = colon >= 0 ? inner.slice(0, colon) : inner;
      const spec = colon >= 0 ? inner.slice(colon + 1) : '';
      if (lit) out.push(lit);
      lit = '';
      const p = new PyParser(tokenizePython(src.trim()).filter((x) => x.kind !== 'newline'));
      out.push({ expr: p.expr(), spec });
      i = end + 1;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) out.push(lit);
  return out;
}

/** Parses a code block. Throws `PySyntaxError` with a position inside the block. */
export function parsePython(src: string): PyProgram {
  return new PyParser(tokenizePython(src)).program();
}
