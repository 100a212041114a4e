import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ParseOptions, parseScript } from '../../../src/drill/parser/index.js';

/** The checkout's root: the first ancestor holding test/drill/fixtures (works from any build dir). */
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'test', 'drill', 'fixtures'))) return d;
    const up = dirname(d);
    if (up === d) throw new Error('test/drill/fixtures not found above the test file');
    d = up;
  }
}

function failure(text: string, opts: ParseOptions = {}): { line: number; col: number; message: string } {
  const r = parseScript(text, { file: 't.pkt', ...opts });
  if (r.ok) assert.fail(`expected a parse error for:\n${text}`);
  const { line, col, message } = r.error;
  assert.equal(r.error.file, opts.file ?? 't.pkt');
  assert.ok(message.startsWith(`${r.error.file}:${line}:${col}: error: `), message);
  return { line, col, message };
}

function expectError(
  text: string,
  line: number,
  col: number,
  pattern: RegExp,
  opts: ParseOptions = {},
): void {
  const e = failure(text, opts);
  assert.deepEqual([e.line, e.col], [line, col], e.message);
  assert.match(e.message, pattern);
}

describe('errors in fixture files report file:line:col', () => {
  const cases: [string, number, number, RegExp][] = [
    ['bad-seq.pkt', 5, 8, /error: inconsistent TCP sequence numbers and payload size: 0:10\(5\)/],
    ['no-win.pkt', 4, 11, /error: window must be specified for inbound packets/],
    ['unclosed-call.pkt', 2, 21, /error: expected ',' or '\)' in the arguments of write\(\), found '='$/],
    ['bad-padding.pkt', 2, 15, /error: TCP options are not padded correctly: 7 bytes/],
    ['star-syscall.pkt', 2, 1, /error: event time <star> can only be used with outbound packets/],
    [
      'errno-no-note.pkt',
      2,
      30,
      /error: expected '\(' and a note after the errno EINPROGRESS.*, found '\+'$/,
    ],
    ['bad-flag.pkt', 2, 6, /error: invalid TCP flag 'X' in 'SX'/],
    ['trailing.pkt', 2, 23, /error: expected a new event .*, found word 'extra'$/],
  ];
  const root = repoRoot();
  for (const [name, line, col, pattern] of cases) {
    test(name, () => {
      const file = `test/drill/fixtures/${name}`;
      const text = readFileSync(join(root, file), 'utf8');
      const e = failure(text, { file });
      assert.equal(e.message.split(': error: ')[0], `${file}:${line}:${col}`, e.message);
      assert.match(e.message, pattern);
    });
  }
});

describe('syntax errors say what was expected and what was found', () => {
  test('an empty script', () => expectError('', 1, 1, /expected an event: .*, found end of file$/));
  test('a mixed relative range', () => {
    expectError(
      '0 close(3) = 0\n+.1~.2 > . 1:1(0)',
      2,
      5,
      /expected '\+' before the end of a relative time range.*found number \.2$/,
    );
  });
  test('an unterminated string', () =>
    expectError('0 f("abc) = 0', 1, 5, /expected an expression .*, found '"'$/));
  test('a note with a reserved word', () => {
    expectError(
      '0 connect(3, ..., ...) = -1 EHOSTUNREACH (No route to ack)',
      1,
      55,
      /expected '\)' to close the note.*found keyword 'ack'$/,
    );
  });
  test('an undefined MSS symbol (psp scripts need -D MSS=...)', () => {
    expectError(
      '0 > S. 0:0(0) ack 1 <mss MSS,nop,wscale 8>',
      1,
      26,
      /expected an MSS value, found word 'MSS'$/,
    );
  });
  test('a tos that is not hex', () =>
    expectError('0 > (tos 16) . 1:1(0)', 1, 10, /expected a hex TOS value .*found integer 16$/));
  test('text after the cleanup command', () => {
    expectError(
      '0 close(3) = 0\n`a`\n0 close(3) = 0',
      3,
      1,
      /expected the end of the script after the cleanup command/,
    );
  });
  test('a define that produces the wrong token names the define', () => {
    expectError('0 > S 0:0(0) <FO C,nop,nop>', 1, 18, /found command `x` \(from define 'C'\)$/, {
      defines: { C: '`x`' },
    });
  });
  test('nesting too deep', () => {
    expectError(`0 f(${'['.repeat(100)}) = 0`, 1, 69, /nested more than 64 deep/);
  });
  test('an unknown option, unless the caller allows it', () => {
    expectError('--foo=1\n0 close(3) = 0', 1, 1, /unknown script option '--foo'/);
    assert.ok(parseScript('--foo=1\n0 close(3) = 0', { extraOptionNames: ['foo'] }).ok);
  });
});

describe('semantic errors of the reference parser', () => {
  const cases: [string, string, number, number, RegExp][] = [
    [
      '<...> inbound',
      '0 < . 1:1(0) win 1 <...>',
      1,
      20,
      /<\.\.\.> for TCP options can only be used with outbound packets/,
    ],
    [
      '[ect01] inbound',
      '0 < [ect01] . 1:1(0) win 1',
      1,
      6,
      /\[ect01\] can only be used with outbound packets/,
    ],
    ['ECN on UDP', '0 < [ect0] udp (10)', 1, 5, /ECN can only be used with TCP packets/],
    ['backwards range', '0.2~0.1 > . 1:1(0)', 1, 1, /time range is backwards/],
    ['negative time', '-1 close(3) = 0', 1, 1, /negative time -1/],
    [
      'range on a syscall',
      '0~1 close(3) = 0',
      1,
      1,
      /event time range can only be used with outbound packets/,
    ],
    ['mss too big', '0 > S 0:0(0) <mss 70000>', 1, 19, /mss value 70000 out of range/],
    ['window too big', '0 > S 0:0(0) win 65536', 1, 18, /TCP window value out of range/],
    ['seq too big', '0 < S 4294967296:4294967296(0) win 1', 1, 7, /TCP start sequence number out of range/],
    ['odd FO cookie', '0 > S 0:0(0) <FO abc,nop>', 1, 18, /TCP fast open cookie has an odd number of digits/],
    [
      'bad FO cookie',
      '0 > S 0:0(0) <FO zz,nop,nop,nop>',
      1,
      18,
      /TCP fast open cookie 'zz' is not a valid hex string/,
    ],
    ['long md5', `0 > S 0:0(0) <md5 ${'00'.repeat(17)}>`, 1, 19, /TCP MD5 digest longer than 16 bytes/],
    [
      'options too long',
      `0 > S 0:0(0) <${Array(11).fill('mss 1').join(',')}>`,
      1,
      14,
      /TCP option list too long: 44 bytes/,
    ],
    ['two ACE digits', '0 > P.56 1:1(0)', 1, 5, /more than one ACE digit/],
    ['ACE digit with E', '0 > E5 1:1(0)', 1, 5, /combine an ACE digit with E, W or A/],
    [
      'flowlabel too big',
      '0 > [flowlabel 0x100000] . 1:1(0)',
      1,
      16,
      /flowlabel 0x100000 out of range for 20 bits/,
    ],
    [
      'MPLS bottom marker',
      '0 < mpls (label 1, tc 0, [X], ttl 1): . 1:1(0) win 1',
      1,
      27,
      /expected \[S\] for MPLS label stack bottom/,
    ],
    [
      'AccECN field too big',
      '0 > S 0:0(0) <ECN e0b 16777216,nop>',
      1,
      23,
      /AccECN e0b value 16777216 out of range for 24 bits/,
    ],
    ['UDP length', '0 < udp (65536)', 1, 10, /UDP payload size out of range/],
  ];
  for (const [name, text, line, col, pattern] of cases) {
    test(name, () => expectError(text, line, col, pattern));
  }
});
