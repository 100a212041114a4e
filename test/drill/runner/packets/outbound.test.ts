import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Ipv4Repr } from '../../../../src/core/wire/ipv4.js';
import { Ipv6Repr } from '../../../../src/core/wire/ipv6.js';
import { checksumAddresses4, checksumAddresses6 } from '../../../../src/core/wire/pseudo.js';
import { fillTcpChecksum, TcpFlag, TcpRepr, TcpView } from '../../../../src/core/wire/tcp.js';
import type { TcpOptions } from '../../../../src/core/wire/tcp-options.js';
import { fillUdpChecksum, UdpRepr } from '../../../../src/core/wire/udp.js';
import type { PacketEvent } from '../../../../src/drill/parser/ast.js';
import { parseScript } from '../../../../src/drill/parser/index.js';
import {
  buildInbound,
  ConnState,
  type ExpectedTime,
  type LiveFrame,
  type MatchResult,
  OutboundMatcher,
  type PacketConfig,
  packetConfig,
} from '../../../../src/drill/runner/packets/index.js';

/** The packet event of a one-line script (after `pad` blank lines, to set the line number). */
function ev(line: string, pad = 0): PacketEvent {
  const r = parseScript('\n'.repeat(pad) + line + '\n', { file: 's.pkt' });
  if (!r.ok) throw new Error(r.error.message);
  const e = r.script.events[0]!;
  if (e.type !== 'packet') throw new Error('not a packet');
  return e;
}

const FLAGS: Record<string, number> = {
  F: TcpFlag.FIN,
  S: TcpFlag.SYN,
  R: TcpFlag.RST,
  P: TcpFlag.PSH,
  '.': TcpFlag.ACK,
  U: TcpFlag.URG,
  E: TcpFlag.ECE,
  W: TcpFlag.CWR,
  A: TcpFlag.AE,
};

interface LiveSpec {
  flags: string;
  seq: number;
  ack?: number;
  win?: number;
  len?: number;
  opts?: (o: TcpOptions) => void;
  tos?: number;
  ttl?: number;
  flowLabel?: number;
  sport?: number;
  dport?: number;
  fill?: number;
  badIpChecksum?: boolean;
}

/** A frame the SUT could emit on `conn` (local → remote), built with the wire reprs (hand-built). */
function live(conn: ConnState, s: LiveSpec, timeUs = 0): LiveFrame {
  const t = new TcpRepr();
  t.srcPort = s.sport ?? conn.localPort;
  t.dstPort = s.dport ?? conn.remotePort;
  t.seq = s.seq >>> 0;
  t.ack = (s.ack ?? 0) >>> 0;
  t.flags = [...s.flags].reduce((f, c) => f | FLAGS[c]!, 0);
  t.window = s.win ?? 65535;
  t.options.clear();
  s.opts?.(t.options);
  t.payloadLen = s.len ?? 0;
  const hl = conn.family === 4 ? 20 : 40;
  const l4Len = t.headerLen() + t.payloadLen;
  const frame = new Uint8Array(hl + l4Len);
  if (conn.family === 4) {
    const ip = new Ipv4Repr();
    ip.dscp = (s.tos ?? 0) >>> 2;
    ip.ecn = (s.tos ?? 0) & 3;
    ip.ttl = s.ttl ?? 64;
    ip.dontFragment = true;
    ip.protocol = 6;
    ip.src = conn.local4;
    ip.dst = conn.remote4;
    ip.payloadLen = l4Len;
    ip.emit(frame, 0);
    if (s.badIpChecksum === true) frame[10]! ^= 0xff;
  } else {
    const ip = new Ipv6Repr();
    ip.dscp = (s.tos ?? 0) >>> 2;
    ip.ecn = (s.tos ?? 0) & 3;
    ip.hopLimit = s.ttl ?? 64;
    ip.flowLabel = s.flowLabel ?? 0;
    ip.nextHeader = 6;
    ip.src.set(conn.local6);
    ip.dst.set(conn.remote6);
    ip.payloadLen = l4Len;
    ip.emit(frame, 0);
  }
  t.emit(frame, hl);
  if (s.fill !== undefined) frame[frame.length - 1] = s.fill;
  const addrs = conn.family === 4 ? checksumAddresses4(conn.local4, conn.remote4) : checksumAddresses6(frame, 0);
  fillTcpChecksum(frame, hl, l4Len, addrs);
  return { frame, timeUs };
}

/** A passive connection whose handshake is known: R = 0, L_live = 1_000_000, L_script = 0. */
function established(version: 'ipv4' | 'ipv6' = 'ipv4'): ConnState {
  const c = ConnState.forVariant(version, 8080, 40000);
  c.remoteIsn = 0;
  c.localIsnLive = 1_000_000;
  c.localIsnScript = 0;
  c.localIsnKnown = true;
  return c;
}

const AT0: ExpectedTime = { kind: 'exact', us: 0 };

function run(
  conn: ConnState,
  line: string,
  frames: LiveFrame[],
  cfg: Partial<PacketConfig> = {},
  time: ExpectedTime = AT0,
  lastUs = 0,
): MatchResult {
  const m = new OutboundMatcher(conn, packetConfig({ file: 's.pkt', ...cfg }));
  return m.match({ event: ev(line, 2), time, lastUs }, frames);
}

function errorOf(r: MatchResult): string {
  assert.equal(r.ok, false, 'expected a mismatch');
  if (r.ok || r.needMore) throw new Error('no error');
  return r.error;
}

function firstLine(r: MatchResult): string {
  return errorOf(r).split('\n')[0]!;
}

const L = 1_000_000;

test('§6.7 server example: SYN-ACK matches any live ISN, then the ACK is injected with ack = L_live + 1', () => {
  const c = ConnState.forVariant('ipv4', 8080, 40000);
  // `< S 0:0(0)` made R = 0.
  c.remoteIsn = 0;
  const r = run(c, '0 > S. 0:0(0) ack 1', [live(c, { flags: 'S.', seq: 0xdeadbeef, ack: 1 })]);
  assert.deepEqual(r, { ok: true, consumed: 1, liveTimeUs: 0 });
  assert.equal(c.localIsnLive, 0xdeadbeef);
  assert.equal(c.localIsnScript, 0);
  const b = buildInbound(ev('0 < . 1:1(0) ack 1 win 257').packet, c, packetConfig());
  assert.ok(b.ok);
  const t = new TcpRepr();
  const v = new TcpView();
  assert.equal(v.check(b.frame, 20, b.frame.length - 20), 0);
  t.parse(v);
  assert.equal(t.seq, 1);
  assert.equal(t.ack, (0xdeadbeef + 1) >>> 0);
});

test('§6.7 fastopen example: absolute SYN-ACK numbers, then seq = R + 1 and ack = L_live + 1', () => {
  const c = ConnState.forVariant('ipv6', 8080, 40000);
  c.remoteIsn = 999000;
  const syn = buildInbound(ev('0 < S 999000:999040(40) win 65535').packet, c, packetConfig());
  assert.ok(syn.ok);
  const v = new TcpView();
  const t = new TcpRepr();
  v.check(syn.frame, 40, syn.frame.length - 40);
  t.parse(v);
  assert.equal(t.seq, 999000);
  assert.equal(t.payloadLen, 40);
  const r = run(c, '0 > S. 1234:1234(0) ack 999001', [live(c, { flags: 'S.', seq: 5555, ack: 999001 })]);
  assert.equal(r.ok, true);
  assert.equal(c.localIsnScript, 1234);
  assert.equal(c.localIsnLive, 5555);
  const ack = buildInbound(ev('0 < . 1:1(0) ack 1 win 257').packet, c, packetConfig());
  assert.ok(ack.ok);
  v.check(ack.frame, 40, ack.frame.length - 40);
  t.parse(v);
  assert.equal(t.seq, 999001);
  assert.equal(t.ack, 5556);
  // Later data is relative to the ISN whatever L_script was: the first byte is 1.
  assert.equal(run(c, '0 > P. 1:11(10) ack 1', [live(c, { flags: 'P.', seq: 5556, ack: 999001, len: 10 })]).ok, true);
});

test('tcp_seq mismatch: packetdrill message with script and actual packet lines', () => {
  const c = established();
  const r = run(c, '0 > P. 1:11(10) ack 1 win 100', [live(c, { flags: 'P.', seq: L + 1001, ack: 1, win: 100, len: 10 }, 1000)]);
  const lines = errorOf(r).split('\n');
  assert.equal(lines[0], 's.pkt:3: error handling packet: live packet field tcp_seq: expected: 1 (0x1) vs actual: 1001 (0x3e9)');
  assert.match(lines[1]!, /^script packet: {2}0\.000000 IP 192\.168\.0\.1\.8080 > 192\.0\.2\.1\.40000: Flags \[P\.\], seq 1:11, ack 1, win 100, length 10$/);
  assert.match(lines[2]!, /^actual packet: {2}0\.001000 IP .*Flags \[P\.\], seq 1001:1011, ack 1, win 100, length 10$/);
  if (!r.ok && !r.needMore) assert.equal(r.consumed, 1);
});

test('ack is always compared, window only when written, urg pointer', () => {
  const c = established();
  assert.equal(
    firstLine(run(c, '0 > . 1:1(0) ack 5', [live(c, { flags: '.', seq: L + 1, ack: 6 })])),
    's.pkt:3: error handling packet: live packet field tcp_ack_seq: expected: 5 (0x5) vs actual: 6 (0x6)',
  );
  // RST without ACK: the raw ack is compared with 0.
  assert.match(firstLine(run(c, '0 > R 1:1(0)', [live(c, { flags: 'R', seq: L + 1, ack: 7 })])), /tcp_ack_seq: expected: 0 \(0x0\) vs actual: 7/);
  assert.equal(run(c, '0 > . 1:1(0) ack 1', [live(c, { flags: '.', seq: L + 1, ack: 1, win: 1234 })]).ok, true);
  assert.match(
    firstLine(run(c, '0 > . 1:1(0) ack 1 win 1000', [live(c, { flags: '.', seq: L + 1, ack: 1, win: 1234 })])),
    /live packet field tcp_window: expected: 1000 \(0x3e8\) vs actual: 1234 \(0x4d2\)$/,
  );
});

test('flags: FIN, SYN, RST, PSH, ACK; ECE and AE always; CWR; ACE digit', () => {
  const c = established();
  const cases: [string, string, string][] = [
    ['0 > F. 1:1(0) ack 1', '.', 'tcp_fin: expected: 1 (0x1) vs actual: 0 (0x0)'],
    ['0 > . 1:1(0) ack 1', 'P.', 'tcp_psh: expected: 0 (0x0) vs actual: 1 (0x1)'],
    ['0 > . 1:1(0) ack 1', 'R.', 'tcp_rst: expected: 0 (0x0) vs actual: 1 (0x1)'],
    ['0 > . 1:1(0) ack 1', '.E', 'tcp_ece: expected: 0 (0x0) vs actual: 1 (0x1)'],
    ['0 > . 1:1(0) ack 1', '.W', 'tcp_cwr: expected: 0 (0x0) vs actual: 1 (0x1)'],
    ['0 > . 1:1(0) ack 1', '.A', 'tcp_ae: expected: 0 (0x0) vs actual: 1 (0x1)'],
    ['0 > .5 1:1(0) ack 1', '.E', 'tcp_ace: expected: 5 (0x5) vs actual: 1 (0x1)'],
  ];
  for (const [line, flags, msg] of cases) {
    const seq = flags.includes('S') ? L : L + 1;
    assert.equal(firstLine(run(c, line, [live(c, { flags, seq, ack: 1 })])), `s.pkt:3: error handling packet: live packet field ${msg}`, line);
  }
  assert.equal(run(c, '0 > .5 1:1(0) ack 1', [live(c, { flags: '.EA', seq: L + 1, ack: 1 })]).ok, true);
});

test('options: kinds in order, byte-exact values, wscale *, <...>, data offset first', () => {
  const c = established();
  c.localIsnKnown = false;
  const synack = (o: TcpOptions) => {
    o.addMss(1460);
    o.addNop();
    o.addNop();
    o.addSackPermitted();
    o.addNop();
    o.addWindowScale(7);
  };
  const line = '0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>';
  assert.match(firstLine(run(c, line, [live(c, { flags: 'S.', seq: 77, ack: 1, opts: synack })])), /bad value outbound TCP option 3$/);
  assert.equal(run(c, '0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale *>', [live(c, { flags: 'S.', seq: 77, ack: 1, opts: synack })]).ok, true);
  assert.match(
    firstLine(run(c, '0 > S. 0:0(0) ack 1 <mss 1460,sackOK,nop,nop,nop,wscale 7>', [live(c, { flags: 'S.', seq: 77, ack: 1, opts: synack })])),
    /: bad outbound TCP options$/,
  );
  assert.equal(run(c, '0 > S. 0:0(0) ack 1 <...>', [live(c, { flags: 'S.', seq: 77, ack: 1, opts: synack })]).ok, true);
  assert.match(
    firstLine(run(c, '0 > S. 0:0(0) ack 1', [live(c, { flags: 'S.', seq: 77, ack: 1, opts: synack })])),
    /live packet field ipv4_total_length: expected: 40 \(0x28\) vs actual: 52 \(0x34\)$/,
  );
  assert.match(
    firstLine(run(c, '0 > S. 0:0(0) ack 1 <mss 1000,nop,nop,sackOK,nop,wscale 7>', [live(c, { flags: 'S.', seq: 77, ack: 1, opts: synack })])),
    /bad value outbound TCP option 2$/,
  );
});

test('SACK blocks are mapped to script space (ack − R) before the byte compare', () => {
  const c = established();
  c.remoteIsn = 5000;
  const opts = (o: TcpOptions) => {
    o.addNop();
    o.addNop();
    o.addSack([5000 + 1001, 5000 + 2001]);
  };
  assert.equal(run(c, '0 > . 1:1(0) ack 1 <nop,nop,sack 1001:2001>', [live(c, { flags: '.', seq: L + 1, ack: 5001, opts })]).ok, true);
  assert.match(
    firstLine(run(c, '0 > . 1:1(0) ack 1 <nop,nop,sack 1001:2002>', [live(c, { flags: '.', seq: L + 1, ack: 5001, opts })])),
    /bad value outbound TCP option 5$/,
  );
});

test('TS: val rewritten relative to the first outbound TS, checked only with --tcp_ts_tick_usecs; ecr never', () => {
  const c = established();
  const ts = (val: number, ecr: number) => (o: TcpOptions) => {
    o.addNop();
    o.addNop();
    o.addTimestamps(val, ecr);
  };
  const cfg = { tcpTsTickUsecs: 1000 };
  assert.equal(run(c, '0 > . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 50>', [live(c, { flags: '.', seq: L + 1, ack: 1, opts: ts(777777, 9) })], cfg).ok, true);
  assert.equal(c.firstScriptTsVal, 100);
  assert.equal(c.firstLiveTsVal, 777777);
  // 10 ticks later in both: exact.
  assert.equal(run(c, '0 > . 1:1(0) ack 1 <nop,nop,TS val 110 ecr 0>', [live(c, { flags: '.', seq: L + 1, ack: 1, opts: ts(777787, 1) })], cfg).ok, true);
  // 4 ticks off = 4000 µs: at the edge of the 4000 µs tolerance.
  assert.equal(run(c, '0 > . 1:1(0) ack 1 <nop,nop,TS val 110 ecr 0>', [live(c, { flags: '.', seq: L + 1, ack: 1, opts: ts(777791, 1) })], cfg).ok, true);
  assert.match(
    firstLine(run(c, '0 > . 1:1(0) ack 1 <nop,nop,TS val 110 ecr 0>', [live(c, { flags: '.', seq: L + 1, ack: 1, opts: ts(777792, 1) })], cfg)),
    /: bad outbound TCP timestamp value, tolerance 4000$/,
  );
  // The tolerance grows with the event time since the script start (12.5% of 1 s).
  assert.equal(
    run(c, '0 > . 1:1(0) ack 1 <nop,nop,TS val 110 ecr 0>', [live(c, { flags: '.', seq: L + 1, ack: 1, opts: ts(777900, 1) }, 1_000_000)], cfg, { kind: 'exact', us: 1_000_000 }, 1_000_000).ok,
    true,
  );
  // Without a tick, any val is accepted.
  assert.equal(run(c, '0 > . 1:1(0) ack 1 <nop,nop,TS val 110 ecr 0>', [live(c, { flags: '.', seq: L + 1, ack: 1, opts: ts(1, 1) })]).ok, true);
});

test('TS map round trip: inbound ecr echoes the live val recorded for that script val', () => {
  const c = established();
  const opts = (o: TcpOptions) => {
    o.addNop();
    o.addNop();
    o.addTimestamps(424242, 0);
  };
  assert.equal(run(c, '0 > . 1:1(0) ack 1 <nop,nop,TS val 300 ecr 0>', [live(c, { flags: '.', seq: L + 1, ack: 1, opts })]).ok, true);
  const tsOf = (frame: Uint8Array) => {
    const v = new TcpView();
    v.check(frame, 20, frame.length - 20);
    const t = new TcpRepr();
    t.parse(v);
    return [t.options.tsVal, t.options.tsEcr];
  };
  const ok = buildInbound(ev('0 < . 1:1(0) ack 1 win 257 <nop,nop,TS val 9 ecr 300>').packet, c, packetConfig());
  assert.ok(ok.ok);
  assert.deepEqual(tsOf(ok.frame), [9, 424242]);
  const bad = buildInbound(ev('0 < . 1:1(0) ack 1 win 257 <nop,nop,TS val 9 ecr 301>').packet, c, packetConfig());
  assert.deepEqual(bad, {
    ok: false,
    error: 'unable to infer live TS ecr for script TS ecr 301;  no matching or preceding outbound TS val',
  });
  const scaled = buildInbound(ev('0 < . 1:1(0) ack 1 win 257 <nop,nop,TS val 9 ecr 305>').packet, c, packetConfig({ tcpTsEcrScaled: true }));
  assert.ok(scaled.ok);
  assert.deepEqual(tsOf(scaled.frame), [9, 424247]);
  // A SYN (no ACK) keeps its ecr as written.
  const syn = buildInbound(ev('0 < S 0:0(0) win 257 <TS val 9 ecr 12345,nop,nop>').packet, c, packetConfig());
  assert.ok(syn.ok);
  assert.deepEqual(tsOf(syn.frame), [9, 12345]);
});

test('IP fields: ECN/TOS and TTL only when annotated; IPv4 header checksum', () => {
  const c = established();
  const base = { flags: '.', seq: L + 1, ack: 1 };
  assert.equal(run(c, '0 > . 1:1(0) ack 1', [live(c, { ...base, tos: 0xff, ttl: 3 })]).ok, true);
  assert.match(firstLine(run(c, '0 > [ect0] . 1:1(0) ack 1', [live(c, { ...base, tos: 0 })])), /live packet field ip_ecn: expected: 2 \(0x2\) vs actual: 0 \(0x0\)$/);
  assert.equal(run(c, '0 > [ect0] . 1:1(0) ack 1', [live(c, { ...base, tos: 0x12 })]).ok, true);
  assert.equal(run(c, '0 > [ect01] . 1:1(0) ack 1', [live(c, { ...base, tos: 1 })]).ok, true);
  assert.match(firstLine(run(c, '0 > [ect01] . 1:1(0) ack 1', [live(c, { ...base, tos: 3 })])), /live packet field ip_ecn: expected: 0x1 or 0x2 vs actual: 0x3$/);
  assert.match(firstLine(run(c, '0 > (tos 0x10) . 1:1(0) ack 1', [live(c, { ...base, tos: 0x12 })])), /live packet field tos: expected: 16 \(0x10\) vs actual: 18 \(0x12\)$/);
  assert.match(firstLine(run(c, '0 > (ttl 64) . 1:1(0) ack 1', [live(c, { ...base, ttl: 63 })])), /live packet field ttl: expected: 64 \(0x40\) vs actual: 63 \(0x3f\)$/);
  assert.equal(run(c, '0 > (ttl 255) . 1:1(0) ack 1', [live(c, { ...base, ttl: 63 })]).ok, true);
  assert.match(firstLine(run(c, '0 > . 1:1(0) ack 1', [live(c, { ...base, badIpChecksum: true })])), /: bad outbound IP checksum$/);
});

test('IPv6 flow label: 0 = no check, then pairing of script and live labels', () => {
  const c = established('ipv6');
  const base = { flags: '.', seq: L + 1, ack: 1 };
  assert.equal(run(c, '0 > . 1:1(0) ack 1', [live(c, { ...base, flowLabel: 0 })]).ok, true);
  assert.match(firstLine(run(c, '0 > [flowlabel 0x1] . 1:1(0) ack 1', [live(c, { ...base, flowLabel: 0 })])), /flowlabel unmarked in the live packet$/);
  assert.equal(run(c, '0 > [flowlabel 0x1] . 1:1(0) ack 1', [live(c, { ...base, flowLabel: 0xabc })]).ok, true);
  assert.equal(run(c, '0 > [flowlabel 0x1] . 1:1(0) ack 1', [live(c, { ...base, flowLabel: 0xabc })]).ok, true);
  assert.match(
    firstLine(run(c, '0 > [flowlabel 0x1] . 1:1(0) ack 1', [live(c, { ...base, flowLabel: 0xabd })])),
    /inconsistent flowlabels for this packet: expected: 0xabc vs actual: 0xabd$/,
  );
  assert.match(
    firstLine(run(c, '0 > [flowlabel 0x2] . 1:1(0) ack 1', [live(c, { ...base, flowLabel: 0xabc })])),
    /expected a different flowlabel but got the same$/,
  );
  assert.equal(run(c, '0 > [flowlabel 0x2] . 1:1(0) ack 1', [live(c, { ...base, flowLabel: 0x777 })]).ok, true);
  assert.equal(c.flowLabelLive, 0x777);
});

test('payload must be zeros; header layer types are compared', () => {
  const c = established();
  assert.match(firstLine(run(c, '0 > P. 1:11(10) ack 1', [live(c, { flags: 'P.', seq: L + 1, ack: 1, len: 10, fill: 1 })])), /: incorrect outbound data payload$/);
  // A UDP datagram on the same ports where TCP is expected.
  const u = new UdpRepr();
  u.srcPort = 8080;
  u.dstPort = 40000;
  u.payloadLen = 0;
  const ip = new Ipv4Repr();
  ip.protocol = 17;
  ip.src = c.local4;
  ip.dst = c.remote4;
  ip.payloadLen = 8;
  const f = new Uint8Array(28);
  ip.emit(f, 0);
  u.emit(f, 20);
  fillUdpChecksum(f, 20, 8, checksumAddresses4(c.local4, c.remote4));
  assert.match(firstLine(run(c, '0 > . 1:1(0) ack 1', [{ frame: f, timeUs: 0 }])), /: live packet header layer 1: expected: TCP header vs actual: UDP header$/);
});

test('frames of other sockets are skipped and consumed; an empty FIFO asks for more', () => {
  const c = established();
  const other = live(c, { flags: '.', seq: 1, ack: 1, sport: 9999 });
  const r = run(c, '0 > . 1:1(0) ack 1', [other, other, live(c, { flags: '.', seq: L + 1, ack: 1 }, 5)]);
  assert.deepEqual(r, { ok: true, consumed: 3, liveTimeUs: 5 });
  assert.deepEqual(run(c, '0 > . 1:1(0) ack 1', [other]), { ok: false, needMore: true, consumed: 1 });
  assert.deepEqual(run(c, '0 > . 1:1(0) ack 1', []), { ok: false, needMore: true, consumed: 0 });
});

test('active open: the local port and L_live are learned from the SYN', () => {
  const c = ConnState.forVariant('ipv4', 0, 8080);
  const r = run(c, '0 > S 0:0(0) <mss 1460>', [live(c, { flags: 'S', seq: 4242, sport: 51000, opts: (o) => o.addMss(1460) })]);
  assert.equal(r.ok, true);
  assert.equal(c.localPort, 51000);
  assert.equal(c.localIsnLive, 4242);
  assert.equal(run(c, '0 > . 1:1(0) ack 1', [live(c, { flags: '.', seq: 4243, ack: 1, sport: 51000 })]).ok, true);
});

function mssTrain(c: ConnState, sizes: number[], flags: (i: number) => string, t0 = 0): LiveFrame[] {
  let seq = L + 1;
  return sizes.map((len, i) => {
    const f = live(c, { flags: flags(i), seq, ack: 1, len }, t0 + i);
    seq += len;
    return f;
  });
}

test('aggregation: a 10000-byte scripted segment matches 7 MSS segments, PSH from the last', () => {
  const c = established();
  const sizes = [1460, 1460, 1460, 1460, 1460, 1460, 1240];
  const train = mssTrain(c, sizes, (i) => (i === 6 ? 'P.' : '.'));
  assert.deepEqual(run(c, '0 > P. 1:10001(10000) ack 1', train), { ok: true, consumed: 7, liveTimeUs: 6 });
  // Fewer segments than needed: wait for more, consuming nothing.
  assert.deepEqual(run(c, '0 > P. 1:10001(10000) ack 1', train.slice(0, 3)), { ok: false, needMore: true, consumed: 0 });
  // PSH on the first fragment only: the aggregate has the last fragment's flags.
  const pshFirst = mssTrain(c, sizes, (i) => (i === 0 ? 'P.' : '.'));
  assert.match(firstLine(run(c, '0 > P. 1:10001(10000) ack 1', pshFirst)), /live packet field tcp_psh: expected: 1 \(0x1\) vs actual: 0 \(0x0\)$/);
  // CWR comes from the first fragment.
  const cwrFirst = mssTrain(c, sizes, (i) => (i === 0 ? '.W' : i === 6 ? 'P.' : '.'));
  assert.equal(run(c, '0 > PW. 1:10001(10000) ack 1', cwrFirst).ok, true);
});

test('aggregation errors: unequal fragment sizes, overshoot, gaps, --strict_segments', () => {
  const c = established();
  const uneven = mssTrain(c, [1460, 1000, 1460], () => '.');
  const r = run(c, '0 > . 1:10001(10000) ack 1', uneven);
  const lines = errorOf(r).split('\n');
  assert.equal(
    lines[0],
    's.pkt:3: error handling packet: fragment payload: expected 1460 bytes vs actual 1000 bytes; total payload: expected 10000 bytes vs actual 2460 bytes',
  );
  assert.match(lines[1]!, /^ {3}script packet: /);
  assert.match(lines[2]!, /^actual #0 packet: /);
  assert.match(lines[3]!, /^actual #1 packet: /);
  const over = mssTrain(c, [1460, 1460, 1460, 1460, 1460, 1460, 1460], () => '.');
  assert.equal(firstLine(run(c, '0 > . 1:10001(10000) ack 1', over)), 's.pkt:3: error handling packet: live packet payload: expected 10000 bytes vs actual 10220 bytes');
  const gap = mssTrain(c, [1460, 1460], () => '.');
  gap[1] = live(c, { flags: '.', seq: L + 1 + 1460 + 1, ack: 1, len: 1460 });
  assert.match(firstLine(run(c, '0 > . 1:2921(2920) ack 1', gap)), /live packet field tcp_seq: expected: 1001461 \(0xf47f5\) vs actual: 1001462 \(0xf47f6\)$/);
  assert.equal(
    firstLine(run(c, '0 > . 1:10001(10000) ack 1', mssTrain(c, [1460, 1460], () => '.'), { strictSegments: true })),
    's.pkt:3: error handling packet: live packet payload: expected 10000 bytes vs actual 1460 bytes',
  );
  // FIN differs between fragments without an error (non-strict compare); the window may not.
  const win = mssTrain(c, [1460, 1460], () => '.');
  win[1] = live(c, { flags: '.', seq: L + 1461, ack: 1, len: 1460, win: 1 });
  assert.match(firstLine(run(c, '0 > . 1:2921(2920) ack 1', win)), /live packet field tcp_window: expected: 65535 \(0xffff\) vs actual: 1 \(0x1\)$/);
});

test('timing: tolerance_usecs and tolerance_percent edges, ranges and *', () => {
  const c = established();
  const at = (us: number) => [live(c, { flags: '.', seq: L + 1, ack: 1 }, us)];
  const line = '0 > . 1:1(0) ack 1';
  // Expected at 0.1 s after an event at 0: tol = max(4000, 12.5% of 100000) = 12500.
  const t: ExpectedTime = { kind: 'exact', us: 100_000 };
  assert.equal(run(c, line, at(112_500), {}, t, 0).ok, true);
  assert.equal(run(c, line, at(87_500), {}, t, 0).ok, true);
  assert.equal(
    firstLine(run(c, line, at(112_501), {}, t, 0)),
    's.pkt:3: error handling packet: timing error: expected outbound packet at 0.100000 sec but happened at 0.112501 sec; tolerance 0.012500 sec',
  );
  // Small gap: the 4000 µs floor applies.
  const t2: ExpectedTime = { kind: 'exact', us: 110_000 };
  assert.equal(run(c, line, at(114_000), {}, t2, 100_000).ok, true);
  assert.equal(run(c, line, at(114_001), {}, t2, 100_000).ok, false);
  assert.equal(run(c, line, at(114_001), { toleranceUsecs: 5000 }, t2, 100_000).ok, true);
  const range: ExpectedTime = { kind: 'range', startUs: 2_000_000, endUs: 2_040_000 };
  assert.equal(run(c, line, at(2_040_000 + 250_000), {}, range, 0).ok, true);
  assert.equal(
    firstLine(run(c, line, at(2_040_000 + 250_001), {}, range, 0)),
    's.pkt:3: error handling packet: timing error: expected outbound packet in time range 2.000000~2.040000 sec but happened at 2.290001 sec',
  );
  assert.equal(run(c, line, at(99_000_000), {}, { kind: 'any' }, 0).ok, true);
});

test('--non_fatal=packet turns mismatches into warnings, but not payload-length errors', () => {
  const c = established();
  const r = run(c, '0 > . 1:1(0) ack 2', [live(c, { flags: '.', seq: L + 1, ack: 1 })], { nonFatalPacket: true });
  assert.ok(!r.ok && !r.needMore);
  assert.equal(r.warning, true);
  assert.match(r.error, /^s\.pkt:3: warning handling packet: live packet field tcp_ack_seq/);
  const r2 = run(c, '0 > . 1:11(10) ack 1', [live(c, { flags: '.', seq: L + 1, ack: 1, len: 5 })], { nonFatalPacket: true, strictSegments: true });
  assert.ok(!r2.ok && !r2.needMore);
  assert.equal(r2.warning, false);
});

test('urg pointer; options bytes standing in for payload are a payload-length error first', () => {
  const c = established();
  assert.equal(
    firstLine(run(c, '0 > . 1:1(0) ack 1 <mss 1460>', [live(c, { flags: '.', seq: L + 1, ack: 1, len: 4 })])),
    's.pkt:3: error handling packet: live packet payload: expected 0 bytes vs actual 4 bytes',
  );
  const urg = live(c, { flags: 'U.', seq: L + 1, ack: 1 });
  urg.frame[20 + 19] = 7;
  assert.match(firstLine(run(c, '0 > U. 1:1(0) ack 1 urg 8', [urg])), /tcp_urg_ptr: expected: 8 \(0x8\) vs actual: 7 \(0x7\)$/);
});

test('UDP and ICMP outbound lines', () => {
  const c = established();
  const udp = (len: number): LiveFrame => {
    const u = new UdpRepr();
    u.srcPort = 8080;
    u.dstPort = 40000;
    u.payloadLen = len;
    const ip = new Ipv4Repr();
    ip.protocol = 17;
    ip.src = c.local4;
    ip.dst = c.remote4;
    ip.payloadLen = 8 + len;
    const f = new Uint8Array(28 + len);
    ip.emit(f, 0);
    u.emit(f, 20);
    fillUdpChecksum(f, 20, 8 + len, checksumAddresses4(c.local4, c.remote4));
    return { frame: f, timeUs: 0 };
  };
  assert.equal(run(c, '0 > udp (10)', [udp(10)]).ok, true);
  assert.match(firstLine(run(c, '0 > udp (10)', [udp(12)], { strictSegments: true })), /live packet payload: expected 10 bytes vs actual 12 bytes$/);
  const icmp = new Uint8Array(28);
  const ip = new Ipv4Repr();
  ip.protocol = 1;
  ip.src = c.local4;
  ip.dst = c.remote4;
  ip.payloadLen = 8;
  ip.emit(icmp, 0);
  icmp[20] = 8;
  assert.equal(run(c, '0 > icmp echo_request', [{ frame: icmp, timeUs: 0 }]).ok, true);
  assert.match(
    firstLine(run(c, '0 > icmp echo_reply', [{ frame: icmp, timeUs: 0 }])),
    /live packet field icmp_type: expected: 0 \(0x0\) vs actual: 8 \(0x8\)$/,
  );
});

test('random and mutated frames never throw: the matcher always returns a value', () => {
  const c = established();
  const good = live(c, { flags: 'P.', seq: L + 1, ack: 1, len: 10, opts: (o) => o.addMss(1460) }).frame;
  const lines = ['0 > P. 1:11(10) ack 1 <mss 1460>', '0 > . 1:1(0) ack 1 <...>', '0 > udp (10)', '0 > icmp echo_request'];
  const events = lines.map((l) => ev(l));
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 80 }),
        fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(good.length)).map(([i, b, cut]) => {
          const m = good.slice(0, Math.max(cut, 1));
          if (i < m.length) m[i] = b;
          return m;
        }),
      ),
      fc.nat(events.length - 1),
      (bytes, k) => {
        const m = new OutboundMatcher(established(), packetConfig());
        const r = m.match({ event: events[k]!, time: AT0, lastUs: 0 }, [{ frame: bytes, timeUs: 0 }]);
        assert.equal(typeof r.ok, 'boolean');
      },
    ),
    { numRuns: 3000 },
  );
});
