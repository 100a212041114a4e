/**
 * Just enough of an iperf3 server (TCP tests, one stream or more, normal and reverse) on a
 * wirestack `NetStack`, for the kernel's `iperf3 -c` as the client.
 *
 * The protocol, as the iperf3 client speaks it: a control connection that first sends a 37-byte
 * cookie; the server answers with one-byte states. PARAM_EXCHANGE → the client sends its
 * parameters as JSON (a 4-byte big-endian length, then the text); CREATE_STREAMS → the client opens
 * `parallel` data connections, each starting with the same cookie; TEST_START and TEST_RUNNING →
 * data flows (client to server, or server to client with `reverse`); the client sends TEST_END;
 * EXCHANGE_RESULTS → the client sends its results JSON and reads the server's; DISPLAY_RESULTS →
 * the client answers IPERF_DONE. The server closes the data connections at TEST_END.
 */
import { performance } from 'node:perf_hooks';
import type { NetStack, Server, Socket } from '../../src/api/net/index.js';

export const TEST_START = 1;
export const TEST_RUNNING = 2;
export const TEST_END = 4;
export const PARAM_EXCHANGE = 9;
export const CREATE_STREAMS = 10;
export const EXCHANGE_RESULTS = 13;
export const DISPLAY_RESULTS = 14;
export const IPERF_DONE = 16;
export const SERVER_ERROR = -2;
const COOKIE_LEN = 37;

export interface IperfRun {
  params: Record<string, unknown>;
  /** Bytes received (normal) or written to the socket (reverse) per stream, at TEST_END. */
  bytes: number[];
  seconds: number;
  /** The client's results JSON. */
  clientResults: Record<string, unknown>;
}

/** Reads exact byte counts from a socket. */
class Reader {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  ended = false;

  constructor(s: Socket) {
    s.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    s.on('end', () => {
      this.ended = true;
      this.waiter?.();
    });
  }

  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`iperf3 control: connection ended (wanted ${n} bytes)`);
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async json(): Promise<Record<string, unknown>> {
    const len = (await this.read(4)).readUInt32BE(0);
    return JSON.parse((await this.read(len)).toString()) as Record<string, unknown>;
  }
}

function sendJson(s: Socket, v: unknown): void {
  const body = Buffer.from(JSON.stringify(v));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  s.write(Buffer.concat([len, body]));
}

/** Listens on `port` and serves one iperf3 test; resolves when it is done. */
export function serveOneIperf3(net: NetStack, port = 5201): { listening: Promise<void>; done: Promise<IperfRun> } {
  let server: Server;
  let resolveListening: () => void = () => {};
  const listening = new Promise<void>((r) => (resolveListening = r));
  const done = new Promise<IperfRun>((resolve, reject) => {
    let control: Socket | undefined;
    let cookie: Buffer | undefined;
    let want = 1;
    let reverse = false;
    let blockLen = 128 * 1024;
    const streams: { s: Socket; bytes: number }[] = [];
    let running = false;
    let streamsReady: () => void = () => {};
    const allStreams = new Promise<void>((r) => (streamsReady = r));

    const runControl = async (c: Socket, rd: Reader, first: Buffer): Promise<void> => {
      cookie = first;
      c.write(Buffer.from([PARAM_EXCHANGE]));
      const params = await rd.json();
      if (params['tcp'] !== true) {
        c.write(Buffer.from([SERVER_ERROR & 0xff]));
        throw new Error(`iperf3: only TCP tests are served: ${JSON.stringify(params)}`);
      }
      want = Number(params['parallel'] ?? 1);
      reverse = params['reverse'] === true || params['reverse'] === 1;
      blockLen = Number(params['len'] ?? blockLen);
      c.write(Buffer.from([CREATE_STREAMS]));
      await allStreams;
      c.write(Buffer.from([TEST_START, TEST_RUNNING]));
      running = true;
      const t0 = performance.now();
      if (reverse) {
        const block = Buffer.alloc(blockLen, 0x61);
        for (const st of streams) {
          const pump = (): void => {
            while (running) {
              st.bytes += block.length;
              if (!st.s.write(block)) {
                st.s.once('drain', pump);
                return;
              }
            }
          };
          pump();
        }
      }
      const end = (await rd.read(1))[0];
      if (end !== TEST_END) throw new Error(`iperf3: expected TEST_END, got state ${end}`);
      running = false;
      const seconds = (performance.now() - t0) / 1000;
      const bytes = streams.map((st) => st.bytes);
      // The data connections close at TEST_END (a receiving client drains them to the end).
      for (const st of streams) {
        if (reverse) st.s.destroy();
        else st.s.end();
      }
      c.write(Buffer.from([EXCHANGE_RESULTS]));
      const clientResults = await rd.json();
      sendJson(c, {
        cpu_util_total: 0,
        cpu_util_user: 0,
        cpu_util_system: 0,
        sender_has_retransmits: 0,
        streams: streams.map((st, i) => ({
          id: i + 1,
          bytes: st.bytes,
          retransmits: -1,
          jitter: 0,
          errors: 0,
          packets: 0,
          start_time: 0,
          end_time: seconds,
        })),
      });
      c.write(Buffer.from([DISPLAY_RESULTS]));
      const last = (await rd.read(1))[0];
      if (last !== IPERF_DONE) throw new Error(`iperf3: expected IPERF_DONE, got state ${last}`);
      c.end();
      server.close();
      resolve({ params, bytes, seconds, clientResults });
    };

    server = net.createServer((s) => {
      const rd = new Reader(s);
      s.on('error', () => {});
      void rd.read(COOKIE_LEN).then(
        (ck) => {
          if (control === undefined) {
            control = s;
            runControl(s, rd, ck).catch((e: unknown) => {
              server.close();
              reject(e instanceof Error ? e : new Error(String(e)));
            });
          } else if (cookie !== undefined && ck.equals(cookie) && streams.length < want) {
            const st = { s, bytes: 0 };
            streams.push(st);
            // Whatever followed the cookie, and everything after, is test data.
            s.removeAllListeners('data');
            s.on('data', (d: Buffer) => {
              if (running && !reverse) st.bytes += d.length;
            });
            if (streams.length === want) streamsReady();
          } else {
            s.destroy();
          }
        },
        () => s.destroy(),
      );
    });
    server.listen(port, resolveListening);
  });
  return { listening, done };
}
