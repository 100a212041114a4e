import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DrillProgress, type DrillRecord, exitCodeFor, formatJson, formatJunit, formatSummary, formatTap, summarize, xmlEscape } from '../../../src/drill/report/index.js';

const recs: DrillRecord[] = [
  { path: 'a.pkt', variant: 'ipv4', result: 'pass', message: '', virtualUs: 1_500_000, wallMs: 12 },
  { path: 'b#1.pkt', variant: 'ipv6', result: 'fail', message: 'b.pkt:3: error handling packet: bad <win> & "x"', virtualUs: 200, wallMs: 3 },
  { path: 'c.pkt', variant: 'ipv4', result: 'error', message: 'c.pkt:1:5: error: expected X\nmore', virtualUs: 0, wallMs: 1 },
];

describe('drill report writers', () => {
  it('summarizes and picks exit codes', () => {
    assert.deepEqual(summarize(recs), { total: 3, pass: 1, fail: 1, error: 1, wallMs: 16 });
    assert.equal(exitCodeFor(recs.slice(0, 1)), 0);
    assert.equal(exitCodeFor(recs.slice(0, 2)), 1);
    assert.equal(exitCodeFor(recs), 2);
    assert.equal(exitCodeFor([]), 0);
  });
  it('writes TAP 13 with YAML diagnostics', () => {
    assert.equal(
      formatTap(recs),
      [
        'TAP version 13',
        '1..3',
        'ok 1 - a.pkt [ipv4]',
        'not ok 2 - b\\#1.pkt [ipv6]',
        '  ---',
        '  message: "b.pkt:3: error handling packet: bad <win> & \\"x\\""',
        '  severity: fail',
        '  variant: ipv6',
        '  ...',
        'not ok 3 - c.pkt [ipv4]',
        '  ---',
        '  message: "c.pkt:1:5: error: expected X\\nmore"',
        '  severity: error',
        '  variant: ipv4',
        '  ...',
        '',
      ].join('\n'),
    );
  });
  it('writes JUnit XML with escaped text, one suite per variant', () => {
    const x = formatJunit(recs);
    assert.match(x, /<testsuites name="wirestack drill" tests="3" failures="1" errors="1" time="0.016">/);
    assert.match(x, /<testsuite name="ipv4" tests="2" failures="0" errors="1" skipped="0" time="0.013">/);
    assert.match(x, /<testcase classname="ipv4" name="a.pkt" time="0.012"\/>/);
    assert.match(x, /<failure message="b.pkt:3: error handling packet: bad &lt;win&gt; &amp; &quot;x&quot;" type="failure">/);
    assert.match(x, /<error message="c.pkt:1:5: error: expected X" type="error">c.pkt:1:5: error: expected X\nmore<\/error>/);
    assert.equal(xmlEscape('a\u0001b'), 'a\\x01b');
  });
  it('writes JSON with summary and records', () => {
    const j = JSON.parse(formatJson(recs)) as { summary: unknown; results: unknown };
    assert.deepEqual(j.results, recs);
    assert.deepEqual(j.summary, summarize(recs));
  });
  it('writes an aligned text table with totals and messages', () => {
    const t = formatSummary(recs).split('\n');
    assert.equal(t[0], 'RESULT  VARIANT  VIRTUAL  WALL  SCRIPT');
    assert.equal(t[1], 'PASS    ipv4     1.500s   12ms  a.pkt');
    assert.ok(t.includes('FAIL b#1.pkt [ipv6]: b.pkt:3: error handling packet: bad <win> & "x"'));
    assert.equal(t.at(-2), '3 run: 1 passed, 1 failed, 1 errors (0.02s)');
  });
  it('draws no progress bar when the stream is not a TTY or there are few scripts', () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (s: string) => written.push(s) };
    const p = new DrillProgress(100, stream);
    assert.equal(p.active, false);
    p.tick(recs[0]!);
    p.stop();
    assert.equal(new DrillProgress(2, { isTTY: true, write: (s: string) => written.push(s) }).active, false);
    assert.deepEqual(written, []);
  });
  it('draws a bar on a TTY for many scripts', () => {
    const written: string[] = [];
    const stream = {
      isTTY: true,
      columns: 100,
      write: (s: string) => written.push(s),
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      on: () => stream,
      removeListener: () => stream,
    };
    const p = new DrillProgress(10, stream);
    assert.equal(p.active, true);
    for (const r of recs) p.tick(r);
    p.stop();
    assert.ok(written.join('').includes('drill ['), written.join(''));
  });
});
