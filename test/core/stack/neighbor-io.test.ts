/** ARP and NDP as a stack answers them on an Ethernet link (frames hand-built). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCable } from '../../../src/core/link/cable.js';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { solicitedNode } from '../../../src/core/stack/iface.js';
import { NeighborState } from '../../../src/core/stack/neighbor.js';
import { Stack } from '../../../src/core/stack/stack.js';
import type { Instant } from '../../../src/core/time/time.js';
import { ArpOperation, ArpRepr, ArpView } from '../../../src/core/wire/arp.js';
import { DropReason } from '../../../src/core/wire/drop.js';
import { fillIcmpv6Checksum, Icmpv6Type, Icmpv6View } from '../../../src/core/wire/icmpv6.js';
import { Ipv6Repr } from '../../../src/core/wire/ipv6.js';
import { NdpOptionType, NdpRepr } from '../../../src/core/wire/ndp.js';
import { checksumAddresses6 } from '../../../src/core/wire/pseudo.js';
import { A4, A6, ip4, MAC_A } from './stack-helpers.js';

const PEER_MAC = new Uint8Array([0x02, 0, 0, 0, 0, 0x99]);
const T = 0 as Instant;

function setup() {
  const cable = new MemoryCable({ medium: 'ethernet', checksumOffload: false });
  const s = new Stack({ rng: new Xoshiro128(8) });
  const f = s.addInterface(cable.a, { mac: MAC_A });
  s.addAddress(f.index, A4, 24);
  s.addAddress(f.index, A6, 64);
  const send = (dstMac: Uint8Array, type: number, payload: Uint8Array) => {
    const fr = new Uint8Array(14 + payload.length);
    fr.set(dstMac, 0);
    fr.set(PEER_MAC, 6);
    fr[12] = type >> 8;
    fr[13] = type & 0xff;
    fr.set(payload, 14);
    assert.ok(cable.b.transmit(fr, 0, fr.length, T));
    s.poll(T);
  };
  const sent = (): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let x = cable.b.receive(T); x !== undefined; x = cable.b.receive(T)) {
      out.push(x.buf.slice(x.off, x.off + x.len));
    }
    return out;
  };
  return { s, f, send, sent };
}

function arp(op: ArpOperation, spa: number, tpa: number): Uint8Array {
  const r = new ArpRepr();
  r.operation = op;
  r.senderHardware.set(PEER_MAC);
  r.senderProtocol = spa;
  r.targetProtocol = tpa;
  const b = new Uint8Array(28);
  r.emit(b, 0);
  return b;
}

function ns(src: Uint8Array, dst: Uint8Array, target: Uint8Array, hopLimit: number, slla: boolean): Uint8Array {
  const n = new NdpRepr().reset(Icmpv6Type.NeighborSolicit);
  n.target.set(target);
  if (slla) n.addLinkAddr(NdpOptionType.SourceLinkAddr, PEER_MAC);
  const len = n.headerLen();
  const ip = new Ipv6Repr();
  ip.src.set(src);
  ip.dst.set(dst);
  ip.nextHeader = 58;
  ip.hopLimit = hopLimit;
  ip.payloadLen = len;
  const b = new Uint8Array(40 + len);
  ip.emit(b, 0);
  n.emit(b, 40);
  fillIcmpv6Checksum(b, 40, len, checksumAddresses6(b, 0));
  return b;
}

const BCAST = new Uint8Array(6).fill(0xff);
const PEER4 = ip4('10.0.0.9');
const PEER6 = new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99]);

describe('ARP on a stack', () => {
  it('answers a request for its address and learns the sender (STALE)', () => {
    const { f, send, sent } = setup();
    send(BCAST, 0x0806, arp(ArpOperation.Request, PEER4, A4));
    const out = sent();
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]!.subarray(0, 6), PEER_MAC);
    const v = new ArpView();
    assert.equal(v.check(out[0]!, 14, 28), DropReason.Ok);
    const r = new ArpRepr();
    assert.equal(r.parse(v), DropReason.Ok);
    assert.equal(r.operation, ArpOperation.Reply);
    assert.equal(r.senderProtocol, A4);
    assert.deepEqual(r.senderHardware, MAC_A);
    assert.equal(r.targetProtocol, PEER4);
    assert.equal(f.neigh4!.state(PEER4), NeighborState.Stale);
  });

  it('ignores requests for other addresses and does not learn from them', () => {
    const { f, send, sent } = setup();
    send(BCAST, 0x0806, arp(ArpOperation.Request, PEER4, ip4('10.0.0.50')));
    assert.equal(sent().length, 0);
    assert.equal(f.neigh4!.state(PEER4), undefined);
  });

  it('refuses a sender claiming our own address', () => {
    const { s, send, sent } = setup();
    send(BCAST, 0x0806, arp(ArpOperation.Request, A4, A4));
    assert.equal(sent().length, 0);
    assert.equal(s.counters.drops.get(DropReason.BadAddress), 1);
  });
});

describe('NDP on a stack', () => {
  it('answers a solicitation with a solicited, override advertisement and learns the SLLA', () => {
    const { f, send, sent } = setup();
    const dst = new Uint8Array(16);
    solicitedNode(A6, dst);
    send(new Uint8Array([0x33, 0x33, 0xff, 0, 0, 0x0a]), 0x86dd, ns(PEER6, dst, A6, 255, true));
    const out = sent();
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]!.subarray(0, 6), PEER_MAC);
    const v = new Icmpv6View();
    assert.equal(v.check(out[0]!, 54, out[0]!.length - 54), DropReason.Ok);
    const n = new NdpRepr();
    assert.equal(n.parse(v), DropReason.Ok);
    assert.equal(n.type, Icmpv6Type.NeighborAdvert);
    assert.equal(n.solicited, true);
    assert.equal(n.override, true);
    assert.deepEqual(n.target, A6);
    assert.deepEqual(n.findOption(NdpOptionType.TargetLinkAddr)!.linkAddr, MAC_A);
    assert.equal(out[0]![14 + 7], 255);
    assert.equal(f.neigh6!.state(PEER6), NeighborState.Stale);
  });

  it('answers duplicate address detection to all-nodes, not solicited', () => {
    const { send, sent } = setup();
    const dst = new Uint8Array(16);
    solicitedNode(A6, dst);
    send(new Uint8Array([0x33, 0x33, 0xff, 0, 0, 0x0a]), 0x86dd, ns(new Uint8Array(16), dst, A6, 255, false));
    const out = sent();
    assert.equal(out.length, 1);
    assert.deepEqual(out[0]!.subarray(0, 6), new Uint8Array([0x33, 0x33, 0, 0, 0, 1]));
    const v = new Icmpv6View();
    v.check(out[0]!, 54, out[0]!.length - 54);
    const n = new NdpRepr();
    assert.equal(n.parse(v), DropReason.Ok);
    assert.equal(n.solicited, false);
  });

  it('drops a solicitation whose hop limit is not 255 (RFC 4861 §7.1.1)', () => {
    const { s, send, sent } = setup();
    const dst = new Uint8Array(16);
    solicitedNode(A6, dst);
    send(new Uint8Array([0x33, 0x33, 0xff, 0, 0, 0x0a]), 0x86dd, ns(PEER6, dst, A6, 64, true));
    assert.equal(sent().length, 0);
    assert.equal(s.counters.drops.get(DropReason.NdpBadHopLimit), 1);
  });

  it('ignores frames for another MAC and multicast groups it has not joined', () => {
    const { s, send, sent } = setup();
    send(PEER_MAC, 0x0806, arp(ArpOperation.Request, PEER4, A4));
    const other = new Uint8Array(16);
    solicitedNode(PEER6, other);
    send(new Uint8Array([0x33, 0x33, 0xff, 0, 0, 0x99]), 0x86dd, ns(PEER6, other, PEER6, 255, true));
    assert.equal(sent().length, 0);
    assert.equal(s.counters.link.InOtherHost, 1);
    assert.equal(s.counters.ip6.InAddrErrors, 1);
  });
});
