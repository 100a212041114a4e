/**
 * Two TCBs wired back to back through a tiny in-test network on a virtual clock: random byte
 * streams both ways must arrive exactly, and both ends must finish in CLOSED or TIME-WAIT, also when
 * the network drops and reorders segments (seeded).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { Sysctls } from '../../../src/core/stack/sysctl.js';
import type { ByteRing } from '../../../src/core/storage/ring.js';
import { type TcpSocketOptions, tcpConfig } from '../../../src/core/tcp/config.js';
import { type SegmentSink, TcpState, tcpStateName } from '../../../src/core/tcp/segment.js';
import { Tcb } from '../../../src/core/tcp/tcb.js';
import { type Instant, instant } from '../../../src/core/time/time.js';
import { TcpFlag, TcpRepr } from '../../../src/core/wire/tcp.js';

interface InFlight {
  at: number;
  order: number;
  to: 0 | 1;
  repr: TcpRepr;
  data: Uint8Array;
}

export interface Scenario {
  seed: number;
  lenA: number;
  lenB: number;
  dropPct: number;
  jitterUs: number;
  sockA: TcpSocketOptions;
  sockB: TcpSocketOptions;
  timestamps: boolean;
}

class Net {
  readonly q: InFlight[] = [];
  now = 0;
  order = 0;
  sent = 0;
  dropped = 0;
  constructor(
    readonly rng: Xoshiro128,
    readonly dropPct: number,
    readonly jitterUs: number,
  ) {}

  sinkTo(to: 0 | 1): SegmentSink {
    return {
      send: (seg: TcpRepr, payload: ByteRing | undefined, skip: number, len: number): boolean => {
        this.sent++;
        // Never lose the very first SYN, so every run gets a connection quickly; all else may go.
        if (this.sent > 1 && this.rng.nextInt(0, 99) < this.dropPct) {
          this.dropped++;
          return true;
        }
        const repr = new TcpRepr();
        repr.copyFrom(seg);
        const data = new Uint8Array(len);
        if (len > 0) payload?.peek(data, 0, len, skip);
        const at = this.now + 1000 + (this.jitterUs > 0 ? this.rng.nextInt(0, this.jitterUs) : 0);
        this.q.push({ at, order: this.order++, to, repr, data });
        return true;
      },
    };
  }

  /** Remove and return the earliest segment due at or before `t`. */
  take(t: number): InFlight | undefined {
    let best = -1;
    for (let i = 0; i < this.q.length; i++) {
      const e = this.q[i]!;
      if (e.at > t) continue;
      const b = best < 0 ? undefined : this.q[best]!;
      if (!b || e.at < b.at || (e.at === b.at && e.order < b.order)) best = i;
    }
    if (best < 0) return undefined;
    return this.q.splice(best, 1)[0];
  }

  nextAt(): number | undefined {
    let t: number | undefined;
    for (const e of this.q) if (t === undefined || e.at < t) t = e.at;
    return t;
  }
}

function stream(rng: Xoshiro128, n: number): Uint8Array {
  const b = new Uint8Array(n);
  rng.fillBytes(b);
  return b;
}

class End {
  tcb: Tcb | undefined;
  written = 0;
  readonly got: Uint8Array;
  gotLen = 0;
  shut = false;
  closed = false;
  constructor(
    readonly out: Uint8Array,
    expectIn: number,
  ) {
    this.got = new Uint8Array(expectIn + 1);
  }

  /** The application: write what fits, read everything, shut down when done, close after EOF. */
  app(now: Instant): void {
    const t = this.tcb;
    if (!t || t.state === TcpState.SYN_SENT || t.state === TcpState.SYN_RECEIVED) return;
    while (this.written < this.out.length) {
      const n = t.send(this.out, this.written, this.out.length - this.written, now);
      if (n <= 0) break;
      this.written += n;
    }
    if (this.written === this.out.length && !this.shut) {
      this.shut = true;
      t.shutdownWrite(now);
    }
    for (;;) {
      const n = t.recv(this.got, this.gotLen, this.got.length - this.gotLen, now);
      if (n <= 0) break;
      this.gotLen += n;
    }
    if (t.eof && this.shut && !this.closed && t.available === 0) {
      this.closed = true;
      t.close(now);
    }
  }
}

/** Set to print every delivered segment (debugging). */
export const debug: { trace?: (line: string) => void } = {};

export function run(s: Scenario): { events: number; dropped: number; now: number } {
  const rng = new Xoshiro128(s.seed);
  const net = new Net(rng.fork(), s.dropPct, s.jitterUs);
  const sys = new Sysctls(undefined, { 'net.ipv4.tcp_timestamps': s.timestamps ? 1 : 0 });
  const a = new End(stream(rng, s.lenA), s.lenB);
  const b = new End(stream(rng, s.lenB), s.lenA);
  const ends = [a, b] as const;
  const ta = new Tcb(tcpConfig(sys, s.sockA), net.sinkTo(1));
  ta.localPort = 1000;
  ta.remotePort = 2000;
  a.tcb = ta;
  ta.connect(rng.nextU32(), instant(0), rng.nextU32());
  let events = 0;
  for (; events < 2_000_000; events++) {
    const now = instant(net.now);
    for (const e of ends) e.app(now);
    let t = net.nextAt();
    for (const e of ends) {
      const p = e.tcb?.pollAt();
      if (p !== undefined && (t === undefined || p < t)) t = p;
    }
    if (t === undefined) break;
    net.now = Math.max(net.now, t);
    const at = instant(net.now);
    const seg = net.take(net.now);
    if (seg) {
      const dst = ends[seg.to];
      debug.trace?.(`${net.now} ->${seg.to ? 'B' : 'A'} ${seg.repr.toString()}`);
      if (!dst.tcb) {
        if (seg.repr.flags === TcpFlag.SYN) {
          dst.tcb = Tcb.fromSyn(tcpConfig(sys, s.sockB), net.sinkTo(0), seg.repr, rng.nextU32(), at, rng.nextU32());
        }
      } else {
        dst.tcb.input(seg.repr, seg.data, 0, at);
        const t = dst.tcb;
        debug.trace?.(
          `   ${tcpStateName(t.state)} una=${t.snd.una} nxt=${t.snd.nxt} max=${t.snd.max} rnxt=${t.rcv.nxt} q=${t.sndQueue.length} rtx=${t.rtxAt}`,
        );
      }
      continue;
    }
    for (const e of ends) {
      const p = e.tcb?.pollAt();
      if (e.tcb && p !== undefined && p <= net.now) e.tcb.poll(at);
    }
  }
  const where = `seed ${s.seed}: A ${tcpStateName(ta.state)} B ${b.tcb ? tcpStateName(b.tcb.state) : '-'} t=${net.now}`;
  assert.ok(b.tcb, `${where}: B exists`);
  for (const [name, e, other] of [
    ['A', a, b],
    ['B', b, a],
  ] as const) {
    assert.equal(e.gotLen, other.out.length, `${where}: ${name} received all`);
    assert.deepEqual(e.got.subarray(0, e.gotLen), other.out, `${where}: ${name} bytes`);
    const st = e.tcb!.state;
    assert.ok(st === TcpState.CLOSED || st === TcpState.TIME_WAIT, `${where}: ${name} finished`);
    assert.equal(e.tcb!.error, 0, `${where}: ${name} no error`);
  }
  return { events, dropped: net.dropped, now: net.now };
}

const sockArb = fc.record(
  {
    rcvBuf: fc.integer({ min: 1000, max: 100_000 }),
    sndBuf: fc.integer({ min: 1000, max: 100_000 }),
    nodelay: fc.boolean(),
    maxSeg: fc.integer({ min: 100, max: 1460 }),
  },
  { requiredKeys: [] },
);

describe('two TCBs back to back', () => {
  test('clean network: 1 MB each way, both end in CLOSED / TIME-WAIT', () => {
    const r = run({
      seed: 1,
      lenA: 1_000_000,
      lenB: 1_000_000,
      dropPct: 0,
      jitterUs: 0,
      sockA: {},
      sockB: {},
      timestamps: true,
    });
    assert.ok(r.events > 0);
  });

  test('one direction only, small buffers, 10% loss', () => {
    run({
      seed: 7,
      lenA: 200_000,
      lenB: 0,
      dropPct: 10,
      jitterUs: 3000,
      sockA: { sndBuf: 3000 },
      sockB: { rcvBuf: 2000 },
      timestamps: false,
    });
  });

  test('property: random streams, buffers, MSS, loss and reordering', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer(),
          lenA: fc.integer({ min: 0, max: 60_000 }),
          lenB: fc.integer({ min: 0, max: 60_000 }),
          dropPct: fc.integer({ min: 0, max: 15 }),
          jitterUs: fc.integer({ min: 0, max: 5000 }),
          sockA: sockArb,
          sockB: sockArb,
          timestamps: fc.boolean(),
        }),
        (s) => {
          run(s);
        },
      ),
      { numRuns: Number(process.env.TCB_PAIR_RUNS ?? 150) },
    );
  });
});
