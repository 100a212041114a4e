import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERRNO, LINUX } from '../../../src/core/socket/linux.js';
import { TcpState } from '../../../src/core/tcp/segment.js';
import { Harness, L, R } from './harness.js';

const NO_TS = { sysctls: { 'net.ipv4.tcp_timestamps': 0 } };
const PLAIN = [['mss', 1460]] as const;

function established(): Harness {
  return Harness.established(NO_TS, PLAIN);
}

describe('active close: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT', () => {
  test('shutdown: FIN; its ACK: FIN-WAIT-2; the peer FIN: ACK at once, TIME-WAIT for exactly 60 s', () => {
    const h = established();
    h.tcb.shutdownWrite();
    h.expect({ flags: 'F.', seq: L + 1, ack: R + 1 });
    h.expectState(TcpState.FIN_WAIT_1);
    assert.equal(h.send('x'), -ERRNO.EPIPE);
    h.deliver({ flags: '.', seq: R + 1, ack: L + 2 });
    h.expectState(TcpState.FIN_WAIT_2);
    assert.equal(h.tcb.pollAt(), undefined, 'no FIN-WAIT-2 timer without close()');
    h.deliver({ flags: 'F.', seq: R + 1, ack: L + 2 });
    h.expect({ flags: '.', seq: L + 2, ack: R + 2 });
    h.expectState(TcpState.TIME_WAIT);
    const t0 = h.now;
    assert.equal(h.tcb.pollAt(), t0 + 60_000_000);
    h.advance(60_000_000 - 1);
    h.expectState(TcpState.TIME_WAIT);
    h.advance(1);
    h.expectState(TcpState.CLOSED);
    h.expectNothing();
    assert.equal(h.tcb.error, 0);
    assert.equal(h.recv(), '');
  });

  test('data then FIN', () => {
    const h = established();
    h.send('abc');
    h.tcb.shutdownWrite();
    // Nagle does not hold a FIN: it follows at once.
    h.expect({ flags: 'P.', seq: L + 1, data: 'abc' }, { flags: 'F.', seq: L + 4, ack: R + 1 });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 5 });
    h.expectState(TcpState.FIN_WAIT_2);
    assert.equal(h.tcb.sndQueue.length, 0);
  });

  test('FIN with unsent data rides on the last data segment', () => {
    const h2 = established();
    h2.sink.refuse = true;
    h2.send('abc');
    h2.tcb.shutdownWrite();
    h2.sink.refuse = false;
    h2.advance(300_000);
    h2.expect({ flags: 'FP.', seq: L + 1, ack: R + 1, data: 'abc' });
  });

  test('FIN+ACK of our FIN in FIN-WAIT-1: straight to TIME-WAIT', () => {
    const h = established();
    h.tcb.shutdownWrite();
    h.expect({ flags: 'F.', seq: L + 1 });
    h.deliver({ flags: 'F.', seq: R + 1, ack: L + 2 });
    h.expect({ flags: '.', seq: L + 2, ack: R + 2 });
    h.expectState(TcpState.TIME_WAIT);
  });

  test('simultaneous close: FIN-WAIT-1 -> CLOSING -> TIME-WAIT', () => {
    const h = established();
    h.tcb.shutdownWrite();
    h.expect({ flags: 'F.', seq: L + 1, ack: R + 1 });
    h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
    h.expectState(TcpState.CLOSING);
    h.expect({ flags: '.', seq: L + 2, ack: R + 2 });
    h.deliver({ flags: '.', seq: R + 2, ack: L + 2 });
    h.expectState(TcpState.TIME_WAIT);
    h.expectNothing();
  });

  test('the FIN is retransmitted on RTO', () => {
    const h = established();
    h.tcb.shutdownWrite();
    h.expect({ flags: 'F.', seq: L + 1, at: 100_000 });
    h.advance(300_000);
    h.expect({ flags: 'F.', seq: L + 1, ack: R + 1, at: 400_000 });
  });

  test('TIME-WAIT: a retransmitted FIN is ACKed and restarts the 60 s', () => {
    const h = established();
    h.tcb.shutdownWrite();
    h.deliver({ flags: 'F.', seq: R + 1, ack: L + 2 });
    h.expect({ flags: 'F.', seq: L + 1 }, { flags: '.', seq: L + 2, ack: R + 2 });
    h.advance(30_000_000);
    h.deliver({ flags: 'F.', seq: R + 1, ack: L + 2 });
    h.expect({ flags: '.', seq: L + 2, ack: R + 2 });
    assert.equal(h.tcb.pollAt(), h.now + 60_000_000);
  });

  test('close() in FIN-WAIT-2: gone after tcp_fin_timeout (60 s)', () => {
    const h = established();
    h.tcb.close();
    h.expect({ flags: 'F.', seq: L + 1 });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 2 });
    h.expectState(TcpState.FIN_WAIT_2);
    h.advance(60_000_000 - 1);
    h.expectState(TcpState.FIN_WAIT_2);
    h.advance(1);
    h.expectState(TcpState.CLOSED);
  });

  test('close() then new data from the peer: reset', () => {
    const h = established();
    h.tcb.close();
    h.expect({ flags: 'F.', seq: L + 1 });
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 2, data: 'late' });
    h.expect({ flags: 'R', seq: L + 2 });
    h.expectState(TcpState.CLOSED);
  });
});

describe('passive close: CLOSE-WAIT, LAST-ACK', () => {
  test('FIN in ESTABLISHED: CLOSE-WAIT, EOF, ACK at once when no data came before', () => {
    const h = established();
    h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
    h.expectState(TcpState.CLOSE_WAIT);
    h.expect({ flags: '.', seq: L + 1, ack: R + 2 });
    assert.equal(h.tcb.eof, true);
    assert.equal(h.recv(), '');
    assert.ok(h.tcb.pollEvents() & LINUX.EPOLLRDHUP);
    // Still writable in CLOSE-WAIT.
    assert.equal(h.send('bye'), 3);
    h.expect({ flags: 'P.', seq: L + 1, ack: R + 2, data: 'bye' });
    h.tcb.close();
    h.expectState(TcpState.LAST_ACK);
    h.deliver({ flags: '.', seq: R + 2, ack: L + 4 });
    h.expect({ flags: 'F.', seq: L + 4, ack: R + 2 });
    h.deliver({ flags: '.', seq: R + 2, ack: L + 5 });
    h.expectState(TcpState.CLOSED);
    assert.equal(h.tcb.pollAt(), undefined);
  });

  test('FIN after data: the ACK waits for the application (delayed 40 ms)', () => {
    const h = established();
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'abc' });
    h.expect({ flags: '.', seq: L + 1, ack: R + 4 });
    h.advanceMs(100);
    const t0 = h.now;
    h.deliver({ flags: 'F.', seq: R + 4, ack: L + 1 });
    h.expectNothing();
    h.advanceMs(40);
    h.expect({ flags: '.', seq: L + 1, ack: R + 5, at: t0 + 40_000 });
  });

  test('FIN after data: close() in time sends one FIN carrying the ACK', () => {
    const h = established();
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'abc' });
    h.expect({ flags: '.', seq: L + 1, ack: R + 4 });
    h.deliver({ flags: 'F.', seq: R + 4, ack: L + 1 });
    assert.equal(h.recv(), 'abc');
    h.tcb.close();
    h.expect({ flags: 'F.', seq: L + 1, ack: R + 5 });
    h.expectState(TcpState.LAST_ACK);
  });

  test('FIN together with data', () => {
    const h = established();
    h.deliver({ flags: 'FP.', seq: R + 1, ack: L + 1, data: 'xyz' });
    // The FIN switches to interactive mode: even the first data is ACKed after 40 ms.
    h.expectNothing();
    h.advanceMs(40);
    h.expect({ flags: '.', seq: L + 1, ack: R + 5, at: 140_000 });
    h.expectState(TcpState.CLOSE_WAIT);
    assert.equal(h.recv(), 'xyz');
    assert.equal(h.recv(), '');
  });

  test('FIN out of order waits for the hole', () => {
    const h = established();
    h.deliver({ flags: 'F.', seq: R + 4, ack: L + 1 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1 });
    h.expectState(TcpState.ESTABLISHED);
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'abc' });
    h.expectState(TcpState.CLOSE_WAIT);
    assert.equal(h.tcb.rcv.nxt, (R + 5) >>> 0);
    assert.equal(h.recv(), 'abc');
  });

  test('close() with unread data: R. instead of FIN (RFC 2525)', () => {
    const h = established();
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'unread' });
    h.expect({ flags: '.', seq: L + 1, ack: R + 7 });
    h.tcb.close();
    h.expect({ flags: 'R.', seq: L + 1, ack: R + 7 });
    h.expectState(TcpState.CLOSED);
  });

  test('close() in SYN-SENT: CLOSED without a segment', () => {
    const h = Harness.active(NO_TS);
    h.expect({ flags: 'S', seq: L });
    h.tcb.close();
    h.expectState(TcpState.CLOSED);
    h.expectNothing();
    assert.equal(h.tcb.pollAt(), undefined);
  });

  test('shutdown in SYN-RECEIVED: the FIN goes once established', () => {
    const h = Harness.passive([['mss', 1460]]);
    h.expect({ flags: 'S.', seq: L });
    h.tcb.shutdownWrite();
    h.expectNothing();
    h.deliver({ flags: '.', seq: R + 1, ack: L + 1 });
    h.expectState(TcpState.FIN_WAIT_1);
    h.expect({ flags: 'F.', seq: L + 1, ack: R + 1 });
  });
});

describe('abort', () => {
  test('abort(): R. with SEQ = SND.NXT, CLOSED; later segments get a plain R', () => {
    const h = established();
    h.send('abc');
    h.tcb.abort();
    h.expect({ flags: 'P.', seq: L + 1, data: 'abc' }, { flags: 'R.', seq: L + 4, ack: R + 1 });
    h.expectState(TcpState.CLOSED);
    assert.equal(h.tcb.pollAt(), undefined);
    h.deliver({ flags: '.', seq: R + 1, ack: L + 4 });
    h.expect({ flags: 'R', seq: L + 4 });
    h.deliver({ flags: 'P', seq: R + 1, data: 'ab' });
    h.expect({ flags: 'R.', seq: 0, ack: R + 3 });
    h.deliver({ flags: 'R', seq: R + 1 });
    h.expectNothing();
  });
});

describe('a FIN in each state (RFC 9293 3.10.7, eighth step)', () => {
  test('SYN-SENT: a FIN without SYN is dropped', () => {
    const h = Harness.active(NO_TS);
    h.expect({ flags: 'S', seq: L });
    h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
    h.expectNothing();
    h.expectState(TcpState.SYN_SENT);
  });

  test('SYN-RECEIVED: the ACK completes the handshake, the FIN moves on to CLOSE-WAIT', () => {
    const h = Harness.passive([['mss', 1460]]);
    h.expect({ flags: 'S.', seq: L });
    h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
    h.expectState(TcpState.CLOSE_WAIT);
    h.expect({ flags: '.', seq: L + 1, ack: R + 2 });
  });

  for (const [name, setup, state] of [
    [
      'CLOSE-WAIT',
      (h: Harness) => {
        h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
      },
      TcpState.CLOSE_WAIT,
    ],
    [
      'CLOSING',
      (h: Harness) => {
        h.tcb.shutdownWrite();
        h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
      },
      TcpState.CLOSING,
    ],
    [
      'LAST-ACK',
      (h: Harness) => {
        h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
        h.tcb.shutdownWrite();
      },
      TcpState.LAST_ACK,
    ],
  ] as const) {
    test(`${name}: a retransmitted FIN is answered with an ACK, the state stays`, () => {
      const h = established();
      setup(h);
      h.expectState(state);
      h.sink.sent.length = 0;
      // Twice: a FIN occupies sequence space, so its answer is not rate-limited.
      h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
      h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
      h.expectState(state);
      const s = h.sink.sent.splice(0);
      assert.equal(s.length, 2);
      assert.equal(s[0]!.repr.ack, (R + 2) >>> 0);
      assert.equal(s[1]!.repr.ack, (R + 2) >>> 0);
    });
  }

  test('CLOSED: a FIN draws a reset', () => {
    const h = established();
    h.tcb.abort();
    h.sink.sent.length = 0;
    h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
    h.expect({ flags: 'R', seq: L + 1 });
  });
});
