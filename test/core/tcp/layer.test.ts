import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERRNO } from '../../../src/core/socket/linux.js';
import { IcmpErrorInfo, IcmpErrorKind, IpPacketInfo } from '../../../src/core/stack/transport.js';
import { hashTuple4, hashTuple6, TcpTuple, unmapAddr } from '../../../src/core/tcp/demux.js';
import { TcpListener } from '../../../src/core/tcp/listener.js';
import { TcpState } from '../../../src/core/tcp/segment.js';
import { Tcb } from '../../../src/core/tcp/tcb.js';
import { DropReason } from '../../../src/core/wire/drop.js';
import { TcpFlag } from '../../../src/core/wire/tcp.js';
import { LOCAL4, LOCAL6, mapped, OTHER4, PEER4, PEER6, Rig } from './layer-helpers.js';

const { SYN, ACK, RST, FIN, PSH } = TcpFlag;
const ISS = 1000;

function asListener(x: TcpListener | number): TcpListener {
  assert.ok(x instanceof TcpListener, `listen failed: ${String(x)}`);
  return x;
}
function asTcb(x: Tcb | number): Tcb {
  assert.ok(x instanceof Tcb, `connect failed: ${String(x)}`);
  return x;
}

/** A passive handshake from PEER port `sport` to `dport`; returns the SYN-ACK's ISS. */
function handshake(r: Rig, dport: number, sport: number, peerIss = 5000, src = PEER4 as number | Uint8Array): void {
  r.deliver({ src, sport, dport, seq: peerIss, flags: SYN, mss: 1460 });
  const out = r.ip.take();
  assert.equal(out.length, 1);
  assert.equal(out[0]!.seg.flags, SYN | ACK);
  r.deliver({ src, sport, dport, seq: peerIss + 1, ack: ISS + 1, flags: ACK });
}

describe('TcpLayer: segments for no socket (RFC 9293 3.10.7.1)', () => {
  it('answers a SYN with RST/ACK, an ACK with RST at SEG.ACK, and never a RST', () => {
    const r = new Rig();
    r.deliver({ dport: 80, seq: 77, flags: SYN });
    let out = r.ip.take();
    assert.equal(out.length, 1);
    let s = out[0]!.seg;
    assert.equal(s.flags, RST | ACK);
    assert.equal(s.seq, 0);
    assert.equal(s.ack, 78);
    assert.equal(s.srcPort, 80);
    assert.equal(s.dstPort, 40000);
    assert.equal(out[0]!.src4, LOCAL4);
    assert.equal(out[0]!.dst4, PEER4);
    r.deliver({ dport: 80, seq: 77, ack: 1234, flags: ACK, data: new Uint8Array(10) });
    out = r.ip.take();
    s = out[0]!.seg;
    assert.equal(s.flags, RST);
    assert.equal(s.seq, 1234);
    r.deliver({ dport: 80, seq: 77, flags: FIN, data: new Uint8Array(3) });
    assert.equal(r.ip.take()[0]!.seg.ack, 77 + 3 + 1);
    r.deliver({ dport: 80, seq: 77, flags: RST });
    r.deliver({ dport: 80, seq: 77, ack: 1, flags: RST | ACK });
    assert.equal(r.ip.take().length, 0);
    assert.equal(r.layer.counters.NoSocket, 5);
    assert.equal(r.layer.counters.OutRsts, 3);
  });

  it('answers over IPv6 too', () => {
    const r = new Rig();
    r.deliver({ src: PEER6, dport: 22, seq: 1, flags: SYN });
    const out = r.ip.take();
    assert.equal(out[0]!.version, 6);
    assert.deepEqual(out[0]!.src6, LOCAL6);
    assert.deepEqual(out[0]!.dst6, PEER6);
  });

  it('drops bad checksums and truncated headers silently, counted', () => {
    const r = new Rig();
    r.deliver({ dport: 80, seq: 1, flags: SYN, badChecksum: true });
    assert.equal(r.ip.take().length, 0);
    assert.equal(r.layer.counters.InCsumErrors, 1);
    assert.equal(r.layer.counters.drops.get(DropReason.BadChecksum), 1);
    const pkt = new IpPacketInfo();
    pkt.src4 = PEER4;
    pkt.dst4 = LOCAL4;
    pkt.buf = new Uint8Array(12);
    pkt.len = 12;
    r.layer.input(pkt, r.now);
    assert.equal(r.layer.counters.drops.get(DropReason.Truncated), 1);
    assert.equal(r.ip.take().length, 0);
  });
});

describe('TcpLayer: listeners and demux', () => {
  it('completes a passive open and accept() returns the established TCB', () => {
    const r = new Rig();
    const l = asListener(r.layer.listen(0, 80, 16));
    assert.equal(l.readable, false);
    handshake(r, 80, 40001);
    assert.equal(l.readable, true);
    assert.equal(l.acceptQueueLen, 1);
    assert.equal(l.synQueueLen, 0);
    const t = l.accept()!;
    assert.equal(t.state, TcpState.ESTABLISHED);
    assert.equal(l.accept(), undefined);
    // Data on the 4-tuple goes to the connection, not the listener.
    r.deliver({ sport: 40001, dport: 80, seq: 5001, ack: ISS + 1, flags: ACK | PSH, data: new Uint8Array([1, 2, 3]) });
    assert.equal(t.available, 3);
    assert.equal(r.layer.counters.NoSocket, 0);
    assert.equal(r.layer.counters.PassiveOpens, 1);
  });

  it('prefers a listener on the exact address over the wildcard one', () => {
    const r = new Rig();
    const any = asListener(r.layer.listen(0, 80, 16));
    const spec = asListener(r.layer.listen(OTHER4, 80, 16));
    assert.equal(r.layer.listen(OTHER4, 80, 16), -ERRNO.EADDRINUSE);
    assert.equal(r.layer.listen(0, 80, 16), -ERRNO.EADDRINUSE);
    r.deliver({ dst: OTHER4, sport: 1, dport: 80, seq: 10, flags: SYN });
    r.deliver({ dst: LOCAL4, sport: 2, dport: 80, seq: 10, flags: SYN });
    assert.equal(spec.synQueueLen, 1);
    assert.equal(any.synQueueLen, 1);
    const out = r.ip.take();
    assert.equal(out[0]!.src4, OTHER4);
    assert.equal(out[1]!.src4, LOCAL4);
  });

  it('a :: listener takes IPv4 (dual stack) unless v6only; mapped addresses are IPv4', () => {
    const r = new Rig();
    const l6 = asListener(r.layer.listen(new Uint8Array(16), 443, 16));
    handshake(r, 443, 1000);
    handshake(r, 443, 1001, 5000, PEER6);
    assert.equal(l6.acceptQueueLen, 2);
    const r2 = new Rig();
    asListener(r2.layer.listen(new Uint8Array(16), 443, 16, { v6only: true }));
    r2.deliver({ sport: 1, dport: 443, seq: 1, flags: SYN });
    assert.equal(r2.ip.take()[0]!.seg.flags, RST | ACK);
    const r3 = new Rig();
    const lm = asListener(r3.layer.listen(mapped(LOCAL4), 8, 4));
    assert.equal(lm.v4, true);
    handshake(r3, 8, 9);
    assert.equal(lm.acceptQueueLen, 1);
    assert.equal(unmapAddr(mapped(LOCAL4)), LOCAL4);
  });

  it('a listener answers a bare ACK with a reset and ignores a RST', () => {
    const r = new Rig();
    asListener(r.layer.listen(0, 80, 16));
    r.deliver({ dport: 80, seq: 1, ack: 99, flags: ACK });
    const out = r.ip.take();
    assert.equal(out[0]!.seg.flags, RST);
    assert.equal(out[0]!.seg.seq, 99);
    r.deliver({ dport: 80, seq: 1, flags: RST });
    assert.equal(r.ip.take().length, 0);
  });

  it('bounds the queues by the backlog as Linux does, with tcp_abort_on_overflow', () => {
    for (const abort of [0, 1]) {
      const r = new Rig({ 'net.ipv4.tcp_abort_on_overflow': abort });
      const l = asListener(r.layer.listen(0, 80, 2));
      // Two SYNs fill the SYN queue (qlen >= backlog); a third is dropped.
      r.deliver({ sport: 1, dport: 80, seq: 10, flags: SYN });
      r.deliver({ sport: 2, dport: 80, seq: 10, flags: SYN });
      r.deliver({ sport: 3, dport: 80, seq: 10, flags: SYN });
      assert.equal(r.ip.take().length, 2);
      assert.equal(l.drops, 1);
      r.deliver({ sport: 1, dport: 80, seq: 11, ack: ISS + 1, flags: ACK });
      r.deliver({ sport: 2, dport: 80, seq: 11, ack: ISS + 1, flags: ACK });
      r.deliver({ sport: 3, dport: 80, seq: 10, flags: SYN });
      r.deliver({ sport: 4, dport: 80, seq: 10, flags: SYN });
      r.ip.take();
      r.deliver({ sport: 3, dport: 80, seq: 11, ack: ISS + 1, flags: ACK });
      assert.equal(l.acceptQueueLen, 3);
      // The accept queue holds more than the backlog: the last ACK is dropped (or reset).
      r.deliver({ sport: 4, dport: 80, seq: 11, ack: ISS + 1, flags: ACK });
      assert.equal(l.acceptQueueLen, 3);
      assert.equal(l.overflows, 1);
      const out = r.ip.take();
      if (abort) {
        assert.equal(out.length, 1);
        assert.equal(out[0]!.seg.flags & RST, RST);
        assert.equal(l.synQueueLen, 0);
      } else {
        assert.equal(out.length, 0);
        assert.equal(l.synQueueLen, 1);
      }
      // A SYN while the accept queue is full is dropped.
      r.deliver({ sport: 5, dport: 80, seq: 10, flags: SYN });
      assert.equal(r.ip.take().length, 0);
      assert.equal(r.layer.counters.ListenOverflows, 2);
      assert.equal(l.accept()!.state, TcpState.ESTABLISHED);
      assert.equal(l.pollEvents() !== 0, true);
    }
  });

  it('retransmits the SYN-ACK from the layer timer and gives up after tcp_synack_retries', () => {
    const r = new Rig({ 'net.ipv4.tcp_synack_retries': 2 });
    const l = asListener(r.layer.listen(0, 80, 4));
    r.deliver({ sport: 1, dport: 80, seq: 10, flags: SYN });
    assert.equal(r.ip.take().length, 1);
    assert.ok(r.layer.pollAt() !== undefined);
    r.advance(60_000_000);
    assert.equal(r.ip.take().filter((s) => s.seg.flags === (SYN | ACK)).length, 2);
    assert.equal(l.synQueueLen, 0);
    assert.equal(r.layer.connectionCount, 0);
    assert.equal(r.layer.pollAt(), undefined);
  });

  it('closing a listener resets its children', () => {
    const r = new Rig();
    const l = asListener(r.layer.listen(0, 80, 4));
    handshake(r, 80, 1);
    r.deliver({ sport: 2, dport: 80, seq: 10, flags: SYN });
    r.ip.take();
    r.layer.closeListener(l, r.now);
    const out = r.ip.take();
    assert.equal(out.length, 2);
    assert.ok(out.every((s) => (s.seg.flags & RST) !== 0));
    assert.equal(r.layer.connectionCount, 0);
    r.deliver({ sport: 3, dport: 80, seq: 10, flags: SYN });
    assert.equal(r.ip.take()[0]!.seg.flags, RST | ACK);
  });
});

describe('TcpLayer: active open', () => {
  it('connects with an ephemeral port, MSS from the path MTU, and moves data', () => {
    const r = new Rig();
    const t = asTcb(r.layer.connect(PEER4, 80, {}, r.now));
    const syn = r.ip.take()[0]!;
    assert.equal(syn.seg.flags, SYN);
    assert.equal(syn.seg.seq, ISS);
    assert.equal(syn.seg.options.mss, 1460);
    const port = syn.seg.srcPort;
    assert.ok(port >= 32768 && port <= 60999);
    assert.equal(t.localPort, port);
    r.deliver({ sport: 80, dport: port, seq: 9000, ack: ISS + 1, flags: SYN | ACK, mss: 1000 });
    assert.equal(t.state, TcpState.ESTABLISHED);
    assert.equal(r.ip.take()[0]!.seg.flags, ACK);
    const data = new Uint8Array(3000).map((_, i) => i);
    assert.equal(t.send(data, 0, 3000, r.now), 3000);
    r.layer.touch(t);
    const segs = r.ip.take();
    assert.deepEqual(
      segs.map((s) => s.payload.length),
      [1000, 1000, 1000],
    );
    assert.deepEqual(segs[1]!.payload, data.subarray(1000, 2000));
    assert.equal(r.layer.counters.ActiveOpens, 1);
  });

  it('uses MTU - 60 over IPv6 and accepts IPv4-mapped destinations as IPv4', () => {
    const r = new Rig();
    asTcb(r.layer.connect(PEER6, 80, {}, r.now));
    const s6 = r.ip.take()[0]!;
    assert.equal(s6.version, 6);
    assert.equal(s6.seg.options.mss, 1440);
    asTcb(r.layer.connect(mapped(PEER4), 80, {}, r.now));
    const s4 = r.ip.take()[0]!;
    assert.equal(s4.version, 4);
    assert.equal(s4.dst4, PEER4);
  });

  it('picks distinct free ports and reports EADDRNOTAVAIL when the range is used up', () => {
    const r = new Rig({ 'net.ipv4.ip_local_port_range': [40000, 40002] });
    asListener(r.layer.listen(0, 40001, 4));
    const ports = new Set<number>();
    for (let i = 0; i < 2; i++) {
      const t = asTcb(r.layer.connect(PEER4, 80, {}, r.now));
      ports.add(t.localPort);
    }
    assert.deepEqual([...ports].sort(), [40000, 40002]);
    assert.equal(r.layer.connect(PEER4, 80, {}, r.now), -ERRNO.EADDRNOTAVAIL);
    // Another destination reuses the ports (only the 4-tuple must be unique).
    asTcb(r.layer.connect(PEER4, 81, {}, r.now));
    assert.equal(r.layer.connect(PEER4, 81, { localPort: 555 }, r.now) instanceof Tcb, true);
    assert.equal(r.layer.connect(PEER4, 81, { localPort: 555 }, r.now), -ERRNO.EADDRINUSE);
  });

  it('retransmits the SYN from the layer timer, then times out and leaves the table', () => {
    const r = new Rig({ 'net.ipv4.tcp_syn_retries': 2 });
    const t = asTcb(r.layer.connect(PEER4, 80, {}, r.now));
    r.ip.take();
    assert.equal(r.layer.pollAt(), r.now + 1_000_000);
    r.advance(1_000_000);
    assert.equal(r.ip.take().length, 1);
    r.advance(60_000_000);
    assert.equal(t.state, TcpState.CLOSED);
    assert.equal(t.error, ERRNO.ETIMEDOUT);
    assert.equal(r.layer.connectionCount, 0);
  });

  it('a port unreachable for our SYN gives ECONNREFUSED; other errors later are soft', () => {
    const r = new Rig();
    const t = asTcb(r.layer.connect(PEER4, 80, {}, r.now));
    const syn = r.ip.take()[0]!.seg;
    const e = icmpFor(syn.srcPort, 80, ISS, IcmpErrorKind.PortUnreachable, ERRNO.ECONNREFUSED);
    r.layer.errorInput(e, r.now);
    assert.equal(t.state, TcpState.CLOSED);
    assert.equal(t.takeError(), ERRNO.ECONNREFUSED);
    assert.equal(r.layer.connectionCount, 0);
    // Established: a host unreachable is a soft error.
    const t2 = asTcb(r.layer.connect(PEER4, 81, {}, r.now));
    const p2 = r.ip.take()[0]!.seg.srcPort;
    r.deliver({ sport: 81, dport: p2, seq: 1, ack: ISS + 1, flags: SYN | ACK });
    const e2 = icmpFor(p2, 81, ISS + 1, IcmpErrorKind.HostUnreachable, ERRNO.EHOSTUNREACH);
    r.layer.errorInput(e2, r.now);
    assert.equal(t2.state, TcpState.ESTABLISHED);
    assert.equal(r.layer.connOf(t2)!.softError, ERRNO.EHOSTUNREACH);
  });

  it('Packet Too Big lowers the MSS and resends what is in flight at the new size', () => {
    const r = new Rig();
    const t = asTcb(r.layer.connect(PEER6, 80, { sndBuf: 65536 }, r.now));
    const port = r.ip.take()[0]!.seg.srcPort;
    r.deliver({ src: PEER6, sport: 80, dport: port, seq: 1, ack: ISS + 1, flags: SYN | ACK, mss: 1440 });
    r.ip.take();
    const data = new Uint8Array(2880).fill(7);
    assert.equal(t.send(data, 0, data.length, r.now), data.length);
    r.layer.touch(t);
    assert.deepEqual(
      r.ip.take().map((s) => s.payload.length),
      [1440, 1440],
    );
    const e = icmpFor(port, 80, ISS + 1, IcmpErrorKind.PacketTooBig, ERRNO.EMSGSIZE, 6);
    e.mtu = 1280;
    r.layer.errorInput(e, r.now);
    const again = r.ip.take();
    assert.ok(again.length >= 2);
    assert.equal(again[0]!.seg.seq, ISS + 1);
    assert.ok(again.every((s) => s.payload.length <= 1220));
    assert.equal(t.cfg.mtuMss, 1220);
  });
});

describe('TcpLayer: the SegmentSink seam', () => {
  it('a refused send commits nothing; the SYN goes again from the timer once the link takes it', () => {
    const r = new Rig();
    r.ip.refuse = ERRNO.ENOBUFS;
    const t = asTcb(r.layer.connect(PEER4, 80, {}, r.now));
    assert.equal(r.ip.take().length, 0);
    assert.equal(t.state, TcpState.SYN_SENT);
    assert.equal(r.layer.counters.OutRefused, 1);
    r.ip.refuse = 0;
    r.advance(1_000_000);
    const out = r.ip.take();
    assert.equal(out.length, 1);
    assert.equal(out[0]!.seg.flags, SYN);
  });

  it('skips the checksum when the packet was validated below', () => {
    const r = new Rig();
    asListener(r.layer.listen(0, 80, 4));
    const pkt = new IpPacketInfo();
    const b = new Uint8Array(20);
    b[1] = 1; // sport 1
    b[3] = 80; // dport 80
    b[12] = 5 << 4;
    b[13] = SYN;
    b[16] = 0xde; // a wrong checksum, ignored
    pkt.src4 = PEER4;
    pkt.dst4 = LOCAL4;
    pkt.buf = b;
    pkt.len = 20;
    pkt.checksumValidated = true;
    r.layer.input(pkt, r.now);
    assert.equal(r.ip.take()[0]!.seg.flags, SYN | ACK);
    pkt.checksumValidated = false;
    b[1] = 2;
    r.layer.input(pkt, r.now);
    assert.equal(r.ip.take().length, 0);
    assert.equal(r.layer.counters.InCsumErrors, 1);
  });

  it('keeps the timer heap bounded under many re-arms', () => {
    const r = new Rig();
    const l = asListener(r.layer.listen(0, 80, 4));
    handshake(r, 80, 1);
    const t = l.accept()!;
    const one = new Uint8Array(1);
    for (let i = 0; i < 5000; i++) {
      r.now = (r.now + 1000) as typeof r.now;
      t.send(one, 0, 1, r.now);
      r.layer.touch(t);
      r.deliver({ sport: 1, dport: 80, seq: 5001, ack: ISS + 2 + i, flags: ACK });
      r.layer.pollAt();
    }
    assert.ok((r.layer as unknown as { heap: { size: number } }).heap.size <= 512);
  });
});

describe('TcpLayer: TIME-WAIT', () => {
  it('keeps the entry until its deadline; a SYN beyond RCV.NXT reopens the tuple', () => {
    const r = new Rig();
    const l = asListener(r.layer.listen(0, 80, 4));
    handshake(r, 80, 7);
    const t = l.accept()!;
    t.close(r.now);
    r.layer.touch(t);
    const fin = r.ip.take()[0]!.seg;
    assert.equal(fin.flags & FIN, FIN);
    r.deliver({ sport: 7, dport: 80, seq: 5001, ack: ISS + 2, flags: ACK | FIN });
    assert.equal(t.state, TcpState.TIME_WAIT);
    r.ip.take();
    assert.equal(r.layer.connectionCount, 1);
    // An old duplicate SYN (not beyond RCV.NXT) is the TCB's business (challenge ACK), not a new connection.
    r.deliver({ sport: 7, dport: 80, seq: 4000, flags: SYN });
    assert.equal(l.synQueueLen, 0);
    r.ip.take();
    r.deliver({ sport: 7, dport: 80, seq: 90000, flags: SYN });
    const sa = r.ip.take()[0]!.seg;
    assert.equal(sa.flags, SYN | ACK);
    assert.equal(sa.seq, (ISS + 2 + 65537) >>> 0);
    assert.equal(l.synQueueLen, 1);
    assert.equal(r.layer.counters.TimeWaitRecycled, 1);
  });

  it('TIME-WAIT ends after 60 s through the layer timer', () => {
    const r = new Rig();
    const l = asListener(r.layer.listen(0, 80, 4));
    handshake(r, 80, 7);
    const t = l.accept()!;
    t.close(r.now);
    r.layer.touch(t);
    r.deliver({ sport: 7, dport: 80, seq: 5001, ack: ISS + 2, flags: ACK | FIN });
    r.advance(59_000_000);
    assert.equal(r.layer.connectionCount, 1);
    r.advance(2_000_000);
    assert.equal(r.layer.connectionCount, 0);
    assert.equal(r.layer.pollAt(), undefined);
  });
});

describe('demux hashing', () => {
  it('distinguishes tuples and families, and equal tuples hash equally', () => {
    const seen = new Set<number>();
    for (let p = 1; p < 2000; p++) seen.add(hashTuple4(7, LOCAL4, PEER4, 80, p));
    assert.ok(seen.size > 1990);
    assert.notEqual(hashTuple4(7, 1, 2, 3, 4), hashTuple4(7, 2, 1, 4, 3));
    assert.equal(hashTuple6(1, LOCAL6, PEER6, 1, 2), hashTuple6(1, LOCAL6.slice(), PEER6.slice(), 1, 2));
    const a = new TcpTuple().setAddrs(LOCAL4, PEER4);
    const b = new TcpTuple().setAddrs(LOCAL6, PEER6);
    assert.equal(a.sameTuple(b), false);
    assert.equal(a.sameTuple(new TcpTuple().copyTuple(a)), true);
  });
});

function icmpFor(
  sport: number,
  dport: number,
  seq: number,
  kind: IcmpErrorKind,
  errno: number,
  version: 4 | 6 = 4,
): IcmpErrorInfo {
  const e = new IcmpErrorInfo();
  e.kind = kind;
  e.errno = errno;
  e.version = version;
  if (version === 4) {
    e.src4 = LOCAL4;
    e.dst4 = PEER4;
  } else {
    e.src6.set(LOCAL6);
    e.dst6.set(PEER6);
  }
  e.protocol = 6;
  const b = new Uint8Array(20);
  b[0] = sport >>> 8;
  b[1] = sport & 0xff;
  b[2] = dport >>> 8;
  b[3] = dport & 0xff;
  b[4] = seq >>> 24;
  b[5] = (seq >>> 16) & 0xff;
  b[6] = (seq >>> 8) & 0xff;
  b[7] = seq & 0xff;
  e.buf = b;
  e.off = 0;
  e.len = 20;
  return e;
}

