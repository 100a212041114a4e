/**
 * Simulation: connection repair on the virtual clock. Three stacks: A and A' share one port of a
 * memory cable (only the plugged-in one sends and receives, like a host moved behind the same
 * switch port), B sits on the other end.
 *
 * 1. Migration under loss: A and B move data both ways over a link losing 2 % of the frames each
 *    way; mid-transfer A's connection is checkpointed (TCP_REPAIR on, `exportConnection`, the
 *    record goes through JSON), A is unplugged and closes the socket in repair mode (nothing is
 *    sent), A' takes A's address and `importConnection`s the record; both directions finish
 *    byte-exact (SHA-256) and B never sees (or sends) a RST.
 * 2. The rcv_mwnd_seq scenario of docs/repair.md: a writer blocked on a full send queue whose own
 *    receive window was retracted, restored with and without the field.
 */
import assert from 'node:assert/strict';
import { createHash, type Hash } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryCable } from '../../src/core/link/cable.js';
import { FaultInjector } from '../../src/core/link/fault.js';
import { Frame, type Link } from '../../src/core/link/link.js';
import { SeededIsnGenerator } from '../../src/core/rand/isn.js';
import { Xoshiro128 } from '../../src/core/rand/rng.js';
import { isPending, type SocketApi as Api, SocketApi, type SysResult } from '../../src/core/socket/api.js';
import { ERRNO, LINUX } from '../../src/core/socket/linux.js';
import { Stack } from '../../src/core/stack/stack.js';
import { TcpTuple } from '../../src/core/tcp/demux.js';
import { TcpLayer } from '../../src/core/tcp/layer.js';
import { TcpListener } from '../../src/core/tcp/listener.js';
import type { TcpRepairRecord } from '../../src/core/tcp/repair.js';
import { TcpState } from '../../src/core/tcp/segment.js';
import { Tcb } from '../../src/core/tcp/tcb.js';
import type { Instant } from '../../src/core/time/time.js';
import { seqAdd, seqGt, seqSub } from '../../src/core/util/seq.js';
import { parseIpv4 } from '../../src/core/wire/address.js';
import { SimDriver } from '../../src/driver/sim.js';

const A4 = parseIpv4('10.0.0.1');
const B4 = parseIpv4('10.0.0.2');
const PORT = 5001;

/** One cable port shared by two stacks; only the plugged-in one's link is live. */
class Port {
  plugged: 0 | 1 = 0;
  /** Frames the unplugged side tried to send (they vanish). */
  readonly silenced = [0, 0];
  constructor(readonly inner: Link) {}
  side(i: 0 | 1): Link {
    const port: Port = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the closures below need it
    return {
      caps: port.inner.caps,
      stats: port.inner.stats,
      transmit(buf: Uint8Array, off: number, len: number, now: Instant): boolean {
        if (port.plugged !== i) {
          port.silenced[i]++;
          return true;
        }
        return port.inner.transmit(buf, off, len, now);
      },
      receive(now: Instant): Frame | undefined {
        return port.plugged === i ? port.inner.receive(now) : undefined;
      },
      pollAt(): Instant | undefined {
        return port.plugged === i ? port.inner.pollAt() : undefined;
      },
    };
  }
}

/** Counts TCP segments with RST in frames crossing B's link (medium 'ip', IPv4). */
class RstCounter implements Link {
  rstIn = 0;
  rstOut = 0;
  constructor(readonly inner: Link) {}
  get caps(): Link['caps'] {
    return this.inner.caps;
  }
  get stats(): Link['stats'] {
    return this.inner.stats;
  }
  transmit(buf: Uint8Array, off: number, len: number, now: Instant): boolean {
    if (isRst(buf, off, len)) this.rstOut++;
    return this.inner.transmit(buf, off, len, now);
  }
  receive(now: Instant): Frame | undefined {
    const f = this.inner.receive(now);
    if (f !== undefined && isRst(f.buf, f.off, f.len)) this.rstIn++;
    return f;
  }
  pollAt(): Instant | undefined {
    return this.inner.pollAt();
  }
}

function isRst(buf: Uint8Array, off: number, len: number): boolean {
  if (len < 20 || buf[off]! >> 4 !== 4 || buf[off + 9] !== 6) return false;
  const ihl = (buf[off]! & 15) * 4;
  return len >= ihl + 14 && (buf[off + ihl + 13]! & 0x04) !== 0;
}

/** Seeded pseudo-random bytes, made on demand and hashed as made. */
class Source {
  private readonly rng: Xoshiro128;
  private readonly chunk = new Uint8Array(16 * 1024);
  private pos = 0;
  private filled = 0;
  private made = 0;
  sent = 0;
  readonly hash: Hash = createHash('sha256');
  constructor(
    readonly total: number,
    seed: number,
  ) {
    this.rng = new Xoshiro128(seed);
  }
  /** Writes as much as `write` takes; `write` returns bytes taken (≤ 0: blocked). */
  pump(write: (b: Uint8Array, off: number, len: number) => number): void {
    while (this.sent < this.total) {
      if (this.pos === this.filled) {
        const n = Math.min(this.chunk.length, this.total - this.made);
        for (let i = 0; i < n; i++) this.chunk[i] = this.rng.nextU32() & 0xff;
        this.hash.update(this.chunk.subarray(0, n));
        this.made += n;
        this.pos = 0;
        this.filled = n;
      }
      const w = write(this.chunk, this.pos, this.filled - this.pos);
      if (w <= 0) break;
      this.pos += w;
      this.sent += w;
    }
  }
}

class Sink {
  private readonly buf = new Uint8Array(16 * 1024);
  got = 0;
  readonly hash: Hash = createHash('sha256');
  pump(read: (b: Uint8Array) => number): void {
    for (;;) {
      const n = read(this.buf);
      if (n <= 0) break;
      this.hash.update(this.buf.subarray(0, n));
      this.got += n;
    }
  }
}

function sys(r: ReturnType<Api['write']>): SysResult {
  assert.ok(!isPending(r), 'non-blocking call pended');
  return r;
}

interface World {
  sim: SimDriver;
  port: Port;
  fault: FaultInjector | undefined;
  rst: RstCounter;
  a: Stack;
  a2: Stack;
  b: Stack;
  apiA: SocketApi;
  apiA2: SocketApi;
  la: TcpLayer;
  lb: TcpLayer;
  la2: TcpLayer;
  listener: TcpListener;
  ifA2: number;
}

function world(loss: number, seed: number, listenOpts: { rcvBuf?: number; sndBuf?: number } = {}): World {
  const cable = new MemoryCable({ medium: 'ip', delayUs: 5000, rateBps: 100_000_000, checksumOffload: false });
  const fault = loss > 0 ? new FaultInjector(cable.a, new Xoshiro128(seed), { loss }) : undefined;
  const port = new Port(fault ?? cable.a);
  const rst = new RstCounter(cable.b);
  const mk = (name: string, n: number): { s: Stack; l: TcpLayer } => {
    const s = new Stack({ name, rng: new Xoshiro128(seed + n) });
    const rng = new Xoshiro128(seed + 10 + n);
    const l = new TcpLayer(s, s.sysctls, { rng, isn: new SeededIsnGenerator(seed + 20 + n) });
    s.registerTransport(l);
    return { s, l };
  };
  const A = mk('a', 1);
  const A2 = mk('a2', 2);
  const B = mk('b', 3);
  const linkA = port.side(0);
  const linkA2 = port.side(1);
  const ia = A.s.addInterface(linkA);
  const ia2 = A2.s.addInterface(linkA2);
  const ib = B.s.addInterface(rst);
  A.s.addAddress(ia.index, A4, 24);
  B.s.addAddress(ib.index, B4, 24);
  const sim = new SimDriver()
    .add(A.s, [linkA])
    .add(A2.s, [linkA2])
    .add(B.s, [rst])
    .addCable(cable);
  const clock = (): Instant => sim.now();
  const listener = B.l.listen(0, PORT, 16, listenOpts);
  assert.ok(listener instanceof TcpListener);
  return {
    sim,
    port,
    fault,
    rst,
    a: A.s,
    a2: A2.s,
    b: B.s,
    apiA: new SocketApi(A.s, A.l, { clock }),
    apiA2: new SocketApi(A2.s, A2.l, { clock }),
    la: A.l,
    lb: B.l,
    la2: A2.l,
    listener,
    ifA2: ia2.index,
  };
}

/** A non-blocking client socket on `api`, connected to B. */
function connectA(w: World, opts: { sndbuf?: number; rcvbuf?: number } = {}): { fd: number; server: Tcb } {
  const api = w.apiA;
  const fd = api.socket(LINUX.AF_INET, LINUX.SOCK_STREAM | LINUX.SOCK_NONBLOCK, 0).ret;
  const sol = LINUX.SOL_SOCKET;
  if (opts.sndbuf !== undefined) assert.equal(api.setsockopt(fd, sol, LINUX.SO_SNDBUF, opts.sndbuf).ret, 0);
  if (opts.rcvbuf !== undefined) assert.equal(api.setsockopt(fd, sol, LINUX.SO_RCVBUF, opts.rcvbuf).ret, 0);
  const c = sys(api.connect(fd, { family: LINUX.AF_INET, addr: B4, port: PORT }));
  assert.equal(c.errno, ERRNO.EINPROGRESS);
  let server: Tcb | undefined;
  w.sim.runUntil(() => (server ??= w.listener.accept()) !== undefined, { maxSteps: 100_000 });
  assert.ok(server instanceof Tcb);
  return { fd, server };
}

/**
 * Checkpoint A's connection and restore it on A': TCP_REPAIR on, export, JSON, unplug A, close in
 * repair mode (A sends nothing), plug A' in with A's address, import. `edit` may rewrite the record.
 */
function migrate(
  w: World,
  fd: number,
  edit: (r: TcpRepairRecord) => void = () => {},
): { fd2: number; rec: TcpRepairRecord } {
  assert.equal(w.apiA.setsockopt(fd, LINUX.SOL_TCP, LINUX.TCP_REPAIR, LINUX.TCP_REPAIR_ON).ret, 0);
  const exp = w.apiA.exportConnection(fd);
  assert.ok(exp.ok, exp.ok ? '' : exp.error.message);
  const json = JSON.stringify(exp.value);
  w.port.plugged = 1;
  const silencedBefore = w.port.silenced[0];
  assert.equal(sys(w.apiA.close(fd)).ret, 0);
  w.sim.runFor(1000);
  assert.equal(w.port.silenced[0], silencedBefore, 'A sent something after the checkpoint');
  w.a2.addAddress(w.ifA2, A4, 24);
  const rec = JSON.parse(json) as TcpRepairRecord;
  edit(rec);
  const imp = w.apiA2.importConnection(rec, LINUX.SOCK_NONBLOCK);
  assert.ok(imp.ok, imp.ok ? '' : imp.error.message);
  return { fd2: imp.value, rec };
}

const reader =
  (api: SocketApi, fd: number) =>
  (b: Uint8Array): number =>
    sys(api.read(fd, b)).ret;
const writer =
  (api: SocketApi, fd: number) =>
  (b: Uint8Array, off: number, len: number): number =>
    sys(api.write(fd, b.subarray(off, off + len))).ret;

describe('simulation: connection repair', () => {
  it('migrates a connection mid-transfer under 2 % loss: byte-exact both ways, no RST', () => {
    const N = 3 << 20;
    const w = world(0.02, 41);
    const { fd, server } = connectA(w);
    const srcA = new Source(N, 1);
    const srcB = new Source(N, 2);
    const sinkA = new Sink();
    const sinkB = new Sink();
    let api = w.apiA;
    let cfd = fd;
    const pumpB = (): void => {
      srcB.pump((b, o, l) => server.send(b, o, l, w.sim.now()));
      sinkB.pump((b) => server.recv(b, 0, b.length, w.sim.now()));
      w.lb.touch(server);
    };
    const pumpA = (): void => {
      srcA.pump(writer(api, cfd));
      sinkA.pump(reader(api, cfd));
    };
    const step = (): void => {
      pumpA();
      pumpB();
    };
    w.sim.runUntil(
      () => {
        step();
        return sinkB.got >= N / 3 && sinkA.got >= N / 3;
      },
      { maxSteps: 50_000_000 },
    );
    const lostBefore = w.fault!.tx.lost + w.fault!.rx.lost;
    const { fd2, rec } = migrate(w, fd);
    // The checkpoint caught data in both queues: unacknowledged bytes and unread bytes move along.
    assert.ok(rec.sndQueueLen > 0, 'nothing in flight at the checkpoint');
    assert.ok(seqGt(rec.sndMax, rec.sndUna), 'nothing sent-but-unacknowledged at the checkpoint');
    api = w.apiA2;
    cfd = fd2;
    const res = w.sim.runUntil(
      () => {
        step();
        return sinkB.got === N && sinkA.got === N;
      },
      { maxSteps: 50_000_000 },
    );
    const diag = `t=${w.sim.now()} a→b ${sinkB.got} b→a ${sinkA.got} server ${server.state} b ${JSON.stringify(w.lb.counters)}`;
    assert.equal(res.reason, 'done', diag);
    assert.equal(sinkB.hash.digest('hex'), srcA.hash.digest('hex'), 'a→b bytes differ');
    assert.equal(sinkA.hash.digest('hex'), srcB.hash.digest('hex'), 'b→a bytes differ');
    assert.ok(w.fault!.tx.lost + w.fault!.rx.lost > lostBefore, 'no loss after the migration');
    assert.equal(w.rst.rstIn, 0, 'B received a RST');
    assert.equal(w.rst.rstOut, 0, 'B sent a RST');
    assert.equal(server.state, TcpState.ESTABLISHED);
    assert.equal(w.la.connectionCount, 0);
  });

  /*
   * The scenario behind rcv_mwnd_seq (docs/repair.md): a client writes a large request before it
   * reads anything; its receive buffer fills with the server's reply and, short of memory, the
   * client *retracts* its window: it advertises RWIN 0 at an RCV.NXT that does not cover the last
   * data the server sent. The server, for its part, does not read for now: the client's writer is
   * blocked on a full send queue. The client is checkpointed and restored with its receive buffer
   * still full; then the server reads (opens its window) and its window update must reach the
   * restored client for the write to finish.
   *
   * This stack never retracts an advertised window (windowField keeps the right edge at
   * rcv.mwndSeq), so on its own it cannot produce the retracted record. The test models the memory
   * squeeze by shrinking the client's receive ring to what it holds while the server's data is in
   * flight (that data is then dropped, unacknowledged), and writes into the record what a
   * retracting receiver would have last advertised: rcvWnd 0 at rcvWup = rcvNxt. Three restores:
   *
   * - record as this stack exports it, rcv_mwnd_seq removed: the fallback rcvWup + rcvWnd equals
   *   rcv_mwnd_seq here (a stack that never retracts has nothing to lose), and it completes;
   * - retracted record with rcv_mwnd_seq: the server's window update carries SEQ = its SND.NXT,
   *   beyond RCV.NXT but inside the largest window ever advertised, so it is accepted and the
   *   transfer completes;
   * - retracted record without rcv_mwnd_seq: the receive window is 0 at RCV.NXT, so only a segment
   *   at exactly RCV.NXT passes the acceptability test. The server's window update (SEQ = its
   *   SND.NXT, beyond RCV.NXT) is dropped and answered with a duplicate ACK. Its retransmissions
   *   from SND.UNA (= RCV.NXT) do pass, but their SEQ is older than SND.WL1 (set by a segment whose
   *   data was dropped in the squeeze), so RFC 9293's window-update rule ignores their window. The
   *   client believes the server's window is still 0 and only sends zero-window probes, which the
   *   server answers with SEQ = its SND.NXT again: the write makes no progress at all. Run to the
   *   end, the server gives up after tcp_retries2 retransmissions (about 968 s of virtual time) and
   *   resets the client's next probe: the connection is stuck, then lost, as the seed predicts.
   */
  describe('writer blocked, retracted zero window, checkpoint/restore of the writer', () => {
    const WRITE = 96 * 1024;
    const REPLY = 64 * 1024;
    const DEADLINE_US = 60_000_000;

    type Variant = 'as-exported-without-mwnd' | 'retracted-with-mwnd' | 'retracted-without-mwnd';

    function run(variant: Variant): { done: boolean; tookUs: number; rec: TcpRepairRecord; progress: number } {
      const w = world(0, 77, { rcvBuf: 4096 });
      const { fd, server } = connectA(w, { sndbuf: 4096, rcvbuf: 4096 });
      const srcA = new Source(WRITE, 3);
      const srcB = new Source(REPLY, 4);
      const sinkA = new Sink();
      const sinkB = new Sink();
      let serverReads = false;
      let api = w.apiA;
      let cfd = fd;
      const step = (): void => {
        srcA.pump(writer(api, cfd));
        // The client reads only once its whole request is written (and acknowledged).
        if (srcA.sent === WRITE) sinkA.pump(reader(api, cfd));
        srcB.pump((b, o, l) => server.send(b, o, l, w.sim.now()));
        if (serverReads) sinkB.pump((b) => server.recv(b, 0, b.length, w.sim.now()));
        w.lb.touch(server);
      };
      // Phase 1: the server's reply fills most of the client's receive buffer; the client's send
      // queue is full (the server does not read).
      const client = tcbOf(w.la, w.apiA, fd);
      w.sim.runUntil(
        () => {
          step();
          return client.rcvQueue.length >= 2048;
        },
        { maxSteps: 1_000_000 },
      );
      // The memory squeeze: no room beyond what is queued; what the server still sends is dropped.
      assert.ok(client.rcvQueue.resize(client.rcvQueue.length));
      w.sim.runUntil(
        () => {
          step();
          return client.sndQueue.free === 0 && seqGt(server.snd.max, client.rcv.nxt);
        },
        { maxSteps: 1_000_000 },
      );
      w.sim.runFor(200_000, { maxSteps: 1_000_000 });
      step();
      assert.ok(srcA.sent < WRITE, 'the writer is not blocked');
      assert.equal(client.sndQueue.free, 0);
      assert.ok(seqGt(server.snd.max, client.rcv.nxt), 'the server has no unacknowledged data beyond RCV.NXT');
      // Checkpoint / restore.
      const writtenAtCheckpoint = srcA.sent;
      const { fd2, rec } = migrate(w, fd, (r) => {
        if (variant === 'as-exported-without-mwnd') {
          // This stack's own record: the last ACK's right edge already is the largest one.
          assert.equal(seqAdd(r.rcvWup, r.rcvWnd), r.rcvMwndSeq);
          delete r.rcvMwndSeq;
          return;
        }
        // What a receiver that retracted its window would have recorded.
        r.rcvWup = r.rcvNxt;
        r.rcvWnd = 0;
        if (variant === 'retracted-without-mwnd') delete r.rcvMwndSeq;
      });
      api = w.apiA2;
      cfd = fd2;
      const restored = tcbOf(w.la2, w.apiA2, fd2);
      assert.equal(
        restored.rcv.mwndSeq,
        variant === 'retracted-without-mwnd' ? rec.rcvNxt : seqAdd(rec.rcvNxt, seqSub(client.rcv.mwndSeq, client.rcv.nxt)),
      );
      w.sim.runFor(100_000, { maxSteps: 1_000_000 });
      // The server opens its window.
      serverReads = true;
      const t0 = w.sim.now();
      const res = w.sim.runUntil(
        () => {
          step();
          return (sinkB.got === WRITE && sinkA.got === REPLY) || w.sim.now() - t0 > DEADLINE_US;
        },
        { maxSteps: 5_000_000 },
      );
      const done = sinkB.got === WRITE && sinkA.got === REPLY;
      if (done) {
        assert.equal(sinkB.hash.digest('hex'), srcA.hash.digest('hex'));
        assert.equal(sinkA.hash.digest('hex'), srcB.hash.digest('hex'));
      }
      console.log(
        `# ${variant}: ${done ? 'done' : 'not done'} ${((w.sim.now() - t0) / 1e6).toFixed(3)} s after the window opened; ` +
          `written ${srcA.sent}/${WRITE}, server got ${sinkB.got}, client got ${sinkA.got}/${REPLY}; ` +
          `server retransmissions ${server.retransmits}`,
      );
      assert.equal(w.rst.rstIn + w.rst.rstOut, 0, `RSTs: B got ${w.rst.rstIn}, B sent ${w.rst.rstOut}`);
      void res;
      return { done, tookUs: w.sim.now() - t0, rec, progress: srcA.sent - writtenAtCheckpoint };
    }

    it('completes when restored from this stack’s record even without rcv_mwnd_seq', () => {
      const r = run('as-exported-without-mwnd');
      assert.ok(r.done, `not done after ${r.tookUs} µs`);
    });

    it('completes when the retracted record is restored with rcv_mwnd_seq', () => {
      const r = run('retracted-with-mwnd');
      assert.ok(r.done, `not done after ${r.tookUs} µs`);
    });

    it('stalls when the retracted record is restored without rcv_mwnd_seq', () => {
      const r = run('retracted-without-mwnd');
      assert.ok(!r.done, `done after ${r.tookUs} µs: the fallback did not stall`);
      assert.equal(r.progress, 0, 'the blocked writer made progress');
    });
  });
});

/** The TCB behind a connected socket, found in its layer's demux by the socket's 4-tuple. */
function tcbOf(layer: TcpLayer, api: SocketApi, fd: number): Tcb {
  const me = api.getsockname(fd).addr!;
  const peer = api.getpeername(fd).addr!;
  const t = new TcpTuple().setAddrs(me.addr as number, peer.addr as number);
  t.localPort = me.port;
  t.remotePort = peer.port;
  const c = layer.lookup(t);
  assert.ok(c !== undefined, 'no connection for the socket');
  return c.tcb;
}
