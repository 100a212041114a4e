/**
 * The text-producing and text-filtering commands of the subset: `nstat` (output in iproute2's
 * format: a `#kernel` line, then `%-32s%-16llu%6.1f` per counter) and `grep` over standard input.
 */
import type { DrillNamespace } from './namespace.js';

export interface ToolResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Converts a POSIX basic regular expression to a JavaScript one (ERE when `extended`). */
export function posixRegexSource(pattern: string, extended: boolean): string {
  if (extended) return pattern.replace(/\\([<>])/g, '\\b');
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      const d = pattern[++i]!;
      if ('(){}|+?'.includes(d)) out += d;
      else if (d === '<' || d === '>') out += '\\b';
      else out += `\\${d}`;
    } else if ('(){}|+?'.includes(c)) {
      out += `\\${c}`;
    } else {
      out += c;
    }
  }
  return out;
}

/** `grep [-E|-F|-G] [-v] [-c] [-q] [-w] [-x] [-i] [-e PAT] PATTERN` over `stdin` (no file arguments). */
export function grep(args: readonly string[], stdin: string): ToolResult | { readonly unsupported: string } {
  let extended = false;
  let fixed = false;
  let invert = false;
  let count = false;
  let quiet = false;
  let word = false;
  let line = false;
  let icase = false;
  const patterns: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    if (a === '-e') {
      if (i + 1 >= args.length) return { status: 2, stdout: '', stderr: "grep: option requires an argument -- 'e'\n" };
      patterns.push(args[++i]!);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (const f of a.slice(1)) {
        if (f === 'E') extended = true;
        else if (f === 'F') fixed = true;
        else if (f === 'G') extended = false;
        else if (f === 'v') invert = true;
        else if (f === 'c') count = true;
        else if (f === 'q' || f === 's') quiet = quiet || f === 'q';
        else if (f === 'w') word = true;
        else if (f === 'x') line = true;
        else if (f === 'i') icase = true;
        else return { unsupported: `grep -${f}` };
      }
      continue;
    }
    rest.push(a);
  }
  if (patterns.length === 0) {
    const p = rest.shift();
    if (p === undefined) return { status: 2, stdout: '', stderr: 'Usage: grep [OPTION]... PATTERNS [FILE]...\n' };
    patterns.push(p);
  }
  if (rest.length > 0) return { unsupported: `grep (reading files: ${rest.join(' ')})` };
  let re: RegExp;
  try {
    const sources = patterns.flatMap((p) => p.split('\n')).map((p) => (fixed ? p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : posixRegexSource(p, extended)));
    let src = sources.map((s) => `(?:${s})`).join('|');
    if (word) src = `(?<![\\w])(?:${src})(?![\\w])`;
    if (line) src = `^(?:${src})$`;
    re = new RegExp(src, icase ? 'i' : '');
  } catch {
    return { status: 2, stdout: '', stderr: `grep: invalid regular expression: ${patterns.join(' ')}\n` };
  }
  const lines = stdin === '' ? [] : stdin.replace(/\n$/, '').split('\n');
  const selected = lines.filter((l) => re.test(l) !== invert);
  const status = selected.length > 0 ? 0 : 1;
  if (quiet) return { status, stdout: '', stderr: '' };
  if (count) return { status, stdout: `${selected.length}\n`, stderr: '' };
  return { status, stdout: selected.map((l) => `${l}\n`).join(''), stderr: '' };
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
}

/**
 * `nstat [-a] [-n] [-s] [-z] [-r] [PATTERN...]`: counter increments since the saved history (the
 * absolute values with `-a` or when there is no history), zero rows hidden unless `-z`; the history
 * is updated unless `-s`; `-n` prints nothing; `-r` drops the history first.
 */
export function nstat(ns: DrillNamespace, args: readonly string[]): ToolResult | { readonly unsupported: string } {
  let absolute = false;
  let noOutput = false;
  let noUpdate = false;
  let zeros = false;
  const patterns: RegExp[] = [];
  for (const a of args) {
    if (a.startsWith('--')) {
      const long: Record<string, string> = { '--ignore': 'a', '--absolute': 'a', '--nooutput': 'n', '--noupdate': 's', '--zeros': 'z', '--reset': 'r' };
      const f = long[a];
      if (f === undefined) return { unsupported: `nstat ${a}` };
      if (f === 'a') absolute = true;
      if (f === 'n') noOutput = true;
      if (f === 's') noUpdate = true;
      if (f === 'z') zeros = true;
      if (f === 'r') ns.resetNstat();
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (const f of a.slice(1)) {
        if (f === 'a') absolute = true;
        else if (f === 'n') noOutput = true;
        else if (f === 's') noUpdate = true;
        else if (f === 'z') zeros = true;
        else if (f === 'r') ns.resetNstat();
        else return { unsupported: `nstat -${f}` };
      }
      continue;
    }
    patterns.push(globToRegExp(a));
  }
  const now = ns.nstat();
  const history = absolute ? undefined : ns.nstatHistory();
  let out = '';
  if (!noOutput) {
    out += '#kernel\n';
    for (const [name, value] of now) {
      const shown = history === undefined ? value : value - (history.get(name) ?? 0);
      if (!zeros && shown === 0) continue;
      if (patterns.length > 0 && !patterns.some((p) => p.test(name))) continue;
      out += `${name.padEnd(32)}${String(shown).padEnd(16)}${'0.0'.padStart(6)}\n`;
    }
  }
  if (!noUpdate) ns.saveNstatHistory(new Map(now));
  return { status: 0, stdout: out, stderr: '' };
}
