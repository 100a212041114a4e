/**
 * Benchmarks for the TCP wire format: header+options parse and emit of an ACK carrying timestamps
 * and SACK blocks, and the checksum fill of a full-sized data segment against the reference byte
 * loop, all on preallocated buffers the way the stack uses them.
 */

import { checksumNaive } from '../core/wire/checksum.js';
import { checksumAddresses4, transportSum } from '../core/wire/pseudo.js';
import { fillTcpChecksum, IPPROTO_TCP, TcpFlag, TcpRepr, TcpView } from '../core/wire/tcp.js';
import type { BenchCase, BenchSuite } from './suite.js';

const MSS = 1460;

/** Keeps results observable so the work is not optimized away. */
let sink = 0;

/** A data segment with TS + 3 SACK blocks (the most that fit beside timestamps), in a frame. */
function sampleRepr(): TcpRepr {
  const r = new TcpRepr();
  r.srcPort = 443;
  r.dstPort = 51234;
  r.seq = 0x12345678;
  r.ack = 0x9abcdef0;
  r.flags = TcpFlag.ACK | TcpFlag.PSH;
  r.window = 501;
  r.options.addNop();
  r.options.addNop();
  r.options.addTimestamps(3508376666, 2564928073);
  r.options.addNop();
  r.options.addNop();
  r.options.addSack(Uint32Array.of(1000, 2000, 3000, 4000, 5000, 6000));
  r.payloadLen = 100;
  return r;
}

/** Headroom in front of the TCP header, as for Ethernet + IPv4. */
const HEADROOM = 34;

function parseCase(): () => void {
  const r = sampleRepr();
  const frame = new Uint8Array(2048);
  const len = r.emit(frame, HEADROOM) + r.payloadLen;
  const view = new TcpView();
  const back = new TcpRepr();
  return () => {
    if (view.check(frame, HEADROOM, len) === 0 && back.parse(view) === 0) {
      sink += back.options.sackRight(2) + back.options.tsEcr;
    }
  };
}

function emitCase(): () => void {
  const r = sampleRepr();
  const frame = new Uint8Array(2048);
  return () => {
    r.seq = (r.seq + 1) >>> 0;
    sink += r.emit(frame, HEADROOM);
  };
}

function fillCase(naive: boolean): () => void {
  const r = sampleRepr();
  r.options.clear();
  r.options.addNop();
  r.options.addNop();
  r.options.addTimestamps(1, 2);
  r.payloadLen = MSS;
  const frame = new Uint8Array(2048);
  const len = r.emit(frame, HEADROOM) + MSS;
  for (let i = 0; i < MSS; i++) frame[HEADROOM + 32 + i] = (i * 31 + 7) & 0xff;
  const addrs = checksumAddresses4(0x0a4d0001, 0x0a4d0002);
  if (!naive) {
    return () => {
      fillTcpChecksum(frame, HEADROOM, len, addrs);
      sink += frame[HEADROOM + 16]!;
    };
  }
  return () => {
    frame[HEADROOM + 16] = 0;
    frame[HEADROOM + 17] = 0;
    const c = checksumNaive(frame, HEADROOM, len, transportSum(addrs, IPPROTO_TCP, len));
    frame[HEADROOM + 16] = c >>> 8;
    frame[HEADROOM + 17] = c;
    sink += c;
  };
}

export const tcpWireSuite: BenchSuite = {
  name: 'tcp wire',
  cases(): BenchCase[] {
    const segLen = 32 + MSS;
    return [
      { name: 'parse header+TS+SACK', fn: parseCase() },
      { name: 'emit header+TS+SACK', fn: emitCase() },
      { name: 'checksum fill 1460 naive', fn: fillCase(true), bytes: segLen },
      {
        name: 'checksum fill 1460',
        fn: fillCase(false),
        bytes: segLen,
        baseline: 'checksum fill 1460 naive',
      },
    ];
  },
};

/** Read by nothing; exported so a bundler cannot drop the work behind `sink`. */
export function tcpWireSink(): number {
  return sink;
}
