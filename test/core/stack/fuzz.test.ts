/**
 * Hostile input: random and mutated frames into a stack never throw, and every frame is accounted
 * for (a drop counted, or processed by a protocol counter).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MemoryCable } from '../../../src/core/link/cable.js';
import type { Link } from '../../../src/core/link/link.js';
import { PcapTap } from '../../../src/core/link/tap.js';
import { ByteCollector } from '../../../src/core/pcap/common.js';
import { PcapWriter } from '../../../src/core/pcap/pcap.js';
import { readCapture } from '../../../src/core/pcap/reader.js';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { Stack } from '../../../src/core/stack/stack.js';
import type { Instant } from '../../../src/core/time/time.js';
import { set16, set32 } from '../../../src/core/wire/bytes.js';
import { fillIpv4Checksum } from '../../../src/core/wire/ipv4.js';
import { A4, A6, B4, B6, bytes, MAC_A, pair } from './stack-helpers.js';

const RUNS = Number(process.env.FC_RUNS ?? 3000);

/** Frames of a real run (ARP, NDP, pings, UDP with fragments, port unreachable), as captured. */
function corpus(medium: 'ethernet' | 'ip'): Uint8Array[] {
  const out = new ByteCollector();
  const { a, b, sim } = pair(medium, {}, (l: Link, side) =>
    side === 'a' ? new PcapTap(l, new PcapWriter(out.sink)) : l,
  );
  let replies = 0;
  a.onEchoReply = () => replies++;
  a.ping(B4, 1, 1, bytes(64), sim.now());
  a.ping(B6, 1, 2, bytes(3000), sim.now());
  const sb = b.udp.socket(6);
  sb.bind(undefined, 99);
  const sa = a.udp.socket(6);
  sa.sendTo(bytes(4000), 0, 4000, sim.now(), B6, 99);
  const s4 = a.udp.socket(4);
  s4.sendTo(bytes(3000), 0, 3000, sim.now(), B4, 100);
  sim.runFor(100_000);
  assert.equal(replies, 2);
  return readCapture(out.bytes()).records.map((r) => r.data);
}

class Target {
  readonly cable: MemoryCable;
  readonly s: Stack;
  now = 0;
  injected = 0;
  constructor(
    readonly medium: 'ethernet' | 'ip',
    offload: boolean,
  ) {
    this.cable = new MemoryCable({ medium, checksumOffload: offload, queueFrames: 4 });
    this.s = new Stack({ rng: new Xoshiro128(3) });
    const f = this.s.addInterface(this.cable.a, medium === 'ethernet' ? { mac: MAC_A } : {});
    this.s.addAddress(f.index, A4, 24);
    this.s.addAddress(f.index, A6, 64);
    const u = this.s.udp.socket(6);
    u.bind(undefined, 99);
    const u4 = this.s.udp.socket(4);
    u4.bind(undefined, 100);
  }

  feed(frame: Uint8Array): void {
    if (frame.length === 0 || frame.length > 1514) return;
    const c = this.s.counters;
    const before =
      c.drops.total + c.ip.InReceives + c.ip6.InReceives + c.link.InArp + c.link.InFrames;
    this.now += 1000;
    assert.ok(this.cable.b.transmit(frame, 0, frame.length, this.now as Instant));
    this.s.poll(this.now as Instant);
    this.injected++;
    const after = c.drops.total + c.ip.InReceives + c.ip6.InReceives + c.link.InArp + c.link.InFrames;
    assert.ok(after > before, 'every frame is counted');
    // Whatever the stack sent back: drain it so the cable never fills.
    let f = this.cable.b.receive(this.now as Instant);
    while (f !== undefined) f = this.cable.b.receive(this.now as Instant);
    // Timers (reassembly, neighbors) run too.
    const at = this.s.pollAt();
    if (at !== undefined && at <= this.now + 1000) this.s.poll(at < this.now ? (this.now as Instant) : at);
  }
}

const body = fc.integer({ min: 0, max: 1400 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));

/** IPv4/IPv6 packets to the target with plausible headers (valid lengths and checksum half the time). */
function ipPackets() {
  return fc
    .tuple(
      fc.constantFrom(4, 6),
      fc.constantFrom(0, 1, 6, 17, 43, 44, 58, 60, 253),
      fc.boolean(),
      fc.boolean(),
      body,
    )
    .map(([v, proto, fix, toUs, b]) => {
      if (v === 4) {
        const f = new Uint8Array(20 + b.length);
        f.set(b, 20);
        f[0] = 0x45;
        set16(f, 2, fix ? f.length : b.length & 0xffff);
        f[6] = b[0] ?? 0;
        f[7] = b[1] ?? 0;
        if (fix) f[6]! &= 0x40;
        f[8] = 64;
        f[9] = proto;
        set32(f, 12, toUs ? B4 : (b[2] ?? 0) * 0x1010101);
        set32(f, 16, toUs ? A4 : (b[3] ?? 0) * 0x1010101);
        fillIpv4Checksum(f, 0, 20);
        return f;
      }
      const f = new Uint8Array(40 + b.length);
      f.set(b, 40);
      f[0] = 0x60;
      set16(f, 4, fix ? b.length : (b[0] ?? 0) << 8);
      f[6] = proto;
      f[7] = fix ? 255 : 64;
      f.set(B6, 8);
      f.set(toUs ? A6 : ALL_NODES, 24);
      return f;
    });
}

const ALL_NODES = new Uint8Array([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

function ethernetFrames() {
  return fc
    .oneof(
      ipPackets().map((p) => [(p[0]! >> 4 === 4 ? 0x0800 : 0x86dd) as number, p] as const),
      fc.tuple(fc.constantFrom(0x0806, 0x8100, 0x88a8, 0x1234, 0x0800, 0x86dd), body),
    )
    .map(([type, payload]) => {
      const f = new Uint8Array(14 + payload.length);
      f.set(MAC_A, 0);
      f[6] = 2;
      set16(f, 12, type);
      f.set(payload, 14);
      return f;
    });
}

function mutated(seeds: Uint8Array[]) {
  return fc
    .record({
      i: fc.nat(seeds.length - 1),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(({ i, edits, cut }) => {
      const f = seeds[i]!.slice();
      for (const [pos, val] of edits) f[pos % f.length] = val;
      return cut === undefined ? f : f.subarray(0, cut % (f.length + 1));
    });
}

describe('Stack under hostile input', () => {
  for (const medium of ['ethernet', 'ip'] as const) {
    for (const offload of [true, false]) {
      it(`random frames (${medium}, checksum offload ${offload}) never throw and are counted`, () => {
        const t = new Target(medium, offload);
        const link = medium === 'ethernet' ? ethernetFrames() : ipPackets();
        fc.assert(
          fc.property(link, (f) => {
            t.feed(f);
          }),
          { numRuns: RUNS },
        );
        assert.ok(t.injected > 0);
        if (process.env.FUZZ_DEBUG) console.log('INJ', medium, offload, t.injected, t.s.counters.drops.toObject());
      });

      it(`mutated real frames (${medium}, checksum offload ${offload}) never throw and are counted`, () => {
        const seeds = corpus(medium);
        assert.ok(seeds.length >= 10);
        const t = new Target(medium, offload);
        fc.assert(
          fc.property(mutated(seeds), (f) => {
            t.feed(f);
          }),
          { numRuns: RUNS },
        );
        assert.ok(t.s.counters.drops.total > 0);
        if (process.env.FUZZ_DEBUG) console.log(medium, offload, t.s.counters.drops.toObject());
      });
    }
  }
});
