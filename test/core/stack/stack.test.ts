import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PcapTap, pcapLinkType } from '../../../src/core/link/tap.js';
import { ByteCollector } from '../../../src/core/pcap/common.js';
import { PcapWriter } from '../../../src/core/pcap/pcap.js';
import { readCapture } from '../../../src/core/pcap/reader.js';
import { NeighborState } from '../../../src/core/stack/neighbor.js';
import type { EchoReply, Stack } from '../../../src/core/stack/stack.js';
import { DropReason } from '../../../src/core/wire/drop.js';
import { A4, A6, B4, B6, bytes, pair } from './stack-helpers.js';

interface Got {
  at: number;
  version: number;
  seq: number;
  data: Uint8Array;
}

function recordReplies(s: Stack): Got[] {
  const got: Got[] = [];
  s.onEchoReply = (r: EchoReply, now: number) =>
    got.push({ at: now, version: r.version, seq: r.sequence, data: r.buf.slice(r.off, r.off + r.len) });
  return got;
}

describe('Stack: ping over Ethernet', () => {
  it('IPv4: ARP first, then echo request and reply at exact virtual times', () => {
    const { a, b, sim, ia, ib } = pair('ethernet');
    const got = recordReplies(a);
    const data = bytes(56);
    assert.equal(a.ping(B4, 7, 1, data, sim.now()), 0);
    assert.equal(a.counters.link.OutArp, 1);
    sim.runUntil(() => got.length > 0);
    // ARP request 0 -> 100, reply 100 -> 200 flushes the request, echo 200 -> 300, reply 300 -> 400.
    assert.equal(got[0]!.at, 400);
    assert.deepEqual(got[0]!.data, data);
    assert.equal(got[0]!.seq, 1);
    assert.equal(ia.neigh4!.state(B4), NeighborState.Reachable);
    assert.equal(ib.neigh4!.state(A4), NeighborState.Delay);
    assert.equal(b.counters.icmp.InEchos, 1);
    assert.equal(b.counters.icmp.OutEchoReps, 1);
    // Upper-layer confirmation keeps the entry REACHABLE without probing.
    b.confirmReachable(A4, sim.now());
    assert.equal(ib.neigh4!.state(A4), NeighborState.Reachable);
    // A second ping needs no resolution: one round trip.
    assert.equal(a.ping(B4, 7, 2, data, sim.now()), 0);
    sim.runUntil(() => got.length > 1);
    assert.equal(got[1]!.at, 600);
    assert.equal(a.counters.drops.total, 0);
    assert.equal(b.counters.drops.total, 0);
  });

  it('IPv6: neighbor solicitation first, then echo at exact virtual times', () => {
    const { a, b, sim, ia, ib } = pair('ethernet');
    const got = recordReplies(a);
    const data = bytes(100, 3);
    assert.equal(a.ping(B6, 9, 1, data, sim.now()), 0);
    assert.equal(a.counters.icmp6.OutNeighborSolicits, 1);
    sim.runUntil(() => got.length > 0);
    assert.equal(got[0]!.at, 400);
    assert.equal(got[0]!.version, 6);
    assert.deepEqual(got[0]!.data, data);
    assert.equal(ia.neigh6!.state(B6), NeighborState.Reachable);
    assert.notEqual(ib.neigh6!.state(A6), undefined);
    assert.equal(b.counters.icmp6.InNeighborSolicits, 1);
    assert.equal(b.counters.icmp6.OutNeighborAdvertisements, 1);
    assert.equal(a.counters.drops.total, 0);
    assert.equal(b.counters.drops.total, 0);
  });

  it('IPv6 link-local addresses are configured from the MAC and answer pings', () => {
    const { a, ib, sim } = pair('ethernet');
    const ll = ib.v6.find((x) => x.linkLocal)!.addr;
    assert.equal(Buffer.from(ll).toString('hex'), 'fe80000000000000000000fffe00000b');
    assert.equal(ll[8], 0x00); // 0x02 with the U/L bit flipped
    assert.equal(ll[11], 0xff);
    assert.equal(ll[12], 0xfe);
    const got = recordReplies(a);
    assert.equal(a.ping(ll, 1, 1, bytes(8), sim.now()), 0);
    sim.runUntil(() => got.length > 0);
    assert.equal(got[0]!.at, 400);
  });

  it('unresolvable next hop: three solicitations, then the entry fails', () => {
    const { a, ia, sim } = pair('ethernet');
    const ghost = (10 << 24) | 99;
    assert.equal(a.ping(ghost, 1, 1, bytes(8), sim.now()), 0);
    sim.runFor(5_000_000);
    assert.equal(a.counters.link.OutArp, 3);
    assert.equal(ia.neigh4!.state(ghost), undefined);
    assert.equal(a.counters.link.OutNeighborFailed, 1);
  });
});

describe('Stack: point-to-point (ip) link', () => {
  it('pings both families in one round trip, no resolution', () => {
    const { a, sim } = pair('ip');
    const got = recordReplies(a);
    assert.equal(a.ping(B4, 1, 1, bytes(32), sim.now()), 0);
    assert.equal(a.ping(B6, 1, 2, bytes(32), sim.now()), 0);
    sim.runUntil(() => got.length === 2);
    assert.deepEqual(
      got.map((g) => [g.at, g.version]),
      [
        [200, 4],
        [200, 6],
      ],
    );
  });

  it('pings its own addresses through the loopback', () => {
    const { a, sim } = pair('ip');
    const got = recordReplies(a);
    assert.equal(a.ping(A4, 1, 1, bytes(8), sim.now()), 0);
    assert.equal(a.ping(0x7f000001, 1, 2, bytes(8), sim.now()), 0);
    assert.equal(a.ping(A6, 1, 3, bytes(8), sim.now()), 0);
    sim.runUntil(() => got.length === 3);
    assert.deepEqual(
      got.map((g) => g.seq),
      [1, 2, 3],
    );
    assert.equal(got[2]!.at, 0);
  });

  it('no route: ENETUNREACH', () => {
    const { a, sim } = pair('ip');
    assert.equal(a.ping((192 << 24) | 1, 1, 1, bytes(8), sim.now()), 101);
    assert.equal(a.counters.ip.OutNoRoutes, 1);
  });

  it('a large ping is fragmented and reassembled both ways (v4 and v6)', () => {
    const { a, b, sim } = pair('ip');
    const got = recordReplies(a);
    const big = bytes(5000, 9);
    assert.equal(a.ping(B4, 1, 1, big, sim.now()), 0);
    assert.equal(a.ping(B6, 1, 2, big, sim.now()), 0);
    sim.runUntil(() => got.length === 2);
    assert.deepEqual(got[0]!.data, big);
    assert.deepEqual(got[1]!.data, big);
    assert.equal(a.counters.ip.FragCreates, 4);
    assert.equal(b.counters.ip.ReasmOKs, 1);
    assert.equal(b.counters.ip6.ReasmOKs, 1);
    assert.equal(a.counters.ip6.ReasmOKs, 1);
  });
});

describe('Stack: pcap of a run', () => {
  it('records the ARP exchange and the ping, readable by our reader', () => {
    const out = new ByteCollector();
    let writer: PcapWriter | undefined;
    const { a, sim } = pair('ethernet', {}, (l, side) => {
      if (side === 'b') return l;
      writer = new PcapWriter(out.sink, { linkType: pcapLinkType(l.caps) });
      return new PcapTap(l, writer);
    });
    const got = recordReplies(a);
    a.ping(B4, 1, 1, bytes(16), sim.now());
    sim.runUntil(() => got.length > 0);
    const cap = readCapture(out.bytes());
    assert.equal(cap.error, DropReason.Ok);
    assert.equal(cap.records.length, 4);
    assert.deepEqual(
      cap.records.map((r) => r.instant()),
      [0, 200, 200, 400],
    );
    // ARP request (broadcast), ARP reply, echo request, echo reply.
    const types = cap.records.map((r) => (r.data[12]! << 8) | r.data[13]!);
    assert.deepEqual(types, [0x0806, 0x0806, 0x0800, 0x0800]);
    assert.equal(cap.records[0]!.data.length, 60);
  });
});
