import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import fc from 'fast-check';
import {
  checksum,
  checksumNaive,
  checksumUsesSimd,
  fold,
  pseudoSum4,
  pseudoSum6,
  SIMD_MIN_BYTES,
  sum16,
  sum16Js,
  updateChecksum16,
  updateChecksum32,
} from '../../../src/core/wire/checksum.js';

/** Reference one's-complement sum written independently: 32-bit accumulation, fold at the end. */
function refSum(b: Uint8Array, off: number, len: number, initial = 0): number {
  let s = initial;
  for (let i = 0; i < len; i++) s += (i & 1 ? b[off + i]! : b[off + i]! << 8) | 0;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

function randomBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe('checksum', () => {
  test('RFC 1071 §3 example: sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2', () => {
    const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    assert.equal(sum16(b, 0, 8), 0xddf2);
    assert.equal(checksum(b, 0, 8), 0x220d);
    assert.equal(checksumNaive(b, 0, 8), 0x220d);
  });

  test('captured IPv4 header checksums to zero', () => {
    // Header of an ICMP echo request captured with tcpdump (see ipv4.test.ts).
    const h = Uint8Array.from(Buffer.from('45000054d9ce400040014c3e0a4d00010a4d0002', 'hex'));
    assert.equal(checksum(h, 0, 20), 0);
    h[10] = 0;
    h[11] = 0;
    assert.equal(checksum(h, 0, 20), 0x4c3e);
  });

  test('empty, odd and all-ones inputs', () => {
    assert.equal(sum16(new Uint8Array(0), 0, 0), 0);
    assert.equal(checksum(new Uint8Array(0), 0, 0), 0xffff);
    assert.equal(sum16(Uint8Array.of(0xab), 0, 1), 0xab00);
    const ones = new Uint8Array(1000).fill(0xff);
    assert.equal(sum16(ones, 0, 1000), 0xffff);
    assert.equal(checksum(ones, 0, 1000), 0);
    // Large sums carry over 32 bits inside the word loop and in `fold`.
    const big = new Uint8Array(70000).fill(0xff);
    assert.equal(checksum(big, 0, big.length), checksumNaive(big, 0, big.length));
    assert.equal(fold(0xffff * 0x10001), 0xffff);
    assert.equal(fold(2 ** 52), fold(2 ** 52 - 0xffff * Math.floor(2 ** 52 / 0xffff)));
  });

  test('every length 0..300 at every start offset mod 8, aligned and unaligned buffers', () => {
    const outer = randomBytes(400, 7);
    for (const byteOff of [0, 1, 2, 3, 5]) {
      const b = outer.subarray(byteOff);
      for (let start = 0; start < 8; start++) {
        for (let len = 0; len <= 300; len++) {
          const want = checksumNaive(b, start, len);
          assert.equal(checksum(b, start, len), want, `byteOffset ${byteOff} start ${start} len ${len}`);
          assert.equal(sum16(b, start, len), refSum(b, start, len));
        }
      }
    }
  });

  test('random lengths 0..70000, any start, subarrays with odd byteOffset, initial sums', () => {
    const pool = randomBytes(70000 + 64, 99);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 70000 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 0x3ffff }),
        (len, start, byteOff, initial) => {
          const b = pool.subarray(byteOff);
          assert.equal(checksum(b, start, len, initial), checksumNaive(b, start, len, initial));
          assert.equal(sum16(b, start, len, initial), refSum(b, start, len, initial));
          assert.equal(sum16Js(b, start, len, initial), refSum(b, start, len, initial));
        },
      ),
      { numRuns: 600 },
    );
  });

  test('the WebAssembly SIMD path is used on this runtime and agrees with the JS path', () => {
    // Node 20 has wasm SIMD; where a runtime lacks it the JS path serves alone.
    assert.ok(checksumUsesSimd(), 'wasm SIMD unavailable');
    const pool = randomBytes(300_000, 5);
    const lengths = [
      SIMD_MIN_BYTES - 1,
      SIMD_MIN_BYTES,
      SIMD_MIN_BYTES + 1,
      4095,
      65535,
      65536,
      65537,
      262_143,
      262_145,
    ];
    for (const len of lengths) {
      for (const start of [0, 1, 2, 3]) {
        const want = refSum(pool, start, len);
        assert.equal(sum16(pool, start, len), want, `len ${len} start ${start}`);
        assert.equal(sum16Js(pool, start, len), want, `js len ${len} start ${start}`);
      }
    }
    // Larger than the module's initial memory (128 KiB): it grows, and keeps working afterwards.
    assert.equal(checksum(pool, 7, 299_000), checksumNaive(pool, 7, 299_000));
    assert.equal(checksum(pool, 0, 70_000), checksumNaive(pool, 0, 70_000));
  });

  test('the embedded wasm bytes are the assembly of checksum-simd.wat', async () => {
    const root = new URL('../../../', import.meta.url);
    let dir = fileURLToPath(root);
    while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
    const script = join(dir, 'scripts', 'build-wasm.mjs');
    const { assemble, render } = (await import(pathToFileURL(script).href)) as {
      assemble(): Promise<Uint8Array>;
      render(b: Uint8Array): string;
    };
    const text = render(await assemble());
    assert.equal(readFileSync(join(dir, 'src', 'core', 'wire', 'checksum-simd.ts'), 'utf8'), text);
  });

  test('independent Uint8Arrays of random content and size agree with the byte loop', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.nat(7), (bytes, start) => {
        const s = Math.min(start, bytes.length);
        const len = bytes.length - s;
        assert.equal(checksum(bytes, s, len), checksumNaive(bytes, s, len));
      }),
      { numRuns: 2000 },
    );
  });

  test('a shared ArrayBuffer seen through several views (the cached word view is reused)', () => {
    const ab = new ArrayBuffer(4096);
    const whole = new Uint8Array(ab);
    whole.set(randomBytes(4096, 3));
    const views = [
      new Uint8Array(ab, 1, 2000),
      new Uint8Array(ab, 7, 3000),
      whole,
      new Uint8Array(ab, 4001, 95),
    ];
    for (let round = 0; round < 3; round++) {
      for (const v of views) {
        assert.equal(checksum(v, 0, v.length), checksumNaive(v, 0, v.length));
        assert.equal(checksum(v, 3, v.length - 3), checksumNaive(v, 3, v.length - 3));
      }
      // Interleave another buffer so the cache switches back and forth.
      const other = randomBytes(999, round + 11);
      assert.equal(checksum(other, 1, 900), checksumNaive(other, 1, 900));
    }
  });

  test('a resizable ArrayBuffer that grows after being summed', () => {
    const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
    let ab: ArrayBuffer;
    try {
      ab = new Ctor(256, { maxByteLength: 8192 });
    } catch {
      return; // no resizable buffers on this runtime
    }
    const resize = (ab as unknown as { resize?: (n: number) => void }).resize;
    if (typeof resize !== 'function') return;
    const b = new Uint8Array(ab); // length-tracking view
    b.set(randomBytes(256, 5));
    assert.equal(checksum(b, 0, 256), checksumNaive(b, 0, 256));
    resize.call(ab, 8192);
    b.set(randomBytes(8192, 6));
    assert.equal(checksum(b, 0, 8192), checksumNaive(b, 0, 8192));
    assert.equal(checksum(b, 5, 8000), checksumNaive(b, 5, 8000));
  });

  test('RFC 1624 update matches a full recompute (16- and 32-bit fields)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 24, maxLength: 80 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.nat(),
        (bytes, w16, w32, where) => {
          // Keep the data non-zero: with all-zero data the two zero forms 0x0000/0xffff differ.
          bytes[0] = bytes[0]! | 1;
          const len = bytes.length & ~1;
          const ck = checksum(bytes, 0, len);
          const at = (where % ((len - 4) >>> 1)) * 2;
          const old16 = (bytes[at]! << 8) | bytes[at + 1]!;
          const b2 = bytes.slice();
          b2[at] = w16 >>> 8;
          b2[at + 1] = w16 & 0xff;
          if (b2.every((x) => x === 0)) return;
          assert.equal(updateChecksum16(ck, old16, w16), checksum(b2, 0, len));
          const old32 =
            ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
          const b3 = bytes.slice();
          b3[at] = w32 >>> 24;
          b3[at + 1] = (w32 >>> 16) & 0xff;
          b3[at + 2] = (w32 >>> 8) & 0xff;
          b3[at + 3] = w32 & 0xff;
          if (b3.every((x) => x === 0)) return;
          assert.equal(updateChecksum32(ck, old32, w32), checksum(b3, 0, len));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('RFC 1624 §4 example: eqn. 3 gives 0x0000 where eqn. 2 would give 0xffff', () => {
    // Header checksum 0xdd2f, a word changes from 0x5555 to 0x3285; the new checksum is 0x0000.
    assert.equal(updateChecksum16(0xdd2f, 0x5555, 0x3285), 0x0000);
  });

  test('IPv4 pseudo-header sum equals summing the pseudo-header bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        (src, dst, proto, len) => {
          const ph = new Uint8Array(12);
          const dv = new DataView(ph.buffer);
          dv.setUint32(0, src);
          dv.setUint32(4, dst);
          ph[9] = proto;
          dv.setUint16(10, len);
          assert.equal(fold(pseudoSum4(src, dst, proto, len)), sum16(ph, 0, 12));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('IPv6 pseudo-header sum equals summing the pseudo-header bytes (RFC 8200 §8.1)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 40, maxLength: 40 }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (addrs, nh, len) => {
          const ph = new Uint8Array(40);
          ph.set(addrs.subarray(0, 32));
          const dv = new DataView(ph.buffer);
          dv.setUint32(32, len);
          ph[39] = nh;
          const buf = new Uint8Array(64);
          buf.set(addrs.subarray(0, 16), 3);
          buf.set(addrs.subarray(16, 32), 41);
          assert.equal(fold(pseudoSum6(buf, 3, buf, 41, nh, len)), sum16(ph, 0, 40));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('a transport checksum with the pseudo-header verifies to zero', () => {
    // Captured ICMPv6 echo request (see ipv6.test.ts): fd77::1 -> fd77::2, 64 bytes of ICMPv6.
    const ip = Uint8Array.from(
      Buffer.from(
        '600dfcdc00403a40fd770000000000000000000000000001fd770000000000000000000000000002' +
          '80006527288b0001fb62026b00000000343e060000000000101112131415161718191a1b1c1d1e1f' +
          '202122232425262728292a2b2c2d2e2f3031323334353637',
        'hex',
      ),
    );
    assert.equal(checksum(ip, 40, 64, pseudoSum6(ip, 8, ip, 24, 58, 64)), 0);
  });
});
