/**
 * Cross-check with Wireshark's dissectors: a run with checksums on (no offload) captured to pcap,
 * read by tshark with IP/UDP checksum validation; no frame may be malformed or carry a warning.
 * Skipped, saying so, where tshark is not installed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Link } from '../../../src/core/link/link.js';
import { PcapTap } from '../../../src/core/link/tap.js';
import { ByteCollector } from '../../../src/core/pcap/common.js';
import { PcapWriter } from '../../../src/core/pcap/pcap.js';
import { B4, B6, bytes, pair } from './stack-helpers.js';

const hasTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

describe('tshark cross-check', () => {
  it('ARP, NDP, pings, fragmented UDP and port unreachable dissect cleanly', (t) => {
    if (!hasTshark) {
      t.skip('tshark is not installed');
      return;
    }
    const out = new ByteCollector();
    const { a, b, sim } = pair('ethernet', { checksumOffload: false }, (l: Link, side) =>
      side === 'a' ? new PcapTap(l, new PcapWriter(out.sink)) : l,
    );
    a.ping(B4, 1, 1, bytes(64), sim.now());
    a.ping(B6, 1, 2, bytes(3000), sim.now());
    const sb = b.udp.socket(6);
    sb.bind(undefined, 99);
    a.udp.socket(6).sendTo(bytes(4000), 0, 4000, sim.now(), B6, 99);
    a.udp.socket(4).sendTo(bytes(3000), 0, 3000, sim.now(), B4, 100);
    a.udp.socket(6).sendTo(bytes(30), 0, 30, sim.now(), B6, 101);
    sim.runFor(100_000);
    const dir = mkdtempSync(join(tmpdir(), 'ipstack-'));
    try {
      const file = join(dir, 'run.pcap');
      writeFileSync(file, out.bytes());
      const prefs = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
      const all = execFileSync('tshark', ['-r', file, ...prefs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      assert.equal(all.trim().split('\n').length, 21);
      const bad = execFileSync(
        'tshark',
        ['-r', file, ...prefs, '-Y', '_ws.malformed || _ws.expert.severity >= warning'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      assert.equal(bad.trim(), '');
      assert.match(all, /Neighbor Advertisement 2001:db8::b \(sol, ovr\)/);
      assert.match(all, /Destination unreachable \(Port unreachable\)/);
      assert.match(all, /Destination Unreachable \(Port unreachable\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
