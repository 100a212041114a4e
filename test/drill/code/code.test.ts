import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CodeSession, compileCode, SK_MEMINFO_NAMES, TCP_INFO_FIELDS, TCP_INFO_NAMES } from '../../../src/drill/code/index.js';
import { parseScript } from '../../../src/drill/parser/index.js';
import { variantConfig } from '../../../src/drill/variants.js';
import { sharedPath } from '../../paths.js';

const site = { file: 'x.pkt', line: 20 };

interface Ran {
  ok: boolean;
  message?: string;
  output: readonly string[];
}

function run(code: string, tcpInfo: Record<string, number | bigint> = {}, session = new CodeSession()): Ran {
  const r = session.run(code, { tcpInfo, meminfo: { SK_MEMINFO_RCVBUF: 131072 } }, site);
  return { ...r, output: session.output };
}

describe('code blocks: evaluation', () => {
  it('passes asserts over tcp_info fields and constants', () => {
    assert.deepEqual(run('assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd', { tcpi_snd_cwnd: 10 }).ok, true);
    assert.equal(run('assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0, tcpi_options', { tcpi_options: 0x27 }).ok, true);
    assert.equal(run('assert tcpi_ca_state == TCP_CA_Recovery, tcpi_ca_state', { tcpi_ca_state: 3 }).ok, true);
    assert.equal(run('assert tcpi_state == TCP_ESTABLISHED', { tcpi_state: 1 }).ok, true);
    assert.equal(run('assert tcp_info.tcpi_rtt == tcpi_rtt == 1000', { tcpi_rtt: 1000 }).ok, true);
    assert.equal(run('assert SK_MEMINFO_RCVBUF == 131072').ok, true);
  });
  it('fails with packetdrill-like messages', () => {
    assert.equal(run('assert tcpi_snd_cwnd == 12, tcpi_snd_cwnd', { tcpi_snd_cwnd: 10 }).message, 'x.pkt:20: error in Python code: AssertionError: 10');
    assert.equal(
      run("assert 5000 <= tcpi_rtt <= 20000, 'srtt=%d us' % tcpi_rtt", { tcpi_rtt: 25000 }).message,
      'x.pkt:20: error in Python code: AssertionError: srtt=25000 us',
    );
    assert.equal(
      run("assert tcpi_ca_state == 3, 'ca_state: %d min_rtt: %d rtt: %d' % (tcpi_ca_state, tcpi_min_rtt, tcpi_rtt)", { tcpi_ca_state: 0, tcpi_min_rtt: 5, tcpi_rtt: 7 }).message,
      'x.pkt:20: error in Python code: AssertionError: ca_state: 0 min_rtt: 5 rtt: 7',
    );
    assert.equal(run('x = 1\n\nassert x == 2').message, 'x.pkt:22: error in Python code: AssertionError');
    assert.equal(run('assert tcpi_nope == 1').message, "x.pkt:20: error in Python code: NameError: name 'tcpi_nope' is not defined");
    assert.match(run('assert 1 ==').message ?? '', /^x\.pkt:20: error in Python code: SyntaxError: /);
    assert.match(run('1 // 0').message ?? '', /ZeroDivisionError/);
  });
  it('chained comparisons stop at the first false link', () => {
    assert.equal(run('assert not (1 < 0 < undefined_name)').ok, true);
    assert.equal(run('assert 1 < 2 <= 2 != 3 > 0').ok, true);
  });
  it('shares globals between blocks and supports print, += and if', () => {
    const s = new CodeSession();
    assert.equal(run('cwnd = 10; print(tcpi_snd_cwnd)', { tcpi_snd_cwnd: 10 }, s).ok, true);
    const r = run('cwnd += 2\nif tcpi_snd_cwnd == cwnd:\n    print("eq", cwnd)\nelif cwnd > 100:\n    pass\nelse:\n    print("ne")\nassert tcpi_snd_cwnd == cwnd, tcpi_snd_cwnd', { tcpi_snd_cwnd: 12 }, s);
    assert.equal(r.ok, true);
    assert.deepEqual(r.output, ['10', 'eq 12']);
  });
  it('arithmetic, tuples, lists, in, f-strings, % formatting, exact 64-bit integers', () => {
    const s = new CodeSession();
    const ok = (code: string, info: Record<string, number | bigint> = {}): void => {
      const r = run(code, info, s);
      assert.equal(r.ok, true, `${code}: ${r.message}`);
    };
    ok('assert 7 // 2 == 3 and -7 // 2 == -4 and -7 % 3 == 2 and 2 ** 10 == 1024 and 7 / 2 == 3.5');
    ok('a, b = (1, 2); assert (a, b) == (1, 2) and [a, b] == [1, 2] and 2 in (1, 2) and 3 not in [1, 2]');
    ok("assert f'{tcpi_rtt} us {tcpi_rtt:06d}' == '1000 us 001000'", { tcpi_rtt: 1000 });
    ok("assert '%s|%5d|%-3d|%x|%%' % ('a', 42, 7, 255) == 'a|   42|7  |ff|%'");
    ok('assert tcpi_bytes_acked == 18446744073709551615 and tcpi_bytes_acked & 1 == 1', { tcpi_bytes_acked: 18446744073709551615n });
    ok('TCP_INFINITE_SSTHRESH = 0x7fffffff\nassert tcpi_snd_ssthresh == TCP_INFINITE_SSTHRESH', { tcpi_snd_ssthresh: 0x7fffffff });
    ok('assert max(1, 5, 3) == 5 and min([4, 2]) == 2 and abs(-3) == 3 and len((1, 2)) == 2 and str(1) + "x" == "1x"');
    ok('assert (1 if False else 2) == 2 and not None and True == 1');
  });
});

describe('tcp_info field table', () => {
  it('lists every field once, in Linux order', () => {
    assert.equal(TCP_INFO_FIELDS[0]!.name, 'tcpi_state');
    assert.equal(TCP_INFO_FIELDS.at(-1)!.name, 'tcpi_options2');
    assert.equal(TCP_INFO_NAMES.size, TCP_INFO_FIELDS.length);
    for (const n of ['tcpi_snd_cwnd', 'tcpi_delivered_ce', 'tcpi_total_rto_time', 'tcpi_received_ce_bytes', 'tcpi_accecn_fail_mode']) {
      assert.ok(TCP_INFO_NAMES.has(n), n);
    }
    // 64-bit counters.
    assert.equal(TCP_INFO_FIELDS.filter((f) => f.ctype === '__u64').length, 10);
  });
});

function pktFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) pktFiles(p, out);
    else if (p.endsWith('.pkt')) out.push(p);
  }
  return out;
}

const ZERO = {
  tcpInfo: Object.fromEntries(TCP_INFO_FIELDS.map((f) => [f.name, 0])),
  meminfo: Object.fromEntries(SK_MEMINFO_NAMES.map((n) => [n, 0])),
};

describe('corpus code blocks', () => {
  it('every %{ }% block in the corpus and reference parses and evaluates', (t) => {
    const roots = [sharedPath('packetdrill', 'corpus', 'google'), sharedPath('packetdrill', 'reference')];
    const missing = roots.filter((r) => !existsSync(r));
    if (missing.length > 0) {
      t.skip(`corpus folders missing: ${missing.join(', ')} (set WIRESTACK_SHARED)`);
      return;
    }
    const defines = variantConfig('ipv4').defines;
    const failures: string[] = [];
    let blocks = 0;
    for (const root of roots) {
      for (const file of pktFiles(root)) {
        const res = parseScript(readFileSync(file, 'utf8'), { file, defines });
        if (!res.ok) continue;
        // Blocks share globals per script; against an all-zero snapshot each block either passes or
        // fails an assert (no NameError/TypeError from the evaluator).
        const session = new CodeSession();
        for (const e of res.script.events) {
          if (e.type !== 'code') continue;
          blocks++;
          const c = compileCode(e.code);
          if (!c.ok) {
            failures.push(`${file}:${e.line}: ${c.message}`);
            continue;
          }
          const r = session.run(e.code, ZERO, { file, line: e.line });
          if (!r.ok && !/error in Python code: AssertionError/.test(r.message)) failures.push(r.message);
        }
      }
    }
    process.stdout.write(`corpus code blocks: ${blocks}, failures: ${failures.length}\n${failures.join('\n')}\n`);
    assert.ok(blocks > 250);
    assert.deepEqual(failures, []);
  });
});

describe('code robustness', () => {
  it('compileCode never throws, and running compiled code only raises Python errors', () => {
    const alphabet = fc.constantFrom(...'ab1x0 ()[],:;.=<>!+-*/%&|^~\'"\\#\nf_'.split(''), 'assert ', 'if ', 'else', 'not ', ' in ', 'print', 'tcpi_rtt', '0x', '\n    ');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 30 }).map((a) => a.join('')), (src) => {
        const c = compileCode(src);
        if (!c.ok) return;
        const s = new CodeSession();
        const r = s.run(src, { tcpInfo: { tcpi_rtt: 5 } }, site);
        assert.equal(typeof r.ok, 'boolean');
      }),
      { numRuns: 5000 },
    );
  });
});

describe('code limits', () => {
  it('refuses absurd nesting with a syntax error instead of a stack overflow', () => {
    for (const src of [`x = ${'('.repeat(5000)}1${')'.repeat(5000)}`, `x = ${'-'.repeat(5000)}1`, `x = ${'not '.repeat(5000)}1`, `x = ${'['.repeat(5000)}`]) {
      const c = compileCode(src);
      assert.equal(c.ok, false);
      assert.match(c.ok ? '' : c.message, /SyntaxError/);
    }
  });
});

describe('code resource limits', () => {
  it('reports huge values and deep evaluation as errors', () => {
    assert.match(run("x = 'a' * 10**12").message ?? '', /^x\.pkt:20: error in Python code: MemoryError: /);
    // A 200000-term sum either evaluates or reports the exhausted stack; it never throws.
    const deep = run(`x = ${Array(200000).fill('1').join('+')}`);
    assert.ok(deep.ok || /MemoryError/.test(deep.message ?? ''), deep.message);
  });
});
