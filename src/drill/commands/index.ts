/** Back-quoted shell commands of drill scripts, interpreted against a simulated namespace. */
export type { DrillNamespace, RouteChange, RouteMetric } from './namespace.js';
export {
  type CommandResult,
  resolvePath,
  restoreSysctls,
  ShellInterpreter,
  type ShellOptions,
  type SysctlUndo,
} from './interpreter.js';
export { evalArithmetic, parseShell, ShellSyntaxError, tokenizeShell } from './shell.js';
export type { AndOr, Pipeline, Redirect, ShellList, SimpleCommand, Word, WordPart } from './shell.js';
export { grep, nstat, posixRegexSource } from './textutil.js';
