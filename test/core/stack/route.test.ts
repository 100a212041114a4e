import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type Ipv4Route,
  Ipv4RouteTable,
  type Ipv6Route,
  Ipv6RouteTable,
  ipv4Mask,
  prefixEqual,
} from '../../../src/core/stack/route.js';
import { parseIpv4, parseIpv6 } from '../../../src/core/wire/address.js';

const ip = (s: string): number => parseIpv4(s);
const ip6 = (s: string): Uint8Array => {
  const b = new Uint8Array(16);
  assert.ok(parseIpv6(s, b));
  return b;
};
const names = (i: number): string => ['lo', 'eth0', 'eth1'][i] ?? `if${i}`;

describe('IPv4 routes', () => {
  test('longest prefix wins, then the lowest metric; default route', () => {
    const t = new Ipv4RouteTable();
    assert.equal(t.add({ dst: 0, prefixLen: 0, gateway: ip('10.0.0.1'), ifindex: 1, metric: 100 }), 'ok');
    assert.equal(t.add({ dst: ip('10.0.0.0'), prefixLen: 24, ifindex: 1 }), 'ok');
    assert.equal(t.add({ dst: ip('10.0.0.0'), prefixLen: 8, ifindex: 2, metric: 5 }), 'ok');
    assert.equal(t.add({ dst: ip('10.0.0.0'), prefixLen: 8, ifindex: 1, metric: 3, mtu: 1400 }), 'ok');
    assert.equal(t.add({ dst: ip('192.168.1.7'), prefixLen: 32, gateway: ip('10.0.0.9'), ifindex: 1 }), 'ok');
    assert.equal(t.lookup(ip('10.0.0.77'))?.prefixLen, 24);
    assert.equal(t.lookup(ip('10.9.0.1'))?.metric, 3);
    assert.equal(t.lookup(ip('8.8.8.8'))?.prefixLen, 0);
    assert.equal(t.lookup(ip('8.8.8.8'))?.nextHop(ip('8.8.8.8')), ip('10.0.0.1'));
    assert.equal(t.lookup(ip('10.0.0.5'))?.nextHop(ip('10.0.0.5')), ip('10.0.0.5'));
    assert.equal(t.lookup(ip('192.168.1.7'))?.gateway, ip('10.0.0.9'));
    assert.equal(
      t.format(names),
      [
        'default via 10.0.0.1 dev eth0 metric 100',
        '10.0.0.0/8 dev eth0 scope link metric 3 mtu 1400',
        '10.0.0.0/8 dev eth1 scope link metric 5',
        '10.0.0.0/24 dev eth0 scope link',
        '192.168.1.7 via 10.0.0.9 dev eth0',
        '',
      ].join('\n'),
    );
    assert.equal(t.remove(ip('10.0.0.0'), 8, 3), true);
    assert.equal(t.lookup(ip('10.9.0.1'))?.ifindex, 2);
    assert.equal(t.remove(ip('10.0.0.0'), 8), true);
    assert.equal(t.remove(ip('10.0.0.0'), 8), false);
    assert.equal(t.lookup(ip('10.9.0.1'))?.prefixLen, 0);
    assert.equal(t.remove(0, 0), true);
    assert.equal(t.lookup(ip('10.9.0.1')), undefined);
    assert.equal(t.size, 2);
  });

  test('refusals: host bits, bad length, same prefix and metric', () => {
    const t = new Ipv4RouteTable();
    assert.equal(t.add({ dst: ip('10.0.0.1'), prefixLen: 24, ifindex: 1 }), 'invalid');
    assert.equal(t.add({ dst: 0, prefixLen: 33, ifindex: 1 }), 'invalid');
    assert.equal(t.add({ dst: ip('10.0.0.0'), prefixLen: 24, ifindex: 1 }), 'ok');
    assert.equal(t.add({ dst: ip('10.0.0.0'), prefixLen: 24, ifindex: 2 }), 'exists');
    assert.equal(t.add({ dst: ip('10.0.0.0'), prefixLen: 24, ifindex: 2, metric: 1 }), 'ok');
  });

  test('property: lookup equals a linear scan', () => {
    const route = fc.record({
      addr: fc.constantFrom(
        ip('10.0.0.0'),
        ip('10.1.2.3'),
        ip('192.168.0.0'),
        0,
        ip('255.255.255.255'),
        ip('10.1.0.0'),
      ),
      noise: fc.nat({ max: 0xffffffff }),
      noisy: fc.boolean(),
      prefixLen: fc.integer({ min: 0, max: 32 }),
      metric: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(route, { maxLength: 40 }),
        fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 30 }),
        (rs, probes) => {
          const t = new Ipv4RouteTable();
          const all: Ipv4Route[] = [];
          for (const r of rs) {
            const dst = ((r.noisy ? r.noise : r.addr) & ipv4Mask(r.prefixLen)) >>> 0;
            if (t.add({ dst, prefixLen: r.prefixLen, ifindex: 1, metric: r.metric }) === 'ok') {
              all.push(
                t.list().find((x) => x.dst === dst && x.prefixLen === r.prefixLen && x.metric === r.metric)!,
              );
            }
          }
          assert.equal(t.size, all.length);
          const targets = [...probes, ...rs.map((r) => (r.addr | (r.noise & 0xff)) >>> 0)];
          for (const p of targets) {
            let best: Ipv4Route | undefined;
            for (const r of all) {
              if ((p & ipv4Mask(r.prefixLen)) >>> 0 !== r.dst) continue;
              if (
                !best ||
                r.prefixLen > best.prefixLen ||
                (r.prefixLen === best.prefixLen && r.metric < best.metric)
              )
                best = r;
            }
            assert.equal(t.lookup(p), best);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('IPv6 routes', () => {
  test('longest prefix, metric, default, format', () => {
    const t = new Ipv6RouteTable();
    assert.equal(t.add({ dst: ip6('::'), prefixLen: 0, gateway: ip6('fe80::1'), ifindex: 1 }), 'ok');
    assert.equal(t.add({ dst: ip6('2001:db8::'), prefixLen: 32, ifindex: 2, metric: 256 }), 'ok');
    assert.equal(t.add({ dst: ip6('2001:db8:0:1::'), prefixLen: 64, ifindex: 1, mtu: 1280 }), 'ok');
    assert.equal(t.add({ dst: ip6('2001:db8:0:1::'), prefixLen: 63, ifindex: 1 }), 'invalid');
    assert.equal(t.add({ dst: ip6('2001:db8:0:1::'), prefixLen: 64, ifindex: 2 }), 'exists');
    assert.equal(t.lookup(ip6('2001:db8:0:1::5'))?.prefixLen, 64);
    assert.equal(t.lookup(ip6('2001:db8:0:2::5'))?.prefixLen, 32);
    assert.equal(t.lookup(ip6('2001:db9::5'))?.prefixLen, 0);
    const frame = new Uint8Array(40);
    frame.set(ip6('2001:db8:0:1::9'), 24);
    assert.equal(t.lookup(frame, 24)?.prefixLen, 64);
    assert.equal(
      t.format(names),
      [
        'default via fe80::1 dev eth0 metric 1024',
        '2001:db8::/32 dev eth1 metric 256',
        '2001:db8:0:1::/64 dev eth0 metric 1024 mtu 1280',
        '',
      ].join('\n'),
    );
    assert.equal(t.remove(ip6('2001:db8:0:1::'), 64), true);
    assert.equal(t.lookup(ip6('2001:db8:0:1::5'))?.prefixLen, 32);
    assert.equal(t.size, 2);
  });

  test('property: lookup equals a linear scan', () => {
    const bytes16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
    const base = ip6('2001:db8::');
    const route = fc.record({
      a: bytes16,
      near: fc.boolean(),
      prefixLen: fc.integer({ min: 0, max: 128 }),
      metric: fc.integer({ min: 0, max: 2 }),
    });
    const mask = (a: Uint8Array, bits: number): Uint8Array => {
      const o = new Uint8Array(16);
      for (let i = 0; i < 16; i++) {
        const keep = Math.min(8, Math.max(0, bits - 8 * i));
        o[i] = a[i]! & ((0xff << (8 - keep)) & 0xff);
      }
      return o;
    };
    fc.assert(
      fc.property(fc.array(route, { maxLength: 30 }), fc.array(bytes16, { maxLength: 20 }), (rs, probes) => {
        const t = new Ipv6RouteTable();
        const near = (a: Uint8Array, on: boolean): Uint8Array => {
          if (!on) return a;
          const o = base.slice();
          o.set(a.subarray(6), 6); // shares a /48
          return o;
        };
        for (const r of rs)
          t.add({
            dst: mask(near(r.a, r.near), r.prefixLen),
            prefixLen: r.prefixLen,
            ifindex: 1,
            metric: r.metric,
          });
        const all = t.list();
        for (const p of [
          ...probes,
          ...rs.map((r) => near(r.a, r.near)),
          ...probes.map((p) => near(p, true)),
        ]) {
          let best: Ipv6Route | undefined;
          for (const r of all) {
            if (!prefixEqual(r.dst, p, 0, r.prefixLen)) continue;
            if (
              !best ||
              r.prefixLen > best.prefixLen ||
              (r.prefixLen === best.prefixLen && r.metric < best.metric)
            )
              best = r;
          }
          assert.equal(t.lookup(p), best);
        }
      }),
      { numRuns: 500 },
    );
  });
});
