/**
 * Runs back-quoted script commands (LANGUAGE.md §9) against a `DrillNamespace` instead of a shell:
 * `sysctl`, `set_sysctls.py`, `defaults.sh`-style baseline files (read and interpreted line by
 * line, never executed), `nstat`, `grep` in pipelines, `ip tcp_metrics|link|route`, `ethtool -K`,
 * `tc qdisc`, `true`, `false`, `:`, `echo`, `sleep` (virtual: the duration is returned, nothing
 * waits), and the `/tmp/sysctl_restore_<pid>.sh` file set_sysctls.py leaves behind. Anything else
 * fails with `unsupported command: NAME` and status 127.
 */
import { canonicalSysctlName, type SysctlValue } from '../../core/stack/sysctl.js';
import { moduleParamSysctl } from '../../core/tcp/cc/index.js';
import type { DrillNamespace, RouteMetric } from './namespace.js';
import { type AndOr, evalArithmetic, parseShell, type Pipeline, type SimpleCommand, ShellSyntaxError, type Word } from './shell.js';
import { grep, nstat, type ToolResult } from './textutil.js';

/** One sysctl's value before a `set_sysctls.py` write; `restoreSysctls` puts it back. */
export interface SysctlUndo {
  readonly name: string;
  readonly value: SysctlValue;
}

export interface CommandResult {
  /** Exit status of the last pipeline run (0 success, 127 unsupported or not found). */
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Total `sleep` time in microseconds, for the runner's virtual clock. */
  readonly sleepUs: number;
  /** Values replaced by `set_sysctls.py` during this command, oldest first. */
  readonly undo: readonly SysctlUndo[];
  /** Names of commands that were not supported (each also failed with status 127). */
  readonly unsupported: readonly string[];
}

export interface ShellOptions {
  readonly ns: DrillNamespace;
  /** Environment for `$VAR` expansion; `PACKETDRILL_PID` and `PPID` are what scripts use. */
  readonly env?: Readonly<Record<string, string>>;
  /** Directory of the script: relative paths such as `../common/defaults.sh` resolve from here. */
  readonly cwd: string;
  /** Reads a baseline file by absolute path; undefined when it does not exist. */
  readonly readFile: (path: string) => string | undefined;
}

/** Restores sysctls from undo records (newest first, so the oldest value wins). */
export function restoreSysctls(ns: DrillNamespace, undo: readonly SysctlUndo[]): void {
  const snap = new Map<string, SysctlValue>();
  for (let i = undo.length - 1; i >= 0; i--) snap.set(undo[i]!.name, undo[i]!.value);
  ns.sysctls.restore(snap);
}

/** Joins `rel` onto `base` (POSIX paths, `.`/`..` resolved). */
export function resolvePath(base: string, rel: string): string {
  const parts = rel.startsWith('/') ? [] : base.split('/').filter((p) => p !== '');
  for (const p of rel.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return `/${parts.join('/')}`;
}

interface Out {
  stdout: string;
  stderr: string;
}

const MAX_INCLUDE_DEPTH = 8;

/** A shell session for one script run: keeps `$?`, the pending restore records and the clock. */
export class ShellInterpreter {
  private readonly env: Map<string, string>;
  private sleepUs = 0;
  private undo: SysctlUndo[] = [];
  /** set_sysctls.py records not yet restored by the restore file. */
  private pendingRestore: SysctlUndo[] = [];
  private unsupported: string[] = [];
  private depth = 0;

  constructor(private readonly opts: ShellOptions) {
    this.env = new Map(Object.entries(opts.env ?? {}));
  }

  /** Records written by set_sysctls.py and not yet restored; the runner restores them at the end. */
  get pendingUndo(): readonly SysctlUndo[] {
    return this.pendingRestore;
  }

  /** Runs one back-quoted command's text. Never throws for bad input. */
  run(text: string): CommandResult {
    this.sleepUs = 0;
    this.undo = [];
    this.unsupported = [];
    const out: Out = { stdout: '', stderr: '' };
    const status = this.runText(text, out, this.opts.cwd);
    const { sleepUs, undo, unsupported } = this;
    return { status, stdout: out.stdout, stderr: out.stderr, sleepUs, undo, unsupported };
  }

  private runText(text: string, out: Out, cwd: string): number {
    let list;
    try {
      list = parseShell(text);
    } catch (e) {
      if (e instanceof ShellSyntaxError) {
        out.stderr += `sh: ${e.message}\n`;
        this.unsupported.push(`(shell syntax) ${e.message}`);
        return 2;
      }
      throw e;
    }
    let status = 0;
    for (const item of list.items) status = this.runAndOr(item, out, cwd);
    return status;
  }

  private runAndOr(item: AndOr, out: Out, cwd: string): number {
    let status = this.runPipeline(item.pipelines[0]!, out, cwd);
    for (let i = 0; i < item.ops.length; i++) {
      const op = item.ops[i]!;
      if ((op === '&&' && status === 0) || (op === '||' && status !== 0)) status = this.runPipeline(item.pipelines[i + 1]!, out, cwd);
    }
    this.env.set('?', String(status));
    return status;
  }

  private runPipeline(p: Pipeline, out: Out, cwd: string): number {
    let stdin = '';
    let status = 0;
    p.commands.forEach((c, i) => {
      const last = i === p.commands.length - 1;
      const local: Out = { stdout: '', stderr: '' };
      status = this.runCommand(c, stdin, local, cwd);
      out.stderr += local.stderr;
      if (last) out.stdout += local.stdout;
      else stdin = local.stdout;
    });
    return status;
  }

  private expand(w: Word): string {
    let s = '';
    for (const part of w.parts) {
      if (part.kind === 'lit') s += part.text;
      else if (part.kind === 'var') s += this.env.get(part.name) ?? '';
      else s += evalArithmetic(part.expr, (n) => this.env.get(n)).toString();
    }
    return s;
  }

  private runCommand(c: SimpleCommand, stdin: string, out: Out, cwd: string): number {
    try {
      return this.runExpanded(c, stdin, out, cwd);
    } catch (e) {
      // Expansion errors (bad arithmetic) fail the command as the shell does.
      if (e instanceof ShellSyntaxError) {
        out.stderr += `sh: ${e.message}\n`;
        return 2;
      }
      throw e;
    }
  }

  private runExpanded(c: SimpleCommand, stdin: string, out: Out, cwd: string): number {
    const argv = c.words.map((w) => this.expand(w));
    // Redirections: only /dev/null targets and fd duplication; stdin redirection is not supported.
    type Sink = 'out' | 'err' | 'null';
    let outTo: Sink = 'out';
    let errTo: Sink = 'err';
    // `echo N > /sys/module/tcp_cubic/parameters/P` writes the stack's CUBIC parameter sysctl.
    let paramFile: string | undefined;
    for (const r of c.redirects) {
      const target = this.expand(r.target);
      const param = r.fd === 1 && (r.op === '>' || r.op === '>>') ? moduleParamSysctl(target) : undefined;
      if (param !== undefined) {
        paramFile = param;
        outTo = 'null';
        continue;
      }
      if (r.op === '>&') {
        if (r.fd === 2 && target === '1') errTo = outTo;
        else if (r.fd === 1 && target === '2') outTo = errTo;
        else return this.unsupportedCmd(`${argv[0] ?? ''} ${r.fd}>&${target}`, out);
        continue;
      }
      if (r.op === '<' || target !== '/dev/null' || (r.fd !== 1 && r.fd !== 2)) {
        return this.unsupportedCmd(`${argv[0] ?? ''} ${r.op === '&>' ? '&>' : `${r.fd}${r.op}`} ${target}`, out);
      }
      if (r.op === '&>') {
        outTo = 'null';
        errTo = 'null';
      } else if (r.fd === 1) {
        outTo = 'null';
      } else {
        errTo = 'null';
      }
    }
    const local: Out = { stdout: '', stderr: '' };
    let status = this.dispatch(argv, stdin, local, cwd);
    if (paramFile !== undefined && status === 0 && this.opts.ns.sysctls.set(paramFile, local.stdout.trim()) !== 0) {
      local.stderr += `sh: ${argv[0] ?? ''}: write error: Invalid argument\n`;
      status = 1;
    }
    const send = (sink: Sink, text: string): void => {
      if (sink === 'out') out.stdout += text;
      else if (sink === 'err') out.stderr += text;
    };
    send(outTo, local.stdout);
    send(errTo, local.stderr);
    return status;
  }

  private unsupportedCmd(name: string, out: Out): number {
    this.unsupported.push(name);
    out.stderr += `unsupported command: ${name}\n`;
    return 127;
  }

  private dispatch(argv: string[], stdin: string, out: Out, cwd: string): number {
    const cmd = argv[0]!;
    const args = argv.slice(1);
    const base = cmd.slice(cmd.lastIndexOf('/') + 1);
    const builtinPath = !cmd.includes('/') || /^(\/usr)?\/s?bin\//.test(cmd);
    if (/^\/tmp\/sysctl_restore_[^/]*\.sh$/.test(cmd)) return this.runRestoreFile(cmd, out);
    if (base === 'set_sysctls.py') return this.setSysctls(args, out);
    if (!builtinPath && base.endsWith('.sh')) return this.runBaseline(cmd, cwd, out);
    if (!builtinPath) return this.unsupportedCmd(cmd, out);
    const tool = (r: ToolResult | { readonly unsupported: string }): number => {
      if ('unsupported' in r) return this.unsupportedCmd(r.unsupported, out);
      out.stdout += r.stdout;
      out.stderr += r.stderr;
      return r.status;
    };
    switch (base) {
      case 'true':
      case ':':
        return 0;
      case 'false':
        return 1;
      case 'echo': {
        let newline = true;
        let a = args;
        if (a[0] === '-n') {
          newline = false;
          a = a.slice(1);
        }
        out.stdout += a.join(' ') + (newline ? '\n' : '');
        return 0;
      }
      case 'sleep':
        return this.sleep(args, out);
      case 'sysctl':
        return this.sysctl(args, out);
      case 'nstat':
        return tool(nstat(this.opts.ns, args));
      case 'grep':
      case 'egrep':
        return tool(grep(base === 'egrep' ? ['-E', ...args] : args, stdin));
      case 'ip':
        return this.ip(args, out);
      case 'ethtool':
        return this.ethtool(args, out);
      case 'tc':
        return this.tc(args, out);
      default:
        return this.unsupportedCmd(cmd, out);
    }
  }

  private sleep(args: readonly string[], out: Out): number {
    let total = 0;
    for (const a of args) {
      const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(a);
      if (!m) {
        out.stderr += `sleep: invalid time interval '${a}'\n`;
        return 1;
      }
      const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
      total += Math.round(Number(m[1]) * mult * 1e6);
    }
    if (args.length === 0) {
      out.stderr += 'sleep: missing operand\n';
      return 1;
    }
    this.sleepUs += total;
    return 0;
  }

  /** procps `sysctl`: `-q` quiet, `-w` write, `-n` values only, `-e` ignore unknown keys. */
  private sysctl(args: readonly string[], out: Out): number {
    let quiet = false;
    let write = false;
    let valuesOnly = false;
    let ignoreUnknown = false;
    const items: string[] = [];
    for (const a of args) {
      if (a.startsWith('-') && a.length > 1 && items.length === 0) {
        for (const f of a.slice(1)) {
          if (f === 'q') quiet = true;
          else if (f === 'w') write = true;
          else if (f === 'n') valuesOnly = true;
          else if (f === 'e') ignoreUnknown = true;
          else return this.unsupportedCmd(`sysctl -${f}`, out);
        }
        continue;
      }
      items.push(a);
    }
    const ss = this.opts.ns.sysctls;
    let status = 0;
    for (const item of items) {
      const eq = item.indexOf('=');
      if (write && eq < 0) {
        out.stderr += `sysctl: "${item}" must be of the form name=value\n`;
        status = 255;
        continue;
      }
      const name = canonicalSysctlName(eq < 0 ? item : item.slice(0, eq));
      if (!ss.has(name)) {
        if (!ignoreUnknown) {
          out.stderr += `sysctl: cannot stat /proc/sys/${name.replaceAll('.', '/')}: No such file or directory\n`;
          status = 255;
        }
        continue;
      }
      if (eq >= 0) {
        const value = item.slice(eq + 1);
        const err = ss.set(name, value);
        if (err !== 0) {
          out.stderr += `sysctl: setting key "${name}": Invalid argument\n`;
          status = 255;
          continue;
        }
        if (!quiet) out.stdout += valuesOnly ? `${ss.format(name)}\n` : `${name} = ${ss.format(name)}\n`;
      } else {
        out.stdout += valuesOnly ? `${ss.format(name)}\n` : `${name} = ${ss.format(name)}\n`;
      }
    }
    return status;
  }

  /** `set_sysctls.py /proc/sys/NAME=VALUE ...`: writes each, remembering the old values. */
  private setSysctls(args: readonly string[], out: Out): number {
    const ss = this.opts.ns.sysctls;
    for (const a of args) {
      const eq = a.indexOf('=');
      if (eq < 0) {
        out.stderr += `set_sysctls.py: bad argument '${a}' (expected /proc/sys/NAME=VALUE)\n`;
        return 1;
      }
      const name = canonicalSysctlName(a.slice(0, eq));
      const old = ss.get(name);
      if (old === undefined) {
        out.stderr += `set_sysctls.py: ${a.slice(0, eq)}: No such file or directory\n`;
        return 1;
      }
      if (ss.set(name, a.slice(eq + 1)) !== 0) {
        out.stderr += `set_sysctls.py: ${a.slice(0, eq)}: Invalid argument\n`;
        return 1;
      }
      const rec = { name, value: old };
      this.undo.push(rec);
      this.pendingRestore.push(rec);
    }
    return 0;
  }

  private runRestoreFile(cmd: string, out: Out): number {
    if (this.pendingRestore.length === 0) {
      out.stderr += `sh: 1: ${cmd}: not found\n`;
      return 127;
    }
    restoreSysctls(this.opts.ns, this.pendingRestore);
    this.pendingRestore = [];
    return 0;
  }

  /** A `defaults.sh`-style file: its lines are interpreted here, as sysctl and friends. */
  private runBaseline(cmd: string, cwd: string, out: Out): number {
    const path = resolvePath(cwd, cmd);
    const text = this.opts.readFile(path);
    if (text === undefined) {
      out.stderr += `sh: 1: ${cmd}: not found\n`;
      return 127;
    }
    if (this.depth >= MAX_INCLUDE_DEPTH) {
      out.stderr += `sh: ${cmd}: too many nested scripts\n`;
      return 2;
    }
    this.depth++;
    try {
      const dir = path.slice(0, path.lastIndexOf('/')) || '/';
      // Like `sh file` without `set -e`: every line runs, the status is that of the last one.
      return this.runText(text, out, dir);
    } finally {
      this.depth--;
    }
  }

  private ip(args: readonly string[], out: Out): number {
    let family: 4 | 6 = 4;
    let a = [...args];
    while (a[0]?.startsWith('-')) {
      const f = a.shift()!;
      if (f === '-6') family = 6;
      else if (f === '-4') family = 4;
      else return this.unsupportedCmd(`ip ${f}`, out);
    }
    const obj = a[0] ?? '';
    a = a.slice(1);
    const is = (w: string, full: string): boolean => w.length > 0 && full.startsWith(w);
    if (obj === 'tcp_metrics' || obj === 'tcpmetrics') {
      if (is(a[0] ?? '', 'flush')) {
        this.opts.ns.tcpMetricsFlush();
        return 0;
      }
      return this.unsupportedCmd(`ip tcp_metrics ${a[0] ?? ''}`.trim(), out);
    }
    if (is(obj, 'link')) {
      // ip link set [dev] DEV mtu N
      if (!is(a[0] ?? '', 'set')) return this.unsupportedCmd(`ip link ${a[0] ?? ''}`.trim(), out);
      let rest = a.slice(1);
      if (rest[0] === 'dev') rest = rest.slice(1);
      const dev = rest[0];
      const i = rest.indexOf('mtu');
      const mtu = i >= 0 ? Number(rest[i + 1]) : NaN;
      if (dev === undefined || i < 0 || !Number.isInteger(mtu) || rest.length !== 3) {
        return this.unsupportedCmd(`ip link set ${rest.join(' ')}`, out);
      }
      this.opts.ns.setMtu(dev, mtu);
      return 0;
    }
    if (is(obj, 'route') && obj.length >= 1) {
      const verb = a[0] ?? '';
      const op = (['add', 'change', 'replace', 'del'] as const).find((v) => is(verb, v) || (v === 'del' && verb === 'delete'));
      if (op === undefined) return this.unsupportedCmd(`ip route ${verb}`.trim(), out);
      const rest = a.slice(1);
      const dest = rest.shift();
      if (dest === undefined) {
        out.stderr += 'Error: destination is missing.\n';
        return 1;
      }
      let via: string | undefined;
      let dev: string | undefined;
      const metrics: Record<string, RouteMetric> = {};
      while (rest.length > 0) {
        const k = rest.shift()!;
        if (k === 'via') via = rest.shift();
        else if (k === 'dev') dev = rest.shift();
        else {
          let lock = false;
          if (rest[0] === 'lock') {
            lock = true;
            rest.shift();
          }
          const v = rest.shift();
          if (v === undefined || !/^\d+$/.test(v)) {
            out.stderr += `Error: argument "${v ?? ''}" is wrong: "${k}" value is invalid\n`;
            return 1;
          }
          metrics[k] = { value: Number.parseInt(v, 10), lock };
        }
      }
      this.opts.ns.changeRoute({ family, op, dest, via, dev, metrics });
      return 0;
    }
    return this.unsupportedCmd(`ip ${obj}`.trim(), out);
  }

  /** `ethtool -K|--offload|--features DEV FEATURE on|off ...`. */
  private ethtool(args: readonly string[], out: Out): number {
    const [flag, dev, ...pairs] = args;
    if ((flag !== '-K' && flag !== '--offload' && flag !== '--features') || dev === undefined) {
      return this.unsupportedCmd(`ethtool ${flag ?? ''}`.trim(), out);
    }
    if (pairs.length === 0 || pairs.length % 2 !== 0) {
      out.stderr += 'ethtool: bad command line argument(s)\n';
      return 1;
    }
    for (let i = 0; i < pairs.length; i += 2) {
      const v = pairs[i + 1];
      if (v !== 'on' && v !== 'off') {
        out.stderr += 'ethtool: bad command line argument(s)\n';
        return 1;
      }
    }
    for (let i = 0; i < pairs.length; i += 2) this.opts.ns.setOffload(dev, pairs[i]!, pairs[i + 1] === 'on');
    return 0;
  }

  /** `tc qdisc add|replace|change|del dev DEV root [KIND [PARAMS...]]`. */
  private tc(args: readonly string[], out: Out): number {
    if (args[0] !== 'qdisc') return this.unsupportedCmd(`tc ${args[0] ?? ''}`.trim(), out);
    const verb = args[1] ?? '';
    const rest = args.slice(2);
    if (rest[0] !== 'dev' || rest[1] === undefined || rest[2] !== 'root') return this.unsupportedCmd(`tc qdisc ${args.slice(1).join(' ')}`, out);
    const dev = rest[1];
    const kind = rest[3];
    if (verb === 'del' || verb === 'delete') {
      this.opts.ns.setQdisc(dev, undefined, []);
      return 0;
    }
    if (verb !== 'add' && verb !== 'replace' && verb !== 'change') return this.unsupportedCmd(`tc qdisc ${verb}`, out);
    if (kind === undefined) {
      out.stderr += 'Error: qdisc kind is required.\n';
      return 1;
    }
    this.opts.ns.setQdisc(dev, kind, rest.slice(4));
    return 0;
  }
}
