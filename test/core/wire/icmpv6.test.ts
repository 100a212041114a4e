import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DropReason } from '../../../src/core/wire/drop.js';
import {
  fillIcmpv6Checksum,
  ICMPV6_HEADER_LEN,
  Icmpv6ParamProblem,
  Icmpv6Repr,
  Icmpv6TimeExceeded,
  Icmpv6Type,
  Icmpv6Unreachable,
  Icmpv6View,
  isIcmpv6Error,
  verifyIcmpv6Checksum,
} from '../../../src/core/wire/icmpv6.js';
import { checksumAddresses4, checksumAddresses6 } from '../../../src/core/wire/pseudo.js';

/** Bytes from a hex string, followed by `zeros` zero bytes. */
function hexBytes(hex: string, zeros = 0): Uint8Array {
  const out = new Uint8Array(hex.length / 2 + zeros);
  for (let i = 0; i < hex.length / 2; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// Golden packets: whole IPv6 packets (40-byte header, then ICMPv6), captured on this machine.
//
// `tcpdump -i lo -w lo6.pcap icmp6` while running `ping -6 -c1 -s 16 ::1`.
const ECHO_REQUEST = hexBytes(
  '600c3b6e00183a40000000000000000000000000000000010000000000000000' +
    '00000000000000018000c94824da0001a662026b00000000e5b9030000000000',
);
const ECHO_REPLY = hexBytes(
  '60035a9000183a40000000000000000000000000000000010000000000000000' +
    '00000000000000018100c84824da0001a662026b00000000e5b9030000000000',
);
// `tcpdump -i lo icmp6` while python3 sent b'hello' over UDP to [::1]:9 (closed). The quoted UDP
// checksum (0x0020) is loopback's unfilled partial sum; the ICMPv6 checksum is complete.
const PORT_UNREACHABLE_LO = hexBytes(
  '6000b560003d3a40000000000000000000000000000000010000000000000000' +
    '0000000000000001010413020000000060015df5000d11400000000000000000' +
    '000000000000000100000000000000000000000000000001d8320009000d0020' +
    '68656c6c6f',
);
// Three network namespaces A (fd00:1::2) -- R -- B (fd00:2::2) over veth pairs (tx checksum offload
// off, R forwarding, R-B link MTU 1280), captured with `tcpdump -i icR0` in R:
// `ping -6 -c1 -s 8 -t 1 fd00:2::2` from A: R answers hop limit exceeded.
const TIME_EXCEEDED = hexBytes(
  '600b62d500403a40fd000001000000000000000000000001fd00000100000000' +
    '00000000000000020300333300000000600f357500103a01fd00000100000000' +
    '0000000000000002fd0000020000000000000000000000028000519a28010001' +
    '0001020304050607',
);
// 1300 zero bytes over UDP from A to [fd00:2::2]:9 with IPV6_PMTUDISC_DO: R answers packet too
// big, MTU 1280, quoting 1232 bytes (1280-byte packet). The last 1184 bytes captured were zeros (the
// rest of the UDP payload) and are appended as zeros here.
const PACKET_TOO_BIG = hexBytes(
  '600197a604d83a40fd000001000000000000000000000001fd00000100000000' +
    '00000000000000020200eef400000500600799bb051c1140fd00000100000000' +
    '0000000000000002fd000002000000000000000000000002803e0009051c7b66',
  1184,
);
// b'hi' over UDP from A to [fd00:2::2]:9 (closed): B answers port unreachable through R.
const PORT_UNREACHABLE = hexBytes(
  '6002ab27003a3a3ffd000002000000000000000000000002fd00000100000000' +
    '000000000000000201048c8200000000600f06bf000a113ffd00000100000000' +
    '0000000000000002fd000002000000000000000000000002d84b0009000ac513' +
    '6869',
);

const IP = 40;
const GOLDEN = [
  ECHO_REQUEST,
  ECHO_REPLY,
  PORT_UNREACHABLE_LO,
  TIME_EXCEEDED,
  PACKET_TOO_BIG,
  PORT_UNREACHABLE,
];

function viewOf(pkt: Uint8Array): Icmpv6View {
  const v = new Icmpv6View();
  assert.equal(v.check(pkt, IP, pkt.length - IP), DropReason.Ok);
  return v;
}

function parseOf(pkt: Uint8Array): Icmpv6Repr {
  const r = new Icmpv6Repr();
  assert.equal(r.parse(viewOf(pkt)), DropReason.Ok);
  return r;
}

describe('icmpv6 golden bytes', () => {
  test('captured checksums verify and every message re-emits identically', () => {
    for (const pkt of GOLDEN) {
      const a = checksumAddresses6(pkt, 0);
      assert.equal(pkt.length - IP, (pkt[4]! << 8) | pkt[5]!);
      assert.ok(verifyIcmpv6Checksum(pkt, IP, pkt.length - IP, a));
      const r = parseOf(pkt);
      const copy = pkt.slice();
      copy.fill(0xee, IP, IP + ICMPV6_HEADER_LEN);
      assert.equal(r.emit(copy, IP), ICMPV6_HEADER_LEN);
      fillIcmpv6Checksum(copy, IP, copy.length - IP, checksumAddresses6(copy, 0));
      assert.deepEqual(copy, pkt);
    }
  });

  test('echo request and reply', () => {
    const v = viewOf(ECHO_REQUEST);
    assert.equal(v.type, Icmpv6Type.EchoRequest);
    assert.equal(v.identifier, 0x24da);
    assert.equal(v.dataOffset, 48);
    assert.equal(v.dataLength, 16);
    assert.deepEqual(
      { ...parseOf(ECHO_REQUEST) },
      { type: 128, code: 0, identifier: 0x24da, sequence: 1, mtu: 0, pointer: 0, dataLen: 16 },
    );
    assert.ok(new Icmpv6Repr().setEcho(Icmpv6Type.EchoReply, 0x24da, 1, 16).equals(parseOf(ECHO_REPLY)));
  });

  test('port unreachable quotes the invoking packet', () => {
    for (const pkt of [PORT_UNREACHABLE_LO, PORT_UNREACHABLE]) {
      const v = viewOf(pkt);
      const r = parseOf(pkt);
      assert.equal(r.type, Icmpv6Type.DestUnreachable);
      assert.equal(r.code, Icmpv6Unreachable.PortUnreachable);
      assert.equal(v.quotedOffset, 48);
      assert.equal(v.quotedLength, pkt.length - 48);
      assert.equal(pkt[v.quotedOffset + 6], 17); // quoted next header: UDP
      assert.equal(pkt[v.quotedOffset + 40 + 3], 9); // quoted destination port
    }
  });

  test('time exceeded and packet too big', () => {
    assert.ok(
      new Icmpv6Repr()
        .setError(Icmpv6Type.TimeExceeded, Icmpv6TimeExceeded.HopLimitExceeded, 56)
        .equals(parseOf(TIME_EXCEEDED)),
    );
    const ptb = parseOf(PACKET_TOO_BIG);
    assert.equal(viewOf(PACKET_TOO_BIG).mtu, 1280);
    assert.ok(new Icmpv6Repr().setError(Icmpv6Type.PacketTooBig, 0, 1232, 1280).equals(ptb));
  });
});

describe('icmpv6 drops', () => {
  test('view: too short or out of bounds', () => {
    const v = new Icmpv6View();
    assert.equal(v.check(ECHO_REQUEST, IP, 7), DropReason.IcmpTruncated);
    assert.equal(v.check(ECHO_REQUEST, IP, ECHO_REQUEST.length), DropReason.Truncated);
    assert.equal(v.check(ECHO_REQUEST, -4, 8), DropReason.Truncated);
    assert.equal(v.check(ECHO_REQUEST, IP, 8), DropReason.Ok);
  });

  test('unknown and NDP types: repr refuses, view still reads', () => {
    for (const type of [0, 5, 127, 130, 133, 137, 200, 255]) {
      const pkt = hexBytes('0000000001020304', 8);
      pkt[0] = type;
      const v = new Icmpv6View();
      assert.equal(v.check(pkt, 0, pkt.length), DropReason.Ok);
      assert.equal(new Icmpv6Repr().parse(v), DropReason.IcmpUnknownType);
      assert.equal(v.type, type);
      assert.equal(v.messageWord, 0x01020304);
      assert.equal(v.dataLength, 8);
    }
  });

  test('codes outside the assigned ranges', () => {
    const cases: [number, number][] = [
      [Icmpv6Type.EchoRequest, 1],
      [Icmpv6Type.EchoReply, 1],
      [Icmpv6Type.DestUnreachable, Icmpv6Unreachable.HeadersTooLong + 1],
      [Icmpv6Type.TimeExceeded, 2],
      [Icmpv6Type.ParamProblem, Icmpv6ParamProblem.OptionTooBig + 1],
    ];
    for (const [type, code] of cases) {
      const pkt = TIME_EXCEEDED.slice(IP);
      pkt[0] = type;
      pkt[1] = code;
      const v = new Icmpv6View();
      assert.equal(v.check(pkt, 0, pkt.length), DropReason.Ok);
      assert.equal(new Icmpv6Repr().parse(v), DropReason.IcmpBadCode, `type ${type} code ${code}`);
      pkt[1] = code - 1;
      assert.equal(new Icmpv6Repr().parse(v), DropReason.Ok, `type ${type} code ${code - 1}`);
    }
  });

  test('packet too big ignores its code (RFC 4443 3.2) but keeps it', () => {
    const pkt = PACKET_TOO_BIG.slice(IP);
    pkt[1] = 77;
    const v = new Icmpv6View();
    assert.equal(v.check(pkt, 0, pkt.length), DropReason.Ok);
    const r = new Icmpv6Repr();
    assert.equal(r.parse(v), DropReason.Ok);
    assert.equal(r.code, 77);
    assert.equal(r.mtu, 1280);
  });

  test('errors must quote a whole IPv6 header', () => {
    const msg = PORT_UNREACHABLE.slice(IP);
    const v = new Icmpv6View();
    const r = new Icmpv6Repr();
    assert.equal(v.check(msg, 0, 8 + 39), DropReason.Ok);
    assert.equal(r.parse(v), DropReason.IcmpTruncated);
    assert.equal(v.check(msg, 0, 8 + 40), DropReason.Ok);
    assert.equal(r.parse(v), DropReason.Ok);
    msg[8] = 0x45;
    assert.equal(r.parse(v), DropReason.BadVersion);
  });

  test('parameter problem pointer is 32 bits', () => {
    const msg = PORT_UNREACHABLE.slice(IP);
    msg[0] = Icmpv6Type.ParamProblem;
    msg[1] = Icmpv6ParamProblem.UnrecognizedNextHeader;
    msg.set([0x00, 0x01, 0x00, 0x06], 4);
    const v = new Icmpv6View();
    assert.equal(v.check(msg, 0, msg.length), DropReason.Ok);
    const r = new Icmpv6Repr();
    assert.equal(r.parse(v), DropReason.Ok);
    assert.equal(r.pointer, 0x10006);
  });

  test('checksum covers the pseudo-header', () => {
    const pkt = ECHO_REQUEST.slice();
    const a = checksumAddresses6(pkt, 0);
    pkt[23]! ^= 1; // source address
    assert.ok(!verifyIcmpv6Checksum(pkt, IP, pkt.length - IP, a));
    fillIcmpv6Checksum(pkt, IP, pkt.length - IP, a);
    assert.ok(verifyIcmpv6Checksum(pkt, IP, pkt.length - IP, a));
    pkt[IP + 9]! ^= 0x80;
    assert.ok(!verifyIcmpv6Checksum(pkt, IP, pkt.length - IP, a));
    // Over the same bytes, the IPv4-style addresses give a different sum.
    assert.ok(!verifyIcmpv6Checksum(ECHO_REQUEST, IP, 24, checksumAddresses4(0x0a000001, 0x0a000002)));
  });

  test('error classification', () => {
    for (const t of [1, 2, 3, 4, 100, 127]) assert.ok(isIcmpv6Error(t));
    for (const t of [128, 129, 133, 255]) assert.ok(!isIcmpv6Error(t));
  });
});

/** A quoted packet: version 6, at least the 40-byte header. */
const quoteArb = fc
  .tuple(fc.integer({ min: 40, max: 1232 }), fc.integer({ min: 0, max: 255 }))
  .map(([n, fill]) => {
    const q = new Uint8Array(n).fill(fill);
    q[0] = 0x60 | (fill & 0x0f);
    return q;
  });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

interface Built {
  r: Icmpv6Repr;
  data: Uint8Array;
}

const KINDS: [string, fc.Arbitrary<Built>][] = [
  [
    'echo request/reply',
    fc
      .tuple(
        fc.constantFrom(Icmpv6Type.EchoRequest, Icmpv6Type.EchoReply),
        u16,
        u16,
        fc.uint8Array({ maxLength: 1452 }),
      )
      .map(([t, id, seq, data]) => ({ r: new Icmpv6Repr().setEcho(t, id, seq, data.length), data })),
  ],
  [
    'destination unreachable (all codes)',
    fc.tuple(fc.integer({ min: 0, max: Icmpv6Unreachable.HeadersTooLong }), quoteArb).map(([code, q]) => ({
      r: new Icmpv6Repr().setError(Icmpv6Type.DestUnreachable, code, q.length),
      data: q,
    })),
  ],
  [
    'packet too big',
    fc.tuple(fc.integer({ min: 0, max: 255 }), u32, quoteArb).map(([code, mtu, q]) => ({
      r: new Icmpv6Repr().setError(Icmpv6Type.PacketTooBig, code, q.length, mtu),
      data: q,
    })),
  ],
  [
    'time exceeded',
    fc.tuple(fc.integer({ min: 0, max: 1 }), quoteArb).map(([code, q]) => ({
      r: new Icmpv6Repr().setError(Icmpv6Type.TimeExceeded, code, q.length),
      data: q,
    })),
  ],
  [
    'parameter problem',
    fc
      .tuple(fc.integer({ min: 0, max: Icmpv6ParamProblem.OptionTooBig }), u32, quoteArb)
      .map(([code, ptr, q]) => ({
        r: new Icmpv6Repr().setError(Icmpv6Type.ParamProblem, code, q.length, ptr),
        data: q,
      })),
  ],
];

const ADDRS = new Uint8Array(40);
ADDRS.set([0xfd, 0, 0, 1], 8);
ADDRS[23] = 2;
ADDRS.set([0xfd, 0, 0, 1], 24);
ADDRS[39] = 1;

describe('icmpv6 properties', () => {
  for (const [name, arb] of KINDS) {
    test(`parse(emit(r)) == r: ${name}`, () => {
      const v = new Icmpv6View();
      const back = new Icmpv6Repr();
      const a = checksumAddresses6(ADDRS, 0);
      fc.assert(
        fc.property(arb, fc.integer({ min: 0, max: 3 }), ({ r, data }, at) => {
          const buf = new Uint8Array(at + ICMPV6_HEADER_LEN + data.length);
          assert.equal(r.emit(buf, at), r.headerLen());
          buf.set(data, at + ICMPV6_HEADER_LEN);
          fillIcmpv6Checksum(buf, at, buf.length - at, a);
          assert.ok(verifyIcmpv6Checksum(buf, at, buf.length - at, a));
          assert.equal(v.check(buf, at, buf.length - at), DropReason.Ok);
          assert.equal(back.parse(v), DropReason.Ok);
          assert.ok(back.equals(r));
        }),
        { numRuns: 2000 },
      );
    });
  }

  test('random bytes never throw', () => {
    const v = new Icmpv6View();
    const r = new Icmpv6Repr();
    const a = checksumAddresses6(ADDRS, 0);
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 128 })
          .chain((b) =>
            fc.tuple(fc.constant(b), fc.integer({ min: -2, max: 6 }), fc.integer({ min: -2, max: 3 })),
          ),
        fc.constantFrom(-1, 1, 2, 3, 4, 128, 129),
        fc.integer({ min: 0, max: 3 }),
        ([bytes, off, slack], type, code) => {
          const len = bytes.length - off - slack;
          // Steer most inputs to the types the repr models, with small codes.
          if (type >= 0 && off >= 0 && off + 1 < bytes.length) {
            bytes[off] = type;
            bytes[off + 1] = code;
          }
          if (v.check(bytes, off, len) !== DropReason.Ok) return;
          r.parse(v);
          assert.ok(v.dataOffset + v.dataLength <= bytes.length);
          verifyIcmpv6Checksum(bytes, off, len, a);
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('truncated and mutated captures never throw', () => {
    const v = new Icmpv6View();
    const r = new Icmpv6Repr();
    fc.assert(
      fc.property(
        fc.constantFrom(...GOLDEN),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (pkt, edits, cut) => {
          const buf = pkt.slice();
          for (const [at, val] of edits) buf[at % buf.length] = val;
          const len = cut % (buf.length - IP + 1);
          if (v.check(buf, IP, len) !== DropReason.Ok) {
            assert.ok(len < ICMPV6_HEADER_LEN);
            return;
          }
          if (r.parse(v) === DropReason.Ok && isIcmpv6Error(r.type)) assert.ok(r.dataLen >= 40);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
