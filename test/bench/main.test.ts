import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { checksumSuite } from '../../src/bench/checksum.js';
import { type BenchReport, main, runSuites, SUITES } from '../../src/bench/main.js';
import type { BenchSuite } from '../../src/bench/suite.js';

let sink = 0;
const fake: BenchSuite = {
  name: 'fake',
  cases: () => [
    {
      name: 'slow',
      bytes: 64,
      fn: () => {
        sink += [1, 2, 3].map((x) => x * 2).length;
      },
    },
    {
      name: 'fast',
      bytes: 64,
      baseline: 'slow',
      fn: () => {
        sink += 1;
      },
    },
    {
      name: 'plain',
      fn: () => {
        sink ^= 3;
      },
    },
    {
      name: 'broken',
      fn: () => {
        throw new Error('boom');
      },
    },
  ],
};

function checkCase(c: Record<string, unknown>): void {
  assert.equal(typeof c.name, 'string');
  for (const k of ['nsPerOp', 'opsPerSec', 'batch', 'samples', 'rmePercent'])
    assert.equal(typeof c[k], 'number', k);
}

describe('bench harness', () => {
  test('--json writes the figures (shape, not timing)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wirestack-bench-'));
    try {
      const file = join(dir, 'out.json');
      const lines: string[] = [];
      const code = await main(
        ['--time', '5', '--warmup', '1', '--json', file, '--filter', 'fake/(fast|plain)'],
        {
          suites: [fake],
          out: (l) => lines.push(l),
        },
      );
      assert.equal(code, 0);
      const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
      assert.equal(typeof report.date, 'string');
      assert.equal(typeof report.node, 'string');
      assert.equal(report.timeMs, 5);
      assert.equal(report.filter, 'fake/(fast|plain)');
      assert.equal(report.suites.length, 1);
      const s = report.suites[0]!;
      assert.equal(s.name, 'fake');
      // `fast` pulls in its baseline `slow`; `broken` is filtered out.
      assert.deepEqual(
        s.cases.map((c) => c.name),
        ['slow', 'fast', 'plain'],
      );
      for (const c of s.cases) checkCase(c as unknown as Record<string, unknown>);
      const [slow, fast, plain] = s.cases;
      assert.ok(fast!.nsPerOp > 0 && fast!.opsPerSec > 0);
      assert.equal(fast!.baseline, 'slow');
      assert.equal(typeof fast!.ratio, 'number');
      assert.equal(fast!.bytes, 64);
      assert.equal(typeof fast!.gbPerSec, 'number');
      assert.equal(slow!.ratio, undefined);
      assert.equal(plain!.gbPerSec, undefined);
      assert.ok(
        lines.some((l) => /fast .*x slow/.test(l)),
        lines.join('\n'),
      );
      assert.ok(sink > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a throwing case is reported and fails the run', async () => {
    const lines: string[] = [];
    const code = await main(['--time', '2', '--warmup', '1', '--filter', 'broken'], {
      suites: [fake],
      out: (l) => lines.push(l),
    });
    assert.equal(code, 1);
    assert.ok(lines.some((l) => l.includes('ERROR: boom')));
  });

  test('bad usage and --list', async () => {
    const err: string[] = [];
    assert.equal(await main(['--time', 'x'], { suites: [fake], out: () => {}, err: (l) => err.push(l) }), 2);
    assert.equal(
      await main(['--filter', '('], { suites: [fake], out: () => {}, err: (l) => err.push(l) }),
      2,
    );
    const out: string[] = [];
    assert.equal(await main(['--list', '--filter', 'fast'], { suites: [fake], out: (l) => out.push(l) }), 0);
    assert.deepEqual(out, ['fake/slow', 'fake/fast']);
  });

  test('the checksum suite is registered and its cases run', async () => {
    assert.ok(SUITES.includes(checksumSuite));
    const report = await runSuites([checksumSuite], { timeMs: 2, warmupMs: 1, filter: /1460B unaligned/ });
    const names = report.suites[0]!.cases.map((c) => c.name);
    assert.deepEqual(names, ['naive 1460B unaligned', 'checksum 1460B unaligned']);
    assert.ok(report.suites[0]!.cases.every((c) => c.error === undefined));
  });
});
