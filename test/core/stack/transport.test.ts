/** The seam the TCP engine plugs into: what a transport receives, sends and hears about. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERRNO } from '../../../src/core/socket/linux.js';
import {
  IcmpErrorKind,
  IP_HEADROOM,
  type IcmpErrorInfo,
  type IpPacketInfo,
  IpSendInfo,
  type TransportProtocol,
} from '../../../src/core/stack/transport.js';
import type { Instant } from '../../../src/core/time/time.js';
import { A4, A6, B4, B6, bytes, ip4, pair } from './stack-helpers.js';

interface Seen {
  version: number;
  src: string;
  dst: string;
  tos: number;
  ttl: number;
  flowLabel: number;
  protocol: number;
  data: Uint8Array;
  checksumValidated: boolean;
  ifindex: number;
  at: number;
}

function recorder(protocol = 6): { t: TransportProtocol; seen: Seen[]; errors: IcmpErrorKind[]; errnos: number[] } {
  const seen: Seen[] = [];
  const errors: IcmpErrorKind[] = [];
  const errnos: number[] = [];
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const t: TransportProtocol = {
    protocol,
    input(p: IpPacketInfo, now: Instant) {
      seen.push({
        version: p.version,
        src: p.version === 4 ? String(p.src4) : hex(p.src6),
        dst: p.version === 4 ? String(p.dst4) : hex(p.dst6),
        tos: p.tos,
        ttl: p.ttl,
        flowLabel: p.flowLabel,
        protocol: p.protocol,
        data: p.buf.slice(p.off, p.off + p.len),
        checksumValidated: p.checksumValidated,
        ifindex: p.ifindex,
        at: now,
      });
    },
    errorInput(e: IcmpErrorInfo) {
      errors.push(e.kind);
      errnos.push(e.errno);
    },
  };
  return { t, seen, errors, errnos };
}

describe('Transport seam', () => {
  it('IpOutput.send writes the IP header in the headroom; the peer transport gets IpPacketInfo', () => {
    const { a, b, sim, ib } = pair('ethernet', { checksumOffload: false });
    const r = recorder();
    b.registerTransport(r.t);
    const payload = bytes(40, 4);
    const buf = new Uint8Array(IP_HEADROOM + 40);
    buf.set(payload, IP_HEADROOM);
    const info = new IpSendInfo().setAddrs(A4, B4);
    info.protocol = 6;
    info.tos = 0x10;
    info.ttl = 33;
    assert.equal(a.send(info, buf, IP_HEADROOM, 40, sim.now()), 0);
    const i6 = new IpSendInfo().setAddrs(A6, B6);
    i6.protocol = 6;
    i6.flowLabel = 0x12345;
    buf.set(payload, IP_HEADROOM);
    assert.equal(a.send(i6, buf, IP_HEADROOM, 40, sim.now()), 0);
    sim.runUntil(() => r.seen.length === 2);
    const [v4, v6] = r.seen;
    assert.equal(v4!.version, 4);
    assert.equal(v4!.src, String(A4));
    assert.equal(v4!.tos, 0x10);
    assert.equal(v4!.ttl, 33);
    assert.equal(v4!.protocol, 6);
    assert.deepEqual(v4!.data, payload);
    assert.equal(v4!.checksumValidated, false);
    assert.equal(v4!.ifindex, ib.index);
    assert.equal(v6!.version, 6);
    assert.equal(v6!.src, Buffer.from(A6).toString('hex'));
    assert.equal(v6!.flowLabel, 0x12345);
    assert.equal(v6!.ttl, 64);
    assert.deepEqual(v6!.data, payload);
  });

  it('sourceFor, pathMtu, checksumOffload, isLocal', () => {
    const { a } = pair('ip');
    assert.equal(a.sourceFor(B4), A4);
    assert.deepEqual(a.sourceFor(B6), A6);
    assert.equal(a.sourceFor(ip4('192.0.2.1')), undefined);
    assert.equal(a.pathMtu(B4, 0 as Instant), 1500);
    assert.equal(a.pathMtu(A4, 0 as Instant), 65536);
    assert.equal(a.pathMtu(ip4('192.0.2.1'), 0 as Instant), 0);
    assert.equal(a.checksumOffload(B4), true);
    assert.equal(a.isLocal(A4), true);
    assert.equal(a.isLocal(B4), false);
    assert.equal(a.isLocal(A6), true);
  });

  it('a default route through a gateway', () => {
    const { a, b, sim } = pair('ethernet');
    assert.equal(a.routes4.add({ dst: 0, prefixLen: 0, gateway: B4, ifindex: 2 }), 'ok');
    const far = ip4('198.51.100.7');
    b.addAddress(2, far, 32);
    const got: number[] = [];
    a.onEchoReply = (e) => got.push(e.from4);
    assert.equal(a.ping(far, 1, 1, bytes(8), sim.now()), 0);
    sim.runUntil(() => got.length > 0);
    assert.deepEqual(got, [far]);
  });

  it('resolution failure is reported to the sending transport as EHOSTUNREACH', () => {
    const { a, sim } = pair('ethernet');
    const r = recorder();
    a.registerTransport(r.t);
    const buf = new Uint8Array(IP_HEADROOM + 20);
    const info = new IpSendInfo().setAddrs(A4, ip4('10.0.0.77'));
    info.protocol = 6;
    assert.equal(a.send(info, buf, IP_HEADROOM, 20, sim.now()), 0);
    sim.runFor(4_000_000);
    assert.deepEqual(r.errors, [IcmpErrorKind.HostUnreachable]);
    assert.deepEqual(r.errnos, [ERRNO.EHOSTUNREACH]);
  });

  it('no headroom: EINVAL', () => {
    const { a } = pair('ip');
    const info = new IpSendInfo().setAddrs(A4, B4);
    assert.equal(a.send(info, new Uint8Array(100), 10, 20, 0 as Instant), ERRNO.EINVAL);
  });
});

describe('IPv4-mapped destinations in IpOutput', () => {
  it('go out as IPv4; sourceFor and pathMtu answer for the IPv4 address', () => {
    const { a, b, sim } = pair('ip');
    const r = recorder();
    b.registerTransport(r.t);
    const mapped = new Uint8Array(16);
    mapped[10] = 0xff;
    mapped[11] = 0xff;
    mapped.set([10, 0, 0, 2], 12);
    assert.equal(a.sourceFor(mapped), A4);
    assert.equal(a.pathMtu(mapped, 0 as Instant), 1500);
    const info = new IpSendInfo().setAddrs(new Uint8Array(16), mapped);
    info.protocol = 6;
    const buf = new Uint8Array(IP_HEADROOM + 4);
    assert.equal(a.send(info, buf, IP_HEADROOM, 4, 0 as Instant), 0);
    sim.runUntil(() => r.seen.length > 0);
    assert.equal(r.seen[0]!.version, 4);
    assert.equal(r.seen[0]!.dst, String(B4));
    a.confirmReachable(mapped, sim.now());
  });
});
