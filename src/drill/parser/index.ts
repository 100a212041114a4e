/**
 * The packetdrill script parser of `wirestack drill`: `parseScript(text, { file, defines })`
 * returns a typed syntax tree (see `ast.ts`) or an error value; `formatEvent` prints an event
 * back in script syntax.
 */

export type * from './ast.js';
export { describeToken, MAX_NESTING, ParseError } from './cursor.js';
export {
  formatEvent,
  formatExpr,
  formatPacket,
  formatScript,
  formatSyscall,
  formatTcpOption,
  formatTime,
} from './format.js';
export { KEYWORDS, Lexer, strtolFull, type Token, type TokenKind } from './lexer.js';
export { MAX_TCP_OPTIONS_LEN, optionLength } from './packet.js';
export {
  type ParseOptions,
  type ParseResult,
  parseScript,
  SCRIPT_OPTION_NAMES,
  type ScriptError,
} from './parser.js';
