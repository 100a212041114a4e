import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERRNO } from '../../../src/core/socket/linux.js';
import { TcpState } from '../../../src/core/tcp/segment.js';
import { Harness, L, R } from './harness.js';

const NO_TS = { sysctls: { 'net.ipv4.tcp_timestamps': 0 } };
/** Peer without window scaling: windows are plain byte counts. */
const PLAIN = [['mss', 1460]] as const;
const SACK = [['mss', 1460], 'nop', 'nop', 'sackOK'] as const;

describe('ESTABLISHED: sending', () => {
  test('one write goes out at once with PSH; the ACK stops the timer', () => {
    const h = Harness.established(NO_TS);
    assert.equal(h.send('hello'), 5);
    h.expect({ flags: 'P.', seq: L + 1, ack: R + 1, win: 128, data: 'hello', at: 100_000 });
    assert.ok(h.tcb.rtxAt !== undefined);
    h.deliver({ flags: '.', seq: R + 1, ack: L + 6 });
    assert.equal(h.tcb.snd.una, (L + 6) >>> 0);
    assert.equal(h.tcb.rtxAt, undefined);
    assert.equal(h.tcb.sndQueue.length, 0);
    h.expectNothing();
  });

  test('a large write is cut at the MSS; PSH on the last full segment and the tail (Linux)', () => {
    // Where Linux puts PSH (google corpus tcp/nagle/https_client.pkt): also on the full segment
    // before a write's sub-MSS tail.
    const h = Harness.established(NO_TS, PLAIN);
    assert.equal(h.send(5000), 5000);
    h.expect(
      { flags: '.', seq: L + 1, data: 1460 },
      { flags: '.', seq: L + 1461, data: 1460 },
      { flags: 'P.', seq: L + 2921, data: 1460 },
      { flags: 'P.', seq: L + 4381, data: 620 },
    );
  });

  test('Nagle holds a small segment while one is unacknowledged', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.send('a');
    h.send('b');
    h.send('c');
    h.expect({ flags: 'P.', seq: L + 1, data: 'a' });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 2 });
    h.expect({ flags: 'P.', seq: L + 2, data: 'bc' });
  });

  test('TCP_NODELAY sends every write', () => {
    const h = Harness.established({ ...NO_TS, sock: { nodelay: true } }, PLAIN);
    h.send('a');
    h.send('b');
    h.expect({ flags: 'P.', seq: L + 1, data: 'a' }, { flags: 'P.', seq: L + 2, data: 'b' });
  });

  test("the peer's window limits what is in flight", () => {
    const h = Harness.established(NO_TS, PLAIN, 2000);
    h.send(4000);
    // The last segment of a burst the window stops carries PSH (Linux sends it as one TSO packet).
    h.expect({ flags: 'P.', seq: L + 1, data: 1460 });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 1461, win: 2000 });
    h.expect({ flags: 'P.', seq: L + 1461, data: 1460 });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 2921, win: 3000 });
    h.expect({ flags: 'P.', seq: L + 2921, data: 1080 });
  });

  test('IW10: ten full segments, then wait for ACKs', () => {
    const h = Harness.established({ ...NO_TS, sock: { sndBuf: 20000 } }, PLAIN, 65535);
    h.send(20000);
    assert.equal(h.sink.sent.length, 10);
    h.sink.sent.length = 0;
    assert.equal(h.tcb.cwnd, 10);
  });

  test('send queue full: partial write, then EAGAIN', () => {
    const h = Harness.established(NO_TS, PLAIN, 0);
    assert.equal(h.send(20000), 16384, 'tcp_wmem[1]');
    assert.equal(h.send(1), -ERRNO.EAGAIN);
    assert.equal(h.tcb.writable, false);
  });

  test('window update rules: an older ACK does not shrink the window (snd.wl2)', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.send('0123456789');
    h.expect({ flags: 'P.', seq: L + 1, data: 10 });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 11, win: 1000 });
    assert.equal(h.tcb.snd.wnd, 1000);
    h.deliver({ flags: '.', seq: R + 1, ack: L + 6, win: 10 });
    assert.equal(h.tcb.snd.wnd, 1000);
    assert.equal(h.tcb.snd.wl2, (L + 11) >>> 0);
  });

  test('window scaling applies to the peer window after the handshake', () => {
    const h = Harness.established(NO_TS); // peer wscale 7
    h.deliver({ flags: '.', seq: R + 1, ack: L + 1, win: 100 });
    assert.equal(h.tcb.snd.wnd, 12800);
  });
});

describe('ESTABLISHED: receiving and ACKs', () => {
  test('in-order data is ACKed at once in quick-ACK mode', () => {
    const h = Harness.established(NO_TS);
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'hello' });
    h.expect({ flags: '.', seq: L + 1, ack: R + 6, at: 100_000 });
    assert.equal(h.tcb.available, 5);
    assert.equal(h.recv(), 'hello');
    assert.equal(h.tcb.recv(new Uint8Array(1), 0, 1), -ERRNO.EAGAIN);
  });

  test('after 16 quick ACKs the ACK is delayed 40 ms', () => {
    const h = Harness.established(NO_TS);
    for (let i = 0; i < 16; i++) {
      h.deliver({ flags: 'P.', seq: R + 1 + 100 * i, ack: L + 1, data: 100 });
      h.expect({ flags: '.', seq: L + 1, ack: R + 1 + 100 * (i + 1), at: h.now });
      h.advanceMs(100);
    }
    const t0 = h.now;
    h.deliver({ flags: 'P.', seq: R + 1601, ack: L + 1, data: 100 });
    h.expectNothing();
    h.advance(40_000 - 1);
    h.expectNothing();
    h.advance(1);
    h.expect({ flags: '.', seq: L + 1, ack: R + 1701, at: t0 + 40_000 });
  });

  test('interactive (ping-pong) mode: the ACK waits 40 ms, or rides on data', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'ping' });
    h.expect({ flags: '.', seq: L + 1, ack: R + 5 });
    h.advanceMs(5);
    h.send('pong');
    h.expect({ flags: 'P.', seq: L + 1, ack: R + 5, data: 'pong' });
    assert.equal(h.tcb.pingpong, true);
    h.advanceMs(5);
    const t0 = h.now;
    h.deliver({ flags: 'P.', seq: R + 5, ack: L + 5, data: 'ping' });
    h.expectNothing();
    h.advanceMs(40);
    h.expect({ flags: '.', seq: L + 5, ack: R + 9, at: t0 + 40_000 });
    // The delayed ACK timer fired in interactive mode: Linux leaves it, quick ACKs again.
    assert.equal(h.tcb.pingpong, false);
    h.deliver({ flags: 'P.', seq: R + 9, ack: L + 5, data: 'ping' });
    h.expect({ flags: '.', seq: L + 5, ack: R + 13, at: h.now });
    // A quick reply re-enters it; then a reply before the timer carries the ACK.
    h.send('pong');
    h.expect({ flags: 'P.', seq: L + 5, ack: R + 13, data: 'pong' });
    h.advanceMs(5);
    h.deliver({ flags: 'P.', seq: R + 13, ack: L + 9, data: 'ping' });
    h.advanceMs(10);
    h.expectNothing();
    h.send('pong');
    h.expect({ flags: 'P.', seq: L + 9, ack: R + 17, data: 'pong' });
    assert.equal(h.tcb.delayedAckAt, undefined);
  });

  test('more than one full segment unacknowledged: ACK at once', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.tcb.pingpong = true;
    h.tcb.atoUs = 40_000;
    h.tcb.rcvMss = 1460;
    h.deliver({ flags: '.', seq: R + 1, ack: L + 1, data: 1460 });
    h.expectNothing();
    h.deliver({ flags: '.', seq: R + 1461, ack: L + 1, data: 1460 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 2921 });
  });

  test('out-of-order data: immediate duplicate ACK with SACK; the hole filled: ACK at once', () => {
    const h = Harness.established(NO_TS, SACK);
    h.deliver({ flags: 'P.', seq: R + 101, ack: L + 1, data: 'B'.repeat(100) });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1, options: ['nop', 'nop', ['sack', R + 101, R + 201]] });
    h.deliver({ flags: 'P.', seq: R + 301, ack: L + 1, data: 'D'.repeat(100) });
    h.expect({
      flags: '.',
      ack: R + 1,
      seq: L + 1,
      options: ['nop', 'nop', ['sack', R + 301, R + 401, R + 101, R + 201]],
    });
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'A'.repeat(100) });
    h.expect({ flags: '.', seq: L + 1, ack: R + 201, options: ['nop', 'nop', ['sack', R + 301, R + 401]] });
    h.deliver({ flags: 'P.', seq: R + 201, ack: L + 1, data: 'C'.repeat(100) });
    h.expect({ flags: '.', seq: L + 1, ack: R + 401, options: [] });
    assert.equal(h.recv(), `${'A'.repeat(100)}${'B'.repeat(100)}${'C'.repeat(100)}${'D'.repeat(100)}`);
  });

  test('out-of-order data without SACK: plain duplicate ACK', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.deliver({ flags: 'P.', seq: R + 11, ack: L + 1, data: 10 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1, options: [] });
  });

  test('duplicate (old) data is answered with an ACK at once', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'abc' });
    h.expect({ flags: '.', seq: L + 1, ack: R + 4 });
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'abc' });
    h.expect({ flags: '.', seq: L + 1, ack: R + 4 });
    h.deliver({ flags: 'P.', seq: R + 2, ack: L + 1, data: 'bcde' });
    h.expect({ flags: '.', seq: L + 1, ack: R + 6 });
    assert.equal(h.recv(), 'abcde');
  });

  test('the receive window closes as data waits and reopens with a window update', () => {
    const h = Harness.established({ ...NO_TS, sock: { rcvBuf: 1000 } }, PLAIN);
    assert.equal(h.tcb.rcvWscale, 0);
    h.deliver({ flags: '.', seq: R + 1, ack: L + 1, data: 1500 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1501, win: 500 });
    h.deliver({ flags: '.', seq: R + 1501, ack: L + 1, data: 600 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 2001, win: 0 });
    // Beyond the window: dropped, answered.
    h.deliver({ flags: '.', seq: R + 2001, ack: L + 1, data: 100 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 2001, win: 0 });
    assert.equal(h.recv().length, 2000);
    h.expect({ flags: '.', seq: L + 1, ack: R + 2001, win: 2000 });
  });

  test('timestamps: every segment carries nop,nop,TS; TS.Recent follows the peer', () => {
    const h = Harness.established({}, [['mss', 1460], 'sackOK', ['TS', 1000, 0], 'nop', ['wscale', 7]]);
    h.advanceMs(900); // clock 1000 ms
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'x', options: ['nop', 'nop', ['TS', 1100, 100]] });
    h.expect({ flags: '.', seq: L + 1, ack: R + 2, options: ['nop', 'nop', ['TS', 1000, 1100]] });
    assert.equal(h.tcb.tsRecent, 1100);
    // PAWS (RFC 7323 5): an older TSval is rejected with an ACK; the data is not taken.
    h.deliver({ flags: 'P.', seq: R + 2, ack: L + 1, data: 'y', options: ['nop', 'nop', ['TS', 1050, 100]] });
    h.expect({ flags: '.', seq: L + 1, ack: R + 2, options: ['nop', 'nop', ['TS', 1000, 1100]] });
    assert.equal(h.recv(), 'x');
  });
});

describe('retransmission', () => {
  test('RTO = SRTT + 200 ms after a 100 ms handshake, doubling; the ACK stops it', () => {
    const h = Harness.established(NO_TS, PLAIN);
    assert.equal(h.tcb.rto(), 300_000);
    h.send('hello');
    h.expect({ flags: 'P.', seq: L + 1, data: 'hello', at: 100_000 });
    h.advance(300_000 - 1);
    h.expectNothing();
    h.advance(1);
    h.expect({ flags: 'P.', seq: L + 1, data: 'hello', at: 400_000 });
    h.advance(600_000);
    h.expect({ flags: 'P.', seq: L + 1, data: 'hello', at: 1_000_000 });
    h.advance(1_200_000);
    h.expect({ flags: 'P.', seq: L + 1, data: 'hello', at: 2_200_000 });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 6 });
    assert.equal(h.tcb.pollAt(), undefined);
    assert.equal(h.tcb.backoff, 0);
  });

  test('initial RTO 1 s when the handshake gave no sample', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.tcb.rtt.reset(1_000_000);
    h.send('a');
    h.advance(1_000_000);
    h.expect({ flags: 'P.', seq: L + 1, data: 'a', at: 100_000 }, { flags: 'P.', seq: L + 1, data: 'a', at: 1_100_000 });
    h.advance(2_000_000);
    h.expect({ flags: 'P.', seq: L + 1, data: 'a', at: 3_100_000 });
  });

  test('RTO: one segment from SND.UNA, then slow start resends the rest', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.send(3000);
    h.expect(
      { flags: '.', seq: L + 1, data: 1460 },
      { flags: 'P.', seq: L + 1461, data: 1460 },
      { flags: 'P.', seq: L + 2921, data: 80 },
    );
    h.advance(300_000);
    h.expect({ flags: '.', seq: L + 1, data: 1460, at: 400_000 });
    assert.equal(h.tcb.cwnd, 1);
    assert.equal(h.tcb.caState, 4, 'Loss');
    assert.equal(h.tcb.sb.lostOut, 3, 'all three are lost');
    assert.equal(h.tcb.sb.retransOut, 1, 'the head went again');
    // Slow start from 1: the ACK of the head clocks out both lost segments, with their PSH.
    h.deliver({ flags: '.', seq: R + 1, ack: L + 1461 });
    h.expect({ flags: 'P.', seq: L + 1461, data: 1460 }, { flags: 'P.', seq: L + 2921, data: 80 });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 3001 });
    assert.equal(h.tcb.pollAt(), undefined);
  });

  test('Karn: no RTT sample from a retransmitted segment', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.send('a');
    h.advance(300_000);
    h.deliver({ flags: '.', seq: R + 1, ack: L + 2 });
    assert.equal(h.tcb.rtt.srttUs, 100_000);
  });

  test('tcp_retries2 retransmissions, then ETIMEDOUT without a reset', () => {
    const h = Harness.established({ ...NO_TS, sysctls: { 'net.ipv4.tcp_timestamps': 0, 'net.ipv4.tcp_retries2': 3 } }, PLAIN);
    h.send('a');
    h.advance(100_000_000);
    assert.equal(h.sink.sent.length, 4);
    h.sink.sent.length = 0;
    h.expectState(TcpState.CLOSED);
    assert.equal(h.tcb.recv(new Uint8Array(1), 0, 1), -ERRNO.ETIMEDOUT);
  });

  test('MSG_EOR: no segment carries bytes of two records; the record end carries PSH', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.tcb.cfg.nodelay = true; // no Nagle hold for the sub-MSS tail
    h.tcb.cork = true; // queue all three writes first
    const d = new Uint8Array(1000);
    assert.equal(h.tcb.send(d, 0, 1000, h.t), 1000);
    assert.equal(h.tcb.send(d, 0, 300, h.t, false, true), 300);
    assert.equal(h.tcb.send(d, 0, 1000, h.t), 1000);
    h.tcb.setCork(false, h.t);
    h.expect(
      { flags: 'P.', seq: L + 1, data: 1300 },
      { flags: 'P.', seq: L + 1301, data: 1000 },
    );
  });

  test('TCP_USER_TIMEOUT: give up by time since the first retransmission, not by count', () => {
    const h = Harness.established({ ...NO_TS, sock: { userTimeoutMs: 1000 } }, PLAIN);
    h.send('a');
    // RTO 300 ms (handshake RTT 100 ms), then 600 ms, 1200 ms: retransmissions at 0.4, 1.0 s;
    // at 2.2 s more than 1 s passed since the first one.
    h.advance(1_700_000);
    assert.equal(h.tcb.state, TcpState.ESTABLISHED);
    h.advance(1_000_000);
    h.expectState(TcpState.CLOSED);
    assert.equal(h.tcb.recv(new Uint8Array(1), 0, 1), -ERRNO.ETIMEDOUT);
  });

  test('keepalive: probes SND.UNA - 1 after the idle time, RST and ETIMEDOUT after the count', () => {
    const sock = { keepalive: true, keepIdleS: 10, keepIntvlS: 2, keepCnt: 2 };
    const h = Harness.established({ ...NO_TS, sock }, PLAIN);
    h.advance(9_000_000);
    h.expectNothing();
    h.advance(1_100_000);
    h.expect({ flags: '.', seq: L, ack: R + 1, data: 0 });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 1 });
    assert.equal(h.tcb.kaProbes, 0, 'an answer resets the count');
    h.advance(10_000_000);
    h.expect({ flags: '.', seq: L, ack: R + 1, data: 0 });
    h.advance(2_000_000);
    h.expect({ flags: '.', seq: L, ack: R + 1, data: 0 });
    h.advance(2_000_000);
    h.expect({ flags: 'R.', seq: L + 1, ack: R + 1 });
    assert.equal(h.tcb.recv(new Uint8Array(1), 0, 1), -ERRNO.ETIMEDOUT);
  });

  test('zero window: probes with SEQ = SND.UNA - 1 at RTO intervals, data when it opens', () => {
    const h = Harness.established(NO_TS, PLAIN, 0);
    h.send('hello');
    h.expectNothing();
    h.advance(300_000);
    h.expect({ flags: '.', seq: L, ack: R + 1, data: 0, at: 400_000 });
    h.advance(600_000);
    h.expect({ flags: '.', seq: L, ack: R + 1, at: 1_000_000 });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 1, win: 1000 });
    h.expect({ flags: 'P.', seq: L + 1, data: 'hello' });
    assert.equal(h.tcb.persistAt, undefined);
  });

  test('a window smaller than the data gets one small segment when nothing is in flight', () => {
    const h = Harness.established(NO_TS, PLAIN, 100);
    h.send(1000);
    // The window ends the burst: PSH (Linux marks the probe-sized segment so).
    h.expect({ flags: 'P.', seq: L + 1, data: 100 });
  });

  test('a refusing sink: nothing committed, sent on the next opportunity', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.sink.refuse = true;
    assert.equal(h.send('abc'), 3);
    assert.equal(h.tcb.snd.nxt, (L + 1) >>> 0);
    assert.equal(h.tcb.rtxAt, 400_000, 'a retry is armed');
    h.sink.refuse = false;
    h.advance(300_000);
    h.expect({ flags: 'P.', seq: L + 1, data: 'abc', at: 400_000 });
  });
});
