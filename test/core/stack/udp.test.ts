import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERRNO } from '../../../src/core/socket/linux.js';
import { UdpPeer } from '../../../src/core/stack/udp.js';
import type { Instant } from '../../../src/core/time/time.js';
import { A4, A6, B4, B6, bytes, ip4, pair } from './stack-helpers.js';

const T0 = 0 as Instant;

describe('UDP between two stacks', () => {
  for (const medium of ['ethernet', 'ip'] as const) {
    for (const v of [4, 6] as const) {
      it(`datagrams both ways, IPv${v} over ${medium}`, () => {
        const { a, b, sim } = pair(medium);
        const sa = a.udp.socket(v);
        const sb = b.udp.socket(v);
        assert.equal(sb.bind(undefined, 5000), 0);
        const dst = v === 4 ? B4 : B6;
        const msg = bytes(300, 5);
        assert.equal(sa.sendTo(msg, 0, msg.length, T0, dst, 5000), 300);
        // Ephemeral port from ip_local_port_range.
        assert.ok(sa.localPort >= 32768 && sa.localPort <= 60999);
        sim.runUntil(() => sb.queued > 0);
        const out = new Uint8Array(2000);
        const from = new UdpPeer();
        assert.equal(sb.recvFrom(out, 0, out.length, from), 300);
        assert.deepEqual(out.subarray(0, 300), msg);
        assert.equal(from.port, sa.localPort);
        if (v === 4) assert.equal(from.addr4, A4);
        else assert.deepEqual(from.addr6, A6);
        assert.equal(sb.recvFrom(out, 0, out.length), -ERRNO.EAGAIN);
        // Reply to where it came from.
        assert.equal(sb.sendTo(out, 0, 10, sim.now(), from.addr(), from.port), 10);
        sim.runUntil(() => sa.queued > 0);
        assert.equal(sa.recvFrom(out, 100, 50, from), 10);
        assert.deepEqual(out.subarray(100, 110), msg.subarray(0, 10));
        assert.equal(from.port, 5000);
        const mib = v === 4 ? b.udp : b.udp;
        assert.ok(mib.socketCount >= 1);
        assert.equal((v === 4 ? a.counters.udp : a.counters.udp6).InDatagrams, 1);
        assert.equal((v === 4 ? b.counters.udp : b.counters.udp6).InDatagrams, 1);
        assert.equal(a.counters.drops.total + b.counters.drops.total, 0);
      });
    }
  }

  it('the link verifies checksums when it does not offload them', () => {
    const { a, b, sim } = pair('ethernet', { checksumOffload: false });
    const sa = a.udp.socket(6);
    const sb = b.udp.socket(6);
    sb.bind(undefined, 7);
    sa.sendTo(bytes(33), 0, 33, T0, B6, 7);
    sim.runUntil(() => sb.queued > 0);
    assert.equal(sb.queued, 1);
    assert.equal(b.counters.udp6.InCsumErrors, 0);
  });

  for (const v of [4, 6] as const) {
    it(`port unreachable reaches a connected IPv${v} socket as ECONNREFUSED`, () => {
      const { a, b, sim } = pair('ethernet');
      const s = a.udp.socket(v);
      assert.equal(s.connect(v === 4 ? B4 : B6, 9999), 0);
      assert.equal(s.send(bytes(20), 0, 20, T0), 20);
      sim.runUntil(() => s.error !== 0);
      const icmp = v === 4 ? b.counters.icmp : b.counters.icmp6;
      assert.equal(icmp.OutDestUnreachs, 1);
      assert.equal((v === 4 ? b.counters.udp : b.counters.udp6).NoPorts, 1);
      const out = new Uint8Array(10);
      assert.equal(s.recvFrom(out, 0, 10), -ERRNO.ECONNREFUSED);
      // Reported once.
      assert.equal(s.recvFrom(out, 0, 10), -ERRNO.EAGAIN);
    });
  }

  it('an unconnected socket does not hear about port unreachable (Linux without IP_RECVERR)', () => {
    const { a, b, sim } = pair('ip');
    const s = a.udp.socket(4);
    s.sendTo(bytes(20), 0, 20, T0, B4, 9999);
    sim.runFor(10_000);
    assert.equal(b.counters.icmp.OutDestUnreachs, 1);
    assert.equal(a.counters.icmp.InDestUnreachs, 1);
    assert.equal(s.error, 0);
  });

  for (const v of [4, 6] as const) {
    it(`a fragmented IPv${v} datagram is reassembled byte-exact`, () => {
      const { a, b, sim } = pair('ethernet');
      const sa = a.udp.socket(v);
      const sb = b.udp.socket(v);
      sb.bind(undefined, 4000);
      const big = bytes(20_000, 11);
      assert.equal(sa.sendTo(big, 0, big.length, T0, v === 4 ? B4 : B6, 4000), big.length);
      sim.runUntil(() => sb.queued > 0);
      const out = new Uint8Array(70_000);
      assert.equal(sb.recvFrom(out, 0, out.length), big.length);
      assert.deepEqual(out.subarray(0, big.length), big);
      const ipa = v === 4 ? a.counters.ip : a.counters.ip6;
      const ipb = v === 4 ? b.counters.ip : b.counters.ip6;
      assert.equal(ipa.FragOKs, 1);
      assert.equal(ipa.FragCreates, v === 4 ? 14 : 14);
      assert.equal(ipb.ReasmOKs, 1);
      assert.equal(ipb.ReasmReqds, ipa.FragCreates);
    });
  }

  it('demux: connected 4-tuple beats a specific bound address, which beats the wildcard', () => {
    const { a, b, sim } = pair('ip');
    const wild = b.udp.socket(4);
    const spec = b.udp.socket(4);
    const conn = b.udp.socket(4);
    // Same port: only allowed here because each is bound before the next one checks... use distinct
    // addresses: wildcard on v6 (dual-stack), specific on v4, connected on v4 specific.
    assert.equal(wild.bind(undefined, 53), 0);
    assert.equal(spec.bind(B4, 53), ERRNO.EADDRINUSE);
    const w6 = b.udp.socket(6, { v6only: true });
    assert.equal(w6.bind(undefined, 53), 0);
    wild.close();
    assert.equal(spec.bind(B4, 53), 0);
    assert.equal(conn.bind(undefined, 54), 0);
    const x = a.udp.socket(4);
    assert.equal(x.bind(undefined, 1111), 0);
    x.sendTo(bytes(1), 0, 1, T0, B4, 53);
    sim.runFor(1000);
    assert.equal(spec.queued, 1);
    assert.equal(w6.queued, 0);
    // Dual-stack wildcard receives IPv4 as mapped addresses.
    const dual = b.udp.socket(6);
    assert.equal(dual.bind(undefined, 55), 0);
    x.sendTo(bytes(1), 0, 1, sim.now(), B4, 55);
    sim.runFor(1000);
    const from = new UdpPeer();
    assert.equal(dual.recvFrom(new Uint8Array(4), 0, 4, from), 1);
    assert.equal(from.version, 6);
    assert.equal(
      Buffer.from(from.addr6).toString('hex'),
      `00000000000000000000ffff${A4.toString(16).padStart(8, '0')}`,
    );
    // Connected beats bound on the same port.
    const bound = b.udp.socket(4);
    assert.equal(bound.bind(undefined, 56), 0);
    const c2 = b.udp.socket(4);
    assert.equal(c2.bind(B4, 57), 0);
    assert.equal(c2.connect(A4, 1111), 0);
    const y = a.udp.socket(4);
    y.bind(undefined, 2222);
    y.sendTo(bytes(1), 0, 1, sim.now(), B4, 57);
    x.sendTo(bytes(1), 0, 1, sim.now(), B4, 57);
    sim.runFor(1000);
    // Only the datagram from 1111 matches the connected socket; the one from 2222 finds no socket.
    assert.equal(c2.queued, 1);
    assert.equal(b.counters.udp.NoPorts, 1);
    assert.equal(ip4('10.0.0.2'), B4);
  });

  it('a full receive queue drops and counts', () => {
    const { a, b, sim } = pair('ip');
    const sb = b.udp.socket(4, { rcvbuf: 4096 });
    sb.bind(undefined, 9);
    const sa = a.udp.socket(4);
    for (let i = 0; i < 10; i++) sa.sendTo(bytes(1000, i), 0, 1000, T0, B4, 9);
    sim.runFor(10_000);
    assert.equal(sb.queued, 3);
    assert.equal(b.counters.udp.RcvbufErrors, 7);
    const out = new Uint8Array(1000);
    for (let i = 0; i < 3; i++) {
      assert.equal(sb.recvFrom(out, 0, 1000), 1000);
      assert.deepEqual(out, bytes(1000, i));
    }
  });
});
