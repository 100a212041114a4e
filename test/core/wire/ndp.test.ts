import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatIpv6, formatMac, parseIpv6 } from '../../../src/core/wire/address.js';
import { DropReason } from '../../../src/core/wire/drop.js';
import {
  fillIcmpv6Checksum,
  Icmpv6Type,
  Icmpv6View,
  verifyIcmpv6Checksum,
} from '../../../src/core/wire/icmpv6.js';
import {
  checkNdpHopLimit,
  NDP_MAX_OPTIONS,
  type NdpOption,
  NdpOptionType,
  NdpRepr,
  ndpFixedLen,
  PREFIX_FLAG_AUTONOMOUS,
  PREFIX_FLAG_ON_LINK,
  RA_FLAG_OTHER,
} from '../../../src/core/wire/ndp.js';
import { checksumAddresses6 } from '../../../src/core/wire/pseudo.js';

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// Golden packets: whole IPv6 packets (40-byte header, then the NDP message), captured on this
// machine with `tcpdump -i icR0 -w veth.pcap icmp6` in namespace R, between namespaces A
// (icA0 02:00:00:00:0a:01, fd00:1::2) and R (icR0 02:00:00:00:0a:02, fd00:1::1) joined by a veth pair
// (`ip link add icA0 netns icmpA type veth peer name icR0 netns icmpR`).
//
// `ip link set icA0 up` in A: duplicate address detection for A's link-local address, from ::, with
// the RFC 7527 nonce option (type 14, kept raw).
const DAD_NS = hexBytes(
  '6000000000203aff00000000000000000000000000000000ff02000000000000' +
    '00000001ff000a0187004fb700000000fe80000000000000000000fffe000a01' +
    '0e0162639fa6095b',
);
// Same moment: A's router solicitation with its source link-layer address.
const RS = hexBytes(
  '6000000000103afffe80000000000000000000fffe000a01ff02000000000000' +
    '00000000000000028500672c000000000101020000000a01',
);
// `ping -6 -c1 fd00:1::1` from A: A's multicast neighbor solicitation for fd00:1::1 ...
const NS = hexBytes(
  '6000000000203afffd000001000000000000000000000002ff02000000000000' +
    '00000001ff0000018700739600000000fd000001000000000000000000000001' +
    '0101020000000a01',
);
// ... and R's solicited advertisement (router, solicited, override; target link-layer address).
const NA = hexBytes(
  '6000000000203afffd000001000000000000000000000001fd00000100000000' +
    '000000000000000288009297e0000000fd000001000000000000000000000001' +
    '0201020000000a02',
);
// Later R probes fd00:1::2 with a unicast NS; A answers with S only and no options.
const NA_UNICAST = hexBytes(
  '6000000000183afffd000001000000000000000000000002fe80000000000000' +
    '000000fffe000a028800362240000000fd000001000000000000000000000002',
);
// `radvd` 2.19 in R on icR0 (AdvOtherConfigFlag on, AdvCurHopLimit 64, AdvDefaultLifetime 1800,
// AdvReachableTime 30000, AdvRetransTimer 1000, AdvLinkMTU 1500, prefix fd00:1::/64 valid 86400
// preferred 14400, RDNSS fd00:1::53 lifetime 600): its multicast router advertisement. The RDNSS
// option (type 25, RFC 8106) is not decoded and stays raw.
const RA = hexBytes(
  '600ccff700583afffe80000000000000000000fffe000a02ff02000000000000' +
    '00000000000000018600b76d4040070800007530000003e8030440c000015180' +
    '0000384000000000fd0000010000000000000000000000001903000000000258' +
    'fd00000100000000000000000000005305010000000005dc0101020000000a02',
);
// R routes fd00:3::/64 via fe80::5 on the A side (`ip -6 route add fd00:3::/64 via fe80::5 dev
// icR0`, static neighbor 02:00:00:00:0a:05); b'hi' over UDP from A to [fd00:3::3]:9 through R
// makes R send a redirect with the target's link-layer address and the first 48 bytes of the packet.
const REDIRECT = hexBytes(
  '6000000000683afffe80000000000000000000fffe000a02fe80000000000000' +
    '000000fffe000a018900448a00000000fe800000000000000000000000000005' +
    'fd0000030000000000000000000000030201020000000a050407000000000000' +
    '60080c66000a1140fe80000000000000000000fffe000a01fd00000300000000' +
    '0000000000000003a6b10009000aec2d',
);

const IP = 40;
const GOLDEN = [DAD_NS, RS, NS, NA, NA_UNICAST, RA, REDIRECT];

function parseOf(pkt: Uint8Array): NdpRepr {
  const v = new Icmpv6View();
  assert.equal(v.check(pkt, IP, pkt.length - IP), DropReason.Ok);
  const r = new NdpRepr();
  assert.equal(r.parse(v), DropReason.Ok);
  return r;
}

function ip6(s: string): Uint8Array {
  const b = new Uint8Array(16);
  assert.ok(parseIpv6(s, b));
  return b;
}

function opt(r: NdpRepr, i: number): NdpOption {
  assert.ok(i < r.optionCount);
  return r.options[i]!;
}

/** An NDP message (ICMPv6 bytes only) with `type`, a zeroed fixed part and then `options`. */
function message(type: number, ...options: number[][]): Uint8Array {
  const fixed = ndpFixedLen(type);
  const out = new Uint8Array(fixed + options.reduce((n, o) => n + o.length, 0));
  out[0] = type;
  let p = fixed;
  for (const o of options) {
    out.set(o, p);
    p += o.length;
  }
  return out;
}

function parseMessage(msg: Uint8Array): [DropReason, NdpRepr] {
  const v = new Icmpv6View();
  assert.equal(v.check(msg, 0, msg.length), DropReason.Ok);
  const r = new NdpRepr();
  return [r.parse(v), r];
}

const SLLA = [1, 1, 2, 0, 0, 0, 0x0a, 1];

describe('ndp golden bytes', () => {
  test('hop limit 255, checksums verify, every message re-emits identically', () => {
    for (const pkt of GOLDEN) {
      assert.equal(checkNdpHopLimit(pkt[7]!), DropReason.Ok);
      assert.ok(verifyIcmpv6Checksum(pkt, IP, pkt.length - IP, checksumAddresses6(pkt, 0)));
      const r = parseOf(pkt);
      assert.equal(r.headerLen(), pkt.length - IP);
      // Into a separate buffer (raw options and the redirected header copy from the capture) ...
      const out = new Uint8Array(pkt.length).fill(0xee);
      out.set(pkt.subarray(0, IP));
      assert.equal(r.emit(out, IP), pkt.length - IP);
      fillIcmpv6Checksum(out, IP, out.length - IP, checksumAddresses6(out, 0));
      assert.deepEqual(out, pkt);
      // ... and in place over the captured bytes (raw bytes copied onto themselves).
      const same = pkt.slice();
      const again = parseOf(same);
      same.fill(0xee, IP, IP + ndpFixedLen(again.type));
      assert.equal(again.emit(same, IP), pkt.length - IP);
      fillIcmpv6Checksum(same, IP, same.length - IP, checksumAddresses6(same, 0));
      assert.deepEqual(same, pkt);
    }
  });

  test('duplicate address detection NS keeps the unknown nonce option raw', () => {
    const r = parseOf(DAD_NS);
    assert.equal(r.type, Icmpv6Type.NeighborSolicit);
    assert.equal(formatIpv6(r.target), 'fe80::ff:fe00:a01');
    assert.equal(r.optionCount, 1);
    const o = opt(r, 0);
    assert.equal(o.type, 14);
    assert.ok(o.raw);
    assert.equal(o.dataOff, IP + 24 + 2);
    assert.equal(o.dataLen, 6);
    assert.equal(formatMac(o.dataBuf, o.dataOff), '62:63:9f:a6:09:5b');
  });

  test('router solicitation', () => {
    const r = parseOf(RS);
    assert.equal(r.type, Icmpv6Type.RouterSolicit);
    const o = r.findOption(NdpOptionType.SourceLinkAddr);
    assert.ok(o && !o.raw);
    assert.equal(formatMac(o.linkAddr), '02:00:00:00:0a:01');
    assert.equal(r.findOption(NdpOptionType.TargetLinkAddr), undefined);
  });

  test('neighbor solicitation and advertisement', () => {
    const ns = parseOf(NS);
    assert.equal(formatIpv6(ns.target), 'fd00:1::1');
    assert.equal(formatMac(ns.findOption(NdpOptionType.SourceLinkAddr)!.linkAddr), '02:00:00:00:0a:01');
    const na = parseOf(NA);
    assert.equal(na.type, Icmpv6Type.NeighborAdvert);
    assert.deepEqual([na.router, na.solicited, na.override], [true, true, true]);
    assert.equal(formatIpv6(na.target), 'fd00:1::1');
    assert.equal(formatMac(na.findOption(NdpOptionType.TargetLinkAddr)!.linkAddr), '02:00:00:00:0a:02');
    const uni = parseOf(NA_UNICAST);
    assert.deepEqual([uni.router, uni.solicited, uni.override], [false, true, false]);
    assert.equal(formatIpv6(uni.target), 'fd00:1::2');
    assert.equal(uni.optionCount, 0);
  });

  test('router advertisement from radvd', () => {
    const r = parseOf(RA);
    assert.equal(r.type, Icmpv6Type.RouterAdvert);
    assert.equal(r.curHopLimit, 64);
    assert.equal(r.raFlags, RA_FLAG_OTHER);
    assert.ok(!r.managed && r.otherConfig);
    assert.equal(r.routerLifetime, 1800);
    assert.equal(r.reachableTime, 30000);
    assert.equal(r.retransTimer, 1000);
    assert.deepEqual(
      r.options.slice(0, r.optionCount).map((o) => o.type),
      [3, 25, 5, 1],
    );
    const pi = opt(r, 0);
    assert.equal(pi.prefixLength, 64);
    assert.equal(pi.prefixFlags, PREFIX_FLAG_ON_LINK | PREFIX_FLAG_AUTONOMOUS);
    assert.ok(pi.onLink && pi.autonomous);
    assert.equal(pi.validLifetime, 86400);
    assert.equal(pi.preferredLifetime, 14400);
    assert.equal(formatIpv6(pi.prefix), 'fd00:1::');
    const rdnss = opt(r, 1);
    assert.ok(rdnss.raw);
    assert.equal(rdnss.dataLen, 22);
    assert.equal(formatIpv6(rdnss.dataBuf, rdnss.dataOff + 6), 'fd00:1::53');
    assert.equal(r.findOption(NdpOptionType.Mtu)!.mtu, 1500);
    assert.equal(formatMac(opt(r, 3).linkAddr), '02:00:00:00:0a:02');
  });

  test('redirect with target link-layer address and redirected header', () => {
    const r = parseOf(REDIRECT);
    assert.equal(formatIpv6(r.target), 'fe80::5');
    assert.equal(formatIpv6(r.destination), 'fd00:3::3');
    assert.equal(formatMac(r.findOption(NdpOptionType.TargetLinkAddr)!.linkAddr), '02:00:00:00:0a:05');
    const rh = r.findOption(NdpOptionType.RedirectedHeader)!;
    assert.ok(!rh.raw);
    assert.equal(rh.dataBuf, REDIRECT);
    assert.equal(rh.dataOff, IP + 40 + 8 + 8);
    assert.equal(rh.dataLen, 48);
    // The quoted bytes start with the redirected packet's IPv6 header.
    assert.equal(REDIRECT[rh.dataOff]! >>> 4, 6);
    assert.equal(formatIpv6(REDIRECT, rh.dataOff + 24), 'fd00:3::3');
  });
});

describe('ndp drops', () => {
  test('hop limit must be 255', () => {
    assert.equal(checkNdpHopLimit(255), DropReason.Ok);
    for (const h of [0, 1, 64, 254]) assert.equal(checkNdpHopLimit(h), DropReason.NdpBadHopLimit);
  });

  test('not an NDP type, nonzero code, short fixed part', () => {
    assert.equal(parseMessage(new Uint8Array([128, 0, 0, 0, 0, 0, 0, 0]))[0], DropReason.IcmpUnknownType);
    assert.equal(parseMessage(new Uint8Array([132, 0, 0, 0, 0, 0, 0, 0]))[0], DropReason.IcmpUnknownType);
    const ns = message(Icmpv6Type.NeighborSolicit);
    ns[1] = 1;
    assert.equal(parseMessage(ns)[0], DropReason.IcmpBadCode);
    for (const type of [134, 135, 136, 137]) {
      const short = message(type).subarray(0, ndpFixedLen(type) - 1);
      assert.equal(parseMessage(short)[0], DropReason.IcmpTruncated, `type ${type}`);
    }
  });

  test('option of length 0', () => {
    assert.equal(
      parseMessage(message(Icmpv6Type.RouterSolicit, [1, 0, 0, 0, 0, 0, 0, 0]))[0],
      DropReason.NdpBadOption,
    );
    assert.equal(
      parseMessage(message(Icmpv6Type.RouterSolicit, SLLA, [99, 0, 0, 0, 0, 0, 0, 0]))[0],
      DropReason.NdpBadOption,
    );
  });

  test('option running past the message, or a trailing fragment', () => {
    assert.equal(
      parseMessage(message(Icmpv6Type.RouterSolicit, [1, 2, 0, 0, 0, 0, 0, 0]))[0],
      DropReason.NdpBadOption,
    );
    assert.equal(
      parseMessage(message(Icmpv6Type.RouterSolicit, SLLA, [1, 1, 0]))[0],
      DropReason.NdpBadOption,
    );
  });

  test('malformed known options', () => {
    const prefix3 = [3, 3, ...new Array<number>(22).fill(0)];
    assert.equal(parseMessage(message(Icmpv6Type.RouterAdvert, prefix3))[0], DropReason.NdpBadOption);
    const mtu2 = [5, 2, ...new Array<number>(14).fill(0)];
    assert.equal(parseMessage(message(Icmpv6Type.RouterAdvert, mtu2))[0], DropReason.NdpBadOption);
  });

  test('a link-layer address that is not 6 bytes stays raw', () => {
    const long = [2, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
    const [reason, r] = parseMessage(message(Icmpv6Type.NeighborAdvert, long));
    assert.equal(reason, DropReason.Ok);
    const o = opt(r, 0);
    assert.ok(o.raw);
    assert.equal(o.type, NdpOptionType.TargetLinkAddr);
    assert.equal(o.dataLen, 14);
  });

  test(`at most ${NDP_MAX_OPTIONS} options`, () => {
    const many = new Array<number[]>(NDP_MAX_OPTIONS).fill(SLLA);
    const [ok, r] = parseMessage(message(Icmpv6Type.RouterSolicit, ...many));
    assert.equal(ok, DropReason.Ok);
    assert.equal(r.optionCount, NDP_MAX_OPTIONS);
    assert.equal(parseMessage(message(Icmpv6Type.RouterSolicit, ...many, SLLA))[0], DropReason.NdpTooManyOptions);
    const built = new NdpRepr().reset(Icmpv6Type.RouterSolicit);
    for (let i = 0; i < NDP_MAX_OPTIONS; i++) assert.ok(built.addMtu(i));
    assert.equal(built.addMtu(1), undefined);
  });

  test('multicast NS/NA target and redirect destination', () => {
    for (const type of [Icmpv6Type.NeighborSolicit, Icmpv6Type.NeighborAdvert]) {
      const m = message(type);
      m.set(ip6('ff02::1:ff00:1'), 8);
      assert.equal(parseMessage(m)[0], DropReason.BadAddress);
    }
    const rd = message(Icmpv6Type.Redirect);
    rd.set(ip6('fe80::1'), 8);
    rd.set(ip6('ff0e::1'), 24);
    assert.equal(parseMessage(rd)[0], DropReason.BadAddress);
    rd.set(ip6('2001:db8::1'), 24);
    assert.equal(parseMessage(rd)[0], DropReason.Ok);
  });

  test('parse clears what the previous message left', () => {
    const v = new Icmpv6View();
    const r = new NdpRepr();
    assert.equal(v.check(RA, IP, RA.length - IP), DropReason.Ok);
    assert.equal(r.parse(v), DropReason.Ok);
    assert.equal(v.check(NA_UNICAST, IP, NA_UNICAST.length - IP), DropReason.Ok);
    assert.equal(r.parse(v), DropReason.Ok);
    assert.ok(r.equals(parseOf(NA_UNICAST)));
    assert.equal(r.curHopLimit, 0);
    assert.equal(r.optionCount, 0);
  });
});

// ---- properties ----

interface OptSpec {
  kind: 'lla' | 'prefix' | 'mtu' | 'redirected' | 'raw';
  type: number;
  n: number[];
  bytes: Uint8Array;
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const addr16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const unicast16 = addr16.map((a) => {
  if (a[0] === 0xff) a[0] = 0xfe;
  return a;
});

const optArb: fc.Arbitrary<OptSpec> = fc.oneof(
  fc
    .tuple(fc.constantFrom(1, 2), fc.uint8Array({ minLength: 6, maxLength: 6 }))
    .map(([type, mac]): OptSpec => ({ kind: 'lla', type, n: [], bytes: mac })),
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), u32, u32, addr16).map(
    ([len, flags, valid, pref, prefix]): OptSpec => ({
      kind: 'prefix',
      type: 3,
      n: [len, flags, valid, pref],
      bytes: prefix,
    }),
  ),
  u32.map((mtu): OptSpec => ({ kind: 'mtu', type: 5, n: [mtu], bytes: new Uint8Array(0) })),
  fc
    .integer({ min: 0, max: 20 })
    .chain((k) => fc.uint8Array({ minLength: 8 * k, maxLength: 8 * k }))
    .map((q): OptSpec => ({ kind: 'redirected', type: 4, n: [], bytes: q })),
  fc
    .tuple(
      fc.integer({ min: 0, max: 255 }).filter((t) => t < 1 || t > 5),
      fc.integer({ min: 1, max: 6 }),
    )
    .chain(([type, k]) =>
      fc.uint8Array({ minLength: 8 * k - 2, maxLength: 8 * k - 2 }).map(
        (b): OptSpec => ({
          kind: 'raw',
          type,
          n: [],
          bytes: b,
        }),
      ),
    ),
  // Link-layer addresses longer than 6 bytes travel raw.
  fc
    .tuple(fc.constantFrom(1, 2), fc.integer({ min: 2, max: 4 }))
    .chain(([type, k]) =>
      fc
        .uint8Array({ minLength: 8 * k - 2, maxLength: 8 * k - 2 })
        .map((b): OptSpec => ({ kind: 'raw', type, n: [], bytes: b })),
    ),
);

function addOpt(r: NdpRepr, s: OptSpec): void {
  switch (s.kind) {
    case 'lla':
      assert.ok(r.addLinkAddr(s.type, s.bytes));
      break;
    case 'prefix': {
      const o = r.addOption(NdpOptionType.PrefixInfo)!;
      [o.prefixLength, o.prefixFlags, o.validLifetime, o.preferredLifetime] = s.n as [
        number,
        number,
        number,
        number,
      ];
      o.prefix.set(s.bytes);
      break;
    }
    case 'mtu':
      assert.ok(r.addMtu(s.n[0]!));
      break;
    case 'redirected':
      assert.ok(r.addRedirectedHeader(s.bytes, 0, s.bytes.length));
      break;
    case 'raw':
      assert.ok(r.addRawOption(s.type, s.bytes, 0, s.bytes.length));
      break;
  }
}

const optsArb = fc.array(optArb, { maxLength: NDP_MAX_OPTIONS });

const MESSAGES: [string, fc.Arbitrary<NdpRepr>][] = [
  ['router solicitation', optsArb.map((opts) => build(Icmpv6Type.RouterSolicit, opts))],
  [
    'router advertisement',
    fc
      .tuple(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        u32,
        u32,
        optsArb,
      )
      .map(([hop, flags, life, reach, retrans, opts]) => {
        const r = build(Icmpv6Type.RouterAdvert, opts);
        r.curHopLimit = hop;
        r.raFlags = flags;
        r.routerLifetime = life;
        r.reachableTime = reach;
        r.retransTimer = retrans;
        return r;
      }),
  ],
  [
    'neighbor solicitation',
    fc.tuple(unicast16, optsArb).map(([t, opts]) => {
      const r = build(Icmpv6Type.NeighborSolicit, opts);
      r.target.set(t);
      return r;
    }),
  ],
  [
    'neighbor advertisement',
    fc.tuple(fc.boolean(), fc.boolean(), fc.boolean(), unicast16, optsArb).map(([rf, sf, of, t, opts]) => {
      const r = build(Icmpv6Type.NeighborAdvert, opts);
      r.router = rf;
      r.solicited = sf;
      r.override = of;
      r.target.set(t);
      return r;
    }),
  ],
  [
    'redirect',
    fc.tuple(addr16, unicast16, optsArb).map(([t, d, opts]) => {
      const r = build(Icmpv6Type.Redirect, opts);
      r.target.set(t);
      r.destination.set(d);
      return r;
    }),
  ],
];

function build(type: number, opts: OptSpec[]): NdpRepr {
  const r = new NdpRepr().reset(type);
  for (const s of opts) addOpt(r, s);
  return r;
}

const ADDRS = new Uint8Array(40);
ADDRS.set(ip6('fe80::1'), 8);
ADDRS.set(ip6('ff02::1'), 24);

/** Every option's referenced bytes lie inside the parsed message. */
function assertOptionsInside(r: NdpRepr, v: Icmpv6View): void {
  for (let i = 0; i < r.optionCount; i++) {
    const o = r.options[i]!;
    if (o.raw || o.type === NdpOptionType.RedirectedHeader) {
      assert.equal(o.dataBuf, v.buf);
      assert.ok(o.dataOff >= v.off && o.dataOff + o.dataLen <= v.off + v.len);
    }
  }
}

describe('ndp properties', () => {
  for (const [name, arb] of MESSAGES) {
    test(`parse(emit(r)) == r: ${name}`, () => {
      const v = new Icmpv6View();
      const back = new NdpRepr();
      const a = checksumAddresses6(ADDRS, 0);
      fc.assert(
        fc.property(arb, fc.integer({ min: 0, max: 3 }), (r, at) => {
          const n = r.headerLen();
          const buf = new Uint8Array(at + n).fill(0xa5);
          assert.equal(r.emit(buf, at), n);
          fillIcmpv6Checksum(buf, at, n, a);
          assert.ok(verifyIcmpv6Checksum(buf, at, n, a));
          assert.equal(v.check(buf, at, n), DropReason.Ok);
          assert.equal(back.parse(v), DropReason.Ok);
          assert.ok(back.equals(r));
          assertOptionsInside(back, v);
          // Re-emitting the parsed copy gives the same bytes.
          const again = new Uint8Array(n);
          assert.equal(back.emit(again, 0), n);
          fillIcmpv6Checksum(again, 0, n, a);
          assert.deepEqual(again, buf.subarray(at));
        }),
        { numRuns: 2000 },
      );
    });
  }

  test('random bytes never throw', () => {
    const v = new Icmpv6View();
    const r = new NdpRepr();
    fc.assert(
      fc.property(
        fc.integer({ min: 133, max: 137 }),
        fc.uint8Array({ maxLength: 160 }),
        fc.integer({ min: -2, max: 3 }),
        (type, bytes, slack) => {
          const len = bytes.length - slack;
          if (bytes.length > 0) {
            bytes[0] = type;
            if (bytes.length > 1 && bytes[1]! < 128) bytes[1] = 0;
          }
          if (v.check(bytes, 0, len) !== DropReason.Ok) return;
          if (r.parse(v) === DropReason.Ok) {
            assertOptionsInside(r, v);
            assert.equal(r.headerLen(), len);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('random option chunks never throw', () => {
    // A valid fixed part followed by chunks whose length byte may disagree with their real size.
    const chunk = fc
      .tuple(
        fc.constantFrom(0, 1, 2, 3, 4, 5, 14, 25, 255),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: -1, max: 1 }),
      )
      .map(([type, units, realUnits, skew]) => {
        const c = new Uint8Array(Math.max(2, realUnits * 8 + skew)).fill(type ^ 0x5a);
        c[0] = type;
        c[1] = units;
        return c;
      });
    const v = new Icmpv6View();
    const r = new NdpRepr();
    let accepted = 0;
    fc.assert(
      fc.property(fc.integer({ min: 133, max: 137 }), fc.array(chunk, { maxLength: 20 }), (type, chunks) => {
        const fixed = ndpFixedLen(type);
        const msg = new Uint8Array(fixed + chunks.reduce((n, c) => n + c.length, 0));
        msg[0] = type;
        let p = fixed;
        for (const c of chunks) {
          msg.set(c, p);
          p += c.length;
        }
        assert.equal(v.check(msg, 0, msg.length), DropReason.Ok);
        if (r.parse(v) === DropReason.Ok) {
          accepted++;
          assertOptionsInside(r, v);
          assert.equal(r.headerLen(), msg.length);
          const out = new Uint8Array(msg.length);
          assert.equal(r.emit(out, 0), msg.length);
        }
      }),
      { numRuns: 5000 },
    );
    assert.ok(accepted > 100, `only ${accepted} accepted`);
  });

  test('truncated and mutated captures never throw', () => {
    const v = new Icmpv6View();
    const r = new NdpRepr();
    fc.assert(
      fc.property(
        fc.constantFrom(...GOLDEN),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (pkt, edits, cut) => {
          const buf = pkt.slice();
          for (const [at, val] of edits) buf[IP + ((at % (buf.length - IP)) | 0)] = val;
          const len = cut % (buf.length - IP + 1);
          if (v.check(buf, IP, len) !== DropReason.Ok) return;
          if (r.parse(v) === DropReason.Ok) {
            assertOptionsInside(r, v);
            const out = new Uint8Array(r.headerLen());
            assert.equal(r.emit(out, 0), out.length);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});
