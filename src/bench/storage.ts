/**
 * Benchmarks for core/storage: ring copies against bare `TypedArray.set` copies, assembler patterns
 * a TCP receiver sees, and frame pool slots against fresh arrays.
 */

import { Assembler } from '../core/storage/assembler.js';
import { FramePool } from '../core/storage/pool.js';
import { ByteRing } from '../core/storage/ring.js';
import type { BenchCase, BenchSuite } from './suite.js';

const MSS = 1460;
const BIG = 64 * 1024;

/** Keeps results observable so the work is not optimized away. */
let sink = 0;

function fill(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** Two bare copies (in and out) of `n` bytes through a `subarray` view, as a ring op does. */
function rawCopy(n: number): () => void {
  const src = fill(n + 64);
  const mid = new Uint8Array(n + 64);
  const dst = new Uint8Array(n + 64);
  let off = 0;
  return () => {
    off = (off + 1) & 63;
    mid.set(src.subarray(off, off + n), 0);
    dst.set(mid.subarray(0, n), off);
    sink += dst[off]!;
  };
}

function ringWriteRead(n: number, capacity: number): () => void {
  const ring = new ByteRing(capacity);
  const src = fill(n);
  const dst = new Uint8Array(n);
  return () => {
    ring.write(src, 0, n);
    sink += ring.read(dst, 0, n);
  };
}

/** Send path: queue a segment, read it for transmission, then drop it when acknowledged. */
function ringSendPath(n: number, capacity: number): () => void {
  const ring = new ByteRing(capacity);
  const src = fill(n);
  const frame = new Uint8Array(2048);
  return () => {
    ring.write(src, 0, n);
    sink += ring.peek(frame, 128, n, 0);
    ring.discard(n);
  };
}

/** Receive path: one segment out of order, then the one before it, then the application reads both. */
function ringReceivePath(n: number, capacity: number): () => void {
  const ring = new ByteRing(capacity);
  const asm = new Assembler();
  const seg = fill(n);
  const app = new Uint8Array(2 * n);
  return () => {
    ring.writeAt(n, seg, 0, n);
    asm.add(n, n);
    ring.writeAt(0, seg, 0, n);
    asm.add(0, n);
    ring.commit(asm.removeFront());
    sink += ring.read(app, 0, 2 * n);
  };
}

function assemblerInOrder(): () => void {
  const asm = new Assembler();
  return () => {
    asm.add(0, MSS);
    sink += asm.removeFront();
  };
}

/** Eight segments arriving in reverse order, then drained. */
function assemblerReversed(): () => void {
  const asm = new Assembler();
  return () => {
    for (let i = 7; i >= 0; i--) asm.add(i * MSS, MSS);
    sink += asm.removeFront();
  };
}

/** 32 holes opened (every other segment), then filled front to back with a drain after each. */
function assemblerHoles(): () => void {
  const asm = new Assembler();
  return () => {
    for (let i = 0; i < 32; i++) asm.add((2 * i + 1) * MSS, MSS);
    for (let i = 0; i < 32; i++) {
      asm.add(0, MSS);
      sink += asm.removeFront();
    }
  };
}

/** A SACK-generating receiver: add an out-of-order segment and list the 4 most recent blocks. */
function assemblerSack(): () => void {
  const asm = new Assembler();
  const order = new Int32Array(4);
  let k = 0;
  return () => {
    k = (k + 1) & 15;
    asm.add((2 * k + 1) * MSS, MSS);
    sink += asm.recentOrder(order, 4);
    if (k === 15) asm.clear();
  };
}

function poolAllocFree(): () => void {
  const pool = FramePool.mtu(1024);
  return () => {
    const id = pool.alloc();
    pool.buffer(id)[pool.payloadOffset(id)] = 1;
    pool.free(id);
    sink += id;
  };
}

function poolBurst(): () => void {
  const pool = FramePool.mtu(1024);
  const ids = new Int32Array(64);
  return () => {
    for (let i = 0; i < 64; i++) ids[i] = pool.alloc();
    for (let i = 63; i >= 0; i--) pool.free(ids[i]!);
    sink += ids[0]!;
  };
}

function freshArray(): () => void {
  return () => {
    const b = new Uint8Array(2048);
    b[128] = 1;
    sink += b.length;
  };
}

export const storageSuite: BenchSuite = {
  name: 'storage',
  cases(): BenchCase[] {
    return [
      { name: 'raw 2x copy 1460B', fn: rawCopy(MSS), bytes: MSS },
      {
        name: 'ring write+read 1460B',
        fn: ringWriteRead(MSS, BIG),
        bytes: MSS,
        baseline: 'raw 2x copy 1460B',
      },
      { name: 'ring send path 1460B', fn: ringSendPath(MSS, BIG), bytes: MSS, baseline: 'raw 2x copy 1460B' },
      {
        name: 'ring+asm receive path 2x1460B',
        fn: ringReceivePath(MSS, BIG),
        bytes: 2 * MSS,
        baseline: 'raw 2x copy 1460B',
      },
      { name: 'raw 2x copy 64KiB', fn: rawCopy(BIG), bytes: BIG },
      {
        name: 'ring write+read 64KiB',
        fn: ringWriteRead(BIG, 4 * BIG),
        bytes: BIG,
        baseline: 'raw 2x copy 64KiB',
      },
      { name: 'assembler in-order add+removeFront', fn: assemblerInOrder() },
      {
        name: 'assembler 8 reversed + drain',
        fn: assemblerReversed(),
        baseline: 'assembler in-order add+removeFront',
      },
      {
        name: 'assembler 32 holes filled',
        fn: assemblerHoles(),
        baseline: 'assembler in-order add+removeFront',
      },
      { name: 'assembler add + 4 SACK blocks', fn: assemblerSack() },
      { name: 'new Uint8Array(2048)', fn: freshArray() },
      { name: 'pool alloc+free', fn: poolAllocFree(), baseline: 'new Uint8Array(2048)' },
      { name: 'pool 64 alloc + 64 free', fn: poolBurst() },
    ];
  },
};

/** For tests: the accumulated results (keeps `sink` alive). */
export function storageBenchSink(): number {
  return sink;
}
