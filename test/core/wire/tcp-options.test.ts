import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { hex } from '../../../src/core/wire/bytes.js';
import { DropReason } from '../../../src/core/wire/drop.js';
import { TCP_MAX_OPTIONS_LEN, TcpOptionKind, TcpOptions } from '../../../src/core/wire/tcp-options.js';

function h(s: string): Uint8Array {
  const t = s.replace(/\s+/g, '');
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function parsed(bytes: Uint8Array): { o: TcpOptions; r: DropReason } {
  const o = new TcpOptions();
  const r = o.parse(bytes, 0, bytes.length);
  return { o, r };
}

function emitted(o: TcpOptions): Uint8Array {
  const out = new Uint8Array(o.encodedLength());
  assert.equal(o.emit(out, 0), out.length);
  return out;
}

function kinds(o: TcpOptions): number[] {
  const k: number[] = [];
  for (let i = 0; i < o.count; i++) k.push(o.kindAt(i));
  return k;
}

/**
 * Hand-built option blocks. Each was also written into a pcap and printed by tcpdump 4.99.3
 * (`tcpdump -nn -S -r`); `tcpdump` is its output and `text` ours, which differs only where the
 * module doc says so (md5 wording, one space after `tfo`, data of unknown experiments, the
 * rendering of malformed options, and odd-length Fast Open cookies, which RFC 7413 allows).
 */
const GOLDEN: { bytes: string; tcpdump: string; text: string; reason?: DropReason }[] = [
  {
    bytes: '020405b4 0402 080a 00000001 00000000 01 030308',
    tcpdump: 'mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 8',
    text: 'mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 8',
  },
  {
    bytes: '0101 050a 000003e9 000007d1',
    tcpdump: 'nop,nop,sack 1 {1001:2001}',
    text: 'nop,nop,sack 1 {1001:2001}',
  },
  {
    bytes: '0101 0522 00000001 00000002 00000003 00000004 00000005 00000006 00000007 00000008',
    tcpdump: 'nop,nop,sack 4 {1:2}{3:4}{5:6}{7:8}',
    text: 'nop,nop,sack 4 {1:2}{3:4}{5:6}{7:8}',
  },
  {
    bytes: '1312 000102030405060708090a0b0c0d0e0f 0000',
    tcpdump: "md5 shared secret not supplied with -M, can't check - 000102030405060708090a0b0c0d0e0f,eol",
    text: 'md5 000102030405060708090a0b0c0d0e0f,eol',
  },
  { bytes: '2202 0101', tcpdump: 'tfo  cookiereq,nop,nop', text: 'tfo cookiereq,nop,nop' },
  {
    bytes: '220a 0001020304050607 0101',
    tcpdump: 'tfo  cookie 0001020304050607,nop,nop',
    text: 'tfo cookie 0001020304050607,nop,nop',
  },
  { bytes: 'fe04 f989', tcpdump: 'exp-tfo cookiereq', text: 'exp-tfo cookiereq' },
  {
    bytes: 'fe0c f989 0001020304050607',
    tcpdump: 'exp-tfo cookie 0001020304050607',
    text: 'exp-tfo cookie 0001020304050607',
  },
  { bytes: 'fe06 1234 abcd 0101', tcpdump: 'exp-1234,nop,nop', text: 'exp-1234 0xabcd,nop,nop' },
  { bytes: '6304 0102 00000000', tcpdump: 'unknown-99 0x0102,eol', text: 'unknown-99 0x0102,eol' },
  { bytes: '6302 0000', tcpdump: 'unknown-99,eol', text: 'unknown-99,eol' },
  { bytes: '030307 00', tcpdump: 'wscale 7,eol', text: 'wscale 7,eol' },
  { bytes: '00000000', tcpdump: 'eol', text: 'eol' },
  { bytes: '01 00 050607080000', tcpdump: 'nop,eol', text: 'nop,eol' },
  {
    bytes: '020505b400 000000',
    tcpdump: 'mss 1460[len 5],eol',
    text: 'mss[len 5] 0x05b400,eol',
    reason: DropReason.TcpBadOption,
  },
  {
    bytes: '020305 00',
    tcpdump: 'mss 1280[len 3]',
    text: 'mss[len 3] 0x05,eol',
    reason: DropReason.TcpBadOption,
  },
  { bytes: '1e04 0000', tcpdump: 'mptcp 4 capable[bad opt]', text: 'unknown-30 0x0000' },
  { bytes: 'fd04 abcd', tcpdump: 'unknown-253 0xabcd', text: 'unknown-253 0xabcd' },
  { bytes: '2207 0102030405 00', tcpdump: 'tfo  (invalid),eol', text: 'tfo cookie 0102030405,eol' },
  { bytes: '1c04 8010', tcpdump: 'uto 0x8010 16392', text: 'unknown-28 0x8010' },
  { bytes: '0402 0000', tcpdump: 'sackOK,eol', text: 'sackOK,eol' },
];

describe('tcp options: golden blocks', () => {
  for (const g of GOLDEN) {
    test(`${g.text}`, () => {
      const bytes = h(g.bytes);
      const { o, r } = parsed(bytes);
      assert.equal(r, g.reason ?? DropReason.Ok);
      assert.equal(o.toString(), g.text);
      assert.equal(hex(emitted(o)), hex(bytes), 're-emits byte-identically');
    });
  }

  test('decoded fields of a SYN block', () => {
    const { o } = parsed(h('020405b4 0402 080a 00000001 00000000 01 030308'));
    assert.equal(o.mss, 1460);
    assert.equal(o.wscale, 8);
    assert.ok(o.sackPermitted);
    assert.ok(o.hasTimestamps);
    assert.equal(o.tsVal, 1);
    assert.equal(o.tsEcr, 0);
    assert.equal(o.sackCount, 0);
    assert.ok(!o.hasMd5 && !o.hasFastOpen);
    assert.deepEqual(kinds(o), [2, 4, 8, 1, 3]);
    assert.equal(o.itemsLength, 20);
    assert.equal(o.paddingLength, 0);
  });

  test('SACK blocks decode as uint32 edges', () => {
    const { o } = parsed(
      h('0101 0522 ffffffff 00000001 80000000 80000010 00000005 00000006 fffffff0 fffffffe'),
    );
    assert.equal(o.sackCount, 4);
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => [o.sackLeft(i), o.sackRight(i)]),
      [
        [0xffffffff, 1],
        [0x80000000, 0x80000010],
        [5, 6],
        [0xfffffff0, 0xfffffffe],
      ],
    );
  });

  test('MD5 and Fast Open cookies are copied out', () => {
    const { o } = parsed(h('1312 000102030405060708090a0b0c0d0e0f 220a 0001020304050607 0000'));
    assert.ok(o.hasMd5);
    assert.equal(hex(o.md5), '000102030405060708090a0b0c0d0e0f');
    assert.ok(o.hasFastOpen && !o.fastOpenExperimental);
    assert.equal(o.fastOpenCookieLength, 8);
    assert.equal(hex(o.fastOpenCookie, 0, 8), '0001020304050607');
    const exp = parsed(h('fe04 f989')).o;
    assert.ok(exp.hasFastOpen && exp.fastOpenExperimental);
    assert.equal(exp.fastOpenCookieLength, 0);
    const other = parsed(h('fe06 1234 abcd 0101')).o;
    assert.ok(!other.hasFastOpen);
  });

  test('absent options read as -1 / false / 0', () => {
    const o = new TcpOptions();
    assert.equal(o.mss, -1);
    assert.equal(o.wscale, -1);
    assert.equal(o.sackPermitted, false);
    assert.equal(o.sackCount, 0);
    assert.equal(o.hasTimestamps, false);
    assert.equal(o.encodedLength(), 0);
    assert.equal(o.toString(), '');
    assert.equal(o.findKind(TcpOptionKind.MSS), -1);
  });

  test('duplicates: all kept in order, the last one decodes', () => {
    const { o, r } = parsed(h('020405b4 02040218'));
    assert.equal(r, DropReason.Ok);
    assert.equal(o.mss, 0x218);
    assert.equal(o.count, 2);
    assert.equal(o.findKind(TcpOptionKind.MSS), 1);
    assert.equal(o.offsetAt(1), 4);
    assert.equal(o.lengthAt(1), 4);
  });
});

describe('tcp options: malformed blocks', () => {
  const cases: [string, string, DropReason][] = [
    ['length byte 1', '0201 0000', DropReason.TcpBadOptionLength],
    ['length byte 0', '0101 0800', DropReason.TcpBadOptionLength],
    ['kind without its length byte', '010101 02', DropReason.TcpBadOptionLength],
    ['option running past the region', '0101 080a 00000001 0000', DropReason.TcpBadOptionLength],
    ['unknown option running past the region', '63 08 000000', DropReason.TcpBadOptionLength],
    ['MSS length 3', '020305 00', DropReason.TcpBadOption],
    ['MSS length 6', '020605b40000 0000', DropReason.TcpBadOption],
    ['WS length 4', '03040700', DropReason.TcpBadOption],
    ['WS length 2', '0302 0000', DropReason.TcpBadOption],
    ['SACK-permitted length 3', '040300 00', DropReason.TcpBadOption],
    ['timestamps length 8', '0808 000000010000 00000000', DropReason.TcpBadOption],
    ['timestamps length 12', '080c 00000001 00000002 0000', DropReason.TcpBadOption],
    ['SACK length 2', '0502 0000', DropReason.TcpBadOption],
    ['SACK length 9', '0509 00000001 000000 00 0000', DropReason.TcpBadOption],
    ['SACK length 14', '050e 00000001 00000002 000000000000', DropReason.TcpBadOption],
    ['MD5 length 17', '1311 000102030405060708090a0b0c0d0e 000000', DropReason.TcpBadOption],
    ['Fast Open cookie of 1 byte', '2203 01 00', DropReason.TcpBadOption],
    ['Fast Open cookie of 3 bytes', '2205 010203 000000', DropReason.TcpBadOption],
    ['Fast Open cookie of 17 bytes', `2213 ${'ab'.repeat(17)} 00`, DropReason.TcpBadOption],
    ['experimental Fast Open cookie of 2 bytes', 'fe06 f989 0102 0000', DropReason.TcpBadOption],
  ];
  for (const [name, bytes, reason] of cases) {
    test(name, () => {
      const b = h(bytes);
      const { o, r } = parsed(b);
      assert.equal(r, reason);
      if (reason === DropReason.TcpBadOption) {
        // The block is still complete and re-emits identically; the bad option stays undecoded.
        assert.equal(hex(emitted(o)), hex(b));
        assert.equal(o.mss, -1);
        assert.equal(o.wscale, -1);
        assert.equal(o.sackCount, 0);
        assert.ok(!o.hasTimestamps && !o.hasMd5 && !o.hasFastOpen && !o.sackPermitted);
      }
    });
  }

  test('a region longer than 40 bytes is refused', () => {
    assert.equal(new TcpOptions().parse(new Uint8Array(44).fill(1), 0, 44), DropReason.TcpBadOptionLength);
  });

  test('a region outside the buffer is Truncated, not an exception', () => {
    const o = new TcpOptions();
    assert.equal(o.parse(new Uint8Array(8), 4, 8), DropReason.Truncated);
    assert.equal(o.parse(new Uint8Array(8), -1, 4), DropReason.Truncated);
    assert.equal(o.parse(new Uint8Array(8), 0, -4), DropReason.Truncated);
  });

  test('a valid option after a bad one still decodes', () => {
    const { o, r } = parsed(h('020305 020405b4 01'));
    assert.equal(r, DropReason.TcpBadOption);
    assert.equal(o.mss, 1460);
    assert.deepEqual(kinds(o), [2, 2, 1]);
  });

  test('options after an EOL are padding, not options', () => {
    const { o, r } = parsed(h('01 00 020405b4 0000'));
    assert.equal(r, DropReason.Ok);
    assert.equal(o.mss, -1);
    assert.deepEqual(kinds(o), [1, 0]);
    assert.equal(o.itemsLength, 2);
    assert.equal(o.paddingLength, 6);
    assert.equal(o.toString(), 'nop,eol');
  });
});

describe('tcp options: builder', () => {
  test('Linux SYN layout', () => {
    const o = new TcpOptions();
    assert.ok(o.addMss(1460));
    assert.ok(o.addSackPermitted());
    assert.ok(o.addTimestamps(629750912, 0));
    assert.ok(o.addNop());
    assert.ok(o.addWindowScale(10));
    assert.equal(o.encodedLength(), 20);
    assert.equal(hex(emitted(o)), '020405b40402080a25893c80000000000103030a');
    assert.equal(o.toString(), 'mss 1460,sackOK,TS val 629750912 ecr 0,nop,wscale 10');
  });

  test('each builder writes its kind', () => {
    const o = new TcpOptions();
    const put = (f: () => boolean, expected: string) => {
      o.clear();
      assert.ok(f());
      assert.equal(hex(emitted(o)), expected);
      const back = parsed(emitted(o));
      assert.equal(back.r, DropReason.Ok);
      assert.ok(back.o.equals(o));
    };
    put(() => o.addEol(), '00000000');
    put(() => o.addNop(), '01000000');
    put(() => o.addMss(0xffff), '0204ffff');
    put(() => o.addWindowScale(14), '03030e00');
    put(() => o.addSackPermitted(), '04020000');
    put(() => o.addSack(Uint32Array.of(1001, 2001)), '050a000003e9000007d10000');
    put(() => o.addSack([1, 2, 3, 4, 5, 6], 2), '0512000000010000000200000003000000040000');
    put(() => o.addTimestamps(0xffffffff, 1), '080affffffff000000010000');
    put(
      () => o.addMd5(Uint8Array.from({ length: 16 }, (_, i) => i)),
      '1312000102030405060708090a0b0c0d0e0f0000',
    );
    put(() => o.addFastOpen([]), '22020000');
    put(() => o.addFastOpen([1, 2, 3, 4]), '220601020304' + '0000');
    put(() => o.addFastOpen([1, 2, 3, 4], true), 'fe08f98901020304');
    put(() => o.addFastOpen([], true), 'fe04f989');
    put(() => o.addUnknown(99, [1, 2]), '63040102');
    put(() => o.addUnknown(30, []), '1e020000');
  });

  test('builders refuse what would not fit or is invalid, leaving the record unchanged', () => {
    const o = new TcpOptions();
    assert.ok(o.addSack([1, 2, 3, 4, 5, 6, 7, 8]));
    assert.ok(!o.addSack([1, 2, 3, 4, 5, 6, 7, 8]));
    assert.equal(o.encodedLength(), 36);
    assert.ok(!o.addTimestamps(1, 2));
    assert.ok(o.addMss(1));
    assert.ok(!o.addWindowScale(1));
    assert.ok(o.addNop() && o.addNop());
    assert.ok(!o.addNop() && !o.addEol());
    assert.equal(o.encodedLength(), TCP_MAX_OPTIONS_LEN);
    assert.equal(o.toString(), 'sack 4 {1:2}{3:4}{5:6}{7:8},mss 1,nop,nop');
    o.clear();
    assert.ok(!o.addSack([], 0));
    assert.ok(!o.addSack([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5));
    assert.ok(!o.addSack([1, 2, 3], 2));
    assert.ok(!o.addFastOpen([1, 2, 3]));
    assert.ok(!o.addFastOpen(new Uint8Array(17)));
    assert.ok(!o.addMd5([1, 2, 3]));
    assert.ok(!o.addUnknown(0, []));
    assert.ok(!o.addUnknown(1, []));
    assert.ok(!o.addUnknown(256, []));
    assert.equal(o.encodedLength(), 0);
  });

  test('addUnknown with a known kind decodes it like a parser would', () => {
    const o = new TcpOptions();
    o.addUnknown(TcpOptionKind.MSS, [0x05, 0xb4]);
    assert.equal(o.mss, 1460);
    o.addUnknown(TcpOptionKind.MSS, [0x05]);
    assert.equal(o.mss, 1460);
    assert.equal(o.toString(), 'mss 1460,mss[len 3] 0x05');
    assert.equal(parsed(emitted(o)).r, DropReason.TcpBadOption);
  });

  test('options added after an EOL are padding', () => {
    const o = new TcpOptions();
    o.addNop();
    o.addEol();
    o.addMss(1460);
    assert.equal(o.mss, -1);
    assert.equal(o.count, 2);
    assert.equal(o.paddingLength, 4);
    assert.equal(hex(emitted(o)), '0100020405b40000');
  });

  test('equals means same wire bytes; copyFrom copies', () => {
    const a = new TcpOptions();
    a.addWindowScale(7);
    const b = new TcpOptions();
    b.addWindowScale(7);
    b.addEol();
    assert.ok(a.equals(b) && b.equals(a));
    b.addNop();
    assert.ok(!a.equals(b));
    const c = new TcpOptions();
    c.copyFrom(b);
    assert.ok(c.equals(b));
    assert.equal(c.toString(), b.toString());
    c.copyFrom(c);
    assert.ok(c.equals(b));
    const d = new TcpOptions();
    d.addWindowScale(8);
    assert.ok(!a.equals(d));
  });
});

// ---- property tests ----

type Op =
  | { k: 'eol' }
  | { k: 'nop' }
  | { k: 'mss'; v: number }
  | { k: 'ws'; v: number }
  | { k: 'sackok' }
  | { k: 'sack'; blocks: number[] }
  | { k: 'ts'; val: number; ecr: number }
  | { k: 'md5'; digest: Uint8Array }
  | { k: 'tfo'; cookie: Uint8Array; exp: boolean }
  | { k: 'raw'; kind: number; data: Uint8Array };

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constant<Op>({ k: 'eol' }), weight: 1 },
  { arbitrary: fc.constant<Op>({ k: 'nop' }), weight: 4 },
  {
    arbitrary: fc.record({ k: fc.constant('mss' as const), v: fc.integer({ min: 0, max: 0xffff }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ k: fc.constant('ws' as const), v: fc.integer({ min: 0, max: 255 }) }), weight: 3 },
  { arbitrary: fc.constant<Op>({ k: 'sackok' }), weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant('sack' as const),
      blocks: fc
        .integer({ min: 1, max: 4 })
        .chain((n) => fc.array(u32, { minLength: 2 * n, maxLength: 2 * n })),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ k: fc.constant('ts' as const), val: u32, ecr: u32 }), weight: 3 },
  {
    arbitrary: fc.record({
      k: fc.constant('md5' as const),
      digest: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('tfo' as const),
      cookie: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 4, maxLength: 16 })),
      exp: fc.boolean(),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      k: fc.constant('raw' as const),
      kind: fc.integer({ min: 2, max: 255 }),
      data: fc.uint8Array({ maxLength: 12 }),
    }),
    weight: 3,
  },
);

function build(o: TcpOptions, ops: Op[]): void {
  o.clear();
  for (const op of ops) {
    switch (op.k) {
      case 'eol':
        o.addEol();
        break;
      case 'nop':
        o.addNop();
        break;
      case 'mss':
        o.addMss(op.v);
        break;
      case 'ws':
        o.addWindowScale(op.v);
        break;
      case 'sackok':
        o.addSackPermitted();
        break;
      case 'sack':
        o.addSack(op.blocks);
        break;
      case 'ts':
        o.addTimestamps(op.val, op.ecr);
        break;
      case 'md5':
        o.addMd5(op.digest);
        break;
      case 'tfo':
        o.addFastOpen(op.cookie, op.exp);
        break;
      case 'raw':
        o.addUnknown(op.kind, op.data);
        break;
    }
  }
}

function decoded(o: TcpOptions) {
  return {
    mss: o.mss,
    wscale: o.wscale,
    sackPermitted: o.sackPermitted,
    sack: Array.from(o.sackBlocks.subarray(0, 2 * o.sackCount)),
    ts: o.hasTimestamps ? [o.tsVal, o.tsEcr] : null,
    md5: o.hasMd5 ? hex(o.md5) : null,
    tfo: o.hasFastOpen ? [o.fastOpenExperimental, hex(o.fastOpenCookie, 0, o.fastOpenCookieLength)] : null,
  };
}

describe('tcp options: properties', () => {
  test('parse(emit(o)) == o for arbitrary option lists', () => {
    const o = new TcpOptions();
    const back = new TcpOptions();
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 14 }), (ops) => {
        build(o, ops);
        assert.ok(o.encodedLength() <= TCP_MAX_OPTIONS_LEN);
        const wire = new Uint8Array(o.encodedLength() + 4).fill(0xee);
        const n = o.emit(wire, 2);
        assert.equal(n, o.encodedLength());
        assert.equal(wire[1], 0xee);
        assert.equal(wire[2 + n], 0xee);
        const r = back.parse(wire, 2, n);
        assert.ok(r === DropReason.Ok || r === DropReason.TcpBadOption);
        assert.ok(back.equals(o));
        assert.deepEqual(decoded(back), decoded(o));
        // Same list, except that the zero padding of a block without an EOL reads back as one.
        const k = kinds(o);
        const implicitEol = !k.includes(0) && o.itemsLength % 4 !== 0;
        assert.deepEqual(kinds(back), implicitEol ? [...k, 0] : k);
        assert.equal(
          back.toString(),
          implicitEol ? (k.length ? `${o.toString()},eol` : 'eol') : o.toString(),
        );
        const again = new Uint8Array(n);
        back.emit(again, 0);
        assert.equal(hex(again), hex(wire, 2, n));
      }),
      { numRuns: 4000 },
    );
  });

  test('random bytes never throw, and any delimitable block re-emits byte-identically', () => {
    const o = new TcpOptions();
    // Bias toward plausible blocks: known kinds and small length bytes.
    const byte = fc.oneof(
      fc.integer({ min: 0, max: 255 }),
      fc.constantFrom(0, 1, 2, 3, 4, 5, 8, 10, 18, 19, 34, 254, 0xf9, 0x89),
    );
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 48 }),
        fc.integer({ min: -2, max: 50 }),
        fc.integer({ min: -2, max: 50 }),
        (arr, off, len) => {
          const buf = Uint8Array.from(arr);
          const r = o.parse(buf, off, len);
          assert.ok(o.encodedLength() <= TCP_MAX_OPTIONS_LEN);
          o.toString();
          if (r === DropReason.Ok || r === DropReason.TcpBadOption) {
            const out = new Uint8Array(o.encodedLength());
            o.emit(out, 0);
            assert.equal(hex(out, 0, len), hex(buf, off, len));
            for (let i = len; i < out.length; i++) assert.equal(out[i], 0);
          }
        },
      ),
      { numRuns: 8000 },
    );
  });
});
