/**
 * Internet checksum: the word-at-a-time `checksum` against the byte-pair loop `checksumNaive`, on a
 * 64 KiB buffer (a TSO-sized super-segment), a 1460 B buffer (one MSS) and a 1460 B range at an odd
 * offset (the unaligned head/tail path). Targets: >= 4 GB/s on 64 KiB and >= 3x the naive loop.
 * `checksum` takes the WebAssembly SIMD path from 2 KiB up where the runtime has it; the `js loop`
 * case measures the pure-JavaScript path on the same 64 KiB buffer.
 */
import { checksum, checksumNaive, checksumUsesSimd, sum16Js } from '../core/wire/checksum.js';
import type { BenchCase, BenchSuite } from './suite.js';

/** Results land here so the optimizer cannot drop the calls. */
export let checksumSink = 0;

function filled(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export const checksumSuite: BenchSuite = {
  get name() {
    return checksumUsesSimd() ? 'checksum (wasm SIMD from 2 KiB)' : 'checksum (JavaScript only)';
  },
  cases(): BenchCase[] {
    const big = filled(65536, 1);
    const mss = filled(1460, 2);
    // A 1460 B range at offset 1 of a larger buffer: the head is not 4-byte aligned.
    const odd = filled(1461 + 64, 3);
    return [
      {
        name: 'naive 64KiB',
        bytes: 65536,
        fn: () => {
          checksumSink ^= checksumNaive(big, 0, 65536);
        },
      },
      {
        name: 'checksum 64KiB',
        bytes: 65536,
        baseline: 'naive 64KiB',
        fn: () => {
          checksumSink ^= checksum(big, 0, 65536);
        },
      },
      {
        name: 'js loop 64KiB',
        bytes: 65536,
        baseline: 'naive 64KiB',
        fn: () => {
          checksumSink ^= ~sum16Js(big, 0, 65536) & 0xffff;
        },
      },
      {
        name: 'naive 1460B',
        bytes: 1460,
        fn: () => {
          checksumSink ^= checksumNaive(mss, 0, 1460);
        },
      },
      {
        name: 'checksum 1460B',
        bytes: 1460,
        baseline: 'naive 1460B',
        fn: () => {
          checksumSink ^= checksum(mss, 0, 1460);
        },
      },
      {
        name: 'naive 1460B unaligned',
        bytes: 1460,
        fn: () => {
          checksumSink ^= checksumNaive(odd, 1, 1460);
        },
      },
      {
        name: 'checksum 1460B unaligned',
        bytes: 1460,
        baseline: 'naive 1460B unaligned',
        fn: () => {
          checksumSink ^= checksum(odd, 1, 1460);
        },
      },
    ];
  },
};
