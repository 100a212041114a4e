/**
 * `npm run bench`: runs every benchmark suite with tinybench and prints, per case, ns/op, ops/s,
 * GB/s (when the case sets `bytes`) and the speed ratio against the case's `baseline`, measured in
 * the same run.
 *
 *   npm run bench -- --filter 'checksum.*64KiB' --json bench-checksum.json --time 2000
 *
 * Timer resolution and call overhead would swamp operations of a few hundred nanoseconds, so each
 * case is first calibrated and then timed in batches of calls taking about 50 µs; figures are the
 * median batch time divided by the batch size (they include one indirect call per op).
 */
import { realpathSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { Bench } from 'tinybench';
import { checksumSuite } from './checksum.js';
import { storageSuite } from './storage.js';
import { churnSuite } from './suites/churn.js';
import { idleMemorySuite } from './suites/idle-memory.js';
import { simCcSuite } from './suites/sim-cc.js';
import { tunSuite } from './suites/tun.js';
import { tcpBulkSuite } from './tcp-bulk.js';
import type { BenchCase, BenchSuite } from './suite.js';
import { tcpWireSuite } from './tcp-wire.js';

/** Every suite `npm run bench` runs; add new suites here. */
export const SUITES: BenchSuite[] = [
  checksumSuite,
  tcpWireSuite,
  storageSuite,
  tcpBulkSuite,
  churnSuite,
  idleMemorySuite,
  tunSuite,
  simCcSuite,
];

export interface CaseResult {
  name: string;
  nsPerOp: number;
  opsPerSec: number;
  /** Set when the case declares `bytes`. */
  bytes?: number;
  gbPerSec?: number;
  /** The baseline case's name and this case's ops/s divided by the baseline's. */
  baseline?: string;
  ratio?: number;
  /** Calls per timed sample, samples taken, relative margin of error (%) of the sample mean. */
  batch: number;
  samples: number;
  rmePercent: number;
  /** Set (instead of figures, which are then 0) when the case threw. */
  error?: string;
  /** The case's own figures (`BenchCase.metrics`). */
  metrics?: Record<string, number>;
}

export interface SuiteResult {
  name: string;
  cases: CaseResult[];
}

export interface BenchReport {
  date: string;
  node: string;
  platform: string;
  arch: string;
  cpu: string;
  timeMs: number;
  filter: string | null;
  suites: SuiteResult[];
}

export interface RunOptions {
  /** Runs only cases whose `suite/case` name matches this regular expression (plus the baselines they name). */
  filter?: string | RegExp;
  /** Measuring time per case, ms. */
  timeMs?: number;
  /** Warm-up time per case, ms. */
  warmupMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

const SAMPLE_TARGET_MS = 0.05;

/** Calls per sample so that one sample takes about SAMPLE_TARGET_MS. */
function calibrate(fn: () => void, budgetMs: number): number {
  let n = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= budgetMs || n >= 1 << 24)
      return Math.max(1, Math.min(1 << 24, Math.ceil((n * SAMPLE_TARGET_MS) / dt)));
    n *= 2;
  }
}

function batched(fn: () => void, batch: number): () => void {
  return () => {
    for (let i = 0; i < batch; i++) fn();
  };
}

/** The cases of `suite` to run: those matching `filter`, plus the baselines they refer to. */
function selectCases(suite: BenchSuite, filter: RegExp | undefined): BenchCase[] {
  const all = suite.cases();
  if (!filter) return all;
  const wanted = new Set<string>();
  for (const c of all) {
    if (filter.test(`${suite.name}/${c.name}`)) {
      wanted.add(c.name);
      if (c.baseline) wanted.add(c.baseline);
    }
  }
  return all.filter((c) => wanted.has(c.name));
}

export async function runSuites(suites: BenchSuite[], opts: RunOptions = {}): Promise<BenchReport> {
  const timeMs = opts.timeMs ?? 1000;
  const warmupMs = opts.warmupMs ?? Math.min(250, timeMs);
  const log = opts.log ?? (() => {});
  const filter = typeof opts.filter === 'string' ? new RegExp(opts.filter) : opts.filter;
  const report: BenchReport = {
    date: new Date().toISOString(),
    node: process.version,
    platform: platform(),
    arch: arch(),
    cpu: cpus()[0]?.model ?? 'unknown',
    timeMs,
    filter: typeof opts.filter === 'string' ? opts.filter : (opts.filter?.source ?? null),
    suites: [],
  };
  for (const suite of suites) {
    const cases = selectCases(suite, filter);
    if (cases.length === 0) continue;
    const results: CaseResult[] = [];
    for (const c of cases) {
      log(`${suite.name}/${c.name} ...`);
      results.push(await runCase(c, timeMs, warmupMs));
    }
    for (const r of results) {
      const c = cases.find((x) => x.name === r.name)!;
      if (!c.baseline) continue;
      r.baseline = c.baseline;
      const base = results.find((x) => x.name === c.baseline);
      if (base && base.opsPerSec > 0 && r.opsPerSec > 0) r.ratio = r.opsPerSec / base.opsPerSec;
    }
    report.suites.push({ name: suite.name, cases: results });
  }
  return report;
}

async function runCase(c: BenchCase, timeMs: number, warmupMs: number): Promise<CaseResult> {
  const result: CaseResult = { name: c.name, nsPerOp: 0, opsPerSec: 0, batch: 0, samples: 0, rmePercent: 0 };
  if (c.bytes !== undefined) result.bytes = c.bytes;
  try {
    await c.setup?.();
    let batch = 1;
    const bench = new Bench({
      time: timeMs,
      warmupTime: warmupMs,
      iterations: 5,
      warmupIterations: 2,
      throws: true,
    });
    if (c.fnAsync !== undefined) {
      bench.add(c.name, c.fnAsync);
    } else if (c.fn !== undefined) {
      batch = calibrate(c.fn, Math.min(2, Math.max(0.2, timeMs / 10)));
      bench.add(c.name, batched(c.fn, batch));
    } else {
      throw new Error('a case needs fn or fnAsync');
    }
    result.batch = batch;
    await bench.run();
    const r = bench.tasks[0]!.result;
    if (r.state !== 'completed') throw new Error(`benchmark ended in state ${r.state}`);
    result.nsPerOp = (r.latency.p50 * 1e6) / batch;
    result.opsPerSec = result.nsPerOp > 0 ? 1e9 / result.nsPerOp : 0;
    result.samples = r.latency.samplesCount;
    result.rmePercent = r.latency.rme;
    if (c.bytes !== undefined) result.gbPerSec = (c.bytes * result.opsPerSec) / 1e9;
    if (c.metrics !== undefined) result.metrics = c.metrics();
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    try {
      await c.teardown?.();
    } catch (e) {
      result.error ??= `teardown: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return result;
}

function si(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)}G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(2)}k`;
  return x.toFixed(2);
}

/** The report as aligned text lines. */
export function formatReport(report: BenchReport): string[] {
  const lines = [`node ${report.node} ${report.platform}/${report.arch} ${report.cpu}`];
  for (const s of report.suites) {
    const width = Math.max(4, ...s.cases.map((c) => c.name.length));
    lines.push('', s.name);
    lines.push(
      `  ${'case'.padEnd(width)}  ${'ns/op'.padStart(11)}  ${'ops/s'.padStart(9)}  ${'GB/s'.padStart(7)}  ±%    vs baseline`,
    );
    for (const c of s.cases) {
      if (c.error) {
        lines.push(`  ${c.name.padEnd(width)}  ERROR: ${c.error}`);
        continue;
      }
      const gb = c.gbPerSec === undefined ? '' : c.gbPerSec.toFixed(2);
      const ratio = c.ratio === undefined ? '' : `${c.ratio.toFixed(2)}x ${c.baseline}`;
      lines.push(
        `  ${c.name.padEnd(width)}  ${c.nsPerOp.toFixed(1).padStart(11)}  ${si(c.opsPerSec).padStart(9)}  ` +
          `${gb.padStart(7)}  ${c.rmePercent.toFixed(1).padStart(4)}  ${ratio}`,
      );
      for (const [k, v] of Object.entries(c.metrics ?? {})) lines.push(`    ${k}: ${Number.isInteger(v) ? v : v.toFixed(1)}`);
    }
  }
  return lines;
}

function parsePositive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function parseRegex(v: string): string {
  try {
    new RegExp(v);
    return v;
  } catch {
    throw new InvalidArgumentError('expected a regular expression');
  }
}

export interface MainIo {
  suites?: BenchSuite[];
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Progress lines while running (default: to stderr when it is a terminal). */
  progress?: (line: string) => void;
}

/** The `npm run bench` command line; returns the exit code (0 ok, 1 a case failed, 2 bad usage). */
export async function main(argv: string[], io: MainIo = {}): Promise<number> {
  const out = io.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = io.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const program = new Command()
    .name('bench')
    .description('Run the wirestack micro-benchmarks.')
    .option('--filter <regex>', 'run only cases whose "suite/case" name matches', parseRegex)
    .option('--json <file>', 'also write the figures as JSON to this file')
    .option('--time <ms>', 'measuring time per case', parsePositive, 1000)
    .option('--warmup <ms>', 'warm-up time per case', parsePositive, 250)
    .option('--list', 'list the cases and exit')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s.trimEnd()), writeErr: (s) => err(s.trimEnd()) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' ? 0 : 2;
    throw e;
  }
  const o = program.opts<{ filter?: string; json?: string; time: number; warmup: number; list?: boolean }>();
  const suites = io.suites ?? SUITES;
  if (o.list) {
    const filter = o.filter === undefined ? undefined : new RegExp(o.filter);
    for (const s of suites) for (const c of selectCases(s, filter)) out(`${s.name}/${c.name}`);
    return 0;
  }
  const progress =
    io.progress ?? (process.stderr.isTTY ? (l: string) => process.stderr.write(`\r\x1b[K${l}`) : undefined);
  const report = await runSuites(suites, {
    ...(progress ? { log: progress } : {}),
    timeMs: o.time,
    warmupMs: Math.min(o.warmup, o.time),
    ...(o.filter ? { filter: o.filter } : {}),
  });
  if (progress && !io.progress) process.stderr.write('\r\x1b[K');
  for (const l of formatReport(report)) out(l);
  if (o.json) writeFileSync(o.json, `${JSON.stringify(report, null, 2)}\n`);
  return report.suites.some((s) => s.cases.some((c) => c.error !== undefined)) ? 1 : 0;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
