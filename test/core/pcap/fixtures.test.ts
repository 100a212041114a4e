/**
 * Captures made by real tools on this machine (ping over loopback, and over a TUN device for raw IP),
 * checked in under test/fixtures/pcap/:
 *   ping-lo-usec.pcap   tcpdump -i lo -w ... icmp                                   (pcap, µs)
 *   ping-lo-nsec.pcap   tcpdump -i lo --time-stamp-precision=nano -w ... icmp       (pcap, ns)
 *   ping-lo.pcapng      tshark -i lo -w ... -f icmp                                 (pcapng)
 *   ping-lo-tun.pcapng  tshark -i lo -i tun7 -w ... -f icmp  (two interfaces: Ethernet and raw IP,
 *                       plus the interface statistics blocks dumpcap appends)
 * ICMP checksums are computed by the kernel in software, so the frames are complete.
 * The expected timestamps are what `tshark -r FILE -T fields -e frame.time_epoch` printed. When
 * tshark is installed, it also reads back files our writers produce.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  ByteCollector,
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW,
  type PcapRecord,
} from '../../../src/core/pcap/common.js';
import { PcapWriter } from '../../../src/core/pcap/pcap.js';
import { PcapngWriter } from '../../../src/core/pcap/pcapng.js';
import { readCapture } from '../../../src/core/pcap/reader.js';
import { DropReason } from '../../../src/core/wire/drop.js';

function fixtureDir(): string {
  // Walk up from this (compiled) file to the checkout that holds test/fixtures/pcap.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'test', 'fixtures', 'pcap');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error('test/fixtures/pcap not found');
    dir = up;
  }
}

const FIXTURES = fixtureDir();

function load(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

function epoch(r: PcapRecord): string {
  return `${r.tsSec}.${String(r.tsNsec).padStart(9, '0')}`;
}

const HAVE_TSHARK = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;

/** tshark's view of a file: one array of fields per frame. */
function tshark(file: string, fields: string[]): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'separator=/t'];
  for (const f of fields) args.push('-e', f);
  const res = spawnSync('tshark', args, { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return res.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

interface Expect {
  file: string;
  format: 'pcap' | 'pcapng';
  times: string[];
  lens: number[];
  links: number[];
  ifaces: number[];
}

const EXPECT: Expect[] = [
  {
    file: 'ping-lo-usec.pcap',
    format: 'pcap',
    times: ['1795318813.884129000', '1795318813.884140000', '1795318814.089511000', '1795318814.089523000'],
    lens: [66, 66, 66, 66],
    links: [1, 1, 1, 1],
    ifaces: [0, 0, 0, 0],
  },
  {
    file: 'ping-lo-nsec.pcap',
    format: 'pcap',
    times: ['1795318815.928223634', '1795318815.928232607', '1795318816.137508638', '1795318816.137519337'],
    lens: [66, 66, 66, 66],
    links: [1, 1, 1, 1],
    ifaces: [0, 0, 0, 0],
  },
  {
    file: 'ping-lo.pcapng',
    format: 'pcapng',
    times: ['1795318818.978044097', '1795318818.978056605', '1795318819.185525661', '1795318819.185538528'],
    lens: [66, 66, 66, 66],
    links: [1, 1, 1, 1],
    ifaces: [0, 0, 0, 0],
  },
  {
    file: 'ping-lo-tun.pcapng',
    format: 'pcapng',
    times: [
      '1795318829.680930828',
      '1795318829.680943605',
      '1795318829.881585320',
      '1795318829.881599569',
      '1795318829.883921486',
      '1795318830.085582564',
    ],
    lens: [58, 58, 58, 58, 44, 44],
    links: [1, 1, 1, 1, 101, 101],
    ifaces: [0, 0, 0, 0, 1, 1],
  },
];

/** The IPv4 header offset of a frame of this link type. */
function ipOffset(link: number): number {
  return link === LINKTYPE_ETHERNET ? 14 : 0;
}

describe('pcap files from tcpdump and tshark', () => {
  for (const e of EXPECT) {
    test(e.file, () => {
      const got = readCapture(load(e.file));
      assert.equal(got.format, e.format);
      assert.equal(got.error, DropReason.Ok);
      assert.deepEqual(got.records.map(epoch), e.times);
      assert.deepEqual(
        got.records.map((r) => r.len),
        e.lens,
      );
      assert.deepEqual(
        got.records.map((r) => r.origLen),
        e.lens,
      );
      assert.deepEqual(
        got.records.map((r) => r.linkType),
        e.links,
      );
      assert.deepEqual(
        got.records.map((r) => r.iface),
        e.ifaces,
      );
      for (const r of got.records) {
        const ip = r.off + ipOffset(r.linkType);
        if (r.linkType === LINKTYPE_ETHERNET)
          assert.equal((r.buf[r.off + 12]! << 8) | r.buf[r.off + 13]!, 0x0800);
        assert.equal(r.buf[ip]! >>> 4, 4);
        assert.equal(r.buf[ip + 9], 1); // ICMP
      }
    });
  }

  test('agrees with tshark on the fixtures', (t) => {
    if (!HAVE_TSHARK) {
      t.skip('tshark not installed');
      return;
    }
    for (const e of EXPECT) {
      const rows = tshark(join(FIXTURES, e.file), ['frame.time_epoch', 'frame.len', 'frame.cap_len']);
      const got = readCapture(load(e.file));
      assert.deepEqual(
        rows,
        got.records.map((r) => [epoch(r), String(r.origLen), String(r.len)]),
        e.file,
      );
    }
  });
});

describe('our files read by tshark', () => {
  const frames = readCapture(load('ping-lo-tun.pcapng')).records;
  const eth = frames.filter((r) => r.linkType === LINKTYPE_ETHERNET);
  const raw = frames.filter((r) => r.linkType === LINKTYPE_RAW);

  function check(name: string, bytes: Uint8Array, want: string[][]): void {
    const dir = mkdtempSync(join(tmpdir(), 'wirestack-pcap-'));
    try {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const rows = tshark(file, ['frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.protocols']);
      assert.deepEqual(rows, want, name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  for (const variant of [
    { precision: 'nano' as const, bigEndian: false },
    { precision: 'micro' as const, bigEndian: true },
  ]) {
    test(`pcap, ${variant.precision}, ${variant.bigEndian ? 'big' : 'little'}-endian`, (t) => {
      if (!HAVE_TSHARK) {
        t.skip('tshark not installed');
        return;
      }
      const c = new ByteCollector();
      const w = new PcapWriter(c.sink, { ...variant, snaplen: 50 });
      for (const [i, r] of eth.entries()) w.write(r.buf, r.off, r.len, 1_700_000_000 + i, 123_456_789);
      const frac = variant.precision === 'nano' ? '123456789' : '123456000';
      check(
        'ours.pcap',
        c.bytes(),
        eth.map((r, i) => [
          `${1_700_000_000 + i}.${frac}`,
          String(r.len),
          String(Math.min(50, r.len)),
          'eth:ethertype:ip:icmp:data',
        ]),
      );
    });
  }

  for (const bigEndian of [false, true]) {
    test(`pcapng, two interfaces, ${bigEndian ? 'big' : 'little'}-endian`, (t) => {
      if (!HAVE_TSHARK) {
        t.skip('tshark not installed');
        return;
      }
      const c = new ByteCollector();
      const w = new PcapngWriter(c.sink, { bigEndian, ifName: 'lo' });
      w.addInterface(LINKTYPE_RAW, 65535, 'tun7');
      const want: string[][] = [];
      for (const [i, r] of eth.entries()) {
        w.write(r.buf, r.off, r.len, 1_800_000_000, i, r.len, 0);
        want.push([
          `1800000000.${String(i).padStart(9, '0')}`,
          String(r.len),
          String(r.len),
          'eth:ethertype:ip:icmp:data',
        ]);
      }
      for (const r of raw) {
        w.write(r.buf, r.off, r.len, r.tsSec, r.tsNsec, r.len, 1);
        want.push([epoch(r), String(r.len), String(r.len), 'raw:ip:icmp:data']);
      }
      check('ours.pcapng', c.bytes(), want);
    });
  }
});
