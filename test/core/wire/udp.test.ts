import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DropReason } from '../../../src/core/wire/drop.js';
import { checksumAddresses4 } from '../../../src/core/wire/pseudo.js';
import { fillUdpChecksum, UdpRepr, UdpView, verifyUdpChecksum } from '../../../src/core/wire/udp.js';

// A hand-built UDP header (192.168.1.10:53210 -> 192.168.1.1:53) with a 5-byte payload.
const GOLDEN = Uint8Array.from([
  0xcf, 0xda, 0x00, 0x35, 0x00, 0x0d, 0x00, 0x00, 0x12, 0x34, 0x01, 0x00, 0x00,
]);

describe('udp', () => {
  test('golden bytes parse', () => {
    const v = new UdpView();
    assert.equal(v.check(GOLDEN, 0, GOLDEN.length), DropReason.Ok);
    const r = new UdpRepr();
    assert.equal(r.parse(v), DropReason.Ok);
    assert.deepEqual({ ...r }, { srcPort: 53210, dstPort: 53, payloadLen: 5 });
  });

  test('checksum fill and verify', () => {
    const buf = GOLDEN.slice();
    const a = checksumAddresses4(0xc0a8010a, 0xc0a80101);
    fillUdpChecksum(buf, 0, buf.length, a);
    assert.ok(verifyUdpChecksum(buf, 0, buf.length, a));
    buf[9]! ^= 1;
    assert.ok(!verifyUdpChecksum(buf, 0, buf.length, a));
  });

  test('length field beyond the delivered bytes is a drop', () => {
    const buf = GOLDEN.slice();
    buf[5] = 0x40;
    assert.equal(new UdpView().check(buf, 0, buf.length), DropReason.UdpBadLength);
    assert.equal(new UdpView().check(buf, 0, 7), DropReason.Truncated);
  });

  test('parse(emit(r)) == r', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: 0, max: 1400 }),
        (s, d, n) => {
          const r = new UdpRepr();
          r.srcPort = s;
          r.dstPort = d;
          r.payloadLen = n;
          const buf = new Uint8Array(8 + n);
          assert.equal(r.emit(buf, 0), 8);
          const v = new UdpView();
          assert.equal(v.check(buf, 0, buf.length), DropReason.Ok);
          const back = new UdpRepr();
          assert.equal(back.parse(v), DropReason.Ok);
          assert.ok(back.equals(r));
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: -2, max: 70 }), (bytes, len) => {
        const v = new UdpView();
        const r = new UdpRepr();
        if (v.check(bytes, 0, len) === DropReason.Ok) {
          r.parse(v);
          assert.ok(v.payloadOffset + v.payloadLength <= bytes.length);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
