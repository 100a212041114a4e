import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  Ipv4Reassembler,
  Ipv6Reassembler,
  ipv4ReassemblyLimits,
  ipv6ReassemblyLimits,
  ReasmOutcome,
  type ReassemblyLimits,
} from '../../../src/core/stack/reassembly.js';
import { Sysctls } from '../../../src/core/stack/sysctl.js';
import { type Instant, instant, seconds } from '../../../src/core/time/time.js';
import { Ipv4Repr, Ipv4View, verifyIpv4Checksum } from '../../../src/core/wire/ipv4.js';
import { Ipv6ExtWalker, Ipv6FragmentRepr, Ipv6Repr, Ipv6View } from '../../../src/core/wire/ipv6.js';

const T0 = instant(1_000_000);
const LIMITS: ReassemblyLimits = { highThreshBytes: 4194304, timeoutUs: seconds(30), maxDatagrams: 64 };

function payload(n: number, seed = 1): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 7 + seed * 13 + (i >>> 8)) & 0xff;
  return p;
}

// Hand-built fragments, emitted with the wire module's own reprs.
function frag4(
  id: number,
  off: number,
  more: boolean,
  data: Uint8Array,
  src = 0x0a000001,
  options = 0,
): Uint8Array {
  const r = new Ipv4Repr();
  r.identification = id;
  r.fragmentOffset = off;
  r.moreFragments = more;
  r.protocol = 17;
  r.src = src;
  r.dst = 0x0a000002;
  r.ttl = 9;
  for (let i = 0; i < options; i++) r.options[i] = 1; // NOPs
  r.optionsLen = options;
  r.payloadLen = data.length;
  const b = new Uint8Array(r.headerLen() + data.length);
  const h = r.emit(b, 0);
  b.set(data, h);
  return b;
}

class V4 {
  readonly r: Ipv4Reassembler;
  private readonly view = new Ipv4View();
  private readonly repr = new Ipv4Repr();
  constructor(limits = LIMITS) {
    this.r = new Ipv4Reassembler(limits);
  }
  push(pkt: Uint8Array, now: Instant = T0): ReasmOutcome {
    assert.equal(this.view.check(pkt, 0, pkt.length), 0);
    assert.equal(this.repr.parse(this.view), 0);
    return this.r.push(this.view, this.repr, now);
  }
  /** The reassembled datagram's payload, after checking its header. */
  result(): { payload: Uint8Array; header: Ipv4Repr } {
    const o = this.r.out;
    const v = new Ipv4View();
    assert.equal(v.check(o.buf, o.off, o.len), 0);
    assert.ok(verifyIpv4Checksum(o.buf, o.off, v.headerLength));
    const h = new Ipv4Repr();
    assert.equal(h.parse(v), 0);
    assert.equal(h.isFragment, false);
    return { payload: o.buf.slice(v.payloadOffset, v.payloadOffset + v.payloadLength), header: h };
  }
}

const SRC6 = Uint8Array.from([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
const DST6 = Uint8Array.from([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);

/** IPv6 fragment: fixed header [+ 8-byte Destination Options] + Fragment header + data. */
function frag6(
  id: number,
  off: number,
  more: boolean,
  data: Uint8Array,
  destOpts = false,
  srcLast = 1,
): Uint8Array {
  const ip = new Ipv6Repr();
  ip.src.set(SRC6);
  ip.src[15] = srcLast;
  ip.dst.set(DST6);
  ip.nextHeader = destOpts ? 60 : 44;
  const ext = destOpts ? 8 : 0;
  ip.payloadLen = ext + 8 + data.length;
  const b = new Uint8Array(40 + ip.payloadLen);
  ip.emit(b, 0);
  if (destOpts) {
    b[40] = 44; // next: Fragment; length 0 => 8 bytes; PadN option fills the rest
    b[41] = 0;
    b[42] = 1;
    b[43] = 4;
  }
  const f = new Ipv6FragmentRepr();
  f.nextHeader = 17;
  f.fragmentOffset = off;
  f.moreFragments = more;
  f.identification = id;
  f.emit(b, 40 + ext);
  b.set(data, 48 + ext);
  return b;
}

class V6 {
  readonly r: Ipv6Reassembler;
  private readonly view = new Ipv6View();
  private readonly walker = new Ipv6ExtWalker();
  constructor(limits = LIMITS) {
    this.r = new Ipv6Reassembler(limits);
  }
  push(pkt: Uint8Array, now: Instant = T0): ReasmOutcome {
    assert.equal(this.view.check(pkt, 0, pkt.length), 0);
    assert.equal(this.walker.walk(this.view), 0);
    return this.r.push(this.view, this.walker, now);
  }
  result(): { payload: Uint8Array; protocol: number; headerCount: number } {
    const o = this.r.out;
    const v = new Ipv6View();
    assert.equal(v.check(o.buf, o.off, o.len), 0);
    assert.equal(v.len, o.len);
    const w = new Ipv6ExtWalker();
    assert.equal(w.walk(v), 0);
    assert.equal(w.hasFragment, false);
    return {
      payload: o.buf.slice(w.offset, w.offset + w.length),
      protocol: w.protocol,
      headerCount: w.headerCount,
    };
  }
}

describe('IPv4 reassembly', () => {
  test('limits from the sysctl names', () => {
    const s = new Sysctls();
    assert.deepEqual(ipv4ReassemblyLimits(s, 8), {
      highThreshBytes: 4194304,
      timeoutUs: seconds(30),
      maxDatagrams: 8,
    });
    assert.equal(ipv6ReassemblyLimits(s).timeoutUs, seconds(60));
  });

  test('in order, with header options kept from the first fragment', () => {
    const v = new V4();
    const p = payload(3000);
    assert.equal(v.push(frag4(7, 0, true, p.subarray(0, 1480), undefined, 4)), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(7, 1480, true, p.subarray(1480, 2960))), ReasmOutcome.Pending);
    assert.equal(v.r.size, 1);
    assert.equal(v.push(frag4(7, 2960, false, p.subarray(2960))), ReasmOutcome.Complete);
    const { payload: got, header } = v.result();
    assert.deepEqual(got, p);
    assert.equal(header.optionsLen, 4);
    assert.equal(header.identification, 7);
    assert.equal(header.ttl, 9);
    assert.equal(v.r.size, 0);
    assert.equal(v.r.memoryBytes, 0);
    assert.equal(v.r.pollAt(), undefined);
    assert.deepEqual(
      { ...v.r.stats },
      {
        ReasmReqds: 3,
        ReasmOKs: 1,
        ReasmFails: 0,
        ReasmTimeout: 0,
        ReasmOverlaps: 0,
        duplicates: 0,
        refusedMemory: 0,
        refusedCount: 0,
      },
    );
  });

  test('out of order, last first; first fragment last', () => {
    const v = new V4();
    const p = payload(100);
    assert.equal(v.push(frag4(1, 96, false, p.subarray(96))), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(1, 48, true, p.subarray(48, 96))), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(1, 0, true, p.subarray(0, 48))), ReasmOutcome.Complete);
    assert.deepEqual(v.result().payload, p);
  });

  test('a zero-length last fragment ends the datagram', () => {
    const v = new V4();
    const p = payload(16);
    assert.equal(v.push(frag4(1, 0, true, p)), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(1, 16, false, new Uint8Array(0))), ReasmOutcome.Complete);
    assert.deepEqual(v.result().payload, p);
  });

  test('duplicates are dropped and the datagram kept', () => {
    const v = new V4();
    const p = payload(64);
    assert.equal(v.push(frag4(2, 0, true, p.subarray(0, 32))), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(2, 0, true, p.subarray(0, 32))), ReasmOutcome.Duplicate);
    assert.equal(v.push(frag4(2, 8, true, p.subarray(8, 16))), ReasmOutcome.Duplicate);
    assert.equal(v.push(frag4(2, 32, false, p.subarray(32))), ReasmOutcome.Complete);
    assert.deepEqual(v.result().payload, p);
    assert.equal(v.r.stats.duplicates, 2);
    assert.equal(v.r.stats.ReasmFails, 0);
  });

  test('datagrams are told apart by src, dst, protocol and id', () => {
    const v = new V4();
    const p = payload(32, 1);
    const q = payload(32, 2);
    assert.equal(v.push(frag4(5, 0, true, p.subarray(0, 16))), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(5, 0, true, q.subarray(0, 16), 0x0a000009)), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(6, 16, false, q.subarray(16))), ReasmOutcome.Pending);
    assert.equal(v.r.size, 3);
    assert.equal(v.push(frag4(5, 16, false, q.subarray(16), 0x0a000009)), ReasmOutcome.Complete);
    assert.deepEqual(v.result().payload, q);
    assert.equal(v.push(frag4(5, 16, false, p.subarray(16))), ReasmOutcome.Complete);
    assert.deepEqual(v.result().payload, p);
  });

  test('a partial overlap discards the whole datagram', () => {
    const v = new V4();
    const p = payload(64);
    assert.equal(v.push(frag4(3, 0, true, p.subarray(0, 24))), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(3, 16, true, p.subarray(16, 40))), ReasmOutcome.Overlap);
    assert.equal(v.r.size, 0);
    assert.equal(v.r.memoryBytes, 0);
    assert.equal(v.r.stats.ReasmOverlaps, 1);
    assert.equal(v.r.stats.ReasmFails, 1);
    // What follows starts a new datagram that never completes from these pieces alone.
    assert.equal(v.push(frag4(3, 40, false, p.subarray(40))), ReasmOutcome.Pending);
  });

  test('a fragment spanning received data and a hole is an overlap', () => {
    const v = new V4();
    const p = payload(64);
    assert.equal(v.push(frag4(3, 16, true, p.subarray(16, 24))), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(3, 8, true, p.subarray(8, 32))), ReasmOutcome.Overlap);
  });

  test('inconsistent ends discard the datagram', () => {
    const v = new V4();
    const p = payload(64);
    assert.equal(v.push(frag4(4, 32, true, p.subarray(32, 48))), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(4, 16, false, p.subarray(16, 40))), ReasmOutcome.Inconsistent); // ends before data
    assert.equal(v.push(frag4(4, 32, false, p.subarray(32, 40))), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(4, 32, false, p.subarray(32, 48))), ReasmOutcome.Inconsistent); // second end
    assert.equal(v.push(frag4(4, 32, false, p.subarray(32, 40))), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(4, 40, true, p.subarray(40, 48))), ReasmOutcome.Inconsistent); // past the end
    assert.equal(v.r.stats.ReasmFails, 3);
  });

  test('an over-long reassembly (options + 65515 bytes of data) is refused', () => {
    const v = new V4();
    const big = payload(65515 - 65512 + 8);
    assert.equal(v.push(frag4(9, 65512 - 8, false, big.subarray(0, 11))), ReasmOutcome.Pending);
    const chunk = payload(8192);
    for (let off = 0; off < 65504; off += 8192) {
      const n = Math.min(8192, 65504 - off);
      const o = v.push(frag4(9, off, true, chunk.subarray(0, n), undefined, off === 0 ? 40 : 0));
      if (off + n < 65504) assert.equal(o, ReasmOutcome.Pending);
      else assert.equal(o, ReasmOutcome.Oversize);
    }
    assert.equal(v.r.size, 0);
  });

  test('timeout at exactly first arrival + ipfrag_time, reported when the first fragment was in', () => {
    const v = new V4();
    const p = payload(64);
    const t1 = instant(T0 + 5);
    assert.equal(v.push(frag4(1, 0, true, p.subarray(0, 16)), T0), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(2, 16, true, p.subarray(16, 32)), t1), ReasmOutcome.Pending);
    // A later fragment does not refresh the deadline.
    assert.equal(v.push(frag4(1, 32, true, p.subarray(32, 48)), instant(T0 + 1000)), ReasmOutcome.Pending);
    assert.equal(v.r.pollAt(), T0 + 30_000_000);
    assert.equal(v.r.poll(instant(T0 + 29_999_999)).length, 0);
    const ev = v.r.poll(instant(T0 + 30_000_000));
    assert.equal(ev.length, 1);
    const e = ev[0]!;
    assert.equal(e.headerLen, 20);
    assert.equal(e.len, 20 + 16); // data received contiguously from 0
    // The first fragment itself, byte for byte, to quote in ICMP Time Exceeded.
    assert.deepEqual(e.buf.slice(e.off, e.off + e.len), frag4(1, 0, true, p.subarray(0, 16)));
    assert.equal(v.r.pollAt(), t1 + 30_000_000);
    // The other datagram never had its first fragment: discarded, not reported.
    assert.equal(v.r.poll(instant(t1 + 30_000_000)).length, 0);
    assert.equal(v.r.size, 0);
    assert.equal(v.r.memoryBytes, 0);
    assert.equal(v.r.stats.ReasmTimeout, 2);
    assert.equal(v.r.stats.ReasmFails, 2);
  });

  test('memory threshold: new datagrams refused, growth beyond it discards', () => {
    const v = new V4({ highThreshBytes: 4000, timeoutUs: seconds(30), maxDatagrams: 64 });
    const p = payload(4096);
    assert.equal(v.push(frag4(1, 0, true, p.subarray(0, 8))), ReasmOutcome.Pending);
    const used = v.r.memoryBytes;
    assert.ok(used > 1024 && used <= 4000);
    assert.equal(v.push(frag4(2, 0, true, p.subarray(0, 8))), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(3, 0, true, p.subarray(0, 8))), ReasmOutcome.NoMemory); // buffer does not fit
    assert.ok(v.r.memoryBytes <= 4000);
    assert.equal(v.push(frag4(1, 8, true, p.subarray(8, 3008))), ReasmOutcome.NoMemory); // growth
    assert.equal(v.r.size, 1);
    assert.ok(v.r.memoryBytes <= 4000);
    assert.equal(v.r.stats.refusedMemory, 2);
    const tight = new V4({ highThreshBytes: 100, timeoutUs: seconds(30), maxDatagrams: 64 });
    assert.equal(tight.push(frag4(1, 0, true, p.subarray(0, 8))), ReasmOutcome.NoMemory); // record itself
    assert.equal(tight.r.memoryBytes, 0);
  });

  test('max concurrent datagrams', () => {
    const v = new V4({ highThreshBytes: 1 << 30, timeoutUs: seconds(30), maxDatagrams: 2 });
    const p = payload(8);
    assert.equal(v.push(frag4(1, 0, true, p)), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(2, 0, true, p)), ReasmOutcome.Pending);
    assert.equal(v.push(frag4(3, 0, true, p)), ReasmOutcome.TooManyDatagrams);
    assert.equal(v.r.stats.refusedCount, 1);
    assert.equal(v.push(frag4(1, 8, false, p)), ReasmOutcome.Complete);
    assert.equal(v.push(frag4(3, 0, true, p)), ReasmOutcome.Pending);
  });

  test('a non-fragment is not taken', () => {
    const v = new V4();
    assert.equal(v.push(frag4(1, 0, false, payload(8))), ReasmOutcome.NotFragment);
    assert.equal(v.r.stats.ReasmReqds, 0);
  });
});

describe('IPv6 reassembly', () => {
  test('in order: fragment header removed, next header and payload length patched', () => {
    const v = new V6();
    const p = payload(3000);
    assert.equal(v.push(frag6(0xdeadbeef, 0, true, p.subarray(0, 1448))), ReasmOutcome.Pending);
    assert.equal(v.push(frag6(0xdeadbeef, 1448, true, p.subarray(1448, 2896))), ReasmOutcome.Pending);
    assert.equal(v.push(frag6(0xdeadbeef, 2896, false, p.subarray(2896))), ReasmOutcome.Complete);
    const r = v.result();
    assert.deepEqual(r.payload, p);
    assert.equal(r.protocol, 17);
    assert.equal(r.headerCount, 0);
    assert.equal(v.r.out.len, 40 + 3000);
    assert.equal(v.r.out.headerLen, 40);
  });

  test('unfragmentable part with a Destination Options header, first fragment arriving last', () => {
    const v = new V6();
    const p = payload(200);
    assert.equal(v.push(frag6(1, 104, false, p.subarray(104), true)), ReasmOutcome.Pending);
    assert.equal(v.push(frag6(1, 0, true, p.subarray(0, 104), true)), ReasmOutcome.Complete);
    const r = v.result();
    assert.deepEqual(r.payload, p);
    assert.equal(r.protocol, 17);
    assert.equal(r.headerCount, 1);
    assert.equal(v.r.out.headerLen, 48);
  });

  test('datagrams keyed by (src, dst, id)', () => {
    const v = new V6();
    const p = payload(16);
    assert.equal(v.push(frag6(1, 0, true, p.subarray(0, 8))), ReasmOutcome.Pending);
    assert.equal(v.push(frag6(1, 8, false, p.subarray(8), false, 9)), ReasmOutcome.Pending);
    assert.equal(v.push(frag6(2, 8, false, p.subarray(8))), ReasmOutcome.Pending);
    assert.equal(v.push(frag6(1, 8, false, p.subarray(8))), ReasmOutcome.Complete);
  });

  test('RFC 5722: overlapping fragments discard the datagram; exact duplicates do not', () => {
    const v = new V6();
    const p = payload(64);
    assert.equal(v.push(frag6(3, 0, true, p.subarray(0, 32))), ReasmOutcome.Pending);
    assert.equal(v.push(frag6(3, 0, true, p.subarray(0, 32))), ReasmOutcome.Duplicate);
    assert.equal(v.push(frag6(3, 24, true, p.subarray(24, 48))), ReasmOutcome.Overlap);
    assert.equal(v.r.size, 0);
    assert.equal(v.r.stats.ReasmOverlaps, 1);
  });

  test('timeout after ip6frag_time reports the first fragment', () => {
    const v = new V6(ipv6ReassemblyLimits(new Sysctls()));
    const p = payload(64);
    const f0 = frag6(4, 0, true, p.subarray(0, 16), true);
    assert.equal(v.push(f0), ReasmOutcome.Pending);
    assert.equal(v.push(frag6(4, 24, true, p.subarray(24, 32), true)), ReasmOutcome.Pending);
    assert.equal(v.r.pollAt(), T0 + 60_000_000);
    assert.equal(v.r.poll(instant(T0 + 59_999_999)).length, 0);
    const ev = v.r.poll(instant(T0 + 60_000_000));
    assert.equal(ev.length, 1);
    // Unfragmentable part (fixed header + Destination Options) then the 16 contiguous bytes.
    assert.equal(ev[0]!.headerLen, 48);
    const e = ev[0]!;
    assert.deepEqual(e.buf.slice(e.off, e.off + 48), f0.subarray(0, 48));
    assert.deepEqual(e.buf.slice(e.off + 48, e.off + e.len), p.subarray(0, 16));
  });
});

interface Piece {
  off: number;
  len: number;
}

/** Random cut points (multiples of 8) of a payload of `n` bytes. */
// At least two pieces: a lone piece is not a fragment.
const cutting = fc.integer({ min: 9, max: 4000 }).chain((n) =>
  fc.uniqueArray(fc.integer({ min: 1, max: (n - 1) >>> 3 }), { minLength: 1, maxLength: 40 }).map((cuts) => {
    const points = cuts.map((c) => c * 8).filter((c) => c < n);
    points.sort((a, b) => a - b);
    const pieces: Piece[] = [];
    let prev = 0;
    for (const c of [...points, n]) {
      pieces.push({ off: prev, len: c - prev });
      prev = c;
    }
    return { n, pieces };
  }),
);

const delivery = cutting.chain(({ n, pieces }) =>
  fc
    .tuple(
      fc.shuffledSubarray(pieces, { minLength: pieces.length, maxLength: pieces.length }),
      fc.array(fc.nat({ max: pieces.length - 1 }), { maxLength: 5 }),
      fc.integer({ min: 0, max: 255 }),
    )
    .map(([order, dups, seed]) => {
      const seq = [...order];
      for (const d of dups) seq.splice(d % (seq.length + 1), 0, pieces[d]!);
      return { n, seq, seed };
    }),
);

describe('reassembly properties', () => {
  test('any fragmentation in any order, with duplicates, reassembles byte-exact (v4 and v6)', () => {
    fc.assert(
      fc.property(delivery, ({ n, seq, seed }) => {
        const p = payload(n, seed);
        const v4 = new V4();
        const v6 = new V6();
        let done4 = 0;
        let done6 = 0;
        for (const { off, len } of seq) {
          const more = off + len < n;
          const data = p.subarray(off, off + len);
          const o4 = v4.push(frag4(seed, off, more, data));
          const o6 = v6.push(frag6(seed, off, more, data));
          if (done4 === 0 && o4 === ReasmOutcome.Complete) {
            done4++;
            assert.deepEqual(v4.result().payload, p);
          }
          if (done6 === 0 && o6 === ReasmOutcome.Complete) {
            done6++;
            assert.deepEqual(v6.result().payload, p);
          }
          assert.notEqual(o4, ReasmOutcome.Overlap);
          assert.notEqual(o6, ReasmOutcome.Overlap);
        }
        assert.equal(done4, 1);
        assert.equal(done6, 1);
      }),
      { numRuns: 400 },
    );
  });

  const hostile = fc.record({
    thresh: fc.integer({ min: 0, max: 300_000 }),
    max: fc.integer({ min: 1, max: 6 }),
    frags: fc.array(
      fc.record({
        id: fc.integer({ min: 0, max: 3 }),
        off8: fc.integer({ min: 0, max: 8189 }),
        len8: fc.integer({ min: 0, max: 40 }),
        tail: fc.integer({ min: 0, max: 7 }),
        more: fc.boolean(),
        dt: fc.integer({ min: 0, max: 20_000_000 }),
        opts: fc.constantFrom(0, 4, 40),
      }),
      { maxLength: 60 },
    ),
  });

  test('hostile fragment streams never throw and never exceed the byte limit', () => {
    fc.assert(
      fc.property(hostile, ({ thresh, max, frags }) => {
        const limits = { highThreshBytes: thresh, timeoutUs: seconds(30), maxDatagrams: max };
        const v4 = new V4(limits);
        const v6 = new V6(limits);
        let now = T0 as number;
        for (const f of frags) {
          now += f.dt;
          const t = instant(now);
          v4.r.poll(t);
          v6.r.poll(t);
          let len = f.len8 * 8 + (f.more ? 0 : f.tail);
          if (f.more && len === 0) len = 8;
          const off = f.off8 * 8;
          if (off + len <= 65515 && (off > 0 || f.more)) {
            const o = v4.push(frag4(f.id, off, f.more, payload(len), undefined, f.opts), t);
            if (o === ReasmOutcome.Complete) assert.ok(v4.r.out.len <= 65535);
          }
          if (off + len <= 65535 && (off > 0 || f.more)) {
            const o = v6.push(frag6(f.id, off, f.more, payload(len), f.opts > 0), t);
            if (o === ReasmOutcome.Complete) assert.ok(v6.r.out.len <= 65575);
          }
          assert.ok(v4.r.memoryBytes <= thresh, `v4 ${v4.r.memoryBytes} > ${thresh}`);
          assert.ok(v6.r.memoryBytes <= thresh, `v6 ${v6.r.memoryBytes} > ${thresh}`);
          assert.ok(v4.r.size <= max && v6.r.size <= max);
        }
        v4.r.poll(instant(now + 30_000_000));
        v6.r.poll(instant(now + 30_000_000));
        assert.equal(v4.r.size + v6.r.size, 0);
        assert.equal(v4.r.memoryBytes + v6.r.memoryBytes, 0);
      }),
      { numRuns: 1500 },
    );
  });
});
