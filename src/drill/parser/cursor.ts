/**
 * Token cursor shared by the recursive-descent parser modules: one token of lookahead, typed
 * accept/expect helpers, and errors that say what was expected and what was found.
 */

import type { Pos } from './ast.js';
import type { Lexer, Token, TokenKind } from './lexer.js';

/** A syntax or semantic error at a source position. Thrown inside the parser only. */
export class ParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    /** The message without the location prefix. */
    readonly detail: string,
  ) {
    super(`${file}:${line}:${col}: error: ${detail}`);
    this.name = 'ParseError';
  }
}

const SHOWN = 24;
/** Deepest expression nesting accepted (far beyond any real script). */
export const MAX_NESTING = 64;

function clip(s: string): string {
  const one = s.replace(/\n/g, '\\n');
  return one.length > SHOWN ? `${one.slice(0, SHOWN)}...` : one;
}

/** How a token is named in error messages. */
export function describeToken(t: Token): string {
  const from = t.definedFrom !== undefined ? ` (from define '${t.definedFrom}')` : '';
  switch (t.kind) {
    case 'eof':
      return 'end of file';
    case 'char':
      if (t.text === '\n') return 'newline';
      if (t.text === '\r') return 'carriage return';
      return `'${t.text}'`;
    case 'keyword':
      return `keyword '${t.text}'`;
    case 'word':
      return `word '${clip(t.text)}'${from}`;
    case 'int':
    case 'hex':
      return `integer ${t.text}${from}`;
    case 'float':
      return `number ${t.text}`;
    case 'string':
      return `string "${clip(t.text)}"${from}`;
    case 'backquoted':
      return `command \`${clip(t.text)}\`${from}`;
    case 'code':
      return 'code block %{...}%';
    case 'option':
      return `option '--${t.text}'`;
    case 'ellipsis':
      return '\'...\'';
    case 'ipv4':
      return `IPv4 address ${t.text}`;
    case 'ipv6':
      return `IPv6 address ${t.text}`;
  }
}

export class Cursor {
  /** The lookahead token. */
  tok: Token;

  constructor(
    readonly lexer: Lexer,
    readonly file: string,
  ) {
    this.tok = lexer.next();
  }

  private depth = 0;
  private ahead: Token | undefined;
  /** End offset of the last token consumed. */
  prevEnd = 0;

  /** Guards recursion (nested lists, structs, unary chains); pair with `leave()`. */
  enter(): void {
    if (++this.depth > MAX_NESTING) {
      throw new ParseError(
        this.file,
        this.tok.line,
        this.tok.col,
        `expressions nested more than ${MAX_NESTING} deep`,
      );
    }
  }

  leave(): void {
    this.depth--;
  }

  /** Returns the lookahead and moves past it. */
  advance(): Token {
    const t = this.tok;
    this.prevEnd = t.end;
    if (t.kind !== 'eof') {
      this.tok = this.ahead ?? this.lexer.next();
      this.ahead = undefined;
    }
    return t;
  }

  /** The token after the lookahead (a second token of lookahead, used sparingly). */
  peekNext(): Token {
    if (this.tok.kind === 'eof') return this.tok;
    this.ahead ??= this.lexer.next();
    return this.ahead;
  }

  /** Position of the lookahead. */
  pos(): Pos {
    return { line: this.tok.line, col: this.tok.col };
  }

  isChar(c: string): boolean {
    return this.tok.kind === 'char' && this.tok.text === c;
  }

  isKw(k: string): boolean {
    return this.tok.kind === 'keyword' && this.tok.text === k;
  }

  is(kind: TokenKind): boolean {
    return this.tok.kind === kind;
  }

  acceptChar(c: string): Token | undefined {
    return this.isChar(c) ? this.advance() : undefined;
  }

  acceptKw(k: string): Token | undefined {
    return this.isKw(k) ? this.advance() : undefined;
  }

  expectChar(c: string, what?: string): Token {
    if (this.isChar(c)) return this.advance();
    return this.fail(what ?? `'${c}'`);
  }

  expectKw(k: string, what?: string): Token {
    if (this.isKw(k)) return this.advance();
    return this.fail(what ?? `'${k}'`);
  }

  expect(kind: TokenKind, what: string): Token {
    if (this.tok.kind === kind) return this.advance();
    return this.fail(what);
  }

  /** A decimal INTEGER token (the reference's INTEGER, not hex). */
  expectInt(what: string): Token {
    return this.expect('int', what);
  }

  /** Throws "expected <what>, found <lookahead>" at the lookahead. */
  fail(what: string): never {
    throw new ParseError(
      this.file,
      this.tok.line,
      this.tok.col,
      `expected ${what}, found ${describeToken(this.tok)}`,
    );
  }

  /** Throws a semantic error (a well-formed construct with a bad meaning) at `at`. */
  semantic(at: Pos, message: string): never {
    throw new ParseError(this.file, at.line, at.col, message);
  }
}

/** Position of a token. */
export function posOf(t: Token): Pos {
  return { line: t.line, col: t.col };
}

export function isU8(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xff;
}
export function isU16(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffff;
}
export function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}
