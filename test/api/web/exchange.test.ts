/** The browser page's exchange, run in Node first (the same code, without a browser). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exchange, world } from '../../browser/world.js';

for (const remote of ['10.0.0.2', '2001:db8::b']) {
  test(`exchange over ${remote}: TCP 1 MiB byte-exact echo and a UDP round trip`, async () => {
    const w = world();
    try {
      const r = await exchange(w, 1 << 20, remote);
      assert.equal(r.tcpReceived, r.tcpSent);
      assert.equal(r.tcpMismatchAt, -1);
      assert.equal(r.udpReply, 'pong:ping');
      assert.equal(r.udpFrom, `${remote}:9`);
    } finally {
      w.stop();
    }
  });
}
