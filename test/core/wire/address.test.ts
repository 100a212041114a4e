import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  formatIpv4,
  formatIpv6,
  formatMac,
  parseIpv4,
  parseIpv6,
  parseMac,
} from '../../../src/core/wire/address.js';

function v6(s: string): Uint8Array {
  const out = new Uint8Array(16);
  assert.ok(parseIpv6(s, out), `parse ${s}`);
  return out;
}

function groups(...g: number[]): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = g[i]! >>> 8;
    out[2 * i + 1] = g[i]! & 0xff;
  }
  return out;
}

/** The WHATWG URL parser serializes IPv6 hosts with the RFC 5952 §4.2 compression rules. */
function urlForm(b: Uint8Array): string {
  const g: string[] = [];
  for (let i = 0; i < 8; i++) g.push(((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
  return new URL(`http://[${g.join(':')}]/`).hostname.slice(1, -1);
}

/** Addresses with many zero groups, so runs and ties are common. */
const sparseV6 = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((g) => groups(...g));

describe('address: IPv4', () => {
  test('format and parse', () => {
    assert.equal(formatIpv4(0x0a4d0001), '10.77.0.1');
    assert.equal(formatIpv4(0xffffffff), '255.255.255.255');
    assert.equal(formatIpv4(0), '0.0.0.0');
    assert.equal(parseIpv4('10.77.0.1'), 0x0a4d0001);
    assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIpv4('0.0.0.0'), 0);
  });

  test('invalid strings are refused', () => {
    for (const s of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1.2.3.-4',
      '1..3.4',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '0x1.2.3.4',
      '01.2.3.4',
      '1.2.3.004',
      '1.2.3.4a',
      '1e2.2.3.4',
      '1.2.3.',
    ]) {
      assert.equal(parseIpv4(s), -1, s);
    }
  });

  test('round trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => {
        assert.equal(parseIpv4(formatIpv4(a)), a);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.ipV4(), (s) => {
        assert.equal(formatIpv4(parseIpv4(s)), s);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('address: IPv6 text form (RFC 5952)', () => {
  test('canonical examples', () => {
    const cases: [Uint8Array, string][] = [
      [groups(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), '2001:db8::1'],
      [groups(0, 0, 0, 0, 0, 0, 0, 0), '::'],
      [groups(0, 0, 0, 0, 0, 0, 0, 1), '::1'],
      [groups(1, 0, 0, 0, 0, 0, 0, 0), '1::'],
      // §4.2.2: a single zero group is not shortened.
      [groups(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), '2001:db8:0:1:1:1:1:1'],
      // §4.2.3: the longest run is shortened; on a tie, the first.
      [groups(0x2001, 0, 0, 1, 0, 0, 0, 1), '2001:0:0:1::1'],
      [groups(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), '2001:db8::1:0:0:1'],
      [groups(0, 0, 1, 0, 0, 0, 0, 0), '0:0:1::'],
      [groups(0, 0, 1, 1, 1, 1, 0, 0), '::1:1:1:1:0:0'],
      // §4.1: no leading zeros; §4.3: lower case.
      [
        groups(0x2001, 0xdb8, 0xaaaa, 0xbbbb, 0xcccc, 0xdddd, 0xeeee, 0x0001),
        '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1',
      ],
      [groups(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 0x7701), 'fe80::ff:fe00:7701'],
      // §5: IPv4-mapped addresses keep the dotted quad.
      [groups(0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304), '::ffff:1.2.3.4'],
      [groups(0, 0, 0, 0, 0, 0xffff, 0, 0), '::ffff:0.0.0.0'],
    ];
    for (const [b, s] of cases) assert.equal(formatIpv6(b), s);
  });

  test('format at an offset inside a frame', () => {
    const frame = new Uint8Array(40);
    frame.set(groups(0xfd77, 0, 0, 0, 0, 0, 0, 2), 24);
    assert.equal(formatIpv6(frame, 24), 'fd77::2');
  });

  test('agrees with an independent RFC 5952 serializer on non-mapped addresses', () => {
    fc.assert(
      fc.property(sparseV6, (b) => {
        const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
        fc.pre(!mapped);
        assert.equal(formatIpv6(b), urlForm(b));
      }),
      { numRuns: 3000 },
    );
  });

  test('parse accepts every text form and the dotted tail', () => {
    const want = groups(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    for (const s of [
      '2001:db8::1',
      '2001:DB8::1',
      '2001:0db8:0000:0000:0000:0000:0000:0001',
      '2001:db8:0:0:0:0:0:1',
      '2001:db8::0:0:1',
      '2001:db8:0::1',
      '2001:db8::0.0.0.1',
    ]) {
      assert.deepEqual(v6(s), want, s);
    }
    assert.deepEqual(v6('::ffff:1.2.3.4'), groups(0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304));
    assert.deepEqual(v6('::1.2.3.4'), groups(0, 0, 0, 0, 0, 0, 0x0102, 0x0304));
    assert.deepEqual(v6('1:2:3:4:5:6:1.2.3.4'), groups(1, 2, 3, 4, 5, 6, 0x0102, 0x0304));
    assert.deepEqual(v6('::'), new Uint8Array(16));
    assert.deepEqual(v6('1::'), groups(1, 0, 0, 0, 0, 0, 0, 0));
    assert.deepEqual(v6('::2:3:4:5:6:7:8'), groups(0, 2, 3, 4, 5, 6, 7, 8));
    assert.deepEqual(v6('1:2:3:4:5:6:7::'), groups(1, 2, 3, 4, 5, 6, 7, 0));
  });

  test('parse writes at an offset and leaves the rest alone', () => {
    const out = new Uint8Array(20).fill(0xee);
    assert.ok(parseIpv6('fd77::1', out, 2));
    assert.deepEqual(out.subarray(2, 18), groups(0xfd77, 0, 0, 0, 0, 0, 0, 1));
    assert.equal(out[0], 0xee);
    assert.equal(out[1], 0xee);
    assert.equal(out[18], 0xee);
  });

  test('invalid strings are refused and do not touch the output', () => {
    const bad = [
      '',
      ':',
      ':::',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      '1:::2',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      '::1:',
      ':1::',
      '12345::',
      'g::1',
      '1::2:3:4:5:6:7:8',
      '::ffff:1.2.3',
      '::ffff:1.2.3.256',
      '::ffff:01.2.3.4',
      '1.2.3.4',
      '1.2.3.4::',
      '::1.2.3.4:5',
      '1:2:3:4:5:6:7:1.2.3.4',
      '1:2:3:4:5:6:7:8%eth0',
      ' ::1',
      '::1 ',
      '[::1]',
      '0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0',
    ];
    for (const s of bad) {
      const out = new Uint8Array(16).fill(0x5a);
      assert.equal(parseIpv6(s, out), false, s);
      assert.ok(
        out.every((x) => x === 0x5a),
        `output untouched for ${s}`,
      );
    }
  });

  test('parse agrees with node:net on random strings', () => {
    const out = new Uint8Array(16);
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.::'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 45 }), (s) => {
        assert.equal(parseIpv6(s, out), isIPv6(s), JSON.stringify(s));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        assert.equal(parseIpv6(s, out), isIPv6(s), s);
      }),
      { numRuns: 2000 },
    );
  });

  test('round trip: parse(format(a)) == a and format(parse(s)) is stable', () => {
    const back = new Uint8Array(16);
    fc.assert(
      fc.property(fc.oneof(sparseV6, fc.uint8Array({ minLength: 16, maxLength: 16 })), (b) => {
        const s = formatIpv6(b);
        assert.ok(parseIpv6(s, back), s);
        assert.deepEqual(back, b);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.ipV6(), (s) => {
        assert.ok(parseIpv6(s, back), s);
        const canon = formatIpv6(back);
        const again = new Uint8Array(16);
        assert.ok(parseIpv6(canon, again));
        assert.deepEqual(again, back);
        assert.equal(formatIpv6(again), canon);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('address: MAC', () => {
  test('format and parse', () => {
    const m = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x77, 0x01);
    assert.equal(formatMac(m), '02:00:00:00:77:01');
    const out = new Uint8Array(8);
    assert.ok(parseMac('02:00:00:00:77:01', out, 1));
    assert.deepEqual(out.subarray(1, 7), m);
    assert.ok(parseMac('FF-ff-0-1-a-B', out));
    assert.deepEqual(out.subarray(0, 6), Uint8Array.of(0xff, 0xff, 0, 1, 0xa, 0xb));
    const frame = Uint8Array.of(9, 9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    assert.equal(formatMac(frame, 2), 'ff:ff:ff:ff:ff:ff');
  });

  test('invalid strings are refused and do not touch the output', () => {
    for (const s of [
      '',
      '02:00:00:00:77',
      '02:00:00:00:77:01:02',
      '02:00:00:00:77:001',
      '02:00:00:00:77:',
      '02:00:00-00:77:01',
      '02:00:00:00:77:0g',
      '0200.0000.7701',
      ' 02:00:00:00:77:01',
    ]) {
      const out = new Uint8Array(6).fill(0x5a);
      assert.equal(parseMac(s, out), false, s);
      assert.ok(out.every((x) => x === 0x5a));
    }
  });

  test('round trip', () => {
    const out = new Uint8Array(6);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (m) => {
        assert.ok(parseMac(formatMac(m), out));
        assert.deepEqual(out, m);
      }),
      { numRuns: 2000 },
    );
  });
});
