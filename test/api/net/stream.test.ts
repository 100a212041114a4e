/** Bulk transfer with backpressure, half-close, errors (refused, reset), timeouts, server.close. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { NetError, Socket } from '../../../src/api/net/index.js';
import { B4, B6, collect, type NetPair, netPair, sha256 } from './helpers.js';

const T = { timeout: 8000 };

describe('net streams', () => {
  let w: NetPair;
  beforeEach(() => {
    w = netPair();
  });
  afterEach(() => w.close());

  async function listen(port: number, onConn: (s: Socket) => void, host = B4, allowHalfOpen = false) {
    const srv = w.b.createServer({ allowHalfOpen }, onConn);
    srv.listen(port, host);
    await once(srv, 'listening');
    return srv;
  }

  test('8 MiB byte-exact with write backpressure and a slow, paused reader', T, async () => {
    const data = randomBytes(8 * 1024 * 1024);
    let serverSock: Socket | undefined;
    const received: Buffer[] = [];
    let pauses = 0;
    const done = new Promise<void>((res) => {
      void listen(7100, (s) => {
        serverSock = s;
        s.on('data', (c: Buffer) => {
          received.push(c);
          // Pause every 64 chunks for a few ms: the sender must stall, not lose data.
          if (received.length % 64 === 0) {
            pauses++;
            s.pause();
            setTimeout(() => s.resume(), 5);
          }
        });
        s.on('end', () => res());
      });
    });
    await new Promise((r) => setImmediate(r));
    const c = w.a.connect({ port: 7100, host: B4 });
    await once(c, 'connect');
    let writes = 0;
    let refused = 0;
    let drains = 0;
    c.on('drain', () => drains++);
    const CHUNK = 64 * 1024;
    for (let off = 0; off < data.length; off += CHUNK) {
      writes++;
      if (!c.write(data.subarray(off, off + CHUNK))) {
        refused++;
        await once(c, 'drain');
      }
    }
    c.end();
    await done;
    const got = Buffer.concat(received);
    assert.equal(got.length, data.length);
    assert.equal(sha256(got), sha256(data));
    assert.ok(refused > 0, 'write() never returned false');
    assert.equal(drains, refused);
    assert.ok(pauses > 0);
    assert.equal(c.bytesWritten, data.length);
    assert.equal(serverSock!.bytesRead, data.length);
    assert.ok(writes > 0);
  });

  test('a paused reader closes the receive window; the sender keeps data queued', T, async () => {
    let server: Socket | undefined;
    const idle = (): void => {};
    await listen(7101, (s) => {
      server = s;
      // Paused mode with reading started: the stream fills to its high-water mark, no further.
      s.on('readable', idle);
    });
    const c = w.a.connect({ port: 7101, host: B4 });
    await once(c, 'connect');
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    c.write(big);
    // Let the transfer run until it stops moving: the window is full.
    let last = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 30));
      const outq = w.a.api.ioctl(c.fdNumber, 0x5411).value as number; // SIOCOUTQ
      if (outq === last) break;
      last = outq;
    }
    assert.ok(last > 0, 'the sender should still hold unsent data');
    assert.ok(c.writableLength > 0, 'the stream should still hold the chunk');
    // The receiver stopped reading: the data waits in its TCP receive queue, not in the stream.
    const rq = w.b.api.ioctl(server!.fdNumber, 0x541b).value as number; // FIONREAD
    assert.ok(rq > 0, 'the receive queue should hold data');
    assert.ok(server!.readableLength <= server!.readableHighWaterMark + 65536, `stream holds ${server!.readableLength}`);
    const sum = { n: 0 };
    const closed = once(server!, 'end');
    assert.ok(server!.readableLength > 0, 'the stream should have read up to its high-water mark');
    server!.removeListener('readable', idle);
    server!.on('data', (d: Buffer) => (sum.n += d.length));
    server!.resume();
    c.end();
    await closed;
    assert.equal(sum.n, big.length);
  });

  test('half-close: allowHalfOpen server replies after the client end()', T, async () => {
    await listen(
      7102,
      (s) => {
        const parts: Buffer[] = [];
        s.on('data', (d: Buffer) => parts.push(d));
        s.on('end', () => {
          // Our read side ended; writing still works.
          assert.equal(s.readyState, 'writeOnly');
          setTimeout(() => s.end(`got ${Buffer.concat(parts).length} bytes`), 20);
        });
      },
      B6,
      true,
    );
    const c = w.a.connect({ port: 7102, host: B6, allowHalfOpen: true });
    await once(c, 'connect');
    const finished = once(c, 'finish');
    c.end(Buffer.alloc(1000, 1));
    await finished;
    assert.equal(c.readyState, 'readOnly');
    const reply = await collect(c);
    assert.equal(reply.toString(), 'got 1000 bytes');
  });

  test('ECONNREFUSED on a closed port', T, async () => {
    const c = w.a.connect(7999, B4);
    const closed = new Promise((res) => c.on('close', (...a: unknown[]) => res(a)));
    const [err] = (await once(c, 'error')) as [NetError];
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.syscall, 'connect');
    assert.equal(err.address, B4);
    assert.equal(err.port, 7999);
    assert.deepEqual(await closed, [true]);
  });

  test('resetAndDestroy gives the peer ECONNRESET', T, async () => {
    const errored = new Promise<NetError>((res) => {
      void listen(7103, (s) => {
        s.on('error', (e: NetError) => res(e));
        s.on('data', () => {});
      });
    });
    await new Promise((r) => setImmediate(r));
    const c = w.a.connect(7103, B4);
    await once(c, 'connect');
    c.write('x');
    await new Promise((r) => setTimeout(r, 20));
    const closed = once(c, 'close');
    c.resetAndDestroy();
    assert.deepEqual(await closed, [false]);
    const e = await errored;
    assert.equal(e.code, 'ECONNRESET');
  });

  test('writing to a reset connection fails with EPIPE or ECONNRESET', T, async () => {
    await listen(7104, (s) => s.once('data', () => s.resetAndDestroy()));
    const c = w.a.connect(7104, B4);
    await once(c, 'connect');
    const err = new Promise<NetError>((res) => c.on('error', res));
    const tick = setInterval(() => c.write('data'), 5);
    const e = await err;
    clearInterval(tick);
    assert.ok(['EPIPE', 'ECONNRESET'].includes(e.code), e.code);
  });

  test('setTimeout fires on an idle socket and is reset by activity', T, async () => {
    await listen(7105, (s) => s.on('data', () => {}));
    const c = w.a.connect({ port: 7105, host: B4, timeout: 150 });
    assert.equal(c.timeout, 150);
    await once(c, 'connect');
    let fired = 0;
    c.on('timeout', () => fired++);
    // Writes every 10 ms for 400 ms keep the socket from going idle.
    for (let i = 0; i < 40; i++) {
      c.write('tick');
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(fired, 0);
    await once(c, 'timeout');
    assert.equal(fired, 1);
    c.setTimeout(0);
    assert.equal(c.timeout, undefined);
    c.destroy();
  });

  test('server.close waits for open connections, then emits close', T, async () => {
    let server: Socket | undefined;
    const srv = await listen(7106, (s) => {
      server = s;
      s.on('data', () => {});
    });
    const c = w.a.connect(7106, B4);
    await once(c, 'connect');
    while (server === undefined) await new Promise((r) => setTimeout(r, 5));
    let closed = false;
    const cbDone = new Promise<Error | undefined>((res) => srv.close((e) => res(e)));
    srv.on('close', () => (closed = true));
    assert.equal(srv.listening, false);
    assert.equal(srv.address(), null);
    // A new connection is refused now.
    const c2 = w.a.connect(7106, B4);
    const [e2] = (await once(c2, 'error')) as [NetError];
    assert.equal(e2.code, 'ECONNREFUSED');
    assert.equal(closed, false);
    c.end();
    assert.equal(await cbDone, undefined);
    assert.equal(closed, true);
    // Closing a server that is not running reports ERR_SERVER_NOT_RUNNING.
    const e3 = await new Promise<Error | undefined>((res) => srv.close((e) => res(e)));
    assert.equal((e3 as NetError).code, 'ERR_SERVER_NOT_RUNNING');
  });

  test('EADDRINUSE on a second listen; maxConnections drops extra connections', T, async () => {
    const s1 = await listen(7107, (s) => s.on('data', () => {}));
    s1.maxConnections = 1;
    const s2 = w.b.createServer();
    s2.listen(7107, B4);
    const [e] = (await once(s2, 'error')) as [NetError];
    assert.equal(e.code, 'EADDRINUSE');
    const c1 = w.a.connect(7107, B4);
    await once(c1, 'connect');
    const dropped = once(s1, 'drop');
    const c2 = w.a.connect(7107, B4);
    c2.on('error', () => {});
    await dropped;
    c1.destroy();
    c2.destroy();
  });

  test('setNoDelay and setKeepAlive are accepted; address() of a connected socket', T, async () => {
    await listen(7108, (s) => s.pipe(s));
    const c = w.a.connect({ port: 7108, host: B4, noDelay: true, keepAlive: true, keepAliveInitialDelay: 1000 });
    await once(c, 'connect');
    assert.equal(w.a.api.getsockopt(c.fdNumber, 6, 1).value, 1); // TCP_NODELAY
    c.setNoDelay(false);
    assert.equal(w.a.api.getsockopt(c.fdNumber, 6, 1).value, 0);
    c.setKeepAlive(true, 500);
    const a = c.address();
    assert.ok('port' in a && a.port === c.localPort && a.family === 'IPv4');
    c.destroy();
  });
});
