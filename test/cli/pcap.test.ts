/**
 * `wirestack pcap print`, run as users run it: `node bin/wirestack …` from the checkout (which needs
 * the full build in dist/, as `npm test` makes it), on the checked-in fixtures and on captures
 * written here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatTimestamp, printCapture } from '../../src/cli/pcap.js';
import { ByteCollector, LINKTYPE_RAW } from '../../src/core/pcap/common.js';
import { PCAP_GLOBAL_HEADER_LEN, PCAP_RECORD_HEADER_LEN, PcapWriter } from '../../src/core/pcap/pcap.js';
import { PcapngWriter } from '../../src/core/pcap/pcapng.js';
import { readCapture } from '../../src/core/pcap/reader.js';
import { printFrame } from '../../src/core/wire/print.js';
import { sampleFrames } from '../core/wire/frames.js';

/** The checkout: the first directory above this (compiled) file that holds bin/wirestack. */
function checkout(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'bin', 'wirestack')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('checkout with bin/wirestack not found');
    dir = up;
  }
}

const ROOT = checkout();
const BIN = join(ROOT, 'bin', 'wirestack');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'pcap');
const BUILT = existsSync(join(ROOT, 'dist', 'src', 'cli', 'pcap.js'));
const NOT_BUILT = 'dist/src/cli/pcap.js missing: run `npx tsc -p tsconfig.json` (npm test builds first)';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function wirestack(...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

const TCPDUMP = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' });
const TCPDUMP_MISSING = TCPDUMP.error ? `tcpdump not installed: ${TCPDUMP.error.message}` : undefined;

describe('wirestack pcap print', () => {
  let dir = '';
  let samples = '';
  const frames = sampleFrames();

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wirestack-cli-pcap-'));
    const c = new ByteCollector();
    const w = new PcapWriter(c.sink);
    for (const [i, f] of frames.entries()) w.write(f.eth, 0, f.eth.length, 1700000000 + i, 123456789);
    samples = join(dir, 'samples.pcap');
    writeFileSync(samples, c.bytes());
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the fixtures: one line per record, as tcpdump prints them', (t) => {
    if (!BUILT) {
      t.skip(NOT_BUILT);
      return;
    }
    const files = readdirSync(FIXTURES).filter((f) => /\.pcap(ng)?$/.test(f));
    assert.ok(files.length >= 4);
    for (const name of files) {
      const file = join(FIXTURES, name);
      const r = wirestack('pcap', 'print', file);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stderr, '');
      const got = lines(r.stdout);
      const cap = readCapture(new Uint8Array(readFileSync(file)));
      assert.equal(got.length, cap.records.length, name);
      // The same as the command's code run in-process.
      assert.deepEqual(got, printCapture(new Uint8Array(readFileSync(file))).lines, name);
      for (const l of got) {
        assert.match(
          l,
          /^\d\d:\d\d:\d\d\.\d{6}(\d{3})? IP [\d.]+ > [\d.]+: ICMP echo (request|reply), /,
          name,
        );
      }
      if (TCPDUMP_MISSING) {
        t.diagnostic(`${name}: not compared with tcpdump (${TCPDUMP_MISSING})`);
        continue;
      }
      const nano = /^\d\d:\d\d:\d\d\.\d{9} /.test(got[0]!);
      const td = spawnSync(
        'tcpdump',
        ['-n', '-S', ...(nano ? ['--time-stamp-precision=nano'] : []), '-r', file],
        {
          encoding: 'utf8',
          env: { ...process.env, TZ: 'UTC' },
        },
      );
      if (td.status !== 0) {
        // tcpdump refuses a pcapng whose interfaces have different link types.
        t.diagnostic(`${name}: tcpdump cannot read it (${td.stderr.trim().split('\n').pop()})`);
        continue;
      }
      assert.deepEqual(got, lines(td.stdout), name);
    }
  });

  test('a written capture: --time, --count and --link', (t) => {
    if (!BUILT) {
      t.skip(NOT_BUILT);
      return;
    }
    const plain = frames.map((f) => printFrame(f.eth, 0, f.eth.length, 'ethernet'));
    const abs = wirestack('pcap', 'print', samples);
    assert.equal(abs.status, 0, abs.stderr);
    const absLines = lines(abs.stdout);
    assert.equal(absLines.length, frames.length);
    // 1700000000 is 2023-11-14 22:13:20 UTC; the pcap has nanosecond stamps.
    assert.equal(absLines[0], `22:13:20.123456789 ${plain[0]}`);
    assert.equal(absLines[3], `22:13:23.123456789 ${plain[3]}`);

    const none = wirestack('pcap', 'print', '--time', 'none', samples);
    assert.deepEqual(lines(none.stdout), plain);

    const rel = lines(wirestack('pcap', 'print', '--time', 'rel', '--count', '3', samples).stdout);
    assert.deepEqual(rel, [
      `00:00:00.000000000 ${plain[0]}`,
      `00:00:01.000000000 ${plain[1]}`,
      `00:00:02.000000000 ${plain[2]}`,
    ]);

    const link = lines(wirestack('pcap', 'print', '--link', '--time=none', samples).stdout);
    assert.deepEqual(
      link,
      frames.map((f) => printFrame(f.eth, 0, f.eth.length, 'ethernet', { link: true })),
    );
    assert.match(
      link[0]!,
      /^02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ethertype ARP \(0x0806\), length 42: Request/,
    );
  });

  test('microsecond pcap, raw-IP pcapng and an unsupported link type', (t) => {
    if (!BUILT) {
      t.skip(NOT_BUILT);
      return;
    }
    const f = frames.find((x) => x.name === 'tcp-syn')!;
    const micro = new ByteCollector();
    new PcapWriter(micro.sink, { precision: 'micro' }).write(f.eth, 0, f.eth.length, 1700000000, 123456789);
    const raw = new ByteCollector();
    new PcapngWriter(raw.sink, { linkType: LINKTYPE_RAW }).write(
      f.eth,
      f.ipOff,
      f.eth.length - f.ipOff,
      1700000000,
      42,
    );
    const sll = new ByteCollector();
    new PcapWriter(sll.sink, { linkType: 113 }).write(f.eth, 0, 30, 1700000000, 0);
    writeFileSync(join(dir, 'micro.pcap'), micro.bytes());
    writeFileSync(join(dir, 'raw.pcapng'), raw.bytes());
    writeFileSync(join(dir, 'sll.pcap'), sll.bytes());
    const line = printFrame(f.eth, 0, f.eth.length, 'ethernet');
    assert.deepEqual(lines(wirestack('pcap', 'print', join(dir, 'micro.pcap')).stdout), [
      `22:13:20.123456 ${line}`,
    ]);
    assert.deepEqual(lines(wirestack('pcap', 'print', join(dir, 'raw.pcapng')).stdout), [
      `22:13:20.000000042 ${line}`,
    ]);
    assert.deepEqual(lines(wirestack('pcap', 'print', join(dir, 'sll.pcap')).stdout), [
      '22:13:20.000000000 [link type 113 not supported, 30 bytes]',
    ]);
  });

  test('a capture malformed part way: the records before it, then the reason; exit 1', (t) => {
    if (!BUILT) {
      t.skip(NOT_BUILT);
      return;
    }
    const whole = new Uint8Array(readFileSync(samples));
    // Cut inside the fifth record.
    let off = PCAP_GLOBAL_HEADER_LEN;
    for (let i = 0; i < 4; i++) off += PCAP_RECORD_HEADER_LEN + frames[i]!.eth.length;
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, off + PCAP_RECORD_HEADER_LEN + 10));
    const r = wirestack('pcap', 'print', '--time', 'none', cut);
    assert.equal(r.status, 1);
    assert.deepEqual(
      lines(r.stdout),
      frames.slice(0, 4).map((f) => printFrame(f.eth, 0, f.eth.length, 'ethernet')),
    );
    assert.equal(r.stderr, `wirestack: ${cut}: Truncated at byte ${off}\n`);
    // --count that stops before the bad part is a clean run.
    assert.equal(wirestack('pcap', 'print', '--count', '4', cut).status, 0);

    // A pcapng block whose trailing length disagrees with its leading one.
    const ng = new ByteCollector();
    const w = new PcapngWriter(ng.sink);
    for (const f of frames.slice(0, 3)) w.write(f.eth, 0, f.eth.length, 1700000000, 0);
    const bytes = ng.bytes();
    // The third record's data starts 28 bytes into its block.
    const thirdBlock = readCapture(bytes).records[2]!.off - 28;
    bytes[bytes.length - 4]! ^= 0x40;
    const bad = join(dir, 'bad.pcapng');
    writeFileSync(bad, bytes);
    const rb = wirestack('pcap', 'print', bad);
    assert.equal(rb.status, 1);
    assert.equal(lines(rb.stdout).length, 2);
    assert.equal(rb.stderr, `wirestack: ${bad}: PcapBadBlock at byte ${thirdBlock}\n`);

    // Not a capture at all.
    const text = join(dir, 'text.pcap');
    writeFileSync(text, 'hello, world\n');
    const rt = wirestack('pcap', 'print', text);
    assert.equal(rt.status, 1);
    assert.equal(rt.stdout, '');
    assert.equal(rt.stderr, `wirestack: ${text}: PcapBadMagic at byte 0\n`);
  });

  test('a missing or unreadable file, bad options: exit 2', (t) => {
    if (!BUILT) {
      t.skip(NOT_BUILT);
      return;
    }
    const missing = join(dir, 'no-such.pcap');
    const r = wirestack('pcap', 'print', missing);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      new RegExp(`^wirestack: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`),
    );
    const d = wirestack('pcap', 'print', dir);
    assert.equal(d.status, 2);
    assert.match(d.stderr, /EISDIR/);
    assert.equal(wirestack('pcap', 'print', '--time', 'local', samples).status, 2);
    assert.equal(wirestack('pcap', 'print', '--count', '0', samples).status, 2);
    assert.equal(wirestack('pcap', 'print').status, 2);
  });
});

describe('formatTimestamp', () => {
  test('time of day, elapsed time, precision and negative offsets', () => {
    assert.equal(formatTimestamp(1700000000, 123456789, true, true), '22:13:20.123456789');
    assert.equal(formatTimestamp(1700000000, 123456789, false, true), '22:13:20.123456');
    assert.equal(formatTimestamp(90061, 5000, false, false), '25:01:01.000005');
    assert.equal(formatTimestamp(90061, 5000, false, true), '01:01:01.000005');
    assert.equal(formatTimestamp(1, -500000000, true, false), '00:00:00.500000000');
    assert.equal(formatTimestamp(0, -250000000, true, false), '-00:00:00.250000000');
    assert.equal(formatTimestamp(-2, 0, false, false), '-00:00:02.000000');
    assert.equal(formatTimestamp(-2, 250000000, true, false), '-00:00:01.750000000');
  });
});
