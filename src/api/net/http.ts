/**
 * Node's own `http` over wirestack sockets: `serveHttp` feeds a `Server`'s connections to an
 * `http.Server`, and `HttpAgent` is an `http.Agent` whose connections are `NetStack` sockets
 * (keep-alive pooling included). For a single request, `http.request({ createConnection })` with
 * `() => stack.connect(...)` works as well.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { NetStack } from './net-stack.js';
import type { Server } from './server.js';

/** Hands every connection of `netServer` to `httpServer` (which need not listen itself). */
export function serveHttp(netServer: Server, httpServer: http.Server): void {
  netServer.on('connection', (s) => httpServer.emit('connection', s));
  netServer.on('close', () => httpServer.emit('close'));
}

export class HttpAgent extends http.Agent {
  constructor(
    private readonly net: NetStack,
    opts: http.AgentOptions = {},
  ) {
    super(opts);
  }

  /** A socket of the stack; the agent uses the returned socket (no callback needed). */
  override createConnection(options: http.ClientRequestArgs): Duplex {
    const port = Number(options.port ?? 80);
    const host = options.host ?? options.hostname ?? 'localhost';
    const s = this.net.connect({
      port,
      host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.family !== undefined ? { family: options.family } : {}),
    });
    return s;
  }
}
