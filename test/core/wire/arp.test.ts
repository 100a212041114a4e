import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ARP_LEN, ArpOperation, ArpRepr, ArpView } from '../../../src/core/wire/arp.js';
import { DropReason } from '../../../src/core/wire/drop.js';
import { ETHERTYPE_ARP, EthernetRepr, EthernetView } from '../../../src/core/wire/ethernet.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// An ARP exchange captured with tcpdump on a veth pair between two network namespaces (A: 10.77.0.1,
// 02:00:00:00:77:01; B: 10.77.0.2, 02:00:00:00:77:02), started by the kernel of A before
//   ip netns exec A ping -c 1 10.77.0.2
// Frames are whole Ethernet frames; veth does not pad them to 60 bytes.
const KERNEL_REQUEST = hex(`
  ffffffffffff 020000007701 0806
  0001 0800 06 04 0001 020000007701 0a4d0001 000000000000 0a4d0002`);
const KERNEL_REPLY = hex(`
  020000007701 020000007702 0806
  0001 0800 06 04 0002 020000007702 0a4d0002 020000007701 0a4d0001`);
// The request `arping -c 1 -I veth 10.77.0.2` sends (target hardware address all ones).
const ARPING_REQUEST = hex(`
  ffffffffffff 020000007701 0806
  0001 0800 06 04 0001 020000007701 0a4d0001 ffffffffffff 0a4d0002`);

function parseFrame(frame: Uint8Array): ArpRepr {
  const ev = new EthernetView();
  assert.equal(ev.check(frame, 0, frame.length), DropReason.Ok);
  const er = new EthernetRepr();
  assert.equal(er.parse(ev), DropReason.Ok);
  assert.equal(er.ethertype, ETHERTYPE_ARP);
  const v = new ArpView();
  assert.equal(v.check(frame, ev.payloadOffset, ev.payloadLength), DropReason.Ok);
  const r = new ArpRepr();
  assert.equal(r.parse(v), DropReason.Ok);
  return r;
}

function snapshot(v: object): unknown[] {
  const d = Object.getOwnPropertyDescriptors(Object.getPrototypeOf(v));
  return Object.entries(d)
    .filter(([, x]) => x.get !== undefined)
    .map(([k]) => (v as Record<string, unknown>)[k]);
}

/** Same verdict and same reads whatever surrounds the packet: nothing outside it is read. */
function checkContained(bytes: Uint8Array, len: number): void {
  if (len > bytes.length) {
    assert.equal(new ArpView().check(bytes, 0, len), DropReason.Truncated);
    return;
  }
  const results = [0x00, 0xff].map((fill) => {
    const buf = new Uint8Array(bytes.length + 8).fill(fill);
    buf.set(bytes, 5);
    const v = new ArpView();
    const reason = v.check(buf, 5, len);
    if (reason !== DropReason.Ok) return { reason };
    assert.ok(v.targetHardwareOffset + 6 <= 5 + len && v.senderHardwareOffset >= 5);
    const r = new ArpRepr();
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
    op: fc.constantFrom(ArpOperation.Request, ArpOperation.Reply),
    sha: fc.uint8Array({ minLength: 6, maxLength: 6 }),
    spa: fc.integer({ min: 0, max: 0xffffffff }),
    tha: fc.uint8Array({ minLength: 6, maxLength: 6 }),
    tpa: fc.integer({ min: 0, max: 0xffffffff }),
  })
  .map((f) => {
    const r = new ArpRepr();
    r.operation = f.op;
    r.senderHardware.set(f.sha);
    r.senderProtocol = f.spa;
    r.targetHardware.set(f.tha);
    r.targetProtocol = f.tpa;
    return r;
  });

describe('arp', () => {
  test('golden: captured request and reply', () => {
    const q = parseFrame(KERNEL_REQUEST);
    assert.equal(q.operation, ArpOperation.Request);
    assert.deepEqual(q.senderHardware, hex('020000007701'));
    assert.equal(q.senderProtocol, 0x0a4d0001);
    assert.deepEqual(q.targetHardware, new Uint8Array(6));
    assert.equal(q.targetProtocol, 0x0a4d0002);

    const a = parseFrame(KERNEL_REPLY);
    assert.equal(a.operation, ArpOperation.Reply);
    assert.deepEqual(a.senderHardware, hex('020000007702'));
    assert.equal(a.senderProtocol, 0x0a4d0002);
    assert.deepEqual(a.targetHardware, hex('020000007701'));
    assert.equal(a.targetProtocol, 0x0a4d0001);

    const p = parseFrame(ARPING_REQUEST);
    assert.deepEqual(p.targetHardware, hex('ffffffffffff'));
  });

  test('golden: view accessors', () => {
    const v = new ArpView();
    assert.equal(v.check(KERNEL_REPLY, 14, 28), DropReason.Ok);
    assert.equal(v.hardwareType, 1);
    assert.equal(v.protocolType, 0x0800);
    assert.equal(v.hardwareLength, 6);
    assert.equal(v.protocolLength, 4);
    assert.equal(v.operation, 2);
    assert.equal(v.senderHardwareOffset, 22);
    assert.equal(v.senderProtocolAddress, 0x0a4d0002);
    assert.equal(v.targetHardwareOffset, 32);
    assert.equal(v.targetProtocolAddress, 0x0a4d0001);
  });

  test('golden: emit reproduces the captured bytes', () => {
    for (const frame of [KERNEL_REQUEST, KERNEL_REPLY, ARPING_REQUEST]) {
      const r = parseFrame(frame);
      const out = new Uint8Array(28);
      assert.equal(r.emit(out, 0), ARP_LEN);
      assert.equal(r.headerLen(), ARP_LEN);
      assert.deepEqual(out, frame.subarray(14));
    }
  });

  test('padded payload (46 bytes after Ethernet padding) is accepted', () => {
    const padded = new Uint8Array(60);
    padded.set(KERNEL_REQUEST);
    const r = parseFrame(padded);
    assert.equal(r.targetProtocol, 0x0a4d0002);
  });

  test('drop reasons for foreign hardware/protocol types, sizes and operations', () => {
    const cases: [number, number, DropReason][] = [
      [0, 0x01, DropReason.ArpBadHardware], // htype 0x0101
      [1, 0x06, DropReason.ArpBadHardware], // htype 6 (IEEE 802)
      [4, 0x08, DropReason.ArpBadHardware], // hlen 8
      [2, 0x86, DropReason.ArpBadProtocol], // ptype 0x8600
      [3, 0x06, DropReason.ArpBadProtocol], // ptype 0x0806
      [5, 0x10, DropReason.ArpBadProtocol], // plen 16
      [7, 0x03, DropReason.ArpBadOperation], // RARP request
      [7, 0x00, DropReason.ArpBadOperation],
      [6, 0x01, DropReason.ArpBadOperation], // op 0x0101
    ];
    for (const [at, value, want] of cases) {
      const b = KERNEL_REQUEST.slice(14);
      b[at] = value;
      const v = new ArpView();
      assert.equal(v.check(b, 0, b.length), DropReason.Ok);
      assert.equal(new ArpRepr().parse(v), want, `byte ${at} = ${value}`);
    }
    const v = new ArpView();
    assert.equal(v.check(KERNEL_REQUEST, 14, 27), DropReason.Truncated);
    assert.equal(v.check(KERNEL_REQUEST, 15, 28), DropReason.Truncated);
    assert.equal(v.check(KERNEL_REQUEST, -1, 28), DropReason.Truncated);
  });

  test('parse(emit(r)) == r', () => {
    fc.assert(
      fc.property(arbRepr, fc.nat(9), fc.nat(18), (r, off, pad) => {
        const buf = new Uint8Array(off + ARP_LEN + pad);
        assert.equal(r.emit(buf, off), ARP_LEN);
        const v = new ArpView();
        assert.equal(v.check(buf, off, ARP_LEN + pad), DropReason.Ok);
        const back = new ArpRepr();
        assert.equal(back.parse(v), DropReason.Ok);
        assert.ok(back.equals(r));
      }),
      { numRuns: 2000 },
    );
  });

  test('equals notices every field', () => {
    const a = new ArpRepr();
    const tweaks: ((r: ArpRepr) => void)[] = [
      (r) => {
        r.operation = ArpOperation.Reply;
      },
      (r) => {
        r.senderHardware[3] = 1;
      },
      (r) => {
        r.targetHardware[5] = 1;
      },
      (r) => {
        r.senderProtocol = 1;
      },
      (r) => {
        r.targetProtocol = 1;
      },
    ];
    for (const t of tweaks) {
      const b = new ArpRepr();
      assert.ok(a.equals(b));
      t(b);
      assert.ok(!a.equals(b) && !b.equals(a));
    }
  });

  test('random bytes never throw and never read outside the packet', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), fc.integer({ min: -2, max: 50 }), (bytes, len) => {
        // Make the well-formed prefix likely so parse gets past the type checks.
        if (bytes.length >= 8 && len & 1) bytes.set(hex('0001080006040001').subarray(0, len & 7));
        checkContained(bytes, len);
      }),
      { numRuns: 5000 },
    );
  });

  test('mutated and truncated captures never throw and never read outside the packet', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(KERNEL_REQUEST, KERNEL_REPLY, ARPING_REQUEST),
        fc.array(fc.tuple(fc.nat(27), fc.nat(255)), { maxLength: 3 }),
        fc.nat(30),
        (g, muts, cut) => {
          const b = g.slice(14);
          for (const [at, x] of muts) b[at] = x;
          checkContained(b, cut);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
