/**
 * The conformance report: drill records of a corpus joined with the corpus' triage (a bucket per
 * script) and with real Linux's results for the same scripts and variants, summarized by bucket and
 * by folder, and written as Markdown, JSON and a plain-text table. Everything here is a pure
 * function of its inputs; reading files and running scripts is the CLI's job.
 *
 * A run that real Linux failed for a reason other than a timing artifact of a real-time run (its
 * reason class matches `TIMING_REASON`) is `linux-fails`: it is listed with Linux's reason and left
 * out of the pass-rate denominator, whatever the stack did.
 */
import type { DrillOutcome, DrillRecord } from './records.js';

// ---------------------------------------------------------------------------------------------
// CSV

/** Parses RFC 4180 CSV (quoted fields with doubled quotes, embedded commas and newlines; LF or CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  while (i < s.length) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      field = '';
      rows.push(row);
      row = [];
      if (c === '\r' && s[i + 1] === '\n') i++;
    } else {
      field += c;
    }
    i++;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** CSV rows as records keyed by the header line; an error text when a required column is missing. */
export function csvRecords(text: string, required: readonly string[]): Record<string, string>[] | string {
  const rows = parseCsv(text);
  const head = rows[0];
  if (head === undefined) return 'empty CSV (no header line)';
  const missing = required.filter((c) => !head.includes(c));
  if (missing.length > 0) return `missing column(s) ${missing.join(', ')} (header: ${head.join(',')})`;
  return rows.slice(1).map((r) => {
    const rec: Record<string, string> = {};
    head.forEach((h, i) => {
      rec[h] = r[i] ?? '';
    });
    return rec;
  });
}

// ---------------------------------------------------------------------------------------------
// Lookup by path suffix

function segments(path: string): string[] {
  return path.replaceAll('\\', '/').split('/').filter((p) => p !== '' && p !== '.');
}

/**
 * Values keyed by relative paths (`gtests/net/tcp/x.pkt`, `tcp/x.pkt`), looked up with a script's
 * absolute path: the longest key that is a whole-segment suffix of the path wins. The corpus files
 * name scripts relative to different roots, so this needs no knowledge of where the corpus sits.
 */
export class PathIndex<T> {
  private readonly map = new Map<string, T>();

  set(key: string, value: T): void {
    this.map.set(segments(key).join('/'), value);
  }

  get size(): number {
    return this.map.size;
  }

  lookup(path: string): T | undefined {
    const segs = segments(path);
    for (let i = 0; i < segs.length; i++) {
      const v = this.map.get(segs.slice(i).join('/'));
      if (v !== undefined) return v;
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Triage and kernel results

export const TRIAGE_COLUMNS = ['path', 'bucket'] as const;
export const KERNEL_COLUMNS = ['script', 'ip_version', 'result', 'reason_class', 'reason_note'] as const;

/** Bucket per script; keyed by `path` and by `corpus/path` when the `corpus` column is present. */
export function triageIndex(text: string): PathIndex<string> | string {
  const recs = csvRecords(text, TRIAGE_COLUMNS);
  if (typeof recs === 'string') return recs;
  const idx = new PathIndex<string>();
  for (const r of recs) {
    if (r.path === '' || r.bucket === '') continue;
    idx.set(r.path!, r.bucket!);
    if ((r.corpus ?? '') !== '') idx.set(`${r.corpus}/${r.path}`, r.bucket!);
  }
  return idx;
}

/** One run of a script by real Linux. */
export interface LinuxRun {
  /** `pass`, `fail` or `skip` as the CSV says. */
  readonly result: string;
  readonly reasonClass: string;
  readonly reasonNote: string;
  /** The first error line real packetdrill printed, when the CSV has it. */
  readonly firstError: string;
}

/** The kernel CSV spells the mapped variant `ipv4-mapped-v6`; the runner says `ipv4-mapped-ipv6`. */
export function normalizeVariant(v: string): string {
  return v === 'ipv4-mapped-v6' ? 'ipv4-mapped-ipv6' : v;
}

/** Linux's runs per script, by variant. */
export function kernelIndex(text: string): PathIndex<Map<string, LinuxRun>> | string {
  const recs = csvRecords(text, KERNEL_COLUMNS);
  if (typeof recs === 'string') return recs;
  const byScript = new Map<string, Map<string, LinuxRun>>();
  for (const r of recs) {
    if (r.script === '') continue;
    const m = byScript.get(r.script!) ?? new Map<string, LinuxRun>();
    m.set(normalizeVariant(r.ip_version!), {
      result: r.result!,
      reasonClass: r.reason_class!,
      reasonNote: r.reason_note!,
      firstError: r.first_error_line ?? '',
    });
    byScript.set(r.script!, m);
  }
  const idx = new PathIndex<Map<string, LinuxRun>>();
  for (const [k, v] of byScript) idx.set(k, v);
  return idx;
}

/** Reason classes that describe a timing artifact of a real-time run (e.g. `HZ/timing`). */
export const TIMING_REASON = /timing/i;

/** True when Linux's failure of this run is a real failure (not timing): the run is excluded. */
export function linuxFails(run: LinuxRun | undefined): boolean {
  if (run === undefined || run.result !== 'fail') return false;
  return !TIMING_REASON.test(run.reasonClass);
}

// ---------------------------------------------------------------------------------------------
// Classification

export type ConformanceStatus = 'pass' | 'fail' | 'linux-fails';

/** One script in one variant, with its bucket and Linux's result. */
export interface ConformanceRun {
  /** Relative to the corpus directory given, with `/` separators. */
  readonly script: string;
  /** The script's folder relative to the corpus directory (`.` at the top). */
  readonly folder: string;
  readonly variant: string;
  /** The triage bucket, `?` when the triage does not list the script. */
  readonly bucket: string;
  /** `linux-fails` when excluded (see the module comment), else the stack's pass or fail. */
  readonly status: ConformanceStatus;
  /** What the stack did: pass, fail, or error (could not run). */
  readonly ours: DrillOutcome;
  /** The first line of the stack's error message ('' for a pass). */
  readonly firstError: string;
  readonly message: string;
  /** Real Linux's run, `null` when the kernel results do not have it. */
  readonly linux: LinuxRun | null;
  readonly virtualUs: number;
  readonly wallMs: number;
}

export interface ClassifyInput {
  /** Script path → path relative to the corpus directory. */
  readonly relative: (path: string) => string;
  /** Script path → absolute path, for the triage and kernel lookups. */
  readonly absolute: (path: string) => string;
  readonly triage?: PathIndex<string>;
  readonly kernel?: PathIndex<Map<string, LinuxRun>>;
}

export const UNKNOWN_BUCKET = '?';

export function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '') ?? '';
}

export function classify(records: readonly DrillRecord[], input: ClassifyInput): ConformanceRun[] {
  return records.map((r) => {
    const abs = input.absolute(r.path);
    const script = segments(input.relative(r.path)).join('/');
    const slash = script.lastIndexOf('/');
    const linux = input.kernel?.lookup(abs)?.get(r.variant);
    const status: ConformanceStatus = linuxFails(linux) ? 'linux-fails' : r.result === 'pass' ? 'pass' : 'fail';
    return {
      script,
      folder: slash < 0 ? '.' : script.slice(0, slash),
      variant: r.variant,
      bucket: input.triage?.lookup(abs) ?? UNKNOWN_BUCKET,
      status,
      ours: r.result,
      firstError: firstLine(r.message),
      message: r.message,
      linux: linux ?? null,
      virtualUs: r.virtualUs,
      wallMs: r.wallMs,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Summaries

export interface Tally {
  /** Scripts with at least one run. */
  readonly scripts: number;
  readonly runs: number;
  readonly pass: number;
  readonly fail: number;
  readonly excluded: number;
  /** pass / (runs - excluded) in percent; `null` when nothing counts. */
  readonly passPct: number | null;
}

export interface BucketRow extends Tally {
  readonly bucket: string;
}

export interface FolderRow extends Tally {
  readonly folder: string;
  /** Scripts per bucket, e.g. `A:2 C:1`. */
  readonly buckets: string;
}

/** The bucket name of the all-buckets row (and of `--min-pass all=PCT`). */
export const ALL_BUCKETS = 'all';

export function tally(runs: readonly ConformanceRun[]): Tally {
  let pass = 0;
  let fail = 0;
  let excluded = 0;
  for (const r of runs) {
    if (r.status === 'pass') pass++;
    else if (r.status === 'fail') fail++;
    else excluded++;
  }
  const counted = pass + fail;
  return {
    scripts: new Set(runs.map((r) => r.script)).size,
    runs: runs.length,
    pass,
    fail,
    excluded,
    passPct: counted === 0 ? null : (100 * pass) / counted,
  };
}

function bucketOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a === UNKNOWN_BUCKET) return 1;
  if (b === UNKNOWN_BUCKET) return -1;
  return a < b ? -1 : 1;
}

function groupBy<K>(runs: readonly ConformanceRun[], key: (r: ConformanceRun) => K): Map<K, ConformanceRun[]> {
  const m = new Map<K, ConformanceRun[]>();
  for (const r of runs) {
    const k = key(r);
    const list = m.get(k);
    if (list === undefined) m.set(k, [r]);
    else list.push(r);
  }
  return m;
}

/** One row per bucket (sorted, `?` last), then the `all` row. */
export function byBucket(runs: readonly ConformanceRun[]): BucketRow[] {
  const groups = groupBy(runs, (r) => r.bucket);
  const rows = [...groups.keys()].sort(bucketOrder).map((b) => ({ bucket: b, ...tally(groups.get(b)!) }));
  rows.push({ bucket: ALL_BUCKETS, ...tally(runs) });
  return rows;
}

/** One row per folder, sorted by name. */
export function byFolder(runs: readonly ConformanceRun[]): FolderRow[] {
  const groups = groupBy(runs, (r) => r.folder);
  return [...groups.keys()].sort().map((f) => {
    const rs = groups.get(f)!;
    const scripts = new Map<string, string>(rs.map((r) => [r.script, r.bucket]));
    const perBucket = new Map<string, number>();
    for (const b of scripts.values()) perBucket.set(b, (perBucket.get(b) ?? 0) + 1);
    const buckets = [...perBucket.keys()].sort(bucketOrder).map((b) => `${b}:${perBucket.get(b)!}`).join(' ');
    return { folder: f, buckets, ...tally(rs) };
  });
}

// ---------------------------------------------------------------------------------------------
// --min-pass

export interface MinPass {
  readonly bucket: string;
  readonly pct: number;
}

/** Parses `BUCKET=PCT` (PCT a number from 0 to 100); an error text otherwise. */
export function parseMinPass(value: string): MinPass | string {
  const m = /^([^=\s]+)=(\d+(?:\.\d+)?)%?$/.exec(value.trim());
  if (m === null) return `expected BUCKET=PCT (e.g. A=90), got '${value}'`;
  const pct = Number(m[2]);
  if (pct > 100) return `percentage must be between 0 and 100, got '${m[2]}'`;
  return { bucket: m[1]!, pct };
}

/** The requirements not met, one text each (empty when all are met). */
export function unmetMinPass(rows: readonly BucketRow[], reqs: readonly MinPass[]): string[] {
  const out: string[] = [];
  for (const q of reqs) {
    const row = rows.find((r) => r.bucket === q.bucket);
    if (row === undefined || row.passPct === null) {
      out.push(`bucket ${q.bucket}: no counted runs (required ${q.pct}%)`);
    } else if (row.passPct < q.pct) {
      out.push(`bucket ${q.bucket}: ${pct(row.passPct)} passed, below the required ${q.pct}%`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writers

/** Facts about the run that the report's header carries. */
export interface ConformanceMeta {
  readonly dir: string;
  readonly version: string;
  /** The checkout's commit, or 'unknown'. */
  readonly commit: string;
  /** True when the working tree differs from the commit; `null` when unknown. */
  readonly dirty: boolean | null;
  /** ISO 8601. */
  readonly date: string;
  readonly wallMs: number;
  /** The triage and kernel-results files used, `null` when none. */
  readonly triage: string | null;
  readonly kernel: string | null;
  /** `null` for the upstream runner's choice per script; else the variants asked for. */
  readonly variants: readonly string[] | null;
}

export interface ConformanceReport {
  readonly meta: ConformanceMeta;
  readonly buckets: readonly BucketRow[];
  readonly folders: readonly FolderRow[];
  /** Reason classes of Linux's failures among these runs: counted (timing) or excluded. */
  readonly linuxReasons: readonly { reasonClass: string; runs: number; treatment: 'counted (timing)' | 'excluded' }[];
  readonly runs: readonly ConformanceRun[];
}

export function buildReport(meta: ConformanceMeta, runs: readonly ConformanceRun[]): ConformanceReport {
  const reasons = new Map<string, number>();
  for (const r of runs) {
    if (r.linux?.result !== 'fail') continue;
    const cls = r.linux.reasonClass === '' ? '(none given)' : r.linux.reasonClass;
    reasons.set(cls, (reasons.get(cls) ?? 0) + 1);
  }
  const linuxReasons = [...reasons]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([reasonClass, n]) => ({
      reasonClass,
      runs: n,
      treatment: TIMING_REASON.test(reasonClass) ? ('counted (timing)' as const) : ('excluded' as const),
    }));
  return { meta, buckets: byBucket(runs), folders: byFolder(runs), linuxReasons, runs };
}

export function pct(p: number | null): string {
  return p === null ? '-' : `${p.toFixed(1)}%`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

const BUCKET_HEAD = ['BUCKET', 'SCRIPTS', 'RUNS', 'PASS', 'FAIL', 'EXCLUDED', 'PASS %'];

function tallyCells(t: Tally): string[] {
  return [String(t.scripts), String(t.runs), String(t.pass), String(t.fail), String(t.excluded), pct(t.passPct)];
}

function bucketCells(r: BucketRow): string[] {
  return [r.bucket, ...tallyCells(r)];
}

/** The bucket summary as an aligned text table (what the CLI prints). */
export function formatBucketTable(rows: readonly BucketRow[]): string {
  const body = rows.map(bucketCells);
  const widths = BUCKET_HEAD.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return `${[fmt(BUCKET_HEAD), ...body.map(fmt)].join('\n')}\n`;
}

function mdCell(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** A Markdown table; the first `left` columns are text (left-aligned), the others numbers. */
function mdTable(head: readonly string[], rows: readonly (readonly string[])[], left = 1): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < left ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ];
}

function linuxText(l: LinuxRun | null): string {
  if (l === null) return 'no result';
  return l.reasonClass === '' ? l.result : `${l.result} (${l.reasonClass})`;
}

/** report.md. */
export function formatMarkdown(rep: ConformanceReport): string {
  const m = rep.meta;
  const all = rep.buckets.find((b) => b.bucket === ALL_BUCKETS)!;
  const commit = m.dirty === true ? `${m.commit} with uncommitted changes` : m.commit;
  const out: string[] = [
    `# Conformance report: \`${m.dir}\``,
    '',
    `- wirestack ${m.version}, commit ${commit}`,
    `- date: ${m.date}`,
    `- wall time: ${seconds(m.wallMs)} for ${all.scripts} scripts, ${all.runs} runs`,
    `- variants: ${m.variants === null ? 'the ones the upstream (google) runner runs for each script' : m.variants.join(', ')}`,
    `- triage: ${m.triage ?? 'none (every script is bucket `?`)'}`,
    `- real Linux results: ${m.kernel ?? 'none (nothing is excluded)'}`,
    '',
    'A run is **linux-fails** when real Linux failed the same script in the same variant for a reason that is',
    'not a timing artifact of a real-time run. Such runs are listed below with Linux\'s reason and are',
    '**excluded from the pass-rate denominator** (pass % = pass / (runs - excluded)), whatever this stack did.',
    `Reason classes matching \`${TIMING_REASON.source}\` (case-insensitive) are timing artifacts: those runs count normally.`,
    '',
  ];
  if (rep.linuxReasons.length > 0) {
    out.push('Linux failures among these runs, by reason class:', '');
    out.push(...mdTable(['reason class', 'treatment', 'runs'], rep.linuxReasons.map((r) => [r.reasonClass, r.treatment, String(r.runs)]), 2));
    out.push('');
  }
  out.push('## Summary by bucket', '');
  out.push(...mdTable(['bucket', 'scripts', 'runs', 'pass', 'fail', 'excluded', 'pass %'], rep.buckets.map(bucketCells)));
  out.push('', '## By folder', '');
  out.push(
    ...mdTable(
      ['folder', 'buckets', 'scripts', 'runs', 'pass', 'fail', 'excluded', 'pass %'],
      rep.folders.map((f) => [f.folder, f.buckets, ...tallyCells(f)]),
      2,
    ),
  );
  const failing = rep.runs.filter((r) => r.status === 'fail');
  out.push('', `## Failing runs (${failing.length})`, '');
  if (failing.length === 0) out.push('None.');
  else {
    out.push(
      ...mdTable(
        ['script', 'variant', 'bucket', 'ours', 'real Linux', 'first error'],
        failing.map((r) => [r.script, r.variant, r.bucket, r.ours, linuxText(r.linux), r.firstError]),
        6,
      ),
    );
  }
  const excluded = rep.runs.filter((r) => r.status === 'linux-fails');
  out.push('', `## Excluded runs: linux-fails (${excluded.length})`, '');
  if (excluded.length === 0) out.push('None.');
  else {
    out.push(
      ...mdTable(
        ['script', 'variant', 'bucket', 'ours', 'Linux reason class', 'Linux reason'],
        excluded.map((r) => [r.script, r.variant, r.bucket, r.ours, r.linux!.reasonClass || '(none given)', r.linux!.reasonNote]),
        6,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

/** report.json: meta, summaries and one record per script and variant. */
export function formatReportJson(rep: ConformanceReport): string {
  return `${JSON.stringify(rep, null, 2)}\n`;
}
