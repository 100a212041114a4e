/**
 * The drill runner end to end: the reference scripts of ../shared (read there, never copied), the
 * project's own scripts under tests/packetdrill in all three variants, and scripts that must fail
 * with the right message.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseScript } from '../../../src/drill/parser/index.js';
import { runScript, type RunOutcome } from '../../../src/drill/runner/run.js';
import { type IpVersion, variantConfig } from '../../../src/drill/variants.js';
import { sharedPath } from '../../paths.js';

const VARIANTS: readonly IpVersion[] = ['ipv4', 'ipv4-mapped-ipv6', 'ipv6'];
const REFERENCE = sharedPath('packetdrill', 'reference');

function root(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tests', 'packetdrill'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('checkout not found');
    dir = up;
  }
}

function readOrUndefined(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function run(file: string, text: string, v: IpVersion, cwd = dirname(resolve(file))): RunOutcome {
  const cfg = variantConfig(v);
  const res = parseScript(text, { file, defines: cfg.defines });
  if (!res.ok) throw new Error(res.error.message);
  return runScript(res.script, cfg, { cwd, readFile: readOrUndefined });
}

function runFile(file: string, v: IpVersion): RunOutcome {
  return run(file, readFileSync(file, 'utf8'), v);
}

// Every script of the reference set passes in every variant (listed, so that a new one is noticed).
const REFERENCE_PASSING = [
  'close_unread_data_rst.pkt',
  'keepalive_probes.pkt',
  'linger0_close_established.pkt',
  'linger_nonblocking_timeout.pkt',
  'rst_close_wait_unread.pkt',
  'rst_established_unread.pkt',
  'zero_window_probe.pkt',
];

describe('drill runner: reference scripts', () => {
  const have = existsSync(REFERENCE);
  if (!have) process.stdout.write(`skipping the reference scripts: ${REFERENCE} is missing\n`);
  for (const name of REFERENCE_PASSING) {
    for (const v of VARIANTS) {
      test(`${name} [${v}] passes`, { skip: have ? false : `${REFERENCE} missing` }, () => {
        const r = runFile(join(REFERENCE, name), v);
        assert.equal(r.message, '');
        assert.ok(r.ok);
      });
    }
  }
  test('the list covers the whole reference set', { skip: have ? false : `${REFERENCE} missing` }, () => {
    const all = readdirSync(REFERENCE).filter((f) => f.endsWith('.pkt')).sort();
    assert.deepEqual(all, [...REFERENCE_PASSING].sort());
  });
});

describe('drill runner: the project scripts', () => {
  const dir = join(root(), 'tests', 'packetdrill');
  const files = readdirSync(dir).filter((f) => f.endsWith('.pkt')).sort();
  test('there are some', () => assert.ok(files.length >= 3));
  for (const f of files) {
    for (const v of VARIANTS) {
      test(`${f} [${v}]`, () => {
        const r = runFile(join(dir, f), v);
        assert.equal(r.message, '');
        assert.ok(r.ok);
        assert.ok(r.virtualUs > 0);
      });
    }
  }
});

const HANDSHAKE = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <...>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
`;

describe('drill runner: failures carry the right message', () => {
  for (const v of VARIANTS) {
    test(`passes the handshake [${v}]`, () => {
      const r = run('hs.pkt', HANDSHAKE, v, '/');
      assert.equal(r.message, '');
    });

    test(`wrong errno [${v}]`, () => {
      const r = run('errno.pkt', `${HANDSHAKE}+0 read(4, ..., 10) = -1 EPIPE (Broken pipe)\n`, v, '/');
      assert.equal(r.ok, false);
      // A blocking read with no data and no end time blocks: that is an error of its own.
      assert.match(r.message, /^errno\.pkt:8: error: read\(\) blocked unexpectedly/);
      const r2 = run('errno.pkt', `${HANDSHAKE}+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 read(4, ..., 10) = -1 EPIPE (Broken pipe)\n`, v, '/');
      assert.equal(
        r2.message,
        'errno.pkt:9: error handling system call: Expected errno EPIPE (Broken pipe) but got EAGAIN (Resource temporarily unavailable)',
      );
    });

    test(`wrong result [${v}]`, () => {
      const r = run('res.pkt', `${HANDSHAKE}+0 write(4, ..., 10) = 11\n`, v, '/');
      assert.equal(r.message, 'res.pkt:8: error handling system call: Expected result 11 but got 10');
    });

    test(`packet timeout [${v}]`, () => {
      const r = run('timeout.pkt', `${HANDSHAKE}+0 > P. 1:11(10) ack 1\n`, v, '/');
      assert.equal(r.ok, false);
      assert.equal(r.message, 'timeout.pkt:8: error handling packet: Timed out waiting for packet');
      assert.ok(r.virtualUs >= 2_100_000);
    });

    test(`unexpected packet field [${v}]`, () => {
      const r = run('field.pkt', `${HANDSHAKE}+0 write(4, ..., 10) = 10\n+0 > P. 1:11(10) ack 2\n`, v, '/');
      assert.equal(r.ok, false);
      assert.match(r.message, /^field\.pkt:9: error handling packet: live packet field tcp_ack_seq: expected: 2 \(0x2\) vs actual: 1 \(0x1\)/);
    });

    test(`timing error [${v}]`, () => {
      const r = run('time.pkt', `${HANDSHAKE}+0 write(4, ..., 10) = 10\n+.5 > P. 1:11(10) ack 1\n`, v, '/');
      assert.equal(r.ok, false);
      assert.match(r.message, /^time\.pkt:9: error handling packet: timing error: expected outbound packet at 0\.600000 sec/);
    });

    test(`blocking call returning at the wrong time [${v}]`, () => {
      const ok = `${HANDSHAKE}+0...0.2 read(4, ..., 10) = 10\n+.2 < P. 1:11(10) ack 1 win 257\n`;
      assert.equal(run('blk.pkt', ok, v, '/').message, '');
      const late = `${HANDSHAKE}+0...0.1 read(4, ..., 10) = 10\n+.2 < P. 1:11(10) ack 1 win 257\n`;
      assert.match(run('blk.pkt', late, v, '/').message, /^blk\.pkt:8: error: timing error: expected system call return at 0\.200000 sec but happened at 0\.300000 sec/);
    });

    test(`python assertion and unknown fd [${v}]`, () => {
      const r = run('py.pkt', `${HANDSHAKE}+0 %{ assert tcpi_state == TCP_CLOSE, tcpi_state }%\n`, v, '/');
      assert.match(r.message, /^py\.pkt:8: error in Python code: AssertionError/);
      const r2 = run('fd.pkt', `${HANDSHAKE}+0 close(7) = 0\n`, v, '/');
      assert.equal(r2.message, 'fd.pkt:8: error: unknown fd 7');
    });
  }
});

describe('drill runner: shell commands over the stack namespace', () => {
  test('nstat shows the TCP counters under their Linux names', () => {
    const script = `${HANDSHAKE}+0 \`nstat -a | grep -q TcpPassiveOpens\`\n+0 \`sysctl -q net.ipv4.tcp_sack=0\`\n`;
    const r = run('ns.pkt', script, 'ipv4', '/');
    assert.equal(r.message, '');
    const bad = run('ns.pkt', `${HANDSHAKE}+0 \`nstat -a | grep -q NoSuchCounter\`\n`, 'ipv4', '/');
    assert.match(bad.message, /^ns\.pkt:8: error: executing `nstat -a \| grep -q NoSuchCounter` command: non-zero status 1/);
  });
});
