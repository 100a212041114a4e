/**
 * Result records of `wirestack drill` and the writers for them: TAP (version 13), JUnit XML,
 * JSON and a plain-text summary table. The writers are pure functions from records to text.
 */

export type DrillOutcome = 'pass' | 'fail' | 'error';

/** One script run in one IP-version variant. */
export interface DrillRecord {
  /** The script path as given or found on the command line. */
  readonly path: string;
  /** `ipv4`, `ipv6` or `ipv4-mapped-ipv6`. */
  readonly variant: string;
  /**
   * `pass`; `fail` when the script ran and a check failed; `error` when it could not run (parse
   * error, unsupported command).
   */
  readonly result: DrillOutcome;
  /** Empty for a pass; the packetdrill-style `file:line:col: error: ...` text otherwise. */
  readonly message: string;
  /** Virtual time the run covered, in microseconds (0 for parse-only). */
  readonly virtualUs: number;
  /** Wall-clock time spent, in milliseconds. */
  readonly wallMs: number;
}

export interface DrillSummary {
  readonly total: number;
  readonly pass: number;
  readonly fail: number;
  readonly error: number;
  readonly wallMs: number;
}

export function summarize(records: readonly DrillRecord[]): DrillSummary {
  let pass = 0;
  let fail = 0;
  let error = 0;
  let wallMs = 0;
  for (const r of records) {
    if (r.result === 'pass') pass++;
    else if (r.result === 'fail') fail++;
    else error++;
    wallMs += r.wallMs;
  }
  return { total: records.length, pass, fail, error, wallMs };
}

/** The process exit code for a set of records: 0 all pass, 2 any error (unparsable), else 1. */
export function exitCodeFor(records: readonly DrillRecord[]): number {
  const s = summarize(records);
  if (s.error > 0) return 2;
  return s.fail > 0 ? 1 : 0;
}

function testName(r: DrillRecord): string {
  return `${r.path} [${r.variant}]`;
}

function yamlString(s: string): string {
  return JSON.stringify(s);
}

/** TAP version 13: one test point per record; failures carry a YAML block with the message. */
export function formatTap(records: readonly DrillRecord[]): string {
  const lines = ['TAP version 13', `1..${records.length}`];
  records.forEach((r, i) => {
    // '#' would start a TAP directive inside the description.
    const name = testName(r).replaceAll('#', '\\#');
    lines.push(`${r.result === 'pass' ? 'ok' : 'not ok'} ${i + 1} - ${name}`);
    if (r.result !== 'pass') {
      lines.push('  ---');
      lines.push(`  message: ${yamlString(r.message)}`);
      lines.push(`  severity: ${r.result}`);
      lines.push(`  variant: ${r.variant}`);
      lines.push('  ...');
    }
  });
  return `${lines.join('\n')}\n`;
}

// Control characters XML 1.0 cannot carry (everything below 0x20 except tab, LF, CR).
function xmlSafeChars(s: string): string {
  let out = '';
  for (const c of s) {
    const code = c.charCodeAt(0);
    const bad = code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
    out += bad ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return out;
}

export function xmlEscape(s: string): string {
  return xmlSafeChars(s)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** JUnit XML: one suite per variant, one `testcase` per record (`failure` / `error` children). */
export function formatJunit(records: readonly DrillRecord[]): string {
  const s = summarize(records);
  const byVariant = new Map<string, DrillRecord[]>();
  for (const r of records) byVariant.set(r.variant, [...(byVariant.get(r.variant) ?? []), r]);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="wirestack drill" tests="${s.total}" failures="${s.fail}" errors="${s.error}" time="${seconds(s.wallMs)}">`);
  for (const [variant, rs] of byVariant) {
    const v = summarize(rs);
    out.push(`  <testsuite name="${xmlEscape(variant)}" tests="${v.total}" failures="${v.fail}" errors="${v.error}" skipped="0" time="${seconds(v.wallMs)}">`);
    for (const r of rs) {
      const open = `    <testcase classname="${xmlEscape(variant)}" name="${xmlEscape(r.path)}" time="${seconds(r.wallMs)}"`;
      if (r.result === 'pass') {
        out.push(`${open}/>`);
        continue;
      }
      const tag = r.result === 'fail' ? 'failure' : 'error';
      const first = r.message.split('\n')[0] ?? '';
      out.push(`${open}>`);
      out.push(`      <${tag} message="${xmlEscape(first)}" type="${tag}">${xmlEscape(r.message)}</${tag}>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

/** JSON: `{ summary, results }` with the records as they are. */
export function formatJson(records: readonly DrillRecord[]): string {
  return `${JSON.stringify({ summary: summarize(records), results: records }, null, 2)}\n`;
}

/** A text table: one row per record, then the totals; failures' messages follow the table. */
export function formatSummary(records: readonly DrillRecord[]): string {
  const head = ['RESULT', 'VARIANT', 'VIRTUAL', 'WALL', 'SCRIPT'];
  const rows = records.map((r) => [
    r.result.toUpperCase(),
    r.variant,
    `${(r.virtualUs / 1e6).toFixed(3)}s`,
    `${r.wallMs.toFixed(0)}ms`,
    r.path,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: readonly string[]): string => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const lines = [fmt(head), ...rows.map(fmt)];
  const failed = records.filter((r) => r.result !== 'pass' && r.message !== '');
  if (failed.length > 0) {
    lines.push('');
    for (const r of failed) lines.push(`${r.result.toUpperCase()} ${testName(r)}: ${r.message}`);
  }
  const s = summarize(records);
  lines.push('');
  lines.push(`${s.total} run: ${s.pass} passed, ${s.fail} failed, ${s.error} errors (${(s.wallMs / 1000).toFixed(2)}s)`);
  return `${lines.join('\n')}\n`;
}
