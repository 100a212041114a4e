import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteCollector, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../src/core/pcap/common.js';
import { PcapReader, PcapWriter } from '../../../src/core/pcap/pcap.js';
import { openCapture, readCapture } from '../../../src/core/pcap/reader.js';
import { instant } from '../../../src/core/time/time.js';
import { DropReason } from '../../../src/core/wire/drop.js';

// Hand-built: a nanosecond little-endian file, link type 101, one 3-byte record at 1.000000002 s.
const GOLDEN = Uint8Array.from([
  0x4d, 0x3c, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x04, 0x00, 0x65, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
  0x05, 0x00, 0x00, 0x00, 0xaa, 0xbb, 0xcc,
]);

interface Pkt {
  data: Uint8Array;
  sec: number;
  nsec: number;
  extra: number;
}

const pkt = fc.record({
  data: fc.uint8Array({ maxLength: 200 }),
  sec: fc.integer({ min: 0, max: 0xffffffff }),
  nsec: fc.integer({ min: 0, max: 999_999_999 }),
  extra: fc.integer({ min: 0, max: 100 }),
});

function write(pkts: Pkt[], opts: ConstructorParameters<typeof PcapWriter>[1]): Uint8Array {
  const c = new ByteCollector();
  const w = new PcapWriter(c.sink, opts);
  for (const p of pkts) w.write(p.data, 0, p.data.length, p.sec, p.nsec, p.data.length + p.extra);
  return c.bytes();
}

describe('pcap', () => {
  test('writer output matches hand-built bytes', () => {
    const c = new ByteCollector();
    const w = new PcapWriter(c.sink, { linkType: LINKTYPE_RAW });
    const data = Uint8Array.of(0, 0xaa, 0xbb, 0xcc);
    w.write(data, 1, 3, 1, 2, 5);
    assert.deepEqual(c.bytes(), GOLDEN);
  });

  test('reader parses hand-built bytes', () => {
    const r = new PcapReader(GOLDEN);
    assert.equal(r.nano, true);
    assert.equal(r.littleEndian, true);
    assert.equal(r.snaplen, 262144);
    assert.ok(r.next());
    const rec = r.record;
    assert.equal(rec.linkType, LINKTYPE_RAW);
    assert.equal(rec.tsSec, 1);
    assert.equal(rec.tsNsec, 2);
    assert.equal(rec.tsNs, 1_000_000_002n);
    assert.equal(rec.instant(), 1_000_000);
    assert.equal(rec.origLen, 5);
    assert.deepEqual([...rec.data], [0xaa, 0xbb, 0xcc]);
    assert.equal(r.next(), false);
    assert.equal(r.error, DropReason.Ok);
  });

  for (const precision of ['nano', 'micro'] as const) {
    for (const bigEndian of [false, true]) {
      test(`round trip, ${precision}, ${bigEndian ? 'big' : 'little'}-endian`, () => {
        fc.assert(
          fc.property(fc.array(pkt, { maxLength: 20 }), fc.integer({ min: 1, max: 300 }), (pkts, snaplen) => {
            const bytes = write(pkts, { precision, bigEndian, snaplen, linkType: LINKTYPE_ETHERNET });
            const got = readCapture(bytes);
            assert.equal(got.format, 'pcap');
            assert.equal(got.error, DropReason.Ok);
            assert.equal(got.records.length, pkts.length);
            pkts.forEach((p, i) => {
              const r = got.records[i]!;
              const caplen = Math.min(p.data.length, snaplen);
              assert.equal(r.linkType, LINKTYPE_ETHERNET);
              assert.equal(r.tsSec, p.sec);
              assert.equal(r.tsNsec, precision === 'nano' ? p.nsec : Math.floor(p.nsec / 1000) * 1000);
              assert.equal(r.origLen, p.data.length + p.extra);
              assert.deepEqual(r.data, p.data.subarray(0, caplen));
            });
          }),
          { numRuns: 300 },
        );
      });
    }
  }

  test('writeAt converts an Instant', () => {
    const c = new ByteCollector();
    const w = new PcapWriter(c.sink, { precision: 'micro' });
    w.writeAt(instant(3_000_007), Uint8Array.of(1), 0, 1);
    const [r] = readCapture(c.bytes()).records;
    assert.equal(r!.tsSec, 3);
    assert.equal(r!.tsNsec, 7000);
    assert.equal(r!.instant(), 3_000_007);
  });

  test('errors carry a reason and an offset', () => {
    assert.equal(new PcapReader(new Uint8Array(0)).error, DropReason.Truncated);
    assert.equal(new PcapReader(Uint8Array.of(1, 2, 3, 4, 5)).error, DropReason.PcapBadMagic);
    assert.equal(new PcapReader(GOLDEN.subarray(0, 20)).error, DropReason.Truncated);
    const badVersion = GOLDEN.slice();
    badVersion[4] = 3;
    const bv = new PcapReader(badVersion);
    assert.equal(bv.error, DropReason.PcapBadMagic);
    assert.equal(bv.errorOffset, 4);
    // A record cut short: reported at the record's start, after nothing was yielded.
    const cut = readCapture(GOLDEN.subarray(0, GOLDEN.length - 1));
    assert.equal(cut.records.length, 0);
    assert.equal(cut.error, DropReason.Truncated);
    assert.equal(cut.errorOffset, 24);
    const partialHeader = readCapture(GOLDEN.subarray(0, 30));
    assert.equal(partialHeader.error, DropReason.Truncated);
    assert.equal(partialHeader.errorOffset, 24);
    // Fraction out of range.
    const badFrac = GOLDEN.slice();
    badFrac.set([0x00, 0xca, 0x9a, 0x3b], 28); // 1e9 ns
    const bf = readCapture(badFrac);
    assert.equal(bf.error, DropReason.PcapBadBlock);
    assert.equal(bf.errorOffset, 24);
    // Good records before a bad one are still delivered.
    const two = new Uint8Array(GOLDEN.length + 19);
    two.set(GOLDEN);
    two.set(GOLDEN.subarray(24, 43), GOLDEN.length);
    const t = readCapture(two.subarray(0, two.length - 1));
    assert.equal(t.records.length, 1);
    assert.equal(t.error, DropReason.Truncated);
    assert.equal(t.errorOffset, 43);
    // The reader stays finished.
    const rd = openCapture(Uint8Array.of(9, 9, 9, 9));
    assert.equal(rd.next(), false);
    assert.equal(rd.next(), false);
    assert.equal(rd.error, DropReason.PcapBadMagic);
  });

  test('iteration protocol', () => {
    const bytes = write(
      [
        { data: Uint8Array.of(1), sec: 1, nsec: 0, extra: 0 },
        { data: Uint8Array.of(2, 2), sec: 2, nsec: 0, extra: 0 },
      ],
      {},
    );
    const seen: number[] = [];
    const rd = new PcapReader(bytes);
    for (const r of rd) seen.push(r.len);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(rd.error, DropReason.Ok);
  });

  test('truncated and mutated files never throw nor read out of bounds', () => {
    const base = write(
      [
        { data: new Uint8Array(60).fill(7), sec: 5, nsec: 6, extra: 0 },
        { data: new Uint8Array(10).fill(8), sec: 5, nsec: 7, extra: 3 },
        { data: new Uint8Array(0), sec: 6, nsec: 0, extra: 1 },
      ],
      {},
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: base.length }),
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (cut, edits) => {
          const b = base.slice(0, cut);
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          const got = readCapture(b);
          for (const r of got.records) assert.ok(r.off >= 0 && r.off + r.len <= b.length);
          if (got.error !== DropReason.Ok) assert.ok(got.errorOffset >= 0 && got.errorOffset <= b.length);
        },
      ),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        if (b.length >= 4) b.set([0xd4, 0xc3, 0xb2, 0xa1], 0);
        const got = readCapture(b);
        for (const r of got.records) assert.ok(r.off + r.len <= b.length);
      }),
      { numRuns: 5000 },
    );
  });
});
