import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DropReason } from '../../../src/core/wire/drop.js';
import {
  IPV6_HEADER_LEN,
  IPV6_NH_AH,
  IPV6_NH_DEST_OPTS,
  IPV6_NH_ESP,
  IPV6_NH_FRAGMENT,
  IPV6_NH_HOP_BY_HOP,
  IPV6_NH_NONE,
  IPV6_NH_ROUTING,
  Ipv6ExtWalker,
  Ipv6FragmentRepr,
  Ipv6FragmentView,
  Ipv6Repr,
  Ipv6View,
} from '../../../src/core/wire/ipv6.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// Captured with tcpdump on a veth pair (MTU 1280) between two network namespaces, fd77::1 -> fd77::2,
// checksum offload off (`ethtool -K veth tx off rx off`). Each constant is the Ethernet payload.
//   ip netns exec A ping -6 -c 1 fd77::2
const ECHO = hex(`
  600dfcdc00403a40 fd770000000000000000000000000001 fd770000000000000000000000000002
  80006527288b0001fb62026b00000000343e060000000000101112131415161718191a1b1c1d1e1f
  202122232425262728292a2b2c2d2e2f3031323334353637`);
// The MLDv2 report the kernel sent when the interface came up: a Hop-by-Hop header with Router Alert.
const MLD_REPORT = hex(`
  6000000000380001 fe80000000000000000000fffe007701 ff020000000000000000000000000016
  3a00050200000100
  8f0081eb0000000204000000ff0200000000000000000001ff00770104000000ff0200000000000000000001ff000001`);
//   ip netns exec A ping -6 -c 1 -s 3000 fd77::2   (three fragments)
// First fragment: fixed header, Fragment header and ICMPv6 echo header (the remaining 1224 bytes of
// echo data are not kept here; tests fill them with zeros).
const FRAG_FIRST_HEAD = hex(`
  600dfcdc04d82c40 fd770000000000000000000000000001 fd770000000000000000000000000002
  3a0000015b3c8d5e 8000a7b8288c0001`);
// Last fragment, whole.
const FRAG_LAST = hex(`
  600dfcdc02282c40fd770000000000000000000000000001fd7700000000000000000000000000023a0009a05b3c8d5e
  98999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7
  c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7
  f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627
  28292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f5051525354555657
  58595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f8081828384858687
  88898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7
  b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7
  e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f1011121314151617
  18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f4041424344454647
  48494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f7071727374757677
  78797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7
  a8a9aaabacadaeafb0b1b2b3b4b5b6b7`);

function fragFirst(): Uint8Array {
  const b = new Uint8Array(IPV6_HEADER_LEN + 0x04d8);
  b.set(FRAG_FIRST_HEAD);
  return b;
}

function view(b: Uint8Array, off = 0, len = b.length - off): Ipv6View {
  const v = new Ipv6View();
  assert.equal(v.check(b, off, len), DropReason.Ok);
  return v;
}

/** One extension header for hand-built chains: type and total length (the walk only reads lengths). */
interface Ext {
  type: number;
  len: number;
  fragOff?: number;
  more?: boolean;
}

/**
 * An IPv6 packet whose chain is `exts` followed by `upper` with `upperLen` bytes. Each header gets its
 * Next Header byte and its own length encoding (8-byte units - 1, or 4-byte units - 2 for AH).
 */
function build(exts: Ext[], upper: number, upperLen: number, off = 0): Uint8Array {
  const payload = exts.reduce((n, e) => n + e.len, 0) + upperLen;
  const buf = new Uint8Array(off + IPV6_HEADER_LEN + payload);
  const r = new Ipv6Repr();
  r.payloadLen = payload;
  r.nextHeader = exts.length ? exts[0]!.type : upper;
  r.src[15] = 1;
  r.dst[15] = 2;
  r.emit(buf, off);
  let pos = off + IPV6_HEADER_LEN;
  exts.forEach((e, i) => {
    buf[pos] = i + 1 < exts.length ? exts[i + 1]!.type : upper;
    if (e.type === IPV6_NH_FRAGMENT) {
      const f = new Ipv6FragmentRepr();
      f.nextHeader = buf[pos]!;
      f.fragmentOffset = e.fragOff ?? 0;
      f.moreFragments = e.more ?? false;
      f.identification = 0xabcd0000 + i;
      f.emit(buf, pos);
    } else if (e.type === IPV6_NH_AH) {
      buf[pos + 1] = (e.len >>> 2) - 2;
    } else {
      buf[pos + 1] = (e.len >>> 3) - 1;
    }
    pos += e.len;
  });
  return buf;
}

function walk(b: Uint8Array, w = new Ipv6ExtWalker()): [DropReason, Ipv6ExtWalker] {
  return [w.walk(view(b)), w];
}

function snapshot(v: object): unknown[] {
  const d = Object.getOwnPropertyDescriptors(Object.getPrototypeOf(v));
  return Object.entries(d)
    .filter(([, x]) => x.get !== undefined)
    .map(([k]) => (v as Record<string, unknown>)[k]);
}

/** Same verdicts and same reads whatever surrounds the packet: nothing outside it is read. */
function checkContained(bytes: Uint8Array, len: number): void {
  if (len > bytes.length) {
    assert.equal(new Ipv6View().check(bytes, 0, len), DropReason.Truncated);
    return;
  }
  const results = [0x00, 0xff].map((fill) => {
    const buf = new Uint8Array(bytes.length + 16).fill(fill);
    buf.set(bytes, 8);
    const v = new Ipv6View();
    const reason = v.check(buf, 8, len);
    if (reason !== DropReason.Ok) return { reason };
    const end = 8 + len;
    assert.ok(v.off + v.len <= end);
    const r = new Ipv6Repr();
    assert.equal(r.parse(v), DropReason.Ok);
    const w = new Ipv6ExtWalker();
    const wr = w.walk(v);
    if (wr === DropReason.Ok) {
      assert.ok(w.offset >= v.payloadOffset && w.length >= 0 && w.offset + w.length === v.off + v.len);
      assert.ok(w.nextHeaderOffset >= 8 && w.nextHeaderOffset < w.offset);
      if (w.hasFragment) assert.ok(w.fragmentHeaderOffset + 8 <= v.off + v.len);
    } else {
      assert.ok(w.errorOffset >= 8 && w.errorOffset < v.off + v.len);
    }
    let frag: unknown;
    const fv = new Ipv6FragmentView();
    if (fv.check(buf, v.payloadOffset, v.len - IPV6_HEADER_LEN) === DropReason.Ok) {
      const fr = new Ipv6FragmentRepr();
      fr.parse(fv);
      frag = [snapshot(fv), { ...fr }];
    }
    return { reason, view: snapshot(v), repr: { ...r }, wr, walker: { ...w }, frag };
  });
  assert.deepEqual(results[0], results[1]);
}

const arbRepr = fc
  .record({
    dscp: fc.nat(63),
    ecn: fc.nat(3),
    flow: fc.nat(0xfffff),
    payload: fc.nat(2000),
    nh: fc.nat(255),
    hop: fc.nat(255),
    src: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    dst: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  })
  .map((f) => {
    const r = new Ipv6Repr();
    r.dscp = f.dscp;
    r.ecn = f.ecn;
    r.flowLabel = f.flow;
    r.payloadLen = f.payload;
    r.nextHeader = f.nh;
    r.hopLimit = f.hop;
    r.src.set(f.src);
    r.dst.set(f.dst);
    return r;
  });

describe('ipv6', () => {
  test('golden: captured echo request', () => {
    const v = view(ECHO);
    assert.equal(v.version, 6);
    assert.equal(v.trafficClass, 0);
    assert.equal(v.flowLabel, 0xdfcdc);
    assert.equal(v.payloadLength, 64);
    assert.equal(v.nextHeader, 58);
    assert.equal(v.hopLimit, 64);
    assert.equal(v.srcOffset, 8);
    assert.equal(v.dstOffset, 24);
    assert.equal(v.payloadOffset, 40);
    const r = new Ipv6Repr();
    assert.equal(r.parse(v), DropReason.Ok);
    assert.equal(r.flowLabel, 0xdfcdc);
    assert.equal(r.payloadLen, 64);
    assert.deepEqual(r.src, hex('fd770000000000000000000000000001'));
    assert.deepEqual(r.dst, hex('fd770000000000000000000000000002'));
    const out = new Uint8Array(40);
    assert.equal(r.emit(out, 0), 40);
    assert.equal(r.headerLen(), 40);
    assert.deepEqual(out, ECHO.subarray(0, 40));
    const [wr, w] = walk(ECHO);
    assert.equal(wr, DropReason.Ok);
    assert.deepEqual([w.protocol, w.offset, w.length, w.headerCount, w.hasFragment], [58, 40, 64, 0, false]);
    assert.equal(w.nextHeaderOffset, 6);
  });

  test('golden: captured MLDv2 report behind a Hop-by-Hop header', () => {
    const [wr, w] = walk(MLD_REPORT);
    assert.equal(wr, DropReason.Ok);
    assert.equal(w.hopByHopOffset, 40);
    assert.equal(w.headerCount, 1);
    assert.equal(w.protocol, 58);
    assert.equal(w.offset, 48);
    assert.equal(w.length, 48);
    assert.equal(w.nextHeaderOffset, 40);
    assert.equal(MLD_REPORT[w.offset], 143);
    const r = new Ipv6Repr();
    r.parse(view(MLD_REPORT));
    assert.equal(r.hopLimit, 1);
    const out = new Uint8Array(40);
    r.emit(out, 0);
    assert.deepEqual(out, MLD_REPORT.subarray(0, 40));
  });

  test('golden: captured fragments (first and last of three)', () => {
    const [r1, a] = walk(fragFirst());
    assert.equal(r1, DropReason.Ok);
    assert.equal(a.hasFragment, true);
    assert.equal(a.fragmentHeaderOffset, 40);
    assert.equal(a.fragmentPrevNextHeaderOffset, 6);
    assert.equal(a.fragmentOffset, 0);
    assert.equal(a.moreFragments, true);
    assert.equal(a.fragmentIdent, 0x5b3c8d5e);
    assert.equal(a.protocol, 58);
    assert.equal(a.offset, 48);
    assert.equal(a.length, 1232);
    assert.equal(a.nextHeaderOffset, 40);

    const [r2, b] = walk(FRAG_LAST);
    assert.equal(r2, DropReason.Ok);
    assert.equal(b.fragmentOffset, 2464);
    assert.equal(b.moreFragments, false);
    assert.equal(b.fragmentIdent, 0x5b3c8d5e);
    assert.equal(b.protocol, 58);
    assert.equal(b.offset, 48);
    assert.equal(b.length, 544);
    // 2464 + 544 = 3008 bytes of ICMPv6 message in all.
    assert.equal(b.fragmentOffset + b.length, 3008);

    const fv = new Ipv6FragmentView();
    assert.equal(fv.check(FRAG_LAST, 40, FRAG_LAST.length - 40), DropReason.Ok);
    const f = new Ipv6FragmentRepr();
    assert.equal(f.parse(fv), DropReason.Ok);
    assert.deepEqual(
      { ...f },
      { nextHeader: 58, fragmentOffset: 2464, moreFragments: false, identification: 0x5b3c8d5e },
    );
    const out = new Uint8Array(8);
    assert.equal(f.emit(out, 0), 8);
    assert.equal(f.headerLen(), 8);
    assert.deepEqual(out, FRAG_LAST.subarray(40, 48));
    const first = new Ipv6FragmentRepr();
    fv.check(FRAG_FIRST_HEAD, 40, 8);
    first.parse(fv);
    first.emit(out, 0);
    assert.deepEqual(out, FRAG_FIRST_HEAD.subarray(40, 48));
  });

  test('traffic class splits into DSCP and ECN', () => {
    const r = new Ipv6Repr();
    r.dscp = 46; // EF
    r.ecn = 2; // ECT(0)
    r.flowLabel = 0xfffff;
    const out = new Uint8Array(40);
    r.emit(out, 0);
    assert.deepEqual(out.subarray(0, 4), hex('6bafffff'));
    const v = view(out);
    assert.equal(v.trafficClass, 0xba);
    assert.equal(v.dscp, 46);
    assert.equal(v.ecn, 2);
    assert.equal(v.flowLabel, 0xfffff);
  });

  test('padding after the payload length is ignored; drops for version and length', () => {
    const padded = new Uint8Array(ECHO.length + 20);
    padded.set(ECHO);
    const v = view(padded);
    assert.equal(v.len, 104);
    const [, w] = walk(padded);
    assert.equal(w.length, 64);
    const b = ECHO.slice();
    assert.equal(v.check(b, 0, 39), DropReason.Truncated);
    assert.equal(v.check(b, 0, b.length + 1), DropReason.Truncated);
    assert.equal(v.check(b, -4, 50), DropReason.Truncated);
    assert.equal(v.check(b, 0, b.length - 1), DropReason.Ipv6BadPayloadLength);
    b[0] = 0x40;
    assert.equal(v.check(b, 0, b.length), DropReason.BadVersion);
    b[0] = 0x60;
    b[4] = 0;
    b[5] = 0;
    assert.equal(v.check(b, 0, b.length), DropReason.Ok);
    assert.equal(v.len, 40);
  });

  test('walk: a long legal chain', () => {
    const exts: Ext[] = [
      { type: IPV6_NH_HOP_BY_HOP, len: 8 },
      { type: IPV6_NH_DEST_OPTS, len: 16 },
      { type: IPV6_NH_ROUTING, len: 24 },
      { type: IPV6_NH_FRAGMENT, len: 8 }, // atomic: offset 0, M clear
      { type: IPV6_NH_AH, len: 24 },
      { type: IPV6_NH_DEST_OPTS, len: 8 },
    ];
    const b = build(exts, 6, 20, 3);
    const w = new Ipv6ExtWalker();
    assert.equal(w.walk(view(b, 3)), DropReason.Ok);
    assert.equal(w.headerCount, 6);
    assert.equal(w.protocol, 6);
    assert.equal(w.offset, 3 + 40 + 88);
    assert.equal(w.length, 20);
    assert.equal(w.nextHeaderOffset, 3 + 40 + 80);
    assert.equal(w.hopByHopOffset, 43);
    assert.equal(w.routingOffset, 43 + 24);
    assert.equal(w.destOptsOffset, 43 + 80);
    assert.equal(w.hasFragment, true);
    assert.equal(w.fragmentHeaderOffset, 43 + 48);
    assert.equal(w.fragmentPrevNextHeaderOffset, 43 + 24);
    assert.equal(w.fragmentOffset, 0);
    assert.equal(w.moreFragments, false);
    assert.equal(w.fragmentIdent, 0xabcd0003);
    // The walker is reusable: a plain packet afterwards reports no extension headers.
    assert.equal(w.walk(view(ECHO)), DropReason.Ok);
    assert.deepEqual(
      [w.headerCount, w.hasFragment, w.hopByHopOffset, w.routingOffset, w.destOptsOffset],
      [0, false, -1, -1, -1],
    );
  });

  test('walk: No Next Header, ESP and unknown protocols end the chain', () => {
    let [r, w] = walk(build([{ type: IPV6_NH_DEST_OPTS, len: 8 }], IPV6_NH_NONE, 13));
    assert.equal(r, DropReason.Ok);
    assert.deepEqual([w.protocol, w.offset, w.length], [IPV6_NH_NONE, 48, 13]);
    [r, w] = walk(build([], IPV6_NH_NONE, 0));
    assert.deepEqual([r, w.protocol, w.offset, w.length], [DropReason.Ok, IPV6_NH_NONE, 40, 0]);
    [r, w] = walk(build([{ type: IPV6_NH_ROUTING, len: 8 }], IPV6_NH_ESP, 3));
    assert.deepEqual([r, w.protocol, w.offset, w.length], [DropReason.Ok, IPV6_NH_ESP, 48, 3]);
    [r, w] = walk(build([], 253, 1));
    assert.deepEqual([r, w.protocol, w.offset], [DropReason.Ok, 253, 40]);
  });

  test('walk: Hop-by-Hop only directly after the fixed header', () => {
    const [r, w] = walk(
      build(
        [
          { type: IPV6_NH_DEST_OPTS, len: 8 },
          { type: IPV6_NH_HOP_BY_HOP, len: 8 },
        ],
        17,
        8,
      ),
    );
    assert.equal(r, DropReason.Ipv6BadExtensionHeader);
    assert.equal(w.errorOffset, 40); // the Next Header byte that names it
    const [r2] = walk(
      build(
        [
          { type: IPV6_NH_HOP_BY_HOP, len: 8 },
          { type: IPV6_NH_HOP_BY_HOP, len: 8 },
        ],
        17,
        8,
      ),
    );
    assert.equal(r2, DropReason.Ipv6BadExtensionHeader);
  });

  test('walk: bounded number of headers', () => {
    const eight = Array.from({ length: 8 }, () => ({ type: IPV6_NH_DEST_OPTS, len: 8 }));
    assert.equal(walk(build(eight, 17, 8))[0], DropReason.Ok);
    const nine = [...eight, { type: IPV6_NH_DEST_OPTS, len: 8 }];
    const [r, w] = walk(build(nine, 17, 8));
    assert.equal(r, DropReason.Ipv6TooManyExtensionHeaders);
    assert.equal(w.errorOffset, 40 + 7 * 8);
    assert.equal(walk(build(eight, 17, 8), new Ipv6ExtWalker(3))[0], DropReason.Ipv6TooManyExtensionHeaders);
    assert.equal(walk(build(nine, 17, 8), new Ipv6ExtWalker(9))[0], DropReason.Ok);
  });

  test('walk: headers that do not fit', () => {
    // Declares 16 bytes with 12 left.
    const b = build([{ type: IPV6_NH_DEST_OPTS, len: 8 }], 17, 4);
    b[41] = 1;
    let [r, w] = walk(b);
    assert.equal(r, DropReason.Ipv6BadExtensionHeader);
    assert.equal(w.errorOffset, 41);
    // AH: (n + 2) * 4 bytes.
    const ah = build([{ type: IPV6_NH_AH, len: 12 }], 17, 0);
    assert.equal(walk(ah)[0], DropReason.Ok);
    ah[41] = 2; // 16 bytes
    assert.equal(walk(ah)[0], DropReason.Ipv6BadExtensionHeader);
    // Fewer than 8 bytes left for any extension header.
    [r, w] = walk(build([], IPV6_NH_ROUTING, 7));
    assert.equal(r, DropReason.Ipv6BadExtensionHeader);
    assert.equal(w.errorOffset, 6); // the Next Header byte naming the missing header
    assert.equal(walk(build([], IPV6_NH_FRAGMENT, 7))[0], DropReason.Ipv6BadExtensionHeader);
    assert.equal(walk(build([], IPV6_NH_HOP_BY_HOP, 0))[0], DropReason.Ipv6BadExtensionHeader);
  });

  test('walk: malformed fragments (RFC 8200 §4.5)', () => {
    // M set with 12 bytes of data: not a multiple of 8; the pointer is the payload length field.
    let [r, w] = walk(build([{ type: IPV6_NH_FRAGMENT, len: 8, more: true }], 17, 12));
    assert.equal(r, DropReason.Ipv6BadFragment);
    assert.equal(w.errorOffset, 4);
    [r] = walk(build([{ type: IPV6_NH_FRAGMENT, len: 8, more: true }], 17, 0));
    assert.equal(r, DropReason.Ipv6BadFragment);
    // Offset + data beyond 65535: the pointer is the fragment offset field.
    [r, w] = walk(build([{ type: IPV6_NH_FRAGMENT, len: 8, fragOff: 65528 }], 17, 9));
    assert.equal(r, DropReason.Ipv6BadFragment);
    assert.equal(w.errorOffset, 42);
    [r, w] = walk(build([{ type: IPV6_NH_FRAGMENT, len: 8, fragOff: 65528 }], 17, 7));
    assert.equal(r, DropReason.Ok);
    assert.deepEqual([w.fragmentOffset, w.moreFragments, w.length], [65528, false, 7]);
  });

  test('walk: a non-first fragment stops at the Fragment header, data is not parsed', () => {
    const b = build(
      [
        { type: IPV6_NH_HOP_BY_HOP, len: 8 },
        { type: IPV6_NH_FRAGMENT, len: 8, fragOff: 1232, more: true },
        { type: IPV6_NH_DEST_OPTS, len: 8 },
      ],
      6,
      16,
    );
    const [r, w] = walk(b);
    assert.equal(r, DropReason.Ok);
    assert.equal(w.headerCount, 2);
    assert.equal(w.protocol, IPV6_NH_DEST_OPTS);
    assert.equal(w.offset, 56);
    assert.equal(w.length, 24);
    assert.equal(w.nextHeaderOffset, 48);
    assert.equal(w.fragmentHeaderOffset, 48);
    assert.equal(w.fragmentPrevNextHeaderOffset, 40);
    assert.equal(w.destOptsOffset, -1);
  });

  test('parse(emit(r)) == r for the fixed header', () => {
    fc.assert(
      fc.property(arbRepr, fc.nat(7), (r, off) => {
        const buf = new Uint8Array(off + 40 + r.payloadLen);
        assert.equal(r.emit(buf, off), 40);
        const v = new Ipv6View();
        assert.equal(v.check(buf, off, buf.length - off), DropReason.Ok);
        const back = new Ipv6Repr();
        assert.equal(back.parse(v), DropReason.Ok);
        assert.ok(back.equals(r));
        assert.ok(r.equals(back));
      }),
      { numRuns: 2000 },
    );
  });

  test('parse(emit(r)) == r for the Fragment header', () => {
    fc.assert(
      fc.property(
        fc.nat(255),
        fc.nat(8191),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.nat(5),
        (nh, units, more, id, off) => {
          const f = new Ipv6FragmentRepr();
          f.nextHeader = nh;
          f.fragmentOffset = units * 8;
          f.moreFragments = more;
          f.identification = id;
          const buf = new Uint8Array(off + 8);
          assert.equal(f.emit(buf, off), 8);
          const v = new Ipv6FragmentView();
          assert.equal(v.check(buf, off, 8), DropReason.Ok);
          const back = new Ipv6FragmentRepr();
          assert.equal(back.parse(v), DropReason.Ok);
          assert.ok(back.equals(f));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('walk over random legal chains reports what was built', () => {
    const arbExt = fc.oneof(
      fc.record({
        type: fc.constant(IPV6_NH_DEST_OPTS),
        len: fc.integer({ min: 1, max: 4 }).map((n) => n * 8),
      }),
      fc.record({
        type: fc.constant(IPV6_NH_ROUTING),
        len: fc.integer({ min: 1, max: 4 }).map((n) => n * 8),
      }),
      fc.record({ type: fc.constant(IPV6_NH_AH), len: fc.integer({ min: 3, max: 10 }).map((n) => n * 4) }),
      fc.record({ type: fc.constant(IPV6_NH_FRAGMENT), len: fc.constant(8) }),
    );
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(arbExt, { maxLength: 9 }),
        fc.constantFrom(6, 17, 58, IPV6_NH_NONE, IPV6_NH_ESP),
        fc.nat(100),
        (hbh, rest, upper, upperLen) => {
          const exts: Ext[] = hbh ? [{ type: IPV6_NH_HOP_BY_HOP, len: 8 }, ...rest] : rest;
          const b = build(exts, upper, upperLen);
          const [r, w] = walk(b);
          if (exts.length > 8) {
            assert.equal(r, DropReason.Ipv6TooManyExtensionHeaders);
            return;
          }
          assert.equal(r, DropReason.Ok);
          const hdrBytes = exts.reduce((n, e) => n + e.len, 0);
          assert.equal(w.headerCount, exts.length);
          assert.equal(w.protocol, upper);
          assert.equal(w.offset, 40 + hdrBytes);
          assert.equal(w.length, upperLen);
          assert.equal(w.hopByHopOffset, hbh ? 40 : -1);
          assert.equal(
            w.hasFragment,
            exts.some((e) => e.type === IPV6_NH_FRAGMENT),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('random bytes never throw and never read outside the packet', () => {
    const nhs = [0, 43, 44, 51, 60, 59, 50, 6, 17, 58];
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 120 }),
        fc.integer({ min: -2, max: 124 }),
        fc.nat(),
        (bytes, len, k) => {
          // Often make it look like IPv6 with a fitting payload length and an extension chain.
          if (bytes.length >= 40 && k & 1) {
            bytes[0] = 0x60 | (bytes[0]! & 0x0f);
            bytes[4] = 0;
            bytes[5] = Math.max(0, Math.min(len, bytes.length) - 40 - (k & 6));
            bytes[6] = nhs[k % nhs.length]!;
            for (let p = 40; p + 1 < bytes.length; p += 8) {
              bytes[p] = nhs[(k >>> 4) % nhs.length]!;
              bytes[p + 1] &= 1;
              k = Math.floor(k / 3);
            }
          }
          checkContained(bytes, len);
        },
      ),
      { numRuns: 5000 },
    );
  });

  test('mutated and truncated captures never throw and never read outside the packet', () => {
    const goldens = [
      ECHO,
      MLD_REPORT,
      FRAG_LAST,
      fragFirst().subarray(0, 120),
      build(
        [
          { type: 0, len: 8 },
          { type: 44, len: 8 },
          { type: 51, len: 12 },
          { type: 43, len: 16 },
        ],
        6,
        20,
      ),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...goldens),
        fc.array(fc.tuple(fc.nat(100), fc.nat(255)), { maxLength: 4 }),
        fc.nat(700),
        (g, muts, cut) => {
          const b = g.slice();
          for (const [at, x] of muts) b[at % b.length] = x;
          checkContained(b, cut % (b.length + 4));
          // And with the payload length trimmed to the cut, so the walk meets a short chain.
          if (cut % b.length >= 40) {
            const n = cut % b.length;
            b[4] = (n - 40) >>> 8;
            b[5] = (n - 40) & 0xff;
            checkContained(b, n);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});
