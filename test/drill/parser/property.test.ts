/**
 * Property tests: random and mutated script text never escapes `parseScript` as an exception
 * (nor as an internal error), errors always carry a position inside the text, generated valid
 * lines print back to the same tree, and pathological inputs stay fast (times are printed).
 */

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { type Event, formatEvent, type ParseResult, parseScript } from '../../../src/drill/parser/index.js';

/** Checks the error contract and returns the result. */
function check(text: string, defines: Record<string, string> = {}): ParseResult {
  const r = parseScript(text, { file: 'f.pkt', defines });
  if (!r.ok) {
    const { line, col, message } = r.error;
    assert.ok(!message.includes('internal parser error'), message);
    assert.ok(message.startsWith(`f.pkt:${line}:${col}: error: `), message);
    const lines = text.split('\n');
    assert.ok(line >= 1 && line <= lines.length, `line ${line} of ${lines.length}: ${message}`);
    assert.ok(col >= 1 && col <= lines[line - 1]!.length + 1, `col ${col}: ${message}`);
  }
  return r;
}

const FRAGMENTS = [
  '0',
  '+0',
  '+.1',
  '.5',
  '1.',
  '-1',
  '*',
  '~',
  '...',
  '<',
  '>',
  'S',
  'S.',
  'P.',
  'P.5',
  '.',
  '-',
  '1:1(0)',
  '0:0(0)',
  'ack',
  '1',
  'win',
  '257',
  'urg',
  '<mss 1460,nop>',
  '<...>',
  ',',
  ':',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '=',
  '|',
  '&',
  'socket',
  'close(3)',
  '= 0',
  '= -1 EAGAIN (x y)',
  'fd=3',
  'events=POLLIN',
  '"str"',
  '"',
  '\\',
  '`cmd`',
  '`',
  '%{ a }%',
  '%{',
  '}%',
  '/*',
  '*/',
  '//',
  '\n',
  ' ',
  '\t',
  '\r',
  'udp',
  'icmp',
  'unreachable',
  'ipv4',
  'ipv6',
  '1.2.3.4',
  'fd::1',
  '::',
  'gre',
  'mpls',
  'label',
  'tc',
  'ttl',
  'flags',
  'sum',
  'off',
  'key',
  'seq',
  'TS',
  'val',
  'ecr',
  'FO',
  'FOEXP',
  'ECN',
  'e0b',
  'ceb',
  'sack',
  'msg_name',
  'msg_iov',
  'cmsg_level',
  'sa_family',
  'onoff',
  'linger',
  'scm_sec',
  'ee_errno',
  'htons',
  'htonl',
  'inet_addr',
  '--define=X=Y',
  '--tolerance_usecs=1',
  '--',
  'X',
  '0x10',
  '#',
  'é',
  '\u{1F600}',
  '[ect0]',
  '(tos 0x10)',
  'sequence#',
];

// A small valid script, used for mutation when the shared corpus is not there.
const SAMPLE = `--tolerance_usecs=10000
\`../common/defaults.sh\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
   +0 poll([{fd=4, events=POLLIN, revents=0}], 1, 0) = 0
+.3~+.34 > . 0:0(0) ack 1
   +0 %{ assert tcpi_backoff == 1, tcpi_backoff }%
   +0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, 0) = -1 EAGAIN (Try again)
`;

function corpusTexts(): string[] {
  const env = process.env.WIRESTACK_SHARED;
  let shared = env !== undefined && env !== '' ? env : undefined;
  if (shared === undefined) {
    let d = dirname(fileURLToPath(import.meta.url));
    while (dirname(d) !== d && !(existsSync(join(d, 'package.json')) && existsSync(join(d, 'src'))))
      d = dirname(d);
    shared = join(d, '..', 'shared');
  }
  const dir = join(shared, 'packetdrill', 'reference');
  if (!existsSync(dir)) return [SAMPLE];
  return [
    SAMPLE,
    ...readdirSync(dir)
      .filter((f) => f.endsWith('.pkt'))
      .map((f) => readFileSync(join(dir, f), 'utf8')),
  ];
}

describe('parseScript never throws', () => {
  test('random token soup', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }),
        fc.array(fc.constantFrom(' ', '', '\n'), { minLength: 60, maxLength: 60 }),
        fc.constantFrom('"s"', '`c`', '5', '0x1f', 'word', 'nop', ''),
        (parts, seps, x) => {
          check(parts.map((p, i) => p + seps[i]!).join(''), { X: x });
        },
      ),
      { numRuns: 4000 },
    );
  });

  test('random unicode text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        check(s);
      }),
      { numRuns: 3000 },
    );
  });

  test('mutated real scripts', () => {
    const texts = corpusTexts();
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), what: fc.constantFrom(...FRAGMENTS) }),
      fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
      fc.record({
        op: fc.constant('char' as const),
        at: fc.nat(),
        what: fc.string({ minLength: 1, maxLength: 1 }),
      }),
    );
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 6 }), (which, muts) => {
        let s = texts[which % texts.length]!;
        for (const m of muts) {
          const at = m.at % (s.length + 1);
          if (m.op === 'delete') s = s.slice(0, at) + s.slice(at + m.len);
          else if (m.op === 'insert') s = s.slice(0, at) + m.what + s.slice(at);
          else if (m.op === 'dup') s = s.slice(0, at) + s.slice(at, at + m.len) + s.slice(at);
          else s = s.slice(0, at) + m.what + s.slice(at + 1);
        }
        check(s);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('generated valid lines parse and print back', () => {
  /** Drops positions. */
  function shape(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(shape);
    if (v !== null && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v))
        if (k !== 'line' && k !== 'col' && x !== undefined) o[k] = shape(x);
      return o;
    }
    return v;
  }

  function roundTrip(line: string): void {
    const r = check(line);
    if (!r.ok) assert.fail(`${r.error.message}\n${line}`);
    const ev: Event = r.script.events[0]!;
    const printed = formatEvent(ev);
    const again = check(printed);
    if (!again.ok) assert.fail(`${again.error.message}\n${printed}`);
    assert.deepEqual(shape(again.script.events[0]), shape(ev));
  }

  // Option lists whose lengths are multiples of 4.
  const OPTIONS = [
    '',
    ' <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>',
    ' <nop,nop,TS val 4294967295 ecr 1>',
    ' <nop,nop,sack 1:1001 2001:3001>',
    ' <mss 1460,nop,nop,sackOK,nop,wscale 8,FO abcd1234,nop,nop>',
    ' <md5 000102030405060708090a0b0c0d0e0f,nop,nop>',
    ' <ECN e0b 1 ceb 2,nop,nop,nop,nop>',
    ' <eol,eol,eol,eol>',
  ];

  test('TCP, UDP and ICMP packet lines', () => {
    const time = fc.constantFrom('0', '+0', '+.1', '1.25', '+2');
    const flags = fc.constantFrom(
      'S',
      'S.',
      '.',
      'P.',
      'F.',
      'R',
      'R.',
      'SEW',
      'SE.',
      'U.',
      'FP.',
      '-',
      'P.5',
      '.6',
      'F5.',
    );
    const ip = fc.constantFrom(
      '',
      '[ect0] ',
      '(ce) ',
      '(tos 0x10) ',
      '[flowlabel 0x12345] ',
      '[noecn, flowlabel 0x1] ',
      '(ttl 64) ',
    );
    const tcpLine = fc
      .tuple(
        time,
        fc.boolean(),
        ip,
        flags,
        fc.nat({ max: 0xffffffff - 0xffff }),
        fc.nat({ max: 0xffff }),
        fc.option(fc.nat({ max: 0xffffffff })),
      )
      .chain(([t, inbound, ipInfo, f, start, len, ack]) =>
        fc
          .tuple(
            inbound
              ? fc.nat({ max: 0xffff }).map((w) => ` win ${w}`)
              : fc.constantFrom('', ' win 0', ' win 65535'),
            fc.constantFrom(...OPTIONS, ...(inbound ? [] : [' <...>'])),
          )
          .map(
            ([win, opts]) =>
              `${t} ${inbound ? '<' : '>'} ${ipInfo}${f} ${start}:${start + len}(${len})${ack === null ? '' : ` ack ${ack}`}${win}${opts}`,
          ),
      );
    const udpLine = fc
      .tuple(
        time,
        fc.constantFrom('<', '>'),
        fc.constantFrom('', '(tos 0x4) '),
        fc.option(fc.tuple(fc.nat({ max: 0xffff }), fc.nat({ max: 0xffff }))),
        fc.nat({ max: 0xffff }),
      )
      .map(
        ([t, d, i, ports, n]) =>
          `${t} ${d} ${i}udp ${ports === null ? '' : `${ports[0]}>${ports[1]} `}(${n})`,
      );
    const icmpLine = fc
      .tuple(
        time,
        fc.constantFrom('unreachable', 'echo_request', 'packet_too_big', 'type_3'),
        fc.constantFrom('', ' port_unreachable', ' code_4'),
        fc.constantFrom('', ' mtu 1400'),
        fc.constantFrom('', ' id 7'),
        fc.constantFrom('', ' [1:1461(1460)]', ' [udp(10)]', ' [raw(20)]'),
      )
      .map(([t, ty, co, mtu, id, echo]) => `${t} < icmp ${ty}${co}${mtu}${id}${echo}`);
    fc.assert(fc.property(fc.oneof(tcpLine, udpLine, icmpLine), roundTrip), { numRuns: 2000 });
  });

  test('system calls with random argument expressions', () => {
    const { expr } = fc.letrec((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constantFrom(
          '...',
          'NULL',
          'SOCK_STREAM',
          'POLLIN',
          '0x10',
          '-1',
          '42',
          '"abc"',
          '"a\\"b" "c"',
          '"pre"...',
        ),
        tie('expr').map((e) => `[${e}]`),
        fc.array(tie('expr'), { maxLength: 3 }).map((es) => `[${es.join(', ')}]`),
        // `{..., x}` is only an iovec in packetdrill, so a brace list does not start that way.
        fc
          .array(tie('expr'), { minLength: 1, maxLength: 3 })
          .map((es) => `{${(es.length > 1 && es[0] === '...' ? ['X', ...es] : es).join(', ')}}`),
        fc
          .tuple(tie('expr'), fc.constantFrom('|', '&'), tie('expr'))
          .map(([a, op, b]) => `(${a})${op}(${b})`),
        tie('expr').map((e) => `-(${e})`),
        tie('expr').map((e) => `FIELD=${e}`),
        tie('expr').map((e) => `htonl(${e})`),
        fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `{fd=${a}, events=${b}}`),
        fc
          .tuple(tie('expr'), tie('expr'), tie('expr'))
          .map(([a, b, c]) => `{fd=${a}, events=${b}, revents=${c}}`),
        fc
          .tuple(fc.constantFrom('fd', 'ptr', 'u32', 'u64'), tie('expr'))
          .map(([m, e]) => `{events=EPOLLIN, ${m}=${e}}`),
        fc
          .tuple(tie('expr'), tie('expr'))
          .map(([a, b]) => `{cmsg_level=${a}, cmsg_type=${b}, cmsg_data={scm_sec=1, scm_nsec=2}}`),
        fc.nat({ max: 99999 }).map((n) => `{..., ${n}}`),
        fc.constantFrom(
          '{onoff=1, linger=0}',
          '{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3.4")}',
          'inet6_addr("::1")',
          '{}',
          '{(label 1, tc 2, [S], ttl 3)}',
          '{flags [none] sum 0 off 0 key=1 seq 2}',
          '{msg_name(...)=..., msg_iov(1)=[{..., 5}], msg_flags=0, msg_control=[]}',
        ),
      ),
    }));
    const line = fc
      .tuple(
        fc.constantFrom('0 ', '+0 ', '+.1...0.2 ', '0...1 '),
        fc.constantFrom('read', 'setsockopt', 'poll', 'x'),
        fc.array(expr, { maxLength: 4 }),
        expr,
        fc.constantFrom(
          '',
          ' EAGAIN (Resource temporarily unavailable)',
          ' (flags O_RDWR)',
          ' EINVAL (a) (b c)',
        ),
      )
      .map(([t, name, args, result, tail]) => `${t}${name}(${args.join(', ')}) = ${result}${tail}`);
    fc.assert(fc.property(line, roundTrip), { numRuns: 2000 });
  });
});

describe('pathological inputs stay linear (times printed, not asserted)', () => {
  const N = 100_000;
  const cases: [string, string][] = [
    ['unclosed C comments', '/*a'.repeat(N)],
    ['unclosed code blocks', '%{a'.repeat(N)],
    ['stars in a comment', `/*${'*'.repeat(N)}`],
    ['unterminated quotes', '"\\'.repeat(N)],
    ['unterminated back quotes', '`a'.repeat(N)],
    ['colons', ':'.repeat(N)],
    ['hex and colons', 'a:'.repeat(N)],
    ['digits and dots', '1.'.repeat(N)],
    ['one long word', 'w'.repeat(N)],
    ['minus signs', '- '.repeat(N)],
    ['nesting', `0 f(${'['.repeat(N)}`],
    ['a long or-chain', `0 f(${'A|'.repeat(N)}B) = 0`],
    ['many events', '+0 close(3) = 0\n'.repeat(N / 10)],
  ];
  for (const [name, text] of cases) {
    test(name, () => {
      const t0 = performance.now();
      check(text);
      console.log(`${name}: ${text.length} chars in ${(performance.now() - t0).toFixed(1)} ms`);
    });
  }
});
