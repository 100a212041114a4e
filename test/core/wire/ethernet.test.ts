import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DropReason } from '../../../src/core/wire/drop.js';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  EthernetRepr,
  EthernetView,
  isBroadcastMac,
  isMulticastMac,
} from '../../../src/core/wire/ethernet.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// ARP request captured with tcpdump on a veth pair between two network namespaces:
//   ip netns exec A arping -c 1 -I veth 10.77.0.2   (veth MACs 02:00:00:00:77:01 / :02; veth does not pad)
const ARP_BROADCAST = hex(`
  ffffffffffff 020000007701 0806
  0001 0800 06 04 0001 020000007701 0a4d0001 ffffffffffff 0a4d0002`);

// Tagged frames: built by hand, sent with an AF_PACKET socket through the same veth pair and captured
// with tcpdump on the peer, which decoded them as "vlan 10, p 5, ethertype ARP" and
// "802.1Q-QinQ vlan 100, p 3, DEI, ethertype 802.1Q, vlan 10, p 0, ethertype ARP".
// (This kernel has no 8021q module, so no VLAN device could send them itself.)
const VLAN_ARP = hex(`
  020000007702 020000007701 8100 a00a 0806
  0001080006040001020000007701 0a4e0001 000000000000 0a4e0002
  000000000000000000000000000000000000`);
const QINQ_ARP = hex(`
  020000007702 020000007701 88a8 7064 8100 000a 0806
  0001080006040001020000007701 0a4e0001 000000000000 0a4e0002
  000000000000000000000000000000000000`);

/** Every getter of a view, to compare two reads of the same frame. */
function snapshot(v: object): unknown[] {
  const d = Object.getOwnPropertyDescriptors(Object.getPrototypeOf(v));
  return Object.entries(d)
    .filter(([, x]) => x.get !== undefined)
    .map(([k]) => (v as Record<string, unknown>)[k]);
}

/**
 * Checks `bytes` at offset 3 inside two buffers whose bytes around it differ (0x00 vs 0xff): the
 * verdict, every accessor and the parsed repr must not depend on them, so nothing is read out of bounds.
 */
function checkContained(bytes: Uint8Array, len: number): void {
  if (len > bytes.length) {
    assert.equal(new EthernetView().check(bytes, 0, len), DropReason.Truncated);
    return;
  }
  const results = [0x00, 0xff].map((fill) => {
    const buf = new Uint8Array(bytes.length + 8).fill(fill);
    buf.set(bytes, 3);
    const v = new EthernetView();
    const reason = v.check(buf, 3, len);
    if (reason !== DropReason.Ok) return { reason };
    assert.ok(v.payloadOffset >= 3 + 14 && v.payloadOffset + v.payloadLength === 3 + len);
    const r = new EthernetRepr();
    const pr = r.parse(v);
    return { reason, view: snapshot(v), pr, repr: pr === DropReason.Ok ? r : undefined };
  });
  assert.equal(results[0]!.reason, results[1]!.reason);
  assert.deepEqual(results[0]!.view, results[1]!.view);
  assert.equal(results[0]!.pr, results[1]!.pr);
  if (results[0]!.repr) assert.ok(results[0]!.repr.equals(results[1]!.repr!));
}

const arbRepr = fc
  .record({
    dst: fc.uint8Array({ minLength: 6, maxLength: 6 }),
    src: fc.uint8Array({ minLength: 6, maxLength: 6 }),
    ethertype: fc
      .integer({ min: 0x0600, max: 0xffff })
      .filter((t) => t !== ETHERTYPE_VLAN && t !== ETHERTYPE_QINQ),
    vlan: fc.option(fc.tuple(fc.nat(7), fc.boolean(), fc.nat(4095))),
    outer: fc.option(fc.tuple(fc.nat(7), fc.boolean(), fc.nat(4095))),
  })
  .map((f) => {
    const r = new EthernetRepr();
    r.dst.set(f.dst);
    r.src.set(f.src);
    r.ethertype = f.ethertype;
    if (f.vlan) [r.vlan.pcp, r.vlan.dei, r.vlan.vid, r.vlan.present] = [...f.vlan, true];
    if (f.outer)
      [r.outerVlan.pcp, r.outerVlan.dei, r.outerVlan.vid, r.outerVlan.present] = [...f.outer, true];
    return r;
  });

describe('ethernet', () => {
  test('golden: captured untagged ARP broadcast', () => {
    const v = new EthernetView();
    assert.equal(v.check(ARP_BROADCAST, 0, ARP_BROADCAST.length), DropReason.Ok);
    assert.equal(v.ethertype, ETHERTYPE_ARP);
    assert.equal(v.dstOffset, 0);
    assert.equal(v.srcOffset, 6);
    assert.equal(v.hasVlan, false);
    assert.equal(v.hasOuterVlan, false);
    assert.equal(v.headerLength, 14);
    assert.equal(v.payloadOffset, 14);
    assert.equal(v.payloadLength, 28);
    const r = new EthernetRepr();
    assert.equal(r.parse(v), DropReason.Ok);
    assert.deepEqual(r.dst, hex('ffffffffffff'));
    assert.deepEqual(r.src, hex('020000007701'));
    assert.ok(isBroadcastMac(r.dst) && isMulticastMac(r.dst));
    assert.ok(!isBroadcastMac(r.src) && !isMulticastMac(r.src));
    assert.equal(r.headerLen(), 14);
    const out = new Uint8Array(14);
    assert.equal(r.emit(out, 0), 14);
    assert.deepEqual(out, ARP_BROADCAST.subarray(0, 14));
  });

  test('golden: 802.1Q tag (PCP 5, VID 10)', () => {
    const v = new EthernetView();
    assert.equal(v.check(VLAN_ARP, 0, VLAN_ARP.length), DropReason.Ok);
    assert.equal(v.hasVlan, true);
    assert.equal(v.hasOuterVlan, false);
    assert.equal(v.tci, 0xa00a);
    assert.equal(v.pcp, 5);
    assert.equal(v.dei, false);
    assert.equal(v.vid, 10);
    assert.equal(v.ethertype, ETHERTYPE_ARP);
    assert.equal(v.payloadOffset, 18);
    assert.equal(v.payloadLength, 46);
    const r = new EthernetRepr();
    assert.equal(r.parse(v), DropReason.Ok);
    assert.deepEqual({ ...r.vlan }, { present: true, pcp: 5, dei: false, vid: 10 });
    assert.equal(r.outerVlan.present, false);
    assert.equal(r.headerLen(), 18);
    const out = new Uint8Array(18);
    assert.equal(r.emit(out, 0), 18);
    assert.deepEqual(out, VLAN_ARP.subarray(0, 18));
  });

  test('golden: 802.1ad S-tag (PCP 3, DEI, VID 100) over C-tag VID 10', () => {
    const v = new EthernetView();
    assert.equal(v.check(QINQ_ARP, 0, QINQ_ARP.length), DropReason.Ok);
    assert.equal(v.hasOuterVlan, true);
    assert.equal(v.outerTci, 0x7064);
    assert.equal(v.vid, 10);
    assert.equal(v.pcp, 0);
    assert.equal(v.ethertype, ETHERTYPE_ARP);
    assert.equal(v.headerLength, 22);
    assert.equal(v.payloadOffset, 22);
    const r = new EthernetRepr();
    assert.equal(r.parse(v), DropReason.Ok);
    assert.deepEqual({ ...r.outerVlan }, { present: true, pcp: 3, dei: true, vid: 100 });
    assert.deepEqual({ ...r.vlan }, { present: true, pcp: 0, dei: false, vid: 10 });
    const out = new Uint8Array(22);
    assert.equal(r.emit(out, 0), 22);
    assert.deepEqual(out, QINQ_ARP.subarray(0, 22));
  });

  test('hand-built: S-tag alone, and pre-802.1ad 0x8100/0x8100 stacking', () => {
    const sOnly = hex('020000007702 020000007701 88a8 2005 86dd 6000');
    const v = new EthernetView();
    const r = new EthernetRepr();
    assert.equal(v.check(sOnly, 0, sOnly.length), DropReason.Ok);
    assert.equal(r.parse(v), DropReason.Ok);
    assert.equal(r.ethertype, ETHERTYPE_IPV6);
    assert.deepEqual({ ...r.outerVlan }, { present: true, pcp: 1, dei: false, vid: 5 });
    assert.equal(r.vlan.present, false);
    assert.equal(v.payloadOffset, 18);

    const legacy = hex('020000007702 020000007701 8100 0064 8100 000a 0800 4500');
    assert.equal(v.check(legacy, 0, legacy.length), DropReason.Ok);
    assert.equal(r.parse(v), DropReason.Ok);
    assert.equal(r.ethertype, ETHERTYPE_IPV4);
    assert.equal(r.outerVlan.vid, 100);
    assert.equal(r.vlan.vid, 10);
    assert.equal(v.payloadOffset, 22);
    assert.equal(v.payloadLength, 2);
  });

  test('drops: short frames, truncated tags, 802.3 lengths, a third tag', () => {
    const v = new EthernetView();
    const r = new EthernetRepr();
    assert.equal(v.check(ARP_BROADCAST, 0, 13), DropReason.EthernetTooShort);
    assert.equal(v.check(ARP_BROADCAST, 0, 0), DropReason.EthernetTooShort);
    assert.equal(v.check(ARP_BROADCAST, 0, ARP_BROADCAST.length + 1), DropReason.Truncated);
    assert.equal(v.check(ARP_BROADCAST, -1, 14), DropReason.Truncated);
    assert.equal(v.check(ARP_BROADCAST, 40, 14), DropReason.Truncated);
    assert.equal(v.check(VLAN_ARP, 0, 17), DropReason.VlanTruncated);
    assert.equal(v.check(VLAN_ARP, 0, 18), DropReason.Ok);
    assert.equal(v.payloadLength, 0);
    assert.equal(v.check(QINQ_ARP, 0, 21), DropReason.VlanTruncated);
    assert.equal(v.check(QINQ_ARP, 0, 17), DropReason.VlanTruncated);

    const llc = hex('0180c2000000 020000007701 0026 424203');
    assert.equal(v.check(llc, 0, llc.length), DropReason.Ok);
    assert.equal(v.ethertype, 0x26);
    assert.equal(r.parse(v), DropReason.Unsupported);

    const threeTags = hex('020000007702 020000007701 88a8 0001 8100 0002 8100 0003 0800');
    assert.equal(v.check(threeTags, 0, threeTags.length), DropReason.Ok);
    assert.equal(r.parse(v), DropReason.Unsupported);
  });

  test('emit at an offset returns the header length and touches nothing else', () => {
    const r = new EthernetRepr();
    r.dst.set(hex('020000007702'));
    r.src.set(hex('020000007701'));
    r.ethertype = ETHERTYPE_IPV4;
    r.vlan.present = true;
    r.vlan.vid = 4095;
    r.vlan.pcp = 7;
    r.vlan.dei = true;
    const buf = new Uint8Array(30).fill(0xcc);
    assert.equal(r.emit(buf, 5), 18);
    assert.deepEqual(buf.subarray(5, 23), hex('020000007702 020000007701 8100 ffff 0800'));
    assert.ok(buf.subarray(0, 5).every((x) => x === 0xcc) && buf.subarray(23).every((x) => x === 0xcc));
  });

  test('parse(emit(r)) == r', () => {
    fc.assert(
      fc.property(arbRepr, fc.nat(64), fc.nat(7), (r, payload, off) => {
        const buf = new Uint8Array(off + r.headerLen() + payload);
        assert.equal(r.emit(buf, off), r.headerLen());
        const v = new EthernetView();
        assert.equal(v.check(buf, off, buf.length - off), DropReason.Ok);
        assert.equal(v.payloadOffset, off + r.headerLen());
        assert.equal(v.payloadLength, payload);
        const back = new EthernetRepr();
        assert.equal(back.parse(v), DropReason.Ok);
        assert.ok(back.equals(r));
        assert.ok(r.equals(back));
      }),
      { numRuns: 2000 },
    );
  });

  test('equals notices every field', () => {
    const a = new EthernetRepr();
    const b = new EthernetRepr();
    assert.ok(a.equals(b));
    b.dst[5] = 1;
    assert.ok(!a.equals(b));
    b.dst[5] = 0;
    b.src[0] = 1;
    assert.ok(!a.equals(b));
    b.src[0] = 0;
    b.ethertype = 1;
    assert.ok(!a.equals(b));
    b.ethertype = 0;
    b.vlan.present = true;
    assert.ok(!a.equals(b));
    a.vlan.present = true;
    b.vlan.vid = 3;
    assert.ok(!a.equals(b));
    b.vlan.vid = 0;
    b.outerVlan.present = true;
    assert.ok(!a.equals(b));
  });

  test('random bytes never throw and never read outside the frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: -2, max: 44 }), (bytes, len) => {
        checkContained(bytes, len);
      }),
      { numRuns: 5000 },
    );
  });

  test('mutated and truncated golden frames never throw and never read outside the frame', () => {
    const goldens = [ARP_BROADCAST, VLAN_ARP, QINQ_ARP];
    fc.assert(
      fc.property(
        fc.constantFrom(...goldens),
        fc.array(fc.tuple(fc.nat(25), fc.nat(255)), { maxLength: 4 }),
        fc.nat(70),
        (g, muts, cut) => {
          const b = g.slice();
          for (const [at, x] of muts) b[at % b.length] = x;
          // Bias mutations toward the tag/type area where the interesting branches are.
          if (muts.length > 0) b[12 + (muts[0]![0] % 10)] = [0x81, 0x88, 0x00, 0xa8][muts[0]![1] & 3]!;
          checkContained(b, cut);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
