/**
 * Tokenizer for the Python subset of `%{ }%` blocks (LANGUAGE.md §10): names, integers (decimal,
 * hex, octal, binary), floats, single/double-quoted strings with the common escapes and an `f`
 * prefix, operators, `#` comments, `\` line continuations, implicit joining inside brackets, and
 * INDENT/DEDENT for `if` blocks. Positions are 1-based lines/columns within the block.
 */

export type PyTokKind = 'name' | 'int' | 'float' | 'string' | 'fstring' | 'op' | 'newline' | 'indent' | 'dedent' | 'eof';

export interface PyToken {
  readonly kind: PyTokKind;
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

/** A syntax error in a code block, with its position inside the block. */
export class PySyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
  }
}

const OPS = [
  '**=', '//=', '>>=', '<<=',
  '==', '!=', '<=', '>=', '//', '**', '<<', '>>', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
  '+', '-', '*', '/', '%', '&', '|', '^', '~', '<', '>', '(', ')', '[', ']', '{', '}', ',', ':', '.', ';', '=',
];

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v',
};

/** Splits `src` into tokens. Throws `PySyntaxError` for a character or string it cannot read. */
export function tokenizePython(src: string): PyToken[] {
  const out: PyToken[] = [];
  const indents = [0];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let depth = 0;
  let atLineStart = true;
  const n = src.length;
  const push = (kind: PyTokKind, text: string, at: number): void => {
    out.push({ kind, text, line, col: at - lineStart + 1 });
  };
  while (i < n) {
    if (atLineStart && depth === 0) {
      // Measure indentation; blank and comment-only lines do not count.
      let j = i;
      let width = 0;
      while (j < n && (src[j] === ' ' || src[j] === '\t')) {
        width += src[j] === '\t' ? 8 - (width % 8) : 1;
        j++;
      }
      if (j >= n || src[j] === '\n' || src[j] === '#' || (src[j] === '\\' && src[j + 1] === '\n')) {
        i = j;
        atLineStart = false;
        continue;
      }
      const top = indents[indents.length - 1]!;
      if (width > top) {
        indents.push(width);
        push('indent', '', j);
      } else {
        while (width < indents[indents.length - 1]!) {
          indents.pop();
          push('dedent', '', j);
        }
        if (width !== indents[indents.length - 1]) throw new PySyntaxError('unindent does not match any outer indentation level', line, j - lineStart + 1);
      }
      i = j;
      atLineStart = false;
      continue;
    }
    const c = src[i]!;
    if (c === '\n') {
      if (depth === 0 && out.length > 0 && out[out.length - 1]!.kind !== 'newline') push('newline', '\n', i);
      i++;
      line++;
      lineStart = i;
      atLineStart = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '\\') {
      if (src[i + 1] === '\n') {
        i += 2;
        line++;
        lineStart = i;
        continue;
      }
      if (i + 1 >= n) {
        i++;
        continue;
      }
      throw new PySyntaxError('unexpected character after line continuation character', line, i - lineStart + 1);
    }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < n && /\w/.test(src[i]!)) i++;
      const word = src.slice(start, i);
      if ((word === 'f' || word === 'F') && (src[i] === '"' || src[i] === "'")) {
        const s = readString(src, i, line, lineStart);
        push('fstring', s.value, start);
        i = s.end;
        continue;
      }
      if ((word === 'r' || word === 'R') && (src[i] === '"' || src[i] === "'")) {
        const s = readString(src, i, line, lineStart, true);
        push('string', s.value, start);
        i = s.end;
        continue;
      }
      push('name', word, start);
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?)/.exec(src.slice(i))!;
      const text = m[0];
      i += text.length;
      const isFloat = !/^0[xXoObB]/.test(text) && /[.eE]/.test(text);
      const clean = text.replaceAll('_', '');
      if (isFloat ? Number.isNaN(Number(clean)) : !/^(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|\d+)$/.test(clean)) {
        throw new PySyntaxError('invalid number literal', line, start - lineStart + 1);
      }
      push(isFloat ? 'float' : 'int', clean, start);
      continue;
    }
    if (c === '"' || c === "'") {
      const s = readString(src, i, line, lineStart);
      push('string', s.value, start);
      i = s.end;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new PySyntaxError(`invalid character '${c}'`, line, i - lineStart + 1);
    if (op === '(' || op === '[' || op === '{') depth++;
    if (op === ')' || op === ']' || op === '}') depth = Math.max(0, depth - 1);
    push('op', op, start);
    i += op.length;
  }
  if (out.length > 0 && out[out.length - 1]!.kind !== 'newline') push('newline', '\n', i);
  while (indents.length > 1) {
    indents.pop();
    push('dedent', '', i);
  }
  push('eof', '', i);
  return out;
}

function readString(
  src: string,
  i: number,
  line: number,
  lineStart: number,
  raw = false,
): { value: string; end: number } {
  const q = src[i]!;
  const triple = src.startsWith(q.repeat(3), i);
  const close = triple ? q.repeat(3) : q;
  let j = i + close.length;
  let value = '';
  while (true) {
    if (j >= src.length || (!triple && src[j] === '\n')) {
      throw new PySyntaxError('unterminated string literal', line, i - lineStart + 1);
    }
    if (src.startsWith(close, j)) return { value, end: j + close.length };
    const ch = src[j]!;
    if (ch === '\\' && !raw) {
      const e = src[j + 1] ?? '';
      if (e === '\n') {
        j += 2;
        continue;
      }
      if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(j + 2, j + 4))) {
        value += String.fromCharCode(parseInt(src.slice(j + 2, j + 4), 16));
        j += 4;
        continue;
      }
      const m = ESCAPES[e];
      value += m ?? `\\${e}`;
      j += 2;
      continue;
    }
    value += ch;
    j++;
  }
}
