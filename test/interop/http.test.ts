/**
 * HTTP interop with the Linux kernel through a TUN device in a fresh network namespace (one per
 * test), the stack running in this process (`startRun`, as `wirestack run` does):
 * - the kernel's `curl` fetches from wirestack's built-in HTTP server, IPv4 and IPv6 (GET /,
 *   GET /bytes/N with the body's SHA-256 checked, POST /sha256);
 * - wirestack's client (Node `http` over api/net sockets) fetches from a Linux HTTP server in the
 *   namespace, IPv4 and IPv6;
 * - the pcap written by the stack's PcapTap during a curl run opens in tshark with no malformed
 *   packets and no bad checksums.
 * Needs root, `ip netns`, /dev/net/tun and curl (tshark for the capture); skips with the reason.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fillPattern, patternSha256 } from '../../src/cli/run.js';
import { attach, execIn, K4, K6, PEER, skipReason, startIn, W4, W6 } from './env.js';

function skip(t: { skip: (m: string) => void }, tools: string[]): boolean {
  const why = skipReason(tools);
  if (why === undefined) return false;
  console.log(`# skipped: ${why}`);
  t.skip(why);
  return true;
}

const N = 3 * 2 ** 20 + 123;

for (const v of [4, 6] as const) {
  test(`interop: Linux curl fetches from wirestack's HTTP server over IPv${v}`, async (t) => {
    if (skip(t, ['curl'])) return;
    const h = await attach({ http: [80], offload: v === 6 });
    try {
      const host = v === 4 ? W4 : `[${W6}]`;
      const hello = await execIn(h.ns, ['curl', '-sS', '-m', '20', `http://${host}/`]);
      assert.equal(hello.code, 0, hello.stderr);
      assert.equal(hello.stdout, 'hello from wirestack\n');
      const big = await execIn(h.ns, ['sh', '-c', `curl -sS -m 60 http://${host}/bytes/${N} | sha256sum`]);
      assert.equal(big.code, 0, big.stderr);
      assert.equal(big.stdout.split(' ')[0], patternSha256(N));
      const body = new Uint8Array(2 ** 20 + 7);
      fillPattern(body, 5);
      const post = await execIn(
        h.ns,
        ['curl', '-sS', '-m', '60', '-H', 'expect:', '--data-binary', '@-', `http://${host}/sha256`],
        60_000,
        body,
      );
      assert.equal(post.code, 0, post.stderr);
      assert.equal(post.stdout, `${createHash('sha256').update(body).digest('hex')} ${body.length}\n`);
      const missing = await execIn(h.ns, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${host}/nope`]);
      assert.equal(missing.stdout, '404');
    } finally {
      await h.close();
    }
  });

  test(`interop: wirestack's HTTP client fetches from a Linux HTTP server over IPv${v}`, async (t) => {
    if (skip(t, [])) return;
    const h = await attach({ offload: v === 4 });
    const peer = await startIn(h.ns, [process.execPath, PEER, 'http', '8080']);
    const agent = h.agent({ keepAlive: true });
    const request = (method: string, path: string, body?: Uint8Array): Promise<{ status: number; body: Buffer }> =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: v === 4 ? K4 : K6, port: 8080, method, path, agent, family: v }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const hello = await request('GET', '/');
      assert.equal(hello.status, 200);
      assert.equal(hello.body.toString(), 'hello from wirestack\n');
      const big = await request('GET', `/bytes/${N}`);
      assert.equal(big.body.length, N);
      assert.equal(createHash('sha256').update(big.body).digest('hex'), patternSha256(N));
      const body = new Uint8Array(2 ** 20 + 7);
      fillPattern(body, 11);
      const post = await request('POST', '/sha256', body);
      assert.equal(post.body.toString(), `${createHash('sha256').update(body).digest('hex')} ${body.length}\n`);
    } finally {
      agent.destroy();
      peer.proc.kill();
      await peer.done;
      await h.close();
    }
  });
}

test('interop: the capture of a curl run opens in tshark without malformed packets or bad checksums', async (t) => {
  if (skip(t, ['curl', 'tshark'])) return;
  const dir = mkdtempSync(join(tmpdir(), 'ws-interop-'));
  const file = join(dir, 'run.pcap');
  const h = await attach({ http: [80], echo: [7], pcap: file });
  try {
    for (const host of [W4, `[${W6}]`]) {
      const r = await execIn(h.ns, ['sh', '-c', `curl -sS -m 30 http://${host}/bytes/300000 | sha256sum`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.split(' ')[0], patternSha256(300000));
    }
    const ping = await execIn(h.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', W4]);
    assert.equal(ping.code, 0, ping.stdout);
  } finally {
    await h.close();
  }
  try {
    const opts = ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'];
    const all = execFileSync('tshark', ['-r', file, ...opts, '-T', 'fields', '-e', 'frame.protocols'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const frames = all.trim().split('\n');
    const tcp4 = frames.filter((p) => p.includes(':ip:tcp')).length;
    const tcp6 = frames.filter((p) => p.includes(':ipv6:tcp')).length;
    const bad = execFileSync(
      'tshark',
      [
        '-r',
        file,
        ...opts,
        '-Y',
        '_ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || ' +
          'icmp.checksum.status == 0 || icmpv6.checksum.status == 0',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    console.log(`# capture: ${frames.length} frames (${tcp4} TCP/IPv4, ${tcp6} TCP/IPv6); flagged: ${bad.trim().split('\n').filter(Boolean).length}`);
    assert.ok(tcp4 > 100 && tcp6 > 100, `both families captured: ${tcp4} ${tcp6}`);
    assert.equal(bad.trim(), '', 'no malformed frames and no bad checksums');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
