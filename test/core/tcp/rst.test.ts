import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERRNO, LINUX } from '../../../src/core/socket/linux.js';
import { acceptable } from '../../../src/core/tcp/input.js';
import { resetFor, TcpState } from '../../../src/core/tcp/segment.js';
import { TcpRepr } from '../../../src/core/wire/tcp.js';
import { Harness, L, R, seg } from './harness.js';

const NO_TS = { sysctls: { 'net.ipv4.tcp_timestamps': 0 } };
const PLAIN = [['mss', 1460]] as const;

function established(): Harness {
  return Harness.established(NO_TS, PLAIN);
}

describe('RFC 9293 3.10.7.4: segment acceptability (four cases)', () => {
  const N = 1000;
  const cases: [string, number, number, number, boolean][] = [
    // [name, seq, len, wnd, acceptable]
    ['len 0, wnd 0, seq = RCV.NXT', N, 0, 0, true],
    ['len 0, wnd 0, seq != RCV.NXT', N + 1, 0, 0, false],
    ['len 0, wnd > 0, seq in window', N + 99, 0, 100, true],
    ['len 0, wnd > 0, seq = right edge', N + 100, 0, 100, false],
    ['len 0, wnd > 0, seq before RCV.NXT', N - 1, 0, 100, false],
    ['len > 0, wnd 0', N + 1, 10, 0, false],
    ['len > 0, wnd > 0, starts in window', N + 95, 10, 100, true],
    ['len > 0, wnd > 0, ends in window', N - 5, 10, 100, true],
    ['len > 0, wnd > 0, entirely old', N - 10, 10, 100, false],
    ['len > 0, wnd > 0, beyond the window', N + 100, 10, 100, false],
    ['across 2^32', 0xfffffffa, 10, 100, false],
  ];
  for (const [name, seq, len, wnd, ok] of cases) {
    test(name, () => assert.equal(acceptable(seq >>> 0, len, N, wnd), ok));
  }
  test('across 2^32 with RCV.NXT near the wrap', () => {
    assert.equal(acceptable(5, 10, 0xfffffffe, 100), true);
    assert.equal(acceptable(0xfffffff0, 10, 0xfffffffe, 100), false);
    assert.equal(acceptable(0xfffffff8, 10, 0xfffffffe, 100), true);
  });
});

describe('RST processing (RFC 9293 3.10.7.4, RFC 5961 3)', () => {
  test('ESTABLISHED: RST at RCV.NXT resets; ECONNRESET once after the queued data; EPIPE on write', () => {
    const h = established();
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'data' });
    h.expect({ flags: '.', seq: L + 1, ack: R + 5 });
    h.deliver({ flags: 'R', seq: R + 5 });
    h.expectState(TcpState.CLOSED);
    h.expectNothing();
    const ev = h.tcb.pollEvents();
    for (const bit of [LINUX.EPOLLIN, LINUX.EPOLLOUT, LINUX.EPOLLERR, LINUX.EPOLLHUP, LINUX.EPOLLRDHUP]) {
      assert.ok(ev & bit, `poll bit ${bit}`);
    }
    assert.equal(h.recv(), 'data', 'the receive queue is kept');
    assert.equal(h.tcb.recv(new Uint8Array(4), 0, 4), -ERRNO.ECONNRESET);
    assert.equal(h.tcb.recv(new Uint8Array(4), 0, 4), 0);
    assert.equal(h.send('x'), -ERRNO.EPIPE);
    assert.equal(h.tcb.pollAt(), undefined);
  });

  test('ESTABLISHED: SO_ERROR read first consumes the error; the data stays readable', () => {
    const h = established();
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'data' });
    h.deliver({ flags: 'R.', seq: R + 5, ack: L + 1 });
    assert.equal(h.tcb.takeError(), ERRNO.ECONNRESET);
    assert.equal(h.tcb.takeError(), 0);
    assert.equal(h.recv(), 'data');
    assert.equal(h.recv(), '');
  });

  test('CLOSE-WAIT: a reset leaves EPIPE; reads give the data then EOF', () => {
    const h = established();
    h.deliver({ flags: 'FP.', seq: R + 1, ack: L + 1, data: 'data' });
    h.deliver({ flags: 'R', seq: R + 6 });
    h.expectState(TcpState.CLOSED);
    assert.equal(h.recv(), 'data');
    assert.equal(h.recv(), '');
    assert.equal(h.tcb.error, ERRNO.EPIPE);
    assert.equal(h.send('x'), -ERRNO.EPIPE);
  });

  test('in-window RST not at RCV.NXT: challenge ACK, connection stays; rate-limited to one per 500 ms', () => {
    const h = established();
    h.deliver({ flags: 'R', seq: R + 10 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1 });
    h.expectState(TcpState.ESTABLISHED);
    h.advanceMs(100);
    h.deliver({ flags: 'R', seq: R + 20 });
    h.expectNothing();
    h.advanceMs(400);
    h.deliver({ flags: 'R', seq: R + 20 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1, at: 600_000 });
    h.deliver({ flags: 'R', seq: R + 1 });
    h.expectState(TcpState.CLOSED);
  });

  test('RST outside the window is dropped silently', () => {
    const h = established();
    h.deliver({ flags: 'R', seq: R });
    h.deliver({ flags: 'R', seq: R + 1 + 200_000 });
    h.expectNothing();
    h.expectState(TcpState.ESTABLISHED);
  });

  test('SYN in ESTABLISHED: challenge ACK (RFC 5961 4), whatever its SEQ', () => {
    const h = established();
    h.deliver({ flags: 'S', seq: R + 1000, options: [['mss', 1460]] });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1 });
    h.expectState(TcpState.ESTABLISHED);
    h.advanceMs(600);
    h.deliver({ flags: 'S', seq: R - 5 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1 });
  });

  test('RST in FIN-WAIT-2, LAST-ACK, TIME-WAIT', () => {
    const h = established();
    h.tcb.shutdownWrite();
    h.deliver({ flags: '.', seq: R + 1, ack: L + 2 });
    h.expectState(TcpState.FIN_WAIT_2);
    h.deliver({ flags: 'R', seq: R + 1 });
    h.expectState(TcpState.CLOSED);
    assert.equal(h.tcb.error, ERRNO.ECONNRESET);

    const t = established();
    t.tcb.shutdownWrite();
    t.deliver({ flags: 'F.', seq: R + 1, ack: L + 2 });
    t.expectState(TcpState.TIME_WAIT);
    t.deliver({ flags: 'R', seq: R + 2 });
    t.expectState(TcpState.CLOSED);
    assert.equal(t.tcb.error, 0);

    const a = established();
    a.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
    a.tcb.close();
    a.expectState(TcpState.LAST_ACK);
    a.deliver({ flags: 'R', seq: R + 2 });
    a.expectState(TcpState.CLOSED);
    assert.equal(a.tcb.error, 0);
  });
});

describe('unacceptable segments (RFC 9293 3.10.7.4 first check)', () => {
  test('a pure ACK left of the window gets a duplicate ACK, rate-limited', () => {
    const h = established();
    h.deliver({ flags: '.', seq: R - 100, ack: L + 1 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1 });
    h.deliver({ flags: '.', seq: R - 100, ack: L + 1 });
    h.expectNothing();
  });

  test('data beyond the window: ACK each time (data is not rate-limited)', () => {
    const h = Harness.established({ ...NO_TS, sock: { rcvBuf: 500 } }, PLAIN);
    h.deliver({ flags: '.', seq: R + 5000, ack: L + 1, data: 10 });
    h.deliver({ flags: '.', seq: R + 5000, ack: L + 1, data: 10 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1 }, { flags: '.', seq: L + 1, ack: R + 1 });
  });

  test('an ACK for data not yet sent: segment dropped without an answer (Linux tcp_ack)', () => {
    const h = established();
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 100, data: 'abc' });
    h.expectNothing();
    assert.equal(h.tcb.available, 0);
    assert.equal(h.tcb.snd.una, (L + 1) >>> 0);
  });

  test('a segment without ACK is dropped', () => {
    const h = established();
    h.deliver({ flags: 'P', seq: R + 1, data: 'abc' });
    h.expectNothing();
    assert.equal(h.tcb.available, 0);
  });
});

describe('resetFor (RFC 9293 3.10.7.1)', () => {
  test('ACK set: <SEQ=SEG.ACK><CTL=RST>; otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>', () => {
    const out = new TcpRepr();
    const a = seg({ flags: 'P.', seq: 100, ack: 555, data: 'xx' }).repr;
    assert.ok(resetFor(a, out));
    assert.equal(out.toString(), 'Flags [R], seq 555, win 0, length 0');
    assert.equal(out.srcPort, a.dstPort);
    const s = seg({ flags: 'S', seq: 0xffffffff }).repr;
    assert.ok(resetFor(s, out));
    assert.equal(out.toString(), 'Flags [R.], seq 0, ack 0, win 0, length 0');
    const f = seg({ flags: 'FP', seq: 10, data: 'abc' }).repr;
    assert.ok(resetFor(f, out));
    assert.equal(out.ack, 14);
    assert.equal(resetFor(seg({ flags: 'R', seq: 1 }).repr, out), false);
  });
});
