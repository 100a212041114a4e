/**
 * Receive-window retraction (docs/window-retraction.md): `tcp_shrink_window`, the RFC 7323 §2.4
 * receiver rules (`net.wirestack.tcp_rfc7323_mwnd`) and SO_RCVBUF on a connection, with the peer's
 * sequence numbers crossing 2^32.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { SysctlValue } from '../../../src/core/stack/sysctl.js';
import { acceptable } from '../../../src/core/tcp/input.js';
import { TcpExtMib } from '../../../src/core/tcp/mib.js';
import { TcpState } from '../../../src/core/tcp/segment.js';
import { seqAdd } from '../../../src/core/util/seq.js';
import { Harness, L } from './harness.js';

/** The peer's ISN: 0x100 short of 2^32, so its data wraps within the first segment. */
const P = 0xffffff00;
/** 20000-byte receive queue, window scale 8 (256-byte units), no timestamps. */
const BASE: Record<string, SysctlValue> = {
  'net.ipv4.tcp_timestamps': 0,
  'net.ipv4.tcp_rmem': [4096, 20000, 15728640],
};

/** An ESTABLISHED connection whose peer ISN is `P`; a private counter set. */
function open(extra: Record<string, SysctlValue> = {}): { h: Harness; mib: TcpExtMib } {
  const h = Harness.active({ sysctls: { ...BASE, ...extra } });
  const mib = new TcpExtMib();
  h.tcb.mib = mib;
  h.sink.sent.length = 0;
  h.advanceMs(100);
  h.deliver({ flags: 'S.', seq: P, ack: L + 1, win: 1000, options: [['mss', 1000], 'nop', ['wscale', 7]] });
  h.expect({ flags: '.', seq: L + 1, ack: P + 1, win: 78 });
  assert.equal(h.tcb.state, TcpState.ESTABLISHED);
  assert.equal(h.tcb.rcvWscale, 8);
  return { h, mib };
}

/** Peer data `len` bytes at relative sequence `rel` (1 = first byte). */
function data(h: Harness, rel: number, len: number): void {
  h.deliver({ flags: 'P.', seq: P + rel, ack: L + 1, win: 1000, data: len });
}

/**
 * Retract as window-shrink-memory.pkt does: the ACK of the SYN-ACK offered 78 << 8 bytes (largest
 * edge P+19969); then windows 7 and 1, and a zero window at P+19901 with 100 bytes of room left.
 */
function retract(h: Harness): void {
  data(h, 1, 18000);
  h.expect({ flags: '.', seq: L + 1, ack: P + 18001, win: 7 });
  data(h, 18001, 1700);
  h.expect({ flags: '.', seq: L + 1, ack: P + 19701, win: 1 });
  data(h, 19701, 200);
  h.expect({ flags: '.', seq: L + 1, ack: P + 19901, win: 0 });
  assert.equal(h.tcb.rcv.mwndSeq, seqAdd(P, 19969));
  assert.equal(h.tcb.rcvQueue.free, 100);
}

describe('acceptable(): RFC 9293 §3.10.7.4 over sequence wrap-around', () => {
  test('matches the plain-integer test for any RCV.NXT, window and offset', () => {
    fc.assert(
      fc.property(
        fc.nat(0xffffffff),
        fc.nat(1 << 20),
        fc.integer({ min: -(1 << 21), max: 1 << 21 }),
        fc.nat(70000),
        (nxt, wnd, off, len) => {
          const seq = seqAdd(nxt, off);
          const end = off + len - 1;
          const want =
            len === 0
              ? wnd === 0
                ? off === 0
                : off >= 0 && off < wnd
              : wnd === 0
                ? off === 0
                : (off >= 0 && off < wnd) || (end >= 0 && end < wnd);
          assert.equal(acceptable(seq, len, nxt, wnd), want);
        },
      ),
    );
  });

  test('a window straddling 2^32', () => {
    const nxt = 0xfffffff0;
    assert.equal(acceptable(0x10, 1, nxt, 0x21), true); // last byte of the window
    assert.equal(acceptable(0x11, 1, nxt, 0x21), false); // at the right edge
    assert.equal(acceptable(0xffffffef, 1, nxt, 0x21), false); // just old
    assert.equal(acceptable(0xffffffe0, 0x20, nxt, 0x21), true); // old start, end in the window
  });
});

describe('tcp_shrink_window', () => {
  test('0: the edge never moves left; rounded up to the scale, it passes the queue (memory pressure)', () => {
    const { h, mib } = open();
    data(h, 1, 18000); // 2000 free, 1968 promised: rounded up to 8 << 8
    h.expect({ flags: '.', seq: L + 1, ack: P + 18001, win: 8 });
    assert.equal(h.tcb.rcv.mwndSeq, seqAdd(P, 20049));
    data(h, 18001, 1000); // 1000 free, 1048 promised: 5 << 8
    h.expect({ flags: '.', seq: L + 1, ack: P + 19001, win: 5 });
    data(h, 19001, 1000); // the queue is full; 280 still promised: 2 << 8
    h.expect({ flags: '.', seq: L + 1, ack: P + 20001, win: 2 });
    assert.equal(h.tcb.rcvQueue.free, 0);
    data(h, 20001, 100); // in the window, no room: dropped with an ACK that keeps the edge
    h.expect({ flags: '.', seq: L + 1, ack: P + 20001, win: 2 });
    assert.equal(mib.TcpExtTCPRcvQDrop, 1);
    assert.equal(mib.TcpExtTCPZeroWindowDrop, 0);
    assert.equal(h.tcb.rcv.mwndSeq, seqAdd(P, 20513));
  });

  test('1: the window follows the free space down to zero; data inside the old edge is still taken', () => {
    const { h, mib } = open({ 'net.ipv4.tcp_shrink_window': 1 });
    retract(h);
    data(h, 19901, 50); // beyond the current edge, inside the largest: queued
    h.expect({ flags: '.', seq: L + 1, ack: P + 19951, win: 0 });
    assert.equal(mib.TcpExtBeyondWindow, 0);
    assert.equal(mib.TcpExtTCPZeroWindowDrop, 0);
  });

  test('1: SO_RCVBUF lowered retracts to zero once the smaller queue is full', () => {
    const { h, mib } = open({ 'net.ipv4.tcp_shrink_window': 1 });
    data(h, 1, 10000);
    h.expect({ flags: '.', seq: L + 1, ack: P + 10001, win: 39 });
    h.tcb.setRecvBuffer(12000);
    assert.equal(h.tcb.cfg.rcvBuf, 12000);
    data(h, 10001, 2000);
    h.expect({ flags: '.', seq: L + 1, ack: P + 12001, win: 0 });
    data(h, 12001, 100); // at RCV.NXT, zero window, no room
    h.expect({ flags: '.', seq: L + 1, ack: P + 12001, win: 0 });
    assert.equal(mib.TcpExtTCPZeroWindowDrop, 1);
  });
});

describe('RFC 7323 §2.4 receiver rules (net.wirestack.tcp_rfc7323_mwnd)', () => {
  test('1: a pure ACK inside the largest edge is processed and not answered', () => {
    const { h } = open({ 'net.ipv4.tcp_shrink_window': 1 });
    retract(h);
    assert.equal(h.send(500), 500);
    h.expect({ flags: 'P.', seq: L + 1, ack: P + 19901, win: 0, data: 500 });
    h.deliver({ flags: '.', seq: P + 19951, ack: L + 501, win: 1000 });
    h.expectNothing();
    assert.equal(h.tcb.snd.una, (L + 501) >>> 0);
  });

  test('1: at and beyond the largest edge: duplicate ACK, BeyondWindow', () => {
    const { h, mib } = open({ 'net.ipv4.tcp_shrink_window': 1 });
    retract(h);
    data(h, 19969, 10);
    h.expect({ flags: '.', seq: L + 1, ack: P + 19901, win: 0 });
    assert.equal(mib.TcpExtBeyondWindow, 1);
    data(h, 19951, 26); // straddles the edge: 18 bytes queued out of order, 8 dropped
    h.expect({ flags: '.', seq: L + 1, ack: P + 19901, win: 0 });
    assert.equal(mib.TcpExtBeyondWindow, 2);
    data(h, 19901, 50); // fills the hole up to the edge
    h.expect({ flags: '.', seq: L + 1, ack: P + 19969, win: 0 });
    assert.equal(h.tcb.rcvQueue.length, 19968);
    data(h, 19969, 1); // RCV.NXT is at the edge: a zero-window drop
    h.expect({ flags: '.', seq: L + 1, ack: P + 19969, win: 0 });
    assert.equal(mib.TcpExtTCPZeroWindowDrop, 1);
    assert.equal(mib.TcpExtBeyondWindow, 2);
  });

  test('0: data beyond the current edge is dropped; pure ACKs there answered, rate-limited', () => {
    const { h, mib } = open({ 'net.ipv4.tcp_shrink_window': 1, 'net.wirestack.tcp_rfc7323_mwnd': 0 });
    retract(h);
    data(h, 19911, 40);
    h.expect({ flags: '.', seq: L + 1, ack: P + 19901, win: 0 });
    assert.equal(mib.TcpExtBeyondWindow, 1);
    assert.equal(h.tcb.rcvQueue.free, 100);
    assert.equal(h.send(500), 500);
    h.expect({ flags: 'P.', seq: L + 1, ack: P + 19901, win: 0, data: 500 });
    h.deliver({ flags: '.', seq: P + 19951, ack: L + 501, win: 1000 });
    h.expect({ flags: '.', seq: L + 501, ack: P + 19901, win: 0 });
    assert.equal(h.tcb.snd.una, (L + 1) >>> 0, 'the ACK field is not processed');
    h.advanceMs(100);
    h.deliver({ flags: '.', seq: P + 19951, ack: L + 501, win: 1000 });
    h.expectNothing(); // within tcp_invalid_ratelimit (500 ms)
  });
});

describe('SO_RCVBUF on a connection', () => {
  test('the queue never shrinks below the data it holds, in order or not', () => {
    const { h } = open();
    data(h, 1, 1000);
    data(h, 3001, 1000); // out of order: held 2000 bytes past RCV.NXT
    h.sink.sent.length = 0;
    h.tcb.setRecvBuffer(2304);
    assert.equal(h.tcb.rcvQueue.capacity, 4000);
    assert.equal(h.tcb.cfg.rcvBuf, 2304);
    data(h, 1001, 2000); // the hole closes: all 4000 bytes readable
    assert.equal(h.tcb.rcvQueue.length, 4000);
    const b = new Uint8Array(4000);
    assert.equal(h.tcb.recv(b, 0, 4000), 4000);
    // The pattern payloadOf() fills (i * 7 + 3) restarts with each segment.
    assert.equal(b[3000], 3);
    assert.equal(b[3001], 10);
  });
});
