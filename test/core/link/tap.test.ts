import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MemoryCable } from '../../../src/core/link/cable.js';
import { hexSummary, PcapTap, pcapLinkType, Tracer } from '../../../src/core/link/tap.js';
import { ByteCollector, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../src/core/pcap/common.js';
import { PcapWriter } from '../../../src/core/pcap/pcap.js';
import { PcapngWriter } from '../../../src/core/pcap/pcapng.js';
import { readCapture } from '../../../src/core/pcap/reader.js';
import { instant } from '../../../src/core/time/time.js';
import { checksum } from '../../../src/core/wire/checksum.js';

/** Hand-built Ethernet + IPv4 + UDP frame (valid IPv4 header checksum, UDP checksum 0 = none). */
function udpFrame(srcPort: number, payload: string): Uint8Array {
  const data = new TextEncoder().encode(payload);
  const ipLen = 20 + 8 + data.length;
  const f = new Uint8Array(14 + ipLen);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  const ip = 14;
  f.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], ip);
  const c = checksum(f, ip, 20);
  f[ip + 10] = c >> 8;
  f[ip + 11] = c & 0xff;
  const u = ip + 20;
  f.set(
    [srcPort >> 8, srcPort & 0xff, 0x1f, 0x90, (8 + data.length) >> 8, (8 + data.length) & 0xff, 0, 0],
    u,
  );
  f.set(data, u + 8);
  return f;
}

function hasTshark(): boolean {
  return spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
}

describe('PcapTap', () => {
  it('records both directions with the `now` timestamps, readable by our reader', () => {
    const cable = new MemoryCable({ delayUs: 250 });
    const out = new ByteCollector();
    const w = new PcapWriter(out.sink, { linkType: pcapLinkType(cable.caps) });
    const a = new PcapTap(cable.a, w);
    const f1 = udpFrame(1111, 'hello');
    const f2 = udpFrame(2222, 'world!');
    assert.equal(a.transmit(f1, 0, f1.length, instant(1_500_000)), true);
    cable.b.transmit(f2, 0, f2.length, instant(1_600_000));
    assert.equal(a.receive(instant(1_600_249)), undefined);
    assert.equal(a.receive(instant(1_600_250))?.len, f2.length);
    const cap = readCapture(out.bytes());
    assert.equal(cap.format, 'pcap');
    assert.equal(cap.records.length, 2);
    assert.deepEqual(cap.records[0]!.data, f1);
    assert.equal(cap.records[0]!.instant(), 1_500_000);
    assert.equal(cap.records[0]!.linkType, LINKTYPE_ETHERNET);
    assert.deepEqual(cap.records[1]!.data, f2);
    assert.equal(cap.records[1]!.instant(), 1_600_250);
  });

  it('records only accepted transmits and honours the direction filter', () => {
    const cable = new MemoryCable({ queueFrames: 1, medium: 'ip' });
    assert.equal(pcapLinkType(cable.caps), LINKTYPE_RAW);
    const out = new ByteCollector();
    const tap = new PcapTap(cable.a, new PcapngWriter(out.sink, { linkType: LINKTYPE_RAW }), 'tx');
    const f = udpFrame(1, 'x').subarray(14);
    assert.equal(tap.transmit(f, 0, f.length, instant(1)), true);
    assert.equal(tap.transmit(f, 0, f.length, instant(2)), false);
    cable.b.transmit(f, 0, f.length, instant(3));
    assert.ok(tap.receive(instant(3)));
    const cap = readCapture(out.bytes());
    assert.equal(cap.format, 'pcapng');
    assert.equal(cap.records.length, 1);
    assert.equal(cap.records[0]!.instant(), 1);
    assert.equal(tap.stats, cable.a.stats);
  });

  it('writes a capture tshark reads back', (t) => {
    if (!hasTshark()) {
      t.skip('tshark is not installed');
      return;
    }
    const cable = new MemoryCable();
    const out = new ByteCollector();
    const a = new PcapTap(cable.a, new PcapWriter(out.sink));
    for (let i = 0; i < 3; i++) {
      const f = udpFrame(5000 + i, `payload ${i}`);
      a.transmit(f, 0, f.length, instant(2_000_000 + i * 1500));
    }
    const dir = mkdtempSync(join(tmpdir(), 'link-tap-'));
    try {
      const file = join(dir, 'tap.pcap');
      writeFileSync(file, out.bytes());
      const text = execFileSync(
        'tshark',
        [
          '-r',
          file,
          '-T',
          'fields',
          '-e',
          'frame.time_epoch',
          '-e',
          'ip.src',
          '-e',
          'udp.srcport',
          '-e',
          'ip.checksum.status',
          '-o',
          'ip.check_checksum:TRUE',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const rows = text
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      assert.equal(rows.length, 3);
      for (let i = 0; i < 3; i++) {
        assert.equal(Number(rows[i]![0]).toFixed(6), (2 + i * 0.0015).toFixed(6));
        assert.equal(rows[i]![1], '10.0.0.1');
        assert.equal(rows[i]![2], String(5000 + i));
        assert.equal(rows[i]![3], '1', 'tshark: IPv4 header checksum good (status 1)');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Tracer', () => {
  it('emits one line per frame each way with time, name and direction', () => {
    const cable = new MemoryCable({ delayUs: 10 });
    const lines: string[] = [];
    const a = new Tracer(
      cable.a,
      (l) => lines.push(l),
      (_b, _o, len) => `frame(${len})`,
      'A',
    );
    const b = new Tracer(cable.b, (l) => lines.push(l));
    const f = new Uint8Array([1, 2, 3, 0xab]);
    a.transmit(f, 0, 4, instant(1_000_001));
    b.receive(instant(1_000_011));
    b.transmit(f, 1, 2, instant(2_000_000));
    a.receive(instant(2_000_010));
    assert.deepEqual(lines, [
      '1.000001 A > frame(4)',
      '1.000011 < len 4 010203ab',
      '2.000000 > len 2 0203',
      '2.000010 A < frame(2)',
    ]);
    assert.equal(a.lines, 2);
  });

  it('traces nothing for refused frames and shortens long hex dumps', () => {
    const cable = new MemoryCable({ queueFrames: 1 });
    const lines: string[] = [];
    const a = new Tracer(cable.a, (l) => lines.push(l));
    const f = new Uint8Array(40);
    a.transmit(f, 0, 40, instant(0));
    a.transmit(f, 0, 40, instant(0));
    assert.equal(lines.length, 1);
    assert.equal(hexSummary(f, 0, 40), `len 40 ${'00'.repeat(32)}…`);
    assert.equal(hexSummary(f, 0, 0), 'len 0');
  });
});
