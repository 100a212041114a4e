import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DropReason } from '../../../src/core/wire/drop.js';
import {
  fillIcmpv4Checksum,
  ICMPV4_HEADER_LEN,
  Icmpv4ParamProblem,
  Icmpv4Redirect,
  Icmpv4Repr,
  Icmpv4TimeExceeded,
  Icmpv4Type,
  Icmpv4Unreachable,
  Icmpv4View,
  isIcmpv4Error,
  verifyIcmpv4Checksum,
} from '../../../src/core/wire/icmpv4.js';

/** Bytes from hex strings, followed by `zeros` zero bytes. */
function hexBytes(hex: string, zeros = 0): Uint8Array {
  const out = new Uint8Array(hex.length / 2 + zeros);
  for (let i = 0; i < hex.length / 2; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// Golden packets: whole IPv4 datagrams (20-byte header, then ICMP), captured on this machine.
//
// `tcpdump -i lo -w lo4.pcap icmp` while running `ping -c1 -s 16 127.0.0.1`.
const ECHO_REQUEST = hexBytes(
  '4500002ceb3c4000400151927f0000017f0000010800402a24c90001a462026b' + '00000000e93d030000000000',
);
const ECHO_REPLY = hexBytes(
  '4500002ceb3d0000400191917f0000017f0000010000482a24c90001a462026b' + '00000000e93d030000000000',
);
// `tcpdump -i lo icmp` while python3 sent b'hello' over UDP to 127.0.0.1:9 (closed). The quoted UDP
// checksum (0xfe20) is the unfilled partial sum that loopback's checksum offload leaves in place;
// the ICMP checksum itself is complete.
const PORT_UNREACHABLE_LO = hexBytes(
  '45c0003df2480000400189b57f0000017f0000010303f3ed0000000045000021' +
    '470840004011f5c17f0000017f000001c7050009000dfe2068656c6c6f',
);
// Three network namespaces A -- R -- B over veth pairs (tx checksum offload off, R forwarding,
// R-B link MTU 1280), captured with `tcpdump -i icR0` in R:
// `ping -c1 -s 8 -t 1 10.9.2.2` from A: R answers time exceeded.
const TIME_EXCEEDED = hexBytes(
  '45c00040034b00004001609e0a0901010a0901020b00f4ff0000000045000024' +
    '9bd540000101c6ee0a0901020a0902020800c3ee280000010001020304050607',
);
// 1300 zero bytes over UDP from A to 10.9.2.2:9 with IP_PMTUDISC_DO: R answers fragmentation
// needed, next-hop MTU 1280, quoting 548 bytes (576-byte message). The last 520 bytes captured were
// zeros (the rest of the UDP payload) and are appended as zeros here.
const FRAG_NEEDED = hexBytes(
  '45c002400350000040015e990a0901010a0901020304143f0000050045000530' +
    '0000400040111ea80a0901020a090202ca3f0009051c1458',
  520,
);
// b'hi' over UDP from A to 10.9.2.2:9 (closed): B answers port unreachable through R.
const PORT_UNREACHABLE = hexBytes(
  '45c0003a2b3100003f0138bd0a0902020a0901020303142e000000004500001e' +
    'c4c440003f115ff50a0901020a090202e8050009000a984c6869',
);
// R routes 10.9.3.0/24 via 10.9.1.5 on the A side; b'hi' from A to 10.9.3.3:9 through R makes R
// send a host redirect to gateway 10.9.1.5.
const REDIRECT = hexBytes(
  '45c0003a16bb000040014d340a0901010a090102050108230a0901054500001e' +
    'f64140003f112d770a0901020a090303d0d20009000aae7e6869',
);

const IP = 20;

function viewOf(pkt: Uint8Array): Icmpv4View {
  const v = new Icmpv4View();
  assert.equal(v.check(pkt, IP, pkt.length - IP), DropReason.Ok);
  return v;
}

function parseOf(pkt: Uint8Array): Icmpv4Repr {
  const r = new Icmpv4Repr();
  assert.equal(r.parse(viewOf(pkt)), DropReason.Ok);
  return r;
}

/** Re-emit the header in front of the original data and refill the checksum: must match the capture. */
function assertReemits(pkt: Uint8Array): void {
  const r = parseOf(pkt);
  const copy = pkt.slice();
  copy.fill(0xee, IP, IP + ICMPV4_HEADER_LEN);
  assert.equal(r.emit(copy, IP), ICMPV4_HEADER_LEN);
  fillIcmpv4Checksum(copy, IP, copy.length - IP);
  assert.deepEqual(copy, pkt);
}

const GOLDEN = [
  ECHO_REQUEST,
  ECHO_REPLY,
  PORT_UNREACHABLE_LO,
  TIME_EXCEEDED,
  FRAG_NEEDED,
  PORT_UNREACHABLE,
  REDIRECT,
];

describe('icmpv4 golden bytes', () => {
  test('captured checksums verify and every message re-emits identically', () => {
    for (const pkt of GOLDEN) {
      assert.ok(verifyIcmpv4Checksum(pkt, IP, pkt.length - IP));
      assertReemits(pkt);
    }
  });

  test('echo request and reply', () => {
    const v = viewOf(ECHO_REQUEST);
    assert.equal(v.type, Icmpv4Type.EchoRequest);
    assert.equal(v.checksum, 0x402a);
    assert.equal(v.dataOffset, 28);
    assert.equal(v.dataLength, 16);
    const req = parseOf(ECHO_REQUEST);
    assert.deepEqual(
      { ...req },
      {
        type: 8,
        code: 0,
        identifier: 0x24c9,
        sequence: 1,
        nextHopMtu: 0,
        pointer: 0,
        gateway: 0,
        dataLen: 16,
      },
    );
    const rep = parseOf(ECHO_REPLY);
    assert.equal(rep.type, Icmpv4Type.EchoReply);
    assert.ok(new Icmpv4Repr().setEcho(Icmpv4Type.EchoReply, 0x24c9, 1, 16).equals(rep));
  });

  test('port unreachable quotes the UDP datagram', () => {
    for (const pkt of [PORT_UNREACHABLE_LO, PORT_UNREACHABLE]) {
      const v = viewOf(pkt);
      const r = parseOf(pkt);
      assert.equal(r.type, Icmpv4Type.DestUnreachable);
      assert.equal(r.code, Icmpv4Unreachable.PortUnreachable);
      assert.equal(v.quotedOffset, 28);
      assert.equal(v.quotedLength, pkt.length - 28);
      assert.equal(v.quotedIpHeaderLength, 20);
      // The quoted IPv4 header is the original datagram's: protocol UDP, destination port 9.
      assert.equal(pkt[v.quotedOffset + 9], 17);
      assert.equal(pkt[v.quotedOffset + 20 + 3], 9);
    }
    assert.equal(parseOf(PORT_UNREACHABLE_LO).dataLen, 33);
  });

  test('time exceeded in transit', () => {
    const r = parseOf(TIME_EXCEEDED);
    assert.ok(
      new Icmpv4Repr().setError(Icmpv4Type.TimeExceeded, Icmpv4TimeExceeded.TtlExceeded, 36).equals(r),
    );
  });

  test('fragmentation needed carries the next-hop MTU', () => {
    const v = viewOf(FRAG_NEEDED);
    assert.equal(v.nextHopMtu, 1280);
    const r = parseOf(FRAG_NEEDED);
    assert.ok(
      new Icmpv4Repr()
        .setError(Icmpv4Type.DestUnreachable, Icmpv4Unreachable.FragmentationNeeded, 548, 1280)
        .equals(r),
    );
  });

  test('redirect carries the gateway', () => {
    const r = parseOf(REDIRECT);
    assert.equal(r.code, Icmpv4Redirect.Host);
    assert.equal(r.gateway, 0x0a090105);
    assert.ok(new Icmpv4Repr().setError(Icmpv4Type.Redirect, Icmpv4Redirect.Host, 30, 0x0a090105).equals(r));
  });
});

describe('icmpv4 drops', () => {
  test('view: too short or out of bounds', () => {
    const v = new Icmpv4View();
    assert.equal(v.check(ECHO_REQUEST, IP, 7), DropReason.IcmpTruncated);
    assert.equal(v.check(ECHO_REQUEST, IP, ECHO_REQUEST.length), DropReason.Truncated);
    assert.equal(v.check(ECHO_REQUEST, -1, 8), DropReason.Truncated);
    assert.equal(v.check(ECHO_REQUEST, 0, -1), DropReason.Truncated);
    assert.equal(v.check(ECHO_REQUEST, IP, 8), DropReason.Ok);
  });

  test('unknown type: repr refuses, view still reads', () => {
    const pkt = hexBytes('0d00000012340001', 12); // timestamp request
    const v = new Icmpv4View();
    assert.equal(v.check(pkt, 0, pkt.length), DropReason.Ok);
    assert.equal(new Icmpv4Repr().parse(v), DropReason.IcmpUnknownType);
    assert.equal(v.type, 13);
    assert.equal(v.identifier, 0x1234);
    assert.equal(v.restOfHeader, 0x12340001);
    assert.equal(v.dataLength, 12);
  });

  test('codes outside the assigned ranges', () => {
    const cases: [number, number][] = [
      [Icmpv4Type.EchoRequest, 1],
      [Icmpv4Type.EchoReply, 1],
      [Icmpv4Type.DestUnreachable, 16],
      [Icmpv4Type.SourceQuench, 1],
      [Icmpv4Type.Redirect, 4],
      [Icmpv4Type.TimeExceeded, 2],
      [Icmpv4Type.ParamProblem, 3],
    ];
    for (const [type, code] of cases) {
      const pkt = TIME_EXCEEDED.slice(IP);
      pkt[0] = type;
      pkt[1] = code;
      const v = new Icmpv4View();
      assert.equal(v.check(pkt, 0, pkt.length), DropReason.Ok);
      assert.equal(new Icmpv4Repr().parse(v), DropReason.IcmpBadCode, `type ${type} code ${code}`);
      pkt[1] = code - 1;
      assert.equal(new Icmpv4Repr().parse(v), DropReason.Ok, `type ${type} code ${code - 1}`);
    }
  });

  test('the quoted datagram must hold an IPv4 header and 8 bytes', () => {
    const msg = PORT_UNREACHABLE.slice(IP);
    const v = new Icmpv4View();
    const r = new Icmpv4Repr();
    assert.equal(v.check(msg, 0, 8 + 27), DropReason.Ok);
    assert.equal(r.parse(v), DropReason.IcmpTruncated);
    assert.equal(v.check(msg, 0, 8), DropReason.Ok);
    assert.equal(r.parse(v), DropReason.IcmpTruncated);
    assert.equal(v.quotedIpHeaderLength, 0);
    assert.equal(v.check(msg, 0, 8 + 28), DropReason.Ok);
    assert.equal(r.parse(v), DropReason.Ok);
    msg[8] = 0x65; // version 6
    assert.equal(r.parse(v), DropReason.BadVersion);
    msg[8] = 0x44; // IHL 4
    assert.equal(r.parse(v), DropReason.BadHeaderLength);
    msg[8] = 0x46; // IHL 6: 24-byte header + 8 needs 32 quoted bytes
    assert.equal(r.parse(v), DropReason.IcmpTruncated);
  });

  test('checksum catches a flipped bit', () => {
    const pkt = ECHO_REQUEST.slice();
    pkt[IP + 12]! ^= 0x10;
    assert.ok(!verifyIcmpv4Checksum(pkt, IP, pkt.length - IP));
    fillIcmpv4Checksum(pkt, IP, pkt.length - IP);
    assert.ok(verifyIcmpv4Checksum(pkt, IP, pkt.length - IP));
  });

  test('error classification', () => {
    for (const t of [3, 4, 5, 11, 12]) assert.ok(isIcmpv4Error(t));
    for (const t of [0, 8, 13, 14, 255]) assert.ok(!isIcmpv4Error(t));
  });
});

/** A quoted datagram: a plausible IPv4 header of `ihl` words and at least 8 more bytes. */
const quoteArb = fc
  .record({
    ihl: fc.integer({ min: 5, max: 15 }),
    extra: fc.integer({ min: 8, max: 600 }),
    fill: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ ihl, extra, fill }) => {
    const q = new Uint8Array(ihl * 4 + extra).fill(fill);
    q[0] = 0x40 | ihl;
    return q;
  });

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

interface Built {
  r: Icmpv4Repr;
  data: Uint8Array;
}

const KINDS: [string, fc.Arbitrary<Built>][] = [
  [
    'echo request/reply',
    fc
      .tuple(
        fc.constantFrom(Icmpv4Type.EchoRequest, Icmpv4Type.EchoReply),
        u16,
        u16,
        fc.uint8Array({ maxLength: 1472 }),
      )
      .map(([t, id, seq, data]) => ({ r: new Icmpv4Repr().setEcho(t, id, seq, data.length), data })),
  ],
  [
    'destination unreachable (all codes, MTU for code 4)',
    fc.tuple(fc.integer({ min: 0, max: 15 }), u16, quoteArb).map(([code, mtu, q]) => ({
      r: new Icmpv4Repr().setError(Icmpv4Type.DestUnreachable, code, q.length, mtu),
      data: q,
    })),
  ],
  [
    'time exceeded',
    fc.tuple(fc.integer({ min: 0, max: 1 }), quoteArb).map(([code, q]) => ({
      r: new Icmpv4Repr().setError(Icmpv4Type.TimeExceeded, code, q.length),
      data: q,
    })),
  ],
  [
    'source quench',
    quoteArb.map((q) => ({ r: new Icmpv4Repr().setError(Icmpv4Type.SourceQuench, 0, q.length), data: q })),
  ],
  [
    'redirect',
    fc.tuple(fc.integer({ min: 0, max: 3 }), u32, quoteArb).map(([code, gw, q]) => ({
      r: new Icmpv4Repr().setError(Icmpv4Type.Redirect, code, q.length, gw),
      data: q,
    })),
  ],
  [
    'parameter problem',
    fc
      .tuple(
        fc.integer({ min: 0, max: Icmpv4ParamProblem.BadLength }),
        fc.integer({ min: 0, max: 255 }),
        quoteArb,
      )
      .map(([code, ptr, q]) => ({
        r: new Icmpv4Repr().setError(Icmpv4Type.ParamProblem, code, q.length, ptr),
        data: q,
      })),
  ],
];

describe('icmpv4 properties', () => {
  for (const [name, arb] of KINDS) {
    test(`parse(emit(r)) == r: ${name}`, () => {
      const v = new Icmpv4View();
      const back = new Icmpv4Repr();
      fc.assert(
        fc.property(arb, fc.integer({ min: 0, max: 3 }), ({ r, data }, at) => {
          const buf = new Uint8Array(at + ICMPV4_HEADER_LEN + data.length);
          assert.equal(r.emit(buf, at), r.headerLen());
          buf.set(data, at + ICMPV4_HEADER_LEN);
          fillIcmpv4Checksum(buf, at, buf.length - at);
          assert.ok(verifyIcmpv4Checksum(buf, at, buf.length - at));
          assert.equal(v.check(buf, at, buf.length - at), DropReason.Ok);
          assert.equal(back.parse(v), DropReason.Ok);
          assert.ok(back.equals(r));
        }),
        { numRuns: 2000 },
      );
    });
  }

  test('random bytes never throw', () => {
    const v = new Icmpv4View();
    const r = new Icmpv4Repr();
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 96 })
          .chain((b) =>
            fc.tuple(fc.constant(b), fc.integer({ min: -2, max: 6 }), fc.integer({ min: -2, max: 3 })),
          ),
        fc.constantFrom(-1, 0, 3, 4, 5, 8, 11, 12),
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
          assert.ok(v.quotedOffset >= 0 && v.quotedIpHeaderLength <= 60);
          verifyIcmpv4Checksum(bytes, off, len);
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('truncated and mutated captures never throw', () => {
    const v = new Icmpv4View();
    const r = new Icmpv4Repr();
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
            assert.ok(len < ICMPV4_HEADER_LEN);
            return;
          }
          const reason = r.parse(v);
          if (reason === DropReason.Ok && isIcmpv4Error(r.type)) {
            assert.ok(r.dataLen >= v.quotedIpHeaderLength + 8);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});
