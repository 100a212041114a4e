/**
 * Bulk transfer, byte-exact, between wirestack and a Linux TCP socket through a TUN device in a
 * fresh network namespace (one per test): N pattern bytes each way, the receiver's SHA-256 checked
 * against the pattern's. Clean (with offloads: checksum + TSO, 64 KiB frames) and with 1% loss
 * each way injected by the stack's link middleware (FaultInjector, MTU 1500, no offloads).
 *
 * Sizes: 64 MiB clean and 16 MiB lossy by default; WIRESTACK_INTEROP_FULL=1 moves 1 GiB in every
 * case. The throughput is printed (not asserted). Needs root, `ip netns` and /dev/net/tun.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import type { Socket } from '../../src/api/net/index.js';
import { fillPattern, patternSha256 } from '../../src/cli/run.js';
import { attach, bulkSizes, K4, K6, PEER, skipReason, startIn, W4, W6 } from './env.js';

const sizes = bulkSizes();
const expected = new Map<number, string>();
function sha(n: number): string {
  let s = expected.get(n);
  if (s === undefined) expected.set(n, (s = patternSha256(n)));
  return s;
}

function rate(bytes: number, ms: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB in ${(ms / 1000).toFixed(2)} s = ${((bytes * 8) / ms / 1e6).toFixed(3)} Gbit/s`;
}

/** Sends `n` pattern bytes on `s` with backpressure, then ends; resolves with the reply text. */
function sendAll(s: Socket, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let off = 0;
    let reply = '';
    const pump = (): void => {
      while (off < n) {
        const c = new Uint8Array(Math.min(256 * 1024, n - off));
        fillPattern(c, off);
        off += c.length;
        if (!s.write(c)) {
          s.once('drain', pump);
          return;
        }
      }
      s.end();
    };
    s.on('connect', pump);
    s.on('data', (d: Buffer) => (reply += d.toString()));
    s.on('end', () => resolve(reply.trim()));
    s.on('error', reject);
  });
}

interface Case {
  name: string;
  v: 4 | 6;
  bytes: number;
  loss: number;
  offload: boolean;
}

const cases: Case[] = [
  { name: 'clean, offloads', v: 4, bytes: sizes.clean, loss: 0, offload: true },
  { name: '1% loss each way, MTU 1500', v: 6, bytes: sizes.lossy, loss: 0.01, offload: false },
];

for (const c of cases) {
  test(`interop bulk: wirestack → Linux, ${c.bytes / 2 ** 20} MiB over IPv${c.v}, ${c.name}`, async (t) => {
    const why = skipReason();
    if (why !== undefined) {
      console.log(`# skipped: ${why}`);
      t.skip(why);
      return;
    }
    const h = await attach({ offload: c.offload, loss: c.loss, seed: 7 });
    const peer = await startIn(h.ns, [process.execPath, PEER, 'sink', '9000']);
    try {
      const t0 = performance.now();
      const s = h.net.connect({ host: c.v === 4 ? K4 : K6, port: 9000 });
      const reply = await sendAll(s, c.bytes);
      const ms = performance.now() - t0;
      const lost = h.faults ? ` (dropped tx ${h.faults.tx.lost}, rx ${h.faults.rx.lost})` : '';
      console.log(`# wirestack → Linux ${c.name}: ${rate(c.bytes, ms)}${lost}`);
      const [digest, count] = reply.split(' ');
      assert.equal(Number(count), c.bytes);
      assert.equal(digest, sha(c.bytes));
      if (c.loss > 0) assert.ok(h.faults!.tx.lost > 0 && h.faults!.rx.lost > 0, 'loss was injected');
      assert.equal((await peer.done).code, 0);
    } finally {
      peer.proc.kill();
      await h.close();
    }
  });

  test(`interop bulk: Linux → wirestack, ${c.bytes / 2 ** 20} MiB over IPv${c.v}, ${c.name}`, async (t) => {
    const why = skipReason();
    if (why !== undefined) {
      console.log(`# skipped: ${why}`);
      t.skip(why);
      return;
    }
    const h = await attach({ offload: c.offload, loss: c.loss, seed: 8 });
    let got = 0;
    const digest = createHash('sha256');
    let ms = 0;
    const t0 = performance.now();
    const srv = h.net.createServer((s) => {
      s.on('data', (d: Buffer) => {
        digest.update(d);
        got += d.length;
      });
      s.on('end', () => {
        ms = performance.now() - t0;
        s.end(`${digest.digest('hex')} ${got}\n`);
      });
    });
    await new Promise<void>((r) => srv.listen(9001, r));
    try {
      const peer = await startIn(h.ns, [process.execPath, PEER, 'source', c.v === 4 ? W4 : W6, '9001', String(c.bytes)]);
      const done = await peer.done;
      assert.equal(done.code, 0, done.stderr);
      const lost = h.faults ? ` (dropped tx ${h.faults.tx.lost}, rx ${h.faults.rx.lost})` : '';
      console.log(`# Linux → wirestack ${c.name}: ${rate(c.bytes, ms)}${lost}`);
      const line = done.stdout.split('\n').filter((l) => l !== 'ready' && l !== '')[0] ?? '';
      assert.equal(line, `${sha(c.bytes)} ${c.bytes}`);
      if (c.loss > 0) assert.ok(h.faults!.tx.lost > 0 && h.faults!.rx.lost > 0, 'loss was injected');
    } finally {
      await h.close();
    }
  });
}
