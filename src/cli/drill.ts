/**
 * `wirestack drill [options] PATH...`: the packetdrill-compatible runner's command line. PATHs are
 * `.pkt` files or directories searched recursively for them. Each script runs once per IP-version
 * variant (by default the ones the google runner uses, see `drill/variants.ts`), with that variant's
 * `-D` defines overridden by the command line's.
 *
 * `--parse-only` parses every script in every variant — the script itself, its `%{ }%` code blocks
 * and its back-quoted commands' shell syntax — and reports each as pass or error. Without it each
 * script runs against a fresh stack per variant (`drill/runner/run.ts`) and reports pass or fail.
 *
 * Exit codes: 0 all passed; 1 a test failed; 2 bad usage, a missing path or an unparsable script.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ByteCollector, LINKTYPE_RAW } from '../core/pcap/common.js';
import { PcapWriter } from '../core/pcap/pcap.js';
import { compileCode } from '../drill/code/index.js';
import { parseShell, ShellSyntaxError } from '../drill/commands/shell.js';
import type { CommandSpec } from '../drill/parser/ast.js';
import { parseScript } from '../drill/parser/index.js';
import { DrillProgress } from '../drill/report/progress.js';
import { runScript } from '../drill/runner/run.js';
import { type DrillRecord, exitCodeFor, formatJson, formatJunit, formatSummary, formatTap } from '../drill/report/records.js';
import { type IpVersion, variantConfig, variantsFor } from '../drill/variants.js';

const VERSIONS: readonly IpVersion[] = ['ipv4', 'ipv6', 'ipv4-mapped-ipv6'];

export interface DrillFlags {
  parseOnly?: boolean;
  variants?: IpVersion[];
  tap?: boolean;
  junit?: string;
  json?: string;
  define?: Record<string, string>;
  // Commander keeps the underscore of `--tolerance_usecs`; the runner will read it.
  tolerance_usecs?: number;
  /** Directory for one pcap per script and variant. */
  pcap?: string;
}

/** `--variants a,b`: known names, deduplicated, at least one. */
export function parseVariants(value: string): IpVersion[] {
  const out: IpVersion[] = [];
  for (const v of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!(VERSIONS as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(`unknown variant '${v}' (expected ${VERSIONS.join(', ')})`);
    }
    if (!out.includes(v as IpVersion)) out.push(v as IpVersion);
  }
  if (out.length === 0) throw new InvalidArgumentError('no variant given');
  return out;
}

function parseDefine(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected NAME=VALUE, got '${value}'`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function parseTolerance(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  return Number(value);
}

/** `.pkt` files under the given paths (files as given, directories recursively, sorted). */
export function findScripts(paths: readonly string[]): { files: string[]; errors: string[] } {
  const files: string[] = [];
  const errors: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.pkt')) files.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      errors.push(`wirestack drill: ${p}: no such file or directory`);
      continue;
    }
    if (st.isDirectory()) walk(p);
    else files.push(p);
  }
  return { files, errors };
}

function commandError(file: string, c: CommandSpec): string | undefined {
  try {
    parseShell(c.command);
    return undefined;
  } catch (e) {
    if (e instanceof ShellSyntaxError) return `${file}:${c.line}:${c.col}: error: in shell command: ${e.message}`;
    throw e;
  }
}

/** Parses one script text in one variant; returns the first error message, or '' when it is fine. */
export function checkScript(
  file: string,
  text: string,
  version: IpVersion,
  define: Readonly<Record<string, string>>,
): string {
  const defines = { ...variantConfig(version).defines, ...define };
  const res = parseScript(text, { file, defines });
  if (!res.ok) return res.error.message;
  const s = res.script;
  const commands = [s.initCommand, ...s.events.map((e) => (e.type === 'command' ? e.command : undefined)), s.cleanupCommand];
  for (const c of commands) {
    if (c === undefined) continue;
    const err = commandError(file, c);
    if (err !== undefined) return err;
  }
  for (const e of s.events) {
    if (e.type !== 'code') continue;
    const c = compileCode(e.code);
    if (!c.ok) return `${file}:${e.line}:${e.col}: error: in Python code (block line ${c.line}, column ${c.col}): ${c.message}`;
  }
  return '';
}

/** Parse-only records for every script and variant. */
export function parseOnlyRecords(files: readonly string[], flags: DrillFlags, progress?: DrillProgress): DrillRecord[] {
  const records: DrillRecord[] = [];
  for (const file of files) {
    const t0 = performance.now();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const rec: DrillRecord = {
        path: file,
        variant: (flags.variants ?? ['ipv4'])[0]!,
        result: 'error',
        message: `${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`,
        virtualUs: 0,
        wallMs: performance.now() - t0,
      };
      records.push(rec);
      progress?.tick(rec);
      continue;
    }
    const chosen = flags.variants ?? variantsFor(file, text, 'google');
    const versions = typeof chosen === 'string' ? [] : chosen;
    if (typeof chosen === 'string') {
      records.push({ path: file, variant: 'none', result: 'error', message: chosen, virtualUs: 0, wallMs: 0 });
    }
    for (const v of versions) {
      const t1 = performance.now();
      const message = checkScript(file, text, v, flags.define ?? {});
      const rec: DrillRecord = { path: file, variant: v, result: message === '' ? 'pass' : 'error', message, virtualUs: 0, wallMs: performance.now() - t1 };
      records.push(rec);
      progress?.tick(rec);
    }
  }
  return records;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `DIR/<path with / as _>.<variant>.pcap` (raw IP, readable by tcpdump and tshark). */
function writeCapture(dir: string, file: string, variant: string, bytes: Uint8Array): void {
  const rel = relative(process.cwd(), resolve(file)).replace(/^(\.\.[/\\])+/, '');
  const name = `${rel.replace(/[/\\]/g, '_').replace(/\.pkt$/, '')}.${variant}.pcap`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), bytes);
}

/** Runs every script in every variant; a script that does not parse is an error record. */
export function runRecords(files: readonly string[], flags: DrillFlags, progress?: DrillProgress): DrillRecord[] {
  const records: DrillRecord[] = [];
  for (const file of files) {
    const text = readOrUndefined(file);
    if (text === undefined) {
      const rec: DrillRecord = { path: file, variant: (flags.variants ?? ['ipv4'])[0]!, result: 'error', message: `${file}: cannot read`, virtualUs: 0, wallMs: 0 };
      records.push(rec);
      progress?.tick(rec);
      continue;
    }
    const chosen = flags.variants ?? variantsFor(file, text, 'google');
    if (typeof chosen === 'string') {
      records.push({ path: file, variant: 'none', result: 'error', message: chosen, virtualUs: 0, wallMs: 0 });
      continue;
    }
    for (const v of chosen) {
      const t0 = performance.now();
      const parseError = checkScript(file, text, v, flags.define ?? {});
      let rec: DrillRecord;
      let capture: ByteCollector | undefined;
      if (parseError !== '') {
        rec = { path: file, variant: v, result: 'error', message: parseError, virtualUs: 0, wallMs: performance.now() - t0 };
      } else {
        const cfg = variantConfig(v);
        const res = parseScript(text, { file, defines: { ...cfg.defines, ...flags.define } });
        if (!res.ok) throw new Error('unreachable: the script parsed a moment ago');
        const tol = flags.tolerance_usecs;
        const cwd = dirname(resolve(file));
        capture = flags.pcap !== undefined ? new ByteCollector() : undefined;
        const opts = {
          cwd,
          readFile: readOrUndefined,
          ...(tol !== undefined ? { toleranceUsecs: tol } : {}),
          ...(capture !== undefined ? { capture: new PcapWriter(capture.sink, { linkType: LINKTYPE_RAW }) } : {}),
        };
        let out;
        try {
          out = runScript(res.script, cfg, opts);
        } catch (e) {
          const message = `${file}: error: the run stopped: ${e instanceof Error ? e.message : String(e)}`;
          out = { ok: false, error: true, message, virtualUs: 0 };
        }
        rec = { path: file, variant: v, result: out.ok ? 'pass' : 'error' in out ? 'error' : 'fail', message: out.message, virtualUs: out.virtualUs, wallMs: performance.now() - t0 };
      }
      if (flags.pcap !== undefined && capture !== undefined) writeCapture(flags.pcap, file, v, capture.bytes());
      records.push(rec);
      progress?.tick(rec);
    }
  }
  return records;
}

/** Runs the drill command; returns the exit code. `out`/`err` receive text for stdout/stderr. */
export function runDrill(
  paths: readonly string[],
  flags: DrillFlags,
  out: (s: string) => void,
  err: (s: string) => void,
): number {
  if (paths.length === 0) {
    err('wirestack drill: no PATH given\n');
    return 2;
  }
  const { files, errors } = findScripts(paths);
  for (const e of errors) err(`${e}\n`);
  if (errors.length > 0) return 2;
  if (files.length === 0) {
    err(`wirestack drill: no .pkt scripts found under ${paths.join(', ')}\n`);
    return 2;
  }
  const progress = new DrillProgress(files.length);
  let records: DrillRecord[];
  try {
    records = flags.parseOnly ? parseOnlyRecords(files, flags, progress) : runRecords(files, flags, progress);
  } finally {
    progress.stop();
  }
  try {
    if (flags.junit !== undefined) writeFileSync(flags.junit, formatJunit(records));
    if (flags.json !== undefined) writeFileSync(flags.json, formatJson(records));
  } catch (e) {
    err(`wirestack drill: cannot write report: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (flags.tap) out(formatTap(records));
  else out(formatSummary(records));
  return exitCodeFor(records);
}

export function registerDrill(program: Command): void {
  program
    .command('drill')
    .description('run packetdrill scripts (.pkt files, or directories searched recursively) against the stack')
    .argument('<path...>', 'scripts or directories')
    .option('--parse-only', 'only parse every script in every variant and report errors')
    .addOption(
      new Option('--variants <list>', `comma-separated IP variants (${VERSIONS.join(', ')}); default: what the google runner runs`).argParser(parseVariants),
    )
    .option('--tap', 'print TAP version 13 on standard output instead of the summary table')
    .option('--junit <file>', 'also write a JUnit XML report to FILE')
    .option('--json <file>', 'also write a JSON report to FILE')
    .option('-D, --define <name=value>', 'define a script symbol (repeatable; overrides the variant defines)', parseDefine)
    .addOption(new Option('--tolerance_usecs <n>', 'timing tolerance in microseconds').argParser(parseTolerance))
    .option('--pcap <dir>', 'write each run\'s packets to DIR/<script>.<variant>.pcap')
    .action(function (this: Command, paths: string[], opts: DrillFlags) {
      const code = runDrill(paths, opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
      (this as Command & { exitCode?: number }).exitCode = code;
    });
}
