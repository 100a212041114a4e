import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { SipHash24 } from '../../../src/core/rand/siphash.js';

/**
 * SipHash-2-4 reference outputs as little-endian bytes: key 00 01 .. 0f, message i = bytes 00 .. i-1
 * (the table of the reference implementation, whose 16th entry is the paper's appendix example).
 * Checked here against an independent straightforward 64-bit implementation.
 */
const VECTORS = [
  '310e0edd47db6f72',
  'fd67dc93c539f874',
  '5a4fa9d909806c0d',
  '2d7efbd796666785',
  'b7877127e09427cf',
  '8da699cd64557618',
  'cee3fe586e46c9cb',
  '37d1018bf50002ab',
  '6224939a79f5f593',
  'b0e4a90bdf82009e',
  'f3b9dd94c5bb5d7a',
  'a7ad6b22462fb3f4',
  'fbe50e86bc8f1e75',
  '903d84c02756ea14',
  'eef27a8e90ca23f7',
  'e545be4961ca29a1',
  'db9bc2577fcc2a3f',
  '9447be2cf5e99a69',
  '9cd38d96f0b3c14b',
  'bd6179a71dc96dbb',
  '98eea21af25cd6be',
  'c7673b2eb0cbf2d0',
  '883ea3e395675393',
  'c8ce5ccd8c030ca8',
  '94af49f6c650adb8',
  'eab8858ade92e1bc',
  'f315bb5bb835d817',
  'adcf6b0763612e2f',
  'a5c91da7acaa4dde',
  '716595876650a2a6',
  '28ef495c53a387ad',
  '42c341d8fa92d832',
  'ce7cf2722f512771',
  'e37859f94623f3a7',
  '381205bb1ab0e012',
  'ae97a10fd434e015',
  'b4a31508beff4d31',
  '81396229f0907902',
  '4d0cf49ee5d4dcca',
  '5c73336a76d8bf9a',
  'd0a704536ba93e0e',
  '925958fcd6420cad',
  'a915c29bc8067318',
  '952b79f3bc0aa6d4',
  'f21df2e41d4535f9',
  '87577519048f53a9',
  '10a56cf5dfcd9adb',
  'eb75095ccd986cd0',
  '51a9cb9ecba312e6',
  '96afadfc2ce666c7',
  '72fe52975a4364ee',
  '5a1645b276d592a1',
  'b274cb8ebf87870a',
  '6f9bb4203de7b381',
  'eaecb2a30b22a87f',
  '9924a43cc1315724',
  'bd838d3aafbf8db7',
  '0b1a2a3265d51aea',
  '135079a3231ce660',
  '932b2846e4d70666',
  'e1915f5cb1eca46c',
  'f325965ca16d629f',
  '575ff28e60381be5',
  '724506eb4c328a95',
];

function leHex(hi: number, lo: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += ((lo >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
  for (let i = 0; i < 4; i++) s += ((hi >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
  return s;
}

/** A plain bigint SipHash-2-4, written from the paper's description, as an oracle. */
function oracle(key: Uint8Array, msg: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M;
  const le64 = (b: Uint8Array, o: number, n = 8): bigint => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i]!);
    return v;
  };
  const k0 = le64(key, 0);
  const k1 = le64(key, 8);
  const v = [
    k0 ^ 0x736f6d6570736575n,
    k1 ^ 0x646f72616e646f6dn,
    k0 ^ 0x6c7967656e657261n,
    k1 ^ 0x7465646279746573n,
  ];
  const round = (): void => {
    v[0] = (v[0]! + v[1]!) & M;
    v[1] = rotl(v[1]!, 13n) ^ v[0]!;
    v[0] = rotl(v[0]!, 32n);
    v[2] = (v[2]! + v[3]!) & M;
    v[3] = rotl(v[3]!, 16n) ^ v[2]!;
    v[0] = (v[0]! + v[3]!) & M;
    v[3] = rotl(v[3]!, 21n) ^ v[0]!;
    v[2] = (v[2]! + v[1]!) & M;
    v[1] = rotl(v[1]!, 17n) ^ v[2]!;
    v[2] = rotl(v[2]!, 32n);
  };
  const full = msg.length - (msg.length % 8);
  for (let i = 0; i < full; i += 8) {
    const m = le64(msg, i);
    v[3]! ^= m;
    round();
    round();
    v[0]! ^= m;
  }
  const m = le64(msg, full, msg.length - full) | (BigInt(msg.length & 0xff) << 56n);
  v[3]! ^= m;
  round();
  round();
  v[0]! ^= m;
  v[2]! ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v[0]! ^ v[1]! ^ v[2]! ^ v[3]!;
}

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i);

describe('siphash', () => {
  test('reference vectors (64 lengths)', () => {
    const h = new SipHash24(KEY);
    const msg = Uint8Array.from({ length: 64 }, (_, i) => i);
    for (let n = 0; n < 64; n++) {
      h.hash(msg, 0, n);
      assert.equal(leHex(h.hi, h.lo), VECTORS[n], `length ${n}`);
    }
  });

  test("paper's appendix example", () => {
    const h = new SipHash24(KEY);
    const lo = h.hash(
      Uint8Array.from({ length: 15 }, (_, i) => i),
      0,
      15,
    );
    assert.equal(h.hi, 0xa129ca61);
    assert.equal(h.lo, 0x49be45e5);
    assert.equal(lo, 0x49be45e5);
  });

  test('offset input and key', () => {
    const key = new Uint8Array(20);
    key.set(KEY, 3);
    const h = new SipHash24(key, 3);
    const msg = new Uint8Array(40);
    for (let i = 0; i < 15; i++) msg[7 + i] = i;
    h.hash(msg, 7, 15);
    assert.equal(leHex(h.hi, h.lo), VECTORS[15]);
    assert.throws(() => new SipHash24(new Uint8Array(15)), RangeError);
  });

  test('matches a bigint oracle on random keys and messages', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 300 }),
        (key, msg) => {
          const h = new SipHash24(key);
          h.hash(msg, 0, msg.length);
          assert.equal((BigInt(h.hi) << 32n) | BigInt(h.lo), oracle(key, msg));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
