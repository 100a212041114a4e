import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ByteCollector,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV6,
  LINKTYPE_RAW,
} from '../../../src/core/pcap/common.js';
import { PcapngReader, PcapngWriter } from '../../../src/core/pcap/pcapng.js';
import { readCapture } from '../../../src/core/pcap/reader.js';
import { instant } from '../../../src/core/time/time.js';
import { DropReason } from '../../../src/core/wire/drop.js';

// --- hand-built blocks ----------------------------------------------------------------------------

function u32(v: number, le: boolean): number[] {
  const b = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  return le ? b.reverse() : b;
}

function u16(v: number, le: boolean): number[] {
  const b = [(v >>> 8) & 255, v & 255];
  return le ? b.reverse() : b;
}

function pad(b: number[]): number[] {
  while (b.length % 4) b.push(0);
  return b;
}

function blk(type: number, body: number[], le: boolean): number[] {
  const total = 12 + pad(body).length;
  return [...u32(type, le), ...u32(total, le), ...body, ...u32(total, le)];
}

function shb(le: boolean): number[] {
  return blk(
    0x0a0d0d0a,
    [...u32(0x1a2b3c4d, le), ...u16(1, le), ...u16(0, le), ...u32(0xffffffff, le), ...u32(0xffffffff, le)],
    le,
  );
}

function opt(code: number, value: number[], le: boolean): number[] {
  return pad([...u16(code, le), ...u16(value.length, le), ...value]);
}

function idb(linkType: number, le: boolean, options: number[] = []): number[] {
  const body = [...u16(linkType, le), 0, 0, ...u32(65535, le)];
  if (options.length) body.push(...options, ...u16(0, le), ...u16(0, le));
  return blk(1, body, le);
}

function epb(
  iface: number,
  tsHi: number,
  tsLo: number,
  data: number[],
  le: boolean,
  origLen = data.length,
): number[] {
  return blk(
    6,
    [
      ...u32(iface, le),
      ...u32(tsHi, le),
      ...u32(tsLo, le),
      ...u32(data.length, le),
      ...u32(origLen, le),
      ...pad([...data]),
    ],
    le,
  );
}

// --- tests ----------------------------------------------------------------------------------------

describe('pcapng', () => {
  test('writer output layout (hand-checked)', () => {
    const c = new ByteCollector();
    const w = new PcapngWriter(c.sink, {
      linkType: LINKTYPE_RAW,
      application: 'x',
      ifName: 'tun0',
      snaplen: 100,
    });
    w.write(Uint8Array.of(0x45, 1, 2), 0, 3, 1, 5);
    const b = c.bytes();
    // SHB: type, length 40 (28 + shb_userappl "x" padded to 8 + end of options), BOM, version 1.0, length -1
    assert.deepEqual([...b.subarray(0, 12)], [0x0a, 0x0d, 0x0d, 0x0a, 40, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a]);
    assert.deepEqual([...b.subarray(12, 24)], [1, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255]);
    assert.deepEqual([...b.subarray(24, 40)], [4, 0, 1, 0, 0x78, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0]);
    // IDB: linktype 101, snaplen 100, if_name "tun0", if_tsresol 9, end
    const idbOff = 40;
    assert.deepEqual(
      [...b.subarray(idbOff, idbOff + 40)],
      [
        1, 0, 0, 0, 40, 0, 0, 0, 101, 0, 0, 0, 100, 0, 0, 0, 2, 0, 4, 0, 0x74, 0x75, 0x6e, 0x30, 9, 0, 1, 0,
        9, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0,
      ],
    );
    // EPB: iface 0, ts = 1_000_000_005 ns = 0x3b9aca05, caplen 3, origlen 3, data padded, length 36
    assert.deepEqual(
      [...b.subarray(80)],
      [
        6, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0xca, 0x9a, 0x3b, 3, 0, 0, 0, 3, 0, 0, 0, 0x45, 1,
        2, 0, 36, 0, 0, 0,
      ],
    );
  });

  for (const bigEndian of [false, true]) {
    test(`round trip with several interfaces, ${bigEndian ? 'big' : 'little'}-endian`, () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              data: fc.uint8Array({ maxLength: 120 }),
              sec: fc.integer({ min: 0, max: 2 ** 33 }),
              nsec: fc.integer({ min: 0, max: 999_999_999 }),
              iface: fc.integer({ min: 0, max: 2 }),
              extra: fc.integer({ min: 0, max: 9 }),
            }),
            { maxLength: 20 },
          ),
          (pkts) => {
            const c = new ByteCollector();
            const w = new PcapngWriter(c.sink, { bigEndian, snaplen: 64 });
            assert.equal(w.addInterface(LINKTYPE_RAW), 1);
            assert.equal(w.addInterface(LINKTYPE_IPV6, 1000, 'v6'), 2);
            for (const p of pkts)
              w.write(p.data, 0, p.data.length, p.sec, p.nsec, p.data.length + p.extra, p.iface);
            const got = readCapture(c.bytes());
            assert.equal(got.format, 'pcapng');
            assert.equal(got.error, DropReason.Ok);
            assert.equal(got.records.length, pkts.length);
            pkts.forEach((p, i) => {
              const r = got.records[i]!;
              assert.equal(r.iface, p.iface);
              assert.equal(r.linkType, [LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_IPV6][p.iface]);
              assert.equal(r.tsSec, p.sec);
              assert.equal(r.tsNsec, p.nsec);
              assert.equal(r.hasTimestamp, true);
              assert.equal(r.origLen, p.data.length + p.extra);
              assert.deepEqual(r.data, p.data.subarray(0, p.iface === 0 ? 64 : 1000));
            });
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  test('writeAt and undeclared interfaces', () => {
    const c = new ByteCollector();
    const w = new PcapngWriter(c.sink);
    w.writeAt(instant(1_500_000), Uint8Array.of(9), 0, 1);
    assert.throws(() => w.write(Uint8Array.of(9), 0, 1, 0, 0, 1, 3), RangeError);
    const [r] = readCapture(c.bytes()).records;
    assert.equal(r!.tsNs, 1_500_000_000n);
    assert.equal(r!.instant(), 1_500_000);
  });

  test('other resolutions, tsoffset, SPB, unknown blocks, several sections in both byte orders', () => {
    const le = true;
    const be = false;
    const PS = 2_000_000_123_456;
    const bytes = Uint8Array.from([
      ...shb(le),
      // Interface 0: default resolution (microseconds), Ethernet.
      ...idb(1, le),
      // Interface 1: 2^-20 s, raw IP, offset +100 s.
      ...idb(101, le, [...opt(9, [0x80 | 20], le), ...opt(14, [...u32(100, le), ...u32(0, le)], le)]),
      ...epb(0, 0, 1_000_007, [1, 2, 3], le, 10),
      // A name resolution block (type 4) and a custom block: skipped.
      ...blk(4, [0, 0, 0, 0], le),
      ...blk(0x00000bad, [1, 2, 3, 4, 5, 6, 7, 8], le),
      ...epb(1, 0, 3 * 2 ** 20 + 2 ** 19, [0x45], le),
      // Simple packet block on interface 0: original length 5, 5 bytes.
      ...blk(3, [...u32(5, le), 1, 2, 3, 4, 5], le),
      // Interface statistics: skipped.
      ...blk(5, [...u32(0, le), ...u32(0, le), ...u32(0, le)], le),
      // Second section, big-endian, picoseconds (10^-12) on IPv6.
      ...shb(be),
      ...idb(229, be, opt(9, [12], be)),
      ...epb(0, Math.floor(PS / 2 ** 32), PS % 2 ** 32, [0x60], be),
    ]);
    const rd = new PcapngReader(bytes);
    const recs = [];
    for (const r of rd) recs.push(r.copy());
    assert.equal(rd.error, DropReason.Ok, `error at ${rd.errorOffset}`);
    assert.equal(rd.sections, 2);
    assert.equal(rd.littleEndian, false);
    assert.equal(rd.interfaceCount, 1);
    assert.equal(rd.interfaceLinkType(0), 229);
    assert.equal(rd.interfaceLinkType(1), -1);
    assert.equal(recs.length, 4);
    assert.deepEqual(
      recs.map((r) => [r.linkType, r.iface, r.tsSec, r.tsNsec, r.len, r.origLen, r.hasTimestamp]),
      [
        [1, 0, 1, 7000, 3, 10, true],
        [101, 1, 103, 500_000_000, 1, 1, true],
        [1, 0, 0, 0, 5, 5, false],
        [229, 0, 2, 123, 1, 1, true],
      ],
    );
    assert.deepEqual([...recs[2]!.data], [1, 2, 3, 4, 5]);
  });

  test('malformed blocks are errors with offsets', () => {
    const le = true;
    const head = [...shb(le), ...idb(1, le)];
    const at = head.length;
    const cases: [string, number[], DropReason, number][] = [
      ['no SHB first', idb(1, le), DropReason.PcapBadMagic, 0],
      [
        'bad byte-order magic',
        [0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4, ...new Array(16).fill(0)],
        DropReason.PcapBadMagic,
        0,
      ],
      ['EPB on undeclared interface', [...head, ...epb(1, 0, 0, [1], le)], DropReason.PcapBadBlock, at],
      [
        'EPB caplen beyond the block',
        [
          ...head,
          ...blk(6, [...u32(0, le), 0, 0, 0, 0, 0, 0, 0, 0, ...u32(9, le), ...u32(9, le), 1, 2, 3, 4], le),
        ],
        DropReason.PcapBadBlock,
        at,
      ],
      [
        'trailing length mismatch',
        [...head, ...epb(0, 0, 0, [1], le).slice(0, -4), 0, 0, 0, 0],
        DropReason.PcapBadBlock,
        at,
      ],
      [
        'length not a multiple of 4',
        [...head, 6, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0],
        DropReason.PcapBadBlock,
        at,
      ],
      ['length beyond the file', [...head, 6, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0], DropReason.Truncated, at],
      ['short tail', [...head, 6, 0, 0], DropReason.Truncated, at],
      ['unsupported resolution', [...shb(le), ...idb(1, le, opt(9, [25], le))], DropReason.PcapBadBlock, 28],
      [
        'option beyond the block',
        [...shb(le), ...blk(1, [1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 40, 0], le)],
        DropReason.PcapBadBlock,
        28,
      ],
      [
        'SPB before any interface',
        [...shb(le), ...blk(3, [...u32(1, le), 1], le)],
        DropReason.PcapBadBlock,
        28,
      ],
      [
        'SHB version 2',
        [...blk(0x0a0d0d0a, [...u32(0x1a2b3c4d, le), ...u16(2, le), 0, 0, ...new Array(8).fill(255)], le)],
        DropReason.PcapBadBlock,
        0,
      ],
    ];
    for (const [name, bytes, reason, offset] of cases) {
      const got = readCapture(Uint8Array.from(bytes));
      assert.equal(got.error, reason, `${name}: ${DropReason[got.error]}`);
      assert.equal(got.errorOffset, offset, name);
    }
  });

  test('truncated and mutated files never throw nor read out of bounds', () => {
    const c = new ByteCollector();
    const w = new PcapngWriter(c.sink, { ifName: 'eth0' });
    w.addInterface(LINKTYPE_RAW, 100);
    for (let i = 0; i < 4; i++) w.write(new Uint8Array(20 + i).fill(i), 0, 20 + i, i, i, 20 + i, i & 1);
    const base = c.bytes();
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
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (b, little) => {
        if (b.length >= 12) {
          b.set([0x0a, 0x0d, 0x0d, 0x0a], 0);
          b.set(little ? [0x4d, 0x3c, 0x2b, 0x1a] : [0x1a, 0x2b, 0x3c, 0x4d], 8);
        }
        const got = readCapture(b);
        for (const r of got.records) assert.ok(r.off + r.len <= b.length);
      }),
      { numRuns: 5000 },
    );
  });
});
