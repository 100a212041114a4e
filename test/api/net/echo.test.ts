/** Echo over two stacks in real time: IPv4, IPv6, IPv4-mapped on a dual-stack server; addresses. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { NetError, Socket } from '../../../src/api/net/index.js';
import { A4, A6, B4, B6, collect, type NetPair, netPair } from './helpers.js';

const T = { timeout: 5000 };

describe('net echo', () => {
  let w: NetPair;
  beforeEach(() => {
    w = netPair();
  });
  afterEach(() => w.close());

  async function echoOnce(listenHost: string | undefined, connectHost: string, port: number): Promise<{
    client: Socket;
    server: Socket;
    reply: string;
  }> {
    let server: Socket | undefined;
    const srv = w.b.createServer((s) => {
      server = s;
      s.pipe(s);
    });
    srv.listen(port, ...(listenHost !== undefined ? [listenHost] : []));
    await once(srv, 'listening');
    const client = w.a.connect({ port, host: connectHost });
    await once(client, 'connect');
    assert.equal(client.connecting, false);
    assert.equal(client.readyState, 'open');
    const closed = once(client, 'close');
    client.end('hello over wirestack');
    const reply = (await collect(client)).toString();
    assert.deepEqual(await closed, [false]);
    assert.ok(server !== undefined);
    return { client, server, reply };
  }

  test('IPv4', T, async () => {
    const { client, server, reply } = await echoOnce('0.0.0.0', B4, 7001);
    assert.equal(reply, 'hello over wirestack');
    assert.equal(client.remoteAddress, B4);
    assert.equal(client.remotePort, 7001);
    assert.equal(client.remoteFamily, 'IPv4');
    assert.equal(client.localAddress, A4);
    assert.equal(server.remoteAddress, A4);
    assert.equal(server.remotePort, client.localPort);
    assert.equal(client.bytesWritten, 20);
    assert.equal(client.bytesRead, 20);
    assert.equal(server.bytesRead, 20);
    assert.equal(client.readyState, 'closed');
  });

  test('IPv6', T, async () => {
    const { client, server, reply } = await echoOnce(B6, B6, 7002);
    assert.equal(reply, 'hello over wirestack');
    assert.equal(client.remoteAddress, B6);
    assert.equal(client.remoteFamily, 'IPv6');
    assert.equal(server.remoteAddress, A6);
    assert.equal(server.localAddress, B6);
  });

  test('dual-stack server (default host ::) takes an IPv4 client as IPv4-mapped', T, async () => {
    const { client, server, reply } = await echoOnce(undefined, B4, 7003);
    assert.equal(reply, 'hello over wirestack');
    assert.equal(client.remoteAddress, B4);
    assert.equal(server.remoteAddress, `::ffff:${A4}`);
    assert.equal(server.remoteFamily, 'IPv6');
  });

  test('server.address, getConnections, writes queued while connecting, (port, host, cb) form', T, async () => {
    const srv = w.b.createServer({ allowHalfOpen: false }, (s) => {
      s.on('data', (d: Buffer) => s.end(d.toString().toUpperCase()));
    });
    srv.listen({ port: 0, host: B4 });
    await once(srv, 'listening');
    const addr = srv.address();
    assert.ok(addr !== null);
    assert.equal(addr.address, B4);
    assert.equal(addr.family, 'IPv4');
    assert.ok(addr.port > 0);
    let connected = false;
    const c = w.a.createConnection(addr.port, B4, () => {
      connected = true;
    });
    assert.equal(c.pending, true);
    assert.equal(c.readyState, 'opening');
    c.write('queued');
    const got = await collect(c);
    assert.ok(connected);
    assert.equal(got.toString(), 'QUEUED');
    const n = await new Promise<number>((res, rej) => srv.getConnections((e, k) => (e ? rej(e) : res(k))));
    assert.ok(n <= 1);
  });

  test('loopback on one stack (localhost, ::1) and an explicit localAddress/localPort', T, async () => {
    const srv = w.a.createServer((s) => s.pipe(s));
    srv.listen(7004);
    await once(srv, 'listening');
    for (const family of [4, 6]) {
      const c = w.a.connect({ port: 7004, host: 'localhost', family });
      c.end(`v${family}`);
      assert.equal((await collect(c)).toString(), `v${family}`);
      assert.equal(c.remoteAddress, family === 4 ? '127.0.0.1' : '::1');
    }
    // The listener is on stack a: stack b refuses the same port.
    const c = w.a.connect({ port: 7004, host: B4, localAddress: A4, localPort: 40001 });
    const err = await new Promise<NetError>((res) => c.on('error', res));
    assert.equal(err.code, 'ECONNREFUSED');
    const srvB = w.b.createServer((s) => s.end(`${s.remoteAddress}:${s.remotePort}`));
    srvB.listen(7005, B4);
    await once(srvB, 'listening');
    const d = w.a.connect({ port: 7005, host: B4, localAddress: A4, localPort: 40002 });
    assert.equal((await collect(d)).toString(), `${A4}:40002`);
    assert.equal(d.localPort, 40002);
  });

  test('isIP helpers', () => {
    assert.equal(w.a.isIP('10.0.0.1'), 4);
    assert.equal(w.a.isIP('2001:db8::1'), 6);
    assert.equal(w.a.isIP('::ffff:1.2.3.4'), 6);
    assert.equal(w.a.isIP('example.com'), 0);
    assert.equal(w.a.isIP('256.1.1.1'), 0);
    assert.equal(w.a.isIPv4('1.2.3.4'), true);
    assert.equal(w.a.isIPv6('1.2.3.4'), false);
  });
});
