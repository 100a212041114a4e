/**
 * Connection repair (tcp/repair.ts, socket/repair.ts): export → JSON → import round trips, the
 * rcv_mwnd_seq fallback, refused records, and the TCP_REPAIR socket options.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MemoryCable } from '../../../src/core/link/cable.js';
import { SeededIsnGenerator } from '../../../src/core/rand/isn.js';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { isPending, SocketApi } from '../../../src/core/socket/api.js';
import { ERRNO, LINUX } from '../../../src/core/socket/linux.js';
import type { TcpRepairWindow } from '../../../src/core/socket/repair.js';
import { Stack } from '../../../src/core/stack/stack.js';
import { TcpLayer } from '../../../src/core/tcp/layer.js';
import { TcpListener } from '../../../src/core/tcp/listener.js';
import {
  checkRecord,
  exportTcb,
  fromBase64,
  importTcb,
  type RepairErrorCode,
  TCP_REPAIR_RECORD_VERSION,
  type TcpRepairRecord,
  toBase64,
} from '../../../src/core/tcp/repair.js';
import { TcpState } from '../../../src/core/tcp/segment.js';
import { Tcb } from '../../../src/core/tcp/tcb.js';
import { seqAdd, seqSub } from '../../../src/core/util/seq.js';
import { A4, B4, bytes, pair } from '../stack/stack-helpers.js';

/** A and B connected (B listening on 80), with data queued both ways, some of it unacknowledged. */
function connected() {
  const p = pair('ip', { delayUs: 1000 });
  const la = new TcpLayer(p.a, p.a.sysctls, { rng: new Xoshiro128(7), isn: new SeededIsnGenerator(8) });
  const lb = new TcpLayer(p.b, p.b.sysctls, { rng: new Xoshiro128(9), isn: new SeededIsnGenerator(10) });
  p.a.registerTransport(la);
  p.b.registerTransport(lb);
  const l = lb.listen(0, 80, 8);
  assert.ok(l instanceof TcpListener);
  const a = la.connect(B4, 80, {}, p.sim.now());
  assert.ok(a instanceof Tcb);
  let b: Tcb | undefined;
  p.sim.runUntil(() => (b ??= l.accept()) !== undefined && a.state === TcpState.ESTABLISHED, { maxSteps: 10_000 });
  assert.ok(b !== undefined);
  const toA = bytes(3000, 2);
  assert.equal(b.send(toA, 0, toA.length, p.sim.now()), toA.length);
  lb.touch(b);
  p.sim.runFor(20_000);
  const toB = bytes(12_000, 3);
  assert.equal(a.send(toB, 0, toB.length, p.sim.now()), toB.length);
  la.touch(a);
  // No time passes: what A sent is in flight, unacknowledged.
  return { p, la, lb, a, b, toA, toB };
}

/** A third stack holding A's address (the new home of an imported connection). */
function newHome() {
  const cable = new MemoryCable({ medium: 'ip' });
  const c = new Stack({ name: 'c', rng: new Xoshiro128(11) });
  const ic = c.addInterface(cable.a);
  c.addAddress(ic.index, A4, 24);
  const lc = new TcpLayer(c, c.sysctls, { rng: new Xoshiro128(12) });
  c.registerTransport(lc);
  return { c, lc, cable };
}

function exported(a: Tcb): TcpRepairRecord {
  const r = exportTcb(a);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return JSON.parse(JSON.stringify(r.value)) as TcpRepairRecord;
}

function queue(q: { length: number; peek: Tcb['sndQueue']['peek'] }): Uint8Array {
  const out = new Uint8Array(q.length);
  q.peek(out, 0, out.length, 0);
  return out;
}

describe('tcp repair: export → JSON → import', () => {
  it('round-trips every field, the queues and the TSval', () => {
    const { p, a, toA, toB } = connected();
    const rec = exported(a);
    assert.equal(rec.version, TCP_REPAIR_RECORD_VERSION);
    assert.equal(rec.state, 'ESTABLISHED');
    assert.ok(seqSub(rec.sndMax, rec.sndUna) > 0, 'nothing in flight');
    assert.equal(rec.sndQueueLen, toB.length);
    assert.equal(rec.rcvQueueLen, toA.length);
    assert.deepEqual(fromBase64(rec.rcvQueue), toA);
    const { lc } = newHome();
    const now = p.sim.now();
    const imp = importTcb(lc, rec, { local: A4, remote: B4 }, now);
    assert.ok(imp.ok, imp.ok ? '' : imp.error.message);
    const t = imp.value;
    assert.equal(lc.connectionCount, 1);
    // The same record comes out again.
    const again = exportTcb(t, now);
    assert.ok(again.ok);
    assert.deepEqual(JSON.parse(JSON.stringify(again.value)), rec);
    // The TCB: state, sequence numbers, retransmission state reset.
    assert.equal(t.state, TcpState.ESTABLISHED);
    assert.equal(t.snd.una, a.snd.una);
    assert.equal(t.snd.nxt, a.snd.una, 'SND.NXT goes back to SND.UNA');
    assert.equal(t.snd.max, a.snd.max);
    assert.equal(t.rcv.nxt, a.rcv.nxt);
    assert.equal(t.rcv.mwndSeq, a.rcv.mwndSeq);
    assert.equal(t.lastAckSent, a.lastAckSent);
    assert.equal(t.tsClock(now), a.tsClock(now));
    assert.equal(t.tsRecent, a.tsRecent);
    const opts = (x: Tcb): unknown[] => [x.wsOk, x.sndWscale, x.rcvWscale, x.tsOk, x.sackOk, x.peerMss, x.sndMss];
    assert.deepEqual(opts(t), opts(a));
    assert.deepEqual(queue(t.sndQueue), queue(a.sndQueue));
    assert.deepEqual(queue(t.rcvQueue), toA);
    assert.ok(t.rtxAt !== undefined, 'no retransmission timer for the unacknowledged data');
    assert.equal(t.rto(), t.cfg.rtoInitUs);
    // On a host whose clock reads differently, TSval continues from the exported value (PAWS).
    const other = importTcb(newHome().lc, rec, { local: A4, remote: B4 }, 1_000 as never);
    assert.ok(other.ok);
    assert.equal(other.value.tsClock(1_000 as never), rec.tsVal);
    assert.equal(other.value.tsClock(2_001_000 as never), (rec.tsVal + 2000) >>> 0);
  });

  it('carries CLOSE-WAIT (the peer’s FIN received)', () => {
    const { p, lb, a, b } = connected();
    b.shutdownWrite(p.sim.now());
    lb.touch(b);
    p.sim.runFor(20_000);
    assert.equal(a.state, TcpState.CLOSE_WAIT);
    const rec = exported(a);
    assert.equal(rec.state, 'CLOSE-WAIT');
    const imp = importTcb(newHome().lc, rec, { local: A4, remote: B4 }, p.sim.now());
    assert.ok(imp.ok, imp.ok ? '' : imp.error.message);
    assert.equal(imp.value.state, TcpState.CLOSE_WAIT);
    assert.ok(imp.value.eof);
  });

  it('carries FIN-WAIT-1 with data and the FIN in flight', () => {
    const { p, a } = connected();
    a.shutdownWrite(p.sim.now());
    assert.equal(a.state, TcpState.FIN_WAIT_1);
    const rec = exported(a);
    assert.equal(rec.state, 'FIN-WAIT-1');
    assert.equal(rec.sndMax, seqAdd(a.finSeq, 1), 'the FIN is not in flight');
    const imp = importTcb(newHome().lc, rec, { local: A4, remote: B4 }, p.sim.now());
    assert.ok(imp.ok, imp.ok ? '' : imp.error.message);
    const t = imp.value;
    assert.deepEqual([t.state, t.finQueued, t.finSeq, t.snd.max], [TcpState.FIN_WAIT_1, true, a.finSeq, a.snd.max]);
  });

  it('refuses to export a connection that is not synchronized', () => {
    const { la, p } = connected();
    const t = la.connect(B4, 81, {}, p.sim.now());
    assert.ok(t instanceof Tcb);
    const r = exportTcb(t);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'state');
  });
});

describe('tcp repair: rcv_mwnd_seq', () => {
  it('a record without rcvMwndSeq imports with rcvWup + rcvWnd (any sequence numbers)', () => {
    const { a, p } = connected();
    const base = exported(a);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 1 << 20 }),
        (nxt, back, wnd) => {
        // Shift the receive side to RCV.NXT = nxt (wrapping), RCV.WUP `back` bytes before it.
        const shift = seqSub(nxt, base.rcvNxt);
        const rec: TcpRepairRecord = {
          ...base,
          rcvNxt: nxt,
          irs: seqAdd(base.irs, shift),
          sndWl1: seqAdd(base.sndWl1, shift),
          rcvWup: seqAdd(nxt, -Math.min(back, base.rcvQueueLen)),
          rcvWnd: wnd,
          tsRecent: base.tsRecent,
        };
        delete rec.rcvMwndSeq;
        const edge = seqAdd(rec.rcvWup, wnd);
        // RCV.NXT can only be left of the edge (the window may be smaller than what was received).
        const c = checkRecord(rec);
        if (seqSub(nxt, edge) > 0) return !c.ok && c.error.code === 'window';
        const imp = importTcb(newHome().lc, rec, { local: A4, remote: B4 }, p.sim.now());
        return imp.ok && imp.value.rcv.mwndSeq === edge && imp.value.rcv.nxt === nxt;
      }),
      { numRuns: 200 },
    );
  });

  it('a record with rcvMwndSeq keeps it even when the last window was retracted', () => {
    const { a, p } = connected();
    const rec = exported(a);
    rec.rcvWup = rec.rcvNxt;
    rec.rcvWnd = 0;
    rec.rcvMwndSeq = seqAdd(rec.rcvNxt, 5000);
    const imp = importTcb(newHome().lc, rec, { local: A4, remote: B4 }, p.sim.now());
    assert.ok(imp.ok);
    assert.equal(imp.value.rcv.mwndSeq, seqAdd(rec.rcvNxt, 5000));
    delete rec.rcvMwndSeq;
    const imp2 = importTcb(newHome().lc, rec, { local: A4, remote: B4 }, p.sim.now());
    assert.ok(imp2.ok);
    assert.equal(imp2.value.rcv.mwndSeq, rec.rcvNxt);
  });
});

describe('tcp repair: bad records are refused with an error value', () => {
  const cases: [string, (r: Record<string, unknown>) => unknown, RepairErrorCode][] = [
    ['not an object', () => null, 'format'],
    ['a string', () => 'record', 'format'],
    ['wrong version', (r) => ({ ...r, version: 2 }), 'version'],
    ['no version', (r) => ({ ...r, version: undefined }), 'version'],
    ['state SYN-SENT', (r) => ({ ...r, state: 'SYN-SENT' }), 'state'],
    ['sequence number not a uint32', (r) => ({ ...r, sndUna: 2 ** 32 }), 'format'],
    ['sequence number as a string', (r) => ({ ...r, rcvNxt: '5' }), 'format'],
    ['negative window', (r) => ({ ...r, sndWnd: -1 }), 'format'],
    ['sndMax before sndUna', (r) => ({ ...r, sndMax: seqAdd(r.sndUna as number, -1) }), 'sequence'],
    ['sndMax beyond the send queue', (r) => ({ ...r, sndMax: seqAdd(r.sndUna as number, (r.sndQueueLen as number) + 1) }), 'sequence'],
    ['sndQueueLen does not match', (r) => ({ ...r, sndQueueLen: (r.sndQueueLen as number) - 1 }), 'queue'],
    ['rcvQueueLen does not match', (r) => ({ ...r, rcvQueueLen: (r.rcvQueueLen as number) + 3 }), 'queue'],
    ['queue not base64', (r) => ({ ...r, rcvQueue: '*'.repeat(4 * Math.ceil((r.rcvQueueLen as number) / 3)) }), 'queue'],
    ['queue as an array', (r) => ({ ...r, sndQueue: [1, 2, 3] }), 'queue'],
    ['rcvWup after rcvNxt', (r) => ({ ...r, rcvWup: seqAdd(r.rcvNxt as number, 1) }), 'window'],
    ['rcvMwndSeq left of rcvWup + rcvWnd', (r) => ({ ...r, rcvMwndSeq: seqAdd(r.rcvWup as number, -1) }), 'window'],
    ['rcvNxt beyond rcvMwndSeq', (r) => ({ ...r, rcvWup: r.rcvNxt, rcvWnd: 0, rcvMwndSeq: seqAdd(r.rcvNxt as number, -1) }), 'window'],
    ['maxWindow below sndWnd', (r) => ({ ...r, maxWindow: (r.sndWnd as number) - 1 }), 'window'],
    ['window scale 15', (r) => ({ ...r, options: { ...(r.options as object), sndWscale: 15 } }), 'options'],
    ['one window scale off', (r) => ({ ...r, options: { ...(r.options as object), rcvWscale: -1 } }), 'options'],
    ['MSS 0', (r) => ({ ...r, options: { ...(r.options as object), mss: 0 } }), 'options'],
    ['port 0', (r) => ({ ...r, localPort: 0 }), 'format'],
  ];
  for (const [name, mutate, code] of cases) {
    it(`${name} → ${code}`, () => {
      const { a, p } = connected();
      const bad = mutate(exported(a) as unknown as Record<string, unknown>);
      const c = checkRecord(bad);
      assert.ok(!c.ok, 'accepted');
      assert.equal(c.error.code, code, c.error.message);
      assert.equal(c.error.errno, ERRNO.EINVAL);
      const { lc } = newHome();
      const imp = importTcb(lc, bad, { local: A4, remote: B4 }, p.sim.now());
      assert.ok(!imp.ok);
      assert.equal(lc.connectionCount, 0, 'a refused record left a connection behind');
    });
  }

  it('an existing 4-tuple → address / EADDRINUSE; a foreign local address → EADDRNOTAVAIL', () => {
    const { a, p } = connected();
    const rec = exported(a);
    const { lc } = newHome();
    assert.ok(importTcb(lc, rec, { local: A4, remote: B4 }, p.sim.now()).ok);
    const twice = importTcb(lc, rec, { local: A4, remote: B4 }, p.sim.now());
    assert.ok(!twice.ok);
    assert.deepEqual([twice.error.code, twice.error.errno], ['address', ERRNO.EADDRINUSE]);
    const foreign = importTcb(newHome().lc, rec, { local: B4, remote: A4 }, p.sim.now());
    assert.ok(!foreign.ok);
    assert.equal(foreign.error.errno, ERRNO.EADDRNOTAVAIL);
  });

  it('SocketApi.importConnection returns the error and opens no fd', () => {
    const { c, lc } = newHome();
    const api = new SocketApi(c, lc, { clock: () => 0 as never });
    for (const bad of [null, 42, {}, { version: 1 }, { version: 1, local: '10.0.0.1', remote: '10.0.0.2' }]) {
      const r = api.importConnection(bad);
      assert.ok(!r.ok);
      assert.equal(typeof r.error.message, 'string');
    }
    assert.deepEqual(api.openFds(), []);
  });
});

describe('tcp repair: base64', () => {
  it('encodes as RFC 4648 does and decodes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const s = toBase64(b);
        assert.equal(s, Buffer.from(b).toString('base64'));
        assert.deepEqual(fromBase64(s), b);
      }),
    );
  });
  it('refuses bad input', () => {
    for (const s of ['a', 'ab=c', '====', 'ab\u00ffd', 'a=bc', 'abc$']) assert.equal(fromBase64(s), undefined, s);
  });
});

describe('tcp repair: socket options', () => {
  function sockets() {
    const p = pair('ip', { delayUs: 1000 });
    const la = new TcpLayer(p.a, p.a.sysctls, { rng: new Xoshiro128(7) });
    const lb = new TcpLayer(p.b, p.b.sysctls, { rng: new Xoshiro128(9) });
    p.a.registerTransport(la);
    p.b.registerTransport(lb);
    assert.ok(lb.listen(0, 80, 8) instanceof TcpListener);
    const api = new SocketApi(p.a, la, { clock: () => p.sim.now() });
    const fd = api.socket(LINUX.AF_INET, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK, 0).ret;
    api.connect(fd, { family: LINUX.AF_INET, addr: B4, port: 80 });
    p.sim.runFor(20_000);
    return { p, la, lb, api, fd };
  }
  const get = (api: SocketApi, fd: number, name: number) => api.getsockopt(fd, LINUX.SOL_TCP, name);
  const set = (api: SocketApi, fd: number, name: number, v: unknown) =>
    api.setsockopt(fd, LINUX.SOL_TCP, name, v as number);

  it('TCP_REPAIR_WINDOW, TCP_REPAIR_QUEUE and TCP_QUEUE_SEQ need repair mode and report the TCB', () => {
    const { api, fd, la } = sockets();
    assert.equal(get(api, fd, LINUX.TCP_REPAIR).value, 0);
    assert.equal(get(api, fd, LINUX.TCP_REPAIR_WINDOW).errno, ERRNO.EPERM);
    assert.equal(set(api, fd, LINUX.TCP_REPAIR_QUEUE, LINUX.TCP_SEND_QUEUE).errno, ERRNO.EPERM);
    assert.equal(set(api, fd, LINUX.TCP_REPAIR, LINUX.TCP_REPAIR_ON).ret, 0);
    assert.equal(get(api, fd, LINUX.TCP_REPAIR).value, 1);
    const exp = api.exportConnection(fd);
    assert.ok(exp.ok);
    const rec = exp.value;
    assert.equal(rec.local, '10.0.0.1');
    assert.equal(rec.remote, '10.0.0.2');
    const w = get(api, fd, LINUX.TCP_REPAIR_WINDOW).value as TcpRepairWindow;
    assert.deepEqual(w, {
      snd_wl1: rec.sndWl1,
      snd_wnd: rec.sndWnd,
      max_window: rec.maxWindow,
      rcv_wnd: rec.rcvWnd,
      rcv_wup: rec.rcvWup,
      rcv_mwnd_seq: rec.rcvMwndSeq,
    });
    assert.equal(set(api, fd, LINUX.TCP_REPAIR_QUEUE, LINUX.TCP_SEND_QUEUE).ret, 0);
    assert.equal(get(api, fd, LINUX.TCP_QUEUE_SEQ).value, seqAdd(rec.sndUna, rec.sndQueueLen));
    assert.equal(set(api, fd, LINUX.TCP_REPAIR_QUEUE, LINUX.TCP_RECV_QUEUE).ret, 0);
    assert.equal(get(api, fd, LINUX.TCP_QUEUE_SEQ).value, rec.rcvNxt);
    assert.equal(set(api, fd, LINUX.TCP_REPAIR_QUEUE, 7).errno, ERRNO.EINVAL);
    // A window without rcv_mwnd_seq (Linux's struct) sets it to rcv_wup + rcv_wnd.
    const { rcv_mwnd_seq: _, ...linuxWindow } = w;
    void _;
    assert.equal(set(api, fd, LINUX.TCP_REPAIR_WINDOW, { ...linuxWindow, rcv_wnd: 100 }).ret, 0);
    assert.equal((get(api, fd, LINUX.TCP_REPAIR_WINDOW).value as TcpRepairWindow).rcv_mwnd_seq, seqAdd(w.rcv_wup, 100));
    assert.equal(set(api, fd, LINUX.TCP_REPAIR_WINDOW, { ...w, rcv_wup: seqAdd(rec.rcvNxt, 1) }).errno, ERRNO.EINVAL);
    assert.equal(la.connectionCount, 1);
  });

  it('close() in repair mode sends nothing and drops the connection; TCP_REPAIR off sends a window probe', () => {
    const { api, fd, la, p } = sockets();
    assert.equal(set(api, fd, LINUX.TCP_REPAIR, LINUX.TCP_REPAIR_ON).ret, 0);
    const before = la.counters.OutSegs;
    assert.equal(set(api, fd, LINUX.TCP_REPAIR, LINUX.TCP_REPAIR_OFF).ret, 0);
    assert.equal(la.counters.OutSegs, before + 1, 'no window probe');
    assert.equal(set(api, fd, LINUX.TCP_REPAIR, LINUX.TCP_REPAIR_ON).ret, 0);
    assert.equal(set(api, fd, LINUX.TCP_REPAIR, LINUX.TCP_REPAIR_OFF_NO_WP).ret, 0);
    assert.equal(la.counters.OutSegs, before + 1, 'TCP_REPAIR_OFF_NO_WP sent something');
    // Let the peer's answer to the probe arrive while the connection still exists.
    p.sim.runFor(100_000);
    const quiet = la.counters.OutSegs;
    assert.equal(set(api, fd, LINUX.TCP_REPAIR, LINUX.TCP_REPAIR_ON).ret, 0);
    const r = api.close(fd);
    assert.ok(!isPending(r) && r.ret === 0);
    p.sim.runFor(1_000_000);
    assert.equal(la.counters.OutSegs, quiet, 'close in repair mode sent a segment');
    assert.equal(la.connectionCount, 0);
  });

  it('importConnection gives a connected fd on the new stack', () => {
    const { api, fd, p } = sockets();
    assert.equal(set(api, fd, LINUX.TCP_REPAIR, LINUX.TCP_REPAIR_ON).ret, 0);
    const exp = api.exportConnection(fd);
    assert.ok(exp.ok);
    const { c, lc } = newHome();
    const api2 = new SocketApi(c, lc, { clock: () => p.sim.now() });
    const imp = api2.importConnection(JSON.parse(JSON.stringify(exp.value)), LINUX.SOCK_NONBLOCK);
    assert.ok(imp.ok, imp.ok ? '' : imp.error.message);
    const peer = api2.getpeername(imp.value);
    assert.equal(peer.ret, 0);
    assert.deepEqual(peer.addr, { family: LINUX.AF_INET, addr: B4, port: 80 });
    assert.equal(api2.getsockopt(imp.value, LINUX.SOL_TCP, LINUX.TCP_REPAIR).value, 0);
  });
});
