/**
 * `%{ }%` code blocks (LANGUAGE.md §10): `compileCode` parses a block's text once, a
 * `CodeSession` runs the blocks of one script in order with shared globals and reports failures
 * the way packetdrill does (`file:line: error in Python code: AssertionError: msg`).
 */
import { CodeInterpreter, type CodeContext, PyError } from './evaluator.js';
import { PySyntaxError } from './lexer.js';
import { parsePython, type PyProgram } from './parser.js';

export type { CodeContext, PyValue, SnapshotNumber } from './evaluator.js';
export { CodeInterpreter, PyError, PyObject, repr, str, truthy } from './evaluator.js';
export { PySyntaxError, tokenizePython } from './lexer.js';
export { parsePython, type PyExpr, type PyProgram, type PyStmt } from './parser.js';
export * from './tcpinfo.js';

export type CompileResult =
  | { readonly ok: true; readonly program: PyProgram }
  | { readonly ok: false; readonly line: number; readonly col: number; readonly message: string };

/** Parses a code block; a syntax error comes back with its position inside the block. */
export function compileCode(code: string): CompileResult {
  try {
    return { ok: true, program: parsePython(code) };
  } catch (e) {
    if (e instanceof PySyntaxError) return { ok: false, line: e.line, col: e.col, message: `SyntaxError: ${e.message}` };
    throw e;
  }
}

/** Where a block sits in its script, for messages. */
export interface CodeSite {
  readonly file: string;
  /** Script line of the block's first code line. */
  readonly line: number;
}

export type CodeOutcome = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** Runs the code blocks of one script in order, sharing globals. */
export class CodeSession {
  private readonly interp = new CodeInterpreter();

  /** Lines printed so far by `print(...)`. */
  get output(): readonly string[] {
    return this.interp.output;
  }

  /** Compiles and runs one block against a snapshot. Never throws for script errors. */
  run(code: string, ctx: CodeContext, site: CodeSite): CodeOutcome {
    const c = compileCode(code);
    if (!c.ok) return { ok: false, message: `${site.file}:${site.line + c.line - 1}: error in Python code: ${c.message}` };
    try {
      this.interp.run(c.program, ctx);
      return { ok: true };
    } catch (e) {
      if (e instanceof PyError) {
        return { ok: false, message: `${site.file}:${site.line + e.line - 1}: error in Python code: ${e.message}` };
      }
      // Too deep an evaluation, too large an integer or string.
      if (e instanceof RangeError) {
        return { ok: false, message: `${site.file}:${site.line}: error in Python code: MemoryError: ${e.message}` };
      }
      throw e;
    }
  }
}
