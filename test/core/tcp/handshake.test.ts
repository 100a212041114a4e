import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERRNO, LINUX } from '../../../src/core/socket/linux.js';
import { TcpState, tcpStateName } from '../../../src/core/tcp/segment.js';
import { retransmitBudgetUs } from '../../../src/core/tcp/config.js';
import { Harness, L, type OptSpec, R } from './harness.js';

// linux profile: tcp_rmem max 32 MiB -> wscale 10; SYN window 65535 rounded down to 44 * 1460.
const SYN_WIN = 64240;
const SYN_TS: OptSpec[] = [['mss', 1460], 'sackOK', ['TS', 0, 0], 'nop', ['wscale', 10]];
const SYN_NO_TS: OptSpec[] = [['mss', 1460], 'nop', 'nop', 'sackOK', 'nop', ['wscale', 10]];
const NO_TS = { sysctls: { 'net.ipv4.tcp_timestamps': 0 } };

describe('SYN-SENT: active open', () => {
  test('SYN with timestamps: mss,sackOK,TS,nop,wscale', () => {
    const h = Harness.active();
    h.expect({ flags: 'S', seq: L, ack: 0, win: SYN_WIN, options: SYN_TS, at: 0 });
    h.expectState(TcpState.SYN_SENT);
  });

  test('SYN without timestamps: mss,nop,nop,sackOK,nop,wscale', () => {
    const h = Harness.active(NO_TS);
    h.expect({ flags: 'S', seq: L, win: SYN_WIN, options: SYN_NO_TS });
  });

  test('SYN without SACK and window scaling: mss only', () => {
    const h = Harness.active({
      sysctls: { 'net.ipv4.tcp_timestamps': 0, 'net.ipv4.tcp_sack': 0, 'net.ipv4.tcp_window_scaling': 0 },
    });
    h.expect({ flags: 'S', seq: L, options: [['mss', 1460]] });
  });

  test('TCP_MAXSEG lowers the advertised MSS', () => {
    const h = Harness.active({ ...NO_TS, sock: { maxSeg: 1000 } });
    h.expect({ flags: 'S', seq: L, options: [['mss', 1000], 'nop', 'nop', 'sackOK', 'nop', ['wscale', 10]] });
  });

  test('SYN-ACK: ESTABLISHED, ACK at once, options negotiated', () => {
    const h = Harness.active();
    h.expect({ flags: 'S', seq: L });
    h.advanceMs(50);
    h.deliver({ flags: 'S.', seq: R, ack: L + 1, win: 29200, options: [['mss', 1400], 'nop', ['wscale', 7]] });
    h.expectState(TcpState.ESTABLISHED);
    // 131072 free bytes >> 10 = 128; no timestamps: the peer did not offer them.
    h.expect({ flags: '.', seq: L + 1, ack: R + 1, win: 128, options: [], at: 50_000 });
    const t = h.tcb;
    assert.equal(t.snd.wnd, 29200, 'the SYN-ACK window is not scaled');
    assert.equal(t.sndWscale, 7);
    assert.equal(t.rcvWscale, 10);
    assert.equal(t.sndMss, 1400);
    assert.equal(t.tsOk, false);
    assert.equal(t.sackOk, false);
    assert.equal(t.rtt.srttUs, 50_000);
    assert.equal(t.snd.una, (L + 1) >>> 0);
    assert.equal(t.irs, R);
  });

  test('SYN-ACK with timestamps: ACK carries nop,nop,TS echoing TSval; MSS less 12', () => {
    const h = Harness.active();
    h.expect({ flags: 'S', seq: L });
    h.advanceMs(7);
    h.deliver({
      flags: 'S.',
      seq: R,
      ack: L + 1,
      options: [['mss', 1460], 'sackOK', ['TS', 5000, 0], 'nop', ['wscale', 7]],
    });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1, options: ['nop', 'nop', ['TS', 7, 5000]] });
    assert.equal(h.tcb.sndMss, 1448);
    assert.equal(h.tcb.sackOk, true);
    assert.equal(h.tcb.tsRecent, 5000);
  });

  test('no MSS option: 536 assumed (RFC 9293 3.7.1)', () => {
    const h = Harness.established(NO_TS, []);
    assert.equal(h.tcb.sndMss, 536);
    assert.equal(h.tcb.sndWscale, 0);
    assert.equal(h.tcb.rcvWscale, 0);
  });

  test('unacceptable ACK in SYN-SENT draws <SEQ=SEG.ACK><CTL=RST>', () => {
    const h = Harness.active();
    h.expect({ flags: 'S', seq: L });
    h.deliver({ flags: 'S.', seq: R, ack: L + 5 });
    h.expect({ flags: 'R', seq: L + 5, options: [] });
    h.expectState(TcpState.SYN_SENT);
    h.deliver({ flags: '.', seq: R, ack: L });
    h.expect({ flags: 'R', seq: L });
  });

  test('RST acknowledging the SYN: CLOSED, ECONNREFUSED once, then EOF', () => {
    const h = Harness.active();
    h.expect({ flags: 'S', seq: L });
    h.deliver({ flags: 'R.', seq: 0, ack: L + 1 });
    h.expectState(TcpState.CLOSED);
    assert.equal(h.tcb.error, ERRNO.ECONNREFUSED);
    assert.equal(h.tcb.recv(new Uint8Array(4), 0, 4), -ERRNO.ECONNREFUSED);
    assert.equal(h.tcb.recv(new Uint8Array(4), 0, 4), 0);
    assert.equal(h.tcb.pollAt(), undefined);
    h.expectNothing();
  });

  test('RST without ACK in SYN-SENT is ignored', () => {
    const h = Harness.active();
    h.expect({ flags: 'S', seq: L });
    h.deliver({ flags: 'R', seq: R });
    h.expectState(TcpState.SYN_SENT);
    h.expectNothing();
  });

  test('SYN retries as Linux 6.18: 1 s apart for 4 retries, then doubling; ETIMEDOUT at 127 s', () => {
    // Observed on Linux 6.18 (tcp_syn_linear_timeouts=4): SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19 s ...
    const h = Harness.active(NO_TS);
    h.expect({ flags: 'S', seq: L, at: 0 });
    const times = [1, 2, 3, 4, 5, 7, 11, 19, 35, 67];
    for (const s of times) {
      h.advance(s * 1_000_000 - h.now - 1);
      h.expectNothing();
      h.advance(1);
      h.expect({ flags: 'S', seq: L, options: SYN_NO_TS, at: s * 1_000_000 });
    }
    // The next expiry (67 + 64 = 131 s) is past the budget of tcp_syn_retries=6: (2^7 - 1) s = 127 s.
    h.advance(131_000_000 - h.now - 1);
    h.expectState(TcpState.SYN_SENT);
    h.advance(1);
    h.expectNothing();
    h.expectState(TcpState.CLOSED);
    assert.equal(h.tcb.takeError(), ERRNO.ETIMEDOUT);
  });

  test('tcp_syn_retries=2: SYNs at 0..5 s, ETIMEDOUT at 7 s (as measured on Linux 6.18)', () => {
    const h = Harness.active({ sysctls: { 'net.ipv4.tcp_syn_retries': 2 } });
    h.advance(7_000_000 - 1);
    h.expect(
      { flags: 'S', seq: L, at: 0 },
      { flags: 'S', seq: L, at: 1e6 },
      { flags: 'S', seq: L, at: 2e6 },
      { flags: 'S', seq: L, at: 3e6 },
      { flags: 'S', seq: L, at: 4e6 },
      { flags: 'S', seq: L, at: 5e6 },
    );
    assert.equal(h.tcb.error, 0);
    h.advance(1);
    assert.equal(h.tcb.error, ERRNO.ETIMEDOUT);
  });

  test('tcp_syn_linear_timeouts=0 restores plain doubling (older kernels)', () => {
    const h = Harness.active({ sysctls: { 'net.ipv4.tcp_syn_linear_timeouts': 0, 'net.ipv4.tcp_syn_retries': 2 } });
    h.advance(7_000_000 - 1);
    h.expect({ flags: 'S', seq: L, at: 0 }, { flags: 'S', seq: L, at: 1e6 }, { flags: 'S', seq: L, at: 3e6 });
    h.advance(1);
    assert.equal(h.tcb.error, ERRNO.ETIMEDOUT);
  });

  test('the retransmission budget follows Linux: 127 s for 6 SYN retries, ~924.6 s for tcp_retries2=15', () => {
    assert.equal(retransmitBudgetUs(6, 1_000_000, 120_000_000), 127_000_000);
    assert.equal(retransmitBudgetUs(2, 1_000_000, 120_000_000), 7_000_000);
    assert.equal(retransmitBudgetUs(15, 200_000, 120_000_000), 924_600_000);
  });

  test('after a SYN retransmission the data RTO starts at 3 s (RFC 6298 5.7)', () => {
    const h = Harness.active(NO_TS);
    h.advanceMs(1000);
    h.expect({ flags: 'S', seq: L, at: 0 }, { flags: 'S', seq: L, at: 1_000_000 });
    h.advanceMs(10);
    h.deliver({ flags: 'S.', seq: R, ack: L + 1, options: [['mss', 1460]] });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1 });
    assert.equal(h.tcb.rto(), 3_000_000);
  });

  test('a refusing sink commits nothing; the timer sends the SYN later', () => {
    const h = new Harness(NO_TS);
    h.sink.refuse = true;
    h.tcb.connect(L, h.t);
    assert.equal(h.tcb.snd.nxt, L, 'SND.NXT not advanced');
    h.expectNothing();
    h.sink.refuse = false;
    h.advanceMs(1000);
    h.expect({ flags: 'S', seq: L, at: 1_000_000 });
    assert.equal(h.tcb.snd.nxt, (L + 1) >>> 0);
  });
});

describe('SYN-RECEIVED: passive open (Tcb.fromSyn)', () => {
  test('SYN-ACK mirrors SACK, TS and window scale in Linux order', () => {
    const h = Harness.passive([['mss', 1400], 'sackOK', ['TS', 700, 0], 'nop', ['wscale', 7]]);
    h.expect({
      flags: 'S.',
      seq: L,
      ack: R + 1,
      win: SYN_WIN,
      options: [['mss', 1460], 'sackOK', ['TS', 0, 700], 'nop', ['wscale', 10]],
    });
    h.expectState(TcpState.SYN_RECEIVED);
    assert.equal(h.tcb.sndMss, 1388);
  });

  test('SYN-ACK without TS: mss,nop,nop,sackOK,nop,wscale', () => {
    const h = Harness.passive([['mss', 1000], 'sackOK', 'nop', 'nop', 'nop', ['wscale', 7]]);
    h.expect({ flags: 'S.', seq: L, ack: R + 1, options: SYN_NO_TS });
  });

  test('SYN-ACK to a bare SYN: mss only; nothing else negotiated', () => {
    const h = Harness.passive([['mss', 1460]]);
    h.expect({ flags: 'S.', seq: L, ack: R + 1, options: [['mss', 1460]] });
    assert.equal(h.tcb.wsOk, false);
    assert.equal(h.tcb.rcvWscale, 0);
  });

  test('the ACK completes the handshake; its window is scaled', () => {
    const h = Harness.passive([['mss', 1460], 'nop', ['wscale', 2]]);
    h.expect({ flags: 'S.', seq: L });
    h.advanceMs(30);
    h.deliver({ flags: '.', seq: R + 1, ack: L + 1, win: 1000 });
    h.expectState(TcpState.ESTABLISHED);
    h.expectNothing();
    assert.equal(h.tcb.snd.wnd, 4000);
    assert.equal(h.tcb.rtt.srttUs, 30_000);
  });

  test('data with the handshake ACK is taken', () => {
    const h = Harness.passive([['mss', 1460]]);
    h.expect({ flags: 'S.', seq: L });
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'hello' });
    h.expectState(TcpState.ESTABLISHED);
    h.expect({ flags: '.', seq: L + 1, ack: R + 6 });
    assert.equal(h.recv(), 'hello');
  });

  test('an unacceptable ACK draws a reset and the connection stays', () => {
    const h = Harness.passive([['mss', 1460]]);
    h.expect({ flags: 'S.', seq: L });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 9 });
    h.expect({ flags: 'R', seq: L + 9 });
    h.expectState(TcpState.SYN_RECEIVED);
  });

  test('a retransmitted SYN is answered with the SYN-ACK again', () => {
    const h = Harness.passive([['mss', 1460]]);
    h.expect({ flags: 'S.', seq: L });
    h.advanceMs(200);
    h.deliver({ flags: 'S', seq: R, options: [['mss', 1460]] });
    h.expect({ flags: 'S.', seq: L, ack: R + 1, options: [['mss', 1460]], at: 200_000 });
  });

  test('SYN-ACK retries: 1 s doubling, given up after tcp_synack_retries (5) at 63 s', () => {
    const h = Harness.passive([['mss', 1460]]);
    h.advance(63_000_000 - 1);
    const at = [0, 1, 3, 7, 15, 31].map((s) => ({ flags: 'S.', seq: L, ack: R + 1, at: s * 1_000_000 }));
    h.expect(...at);
    h.expectState(TcpState.SYN_RECEIVED);
    h.advance(1);
    h.expectState(TcpState.CLOSED);
    h.expectNothing();
  });

  test('RST at RCV.NXT closes (connection refused)', () => {
    const h = Harness.passive([['mss', 1460]]);
    h.expect({ flags: 'S.', seq: L });
    h.deliver({ flags: 'R', seq: R + 1 });
    h.expectState(TcpState.CLOSED);
    h.expectNothing();
  });
});

describe('simultaneous open (RFC 9293 figure 7)', () => {
  test('SYN crosses SYN: SYN-ACK with our ISS, then the peer SYN-ACK establishes silently', () => {
    const h = Harness.active(NO_TS);
    h.expect({ flags: 'S', seq: L });
    h.deliver({ flags: 'S', seq: R, options: [['mss', 1460], 'nop', 'nop', 'sackOK', 'nop', ['wscale', 7]] });
    h.expectState(TcpState.SYN_RECEIVED);
    h.expect({ flags: 'S.', seq: L, ack: R + 1, options: SYN_NO_TS });
    h.deliver({ flags: 'S.', seq: R, ack: L + 1, win: 5000 });
    h.expectState(TcpState.ESTABLISHED);
    h.expectNothing();
    assert.equal(h.tcb.snd.wnd, 5000, 'a SYN-ACK window is not scaled');
    assert.equal(h.send('x'), 1);
    h.expect({ flags: 'P.', seq: L + 1, ack: R + 1, data: 'x' });
  });

  test('SYN crosses SYN, then a plain ACK establishes', () => {
    const h = Harness.active(NO_TS);
    h.deliver({ flags: 'S', seq: R, options: [['mss', 1460]] });
    h.expect({ flags: 'S', seq: L }, { flags: 'S.', seq: L, ack: R + 1, options: [['mss', 1460]] });
    h.deliver({ flags: '.', seq: R + 1, ack: L + 1 });
    h.expectState(TcpState.ESTABLISHED);
  });
});

describe('states and readiness', () => {
  test('TcpState numbers are Linux tcpi_state values', () => {
    assert.equal(TcpState.ESTABLISHED, LINUX.TCP_ESTABLISHED);
    assert.equal(TcpState.SYN_SENT, LINUX.TCP_SYN_SENT);
    assert.equal(TcpState.SYN_RECEIVED, LINUX.TCP_SYN_RECV);
    assert.equal(TcpState.FIN_WAIT_1, LINUX.TCP_FIN_WAIT1);
    assert.equal(TcpState.FIN_WAIT_2, LINUX.TCP_FIN_WAIT2);
    assert.equal(TcpState.TIME_WAIT, LINUX.TCP_TIME_WAIT);
    assert.equal(TcpState.CLOSED, LINUX.TCP_CLOSE);
    assert.equal(TcpState.CLOSE_WAIT, LINUX.TCP_CLOSE_WAIT);
    assert.equal(TcpState.LAST_ACK, LINUX.TCP_LAST_ACK);
    assert.equal(TcpState.LISTEN, LINUX.TCP_LISTEN);
    assert.equal(TcpState.CLOSING, LINUX.TCP_CLOSING);
    assert.equal(tcpStateName(TcpState.SYN_RECEIVED), 'SYN-RECEIVED');
  });

  test('readiness through the life of a connection', () => {
    const fresh = new Harness(NO_TS);
    assert.equal(fresh.tcb.recv(new Uint8Array(1), 0, 1), -ERRNO.ENOTCONN);
    assert.equal(fresh.tcb.pollEvents(), 0);
    const h = Harness.active(NO_TS);
    assert.equal(h.tcb.pollEvents(), 0, 'connecting: nothing');
    assert.equal(h.send('x'), -ERRNO.EAGAIN);
    assert.equal(h.tcb.recv(new Uint8Array(1), 0, 1), -ERRNO.EAGAIN);
    h.deliver({ flags: 'S.', seq: R, ack: L + 1, options: [['mss', 1460]] });
    assert.equal(h.tcb.pollEvents(), LINUX.EPOLLOUT | LINUX.EPOLLWRNORM);
    assert.equal(h.tcb.writable, true);
    assert.equal(h.tcb.readable, false);
    h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 'hi' });
    assert.equal(h.tcb.readable, true);
    assert.equal(h.tcb.eof, false);
    h.deliver({ flags: 'F.', seq: R + 3, ack: L + 1 });
    assert.equal(h.tcb.eof, true);
    const ev = h.tcb.pollEvents();
    assert.ok(ev & LINUX.EPOLLRDHUP && ev & LINUX.EPOLLIN && !(ev & LINUX.EPOLLHUP));
    h.tcb.shutdownWrite();
    assert.ok(h.tcb.pollEvents() & LINUX.EPOLLHUP, 'both directions shut: HUP');
    assert.equal(h.tcb.error, 0);
  });
});
