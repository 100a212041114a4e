/**
 * The inactivity sweep (src/core/tcp/inactivity.ts) through a TcpLayer over a fake IP layer:
 * the knob, the [T, 2T] bounds, what clears the bit, which states it covers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ERRNO } from '../../../src/core/socket/linux.js';
import { Sysctls } from '../../../src/core/stack/sysctl.js';
import { INACTIVITY_SYSCTL, inactivityCovers } from '../../../src/core/tcp/inactivity.js';
import { TcpListener } from '../../../src/core/tcp/listener.js';
import { TcpState } from '../../../src/core/tcp/segment.js';
import type { Tcb } from '../../../src/core/tcp/tcb.js';
import type { Instant } from '../../../src/core/time/time.js';
import { TcpFlag } from '../../../src/core/wire/tcp.js';
import { Rig } from './layer-helpers.js';

const { SYN, ACK, RST, FIN } = TcpFlag;
const ISS = 1000;
const PEER_ISS = 5000;
const S = 1_000_000;

/** A rig with the sweep every `t` seconds and one accepted connection from port `sport`. */
function established(t: number, sport = 7): { r: Rig; tcb: Tcb } {
  const r = new Rig({ [INACTIVITY_SYSCTL]: t });
  const l = r.layer.listen(0, 80, 8);
  assert.ok(l instanceof TcpListener);
  r.deliver({ sport, dport: 80, seq: PEER_ISS, flags: SYN, mss: 1460 });
  r.deliver({ sport, dport: 80, seq: PEER_ISS + 1, ack: ISS + 1, flags: ACK });
  const tcb = l.accept();
  assert.ok(tcb !== undefined && tcb.state === TcpState.ESTABLISHED);
  r.ip.take();
  return { r, tcb };
}

/**
 * Runs the layer's deadlines up to `end` (µs), one at a time, and returns the instant of the first
 * reset the layer sent (to `port` when given; undefined if none); segments stay in `r.ip`.
 */
function runTo(r: Rig, end: number, port?: number): number | undefined {
  let rstAt: number | undefined;
  for (;;) {
    const at = r.layer.pollAt();
    if (at === undefined || at > end) break;
    r.now = Math.max(r.now, at) as Instant;
    const before = r.ip.sent.length;
    r.layer.poll(r.now);
    const fresh = r.ip.sent.slice(before);
    const hit = fresh.some((s) => (s.seg.flags & RST) !== 0 && (port === undefined || s.seg.dstPort === port));
    if (rstAt === undefined && hit) rstAt = r.now;
  }
  r.now = Math.max(r.now, end) as Instant;
  return rstAt;
}

/** An in-window duplicate ACK from the peer (no answer due). */
function peerAck(r: Rig, sport = 7): void {
  r.deliver({ sport, dport: 80, seq: PEER_ISS + 1, ack: ISS + 1, flags: ACK });
}

describe('inactivity sweep: the knob', () => {
  it('net.wirestack.tcp_inactivity_interval defaults to 7200 s and takes 0..2^31-1', () => {
    const s = new Sysctls();
    assert.equal(s.int(INACTIVITY_SYSCTL), 7200);
    assert.equal(s.set(INACTIVITY_SYSCTL, '-1'), ERRNO.EINVAL);
    assert.equal(s.set(INACTIVITY_SYSCTL, '60 60'), ERRNO.EINVAL);
    assert.equal(s.set('/proc/sys/net/wirestack/tcp_inactivity_interval', '0'), 0);
    assert.equal(s.int(INACTIVITY_SYSCTL), 0);
  });

  it('interval 0: no deadline, an idle connection lives forever', () => {
    const { r, tcb } = established(0);
    assert.equal(r.layer.pollAt(), undefined);
    assert.equal(runTo(r, r.now + 30 * 24 * 3600 * S), undefined);
    assert.equal(tcb.state, TcpState.ESTABLISHED);
    assert.equal(r.layer.connectionCount, 1);
    assert.equal(r.layer.counters.InactivityResets, 0);
  });

  it('no deadline while the table is empty; armed T after the first connection appears', () => {
    const r = new Rig({ [INACTIVITY_SYSCTL]: 60 });
    const l = r.layer.listen(0, 80, 8);
    assert.ok(l instanceof TcpListener);
    assert.equal(r.layer.pollAt(), undefined, 'a listener alone is not swept');
    r.deliver({ sport: 9, dport: 80, seq: PEER_ISS, flags: SYN });
    const t0 = r.now;
    r.deliver({ sport: 9, dport: 80, seq: PEER_ISS + 1, ack: ISS + 1, flags: ACK });
    // The SYN-ACK's retransmission timer is gone; what is left is the sweep.
    assert.equal(r.layer.pollAt(), t0 + 60 * S);
  });
});

describe('inactivity sweep: [T, 2T] after the last event', () => {
  it('an idle connection is reset at the second sweep: R. with SEQ = SND.NXT, ETIMEDOUT locally', () => {
    const { r, tcb } = established(7200);
    const t0 = r.now;
    assert.equal(runTo(r, t0 + 7200 * S), undefined, 'the first sweep only marks');
    assert.equal(tcb.state, TcpState.ESTABLISHED);
    const at = runTo(r, t0 + 3 * 7200 * S);
    assert.equal(at, t0 + 2 * 7200 * S);
    const out = r.ip.take();
    assert.equal(out.length, 1);
    assert.equal(out[0]!.seg.flags, RST | ACK);
    assert.equal(out[0]!.seg.seq, ISS + 1);
    assert.equal(out[0]!.seg.ack, PEER_ISS + 1);
    assert.equal(tcb.state, TcpState.CLOSED);
    assert.equal(tcb.error, ERRNO.ETIMEDOUT);
    assert.equal(r.layer.connectionCount, 0);
    assert.equal(r.layer.counters.InactivityResets, 1);
    assert.equal(r.layer.counters.OutRsts, 1);
    assert.equal(r.layer.pollAt(), undefined);
  });

  it('a segment from the peer clears the bit', () => {
    const { r, tcb } = established(60);
    const t0 = r.now;
    runTo(r, t0 + 90 * S); // marked at 60 s
    peerAck(r);
    assert.equal(runTo(r, t0 + 150 * S), undefined, 'the sweep at 120 s only marks again');
    assert.equal(tcb.state, TcpState.ESTABLISHED);
    assert.equal(runTo(r, t0 + 200 * S), t0 + 180 * S);
    assert.equal(tcb.state, TcpState.CLOSED);
  });

  it('a user call clears the bit (touch after recv, even one that returns EAGAIN)', () => {
    const { r, tcb } = established(60);
    const t0 = r.now;
    runTo(r, t0 + 90 * S);
    assert.equal(tcb.recv(new Uint8Array(10), 0, 10, r.now), -ERRNO.EAGAIN);
    r.layer.touch(tcb);
    assert.equal(runTo(r, t0 + 150 * S), undefined);
    assert.equal(runTo(r, t0 + 200 * S), t0 + 180 * S);
  });

  it('without clearing, the first sweep marks and the second resets (control for the two above)', () => {
    const { r } = established(60);
    const t0 = r.now;
    assert.equal(runTo(r, t0 + 200 * S), t0 + 120 * S);
  });

  it('property: events less than T apart keep it; after the last one the reset comes within [T, 2T]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.boolean()), {
          maxLength: 20,
        }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (tSec, events, phase) => {
          const T = tSec * S;
          // An earlier connection (port 11) fixes the sweeps' phase somewhere in the interval.
          const { r } = established(tSec, 11);
          runTo(r, r.now + Math.floor(phase * T));
          const l = r.layer.listen(0, 81, 8);
          assert.ok(l instanceof TcpListener);
          r.deliver({ sport: 7, dport: 81, seq: PEER_ISS, flags: SYN, mss: 1460 });
          r.deliver({ sport: 7, dport: 81, seq: PEER_ISS + 1, ack: ISS + 1, flags: ACK });
          const tcb = l.accept()!;
          assert.equal(tcb.state, TcpState.ESTABLISHED);
          let last = r.now;
          for (const [g, inbound] of events) {
            assert.equal(runTo(r, r.now + Math.floor(g * T), 7), undefined, 'reset while active');
            if (inbound) r.deliver({ sport: 7, dport: 81, seq: PEER_ISS + 1, ack: ISS + 1, flags: ACK });
            else r.layer.touch(tcb);
            last = r.now;
          }
          const at = runTo(r, last + 3 * T, 7);
          assert.ok(at !== undefined, 'reset within 3T');
          assert.ok(at - last >= T && at - last <= 2 * T, `reset ${at - last} µs after the last event, T = ${T}`);
          assert.equal(tcb.state, TcpState.CLOSED);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('inactivity sweep: covered states', () => {
  it('covers ESTABLISHED and the closing states, not the handshake, TIME-WAIT or CLOSED', () => {
    const yes: TcpState[] = [TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, TcpState.CLOSE_WAIT];
    yes.push(TcpState.CLOSING, TcpState.LAST_ACK);
    const no = [TcpState.SYN_SENT, TcpState.SYN_RECEIVED, TcpState.TIME_WAIT, TcpState.CLOSED, TcpState.LISTEN];
    for (const s of yes) assert.equal(inactivityCovers(s), true, String(s));
    for (const s of no) assert.equal(inactivityCovers(s), false, String(s));
  });

  it('CLOSE-WAIT (the peer closed, the application never does) is reset', () => {
    const { r, tcb } = established(60);
    r.deliver({ sport: 7, dport: 80, seq: PEER_ISS + 1, ack: ISS + 1, flags: ACK | FIN });
    assert.equal(tcb.state, TcpState.CLOSE_WAIT);
    r.ip.take();
    const t0 = r.now;
    assert.equal(runTo(r, t0 + 200 * S), t0 + 120 * S);
    const rst = r.ip.take().find((s) => s.seg.flags & RST)!;
    assert.equal(rst.seg.seq, ISS + 1);
    assert.equal(rst.seg.ack, PEER_ISS + 2);
  });

  it('FIN-WAIT-2 after shutdown(SHUT_WR) (no fin timeout applies) is reset', () => {
    const { r, tcb } = established(60);
    tcb.shutdownWrite(r.now);
    r.layer.touch(tcb);
    r.deliver({ sport: 7, dport: 80, seq: PEER_ISS + 1, ack: ISS + 2, flags: ACK });
    assert.equal(tcb.state, TcpState.FIN_WAIT_2);
    r.ip.take();
    const t0 = r.now;
    assert.equal(runTo(r, t0 + 200 * S), t0 + 120 * S);
    assert.equal(r.ip.take().find((s) => s.seg.flags & RST)!.seg.seq, ISS + 2);
  });

  it('TIME-WAIT is left to its own 60 s timer (no reset sent)', () => {
    const { r, tcb } = established(1);
    tcb.close(r.now);
    r.layer.touch(tcb);
    r.deliver({ sport: 7, dport: 80, seq: PEER_ISS + 1, ack: ISS + 2, flags: ACK | FIN });
    assert.equal(tcb.state, TcpState.TIME_WAIT);
    r.ip.take();
    const t0 = r.now;
    assert.equal(runTo(r, t0 + 59 * S), undefined);
    assert.equal(r.layer.connectionCount, 1);
    runTo(r, t0 + 61 * S);
    assert.equal(r.layer.connectionCount, 0);
    assert.equal(r.layer.counters.InactivityResets, 0);
    assert.equal(r.layer.pollAt(), undefined);
  });

  it('SYN-RECEIVED is left to its SYN-ACK retries', () => {
    const r = new Rig({ [INACTIVITY_SYSCTL]: 1, 'net.ipv4.tcp_synack_retries': 3 });
    const l = r.layer.listen(0, 80, 8);
    assert.ok(l instanceof TcpListener);
    r.deliver({ sport: 7, dport: 80, seq: PEER_ISS, flags: SYN });
    const t0 = r.now;
    assert.equal(runTo(r, t0 + 5 * S), undefined, 'not reset at 2T..5T');
    assert.equal(l.synQueueLen, 1);
    assert.equal(r.layer.counters.InactivityResets, 0);
  });
});

describe('inactivity sweep: changing the interval', () => {
  it('takes effect at once; bits set under the old interval do not shorten the new one', () => {
    const { r, tcb } = established(7200);
    const t0 = r.now;
    runTo(r, t0 + 7200 * S); // marked under 7200 s
    r.sysctls.set(INACTIVITY_SYSCTL, '60');
    const t1 = r.now;
    assert.equal(r.layer.pollAt(), t1 + 60 * S);
    assert.equal(runTo(r, t1 + 60 * S), undefined, 'the first sweep after the change only marks');
    assert.equal(runTo(r, t1 + 200 * S), t1 + 120 * S);
    assert.equal(tcb.error, ERRNO.ETIMEDOUT);
  });

  it('turning it off disarms the deadline', () => {
    const { r } = established(60);
    assert.ok(r.layer.pollAt() !== undefined);
    r.sysctls.set(INACTIVITY_SYSCTL, '0');
    assert.equal(r.layer.pollAt(), undefined);
  });
});
