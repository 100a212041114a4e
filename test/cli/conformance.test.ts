/**
 * `wirestack conformance` over a tiny fake corpus (test/drill/fixtures/conformance): four scripts,
 * a triage CSV (buckets A, A, B; one script untriaged) and a kernel-results CSV in which real Linux
 * fails two runs for non-timing reasons (excluded) and one for a timing reason (counted).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { type ConformanceFlags, findBeside, registerConformance, runConformance } from '../../src/cli/conformance.js';
import {
  type ConformanceReport,
  kernelIndex,
  linuxFails,
  normalizeVariant,
  parseCsv,
  parseMinPass,
  PathIndex,
  triageIndex,
} from '../../src/drill/report/conformance.js';
import { checkoutRoot } from '../paths.js';

const ROOT = checkoutRoot();
const FIX = join(ROOT, 'test', 'drill', 'fixtures', 'conformance');
const CORPUS = join(FIX, 'fake', 'gtests', 'net', 'tcp');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function conformance(dir: string | undefined, flags: ConformanceFlags): Result {
  let stdout = '';
  let stderr = '';
  const code = runConformance(dir, flags, {
    out: (s) => (stdout += s),
    err: (s) => (stderr += s),
    progress: { isTTY: false, write: () => true },
    now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  });
  return { code, stdout, stderr };
}

describe('parsing the corpus files', () => {
  test('CSV: quoted fields with commas, doubled quotes, newlines and CRLF', () => {
    assert.deepEqual(parseCsv('a,b,c\r\n1,"x, y","say ""hi"""\n2,"two\nlines",\n'), [
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'two\nlines', ''],
    ]);
  });

  test('paths match by the longest whole-segment suffix', () => {
    const idx = new PathIndex<string>();
    idx.set('tcp/x.pkt', 'short');
    idx.set('gtests/net/tcp/x.pkt', 'long');
    assert.equal(idx.lookup('/c/google/gtests/net/tcp/x.pkt'), 'long');
    assert.equal(idx.lookup('/elsewhere/tcp/x.pkt'), 'short');
    assert.equal(idx.lookup('/c/gtests/net/udp/x.pkt'), undefined);
    assert.equal(idx.lookup('/c/gtests/net/atcp/x.pkt'), undefined);
  });

  test('kernel results: mapped variant spelling, timing failures are not exclusions', () => {
    assert.equal(normalizeVariant('ipv4-mapped-v6'), 'ipv4-mapped-ipv6');
    const idx = kernelIndex(readFileSync(join(FIX, 'fake-kernel-results.csv'), 'utf8'));
    assert.ok(typeof idx !== 'string');
    const runs = idx.lookup(join(CORPUS, 'open', 'refused-v4.pkt'))!;
    assert.equal(runs.get('ipv4-mapped-ipv6')?.reasonClass, 'HZ/timing');
    assert.equal(linuxFails(runs.get('ipv4-mapped-ipv6')), false);
    assert.equal(linuxFails(runs.get('ipv6')), false); // skip
    assert.equal(linuxFails(idx.lookup(join(CORPUS, 'close', 'wrong-errno.pkt'))!.get('ipv4')), true);
    assert.equal(typeof kernelIndex('script,result\nx,pass\n'), 'string');
    assert.equal(typeof triageIndex('corpus,path\n'), 'string');
  });

  test('--min-pass values', () => {
    assert.deepEqual(parseMinPass('A=90'), { bucket: 'A', pct: 90 });
    assert.deepEqual(parseMinPass('all=87.5%'), { bucket: 'all', pct: 87.5 });
    for (const bad of ['A', 'A=', '=5', 'A=101', 'A=-1', 'A=x']) assert.equal(typeof parseMinPass(bad), 'string', bad);
  });

  test('the triage and kernel files are found beside the corpus', () => {
    assert.equal(findBeside(CORPUS, '-triage.csv'), join(FIX, 'fake-triage.csv'));
    assert.equal(findBeside(CORPUS, '-kernel-results.csv'), join(FIX, 'fake-kernel-results.csv'));
  });
});

describe('wirestack conformance', () => {
  let tmp = '';
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'conformance-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('counts per bucket, linux-fails exclusions, report.md and report.json', () => {
    const out = join(tmp, 'default');
    const r = conformance(CORPUS, { out });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.split('\n').map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows[0], ['BUCKET', 'SCRIPTS', 'RUNS', 'PASS', 'FAIL', 'EXCLUDED', 'PASS', '%']);
    // A: passive-open (3 variants) + refused-v4 (ipv4, mapped; Linux's mapped failure is timing: counted).
    assert.deepEqual(rows[1], ['A', '2', '5', '5', '0', '0', '100.0%']);
    // B: wrong-errno fails everywhere; Linux fails ipv4 and ipv6 for non-timing reasons.
    assert.deepEqual(rows[2], ['B', '1', '3', '0', '1', '2', '0.0%']);
    assert.deepEqual(rows[3], ['?', '1', '3', '3', '0', '0', '100.0%']);
    assert.deepEqual(rows[4], ['all', '4', '11', '8', '1', '2', '88.9%']);
    assert.match(r.stdout, /11 runs of 4 scripts in \d+\.\d s wall time; 2 excluded as linux-fails/);

    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ConformanceReport;
    assert.equal(rep.runs.length, 11);
    assert.equal(rep.meta.date, '2026-01-02T03:04:05.000Z');
    assert.equal(rep.meta.triage, join(FIX, 'fake-triage.csv'));
    const excluded = rep.runs.filter((x) => x.status === 'linux-fails');
    assert.deepEqual(excluded.map((x) => `${x.script} ${x.variant}`).sort(), ['close/wrong-errno.pkt ipv4', 'close/wrong-errno.pkt ipv6']);
    assert.equal(excluded[0]!.ours, 'fail');
    assert.ok(excluded.every((x) => x.linux !== null && x.linux.reasonNote !== ''));
    const timing = rep.runs.find((x) => x.script === 'open/refused-v4.pkt' && x.variant === 'ipv4-mapped-ipv6')!;
    assert.equal(timing.status, 'pass');
    assert.equal(timing.linux?.result, 'fail');
    assert.equal(rep.runs.filter((x) => x.script === 'open/refused-v4.pkt').length, 2);
    const untriaged = rep.runs.filter((x) => x.script === 'misc/untriaged.pkt');
    assert.deepEqual(untriaged.map((x) => [x.bucket, x.linux]), [['?', null], ['?', null], ['?', null]]);
    assert.deepEqual(rep.folders.map((f) => [f.folder, f.buckets, f.runs, f.pass, f.fail, f.excluded]), [
      ['close', 'B:1', 3, 0, 1, 2],
      ['misc', '?:1', 3, 3, 0, 0],
      ['open', 'A:2', 5, 5, 0, 0],
    ]);

    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /^# Conformance report: /);
    assert.match(md, /- date: 2026-01-02T03:04:05\.000Z/);
    assert.match(md, /- wirestack \d+\.\d+\.\d+, commit /);
    assert.match(md, /- wall time: \d+\.\d s for 4 scripts, 11 runs/);
    assert.match(md, /excluded from the pass-rate denominator/);
    assert.match(md, /^\| B \| 1 \| 3 \| 0 \| 1 \| 2 \| 0\.0% \|$/m);
    assert.match(md, /^\| open \| A:2 \| 2 \| 5 \| 5 \| 0 \| 0 \| 100\.0% \|$/m);
    assert.match(md, /## Failing runs \(1\)\n\n[^\n]*\n[^\n]*\n\| close\/wrong-errno\.pkt \| ipv4-mapped-ipv6 \| B \| fail \| pass \| \S*wrong-errno\.pkt:2: error/);
    assert.match(md, /## Excluded runs: linux-fails \(2\)/);
    assert.match(md, /^\| close\/wrong-errno\.pkt \| ipv4 \| B \| fail \| genuine behavior difference \| socket\(\) succeeds/m);
    assert.match(md, /^\| HZ\/timing \| counted \(timing\) \| 1 \|$/m);
  });

  test('--variants narrows each script to those of its variants; explicit CSVs', () => {
    const r = conformance(CORPUS, {
      out: join(tmp, 'v6'),
      variants: ['ipv6'],
      triage: join(FIX, 'fake-triage.csv'),
      kernel: join(FIX, 'fake-kernel-results.csv'),
    });
    assert.equal(r.code, 0, r.stderr);
    const rep = JSON.parse(readFileSync(join(tmp, 'v6', 'report.json'), 'utf8')) as ConformanceReport;
    // refused-v4.pkt never runs in ipv6.
    assert.deepEqual(rep.runs.map((x) => `${x.script} ${x.variant} ${x.status}`), [
      'close/wrong-errno.pkt ipv6 linux-fails',
      'misc/untriaged.pkt ipv6 pass',
      'open/passive-open.pkt ipv6 pass',
    ]);
  });

  test('--min-pass: exit 1 when a bucket is below its threshold, else 0', () => {
    const out = join(tmp, 'gate');
    assert.equal(conformance(CORPUS, { out, minPass: [{ bucket: 'A', pct: 100 }, { bucket: 'all', pct: 88 }] }).code, 0);
    const low = conformance(CORPUS, { out, minPass: [{ bucket: 'A', pct: 100 }, { bucket: 'B', pct: 50 }] });
    assert.equal(low.code, 1);
    assert.match(low.stderr, /--min-pass not met: bucket B: 0\.0% passed, below the required 50%/);
    assert.equal(conformance(CORPUS, { out, minPass: [{ bucket: 'all', pct: 89 }] }).code, 1);
    assert.equal(conformance(CORPUS, { out, minPass: [{ bucket: 'C', pct: 1 }] }).code, 1);
  });

  test('bad usage exits 2 with a message', () => {
    const out = join(tmp, 'bad');
    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    const badCsv = join(tmp, 'bad-triage.csv');
    writeFileSync(badCsv, 'corpus,file\nx,y\n');
    const cases: [string | undefined, ConformanceFlags, RegExp][] = [
      [undefined, { out }, /no DIR given/],
      [join(tmp, 'nope'), { out }, /no such file or directory/],
      [join(CORPUS, 'misc', 'untriaged.pkt'), { out }, /not a directory/],
      [empty, { out }, /no \.pkt scripts found/],
      [CORPUS, { out, triage: join(tmp, 'missing.csv') }, /cannot read the triage CSV/],
      [CORPUS, { out, triage: badCsv }, /not a triage CSV: missing column\(s\) path, bucket/],
      [CORPUS, { out, kernel: badCsv }, /not a kernel-results CSV: missing column\(s\) script/],
      [CORPUS, { out: join(FIX, 'fake-triage.csv', 'sub') }, /cannot create/],
    ];
    for (const [dir, flags, re] of cases) {
      const r = conformance(dir, flags);
      assert.equal(r.code, 2, `${dir} ${JSON.stringify(flags)}`);
      assert.match(r.stderr, re);
    }
  });

  test('the command line rejects bad option values and a missing DIR', () => {
    const parse = (...args: string[]): unknown => {
      const quiet = { writeErr: () => undefined, writeOut: () => undefined };
      const program = new Command().exitOverride().configureOutput(quiet);
      registerConformance(program);
      program.commands[0]!.exitOverride().configureOutput(quiet);
      // Stop before the action runs: only argument and option parsing is under test here.
      program.commands[0]!.action(() => undefined);
      try {
        program.parse(args, { from: 'user' });
        return undefined;
      } catch (e) {
        return e;
      }
    };
    for (const args of [['conformance'], ['conformance', '--min-pass', 'A', CORPUS], ['conformance', '--variants', 'ipv5', CORPUS], ['conformance', '--bogus', CORPUS]]) {
      assert.ok(parse(...args) instanceof CommanderError, args.join(' '));
    }
    assert.equal(parse('conformance', '--min-pass', 'A=90', '--min-pass', 'B=10', '--variants', 'ipv4', CORPUS), undefined);
  });

  const BUILT = existsSync(join(ROOT, 'dist', 'src', 'cli', 'conformance.js'));
  test('bin/wirestack conformance runs end to end', { skip: BUILT ? false : 'dist/src/cli/conformance.js missing (npm test builds first)' }, () => {
    const bin = join(ROOT, 'bin', 'wirestack');
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'conformance', ...args], { encoding: 'utf8', cwd: tmp });
    const ok = run(CORPUS, '--out', 'cli-out', '--min-pass', 'A=100');
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(existsSync(join(tmp, 'cli-out', 'report.md')));
    assert.match(ok.stdout, /^all +4 +11 +8 +1 +2 +88\.9%$/m);
    assert.equal(run(CORPUS, '--out', 'cli-out', '--min-pass', 'B=50').status, 1);
    assert.equal(run().status, 2);
    assert.equal(run('--min-pass', 'B', CORPUS).status, 2);
  });
});
