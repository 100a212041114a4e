import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Event,
  formatEvent,
  type IcmpMessage,
  type Packet,
  type ParseOptions,
  parseScript,
  type Script,
  type SyscallSpec,
  type TcpOption,
  type TcpSegment,
  type UdpDatagram,
} from '../../../src/drill/parser/index.js';

function parse(text: string, opts: ParseOptions = {}): Script {
  const r = parseScript(text, { file: 't.pkt', ...opts });
  if (!r.ok) assert.fail(r.error.message);
  return r.script;
}

/** The single event of `0 <line>` (or of `line` when it has its own time). */
function event(line: string, opts: ParseOptions = {}): Event {
  const s = parse(/^[-+*.0-9]/.test(line) ? line : `0 ${line}`, opts);
  assert.equal(s.events.length, 1);
  return s.events[0]!;
}

function packet(line: string, opts: ParseOptions = {}): Packet {
  const ev = event(line, opts);
  assert.equal(ev.type, 'packet');
  return (ev as Extract<Event, { type: 'packet' }>).packet;
}

function tcp(line: string, opts: ParseOptions = {}): TcpSegment {
  const l4 = packet(line, opts).l4;
  assert.equal(l4.proto, 'tcp');
  return l4 as TcpSegment;
}

function syscall(line: string, opts: ParseOptions = {}): SyscallSpec {
  const ev = event(line, opts);
  assert.equal(ev.type, 'syscall');
  return (ev as Extract<Event, { type: 'syscall' }>).syscall;
}

/** Drops `line`/`col` everywhere, for comparing shapes. */
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

function arg(line: string, i = 0): unknown {
  return shape(syscall(line).args[i]);
}

describe('script structure', () => {
  test('options, init command, events and cleanup command', () => {
    const s = parse(
      '--tolerance_usecs=10000\n--local_ip=192.168.0.1\n--remote_ip=fd::1\n--ip_version=ipv6\n--strict_segments\n' +
        '--define=PROTO=IPPROTO_TCP\n--define=CC="reno"\n`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, PROTO) = 3\n`cleanup`\n',
    );
    assert.deepEqual(
      s.options.map((o) => [o.name, o.value]),
      [
        ['tolerance_usecs', '10000'],
        ['local_ip', '192.168.0.1'],
        ['remote_ip', 'fd::1'],
        ['ip_version', 'ipv6'],
        ['strict_segments', undefined],
        ['define', 'PROTO=IPPROTO_TCP'],
        ['define', 'CC="reno"'],
      ],
    );
    assert.equal(s.initCommand?.command, '../common/defaults.sh');
    assert.equal(s.cleanupCommand?.command, 'cleanup');
    assert.deepEqual(arg('0 socket(..., SOCK_STREAM, PROTO) = 3', 2), { kind: 'word', name: 'PROTO' });
    // The script's define applied to the event.
    const ev = s.events[0] as Extract<Event, { type: 'syscall' }>;
    assert.deepEqual(shape(ev.syscall.args[2]), { kind: 'word', name: 'IPPROTO_TCP' });
    assert.equal(s.defines.get('CC'), '"reno"');
  });

  test("the caller's defines win over the script's", () => {
    const s = parse('--define=P=IPPROTO_TCP\n0 socket(..., SOCK_STREAM, P) = 3', {
      defines: { P: 'IPPROTO_UDP' },
    });
    const ev = s.events[0] as Extract<Event, { type: 'syscall' }>;
    assert.deepEqual(shape(ev.syscall.args[2]), { kind: 'word', name: 'IPPROTO_UDP' });
  });

  test('events carry the line and column of their time', () => {
    const s = parse('// c\n0 close(3) = 0\n\n   +.1 < . 1:1(0) win 1');
    assert.deepEqual(
      s.events.map((e) => [e.line, e.col]),
      [
        [2, 1],
        [4, 4],
      ],
    );
    const p = (s.events[1] as Extract<Event, { type: 'packet' }>).packet;
    assert.deepEqual([p.line, p.col, p.l4.line, p.l4.col], [4, 8, 4, 10]);
  });

  test('statements may span lines', () => {
    const sc = syscall('0 setsockopt(3,\n  SOL_SOCKET,\n  SO_LINGER, {onoff=1,\n linger=0}, 8) = 0');
    assert.equal(sc.args.length, 5);
  });
});

describe('event times', () => {
  const t = (line: string) => shape(event(line).time);
  test('absolute and relative, integer and float', () => {
    assert.deepEqual(t('0 close(3) = 0'), { kind: 'absolute', start: { text: '0', usecs: 0 } });
    assert.deepEqual(t('1.5 close(3) = 0'), { kind: 'absolute', start: { text: '1.5', usecs: 1_500_000 } });
    assert.deepEqual(t('+.040 close(3) = 0'), { kind: 'relative', start: { text: '.040', usecs: 40_000 } });
    assert.deepEqual(t('+2 close(3) = 0'), { kind: 'relative', start: { text: '2', usecs: 2_000_000 } });
  });
  test('float seconds are truncated to microseconds like the reference', () => {
    // 1.1 * 1e6 = 1100000.0000000002 and 4.35 * 1e6 = 4349999.999999999 in binary floating point.
    assert.equal((event('1.1 close(3) = 0').time as { start: { usecs: number } }).start.usecs, 1_100_000);
    assert.equal(
      (event('+4.35 close(3) = 0').time as { start: { usecs: number } }).start.usecs,
      Math.trunc(4.35 * 1e6),
    );
  });
  test('any time and ranges on outbound packets', () => {
    assert.deepEqual(t('* > F. 1:1(0) ack 12'), { kind: 'any' });
    assert.deepEqual(t('0.1~0.2 > . 1:1(0)'), {
      kind: 'absoluteRange',
      start: { text: '0.1', usecs: 100_000 },
      end: { text: '0.2', usecs: 200_000 },
    });
    assert.deepEqual(t('+.02 ~ +1.1 > . 1:1(0)'), {
      kind: 'relativeRange',
      start: { text: '.02', usecs: 20_000 },
      end: { text: '1.1', usecs: 1_100_000 },
    });
  });
  test('blocking system calls: start...end', () => {
    const sc = syscall('+.1...0.200 connect(3, ..., ...) = 0');
    assert.deepEqual(shape(sc.end), { text: '0.200', usecs: 200_000 });
    assert.equal(syscall('+0...0 connect(4, ..., ...) = 0').end?.usecs, 0);
    assert.equal(syscall('0 close(3) = 0').end, undefined);
  });
});

describe('TCP packets', () => {
  test('a full inbound segment', () => {
    const s = tcp('+.1 < P. 1:1001(1000) ack 1 win 257 urg 3 <nop,nop,TS val 200 ecr 100>');
    assert.equal(s.flags.text, 'P.');
    assert.ok(s.flags.psh && s.flags.ack && !s.flags.syn);
    assert.deepEqual(shape(s.seq), { start: 1, end: 1001, len: 1000 });
    assert.deepEqual([s.ack, s.win, s.urg], [1, 257, 3]);
    assert.equal(s.options.length, 3);
    assert.equal(s.optionsAny, false);
  });
  test('omitted ack, win and urg', () => {
    const s = tcp('> S. 0:0(0)');
    assert.deepEqual([s.ack, s.win, s.urg, s.options.length], [undefined, undefined, undefined, 0]);
  });
  test('directions', () => {
    assert.equal(packet('< S 0:0(0) win 1').direction, 'inbound');
    assert.equal(packet('> S 0:0(0)').direction, 'outbound');
  });
  test('flag letters', () => {
    const f = (x: string) => tcp(`> ${x} 0:0(0)`).flags;
    assert.deepEqual(
      (({ text, ...rest }) => [
        text,
        Object.entries(rest)
          .filter(([, v]) => v === true)
          .map(([k]) => k),
      ])(f('SEWA.')),
      ['SEWA.', ['syn', 'ack', 'ece', 'cwr', 'ae']],
    );
    assert.ok(f('FP.').fin && f('FP.').psh);
    assert.ok(f('R').rst && !f('R').ack);
    assert.ok(f('U.').urg);
    const none = f('-');
    assert.equal(none.text, '-');
    assert.ok(!none.ack && !none.syn && !none.fin);
  });
  test('ACE shorthand: P.5, .6, F5.', () => {
    const a = tcp('> P.5 1:1(0)').flags;
    assert.deepEqual(
      [a.text, a.ace, a.ae, a.cwr, a.ece, a.psh, a.ack],
      ['P.5', 5, true, false, true, true, true],
    );
    const b = tcp('> .6 1:1(0)').flags;
    assert.deepEqual([b.text, b.ace, b.ae, b.cwr, b.ece], ['.6', 6, true, true, false]);
    const c = tcp('> F5. 1:1(0)').flags;
    assert.deepEqual([c.text, c.ace, c.fin, c.ack], ['F5.', 5, true, true]);
  });
  test('explicit ports and PSP encapsulation', () => {
    const s = tcp('< encap psp spi 7 1234>80 . 501:501(0) ack 1001 win 50000');
    assert.deepEqual(shape(s.psp), { spi: 7 });
    assert.deepEqual(shape(s.ports), { src: 1234, dst: 80 });
  });
});

describe('TCP options', () => {
  const opts = (list: string): unknown[] => tcp(`> S 0:0(0) <${list}>`).options.map(shape);
  test('each option kind', () => {
    assert.deepEqual(opts('mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7'), [
      { kind: 'mss', mss: 1460 },
      { kind: 'sackOK' },
      { kind: 'ts', val: 100, ecr: 0 },
      { kind: 'nop' },
      { kind: 'wscale', shift: 7 },
    ]);
    assert.deepEqual(opts('nop,nop,sack 1:1001 2001:3001 4001:5001'), [
      { kind: 'nop' },
      { kind: 'nop' },
      {
        kind: 'sack',
        blocks: [
          { left: 1, right: 1001 },
          { left: 2001, right: 3001 },
          { left: 4001, right: 5001 },
        ],
      },
    ]);
    assert.deepEqual(opts('md5 000102030405060708090a0b0c0d0e0f,nop,nop'), [
      { kind: 'md5', hex: '000102030405060708090a0b0c0d0e0f' },
      { kind: 'nop' },
      { kind: 'nop' },
    ]);
    assert.deepEqual(opts('FO abcd1234,nop,nop'), [
      { kind: 'fastOpen', cookie: 'abcd1234' },
      { kind: 'nop' },
      { kind: 'nop' },
    ]);
    assert.deepEqual(opts('FO,nop,nop'), [
      { kind: 'fastOpen', cookie: '' },
      { kind: 'nop' },
      { kind: 'nop' },
    ]);
    assert.deepEqual(opts('FO 12345678,nop,nop')[0], { kind: 'fastOpen', cookie: '12345678' });
    assert.deepEqual(opts('FOEXP 0123456789abcdef'), [{ kind: 'fastOpenExp', cookie: '0123456789abcdef' }]);
    assert.deepEqual(opts('FOEXP,nop,nop,nop,nop'), [
      { kind: 'fastOpenExp', cookie: '' },
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'nop' },
      { kind: 'nop' },
    ]);
    assert.deepEqual(opts('eol,eol,eol,eol'), [
      { kind: 'eol' },
      { kind: 'eol' },
      { kind: 'eol' },
      { kind: 'eol' },
    ]);
    assert.deepEqual(opts('wscale *,nop'), [{ kind: 'wscale' }, { kind: 'nop' }]);
    assert.deepEqual(opts('ECN e0b 1 ceb 2 e1b 3,nop'), [
      {
        kind: 'accEcn',
        order: 0,
        fields: [
          { name: 'e0b', value: 1 },
          { name: 'ceb', value: 2 },
          { name: 'e1b', value: 3 },
        ],
      },
      { kind: 'nop' },
    ]);
    assert.deepEqual(opts('ECN e1b 5,nop,nop,nop').slice(0, 2), [
      { kind: 'accEcn', order: 1, fields: [{ name: 'e1b', value: 5 }] },
      { kind: 'nop' },
    ]);
  });
  test('<...> skips the option check (outbound)', () => {
    const s = tcp('> S. 0:0(0) ack 1 <...>');
    assert.equal(s.optionsAny, true);
    assert.equal(s.options.length, 0);
  });
  test('a TFO cookie from a define', () => {
    const o = tcp('< S 0:10(10) win 32792 <mss 1460,sackOK,nop,nop,FO TFO_COOKIE,nop,nop>', {
      defines: { TFO_COOKIE: '3021b9d889017eeb' },
    }).options[4] as TcpOption;
    assert.deepEqual(shape(o), { kind: 'fastOpen', cookie: '3021b9d889017eeb' });
  });
});

describe('IP annotations and encapsulations', () => {
  const ip = (line: string) => shape(packet(line).ip);
  test('ECN, tos, flowlabel and ttl', () => {
    assert.deepEqual(ip('< [noecn] E. 1:1(0) ack 1 win 320'), {
      open: '[',
      tos: { kind: 'ecn', ecn: 'noecn' },
    });
    assert.deepEqual(ip('> [ect0] . 1:1(0)'), { open: '[', tos: { kind: 'ecn', ecn: 'ect0' } });
    assert.deepEqual(ip('< (ect1) . 1:1(0) win 1'), { open: '(', tos: { kind: 'ecn', ecn: 'ect1' } });
    assert.deepEqual(ip('< [ce] . 1:1(0) win 1'), { open: '[', tos: { kind: 'ecn', ecn: 'ce' } });
    assert.deepEqual(ip('> [ect01] . 1:1(0)'), { open: '[', tos: { kind: 'ecn', ecn: 'ect01' } });
    assert.deepEqual(ip('< (tos 0x10) . 1:1(0) win 1'), { open: '(', tos: { kind: 'tos', value: 16 } });
    assert.deepEqual(ip('< [flowlabel 0x12345] . 1:1(0) win 1'), { open: '[', flowLabel: 0x12345 });
    assert.deepEqual(ip('< [ect0, flowlabel 0x1] . 1:1(0) win 1'), {
      open: '[',
      tos: { kind: 'ecn', ecn: 'ect0' },
      flowLabel: 1,
    });
    assert.deepEqual(ip('< (ttl 64) . 1:1(0) win 1'), { open: '(', ttl: 64 });
  });
  test('outer IPv4 / IPv6 headers', () => {
    const p = packet('< ipv4 192.0.2.1 > 192.168.0.1: ipv6 (tos 0x4) 2001:db8::1 > fd3d::1: . 1:1(0) win 1');
    assert.deepEqual(shape(p.encaps), [
      { kind: 'ipv4', src: '192.0.2.1', dst: '192.168.0.1' },
      { kind: 'ipv6', ip: { open: '(', tos: { kind: 'tos', value: 4 } }, src: '2001:db8::1', dst: 'fd3d::1' },
    ]);
  });
  test('GRE', () => {
    assert.deepEqual(shape(packet('< gre: . 1:1(0) win 1').encaps), [{ kind: 'gre' }]);
    const p = packet(
      '< GREv0, flags [checksum present, key present, sequence# present], sum 0, off 0, key=7, seq 9: . 1:1(0) win 1',
    );
    assert.deepEqual(shape(p.encaps[0]), {
      kind: 'gre',
      header: { flags: 0xb000, flagNames: ['checksum', 'key', 'sequence'], sum: 0, off: 0, key: 7, seq: 9 },
    });
    const q = packet('< gre flags 0x2000 sum 1 off 2 key 3 seq 4: . 1:1(0) win 1');
    assert.deepEqual(shape(q.encaps[0]), {
      kind: 'gre',
      header: { flags: 0x2000, sum: 1, off: 2, key: 3, seq: 4 },
    });
  });
  test('MPLS', () => {
    const p = packet('< mpls (label 123, tc 1, ttl 255) (label 4, tc 0, [S], ttl 64): . 1:1(0) win 1');
    assert.deepEqual(shape(p.encaps[0]), {
      kind: 'mpls',
      entries: [
        { label: 123, tc: 1, bottom: false, ttl: 255 },
        { label: 4, tc: 0, bottom: true, ttl: 64 },
      ],
    });
  });
});

describe('UDP and ICMP packets', () => {
  test('UDP', () => {
    assert.deepEqual(shape(packet('< udp (100)').l4), { proto: 'udp', len: 100 });
    const u = packet('> (tos 0x20) udp 5000>6000 (8)');
    assert.deepEqual(shape(u.l4 as UdpDatagram), { proto: 'udp', ports: { src: 5000, dst: 6000 }, len: 8 });
    assert.deepEqual(shape(u.ip), { open: '(', tos: { kind: 'tos', value: 0x20 } });
  });
  test('ICMP types, codes, mtu, id and echoed packets', () => {
    const i = (line: string) => shape(packet(line).l4 as IcmpMessage);
    assert.deepEqual(i('< icmp unreachable [5000:6000(1000)]'), {
      proto: 'icmp',
      type: 'unreachable',
      echoed: { proto: 'tcp', seq: { start: 5000, end: 6000, len: 1000 } },
    });
    assert.deepEqual(i('< icmp unreachable frag_needed mtu 800'), {
      proto: 'icmp',
      type: 'unreachable',
      code: 'frag_needed',
      mtu: 800,
    });
    assert.deepEqual(i('< icmp packet_too_big mtu 1400 [0:1440(1440)]'), {
      proto: 'icmp',
      type: 'packet_too_big',
      mtu: 1400,
      echoed: { proto: 'tcp', seq: { start: 0, end: 1440, len: 1440 } },
    });
    assert.deepEqual(i('> icmp echo_reply id 7'), { proto: 'icmp', type: 'echo_reply', id: 7 });
    assert.deepEqual(i('< icmp unreachable port_unreachable [udp(10)]'), {
      proto: 'icmp',
      type: 'unreachable',
      code: 'port_unreachable',
      echoed: { proto: 'udp', len: 10 },
    });
    assert.deepEqual(i('< icmp time_exceeded [raw(20)]'), {
      proto: 'icmp',
      type: 'time_exceeded',
      echoed: { proto: 'raw', len: 20 },
    });
  });
  test('an ICMP code from a define', () => {
    const l4 = packet('< icmp unreachable CODE', { defines: { CODE: 'host_unreachable' } }).l4 as IcmpMessage;
    assert.equal(l4.code, 'host_unreachable');
  });
});

describe('system calls', () => {
  test('result, errno and notes', () => {
    const a = syscall('0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)');
    assert.equal(a.name, 'connect');
    assert.deepEqual(shape(a.result), { kind: 'int', value: -1, hex: false, text: '-1' });
    assert.deepEqual(shape(a.errno), { name: 'EINPROGRESS', note: 'Operation now in progress' });
    assert.deepEqual([a.errno?.line, a.errno?.col], [1, 29]);
    assert.equal(a.note, undefined);
    const b = syscall('0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)');
    assert.deepEqual(shape(b.result), { kind: 'int', value: 2, hex: true, text: '0x2' });
    assert.equal(b.errno, undefined);
    assert.equal(b.note, 'flags O_RDWR');
    const c = syscall('0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, "", 3) = -1 (Invalid Argument)');
    assert.equal(c.note, 'Invalid Argument');
    assert.equal(syscall('0 getpid() = 0').args.length, 0);
  });
  test('integers, symbols, ellipsis, NULL', () => {
    const sc = syscall('0 read(4, NULL, 0x10) = ...');
    assert.deepEqual(sc.args.map(shape), [
      { kind: 'int', value: 4, hex: false, text: '4' },
      { kind: 'word', name: 'NULL' },
      { kind: 'int', value: 16, hex: true, text: '0x10' },
    ]);
    assert.deepEqual(shape(sc.result), { kind: 'ellipsis' });
  });
  test('| and & and unary minus', () => {
    assert.deepEqual(arg('0 socket(..., SOCK_STREAM|SOCK_NONBLOCK, 0) = 3', 1), {
      kind: 'binary',
      op: '|',
      lhs: { kind: 'word', name: 'SOCK_STREAM' },
      rhs: { kind: 'word', name: 'SOCK_NONBLOCK' },
    });
    // & binds tighter than |; both are left-associative.
    assert.deepEqual(arg('0 f(A|B&C|D) = 0'), {
      kind: 'binary',
      op: '|',
      lhs: {
        kind: 'binary',
        op: '|',
        lhs: { kind: 'word', name: 'A' },
        rhs: { kind: 'binary', op: '&', lhs: { kind: 'word', name: 'B' }, rhs: { kind: 'word', name: 'C' } },
      },
      rhs: { kind: 'word', name: 'D' },
    });
    assert.deepEqual(arg('0 f(-EINVAL) = 0'), {
      kind: 'unary',
      op: '-',
      operand: { kind: 'word', name: 'EINVAL' },
    });
    assert.deepEqual(arg('0 f(- 5) = 0'), { kind: 'int', value: -5, hex: false, text: '-5' });
    assert.deepEqual(arg('0 f((A|B)&C) = 0'), {
      kind: 'binary',
      op: '&',
      lhs: { kind: 'binary', op: '|', lhs: { kind: 'word', name: 'A' }, rhs: { kind: 'word', name: 'B' } },
      rhs: { kind: 'word', name: 'C' },
    });
  });
  test('htons, htonl, inet_addr, inet6_addr', () => {
    assert.deepEqual(arg('0 f(htons(8080)) = 0'), {
      kind: 'call',
      fn: 'htons',
      arg: { kind: 'int', value: 8080, hex: false, text: '8080' },
    });
    assert.deepEqual(arg('0 f(htonl(1)) = 0'), {
      kind: 'call',
      fn: 'htonl',
      arg: { kind: 'int', value: 1, hex: false, text: '1' },
    });
    assert.deepEqual(arg('0 f(inet_addr("1.2.3.4")) = 0'), { kind: 'inetAddr', family: 4, addr: '1.2.3.4' });
    assert.deepEqual(arg('0 setsockopt(3, SOL_IPV6, X, inet6_addr("::1"), 16) = 0', 3), {
      kind: 'inetAddr',
      family: 6,
      addr: '::1',
    });
  });
  test('strings: escapes kept, adjacent ones joined, "..."...', () => {
    assert.deepEqual(arg('0 f("a\\x41" "b") = 0'), { kind: 'string', value: 'a\\x41b', ellipsis: false });
    assert.deepEqual(arg('0 f("abc"...) = 0'), { kind: 'string', value: 'abc', ellipsis: true });
    assert.deepEqual(arg('0 f(S) = 0', 0), { kind: 'word', name: 'S' });
    assert.deepEqual(shape(syscall('0 f(S) = 0', { defines: { S: '"x y"' } }).args[0]), {
      kind: 'string',
      value: 'x y',
      ellipsis: false,
    });
  });
  test('arrays', () => {
    assert.deepEqual(arg('0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0', 3), {
      kind: 'list',
      items: [{ kind: 'int', value: 1, hex: false, text: '1' }],
    });
    assert.deepEqual(arg('0 pipe([]) = 0'), { kind: 'list', items: [] });
    assert.deepEqual(arg('0 pipe([5, 6]) = 0'), {
      kind: 'list',
      items: [
        { kind: 'int', value: 5, hex: false, text: '5' },
        { kind: 'int', value: 6, hex: false, text: '6' },
      ],
    });
  });
  test('pollfd, epoll_event, linger', () => {
    assert.deepEqual(arg('0 poll([{fd=4, events=POLLIN, revents=POLLOUT}], 1, 0) = 1'), {
      kind: 'list',
      items: [
        {
          kind: 'pollfd',
          fd: { kind: 'int', value: 4, hex: false, text: '4' },
          events: { kind: 'word', name: 'POLLIN' },
          revents: { kind: 'word', name: 'POLLOUT' },
        },
      ],
    });
    assert.deepEqual(arg('0 poll([{fd=4, events=POLLIN}], 1, 0) = 0'), {
      kind: 'list',
      items: [
        {
          kind: 'pollfd',
          fd: { kind: 'int', value: 4, hex: false, text: '4' },
          events: { kind: 'word', name: 'POLLIN' },
        },
      ],
    });
    for (const m of ['fd', 'ptr', 'u32', 'u64']) {
      assert.deepEqual(arg(`0 epoll_ctl(5, EPOLL_CTL_ADD, 4, {events=EPOLLIN|EPOLLET, ${m}=4}) = 0`, 3), {
        kind: 'epollEvent',
        events: {
          kind: 'binary',
          op: '|',
          lhs: { kind: 'word', name: 'EPOLLIN' },
          rhs: { kind: 'word', name: 'EPOLLET' },
        },
        member: m,
        data: { kind: 'int', value: 4, hex: false, text: '4' },
      });
    }
    assert.deepEqual(arg('0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0', 3), {
      kind: 'linger',
      onoff: 1,
      linger: 0,
    });
  });
  test('sockaddr, iovec, msghdr with cmsg, scm_timestamping, sock_extended_err', () => {
    assert.deepEqual(
      arg('0 f({sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}) = 0'),
      {
        kind: 'sockaddr',
        family: 'AF_INET',
        port: 8080,
        addr: '192.0.2.1',
      },
    );
    assert.deepEqual(arg('0 writev(4, [{..., 10}, {..., 20}], 2) = 30', 1), {
      kind: 'list',
      items: [
        { kind: 'iovec', len: 10 },
        { kind: 'iovec', len: 20 },
      ],
    });
    const m = arg(
      '0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE,\n' +
        ' msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, cmsg_data={scm_sec=0,scm_nsec=0}},\n' +
        ' {cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR, cmsg_data={ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING,' +
        ' ee_type=0, ee_code=0, ee_info=SCM_TSTAMP_SND, ee_data=0}}]}, MSG_ERRQUEUE) = 0',
      1,
    ) as { kind: string; iovLen: number; control: { items: { kind: string; data: { kind: string } }[] } };
    assert.equal(m.kind, 'msghdr');
    assert.equal(m.iovLen, 1);
    assert.deepEqual(
      m.control.items.map((c) => [c.kind, c.data.kind]),
      [
        ['cmsg', 'scmTimestamping'],
        ['cmsg', 'sockExtendedErr'],
      ],
    );
    assert.deepEqual(arg('0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 1}], msg_flags=0}, 0) = 1', 1), {
      kind: 'msghdr',
      iovLen: 1,
      iov: { kind: 'list', items: [{ kind: 'iovec', len: 1 }] },
      flags: { kind: 'int', value: 0, hex: false, text: '0' },
    });
  });
  test('brace lists, named fields, MPLS and GRE structs', () => {
    assert.deepEqual(arg('0 f({...}) = 0'), { kind: 'braceList', items: [{ kind: 'ellipsis' }] });
    assert.deepEqual(arg('0 f({A=1, B}) = 0'), {
      kind: 'braceList',
      items: [
        { kind: 'assign', name: 'A', value: { kind: 'int', value: 1, hex: false, text: '1' } },
        { kind: 'word', name: 'B' },
      ],
    });
    assert.deepEqual(arg('0 f({}) = 0'), { kind: 'mplsStack', entries: [] });
    assert.deepEqual(arg('0 f({(label 1, tc 2, [S], ttl 3)}) = 0'), {
      kind: 'mplsStack',
      entries: [{ label: 1, tc: 2, bottom: true, ttl: 3 }],
    });
    assert.deepEqual(arg('0 f({flags [none] sum 0 off 0 key 1 seq 2}) = 0'), {
      kind: 'greHeader',
      header: { flags: 0, flagNames: ['none'], sum: 0, off: 0, key: 1, seq: 2 },
    });
  });
});

describe('defines', () => {
  test('an integer define works as a syscall result', () => {
    assert.deepEqual(shape(syscall('0 close(3) = R', { defines: { R: '-1' } }).result), {
      kind: 'int',
      value: -1,
      hex: false,
      text: '-1',
    });
  });
  test('a define is substituted once, not recursively', () => {
    const s = parse('--define=A=1\n--define=B=A\n0 f(B) = 0');
    const ev = s.events[0] as Extract<Event, { type: 'syscall' }>;
    assert.deepEqual(shape(ev.syscall.args[0]), { kind: 'word', name: 'A' });
  });
  test('defines apply to syscall names, symbols, cookies and ICMP codes, never to keywords', () => {
    const opts = { defines: { CALL: 'close', ack: '5', SYM: 'SOL_TCP' } };
    const sc = syscall('0 CALL(SYM) = 0', opts);
    assert.equal(sc.name, 'close');
    assert.deepEqual(shape(sc.args[0]), { kind: 'word', name: 'SOL_TCP' });
    assert.equal(tcp('> . 1:1(0) ack 7', opts).ack, 7);
  });
});

describe('command and code events', () => {
  test('a timed command keeps its text raw', () => {
    const ev = event('+0 `nstat | grep TcpExtX | grep -q " 1 "`');
    assert.equal(ev.type, 'command');
    assert.equal(
      (ev as Extract<Event, { type: 'command' }>).command.command,
      'nstat | grep TcpExtX | grep -q " 1 "',
    );
  });
  test('a code block keeps its text raw, trimmed of outer spaces', () => {
    const ev = event('+0 %{\nassert tcpi_ca_state == TCP_CA_CWR, tcpi_ca_state\n# comment\n}%');
    assert.equal(ev.type, 'code');
    assert.equal(
      (ev as Extract<Event, { type: 'code' }>).code,
      '\nassert tcpi_ca_state == TCP_CA_CWR, tcpi_ca_state\n# comment\n',
    );
    assert.equal((event('+0 %{ assert a == 1 }%') as Extract<Event, { type: 'code' }>).code, 'assert a == 1');
  });
});

describe('formatEvent', () => {
  const cases = [
    '+.1 < P. 1:1001(1000) ack 1 win 257 <nop,nop,TS val 200 ecr 100>',
    '0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>',
    '* > F. 1:1(0) ack 12',
    '+.3~+.34 > . 0:0(0) ack 1',
    '0.1~0.2 > [ect01] P.5 1:1(0) <...>',
    '+0...0.2 read(4, ..., 100) = 100',
    '+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)',
    '+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)',
    '+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1',
    '+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0',
    '+0 `sysctl -q net.ipv4.tcp_sack=0`',
    '+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%',
    '0 < icmp unreachable frag_needed mtu 800 [0:10(10)]',
    '0 < (tos 0x10) udp 1>2 (5)',
    '0 < mpls (label 1, tc 0, [S], ttl 64): gre flags [key present] sum 0 off 0 key 1 seq 0: . 1:1(0) win 1',
    '0 f(-(A|B), (a=1)|C, - -1) = 0',
  ];
  for (const line of cases) {
    test(line, () => {
      const ev = event(line);
      const printed = formatEvent(ev);
      assert.deepEqual(shape(event(printed)), shape(ev));
    });
  }
  test('prints the script syntax back', () => {
    assert.equal(
      formatEvent(event('+.1    <  P.   1:1001(1000)   ack 1 win 257 < nop , nop , TS val 200 ecr 100 >')),
      '+.1 < P. 1:1001(1000) ack 1 win 257 <nop,nop,TS val 200 ecr 100>',
    );
    assert.equal(formatEvent(event('0 write(4, ..., 10)=10')), '0 write(4, ..., 10) = 10');
  });
});
