import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { printFrame, printIp } from '../../../src/core/wire/print.js';
import { extraFrames, type SampleFrame, sampleFrames } from './frames.js';

// Expected lines. Each was compared with `tcpdump -n -S -r` (4.99.3) on the same frames; where this
// printer deviates on purpose (see print.ts) the line shows our form: `vlan …` without -e, IPv4
// options, `(frag …)`, `md5 <hex>`, `tfo cookie`, `ip-proto-47`, ICMPv6 codes 5–8 with a length,
// and no LLC/hex dumps. tshark.test.ts repeats the comparison with the installed tcpdump.
const SAMPLE_LINES: Array<[string, string]> = [
  ['arp-request', 'ARP, Request who-has 192.168.0.1 tell 192.168.0.2, length 28'],
  ['arp-reply', 'ARP, Reply 192.168.0.1 is-at 02:00:00:00:00:0b, length 28'],
  [
    'tcp-syn',
    'IP 192.0.2.1.41000 > 192.168.0.1.5001: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7], length 0',
  ],
  [
    'tcp-syn-ack',
    'IP 192.168.0.1.5001 > 192.0.2.1.41000: Flags [S.], seq 4000000000, ack 1001, win 65160, options [mss 1460,sackOK,TS val 200 ecr 100,nop,wscale 8], length 0',
  ],
  [
    'tcp-data',
    'IP 192.0.2.1.41000 > 192.168.0.1.5001: Flags [P.], seq 1001:1101, ack 4000000001, win 502, options [nop,nop,TS val 101 ecr 200], length 100',
  ],
  [
    'tcp-sack',
    'IP 192.168.0.1.5001 > 192.0.2.1.41000: Flags [.], ack 1101, win 501, options [nop,nop,TS val 201 ecr 101,nop,nop,sack 2 {1201:1301}{1401:1501}], length 0',
  ],
  [
    'tcp-md5',
    'IP 192.0.2.1.41001 > 192.168.0.1.179: Flags [.], ack 9, win 1024, options [nop,nop,md5 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf], length 0',
  ],
  [
    'tcp-fastopen',
    'IP 192.0.2.1.41002 > 192.168.0.1.5001: Flags [S], seq 2000:2010, win 64240, options [mss 1460,nop,nop,sackOK,nop,wscale 7,tfo cookie deadbeef01020304,nop,nop], length 10',
  ],
  [
    'tcp-fastopen-exp',
    'IP 192.0.2.1.41003 > 192.168.0.1.5001: Flags [S], seq 3000, win 64240, options [mss 1460,nop,nop,exp-tfo cookiereq,eol], length 0',
  ],
  [
    'tcp-unknown-option',
    'IP 192.0.2.1.41004 > 192.168.0.1.5001: Flags [.], ack 6, win 1000, options [unknown-99 0xabcd], length 0',
  ],
  ['tcp-rst', 'IP 192.168.0.1.5001 > 192.0.2.1.41000: Flags [R.], seq 4000000001, ack 1101, win 0, length 0'],
  [
    'tcp-fin',
    'IP 192.0.2.1.41000 > 192.168.0.1.5001: Flags [F.], seq 1101, ack 4000000001, win 502, length 0',
  ],
  [
    'tcp6-syn',
    'IP6 2001:db8::1.41010 > 2001:db8::2.443: Flags [SEW], seq 123456789, win 64800, options [mss 1440,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0',
  ],
  ['udp4', 'IP 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 5'],
  ['udp4-vlan', 'vlan 100, p 3, IP 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 5'],
  [
    'udp4-options',
    'IP (options (RA,NOP,RR 192.0.2.254, 0.0.0.0)) 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 5',
  ],
  ['udp4-frag1', 'IP 192.0.2.1.33334 > 192.168.0.1.44444: UDP, length 1492 (frag 48879:1480@0+)'],
  ['udp4-frag2', 'IP 192.0.2.1 > 192.168.0.1: ip-proto-17 (frag 48879:20@1480)'],
  ['udp6', 'IP6 2001:db8::1.33333 > 2001:db8::2.44444: UDP, length 5'],
  ['icmp-echo-request', 'IP 192.0.2.1 > 192.168.0.1: ICMP echo request, id 4660, seq 1, length 64'],
  ['icmp-echo-reply', 'IP 192.168.0.1 > 192.0.2.1: ICMP echo reply, id 4660, seq 1, length 64'],
  [
    'icmp-frag-needed',
    'IP 198.51.100.1 > 192.0.2.1: ICMP 192.168.0.1 unreachable - need to frag (mtu 296), length 448',
  ],
  [
    'icmp-port-unreachable',
    'IP 192.168.0.1 > 192.0.2.1: ICMP 192.168.0.1 udp port 44444 unreachable, length 41',
  ],
  ['icmp-time-exceeded', 'IP 198.51.100.1 > 192.0.2.1: ICMP time exceeded in-transit, length 41'],
  ['ipv6-ext-headers', 'IP6 2001:db8::1 > 2001:db8::2: HBH DSTOPT 33335 > 44444: UDP, length 5'],
  ['ipv6-frag1', 'IP6 2001:db8::1 > 2001:db8::2: frag (0|1232) 33336 > 44444: UDP, length 1492'],
  ['ipv6-frag2', 'IP6 2001:db8::1 > 2001:db8::2: frag (1232|268)'],
  ['icmp6-echo-request', 'IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 17185, seq 7, length 64'],
  ['icmp6-echo-reply', 'IP6 2001:db8::2 > 2001:db8::1: ICMP6, echo reply, id 17185, seq 7, length 64'],
  ['icmp6-packet-too-big', 'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, packet too big, mtu 1280, length 1240'],
  [
    'icmp6-port-unreachable',
    'IP6 2001:db8::2 > 2001:db8::1: ICMP6, destination unreachable, unreachable port, 2001:db8::2 udp port 44444, length 61',
  ],
  [
    'icmp6-time-exceeded',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, time exceeded in-transit for 2001:db8::2, length 61',
  ],
  ['ndp-ns', 'IP6 fe80::a > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has 2001:db8::2, length 32'],
  ['ndp-na', 'IP6 2001:db8::2 > fe80::a: ICMP6, neighbor advertisement, tgt is 2001:db8::2, length 32'],
  ['ndp-rs', 'IP6 fe80::a > ff02::2: ICMP6, router solicitation, length 16'],
  ['ndp-ra', 'IP6 fe80::1 > ff02::1: ICMP6, router advertisement, length 64'],
  ['ndp-redirect', 'IP6 fe80::1 > fe80::a: ICMP6, redirect, 2001:db8:1::5 to fe80::2, length 112'],
];

const EXTRA_LINES: Array<[string, string]> = [
  ['icmp-unreach-0', 'IP 198.51.100.1 > 192.0.2.1: ICMP net 192.168.0.1 unreachable, length 41'],
  ['icmp-unreach-1', 'IP 198.51.100.1 > 192.0.2.1: ICMP host 192.168.0.1 unreachable, length 41'],
  ['icmp-unreach-2', 'IP 198.51.100.1 > 192.0.2.1: ICMP 192.168.0.1 protocol 17 unreachable, length 41'],
  ['icmp-unreach-3', 'IP 198.51.100.1 > 192.0.2.1: ICMP 192.168.0.1 udp port 44444 unreachable, length 41'],
  [
    'icmp-unreach-4',
    'IP 198.51.100.1 > 192.0.2.1: ICMP 192.168.0.1 unreachable - need to frag (mtu 1400), length 41',
  ],
  [
    'icmp-unreach-5',
    'IP 198.51.100.1 > 192.0.2.1: ICMP 192.168.0.1 unreachable - source route failed, length 41',
  ],
  ['icmp-unreach-6', 'IP 198.51.100.1 > 192.0.2.1: ICMP net 192.168.0.1 unreachable - unknown, length 41'],
  ['icmp-unreach-7', 'IP 198.51.100.1 > 192.0.2.1: ICMP host 192.168.0.1 unreachable - unknown, length 41'],
  [
    'icmp-unreach-8',
    'IP 198.51.100.1 > 192.0.2.1: ICMP 192.168.0.1 unreachable - source host isolated, length 41',
  ],
  [
    'icmp-unreach-9',
    'IP 198.51.100.1 > 192.0.2.1: ICMP net 192.168.0.1 unreachable - admin prohibited, length 41',
  ],
  [
    'icmp-unreach-10',
    'IP 198.51.100.1 > 192.0.2.1: ICMP host 192.168.0.1 unreachable - admin prohibited, length 41',
  ],
  [
    'icmp-unreach-11',
    'IP 198.51.100.1 > 192.0.2.1: ICMP net 192.168.0.1 unreachable - tos prohibited, length 41',
  ],
  [
    'icmp-unreach-12',
    'IP 198.51.100.1 > 192.0.2.1: ICMP host 192.168.0.1 unreachable - tos prohibited, length 41',
  ],
  [
    'icmp-unreach-13',
    'IP 198.51.100.1 > 192.0.2.1: ICMP host 192.168.0.1 unreachable - admin prohibited filter, length 41',
  ],
  [
    'icmp-unreach-14',
    'IP 198.51.100.1 > 192.0.2.1: ICMP host 192.168.0.1 unreachable - host precedence violation, length 41',
  ],
  [
    'icmp-unreach-15',
    'IP 198.51.100.1 > 192.0.2.1: ICMP host 192.168.0.1 unreachable - precedence cutoff, length 41',
  ],
  [
    'icmp-unreach-tcp-port',
    'IP 198.51.100.1 > 192.0.2.1: ICMP 192.168.0.1 tcp port 22 unreachable, length 48',
  ],
  [
    'icmp-unreach-gre-port',
    'IP 198.51.100.1 > 192.0.2.1: ICMP 192.168.0.1 protocol 47 port 515 unreachable, length 36',
  ],
  [
    'icmp-unreach-gre-proto',
    'IP 198.51.100.1 > 192.0.2.1: ICMP 192.168.0.1 protocol 47 unreachable, length 36',
  ],
  [
    'icmp-needfrag-nomtu',
    'IP 198.51.100.1 > 192.0.2.1: ICMP 192.168.0.1 unreachable - need to frag, length 41',
  ],
  ['icmp-reassembly', 'IP 198.51.100.1 > 192.0.2.1: ICMP ip reassembly time exceeded, length 41'],
  ['icmp-source-quench', 'IP 198.51.100.1 > 192.0.2.1: ICMP source quench, length 41'],
  ['icmp-redirect-0', 'IP 198.51.100.1 > 192.0.2.1: ICMP redirect 192.168.0.1 to net 192.0.2.254, length 41'],
  [
    'icmp-redirect-1',
    'IP 198.51.100.1 > 192.0.2.1: ICMP redirect 192.168.0.1 to host 192.0.2.254, length 41',
  ],
  [
    'icmp-redirect-2',
    'IP 198.51.100.1 > 192.0.2.1: ICMP redirect-tos 192.168.0.1 to net 192.0.2.254, length 41',
  ],
  [
    'icmp-redirect-3',
    'IP 198.51.100.1 > 192.0.2.1: ICMP redirect-tos 192.168.0.1 to host 192.0.2.254, length 41',
  ],
  ['icmp-param-0', 'IP 198.51.100.1 > 192.0.2.1: ICMP parameter problem - octet 9, length 41'],
  ['icmp-param-1', 'IP 198.51.100.1 > 192.0.2.1: ICMP parameter problem - code 1, length 41'],
  ['icmp-param-2', 'IP 198.51.100.1 > 192.0.2.1: ICMP parameter problem - code 2, length 41'],
  ['icmp-timestamp', 'IP 192.0.2.1 > 192.168.0.1: ICMP time stamp query id 0 seq 0, length 12'],
  ['icmp-type-42', 'IP 192.0.2.1 > 192.168.0.1: ICMP type-#42, length 8'],
  ['ipv4-gre', 'IP 192.0.2.1 > 192.168.0.1:  ip-proto-47 8'],
  ['ipv4-proto-253', 'IP 192.0.2.1 > 192.168.0.1:  ip-proto-253 8'],
  ['ipv6-proto-253', 'IP6 2001:db8::1 > 2001:db8::2:  ip-proto-253 8'],
  ['ipv6-no-next', 'IP6 2001:db8::1 > 2001:db8::2: no next header'],
  [
    'icmp6-unreach-0',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, destination unreachable, unreachable route 2001:db8::2, length 61',
  ],
  [
    'icmp6-unreach-1',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, destination unreachable,  unreachable prohibited 2001:db8::2, length 61',
  ],
  [
    'icmp6-unreach-2',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, destination unreachable, beyond scope 2001:db8::2, source address 2001:db8::1, length 61',
  ],
  [
    'icmp6-unreach-3',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, destination unreachable, unreachable address 2001:db8::2, length 61',
  ],
  [
    'icmp6-unreach-4',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, destination unreachable, unreachable port, 2001:db8::2 udp port 44444, length 61',
  ],
  [
    'icmp6-unreach-5',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, destination unreachable, unknown unreach code (5), length 61',
  ],
  [
    'icmp6-unreach-6',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, destination unreachable, unknown unreach code (6), length 61',
  ],
  [
    'icmp6-unreach-7',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, destination unreachable, unknown unreach code (7), length 61',
  ],
  [
    'icmp6-unreach-8',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, destination unreachable, unknown unreach code (8), length 61',
  ],
  [
    'icmp6-unreach-tcp-port',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, destination unreachable, unreachable port, 2001:db8::2 tcp port 22, length 68',
  ],
  [
    'icmp6-reassembly',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, time exceeded in-transit (reassembly), length 61',
  ],
  [
    'icmp6-param-0',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, parameter problem, erroneous - octet 6, length 61',
  ],
  [
    'icmp6-param-1',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, parameter problem, next header - octet 6, length 61',
  ],
  [
    'icmp6-param-2',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, parameter problem, option - octet 6, length 61',
  ],
  [
    'icmp6-param-3',
    'IP6 2001:db8:ff::1 > 2001:db8::1: ICMP6, parameter problem, incomplete header chain - octet 6, length 61',
  ],
  ['icmp6-type-200', 'IP6 2001:db8::1 > 2001:db8::2: ICMP6, mtrace response, length 8'],
  ['ndp-na-router', 'IP6 fe80::1 > ff02::1: ICMP6, neighbor advertisement, tgt is fe80::1, length 24'],
  ['qinq-dei', 'vlan 10, p 0, vlan 200, p 5, DEI, IP 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 5'],
  ['ethertype-unknown', '02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype Unknown (0x88b5), length 60'],
  ['ieee802.3', '02:00:00:00:00:0a > 02:00:00:00:00:0b, 802.3, length 38'],
];

const LINK_LINES: Array<[string, string]> = [
  [
    'arp-request',
    '02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.168.0.1 tell 192.168.0.2, length 28',
  ],
  [
    'udp4-vlan',
    '02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype 802.1Q (0x8100), length 51: vlan 100, p 3, ethertype IPv4 (0x0800), 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 5',
  ],
  [
    'qinq-dei',
    '02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype 802.1Q-QinQ (0x88a8), length 55: vlan 10, p 0, ethertype 802.1Q (0x8100), vlan 200, p 5, DEI, ethertype IPv4 (0x0800), 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 5',
  ],
  [
    'ipv6-ext-headers',
    '02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype IPv6 (0x86dd), length 83: 2001:db8::1 > 2001:db8::2: HBH DSTOPT 33335 > 44444: UDP, length 5',
  ],
  ['ethertype-unknown', '02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype Unknown (0x88b5), length 60'],
  ['ieee802.3', '02:00:00:00:00:0a > 02:00:00:00:00:0b, 802.3, length 38'],
  [
    'udp4-options',
    '02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype IPv4 (0x0800), length 63: (options (RA,NOP,RR 192.0.2.254, 0.0.0.0)) 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 5',
  ],
  [
    'ndp-ns',
    '02:00:00:00:00:0a > 33:33:ff:00:00:02, ethertype IPv6 (0x86dd), length 86: fe80::a > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has 2001:db8::2, length 32',
  ],
];

const ALL = [...sampleFrames(), ...extraFrames()];
const BY_NAME = new Map(ALL.map((f) => [f.name, f]));

function frame(name: string): SampleFrame {
  const f = BY_NAME.get(name);
  if (!f) throw new Error(`no sample frame ${name}`);
  return f;
}

function line(eth: Uint8Array, len = eth.length, opts?: { link?: boolean; wireLen?: number }): string {
  return printFrame(eth, 0, len, 'ethernet', opts);
}

/** A copy of sample frame `name` changed by `edit`. */
function edited(name: string, edit: (b: Uint8Array) => void): Uint8Array {
  const b = frame(name).eth.slice();
  edit(b);
  return b;
}

describe('printFrame: one line per frame kind', () => {
  test('every sample frame', () => {
    assert.equal(SAMPLE_LINES.length, sampleFrames().length);
    for (const [name, want] of SAMPLE_LINES) assert.equal(line(frame(name).eth), want, name);
  });

  test('ICMP and ICMPv6 codes, redirects, other protocols, tags and unknown EtherTypes', () => {
    assert.equal(EXTRA_LINES.length, extraFrames().length);
    for (const [name, want] of EXTRA_LINES) assert.equal(line(frame(name).eth), want, name);
  });

  test('link: true adds the -e prefix', () => {
    for (const [name, want] of LINK_LINES) {
      assert.equal(line(frame(name).eth, undefined, { link: true }), want, name);
    }
  });

  test('raw IP prints the same line as the Ethernet frame without its tags', () => {
    for (const f of ALL) {
      if (f.ipOff < 0) continue;
      const eth = line(f.eth).replace(/^(vlan \d+, p \d+(, DEI)?, )+/, '');
      const len = f.eth.length - f.ipOff;
      assert.equal(printFrame(f.eth, f.ipOff, len, 'raw'), eth, f.name);
      assert.equal(printIp(f.eth, f.ipOff, len), eth, f.name);
      assert.equal(
        printFrame(f.eth, f.ipOff, len, 'raw', { link: true }),
        eth.replace(/^IP6? /, 'ip: '),
        f.name,
      );
    }
  });

  test('an unknown EtherType behind a tag, and a third tag', () => {
    const tagged = edited('udp4-vlan', (b) => {
      b[16] = 0x88;
      b[17] = 0xb5;
    });
    assert.equal(
      line(tagged),
      '02:00:00:00:00:0a > 02:00:00:00:00:0b, vlan 100, p 3, ethertype Unknown (0x88b5), length 51',
    );
    assert.equal(
      line(tagged, undefined, { link: true }),
      '02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype 802.1Q (0x8100), length 51: vlan 100, p 3, ethertype Unknown (0x88b5)',
    );
    const third = edited('qinq-dei', (b) => {
      b[20] = 0x81;
      b[21] = 0x00;
    });
    assert.equal(
      line(third),
      '02:00:00:00:00:0a > 02:00:00:00:00:0b, vlan 10, p 0, vlan 200, p 5, DEI, ethertype 802.1Q (0x8100), length 55 [|drop: Unsupported]',
    );
  });

  test('ARP operations other than request and reply', () => {
    const op = (n: number, tha = false) =>
      line(
        edited('arp-request', (b) => {
          b[21] = n;
          if (tha) b.set([1, 2, 3, 4, 5, 6], 32);
        }),
      );
    assert.equal(
      op(1, true),
      'ARP, Request who-has 192.168.0.1 (01:02:03:04:05:06) tell 192.168.0.2, length 28',
    );
    assert.equal(op(3), 'ARP, Reverse Request who-is 00:00:00:00:00:00 tell 02:00:00:00:00:0a, length 28');
    assert.equal(op(4, true), 'ARP, Reverse Reply 01:02:03:04:05:06 at 192.168.0.1, length 28');
    assert.equal(op(8), 'ARP, Inverse Request who-is 00:00:00:00:00:00 tell 02:00:00:00:00:0a, length 28');
    assert.equal(op(9), 'ARP, Inverse Reply 02:00:00:00:00:0a at 192.168.0.2, length 28');
    assert.equal(op(7), 'ARP, Unknown (7), length 28 [|drop: ArpBadOperation]');
  });

  test('IPv4 option notation (tcpdump -v)', () => {
    const cases: Array<[number[], string]> = [
      [[0x94, 4, 0, 5], 'RA value 5'],
      [[1, 1, 1, 0], 'NOP,NOP,NOP,EOL'],
      [[0x83, 11, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0], 'LSRR 1.2.3.4 5.6.7.8,EOL'],
      [[0x89, 7, 8, 1, 2, 3, 4, 0], 'SSRR 1.2.3.4,,EOL'],
      [[0x44, 12, 5, 0, 0, 0, 0, 1, 0, 0, 0, 2], 'timestamp TS{TSONLY ^ 1@ 2@}'],
      [[0x44, 12, 13, 0x01, 1, 2, 3, 4, 0, 0, 0, 2], 'timestamp TS{TS+ADDR 2@1.2.3.4 ^ }'],
      [[0x82, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'security,EOL'],
      [[0x99, 4, 1, 2], 'unknown 153'],
      [[7, 3, 4, 0], 'RR,EOL'],
      [[0x52, 4, 0, 0], 'traceroute'],
      [[7, 7, 2, 1, 2, 3, 4, 0], 'RR [bad ptr 2],EOL'],
    ];
    const f = frame('udp4');
    const ip = f.eth.subarray(f.ipOff);
    for (const [opts, want] of cases) {
      const b = new Uint8Array(ip.length + opts.length);
      b.set(ip.subarray(0, 20));
      b.set(opts, 20);
      b.set(ip.subarray(20), 20 + opts.length);
      b[0] = 0x45 + opts.length / 4;
      b[3] = b.length;
      assert.equal(
        printIp(b, 0, b.length),
        `IP (options (${want})) 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 5`,
      );
    }
  });

  test('ICMP timestamp reply and address mask reply', () => {
    const ts = edited('icmp-echo-request', (x) => {
      x[34] = 14;
      x.set([0, 0, 0, 1, 0x02, 0x93, 0x2e, 0x00, 0x05, 0x26, 0x5c, 0x00], 42);
    });
    assert.match(
      line(ts),
      /ICMP time stamp reply id 4660 seq 1: org 0:00:00\.001, recv 12:00:00\.000, xmit 24:00:00\.000, length 64$/,
    );
    const mask = edited('icmp-echo-request', (x) => {
      x[34] = 18;
      x.set([255, 255, 255, 0], 42);
    });
    assert.match(line(mask), /ICMP address mask is 0xffffff00, length 64$/);
  });

  test('IPv6 routing, AH and ESP headers', () => {
    const f = frame('ipv6-ext-headers');
    const ip = f.eth.subarray(f.ipOff);
    const udp = ip.subarray(56);
    const dst = Array.from(ip.subarray(24, 40));
    const src = Array.from(ip.subarray(8, 24));
    const build = (nh: number, ext: number[]): string => {
      const b = new Uint8Array(40 + ext.length + udp.length);
      b.set(ip.subarray(0, 40));
      b[4] = (ext.length + udp.length) >>> 8;
      b[5] = (ext.length + udp.length) & 0xff;
      b[6] = nh;
      b.set(ext, 40);
      b.set(udp, 40 + ext.length);
      return printIp(b, 0, b.length);
    };
    assert.equal(
      build(43, [17, 4, 0, 1, 0, 0, 0, 0, ...dst, ...src]),
      'IP6 2001:db8::1 > 2001:db8::2: RT6 (len=4, type=0 [Deprecated], segleft=1, [0]2001:db8::2, [1]2001:db8::1) 33335 > 44444: UDP, length 5',
    );
    assert.equal(
      build(43, [17, 2, 4, 0, 0, 0, 0, 0, ...dst]),
      'IP6 2001:db8::1 > 2001:db8::2: RT6 (len=2, type=4, segleft=0, last-entry=0, tag=0, [0]2001:db8::2) 33335 > 44444: UDP, length 5',
    );
    assert.equal(
      build(51, [17, 4, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
      'IP6 2001:db8::1 > 2001:db8::2: AH(spi=0x00001234,seq=0x1,icv=0x000102030405060708090a0b): 33335 > 44444: UDP, length 5',
    );
    assert.equal(
      build(50, [0, 0, 0x12, 0x34, 0, 0, 0, 9]),
      'IP6 2001:db8::1 > 2001:db8::2: ESP(spi=0x00001234,seq=0x9), length 21',
    );
  });
});

describe('printFrame: malformed and cut frames', () => {
  const udp4 = frame('udp4').eth;
  const cases: Array<[string, () => string, string]> = [
    ['empty frame', () => line(new Uint8Array(0)), '[|drop: EthernetTooShort]'],
    ['window outside the buffer', () => printFrame(udp4, 60, 10, 'ethernet'), '[|drop: Truncated]'],
    ['negative offset', () => printFrame(udp4, -1, 10, 'raw'), '[|drop: Truncated]'],
    ['fractional length', () => printFrame(udp4, 0, 1.5, 'raw'), '[|drop: Truncated]'],
    ['empty raw packet', () => printFrame(udp4, 0, 0, 'raw'), '[|drop: Truncated]'],
    ['raw version 5', () => printFrame(Uint8Array.of(0x50, 1, 2), 0, 3, 'raw'), '[|drop: BadVersion]'],
    [
      'VLAN tag cut',
      () => line(frame('udp4-vlan').eth, 16),
      '02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype 802.1Q (0x8100), length 16: [|drop: VlanTruncated]',
    ],
    ['IPv4 header cut', () => line(udp4, 24), 'IP [|drop: Truncated]'],
    ['IPv6 header cut', () => line(frame('udp6').eth, 50), 'IP6 [|drop: Truncated]'],
    [
      'IPv6 in an IPv4 EtherType',
      () =>
        line(
          edited('udp4', (b) => {
            b[14] = 0x65;
          }),
        ),
      'IP [|drop: BadVersion]',
    ],
    [
      'IHL below 5',
      () =>
        line(
          edited('udp4', (b) => {
            b[14] = 0x44;
          }),
        ),
      'IP 192.0.2.1 > 192.168.0.1: [|drop: BadHeaderLength]',
    ],
    [
      'total length past the frame',
      () => line(udp4, 40),
      'IP 192.0.2.1.33333 > 192.168.0.1.44444: [|drop: Ipv4BadTotalLength]',
    ],
    [
      'total length past the frame, transport intact',
      () =>
        line(
          edited('udp4', (b) => {
            b[17]! += 4;
          }),
        ),
      'IP 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 5 [|drop: Ipv4BadTotalLength]',
    ],
    [
      'total length below the header',
      () =>
        line(
          edited('udp4', (b) => {
            b[17] = 10;
          }),
        ),
      'IP 192.0.2.1 > 192.168.0.1: [|drop: Ipv4BadTotalLength]',
    ],
    [
      'bad IPv4 option',
      () =>
        line(
          edited('udp4-options', (b) => {
            b[35] = 30;
          }),
        ),
      'IP (options (RA [bad length 30])) 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 5 [|drop: Ipv4BadOptions]',
    ],
    [
      'non-last fragment of a length not a multiple of 8',
      () =>
        line(
          edited('udp4-frag1', (b) => {
            b[17]! -= 3;
          }),
          frame('udp4-frag1').eth.length - 3,
        ),
      'IP 192.0.2.1.33334 > 192.168.0.1.44444: UDP, length 1492 (frag 48879:1477@0+) [|drop: Ipv4BadFragment]',
    ],
    [
      'TCP data offset 3',
      () =>
        line(
          edited('tcp-syn', (b) => {
            b[46] = 0x30;
          }),
        ),
      'IP 192.0.2.1.41000 > 192.168.0.1.5001: [|drop: TcpBadDataOffset]',
    ],
    [
      'TCP option of a wrong length',
      () =>
        line(
          edited('tcp-syn', (b) => {
            b[55] = 9;
          }),
        ),
      'IP 192.0.2.1.41000 > 192.168.0.1.5001: Flags [S], seq 1000, win 64240, options [mss[len 9] 0x05b40402080a00,eol], length 0 [|drop: TcpBadOption]',
    ],
    [
      'TCP option running past the header',
      () =>
        line(
          edited('tcp-syn', (b) => {
            b[61] = 30;
          }),
        ),
      'IP 192.0.2.1.41000 > 192.168.0.1.5001: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK], length 0 [|drop: TcpBadOptionLength]',
    ],
    [
      'UDP length below 8',
      () =>
        line(
          edited('udp4', (b) => {
            b[39] = 4;
          }),
        ),
      'IP 192.0.2.1.33333 > 192.168.0.1.44444: UDP [|drop: UdpBadLength]',
    ],
    [
      'UDP length past the datagram',
      () =>
        line(
          edited('udp4', (b) => {
            b[39] = 40;
          }),
        ),
      'IP 192.0.2.1.33333 > 192.168.0.1.44444: UDP, length 32 [|drop: UdpBadLength]',
    ],
    [
      'ICMP echo with a code',
      () =>
        line(
          edited('icmp-echo-request', (b) => {
            b[35] = 3;
          }),
        ),
      'IP 192.0.2.1 > 192.168.0.1: ICMP echo request, id 4660, seq 1, length 64 [|drop: IcmpBadCode]',
    ],
    [
      'ICMP error quoting too little',
      () =>
        line(
          edited('icmp-port-unreachable', (b) => {
            b[17]! -= 20;
          }),
          frame('icmp-port-unreachable').eth.length - 20,
        ),
      'IP 192.168.0.1 > 192.0.2.1: ICMP unreachable, length 21 [|drop: IcmpTruncated]',
    ],
    [
      'ICMPv6 error quoting too little',
      () =>
        line(
          edited('icmp6-port-unreachable', (b) => {
            b[19]! -= 20;
          }),
          frame('icmp6-port-unreachable').eth.length - 20,
        ),
      'IP6 2001:db8::2 > 2001:db8::1: ICMP6, destination unreachable, length 41 [|drop: IcmpTruncated]',
    ],
    [
      'NDP with hop limit 64',
      () =>
        line(
          edited('ndp-ns', (b) => {
            b[21] = 64;
          }),
        ),
      'IP6 fe80::a > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has 2001:db8::2, length 32 [|drop: NdpBadHopLimit]',
    ],
    [
      'NDP option of length 0',
      () =>
        line(
          edited('ndp-ns', (b) => {
            b[79] = 0;
          }),
        ),
      'IP6 fe80::a > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has 2001:db8::2, length 32 [|drop: NdpBadOption]',
    ],
    [
      'extension header past the payload',
      () =>
        line(
          edited('ipv6-ext-headers', (b) => {
            b[55] = 9;
          }),
        ),
      'IP6 2001:db8::1 > 2001:db8::2: HBH [|drop: Ipv6BadExtensionHeader]',
    ],
    [
      'Hop-by-Hop not first',
      () =>
        line(
          edited('ipv6-ext-headers', (b) => {
            b[20] = 60;
            b[54] = 0;
          }),
        ),
      'IP6 2001:db8::1 > 2001:db8::2: DSTOPT HBH 33335 > 44444: UDP, length 5 [|drop: Ipv6BadExtensionHeader]',
    ],
    [
      'IPv6 payload length past the frame',
      () =>
        line(
          edited('udp6', (b) => {
            b[19]! += 8;
          }),
        ),
      'IP6 2001:db8::1.33333 > 2001:db8::2.44444: UDP, length 5 [|drop: Ipv6BadPayloadLength]',
    ],
    [
      'IPv6 non-last fragment of a length not a multiple of 8',
      () =>
        line(
          edited('ipv6-frag1', (b) => {
            b[19]! -= 1;
          }),
          frame('ipv6-frag1').eth.length - 1,
        ),
      'IP6 2001:db8::1 > 2001:db8::2: frag (0|1231) 33336 > 44444: UDP, length 1492 [|drop: Ipv6BadFragment]',
    ],
    [
      'first fragment cut inside the UDP header',
      () => line(frame('udp4-frag1').eth, 38, { wireLen: frame('udp4-frag1').eth.length }),
      'IP 192.0.2.1.33334 > 192.168.0.1.44444: (frag 48879:1480@0+) [|drop: Truncated]',
    ],
    ['ARP cut', () => line(frame('arp-request').eth, 30), 'ARP, [|drop: Truncated]'],
    [
      'ARP for another hardware',
      () =>
        line(
          edited('arp-request', (b) => {
            b[15] = 6;
          }),
        ),
      'ARP, [|drop: ArpBadHardware]',
    ],
  ];
  for (const [name, run, want] of cases) test(name, () => assert.equal(run(), want));

  test('a capture cut after the headers prints like the whole frame (wireLen)', () => {
    for (const name of [
      'tcp-data',
      'tcp-syn',
      'udp4-frag1',
      'ipv6-frag1',
      'icmp-frag-needed',
      'icmp6-packet-too-big',
    ]) {
      const f = frame(name).eth;
      assert.equal(line(f, Math.min(100, f.length), { wireLen: f.length }), line(f), name);
    }
    const cut = (name: string, len: number) => {
      const f = frame(name).eth;
      return line(f, len, { wireLen: f.length });
    };
    assert.equal(cut('tcp-data', 60), 'IP 192.0.2.1.41000 > 192.168.0.1.5001: [|drop: Truncated]');
    assert.equal(cut('tcp-syn', 40), 'IP 192.0.2.1.41000 > 192.168.0.1.5001: [|drop: Truncated]');
    assert.equal(cut('icmp-echo-request', 38), 'IP 192.0.2.1 > 192.168.0.1: ICMP [|drop: Truncated]');
    assert.equal(
      cut('icmp-port-unreachable', 64),
      'IP 192.168.0.1 > 192.0.2.1: ICMP 192.168.0.1 port unreachable, length 41 [|drop: Truncated]',
    );
    assert.equal(
      cut('ndp-ns', 70),
      'IP6 fe80::a > ff02::1:ff00:2: ICMP6, neighbor solicitation, length 32 [|drop: Truncated]',
    );
    // A wire length below the captured length is ignored.
    assert.equal(line(udp4, udp4.length, { wireLen: 3 }), line(udp4));
  });

  test('a 64 KiB chain of extension headers prints in linear time', () => {
    const n = 8000;
    const b = new Uint8Array(40 + 8 * n);
    b[0] = 0x60;
    b[4] = (8 * n) >>> 8;
    b[5] = (8 * n) & 0xff;
    b[6] = 60;
    for (let i = 0; i < n; i++) b[40 + 8 * i] = i === n - 1 ? 59 : 60;
    const t0 = performance.now();
    const s = printIp(b, 0, b.length);
    assert.ok(performance.now() - t0 < 500);
    assert.ok(s.endsWith('DSTOPT no next header'));
  });
});

describe('printFrame: never throws, never reads outside its window', () => {
  const frames = ALL.map((f) => f.eth);
  const anyFrame = fc.integer({ min: 0, max: frames.length - 1 }).map((i) => frames[i]!);
  const options = fc.record({
    link: fc.boolean(),
    wireLen: fc.option(fc.integer({ min: 0, max: 70000 }), { nil: undefined }),
  });
  const noise = fc.uint8Array({ minLength: 1, maxLength: 8 });
  type Opts = { link: boolean; wireLen: number | undefined };

  /** A frame printed from the middle of a larger buffer of noise must print as it does alone. */
  function checkWindow(bytes: Uint8Array, kind: 'ethernet' | 'raw', o: Opts, pad: Uint8Array): void {
    const alone = printFrame(bytes, 0, bytes.length, kind, o);
    assert.equal(typeof alone, 'string');
    assert.ok(alone.length > 0);
    const big = new Uint8Array(2 * pad.length + bytes.length);
    big.set(pad);
    big.set(bytes, pad.length);
    big.set(pad, pad.length + bytes.length);
    assert.equal(printFrame(big, pad.length, bytes.length, kind, o), alone);
  }

  test('random bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom<'ethernet' | 'raw'>('ethernet', 'raw'),
        options,
        noise,
        (bytes, kind, o, pad) => {
          // Mostly plausible version nibbles, so the random tail reaches the upper layers.
          if (kind === 'raw' && bytes.length > 0)
            bytes[0] = (bytes[0]! & 1 ? 0x40 : 0x60) | (bytes[0]! & 0x0f);
          checkWindow(bytes, kind, o, pad);
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('truncated sample frames', () => {
    fc.assert(
      fc.property(anyFrame, fc.nat(), options, noise, (f, cut, o, pad) => {
        checkWindow(f.slice(0, cut % (f.length + 1)), 'ethernet', o, pad);
      }),
      { numRuns: 5000 },
    );
  });

  test('mutated sample frames', () => {
    fc.assert(
      fc.property(
        anyFrame,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        options,
        noise,
        (f, edits, cut, o, pad) => {
          const bytes = f.slice();
          // Mostly header bytes: that is where the decisions are.
          for (const [at, v] of edits) bytes[at % Math.min(bytes.length, 80)] = v;
          const len = cut % 3 === 0 ? bytes.length : cut % (bytes.length + 1);
          checkWindow(bytes.slice(0, len), 'ethernet', o, pad);
          if (bytes.length > 14) checkWindow(bytes.slice(14), 'raw', o, pad);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
