/**
 * `wirestack conformance DIR [--triage CSV] [--kernel CSV] [--out DIR] [--variants LIST]
 * [--min-pass BUCKET=PCT]...`: runs every `.pkt` under DIR in every variant the upstream (google)
 * runner runs it in, in-process with the drill runner, and writes `report.md` and `report.json`
 * (`drill/report/conformance.ts`) into the output directory: pass rates by triage bucket and by
 * folder, every failing run, and the runs real Linux fails too (excluded from the pass rate).
 *
 * Without --triage / --kernel the first directory at or above DIR holding a `*-triage.csv` /
 * `*-kernel-results.csv` supplies them. `--variants` keeps only those of each script's variants.
 *
 * Exit codes: 0 the run completed (a report, not a gate); 1 a `--min-pass` requirement was not
 * met; 2 bad usage (missing DIR, unreadable CSV, bad option value, unwritable output).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  buildReport,
  classify,
  type ConformanceMeta,
  formatBucketTable,
  formatMarkdown,
  formatReportJson,
  kernelIndex,
  type LinuxRun,
  type MinPass,
  parseMinPass,
  type PathIndex,
  triageIndex,
  unmetMinPass,
} from '../drill/report/conformance.js';
import { DrillProgress, type ProgressStream } from '../drill/report/progress.js';
import type { DrillRecord } from '../drill/report/records.js';
import { type IpVersion, variantsFor } from '../drill/variants.js';
import { findScripts, parseVariants, runRecords } from './drill.js';

const VERSIONS: readonly IpVersion[] = ['ipv4', 'ipv6', 'ipv4-mapped-ipv6'];
const PROG = 'wirestack conformance';

export interface ConformanceFlags {
  triage?: string;
  kernel?: string;
  out?: string;
  variants?: IpVersion[];
  minPass?: MinPass[];
}

export interface ConformanceIo {
  out(s: string): void;
  err(s: string): void;
  /** Where the progress bar goes (drawn only on a terminal); default standard error. */
  readonly progress?: ProgressStream;
  /** Base of a relative --out (default: the process' working directory). */
  readonly cwd?: string;
  /** The report's date (default: now). */
  readonly now?: () => Date;
}


function parseMinPassOption(value: string, previous: MinPass[] | undefined): MinPass[] {
  const m = parseMinPass(value);
  if (typeof m === 'string') throw new InvalidArgumentError(m);
  return [...(previous ?? []), m];
}

/**
 * The first file named `*<suffix>` in DIR or one of its ancestors (the corpus files sit beside
 * the corpus directory). When a directory holds several, the one whose prefix names a directory
 * on the way down to DIR wins, else the first by name.
 */
export function findBeside(dir: string, suffix: string): string | undefined {
  const start = resolve(dir);
  const parts = new Set(start.split(/[\\/]/));
  let d = start;
  for (;;) {
    let names: string[] = [];
    try {
      names = readdirSync(d).filter((n) => n.endsWith(suffix) && statSync(join(d, n)).isFile()).sort();
    } catch {
      names = [];
    }
    if (names.length > 0) {
      const named = names.find((n) => parts.has(n.slice(0, -suffix.length)));
      return join(d, named ?? names[0]!);
    }
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

function checkoutRoot(): string | undefined {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'wirestack') return d;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/** Version, commit and whether the working tree differs from it (read-only git queries). */
export function checkoutInfo(): { version: string; commit: string; dirty: boolean | null } {
  const root = checkoutRoot();
  if (root === undefined) return { version: 'unknown', commit: 'unknown', dirty: null };
  let version = 'unknown';
  try {
    version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    // keep 'unknown'
  }
  // GIT_OPTIONAL_LOCKS=0: never refresh (write) the index of a tree others are working in.
  const opts = {
    cwd: root,
    encoding: 'utf8' as const,
    stdio: ['ignore', 'pipe', 'ignore'] as ('ignore' | 'pipe')[],
    timeout: 20_000,
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
  };
  let commit = 'unknown';
  let dirty: boolean | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], opts).trim();
  } catch {
    return { version, commit, dirty };
  }
  try {
    execFileSync('git', ['diff', '--quiet', 'HEAD', '--'], opts);
    dirty = false;
  } catch (e) {
    dirty = (e as { status?: number }).status === 1 ? true : null;
  }
  return { version, commit, dirty };
}

function loadIndex<T>(
  what: string,
  path: string,
  parse: (text: string) => PathIndex<T> | string,
  err: (s: string) => void,
): PathIndex<T> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    err(`${PROG}: cannot read the ${what} ${path}: ${e instanceof Error ? e.message : String(e)}\n`);
    return undefined;
  }
  const idx = parse(text);
  if (typeof idx === 'string') {
    err(`${PROG}: ${path}: not a ${what}: ${idx}\n`);
    return undefined;
  }
  return idx;
}

/** The variants a script runs in: the upstream runner's choice, narrowed to `only` when given. */
function scriptVariants(file: string, only: readonly IpVersion[] | undefined): IpVersion[] {
  const chosen = variantsFor(file, '', 'google');
  const list = typeof chosen === 'string' ? [] : chosen;
  return only === undefined ? list : list.filter((v) => only.includes(v));
}

/** Runs the conformance command; returns the exit code. */
export function runConformance(dir: string | undefined, flags: ConformanceFlags, io: ConformanceIo): number {
  const { err } = io;
  if (dir === undefined || dir === '') {
    err(`${PROG}: no DIR given\n`);
    return 2;
  }
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    err(`${PROG}: ${dir}: no such file or directory\n`);
    return 2;
  }
  if (!isDir) {
    err(`${PROG}: ${dir}: not a directory\n`);
    return 2;
  }
  const root = resolve(dir);
  const { files } = findScripts([dir]);
  if (files.length === 0) {
    err(`${PROG}: no .pkt scripts found under ${dir}\n`);
    return 2;
  }

  const triagePath = flags.triage ?? findBeside(root, '-triage.csv');
  const kernelPath = flags.kernel ?? findBeside(root, '-kernel-results.csv');
  let triage: PathIndex<string> | undefined;
  let kernel: PathIndex<Map<string, LinuxRun>> | undefined;
  if (triagePath !== undefined) {
    triage = loadIndex('triage CSV', triagePath, triageIndex, err);
    if (triage === undefined) return 2;
  } else {
    err(`${PROG}: no *-triage.csv at or above ${dir}: every script is bucket ?\n`);
  }
  if (kernelPath !== undefined) {
    kernel = loadIndex('kernel-results CSV', kernelPath, kernelIndex, err);
    if (kernel === undefined) return 2;
  } else {
    err(`${PROG}: no *-kernel-results.csv at or above ${dir}: no run is excluded\n`);
  }

  const outDir = resolve(io.cwd ?? process.cwd(), flags.out ?? 'conformance-report');
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    err(`${PROG}: cannot create ${outDir}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }

  const plan = files.map((f) => ({ file: f, variants: scriptVariants(f, flags.variants) }));
  const total = plan.reduce((n, p) => n + p.variants.length, 0);
  const date = (io.now ?? (() => new Date()))();
  const t0 = performance.now();
  const progress = new DrillProgress(total, io.progress ?? process.stderr);
  const records: DrillRecord[] = [];
  try {
    for (const p of plan) {
      if (p.variants.length === 0) continue;
      records.push(...runRecords([p.file], { variants: p.variants }, progress));
    }
  } finally {
    progress.stop();
  }
  const wallMs = performance.now() - t0;

  const runs = classify(records, {
    relative: (p) => {
      const rel = relative(root, resolve(p));
      return rel === '' ? basename(p) : rel;
    },
    absolute: (p) => resolve(p),
    ...(triage !== undefined ? { triage } : {}),
    ...(kernel !== undefined ? { kernel } : {}),
  });
  const info = checkoutInfo();
  const meta: ConformanceMeta = {
    dir,
    version: info.version,
    commit: info.commit,
    dirty: info.dirty,
    date: date.toISOString(),
    wallMs,
    triage: triagePath ?? null,
    kernel: kernelPath ?? null,
    variants: flags.variants ?? null,
  };
  const report = buildReport(meta, runs);
  try {
    writeFileSync(join(outDir, 'report.md'), formatMarkdown(report));
    writeFileSync(join(outDir, 'report.json'), formatReportJson(report));
  } catch (e) {
    err(`${PROG}: cannot write the report: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }

  io.out(formatBucketTable(report.buckets));
  const all = report.buckets[report.buckets.length - 1]!;
  io.out(`\n${all.runs} runs of ${all.scripts} scripts in ${(wallMs / 1000).toFixed(1)} s wall time; ${all.excluded} excluded as linux-fails\n`);
  io.out(`report: ${join(outDir, 'report.md')}, ${join(outDir, 'report.json')}\n`);
  const unmet = unmetMinPass(report.buckets, flags.minPass ?? []);
  for (const u of unmet) err(`${PROG}: --min-pass not met: ${u}\n`);
  return unmet.length > 0 ? 1 : 0;
}

export function registerConformance(program: Command): void {
  program
    .command('conformance')
    .description('run a packetdrill corpus in the upstream variants and write a pass-rate report by triage bucket and folder')
    .argument('<dir>', 'directory searched recursively for .pkt scripts')
    .option('--triage <csv>', 'triage CSV (path,bucket columns); default: a *-triage.csv at or above DIR')
    .option('--kernel <csv>', "real Linux's results CSV; default: a *-kernel-results.csv at or above DIR")
    .option('--out <dir>', 'output directory for report.md and report.json', 'conformance-report')
    .addOption(
      new Option('--variants <list>', `only these of each script's variants (${VERSIONS.join(', ')})`).argParser(parseVariants),
    )
    .option('--min-pass <bucket=pct>', 'exit 1 unless BUCKET (or "all") passes at least PCT% (repeatable)', parseMinPassOption)
    .action(function (this: Command, dir: string, opts: ConformanceFlags) {
      const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
      const code = runConformance(dir, opts, io);
      (this as Command & { exitCode?: number }).exitCode = code;
    });
}
