import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import {
  DEFAULT_NEIGHBOR_PARAMS,
  IPV4_ADDRESS_OPS,
  IPV6_ADDRESS_OPS,
  NeighborCache,
  type NeighborParams,
  NeighborState,
} from '../../../src/core/stack/neighbor.js';
import { type Instant, instant } from '../../../src/core/time/time.js';
import { parseIpv4, parseIpv6 } from '../../../src/core/wire/address.js';

const A = parseIpv4('10.0.0.2');
const B = parseIpv4('10.0.0.3');
const MAC1 = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const MAC2 = Uint8Array.from([2, 0, 0, 0, 0, 2]);
const T0 = instant(10_000_000);
const at = (us: number): Instant => instant(T0 + us);
const S = 1_000_000;

function cache(params: Partial<NeighborParams> = {}, seed = 1): NeighborCache<number, string> {
  return new NeighborCache<number, string>(
    IPV4_ADDRESS_OPS,
    new Xoshiro128(seed),
    { ...DEFAULT_NEIGHBOR_PARAMS, ...params },
    T0,
  );
}

const SOL = { solicited: true, override: false, router: false };
const UNSOL_O = { solicited: false, override: true, router: false };
const UNSOL = { solicited: false, override: false, router: false };

describe('neighbor cache (RFC 4861 §7.3)', () => {
  test('resolution: INCOMPLETE, 3 multicast solicitations 1 s apart, then FAILED with packets unreachable', () => {
    const c = cache({ unresQlen: 2 });
    assert.equal(c.lookup(A, T0, 'p1'), undefined);
    assert.deepEqual(c.drain(), [{ kind: 'solicit', target: A }]);
    assert.equal(c.state(A), NeighborState.Incomplete);
    assert.equal(c.pollAt(), at(S));
    assert.equal(c.lookup(A, at(10), 'p2'), undefined);
    assert.equal(c.lookup(A, at(20), 'p3'), undefined); // queue bound 2: p1 dropped
    assert.equal(c.stats.unresDiscards, 1);
    assert.deepEqual(c.drain(), []);
    c.poll(at(S - 1));
    assert.deepEqual(c.drain(), []);
    c.poll(at(S));
    assert.deepEqual(c.drain(), [{ kind: 'solicit', target: A }]);
    assert.equal(c.pollAt(), at(2 * S));
    c.poll(at(2 * S));
    assert.deepEqual(c.drain(), [{ kind: 'solicit', target: A }]);
    assert.equal(c.info(A)?.probes, 3);
    c.poll(at(3 * S));
    assert.deepEqual(c.drain(), [{ kind: 'unreachable', target: A, packets: ['p2', 'p3'] }]);
    assert.equal(c.state(A), undefined);
    assert.equal(c.stats.resFailed, 1);
    assert.equal(c.pollAt(), undefined);
  });

  test('solicited advertisement: INCOMPLETE -> REACHABLE, queue flushed; REACHABLE -> STALE after ReachableTime', () => {
    const c = cache();
    c.lookup(A, T0, 'p1');
    c.drain();
    c.onAdvertisement(A, MAC1, SOL, at(500));
    assert.deepEqual(c.drain(), [{ kind: 'flush', target: A, mac: MAC1, packets: ['p1'] }]);
    assert.equal(c.state(A), NeighborState.Reachable);
    const rt = c.reachableTimeUs(at(500));
    assert.ok(rt >= 15 * S && rt < 45 * S, `${rt}`);
    assert.equal(c.pollAt(), at(500 + rt));
    assert.deepEqual(c.lookup(A, at(600), 'p2'), MAC1);
    c.poll(at(500 + rt - 1));
    assert.equal(c.state(A), NeighborState.Reachable);
    c.poll(at(500 + rt));
    assert.equal(c.state(A), NeighborState.Stale);
    assert.equal(c.pollAt(), undefined);
    assert.deepEqual(c.drain(), []);
  });

  test('unsolicited advertisement resolves INCOMPLETE to STALE; none without a link address', () => {
    const c = cache();
    c.lookup(A, T0, 'p');
    c.drain();
    c.onAdvertisement(A, undefined, SOL, at(1));
    assert.equal(c.state(A), NeighborState.Incomplete);
    c.onAdvertisement(A, MAC1, UNSOL, at(2));
    assert.equal(c.state(A), NeighborState.Stale);
    assert.equal(c.drain()[0]?.kind, 'flush');
    // An advertisement for an address with no entry is ignored.
    c.onAdvertisement(B, MAC1, SOL, at(3));
    assert.equal(c.state(B), undefined);
  });

  test('STALE -> DELAY on use -> PROBE after 5 s -> unicast probes -> removed', () => {
    const c = cache();
    c.onSolicitation(A, MAC1, T0);
    assert.equal(c.state(A), NeighborState.Stale);
    assert.deepEqual(c.lookup(A, at(100), 'x'), MAC1);
    assert.equal(c.state(A), NeighborState.Delay);
    assert.equal(c.pollAt(), at(100 + 5 * S));
    c.poll(at(100 + 5 * S));
    assert.equal(c.state(A), NeighborState.Probe);
    assert.deepEqual(c.drain(), [{ kind: 'solicit', target: A, unicastTo: MAC1 }]);
    assert.deepEqual(c.lookup(A, at(100 + 5 * S + 1)), MAC1); // still usable while probing
    c.poll(at(100 + 6 * S));
    c.poll(at(100 + 7 * S));
    assert.equal(c.drain().length, 2);
    assert.equal(c.info(A)?.probes, 3);
    c.poll(at(100 + 8 * S));
    assert.equal(c.state(A), undefined);
    assert.deepEqual(c.drain(), []); // nothing was queued
  });

  test('DELAY -> REACHABLE on upper-layer confirmation; PROBE -> REACHABLE on solicited advertisement', () => {
    const c = cache();
    c.onSolicitation(A, MAC1, T0);
    c.lookup(A, at(1));
    c.confirm(A, at(2));
    assert.equal(c.state(A), NeighborState.Reachable);
    assert.equal(c.pollAt(), at(2 + c.reachableTimeUs(at(2))));
    c.onSolicitation(B, MAC2, T0);
    c.lookup(B, at(1));
    c.poll(at(1 + 5 * S));
    assert.equal(c.state(B), NeighborState.Probe);
    c.onAdvertisement(B, MAC2, SOL, at(1 + 5 * S + 7));
    assert.equal(c.state(B), NeighborState.Reachable);
    // Confirmation does nothing for unknown or INCOMPLETE entries.
    c.confirm(parseIpv4('10.0.0.99'), at(3));
    assert.equal(c.state(parseIpv4('10.0.0.99')), undefined);
  });

  test('§7.2.5 rules for an existing entry: Override, Solicited, different address', () => {
    const c = cache();
    c.lookup(A, T0);
    c.onAdvertisement(A, MAC1, SOL, at(1));
    // Different address without Override: REACHABLE -> STALE, address kept.
    c.onAdvertisement(A, MAC2, SOL, at(2));
    assert.equal(c.state(A), NeighborState.Stale);
    assert.deepEqual(c.info(A)?.mac, MAC1);
    // ... and in STALE it is ignored.
    c.onAdvertisement(A, MAC2, SOL, at(3));
    assert.equal(c.state(A), NeighborState.Stale);
    assert.deepEqual(c.info(A)?.mac, MAC1);
    // Same address, solicited: REACHABLE.
    c.onAdvertisement(A, MAC1, SOL, at(4));
    assert.equal(c.state(A), NeighborState.Reachable);
    // Unsolicited with Override and a new address: updated, STALE.
    c.onAdvertisement(A, MAC2, UNSOL_O, at(5));
    assert.equal(c.state(A), NeighborState.Stale);
    assert.deepEqual(c.info(A)?.mac, MAC2);
    // Unsolicited, same address: state unchanged; router flag recorded.
    c.onAdvertisement(A, MAC2, { solicited: false, override: false, router: true }, at(6));
    assert.equal(c.state(A), NeighborState.Stale);
    assert.equal(c.info(A)?.router, true);
    // Solicited with no link-layer option: REACHABLE.
    c.onAdvertisement(A, undefined, SOL, at(7));
    assert.equal(c.state(A), NeighborState.Reachable);
    // ARP reply with a new address overrides.
    c.onReply(A, MAC1, at(8));
    assert.equal(c.state(A), NeighborState.Reachable);
    assert.deepEqual(c.info(A)?.mac, MAC1);
    // An ARP request / NS with a different source address: updated to STALE.
    c.onSolicitation(A, MAC2, at(9));
    assert.equal(c.state(A), NeighborState.Stale);
    assert.equal(c.format(), '10.0.0.2 lladdr 02:00:00:00:00:02 STALE\n');
  });

  test('ReachableTime is drawn from the Rng in [0.5, 1.5) x 30 s and redrawn every 300 s', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      const c = cache({}, seed);
      const rt = c.reachableTimeUs(T0);
      assert.ok(rt >= 15 * S && rt < 45 * S);
      seen.add(rt);
      assert.equal(c.reachableTimeUs(at(300 * S - 1)), rt);
      const again = new NeighborCache(IPV4_ADDRESS_OPS, new Xoshiro128(seed), DEFAULT_NEIGHBOR_PARAMS, T0);
      assert.equal(again.reachableTimeUs(T0), rt); // same seed, same draw
    }
    assert.ok(seen.size > 40);
  });

  test('bounded table: the least recently updated STALE entry is evicted, else refused', () => {
    const c = cache({ maxEntries: 2 });
    c.onSolicitation(A, MAC1, at(1));
    c.onSolicitation(B, MAC2, at(2));
    const C = parseIpv4('10.0.0.4');
    c.lookup(C, at(3), 'q');
    assert.equal(c.state(A), undefined);
    assert.equal(c.state(B), NeighborState.Stale);
    assert.equal(c.stats.evictions, 1);
    c.confirm(B, at(4));
    assert.equal(c.lookup(A, at(5), 'r'), undefined);
    assert.equal(c.state(A), undefined);
    assert.equal(c.stats.tableFulls, 1);
    assert.equal(c.size, 2);
  });

  test('IPv6 keys: 16-byte addresses, copied, no aliasing with the caller buffer', () => {
    const c = new NeighborCache<Uint8Array, string>(IPV6_ADDRESS_OPS, new Xoshiro128(3));
    const a = new Uint8Array(16);
    parseIpv6('fe80::1', a);
    const b = new Uint8Array(16);
    parseIpv6('fe80::2', b);
    c.lookup(a, T0, 'p');
    assert.equal(c.drain().length, 1);
    const probe = new Uint8Array(16);
    parseIpv6('fe80::1', probe);
    c.onAdvertisement(probe, MAC1, { solicited: true, override: true, router: true }, at(1));
    probe.fill(0); // the cache kept its own copy
    assert.equal(c.state(a), NeighborState.Reachable);
    assert.equal(c.state(b), undefined);
    assert.equal(c.format(), 'fe80::1 lladdr 02:00:00:00:00:01 router REACHABLE\n');
  });

  test('property: random event streams keep the invariants', () => {
    const ev = fc.record({
      op: fc.integer({ min: 0, max: 6 }),
      addr: fc.integer({ min: 0, max: 5 }),
      mac: fc.integer({ min: 0, max: 2 }),
      s: fc.boolean(),
      o: fc.boolean(),
      dt: fc.integer({ min: 0, max: 8 * S }),
    });
    fc.assert(
      fc.property(
        fc.array(ev, { maxLength: 80 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (evs, maxEntries, qlen) => {
          const c = cache({ maxEntries, unresQlen: qlen });
          let now = T0 as number;
          let queued = 0;
          let out = 0;
          for (const e of evs) {
            now += e.dt;
            const t = instant(now);
            const addr = 0x0a000000 + e.addr;
            const mac = Uint8Array.from([2, 0, 0, 0, 0, e.mac]);
            switch (e.op) {
              case 0:
              case 1:
                if (c.lookup(addr, t, 'p') === undefined) queued++;
                break;
              case 2:
                c.onAdvertisement(
                  addr,
                  e.mac === 0 ? undefined : mac,
                  { solicited: e.s, override: e.o, router: false },
                  t,
                );
                break;
              case 3:
                c.onSolicitation(addr, mac, t);
                break;
              case 4:
                c.confirm(addr, t);
                break;
              default:
                c.poll(t);
            }
            const p = c.pollAt();
            if (p !== undefined) assert.ok(p > now || e.op !== 5, 'poll left a due deadline');
            assert.ok(c.size <= maxEntries);
            for (const n of c.list()) {
              assert.ok(n.queued <= qlen);
              if (n.state !== NeighborState.Incomplete) assert.equal(n.queued, 0);
              assert.equal(n.mac === undefined, n.state === NeighborState.Incomplete);
              assert.equal(n.deadline === undefined, n.state === NeighborState.Stale);
              if (n.deadline !== undefined) assert.ok(p !== undefined && p <= n.deadline);
            }
            for (const a of c.drain()) if (a.kind !== 'solicit') out += a.packets.length;
          }
          const held = c.list().reduce((s, n) => s + n.queued, 0);
          assert.ok(out + held + c.stats.unresDiscards <= queued);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
