/**
 * RST in CLOSE-WAIT with `net.ipv4.tcp_purge_receive_queue` (docs/rst-close-wait.md) and the orphan
 * rules after close(): `tcp_orphan_retries`, `tcp_max_orphans` (docs/linger.md). Single TCBs through
 * the harness, and two stacks through the socket layer for the per-stack sysctls and the orphan count.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { sockaddr4 } from '../../../src/core/socket/addr.js';
import { type CallResult, isPending, SocketApi, type SysResult } from '../../../src/core/socket/api.js';
import { ERRNO, LINUX } from '../../../src/core/socket/linux.js';
import { TcpLayer } from '../../../src/core/tcp/layer.js';
import { TcpState } from '../../../src/core/tcp/segment.js';
import { type ClosePolicy, DETACHED_CLOSE_POLICY } from '../../../src/core/tcp/tcb-core.js';
import { B4, pair } from '../stack/stack-helpers.js';
import { Harness, L, R } from './harness.js';

const NO_TS = { sysctls: { 'net.ipv4.tcp_timestamps': 0 } };
const PLAIN = [['mss', 1460]] as const;

function policy(over: Partial<ClosePolicy>): ClosePolicy {
  return { ...DETACHED_CLOSE_POLICY, ...over };
}

/** ESTABLISHED, 1000 bytes received and unread; with `fin`, the peer's FIN too (CLOSE-WAIT). */
function withUnread(fin: boolean, purge: boolean): Harness {
  const h = Harness.established(NO_TS, PLAIN);
  h.tcb.closePolicy = policy({ purgeReceiveQueue: () => purge });
  h.deliver({ flags: 'P.', seq: R + 1, ack: L + 1, data: 1000 });
  if (fin) {
    h.deliver({ flags: 'F.', seq: R + 1001, ack: L + 1 });
    h.expectState(TcpState.CLOSE_WAIT);
  }
  h.sink.sent.length = 0;
  return h;
}

describe('RST in CLOSE-WAIT: tcp_purge_receive_queue', () => {
  test('0 (default): the queue is kept, readable, then EOF; EPIPE pending', () => {
    const h = withUnread(true, false);
    const cap = h.tcb.rcvQueue.capacity;
    h.deliver({ flags: 'R.', seq: R + 1002, ack: L + 1 });
    h.expectState(TcpState.CLOSED);
    assert.equal(h.tcb.available, 1000);
    assert.equal(h.tcb.rcvQueue.capacity, cap);
    assert.equal(h.recv().length, 1000);
    assert.equal(h.recv(), '');
    assert.equal(h.tcb.takeError(), ERRNO.EPIPE);
  });

  test('1: the queue is purged and its memory released at once; reads see EOF, EPIPE pending', () => {
    const h = withUnread(true, true);
    assert.ok(h.tcb.rcvQueue.storage.byteLength > 0);
    h.deliver({ flags: 'R.', seq: R + 1002, ack: L + 1 });
    h.expectState(TcpState.CLOSED);
    h.expectNothing();
    assert.equal(h.tcb.available, 0);
    assert.equal(h.tcb.rcvQueue.capacity, 0);
    assert.equal(h.tcb.rcvQueue.storage.byteLength, 0, 'receive storage released');
    assert.equal(h.tcb.sndQueue.storage.byteLength, 0, 'send storage released');
    const ev = h.tcb.pollEvents();
    for (const bit of [LINUX.EPOLLIN, LINUX.EPOLLOUT, LINUX.EPOLLERR, LINUX.EPOLLHUP, LINUX.EPOLLRDHUP]) {
      assert.ok(ev & bit, `poll bit ${bit}`);
    }
    assert.equal(h.recv(), '');
    assert.equal(h.tcb.error, ERRNO.EPIPE, 'a read at EOF leaves the error pending');
    assert.equal(h.send('x'), -ERRNO.EPIPE);
    assert.equal(h.tcb.error, 0, 'the failed write consumed it');
  });

  test('1 in ESTABLISHED: no purge (the data, then ECONNRESET)', () => {
    const h = withUnread(false, true);
    h.deliver({ flags: 'R.', seq: R + 1001, ack: L + 1 });
    h.expectState(TcpState.CLOSED);
    assert.equal(h.recv().length, 1000);
    assert.equal(h.tcb.recv(new Uint8Array(10), 0, 10), -ERRNO.ECONNRESET);
    assert.equal(h.recv(), '');
  });

  test('1, RST in the window but not at RCV.NXT: challenge ACK, nothing purged', () => {
    const h = withUnread(true, true);
    h.deliver({ flags: 'R.', seq: R + 1502, ack: L + 1 });
    h.expect({ flags: '.', seq: L + 1, ack: R + 1002 });
    h.expectState(TcpState.CLOSE_WAIT);
    assert.equal(h.tcb.available, 1000);
    assert.equal(h.tcb.mib.TcpExtTCPChallengeACK > 0, true);
  });
});

describe('orphans: tcp_orphan_retries on the timers', () => {
  test('RTO: 0 means 8 retransmissions, then the orphan dies without a packet', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.send(100);
    h.tcb.close(h.t);
    h.sink.sent.length = 0;
    let heads = 0;
    for (let i = 0; i < 40 && h.tcb.state !== TcpState.CLOSED; i++) {
      const at = h.tcb.pollAt();
      assert.ok(at !== undefined);
      h.advance(at - h.now);
      for (const s of h.sink.sent.splice(0)) if (s.repr.payloadLen > 0) heads++;
    }
    h.expectState(TcpState.CLOSED);
    assert.equal(heads, 8);
    assert.equal(h.tcb.error, ERRNO.ETIMEDOUT);
  });

  test('RTO: the sysctl value bounds the retransmissions (3)', () => {
    const h = Harness.established(NO_TS, PLAIN);
    h.tcb.closePolicy = policy({ orphanRetries: () => 3 });
    h.send(100);
    h.tcb.close(h.t);
    h.sink.sent.length = 0;
    let heads = 0;
    for (let i = 0; i < 40 && h.tcb.state !== TcpState.CLOSED; i++) {
      h.advance(h.tcb.pollAt()! - h.now);
      for (const s of h.sink.sent.splice(0)) {
        assert.equal(s.repr.flags & 0x04, 0, 'never a RST');
        if (s.repr.payloadLen > 0) heads++;
      }
    }
    assert.equal(heads, 3);
  });

  test('a connection that is not closed keeps tcp_retries2', () => {
    const h = Harness.established({ sysctls: { 'net.ipv4.tcp_timestamps': 0, 'net.ipv4.tcp_retries2': 5 } }, PLAIN);
    h.tcb.closePolicy = policy({ orphanRetries: () => 1 });
    h.send(100);
    h.sink.sent.length = 0;
    let heads = 0;
    for (let i = 0; i < 40 && h.tcb.state !== TcpState.CLOSED; i++) {
      h.advance(h.tcb.pollAt()! - h.now);
      for (const s of h.sink.sent.splice(0)) if (s.repr.payloadLen > 0) heads++;
    }
    assert.equal(heads, 5);
  });

  test('zero-window orphan with answered probes: dropped once the interval reaches tcp_rto_max', () => {
    const h = Harness.established(NO_TS, PLAIN, 0);
    h.send(2000);
    h.tcb.close(h.t);
    h.sink.sent.length = 0;
    let probes = 0;
    for (let i = 0; i < 40 && h.tcb.state !== TcpState.CLOSED; i++) {
      h.advance(h.tcb.pollAt()! - h.now);
      for (const s of h.sink.sent.splice(0)) {
        assert.equal(s.repr.seq, (L + 0) >>> 0, 'probe at SND.UNA - 1');
        probes++;
      }
      // The peer answers every probe with its zero window (resets the probe count, not the backoff).
      if ((h.tcb.state as TcpState) !== TcpState.CLOSED) h.deliver({ flags: '.', seq: R + 1, ack: L + 1, win: 0 });
    }
    h.expectState(TcpState.CLOSED);
    // RTO 300 ms: intervals 0.3 × 2^k; at backoff 9 it reaches 120 s and the orphan is dropped.
    assert.equal(probes, 9);
    assert.equal(h.tcb.error, ERRNO.ETIMEDOUT);
  });

  test('tooManyOrphans on the RTO uses the backoff as shift, and resets (sent recently)', () => {
    const h = Harness.established(NO_TS, PLAIN);
    const shifts: number[] = [];
    h.tcb.closePolicy = policy({
      tooManyOrphans: (shift) => {
        shifts.push(shift);
        return (1 << shift) > 2;
      },
    });
    h.send(100);
    h.tcb.close(h.t);
    h.sink.sent.length = 0;
    for (let i = 0; i < 10 && h.tcb.state !== TcpState.CLOSED; i++) h.advance(h.tcb.pollAt()! - h.now);
    h.expectState(TcpState.CLOSED);
    assert.deepEqual(shifts, [0, 0, 1, 2]);
    const last = h.sink.sent.at(-1)!;
    assert.equal(last.repr.flags, 0x14, 'R.');
    assert.equal(h.tcb.mib.TcpExtTCPAbortOnMemory, 1);
  });
});

// ---------------------------------------------------------------- two stacks, socket layer

function world() {
  const p = pair('ethernet');
  const ta = new TcpLayer(p.a, p.a.sysctls, { rng: new Xoshiro128(21) });
  const tb = new TcpLayer(p.b, p.b.sysctls, { rng: new Xoshiro128(22) });
  p.a.registerTransport(ta);
  p.b.registerTransport(tb);
  const clock = () => p.sim.now();
  const A = new SocketApi(p.a, ta, { clock });
  const B = new SocketApi(p.b, tb, { clock });
  return { ...p, A, B, ta, tb, run: (us = 50_000) => p.sim.runFor(us) };
}
type World = ReturnType<typeof world>;

function finish(w: World, r: CallResult): SysResult {
  for (let i = 0; isPending(r); i++) {
    assert.ok(i < 1000, 'call never completed');
    w.run(10_000);
    r = r.pending.retry(w.sim.now());
  }
  return r;
}
function okv(r: CallResult): number {
  const d = finish({} as World, r);
  assert.equal(d.errno, undefined, `unexpected errno ${d.errno}`);
  return d.ret;
}

/** `n` connections A → B:port, accepted. */
function connections(w: World, n: number, port: number): { c: number[]; s: number[] } {
  const lfd = okv(w.B.socket(LINUX.AF_INET, LINUX.SOCK_STREAM, 0));
  okv(w.B.bind(lfd, sockaddr4(B4, port)));
  okv(w.B.listen(lfd, n + 8));
  const c: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < n; i++) {
    const fd = okv(w.A.socket(LINUX.AF_INET, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK, 0));
    w.A.connect(fd, sockaddr4(B4, port));
    c.push(fd);
  }
  w.run();
  for (let i = 0; i < n; i++) s.push(finish(w, w.B.accept(lfd)).ret);
  return { c, s };
}

describe('per stack, through the socket layer', () => {
  test('tcp_purge_receive_queue is a 0/1 sysctl of the stack, read at the RST', () => {
    const w = world();
    assert.equal(w.b.sysctls.set('net.ipv4.tcp_purge_receive_queue', '2'), ERRNO.EINVAL);
    assert.equal(w.b.sysctls.set('net.ipv4.tcp_purge_receive_queue', '1'), 0);
    const { c, s } = connections(w, 1, 7600);
    okv(w.A.write(c[0]!, new Uint8Array(500)));
    okv(w.A.shutdown(c[0]!, LINUX.SHUT_WR));
    w.run();
    assert.equal(w.B.ioctl(s[0]!, LINUX.FIONREAD).value, 500);
    okv(w.A.setsockopt(c[0]!, LINUX.SOL_SOCKET, LINUX.SO_LINGER, { onoff: 1, linger: 0 }));
    okv(w.A.close(c[0]!));
    w.run();
    assert.equal(w.B.ioctl(s[0]!, LINUX.FIONREAD).value, 0, 'purged');
    assert.equal(okv(w.B.read(s[0]!, new Uint8Array(600))), 0);
    assert.equal(w.B.getsockopt(s[0]!, LINUX.SOL_SOCKET, LINUX.SO_ERROR).value, ERRNO.EPIPE);
  });

  test('tcp_max_orphans: closes beyond the limit are reset, counted; the count follows the states', () => {
    const w = world();
    const n = 40;
    const limit = 25;
    assert.equal(w.a.sysctls.set('net.ipv4.tcp_max_orphans', String(limit)), 0);
    const { c, s } = connections(w, n, 7601);
    // Close all at the same instant: each stays in FIN-WAIT-1 (its FIN not yet acknowledged).
    for (const fd of c) okv(w.A.close(fd));
    assert.equal(w.ta.orphanCount, limit);
    assert.equal(w.ta.mib.TcpExtTCPAbortOnMemory, n - limit);
    assert.equal(w.ta.connectionCount, limit);
    w.run();
    // The FINs are acknowledged: FIN-WAIT-2 orphans are not counted.
    assert.equal(w.ta.orphanCount, 0);
    // Every peer saw the FIN (EOF); those dropped also got the R. after it (CLOSE-WAIT: EPIPE).
    let resets = 0;
    for (const fd of s) {
      assert.equal(finish(w, w.B.read(fd, new Uint8Array(8))).ret, 0);
      if (w.B.getsockopt(fd, LINUX.SOL_SOCKET, LINUX.SO_ERROR).value === ERRNO.EPIPE) resets++;
    }
    assert.equal(resets, n - limit);
  });
});
