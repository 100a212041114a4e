import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DropReason } from '../../../src/core/wire/drop.js';
import {
  fillIpv4Checksum,
  IPV4_HEADER_LEN,
  Ipv4Repr,
  Ipv4View,
  ipv4OptionsValid,
  verifyIpv4Checksum,
} from '../../../src/core/wire/ipv4.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// Captured with tcpdump on a veth pair between two network namespaces (10.77.0.1 -> 10.77.0.2, MTU
// 1280, checksum offload turned off with `ethtool -K veth tx off rx off`). Each constant is the
// Ethernet payload: the IPv4 datagram as captured.
//   ip netns exec A ping -c 1 10.77.0.2
const ECHO = hex(`
  45000054d9ce400040014c3e0a4d00010a4d0002
  0800cabd28890001fb62026b000000004217060000000000101112131415161718191a1b1c1d1e1f
  202122232425262728292a2b2c2d2e2f3031323334353637`);
//   ip netns exec A ping -c 1 -R 10.77.0.2   (Record Route option: NOP, then type 7, length 39)
const RECORD_ROUTE = hex(`
  4f00007cd9cf400040010fb80a4d00010a4d0002
  010727080a4d00010000000000000000000000000000000000000000000000000000000000000000
  08002aa6288a0001fb62026b00000000e22d060000000000101112131415161718191a1b1c1d1e1f
  202122232425262728292a2b2c2d2e2f3031323334353637`);
//   ip netns exec A ping -c 1 -s 2000 10.77.0.2   (two fragments)
// First fragment: its 20-byte header (the 1256 bytes of ICMP data after it are not kept here).
const FRAG_FIRST_HEADER = hex('450004fcd9d02000400167940a4d00010a4d0002');
// Last fragment, whole.
const FRAG_LAST = hex(`
  45000304d9d0009d400188ef0a4d00010a4d0002e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafb
  fcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b
  2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b
  5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b
  8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babb
  bcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaeb
  ecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f101112131415161718191a1b
  1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b
  4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b
  7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaab
  acadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadb
  dcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b
  0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b
  3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b
  6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b
  9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacb
  cccdcecf`);

function view(b: Uint8Array, off = 0, len = b.length - off): Ipv4View {
  const v = new Ipv4View();
  assert.equal(v.check(b, off, len), DropReason.Ok);
  return v;
}

function repr(v: Ipv4View): Ipv4Repr {
  const r = new Ipv4Repr();
  assert.equal(r.parse(v), DropReason.Ok);
  return r;
}

function snapshot(v: object): unknown[] {
  const d = Object.getOwnPropertyDescriptors(Object.getPrototypeOf(v));
  return Object.entries(d)
    .filter(([, x]) => x.get !== undefined)
    .map(([k]) => (v as Record<string, unknown>)[k]);
}

/** Same verdict and same reads whatever surrounds the datagram: nothing outside it is read. */
function checkContained(bytes: Uint8Array, len: number): void {
  if (len > bytes.length) {
    assert.equal(new Ipv4View().check(bytes, 0, len), DropReason.Truncated);
    return;
  }
  const results = [0x00, 0xff].map((fill) => {
    const buf = new Uint8Array(bytes.length + 8).fill(fill);
    buf.set(bytes, 4);
    const v = new Ipv4View();
    const reason = v.check(buf, 4, len);
    if (reason !== DropReason.Ok) return { reason };
    assert.ok(v.payloadOffset >= 4 + IPV4_HEADER_LEN && v.payloadOffset + v.payloadLength <= 4 + len);
    assert.ok(v.optionsOffset + v.optionsLength === v.payloadOffset);
    const r = new Ipv4Repr();
    const pr = r.parse(v);
    const ck = verifyIpv4Checksum(buf, 4, v.headerLength);
    return { reason, view: snapshot(v), pr, ck, repr: pr === DropReason.Ok ? r : undefined };
  });
  assert.equal(results[0]!.reason, results[1]!.reason);
  assert.deepEqual(results[0]!.view, results[1]!.view);
  assert.equal(results[0]!.pr, results[1]!.pr);
  assert.equal(results[0]!.ck, results[1]!.ck);
  if (results[0]!.repr) assert.ok(results[0]!.repr.equals(results[1]!.repr!));
}

/** A well-formed option list: NOPs and TLVs, then EOL/zero padding to a 4-byte boundary. */
const arbOptions = fc
  .array(
    fc.oneof(
      fc.constant(Uint8Array.of(1)),
      fc
        .tuple(fc.integer({ min: 2, max: 255 }), fc.uint8Array({ maxLength: 10 }))
        .map(([t, body]) => Uint8Array.of(t, body.length + 2, ...body)),
    ),
    { maxLength: 6 },
  )
  .map((opts) => {
    const out: number[] = [];
    for (const o of opts) if (out.length + o.length <= 40) out.push(...o);
    while (out.length & 3) out.push(0);
    return Uint8Array.from(out);
  });

const arbRepr = fc
  .record({
    dscp: fc.nat(63),
    ecn: fc.nat(3),
    id: fc.nat(0xffff),
    df: fc.boolean(),
    mf: fc.boolean(),
    fragUnits: fc.nat(0x1fff),
    ttl: fc.nat(255),
    proto: fc.nat(255),
    src: fc.integer({ min: 0, max: 0xffffffff }),
    dst: fc.integer({ min: 0, max: 0xffffffff }),
    options: arbOptions,
    payload: fc.nat(1500),
  })
  .map((f) => {
    const r = new Ipv4Repr();
    r.dscp = f.dscp;
    r.ecn = f.ecn;
    r.identification = f.id;
    r.dontFragment = f.df;
    r.moreFragments = f.mf;
    r.ttl = f.ttl;
    r.protocol = f.proto;
    r.src = f.src;
    r.dst = f.dst;
    r.options.set(f.options);
    r.optionsLen = f.options.length;
    // Keep fragments valid: non-last ones carry a non-zero multiple of 8, none ends past 65515.
    r.payloadLen = f.mf ? Math.max(8, f.payload & ~7) : f.payload;
    r.fragmentOffset = Math.min(f.fragUnits * 8, (65515 - r.payloadLen) & ~7);
    return r;
  });

describe('ipv4', () => {
  test('golden: captured echo request', () => {
    const v = view(ECHO);
    assert.equal(v.version, 4);
    assert.equal(v.ihl, 5);
    assert.equal(v.headerLength, 20);
    assert.equal(v.totalLength, 84);
    assert.equal(v.identification, 0xd9ce);
    assert.equal(v.dontFragment, true);
    assert.equal(v.moreFragments, false);
    assert.equal(v.reservedFlag, false);
    assert.equal(v.fragmentOffset, 0);
    assert.equal(v.ttl, 64);
    assert.equal(v.protocol, 1);
    assert.equal(v.checksum, 0x4c3e);
    assert.equal(v.src, 0x0a4d0001);
    assert.equal(v.dst, 0x0a4d0002);
    assert.equal(v.srcOffset, 12);
    assert.equal(v.dstOffset, 16);
    assert.equal(v.optionsLength, 0);
    assert.equal(v.payloadOffset, 20);
    assert.equal(v.payloadLength, 64);
    assert.ok(verifyIpv4Checksum(ECHO, 0, 20));
    const r = repr(v);
    assert.deepEqual(
      { ...r, options: undefined },
      {
        dscp: 0,
        ecn: 0,
        identification: 0xd9ce,
        dontFragment: true,
        moreFragments: false,
        fragmentOffset: 0,
        ttl: 64,
        protocol: 1,
        src: 0x0a4d0001,
        dst: 0x0a4d0002,
        options: undefined,
        optionsLen: 0,
        payloadLen: 64,
      },
    );
    assert.equal(r.isFragment, false);
    const out = new Uint8Array(20);
    assert.equal(r.emit(out, 0), 20);
    assert.deepEqual(out, ECHO.subarray(0, 20));
  });

  test('golden: captured Record Route option (IHL 15)', () => {
    const v = view(RECORD_ROUTE);
    assert.equal(v.ihl, 15);
    assert.equal(v.headerLength, 60);
    assert.equal(v.optionsOffset, 20);
    assert.equal(v.optionsLength, 40);
    assert.equal(v.payloadOffset, 60);
    assert.equal(v.payloadLength, 64);
    assert.ok(verifyIpv4Checksum(RECORD_ROUTE, 0, 60));
    const r = repr(v);
    assert.equal(r.optionsLen, 40);
    assert.deepEqual(r.options.subarray(0, 4), Uint8Array.of(1, 7, 39, 8));
    assert.equal(r.headerLen(), 60);
    const out = new Uint8Array(60);
    assert.equal(r.emit(out, 0), 60);
    assert.deepEqual(out, RECORD_ROUTE.subarray(0, 60));
  });

  test('golden: captured fragments expose what reassembly needs', () => {
    const first = new Uint8Array(1276);
    first.set(FRAG_FIRST_HEADER);
    const a = repr(view(first));
    assert.equal(a.isFragment, true);
    assert.equal(a.moreFragments, true);
    assert.equal(a.dontFragment, false);
    assert.equal(a.fragmentOffset, 0);
    assert.equal(a.payloadLen, 1256);
    assert.equal(a.identification, 0xd9d0);
    assert.ok(verifyIpv4Checksum(first, 0, 20));

    const vb = view(FRAG_LAST);
    assert.equal(vb.totalLength, 772);
    const b = repr(vb);
    assert.equal(b.isFragment, true);
    assert.equal(b.moreFragments, false);
    assert.equal(b.fragmentOffset, 1256);
    assert.equal(b.payloadLen, 752);
    assert.equal(b.identification, a.identification);
    assert.equal(b.protocol, a.protocol);
    assert.equal(b.src, a.src);
    assert.equal(b.dst, a.dst);
    assert.ok(verifyIpv4Checksum(FRAG_LAST, 0, 20));
    const out = new Uint8Array(20);
    b.emit(out, 0);
    assert.deepEqual(out, FRAG_LAST.subarray(0, 20));
    // The two pieces make up the 2008-byte ICMP message.
    assert.equal(a.payloadLen + b.payloadLen, 2008);
  });

  test('Ethernet padding after the total length is ignored', () => {
    const padded = new Uint8Array(6 + 40);
    const short = hex('45000018000100004011 0000 0a4d0001 0a4d0002 01020304');
    fillIpv4Checksum(short, 0, 20);
    padded.set(short, 6);
    padded.fill(0xee, 6 + short.length);
    const v = view(padded, 6, 40);
    assert.equal(v.len, 24);
    assert.equal(v.payloadOffset, 26);
    assert.equal(v.payloadLength, 4);
    assert.equal(repr(v).payloadLen, 4);
  });

  test('drops: version, header length, total length', () => {
    const v = new Ipv4View();
    const b = ECHO.slice();
    assert.equal(v.check(b, 0, 19), DropReason.Truncated);
    assert.equal(v.check(b, 0, b.length + 1), DropReason.Truncated);
    assert.equal(v.check(b, -1, 20), DropReason.Truncated);
    b[0] = 0x65;
    assert.equal(v.check(b, 0, b.length), DropReason.BadVersion);
    b[0] = 0x44;
    assert.equal(v.check(b, 0, b.length), DropReason.BadHeaderLength);
    b[0] = 0x40;
    assert.equal(v.check(b, 0, b.length), DropReason.BadHeaderLength);
    const rr = RECORD_ROUTE.slice();
    assert.equal(v.check(rr, 0, 59), DropReason.Truncated);
    b[0] = 0x45;
    b[2] = 0;
    b[3] = 19;
    assert.equal(v.check(b, 0, b.length), DropReason.Ipv4BadTotalLength);
    b[3] = 20;
    assert.equal(v.check(b, 0, b.length), DropReason.Ok);
    assert.equal(v.payloadLength, 0);
    b[3] = 85;
    assert.equal(v.check(b, 0, b.length), DropReason.Ipv4BadTotalLength);
    rr[3] = 56; // total length inside the 60-byte header
    assert.equal(v.check(rr, 0, rr.length), DropReason.Ipv4BadTotalLength);
  });

  test('drops: malformed options', () => {
    const bad = [
      '07 01 00 00', // length 1
      '07 00 00 00', // length 0
      '01 01 01 07', // a type at the last byte with no room for its length
      '44 08 05 00', // length beyond the header
      '01 07 09 04 00 00 00 00', // ... likewise after a NOP
    ];
    for (const o of bad) {
      const opts = hex(o);
      const b = new Uint8Array(20 + opts.length);
      b.set(ECHO.subarray(0, 20));
      b[0] = 0x40 | (b.length >>> 2);
      b[2] = 0;
      b[3] = b.length;
      b.set(opts, 20);
      assert.equal(new Ipv4Repr().parse(view(b)), DropReason.Ipv4BadOptions, o);
      assert.equal(ipv4OptionsValid(b, 20, b.length), false, o);
    }
    for (const o of [
      '00 ff ff ff',
      '01 01 01 00',
      '07 04 00 00',
      '01 07 06 00 00 00 00 00',
      '83 08 00 00 00 00 00 00',
    ]) {
      const opts = hex(o);
      assert.equal(ipv4OptionsValid(opts, 0, opts.length), true, o);
    }
    assert.equal(ipv4OptionsValid(hex('44 08 05 00 00 00 00 00'), 0, 4), false);
  });

  test('drops: impossible fragments', () => {
    const mk = (flags: number, len: number): Uint8Array => {
      const b = new Uint8Array(len);
      b.set(ECHO.subarray(0, 20));
      b[2] = len >>> 8;
      b[3] = len & 0xff;
      b[6] = flags >>> 8;
      b[7] = flags & 0xff;
      return b;
    };
    const r = new Ipv4Repr();
    assert.equal(r.parse(view(mk(0x2000, 20 + 7))), DropReason.Ipv4BadFragment); // MF, 7 bytes
    assert.equal(r.parse(view(mk(0x2000, 20))), DropReason.Ipv4BadFragment); // MF, empty
    assert.equal(r.parse(view(mk(0x2000, 20 + 16))), DropReason.Ok);
    assert.equal(r.parse(view(mk(0x0001, 20 + 7))), DropReason.Ok); // last fragment: any length
    // Offset 8185 * 8 = 65480 plus 36 bytes ends past the largest datagram payload (65515).
    assert.equal(r.parse(view(mk(0x1ff9, 20 + 36))), DropReason.Ipv4BadFragment);
    assert.equal(r.parse(view(mk(0x1ff9, 20 + 35))), DropReason.Ok);
    assert.equal(r.fragmentOffset, 65480);
  });

  test('checksum helpers', () => {
    const b = ECHO.slice(0, 20);
    b[8] = 63; // TTL decremented
    assert.ok(!verifyIpv4Checksum(b, 0, 20));
    fillIpv4Checksum(b, 0, 20);
    assert.ok(verifyIpv4Checksum(b, 0, 20));
    assert.equal((b[10]! << 8) | b[11]!, 0x4d3e);
  });

  test('emit pads options to 4 bytes with zeros and computes the checksum', () => {
    const r = repr(view(ECHO));
    r.options.set([1, 0x94, 4, 0, 0]); // NOP, Router Alert
    r.optionsLen = 5;
    assert.equal(r.headerLen(), 28);
    const out = new Uint8Array(30).fill(0xee);
    assert.equal(r.emit(out, 1), 28);
    assert.deepEqual(out.subarray(21, 29), Uint8Array.of(1, 0x94, 4, 0, 0, 0, 0, 0));
    assert.equal(out[0], 0xee);
    assert.equal(out[29], 0xee);
    assert.equal(out[1], 0x47);
    assert.ok(verifyIpv4Checksum(out, 1, 28));
  });

  test('parse(emit(r)) == r, and the emitted checksum verifies', () => {
    fc.assert(
      fc.property(arbRepr, fc.nat(7), (r, off) => {
        const hl = r.headerLen();
        const buf = new Uint8Array(off + hl + r.payloadLen);
        assert.equal(r.emit(buf, off), hl);
        assert.ok(verifyIpv4Checksum(buf, off, hl));
        const v = new Ipv4View();
        assert.equal(v.check(buf, off, buf.length - off), DropReason.Ok);
        const back = new Ipv4Repr();
        assert.equal(back.parse(v), DropReason.Ok);
        assert.ok(back.equals(r));
        assert.ok(r.equals(back));
      }),
      { numRuns: 2000 },
    );
  });

  test('equals notices every field', () => {
    const base = repr(view(RECORD_ROUTE));
    const keys = [
      'dscp',
      'ecn',
      'identification',
      'fragmentOffset',
      'ttl',
      'protocol',
      'src',
      'dst',
      'optionsLen',
      'payloadLen',
    ] as const;
    for (const k of keys) {
      const o = repr(view(RECORD_ROUTE));
      o[k] += 1;
      assert.ok(!base.equals(o), k);
    }
    for (const k of ['dontFragment', 'moreFragments'] as const) {
      const o = repr(view(RECORD_ROUTE));
      o[k] = !o[k];
      assert.ok(!base.equals(o), k);
    }
    const o = repr(view(RECORD_ROUTE));
    o.options[39] = 1;
    assert.ok(!base.equals(o));
  });

  test('random bytes never throw and never read outside the datagram', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -2, max: 84 }), (bytes, len) => {
        // Often make it look like IPv4 with a plausible total length, so the deeper checks run.
        if (bytes.length >= 4 && len & 1) {
          bytes[0] = 0x40 | (bytes[0]! & 0x0f);
          bytes[2] = 0;
          bytes[3] = Math.max(0, Math.min(len, bytes.length) - (bytes[3]! & 7));
        }
        checkContained(bytes, len);
      }),
      { numRuns: 5000 },
    );
  });

  test('mutated and truncated captures never throw and never read outside the datagram', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(ECHO, RECORD_ROUTE, FRAG_LAST),
        fc.array(fc.tuple(fc.nat(63), fc.nat(255)), { maxLength: 4 }),
        fc.nat(800),
        (g, muts, cut) => {
          const b = g.slice();
          for (const [at, x] of muts) b[at % b.length] = x;
          checkContained(b, cut % (b.length + 4));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
