import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCable } from '../../../src/core/link/cable.js';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { ERRNO } from '../../../src/core/socket/linux.js';
import { IPV4_MIN_PMTU, IPV6_MIN_PMTU } from '../../../src/core/stack/pmtu.js';
import { Stack } from '../../../src/core/stack/stack.js';
import { type IcmpErrorInfo, IcmpErrorKind, IpSendInfo } from '../../../src/core/stack/transport.js';
import type { Instant } from '../../../src/core/time/time.js';
import { fillIcmpv4Checksum, Icmpv4Repr, Icmpv4View } from '../../../src/core/wire/icmpv4.js';
import { fillIcmpv6Checksum, Icmpv6Repr, Icmpv6View } from '../../../src/core/wire/icmpv6.js';
import { Ipv4Repr, Ipv4View } from '../../../src/core/wire/ipv4.js';
import { Ipv6Repr } from '../../../src/core/wire/ipv6.js';
import { checksumAddresses6 } from '../../../src/core/wire/pseudo.js';
import { A4, A6, B4, B6, ip4, ip6 } from './stack-helpers.js';

const ROUTER4 = ip4('10.0.0.254');
const ROUTER6 = ip6('2001:db8::fe');
const TCP_HDR = new Uint8Array([0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);

/** A stack on an `ip` cable whose other end the test drives by hand. */
function oneStack(): { s: Stack; cable: MemoryCable; errors: IcmpErrorInfo[] } {
  const cable = new MemoryCable({ medium: 'ip' });
  const s = new Stack({ rng: new Xoshiro128(5) });
  const f = s.addInterface(cable.a);
  s.addAddress(f.index, A4, 24);
  s.addAddress(f.index, A6, 64);
  const errors: IcmpErrorInfo[] = [];
  s.registerTransport({
    protocol: 6,
    input: () => {},
    errorInput: (e) => {
      const c = Object.assign(Object.create(Object.getPrototypeOf(e)), e) as IcmpErrorInfo;
      c.buf = e.buf.slice(e.off, e.off + e.len);
      errors.push(c);
    },
  });
  return { s, cable, errors };
}

function v4Packet(src: number, dst: number, protocol: number, payload: Uint8Array): Uint8Array {
  const ip = new Ipv4Repr();
  ip.src = src;
  ip.dst = dst;
  ip.protocol = protocol;
  ip.payloadLen = payload.length;
  const b = new Uint8Array(20 + payload.length);
  ip.emit(b, 0);
  b.set(payload, 20);
  return b;
}

function v6Packet(src: Uint8Array, dst: Uint8Array, nh: number, payload: Uint8Array): Uint8Array {
  const ip = new Ipv6Repr();
  ip.src.set(src);
  ip.dst.set(dst);
  ip.nextHeader = nh;
  ip.payloadLen = payload.length;
  const b = new Uint8Array(40 + payload.length);
  ip.emit(b, 0);
  b.set(payload, 40);
  return b;
}

function fragNeeded(mtu: number): Uint8Array {
  const quoted = v4Packet(A4, B4, 6, TCP_HDR);
  const icmp = new Uint8Array(8 + quoted.length);
  new Icmpv4Repr().setError(3, 4, quoted.length, mtu).emit(icmp, 0);
  icmp.set(quoted, 8);
  fillIcmpv4Checksum(icmp, 0, icmp.length);
  return v4Packet(ROUTER4, A4, 1, icmp);
}

function packetTooBig(mtu: number): Uint8Array {
  const quoted = v6Packet(A6, B6, 6, TCP_HDR);
  const pkt = v6Packet(ROUTER6, A6, 58, new Uint8Array(8 + quoted.length));
  new Icmpv6Repr().setError(2, 0, quoted.length, mtu).emit(pkt, 40);
  pkt.set(quoted, 48);
  fillIcmpv6Checksum(pkt, 40, pkt.length - 40, checksumAddresses6(pkt, 0));
  return pkt;
}

function inject(cable: MemoryCable, s: Stack, pkt: Uint8Array, now: Instant): void {
  assert.ok(cable.b.transmit(pkt, 0, pkt.length, now));
  s.poll(now);
}

function received(cable: MemoryCable, now: Instant): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = cable.b.receive(now); f !== undefined; f = cable.b.receive(now)) {
    out.push(f.buf.slice(f.off, f.off + f.len));
  }
  return out;
}

describe('Path MTU discovery', () => {
  it('IPv4 fragmentation needed lowers the path MTU, clamps to 552, tells the transport, expires', () => {
    const { s, cable, errors } = oneStack();
    const t0 = 1_000_000 as Instant;
    assert.equal(s.pathMtu(B4, t0), 1500);
    inject(cable, s, fragNeeded(1200), t0);
    assert.equal(s.pathMtu(B4, t0), 1200);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.kind, IcmpErrorKind.PacketTooBig);
    assert.equal(errors[0]!.errno, ERRNO.EMSGSIZE);
    assert.equal(errors[0]!.mtu, 1200);
    assert.equal(errors[0]!.dst4, B4);
    assert.equal(errors[0]!.src4, A4);
    assert.deepEqual(errors[0]!.buf.subarray(0, 20), TCP_HDR);
    // A larger report does not raise it; a tiny one is clamped to the Linux minimum.
    inject(cable, s, fragNeeded(1400), t0);
    assert.equal(s.pathMtu(B4, t0), 1200);
    inject(cable, s, fragNeeded(100), t0);
    assert.equal(s.pathMtu(B4, t0), IPV4_MIN_PMTU);
    assert.equal(errors.at(-1)!.mtu, IPV4_MIN_PMTU);
    // Other destinations are unaffected; the learnt value expires after 600 s.
    assert.equal(s.pathMtu(ip4('10.0.0.3'), t0), 1500);
    assert.equal(s.pathMtu(B4, (t0 + 600_000_000) as Instant), 1500);
  });

  it('IPv4 UDP after a lowered PMTU: fragments fit the new path MTU', () => {
    const { s, cable } = oneStack();
    inject(cable, s, fragNeeded(1000), 0 as Instant);
    const u = s.udp.socket(4);
    assert.equal(u.sendTo(new Uint8Array(1400), 0, 1400, 0 as Instant, B4, 7), 1400);
    const frames = received(cable, 0 as Instant);
    assert.equal(frames.length, 2);
    for (const f of frames) assert.ok(f.length <= 1000);
    const v = new Ipv4View();
    assert.equal(v.check(frames[0]!, 0, frames[0]!.length), 0);
    assert.equal(v.moreFragments, true);
    assert.equal(v.dontFragment, false);
  });

  it('a DF datagram larger than the path MTU fails with EMSGSIZE', () => {
    const { s } = oneStack();
    const info = new IpSendInfo().setAddrs(A4, B4);
    info.protocol = 6;
    info.dontFragment = true;
    const buf = new Uint8Array(128 + 2000);
    assert.equal(s.send(info, buf, 128, 2000, 0 as Instant), ERRNO.EMSGSIZE);
    assert.equal(s.counters.ip.FragFails, 1);
    const info6 = new IpSendInfo().setAddrs(A6, B6);
    info6.protocol = 6;
    info6.dontFragment = true;
    assert.equal(s.send(info6, buf, 128, 2000, 0 as Instant), ERRNO.EMSGSIZE);
    info.dst4 = ip4('192.168.1.1');
    assert.equal(s.send(info, buf, 128, 100, 0 as Instant), ERRNO.ENETUNREACH);
  });

  it('IPv6 packet too big lowers the path MTU (never below 1280) and tells the transport', () => {
    const { s, cable, errors } = oneStack();
    const t0 = 0 as Instant;
    assert.equal(s.pathMtu(B6, t0), 1500);
    inject(cable, s, packetTooBig(1400), t0);
    assert.equal(s.pathMtu(B6, t0), 1400);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.version, 6);
    assert.equal(errors[0]!.mtu, 1400);
    assert.deepEqual(errors[0]!.dst6, B6);
    inject(cable, s, packetTooBig(1000), t0);
    assert.equal(s.pathMtu(B6, t0), IPV6_MIN_PMTU);
    assert.equal(errors.at(-1)!.errno, ERRNO.EMSGSIZE);
  });
});

describe('ICMP errors generated', () => {
  it('unknown IPv4 protocol: protocol unreachable quoting the datagram', () => {
    const { s, cable } = oneStack();
    const pkt = v4Packet(B4, A4, 253, new Uint8Array(12).fill(7));
    inject(cable, s, pkt, 0 as Instant);
    const out = received(cable, 0 as Instant);
    assert.equal(out.length, 1);
    const ip = new Ipv4View();
    assert.equal(ip.check(out[0]!, 0, out[0]!.length), 0);
    assert.equal(ip.protocol, 1);
    assert.equal(ip.dst, B4);
    assert.equal(ip.src, A4);
    const icmp = new Icmpv4View();
    assert.equal(icmp.check(out[0]!, 20, out[0]!.length - 20), 0);
    assert.equal(icmp.type, 3);
    assert.equal(icmp.code, 2);
    assert.deepEqual(out[0]!.subarray(28), pkt);
    assert.equal(s.counters.ip.InUnknownProtos, 1);
  });

  it('unknown IPv6 next header: parameter problem code 1 pointing at the Next Header byte', () => {
    const { s, cable } = oneStack();
    const pkt = v6Packet(B6, A6, 253, new Uint8Array(8));
    inject(cable, s, pkt, 0 as Instant);
    const out = received(cable, 0 as Instant);
    assert.equal(out.length, 1);
    const icmp = new Icmpv6View();
    assert.equal(icmp.check(out[0]!, 40, out[0]!.length - 40), 0);
    assert.equal(icmp.type, 4);
    assert.equal(icmp.code, 1);
    assert.equal(icmp.pointer, 6);
    assert.deepEqual(out[0]!.subarray(48), pkt);
  });

  it('icmp_ratelimit: a burst of 6, then one per second per destination', () => {
    const { s, cable } = oneStack();
    const pkt = v4Packet(B4, A4, 253, new Uint8Array(8));
    for (let i = 0; i < 20; i++) inject(cable, s, pkt, 0 as Instant);
    assert.equal(received(cable, 0 as Instant).length, 6);
    assert.equal(s.counters.icmp.OutRateLimitHost, 14);
    inject(cable, s, pkt, 999_999 as Instant);
    assert.equal(received(cable, 999_999 as Instant).length, 0);
    inject(cable, s, pkt, 1_000_000 as Instant);
    assert.equal(received(cable, 1_000_000 as Instant).length, 1);
    // Disabled with 0.
    assert.equal(s.sysctls.set('net.ipv4.icmp_ratelimit', '0'), 0);
    for (let i = 0; i < 10; i++) inject(cable, s, pkt, 1_000_000 as Instant);
    assert.equal(received(cable, 1_000_000 as Instant).length, 10);
  });

  it('no error about an ICMP error, a broadcast or a non-first fragment', () => {
    const { s, cable } = oneStack();
    inject(cable, s, v4Packet(B4, ip4('10.0.0.255'), 253, new Uint8Array(8)), 0 as Instant);
    const frag = v4Packet(B4, A4, 253, new Uint8Array(8));
    frag[6] = 0x00;
    frag[7] = 0x01; // offset 8, last fragment: kept for reassembly, no error
    inject(cable, s, frag, 0 as Instant);
    inject(cable, s, fragNeeded(1000), 0 as Instant);
    assert.equal(received(cable, 0 as Instant).length, 0);
  });

  it('IPv4 reassembly timeout sends time exceeded (code 1) after ipfrag_time', () => {
    const { s, cable } = oneStack();
    const first = v4Packet(B4, A4, 17, new Uint8Array(16));
    first[6] = 0x20; // MF, offset 0
    first[4] = 0x12;
    inject(cable, s, first, 0 as Instant);
    assert.equal(s.pollAt(), 30_000_000);
    s.poll(30_000_000 as Instant);
    const out = received(cable, 30_000_000 as Instant);
    assert.equal(out.length, 1);
    assert.equal(out[0]![20], 11);
    assert.equal(out[0]![21], 1);
    assert.equal(s.counters.ip.ReasmTimeout, 1);
  });
});
