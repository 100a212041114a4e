/**
 * The web-streams API over two WebStacks on a memory cable, on real time (a WebDriver): TCP echo
 * over IPv4 and IPv6, a 4 MiB byte-exact transfer under backpressure, UDP round trips, and errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectTcp, isSocketError, listenTcp, openUdp, type TcpSocket } from '../../../src/api/web/index.js';
import { pattern, readExact, world, type World } from '../../browser/world.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const w = world();
  try {
    await fn(w);
  } finally {
    w.stop();
  }
}

/** Reads everything until EOF as one string. */
async function readAll(s: ReadableStream<Uint8Array>): Promise<string> {
  let out = '';
  const r = s.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) return out;
    out += dec(value);
  }
}

async function acceptOne(srv: { readable: ReadableStream<TcpSocket> }): Promise<TcpSocket> {
  const r = srv.readable.getReader();
  const { value } = await r.read();
  r.releaseLock();
  assert.ok(value !== undefined);
  return value;
}

describe('web API: TCP', () => {
  for (const [name, listenOn, target, from] of [
    ['IPv4', '0.0.0.0', '10.0.0.2', '10.0.0.1'],
    ['IPv6', '::', '2001:db8::b', '2001:db8::a'],
    ['IPv4 to a dual-stack listener', '::', '10.0.0.2', '10.0.0.1'],
  ] as const) {
    test(`echo, ${name}`, () => withWorld(async (w) => {
      const srv = listenTcp(w.b, { hostname: listenOn, port: 7000 });
      assert.equal(srv.localPort, 7000);
      const serving = (async () => {
        const c = await acceptOne(srv);
        const info = await c.opened;
        assert.equal(info.remoteAddress, from);
        assert.equal(info.localAddress, target);
        await c.readable.pipeTo(c.writable);
        await c.closed;
      })();
      const s = connectTcp(w.a, { hostname: target, port: 7000 });
      const info = await s.opened;
      assert.equal(info.remoteAddress, target);
      assert.equal(info.remotePort, 7000);
      assert.equal(info.localAddress, from);
      assert.ok(info.localPort >= 32768, `ephemeral port ${info.localPort}`);
      const writer = s.writable.getWriter();
      await writer.write(enc('hello, '));
      await writer.write(enc('web streams'));
      await writer.close();
      assert.equal(await readAll(s.readable), 'hello, web streams');
      await s.closed;
      await serving;
      await srv.close();
    }));
  }

  test('4 MiB byte-exact; a writer with no reader stalls at the buffers, then completes', () => withWorld(async (w) => {
    const total = 4 << 20;
    const bufs = { sendBufferSize: 32768, receiveBufferSize: 32768, readableHighWaterMark: 16384 };
    const srv = listenTcp(w.b, { port: 7001, ...bufs });
    const s = connectTcp(w.a, { hostname: '10.0.0.2', port: 7001, ...bufs });
    await s.opened;
    const c = await acceptOne(srv);
    const data = pattern(total, 42);
    let accepted = 0;
    const writing = (async () => {
      const wr = s.writable.getWriter();
      for (let off = 0; off < total; off += 16384) {
        await wr.write(data.subarray(off, off + 16384));
        accepted = off + 16384;
      }
      await wr.close();
    })();
    // Nobody reads yet: wait until the writer stops making progress.
    let last = -1;
    for (let quiet = 0; quiet < 5; ) {
      await sleep(20);
      quiet = accepted === last ? quiet + 1 : 0;
      last = accepted;
    }
    // Send buffer (2 x 32 KiB), receive buffer (2 x 32 KiB), the readable's 16 KiB and one chunk
    // in transit: far less than what was offered.
    assert.ok(accepted > 0, 'the writer made no progress at all');
    assert.ok(accepted <= 256 * 1024, `the writer got ${accepted} bytes ahead of a reader that reads nothing`);
    const got = await readExact(c.readable, data);
    await writing;
    assert.equal(got.received, total);
    assert.equal(got.mismatchAt, -1);
    await c.close();
    await s.close();
    await srv.close();
  }));

  test('connect to a port nobody listens on rejects opened with ECONNREFUSED', () => withWorld(async (w) => {
    const s = connectTcp(w.a, { hostname: '10.0.0.2', port: 9999 });
    await assert.rejects(s.opened, (e: unknown) => {
      assert.ok(isSocketError(e, 'ECONNREFUSED'), `got ${String(e)}`);
      assert.ok(e instanceof DOMException);
      assert.equal(e.errno, 111);
      assert.equal(e.syscall, 'connect');
      assert.equal(e.message, 'connect: ECONNREFUSED (Connection refused)');
      return true;
    });
    await assert.rejects(s.closed, (e: unknown) => isSocketError(e, 'ECONNREFUSED'));
    await assert.rejects(s.readable.getReader().read(), (e: unknown) => isSocketError(e, 'ECONNREFUSED'));
    await assert.rejects(s.writable.getWriter().write(enc('x')), (e: unknown) => isSocketError(e, 'ECONNREFUSED'));
  }));

  test('a peer reset errors the readable with ECONNRESET', () => withWorld(async (w) => {
    const srv = listenTcp(w.b, { port: 7002 });
    const s = connectTcp(w.a, { hostname: '2001:db8::b', port: 7002 });
    await s.opened;
    const c = await acceptOne(srv);
    await c.writable.abort(new Error('reset it'));
    await assert.rejects(s.readable.getReader().read(), (e: unknown) => isSocketError(e, 'ECONNRESET'));
    await assert.rejects(s.closed, (e: unknown) => isSocketError(e, 'ECONNRESET'));
    await srv.close();
  }));

  test('bad arguments and a busy port fail at once', () => withWorld(async (w) => {
    assert.throws(() => connectTcp(w.a, { hostname: 'example.com', port: 80 }), TypeError);
    assert.throws(() => connectTcp(w.a, { hostname: '10.0.0.2', port: 70000 }), TypeError);
    const srv = listenTcp(w.b, { port: 7003 });
    assert.throws(() => listenTcp(w.b, { port: 7003 }), (e: unknown) => isSocketError(e, 'EADDRINUSE'));
    await srv.close();
    // The port is free again once the listener is closed.
    await listenTcp(w.b, { port: 7003 }).close();
  }));

  test('an ephemeral listener reports its port; several clients are accepted in turn', () => withWorld(async (w) => {
    const srv = listenTcp(w.b, {});
    assert.ok(srv.localPort > 0);
    assert.equal(srv.localAddress, '::');
    const clients = [0, 1, 2].map(() => connectTcp(w.a, { hostname: '10.0.0.2', port: srv.localPort }));
    const reader = srv.readable.getReader();
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const { value } = await reader.read();
      const info = await value!.opened;
      seen.add(info.remotePort);
      await value!.close();
    }
    const ports = await Promise.all(clients.map(async (c) => (await c.opened).localPort));
    assert.deepEqual([...seen].sort(), [...ports].sort());
    for (const c of clients) assert.equal(await readAll(c.readable), '');
    await srv.close();
  }));
});

describe('web API: UDP', () => {
  for (const [name, serverAddr, clientAddr] of [
    ['IPv4', '10.0.0.2', '10.0.0.1'],
    ['IPv6', '2001:db8::b', '2001:db8::a'],
  ] as const) {
    test(`round trip, ${name}`, () => withWorld(async (w) => {
      const srv = openUdp(w.b, { localPort: 5353 });
      const cli = openUdp(w.a, { remoteAddress: serverAddr, remotePort: 5353 });
      const cinfo = await cli.opened;
      assert.equal(cinfo.remoteAddress, serverAddr);
      assert.equal(cinfo.remotePort, 5353);
      const cw = cli.writable.getWriter();
      await cw.write({ data: enc('one') });
      await cw.write({ data: enc('two') });
      const sr = srv.readable.getReader();
      const m1 = (await sr.read()).value!;
      const m2 = (await sr.read()).value!;
      assert.equal(dec(m1.data), 'one');
      assert.equal(dec(m2.data), 'two');
      assert.equal(m1.remoteAddress, clientAddr);
      assert.equal(m1.remotePort, cinfo.localPort);
      const sw = srv.writable.getWriter();
      await sw.write({ data: enc('ONE'), remoteAddress: m1.remoteAddress, remotePort: m1.remotePort });
      const back = (await cli.readable.getReader().read()).value!;
      assert.equal(dec(back.data), 'ONE');
      assert.equal(back.remoteAddress, serverAddr);
      assert.equal(back.remotePort, 5353);
      await cli.close();
      await srv.close();
    }));
  }

  test('an unconnected socket needs a destination; a connected one refuses IPv6 on IPv4', () => withWorld(async (w) => {
    const u = openUdp(w.a, {});
    await assert.rejects(u.writable.getWriter().write({ data: enc('x') }), (e: unknown) => isSocketError(e, 'EDESTADDRREQ'));
    await assert.rejects(u.closed, (e: unknown) => isSocketError(e, 'EDESTADDRREQ'));
    const v4 = openUdp(w.a, { localAddress: '10.0.0.1' });
    await assert.rejects(v4.writable.getWriter().write({ data: enc('x'), remoteAddress: '2001:db8::b', remotePort: 9 }), TypeError);
    await v4.close();
  }));
});

test('the README example (random seeds: crypto ISNs and ports)', async () => {
  const { connectTcp: connect, listenTcp: listen, MemoryCable, WebDriver, WebStack } = await import('../../../src/api/web/index.js');
  const driver = new WebDriver();
  try {
    const cable = new MemoryCable({ medium: 'ethernet' });
    const a = new WebStack({ driver }), b = new WebStack({ driver });
    a.attach(cable.a, { mac: '02:00:00:00:00:0a', addresses: ['10.0.0.1/24'] });
    b.attach(cable.b, { mac: '02:00:00:00:00:0b', addresses: ['10.0.0.2/24'] });
    const server = listen(b, { port: 7 });
    void server.readable.pipeTo(new WritableStream({ write: (s) => void s.readable.pipeTo(s.writable) }));
    const sock = connect(a, { hostname: '10.0.0.2', port: 7 });
    assert.equal((await sock.opened).remotePort, 7);
    const w = sock.writable.getWriter();
    await w.write(enc('ping'));
    await w.close();
    let got = '';
    for await (const chunk of sock.readable) got += dec(chunk);
    assert.equal(got, 'ping');
    await server.close();
  } finally {
    driver.stop();
  }
});
