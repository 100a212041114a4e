/**
 * Two `WebStack`s on one memory cable and one `WebDriver`, plus the exchange the browser page runs
 * (and the Node tests run too): TCP echo of `tcpBytes` checked byte for byte, and a UDP round trip.
 * Browser-safe: no Node built-ins.
 */
import { Xoshiro128 } from '../../src/core/rand/rng.js';
import { connectTcp, listenTcp, MemoryCable, openUdp, WebDriver, WebStack } from '../../src/api/web/index.js';
import type { CableOptions } from '../../src/api/web/index.js';

export interface World {
  driver: WebDriver;
  cable: MemoryCable;
  a: WebStack;
  b: WebStack;
  stop(): void;
}

/** a = 10.0.0.1 / 2001:db8::a, b = 10.0.0.2 / 2001:db8::b, on an Ethernet memory cable. */
export function world(cable: CableOptions = {}): World {
  const driver = new WebDriver();
  const c = new MemoryCable({ medium: 'ethernet', ...cable });
  const a = new WebStack({ name: 'a', driver, seed: 1 });
  const b = new WebStack({ name: 'b', driver, seed: 2 });
  a.attach(c.a, { mac: '02:00:00:00:00:0a', addresses: ['10.0.0.1/24', '2001:db8::a/64'] });
  b.attach(c.b, { mac: '02:00:00:00:00:0b', addresses: ['10.0.0.2/24', '2001:db8::b/64'] });
  return { driver, cable: c, a, b, stop: () => driver.stop() };
}

/** `n` pseudo-random bytes from `seed`. */
export function pattern(n: number, seed: number): Uint8Array {
  const r = new Xoshiro128(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = r.nextU32();
    out[i] = v & 0xff;
    if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < n) out[i + 3] = v >>> 24;
  }
  return out;
}

/** Reads a stream to its end, checking each byte against `expect`; returns the count received. */
export async function readExact(
  readable: ReadableStream<Uint8Array>,
  expect: Uint8Array,
): Promise<{ received: number; mismatchAt: number }> {
  const reader = readable.getReader();
  let received = 0;
  let mismatchAt = -1;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let i = 0; i < value.length && mismatchAt < 0; i++) {
      if (received + i >= expect.length || value[i] !== expect[received + i]) mismatchAt = received + i;
    }
    received += value.length;
  }
  return { received, mismatchAt };
}

/** Writes `data` in `chunk`-byte pieces, then closes the writable. */
export async function writeAll(writable: WritableStream<Uint8Array>, data: Uint8Array, chunk = 65536): Promise<void> {
  const w = writable.getWriter();
  for (let off = 0; off < data.length; off += chunk) {
    await w.write(data.subarray(off, Math.min(data.length, off + chunk)));
  }
  await w.close();
}

export interface ExchangeResult {
  tcpSent: number;
  tcpReceived: number;
  /** -1 when every byte matched. */
  tcpMismatchAt: number;
  udpRequest: string;
  udpReply: string;
  udpFrom: string;
}

/**
 * b echoes TCP on port 7 and answers UDP on port 9; a sends `tcpBytes` and checks the echo, then
 * sends one datagram and reads the answer.
 */
export async function exchange(
  w: World,
  tcpBytes: number,
  remote = '10.0.0.2',
  log: (step: string) => void = () => {},
): Promise<ExchangeResult> {
  log(`exchange with ${remote}`);
  const server = listenTcp(w.b, { port: 7 });
  const serving = (async () => {
    const conn = (await server.readable.getReader().read()).value!;
    await conn.readable.pipeTo(conn.writable);
  })();
  const data = pattern(tcpBytes, 7);
  const sock = connectTcp(w.a, { hostname: remote, port: 7 });
  await sock.opened;
  log('tcp connected');
  const [, got] = await Promise.all([writeAll(sock.writable, data), readExact(sock.readable, data)]);
  log(`tcp echoed ${got.received} bytes`);
  await serving;
  await sock.closed;
  await server.close();
  log('tcp closed');

  const usrv = openUdp(w.b, { localPort: 9 });
  const answering = (async () => {
    const r = usrv.readable.getReader();
    const m = (await r.read()).value!;
    r.releaseLock();
    const reply = new TextEncoder().encode(`pong:${new TextDecoder().decode(m.data)}`);
    const wr = usrv.writable.getWriter();
    await wr.write({ data: reply, remoteAddress: m.remoteAddress, remotePort: m.remotePort });
    wr.releaseLock();
  })();
  const ucli = openUdp(w.a, { remoteAddress: remote, remotePort: 9 });
  const uw = ucli.writable.getWriter();
  await uw.write({ data: new TextEncoder().encode('ping') });
  const reply = (await ucli.readable.getReader().read()).value!;
  log('udp answered');
  await answering;
  await ucli.close();
  await usrv.close();
  return {
    tcpSent: data.length,
    tcpReceived: got.received,
    tcpMismatchAt: got.mismatchAt,
    udpRequest: 'ping',
    udpReply: new TextDecoder().decode(reply.data),
    udpFrom: `${reply.remoteAddress}:${reply.remotePort}`,
  };
}
