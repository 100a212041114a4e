/** Node's own http client and server over wirestack sockets. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { HttpAgent, serveHttp } from '../../../src/api/net/index.js';
import { B4, B6, collect, type NetPair, netPair, sha256 } from './helpers.js';

const T = { timeout: 8000 };
const BODY = randomBytes(3 * 1024 * 1024 + 17);

describe('http over wirestack', () => {
  let w: NetPair;
  let httpServer: http.Server;
  const seenPorts: number[] = [];

  beforeEach(async () => {
    w = netPair();
    seenPorts.length = 0;
    httpServer = http.createServer((req, res) => {
      seenPorts.push(req.socket.remotePort ?? -1);
      if (req.url === '/big') {
        res.setHeader('content-type', 'application/octet-stream');
        res.end(BODY);
        return;
      }
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => res.end(`${req.method} ${req.url} ${Buffer.concat(parts).length} from ${req.socket.remoteAddress}`));
    });
    const srv = w.b.createServer();
    serveHttp(srv, httpServer);
    srv.listen(8080);
    await once(srv, 'listening');
  });
  afterEach(() => {
    httpServer.closeAllConnections();
    w.close();
  });

  function get(opts: http.RequestOptions, body?: Buffer): Promise<{ res: http.IncomingMessage; data: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = http.request(opts, (res) => {
        collect(res).then((data) => resolve({ res, data }), reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  test('http.request with createConnection: a 3 MiB response, byte-exact', T, async () => {
    const { res, data } = await get({
      path: '/big',
      createConnection: () => w.a.connect({ port: 8080, host: B4 }),
    });
    assert.equal(res.statusCode, 200);
    assert.equal(data.length, BODY.length);
    assert.equal(sha256(data), sha256(BODY));
  });

  test('an http.Agent with keep-alive reuses one connection for several requests (IPv6)', T, async () => {
    const agent = new HttpAgent(w.a, { keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 5; i++) {
      const body = Buffer.alloc(1000 * i, 0x61);
      const { res, data } = await get({ agent, host: B6, port: 8080, method: 'POST', path: `/r${i}` }, body);
      assert.equal(res.statusCode, 200);
      assert.equal(data.toString(), `POST /r${i} ${body.length} from 2001:db8::a`);
    }
    const { data } = await get({ agent, host: B4, port: 8080, path: '/big' });
    assert.equal(sha256(data), sha256(BODY));
    assert.equal(seenPorts.length, 6);
    // One connection per address family: the five IPv6 requests shared a port.
    assert.equal(new Set(seenPorts.slice(0, 5)).size, 1);
    agent.destroy();
  });

  test('a wirestack http server answers a wirestack client both ways (stack a serves too)', T, async () => {
    const h2 = http.createServer((req, res) => res.end(`hello ${req.socket.remoteAddress}`));
    const srv = w.a.createServer();
    serveHttp(srv, h2);
    srv.listen(8081, '0.0.0.0');
    await once(srv, 'listening');
    const agent = new HttpAgent(w.b, { keepAlive: true });
    const { data } = await get({ agent, host: '10.0.0.1', port: 8081, path: '/' });
    assert.equal(data.toString(), 'hello 10.0.0.2');
    agent.destroy();
    h2.closeAllConnections();
  });
});
