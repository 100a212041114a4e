/**
 * `wirestack drill`, run as users run it: `node bin/wirestack drill …` from the checkout (which
 * needs the full build in dist/, as `npm test` makes it). WIRESTACK_CHECKOUT may point at another
 * built checkout.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LINKTYPE_RAW } from '../../src/core/pcap/common.js';
import { readCapture } from '../../src/core/pcap/reader.js';
import { sharedPath } from '../paths.js';

function checkout(): string {
  const env = process.env.WIRESTACK_CHECKOUT;
  if (env !== undefined && env !== '') return env;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'bin', 'wirestack')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('checkout with bin/wirestack not found');
    dir = up;
  }
}

const ROOT = checkout();
const BIN = join(ROOT, 'bin', 'wirestack');
const BUILT = existsSync(join(ROOT, 'dist', 'src', 'cli', 'drill.js'));
const NOT_BUILT = 'dist/src/cli/drill.js missing: run `npx tsc -p tsconfig.json` (npm test builds first)';
const CORPUS = sharedPath('packetdrill', 'corpus', 'google');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function drill(...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, 'drill', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const GOOD = `// A small script.
\`sysctl -q net.ipv4.tcp_timestamps=0\`
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%
`;

describe('wirestack drill', { skip: BUILT ? false : NOT_BUILT }, () => {
  let dir = '';
  before(() => {
    if (!BUILT) process.stdout.write(`skipping: ${NOT_BUILT}\n`);
    dir = mkdtempSync(join(tmpdir(), 'drill-cli-'));
    mkdirSync(join(dir, 'good', 'sub'), { recursive: true });
    mkdirSync(join(dir, 'bad'), { recursive: true });
    writeFileSync(join(dir, 'good', 'a.pkt'), GOOD);
    writeFileSync(join(dir, 'good', 'sub', 'b-v4.pkt'), GOOD);
    writeFileSync(join(dir, 'good', 'sub', 'notes.txt'), 'not a script');
    writeFileSync(join(dir, 'bad', 'syntax.pkt'), '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 99999999\n');
    writeFileSync(join(dir, 'bad', 'python.pkt'), '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert tcpi_rtt == }%\n');
    writeFileSync(join(dir, 'bad', 'define.pkt'), '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1000 <mss MSS>\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("runs scripts: the project's own pass in every variant (exit 0); a failing script exits 1", () => {
    const json = join(dir, 'run.json');
    const ok = drill('--json', json, join(ROOT, 'tests', 'packetdrill'));
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { results: { result: string; variant: string }[] };
    assert.ok(report.results.length >= 12, `${report.results.length} runs`);
    assert.deepEqual([...new Set(report.results.map((r) => r.result))], ['pass']);
    assert.deepEqual([...new Set(report.results.map((r) => r.variant))].sort(), ['ipv4', 'ipv4-mapped-ipv6', 'ipv6']);
    // GOOD has no defaults.sh: the stack advertises the linux profile's own wscale, not the 8 it expects.
    const bad = drill(join(dir, 'good'));
    assert.equal(bad.status, 1);
    assert.match(bad.stdout + bad.stderr, /a\.pkt:\d+: error/);
  });

  test('--pcap DIR writes one raw-IP capture per script and variant, with the run\'s packets', () => {
    const out = join(dir, 'pcaps');
    const script = join(ROOT, 'tests', 'packetdrill', 'passive_data_close.pkt');
    const r = drill('--pcap', out, script);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const files = readdirSync(out).sort();
    assert.equal(files.length, 3, files.join(' '));
    for (const f of files) {
      assert.match(f, /passive_data_close\.(ipv4|ipv6|ipv4-mapped-ipv6)\.pcap$/);
      const cap = readCapture(new Uint8Array(readFileSync(join(out, f))));
      assert.equal(cap.error, 0, `${f} parses to the end`);
      assert.ok(cap.records.length >= 6, `${f}: ${cap.records.length} packets`);
      const first = cap.records[0]!;
      assert.equal(first.linkType, LINKTYPE_RAW);
      assert.equal(first.buf[first.off]! >> 4, f.includes('.ipv6.') ? 6 : 4);
    }
  });

  test('bad usage exits 2', () => {
    assert.equal(drill().status, 2);
    assert.equal(drill('--parse-only', join(dir, 'nope.pkt')).status, 2);
    assert.equal(drill('--parse-only', '--variants', 'ipv5', join(dir, 'good')).status, 2);
    assert.equal(drill('--parse-only', '-D', 'NOEQUALS', join(dir, 'good')).status, 2);
    assert.equal(drill('--parse-only', '--tolerance_usecs', '-3', join(dir, 'good')).status, 2);
    assert.equal(drill('--parse-only', '--bogus', join(dir, 'good')).status, 2);
  });

  test('--parse-only passes good scripts in the google variants, recursively', () => {
    const r = drill('--parse-only', '--tolerance_usecs', '4000', join(dir, 'good'));
    assert.equal(r.status, 0, r.stderr);
    // a.pkt: ipv4, mapped, ipv6; b-v4.pkt: ipv4, mapped.
    assert.match(r.stdout, /5 run: 5 passed, 0 failed, 0 errors/);
    assert.match(r.stdout, /^RESULT +VARIANT +VIRTUAL +WALL +SCRIPT$/m);
  });

  test('--tap, --json and --junit report the same records', () => {
    const json = join(dir, 'out.json');
    const junit = join(dir, 'out.xml');
    const r = drill('--parse-only', '--tap', '--json', json, '--junit', junit, '--variants', 'ipv6,ipv4', join(dir, 'good'), join(dir, 'bad'));
    assert.equal(r.status, 2);
    const tap = r.stdout.split('\n');
    assert.equal(tap[0], 'TAP version 13');
    assert.equal(tap[1], '1..10');
    assert.equal(tap.filter((l) => l.startsWith('ok ')).length, 4);
    assert.equal(tap.filter((l) => l.startsWith('not ok ')).length, 6);
    assert.ok(tap.includes('  severity: error'));
    const j = JSON.parse(readFileSync(json, 'utf8')) as {
      summary: { total: number; pass: number; fail: number; error: number };
      results: { path: string; variant: string; result: string; message: string; virtualUs: number; wallMs: number }[];
    };
    assert.deepEqual({ ...j.summary, wallMs: 0 }, { total: 10, pass: 4, fail: 0, error: 6, wallMs: 0 });
    assert.deepEqual(Object.keys(j.results[0]!).sort(), ['message', 'path', 'result', 'variant', 'virtualUs', 'wallMs']);
    const syntax = j.results.find((x) => x.path.endsWith('syntax.pkt') && x.variant === 'ipv4')!;
    assert.equal(syntax.result, 'error');
    assert.match(syntax.message, /syntax\.pkt:2:\d+: error: /);
    const py = j.results.find((x) => x.path.endsWith('python.pkt'))!;
    assert.match(py.message, /python\.pkt:2:\d+: error: in Python code .*SyntaxError/);
    const x = readFileSync(junit, 'utf8');
    assert.match(x, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="wirestack drill" tests="10" failures="0" errors="6"/);
    assert.equal((x.match(/<testcase /g) ?? []).length, 10);
    assert.equal((x.match(/<error message=/g) ?? []).length, 6);
    assert.match(x, /<testsuite name="ipv6" tests="5"/);
  });

  test('-D defines reach the parser and override variant defines', () => {
    const file = join(dir, 'bad', 'define.pkt');
    assert.equal(drill('--parse-only', file).status, 2);
    const r = drill('--parse-only', '-D', 'MSS=1460', '-D', 'X=1', file);
    assert.equal(r.status, 0, r.stdout);
  });

  test('--parse-only over the google corpus passes', (t) => {
    if (!existsSync(CORPUS)) {
      process.stdout.write(`skipping: ${CORPUS} is missing\n`);
      t.skip(`${CORPUS} is missing`);
      return;
    }
    // The PSP scripts take MSS from their runner, as -D MSS=1460.
    const json = join(dir, 'corpus.json');
    const r = drill('--parse-only', '-D', 'MSS=1460', '--json', json, CORPUS);
    const j = JSON.parse(readFileSync(json, 'utf8')) as { summary: { total: number; pass: number; error: number }; results: { message: string }[] };
    assert.equal(r.status, 0, j.results.filter((x) => x.message !== '').map((x) => x.message).join('\n'));
    assert.equal(j.summary.error, 0);
    assert.ok(j.summary.total > 400, String(j.summary.total));
    process.stdout.write(`corpus parse-only: ${j.summary.pass}/${j.summary.total} script-variants pass\n`);
  });
});
