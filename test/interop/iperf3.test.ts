/**
 * The kernel's `iperf3 -c` (the Debian package) against an iperf3 server speaking the iperf3
 * control protocol on wirestack (test/interop/iperf3.ts), through a TUN device in a fresh network
 * namespace: a normal test (the kernel sends) and a reverse one (`-R`, wirestack sends), IPv4 and
 * IPv6. The client's JSON report must show the transfer and agree with the server's byte counts.
 * Needs root, `ip netns`, /dev/net/tun and iperf3; skips with the reason elsewhere.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attach, execIn, skipReason, W4, W6 } from './env.js';
import { serveOneIperf3 } from './iperf3.js';

interface Sum {
  bytes: number;
  bits_per_second: number;
}

for (const [v, reverse] of [
  [4, false],
  [6, true],
] as const) {
  test(`interop: kernel iperf3 -c${reverse ? ' -R' : ''} against wirestack over IPv${v}`, async (t) => {
    const why = skipReason(['iperf3']);
    if (why !== undefined) {
      console.log(`# skipped: ${why}`);
      t.skip(why);
      return;
    }
    const h = await attach({ offload: true });
    try {
      const srv = serveOneIperf3(h.net, 5201);
      await srv.listening;
      const args = ['iperf3', '-c', v === 4 ? W4 : W6, '-t', '2', '-J', ...(reverse ? ['-R'] : [])];
      const client = await execIn(h.ns, args, 60_000);
      const run = await Promise.race([
        srv.done,
        new Promise<never>((_r, rej) => setTimeout(() => rej(new Error('the iperf3 server did not finish')), 5000)),
      ]);
      assert.equal(client.code, 0, `${client.stdout}\n${client.stderr}`);
      const report = JSON.parse(client.stdout) as { end: { sum_sent: Sum; sum_received: Sum } };
      const { sum_sent: sent, sum_received: received } = report.end;
      console.log(
        `# iperf3${reverse ? ' -R' : ''} IPv${v}: sent ${(sent.bits_per_second / 1e9).toFixed(3)} Gbit/s, ` +
          `received ${(received.bits_per_second / 1e9).toFixed(3)} Gbit/s (${received.bytes} bytes)`,
      );
      assert.equal(run.params['reverse'] === true, reverse);
      assert.ok(run.bytes[0]! > 0);
      if (reverse) {
        // The client counted what it received of what wirestack sent.
        assert.ok(received.bytes > 0 && received.bytes <= run.bytes[0]!, `${received.bytes} ≤ ${run.bytes[0]}`);
      } else {
        // wirestack counted what arrived of what the kernel sent, and the client shows that figure.
        assert.equal(received.bytes, run.bytes[0]);
        assert.ok(run.bytes[0]! <= sent.bytes && run.bytes[0]! >= sent.bytes / 2, `${run.bytes[0]} of ${sent.bytes}`);
      }
    } finally {
      await h.close();
    }
  });
}
