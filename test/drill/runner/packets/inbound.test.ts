import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIpv4, formatIpv6 } from '../../../../src/core/wire/address.js';
import { get16, get32 } from '../../../../src/core/wire/bytes.js';
import { Icmpv4Repr, Icmpv4View, verifyIcmpv4Checksum } from '../../../../src/core/wire/icmpv4.js';
import { Icmpv6Repr, Icmpv6View, verifyIcmpv6Checksum } from '../../../../src/core/wire/icmpv6.js';
import { verifyIpv4Checksum } from '../../../../src/core/wire/ipv4.js';
import { printFrame } from '../../../../src/core/wire/print.js';
import { checksumAddresses4, checksumAddresses6 } from '../../../../src/core/wire/pseudo.js';
import { TcpRepr, TcpView, verifyTcpChecksum } from '../../../../src/core/wire/tcp.js';
import { verifyUdpChecksum } from '../../../../src/core/wire/udp.js';
import type { Packet } from '../../../../src/drill/parser/ast.js';
import { parseScript } from '../../../../src/drill/parser/index.js';
import {
  buildInbound,
  buildScriptFrame,
  ConnState,
  packetConfig,
  resolveTime,
  sniffTimeoutUs,
} from '../../../../src/drill/runner/packets/index.js';

function pkt(line: string): Packet {
  const r = parseScript(line + '\n', { file: 's.pkt' });
  if (!r.ok) throw new Error(r.error.message);
  const e = r.script.events[0]!;
  if (e.type !== 'packet') throw new Error('not a packet');
  return e.packet;
}

function conn(version: 'ipv4' | 'ipv6' | 'ipv4-mapped-ipv6'): ConnState {
  const c = ConnState.forVariant(version, 8080, 40000);
  c.remoteIsn = 100;
  c.localIsnLive = 7_000_000;
  c.localIsnScript = 0;
  c.localIsnKnown = true;
  return c;
}

function build(c: ConnState, line: string, cfg = packetConfig()): Uint8Array {
  const r = buildInbound(pkt(line), c, cfg);
  if (!r.ok) throw new Error(r.error);
  return r.frame;
}

function tcpOf(frame: Uint8Array, off: number): TcpRepr {
  const v = new TcpView();
  assert.equal(v.check(frame, off, frame.length - off), 0);
  const t = new TcpRepr();
  t.parse(v);
  return t;
}

test('IPv4: IHL 5, ID 0, no DF, TTL 255, TOS 0, addresses remote → local, checksums valid', () => {
  const c = conn('ipv4');
  c.recordOutboundTs(0, 5555);
  const f = build(c, '0 < P. 1:1001(1000) ack 1 win 257 <nop,nop,TS val 200 ecr 0>');
  assert.equal(f[0], 0x45);
  assert.equal(f[1], 0);
  assert.equal(get16(f, 2), f.length);
  assert.equal(get16(f, 4), 0);
  assert.equal(get16(f, 6), 0);
  assert.equal(f[8], 255);
  assert.equal(f[9], 6);
  assert.equal(formatIpv4(get32(f, 12)), '192.0.2.1');
  assert.equal(formatIpv4(get32(f, 16)), '192.168.0.1');
  assert.ok(verifyIpv4Checksum(f, 0, 20));
  assert.ok(verifyTcpChecksum(f, 20, f.length - 20, checksumAddresses4(get32(f, 12), get32(f, 16))));
  const t = tcpOf(f, 20);
  assert.equal(t.srcPort, 40000);
  assert.equal(t.dstPort, 8080);
  assert.equal(t.seq, 101);
  assert.equal(t.ack, 7_000_001);
  assert.equal(t.window, 257);
  assert.equal(t.payloadLen, 1000);
  assert.equal(t.options.toString(), 'nop,nop,TS val 200 ecr 5555');
  assert.equal(
    printFrame(f, 0, f.length, 'raw'),
    'IP 192.0.2.1.40000 > 192.168.0.1.8080: Flags [P.], seq 101:1101, ack 7000001, win 257, options [nop,nop,TS val 200 ecr 5555], length 1000',
  );
});

test('ipv4-mapped-ipv6 is IPv4 on the wire', () => {
  const f = build(conn('ipv4-mapped-ipv6'), '0 < . 1:1(0) ack 1 win 257');
  assert.equal(f[0], 0x45);
  assert.equal(f.length, 40);
});

test('IPv6: hop limit 255, traffic class, flow label, payload length, TCP checksum', () => {
  const c = conn('ipv6');
  const f = build(c, '0 < [ect0, flowlabel 0x12345] . 1:1(0) ack 1 win 257');
  assert.equal(f[0]! >>> 4, 6);
  assert.equal((get16(f, 0) >>> 4) & 0xff, 2);
  assert.equal(get32(f, 0) & 0xfffff, 0x12345);
  assert.equal(get16(f, 4), 20);
  assert.equal(f[6], 6);
  assert.equal(f[7], 255);
  assert.equal(formatIpv6(f, 8), 'fd3d:fa7b:d17d::1');
  assert.equal(formatIpv6(f, 24), 'fd3d:a0b:17d6::1');
  assert.ok(verifyTcpChecksum(f, 40, f.length - 40, checksumAddresses6(f, 0)));
});

test('IP annotations: TOS byte, ECN names, TTL', () => {
  const c = conn('ipv4');
  assert.equal(build(c, '0 < (tos 0x10) . 1:1(0) ack 1 win 1')[1], 0x10);
  assert.equal(build(c, '0 < [ce] . 1:1(0) ack 1 win 1')[1], 3);
  assert.equal(build(c, '0 < [ect1] . 1:1(0) ack 1 win 1')[1], 1);
  assert.equal(build(c, '0 < (ttl 64) . 1:1(0) ack 1 win 1')[8], 64);
});

test('seq/ack/SACK mapping per §6.7 on SYN and non-SYN packets', () => {
  const c = conn('ipv4');
  c.localIsnScript = 500;
  // SYN: seq literal; ack (only with ACK set) + L_live − L_script.
  const synack = tcpOf(build(c, '0 < S. 100:100(0) ack 501 win 1'), 20);
  assert.equal(synack.seq, 100);
  assert.equal(synack.ack, 7_000_001);
  const syn = tcpOf(build(c, '0 < S 100:100(0) win 1'), 20);
  assert.equal(syn.ack, 0);
  // Non-SYN: seq + R, ack and SACK + L_live.
  const sack = tcpOf(build(c, '0 < . 1:1(0) ack 1 win 1 <nop,nop,sack 1001:2001 3001:4001>'), 20);
  assert.equal(sack.seq, 101);
  assert.equal(sack.ack, 7_000_001);
  assert.deepEqual([...sack.options.sackBlocks.slice(0, 4)], [7_001_001, 7_002_001, 7_003_001, 7_004_001]);
  // Arithmetic wraps mod 2^32.
  c.localIsnLive = 0xfffffff0;
  assert.equal(tcpOf(build(c, '0 < . 1:1(0) ack 32 win 1'), 20).ack, 0x10);
});

test('options are encoded exactly as written, in order; explicit ports are kept; urg pointer', () => {
  const c = conn('ipv4');
  const t = tcpOf(
    build(c, '0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7,FO 0102030405060708,nop,nop>'),
    20,
  );
  assert.equal(t.options.toString(), 'mss 1000,sackOK,nop,nop,nop,wscale 7,tfo cookie 0102030405060708,nop,nop');
  const p = tcpOf(build(c, '0 < 1234>5678 U. 1:1(0) ack 1 win 1 urg 9'), 20);
  assert.equal(p.srcPort, 1234);
  assert.equal(p.dstPort, 5678);
  assert.equal(p.urgent, 9);
});

test('--mss marks inbound TCP packets for GSO injection', () => {
  const c = conn('ipv4');
  const r = buildInbound(pkt('0 < . 1:5001(5000) ack 1 win 1'), c, packetConfig({ mss: 1000 }));
  assert.ok(r.ok);
  assert.equal(r.gsoSize, 1000);
  const n = buildInbound(pkt('0 < . 1:5001(5000) ack 1 win 1'), c, packetConfig());
  assert.ok(n.ok);
  assert.equal(n.gsoSize, 0);
});

test('ICMP frag_needed quotes a TCP header from the connection, reversed, seq relative to L_live', () => {
  const c = conn('ipv4');
  const f = build(c, '0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]');
  assert.equal(f[9], 1);
  assert.ok(verifyIpv4Checksum(f, 0, 20));
  assert.ok(verifyIcmpv4Checksum(f, 20, f.length - 20));
  const v = new Icmpv4View();
  assert.equal(v.check(f, 20, f.length - 20), 0);
  const r = new Icmpv4Repr();
  assert.equal(r.parse(v), 0);
  assert.equal(r.type, 3);
  assert.equal(r.code, 4);
  assert.equal(r.nextHopMtu, 1200);
  const q = 28;
  assert.equal(formatIpv4(get32(f, q + 12)), '192.168.0.1');
  assert.equal(formatIpv4(get32(f, q + 16)), '192.0.2.1');
  assert.equal(f[q + 9], 6);
  assert.equal(get16(f, q + 2), 20 + 20 + 1460);
  assert.equal(get16(f, q + 20), 8080);
  assert.equal(get16(f, q + 22), 40000);
  assert.equal(get32(f, q + 24), 7_000_001);
  // Names are per wire family.
  assert.deepEqual(buildInbound(pkt('0 < icmp packet_too_big mtu 1280'), c, packetConfig()), {
    ok: false,
    error: 'unknown ICMP type: packet_too_big',
  });
});

test('ICMPv6 packet_too_big and unreachable; UDP', () => {
  const c = conn('ipv6');
  const f = build(c, '0 < icmp packet_too_big mtu 1280 [1:1461(1460)]');
  assert.equal(f[6], 58);
  assert.ok(verifyIcmpv6Checksum(f, 40, f.length - 40, checksumAddresses6(f, 0)));
  const v = new Icmpv6View();
  assert.equal(v.check(f, 40, f.length - 40), 0);
  const r = new Icmpv6Repr();
  assert.equal(r.parse(v), 0);
  assert.equal(r.mtu, 1280);
  assert.equal(get32(f, 48 + 40 + 4), 7_000_001);
  const u = build(c, '0 < icmp unreachable port_unreachable [udp(10)]');
  assert.equal(u[41], 4);
  const d = build(conn('ipv4'), '0 < udp (20)');
  assert.equal(d[9], 17);
  assert.equal(get16(d, 20), 40000);
  assert.equal(get16(d, 22), 8080);
  assert.equal(get16(d, 24), 28);
  assert.ok(verifyUdpChecksum(d, 20, 28, checksumAddresses4(get32(d, 12), get32(d, 16))));
});

test('script-space frame of an outbound line goes local → remote with values as written', () => {
  const c = conn('ipv4');
  const r = buildScriptFrame(pkt('0 > S. 0:0(0) ack 1 <mss 1460>'), c);
  assert.ok(r.ok);
  assert.equal(
    printFrame(r.frame, 0, r.frame.length, 'raw'),
    'IP 192.168.0.1.8080 > 192.0.2.1.40000: Flags [S.], seq 0, ack 1, win 0, options [mss 1460], length 0',
  );
});

test('sniff timeout: max(expected, range end) − previous event + 2 s; none for *', () => {
  const r = parseScript('0 < S 0:0(0) win 1\n+.1 > S. 0:0(0) ack 1\n+1~+1.04 > . 1:1(0) ack 1\n* > . 1:1(0) ack 1\n');
  assert.ok(r.ok);
  const [, e1, e2, e3] = r.script.events;
  const t1 = resolveTime(e1!.time, 0);
  assert.deepEqual(t1, { kind: 'exact', us: 100_000 });
  assert.equal(sniffTimeoutUs(t1, 0), 2_100_000);
  const t2 = resolveTime(e2!.time, 100_000);
  assert.deepEqual(t2, { kind: 'range', startUs: 1_100_000, endUs: 1_140_000 });
  assert.equal(sniffTimeoutUs(t2, 100_000), 3_040_000);
  assert.equal(sniffTimeoutUs(resolveTime(e3!.time, 0), 0), undefined);
});
