/**
 * Table-driven segment tests, one table per RFC 9293 state: a connection is driven into the state
 * (segments of the set-up consumed), one segment arrives, and the table gives what must go out and
 * the state after. Sequence numbers are relative to the two ISNs (`L` ours, `R` the peer's) and to
 * the state's own RCV.NXT / SND.NXT through the templates `rn` and `sn`. Expectations are Linux's
 * (the `linux` profile): RFC 5961 challenge ACKs, silent drop of ACKs for unsent data, immediate
 * duplicate ACKs for old or out-of-window data.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ERRNO } from '../../../src/core/socket/linux.js';
import { TcpState, tcpStateName } from '../../../src/core/tcp/segment.js';
import { Harness, L, R, type SegSpec } from './harness.js';

const NO_TS = { sysctls: { 'net.ipv4.tcp_timestamps': 0, 'net.ipv4.tcp_sack': 0 } };
const PLAIN = [['mss', 1460], 'nop', ['wscale', 7]] as const;

interface Setup {
  /** Drives a fresh harness into the state; segments sent on the way are consumed. */
  make(): Harness;
  /** RCV.NXT and SND.NXT once there (absolute, before `>>> 0`). */
  rn: number;
  sn: number;
}

function established(): Harness {
  return Harness.established(NO_TS, PLAIN);
}

function drained(h: Harness): Harness {
  h.sink.sent.length = 0;
  return h;
}

const SETUPS: Record<string, Setup> = {
  'SYN-SENT': {
    make: () => drained(Harness.active(NO_TS)),
    rn: R,
    sn: L + 1,
  },
  'SYN-RECEIVED': {
    make: () => drained(Harness.passive(['sackOK', ['mss', 1460]], NO_TS)),
    rn: R + 1,
    sn: L + 1,
  },
  ESTABLISHED: { make: established, rn: R + 1, sn: L + 1 },
  'FIN-WAIT-1': {
    make: () => {
      const h = established();
      h.tcb.shutdownWrite(h.t);
      return drained(h);
    },
    rn: R + 1,
    sn: L + 2,
  },
  'FIN-WAIT-2': {
    make: () => {
      const h = established();
      h.tcb.shutdownWrite(h.t);
      h.deliver({ flags: '.', seq: R + 1, ack: L + 2 });
      return drained(h);
    },
    rn: R + 1,
    sn: L + 2,
  },
  'CLOSE-WAIT': {
    make: () => {
      const h = established();
      h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
      h.advance(500_000); // the delayed ACK of the FIN
      return drained(h);
    },
    rn: R + 2,
    sn: L + 1,
  },
  CLOSING: {
    make: () => {
      const h = established();
      h.tcb.shutdownWrite(h.t);
      h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
      return drained(h);
    },
    rn: R + 2,
    sn: L + 2,
  },
  'LAST-ACK': {
    make: () => {
      const h = established();
      h.deliver({ flags: 'F.', seq: R + 1, ack: L + 1 });
      h.tcb.shutdownWrite(h.t);
      return drained(h);
    },
    rn: R + 2,
    sn: L + 2,
  },
  'TIME-WAIT': {
    make: () => {
      const h = established();
      h.tcb.shutdownWrite(h.t);
      h.deliver({ flags: '.', seq: R + 1, ack: L + 2 });
      h.deliver({ flags: 'F.', seq: R + 1, ack: L + 2 });
      return drained(h);
    },
    rn: R + 2,
    sn: L + 2,
  },
};

const STATE: Record<string, TcpState> = {
  'SYN-SENT': TcpState.SYN_SENT,
  'SYN-RECEIVED': TcpState.SYN_RECEIVED,
  ESTABLISHED: TcpState.ESTABLISHED,
  'FIN-WAIT-1': TcpState.FIN_WAIT_1,
  'FIN-WAIT-2': TcpState.FIN_WAIT_2,
  'CLOSE-WAIT': TcpState.CLOSE_WAIT,
  CLOSING: TcpState.CLOSING,
  'LAST-ACK': TcpState.LAST_ACK,
  'TIME-WAIT': TcpState.TIME_WAIT,
  CLOSED: TcpState.CLOSED,
};

interface Row {
  what: string;
  /** The arriving segment, from the state's RCV.NXT (`rn`) and SND.NXT (`sn`). */
  seg: (rn: number, sn: number) => SegSpec;
  /** What must go out at once. */
  out: (rn: number, sn: number) => SegSpec[];
  /** The state after (unchanged when omitted). */
  next?: string;
  /** The error the socket reports afterwards. */
  errno?: number;
  /** Extra set-up delivering 100 bytes (what it causes is discarded); `rn` is RCV.NXT after it. */
  before?: (h: Harness, rn: number, sn: number) => void;
}

const SYNCHRONIZED = ['ESTABLISHED', 'FIN-WAIT-1', 'FIN-WAIT-2', 'CLOSE-WAIT', 'CLOSING', 'LAST-ACK'];
const ack = (rn: number, sn: number): SegSpec => ({ flags: '.', seq: sn, ack: rn });

/** Rows every synchronized state shares (RFC 9293 §3.10.7.4 first to fifth checks, RFC 5961). */
const COMMON: Row[] = [
  {
    what: 'RST in the window but not at RCV.NXT: challenge ACK (RFC 5961 §3.2)',
    seg: (rn) => ({ flags: 'R', seq: rn + 100 }),
    out: (rn, sn) => [ack(rn, sn)],
  },
  {
    what: 'RST outside the window: dropped',
    seg: (rn) => ({ flags: 'R', seq: rn + 0x40000000 }),
    out: () => [],
  },
  {
    what: 'SYN: challenge ACK, connection kept (RFC 5961 §4.2)',
    seg: (rn) => ({ flags: 'S', seq: rn + 5000 }),
    out: (rn, sn) => [ack(rn, sn)],
  },
  {
    what: 'old duplicate data: immediate duplicate ACK',
    seg: (rn, sn) => ({ flags: 'P.', seq: rn - 10, ack: sn, data: 5 }),
    out: (rn, sn) => [ack(rn, sn)],
  },
  {
    what: 'data far beyond the window: duplicate ACK (data is not rate-limited)',
    seg: (rn, sn) => ({ flags: 'P.', seq: rn + 0x40000000, ack: sn, data: 10 }),
    out: (rn, sn) => [ack(rn, sn)],
  },
  {
    what: 'an ACK of data never sent: dropped without an answer (Linux tcp_ack)',
    seg: (rn, sn) => ({ flags: '.', seq: rn, ack: sn + 1000 }),
    out: () => [],
  },
  {
    what: 'a segment without ACK: dropped',
    seg: (rn) => ({ flags: 'P', seq: rn, data: 3 }),
    out: () => [],
  },
];

const TABLE: Record<string, Row[]> = {
  'SYN-SENT': [
    {
      what: 'SYN-ACK acknowledging our SYN: ESTABLISHED, ACK',
      seg: (rn, sn) => ({ flags: 'S.', seq: rn, ack: sn, options: PLAIN }),
      out: (rn, sn) => [ack(rn + 1, sn)],
      next: 'ESTABLISHED',
    },
    {
      what: 'SYN-ACK with a bad ACK: RST with SEQ = its ACK',
      seg: (rn, sn) => ({ flags: 'S.', seq: rn, ack: sn + 10 }),
      out: (_rn, sn) => [{ flags: 'R', seq: sn + 10 }],
    },
    {
      what: 'RST acknowledging our SYN: CLOSED, ECONNREFUSED',
      seg: (_rn, sn) => ({ flags: 'R.', seq: 0, ack: sn }),
      out: () => [],
      next: 'CLOSED',
      errno: ERRNO.ECONNREFUSED,
    },
    {
      what: 'RST without ACK: ignored',
      seg: () => ({ flags: 'R', seq: 0 }),
      out: () => [],
    },
    {
      what: 'simultaneous open: a SYN moves to SYN-RECEIVED with our SYN-ACK',
      seg: (rn) => ({ flags: 'S', seq: rn, options: PLAIN }),
      out: (rn, sn) => [{ flags: 'S.', seq: sn - 1, ack: rn + 1 }],
      next: 'SYN-RECEIVED',
    },
  ],
  'SYN-RECEIVED': [
    {
      what: 'the ACK of our SYN-ACK: ESTABLISHED',
      seg: (rn, sn) => ({ flags: '.', seq: rn, ack: sn }),
      out: () => [],
      next: 'ESTABLISHED',
    },
    {
      what: 'an ACK that is not for our SYN-ACK: RST',
      seg: (rn, sn) => ({ flags: '.', seq: rn, ack: sn + 5 }),
      out: (_rn, sn) => [{ flags: 'R', seq: sn + 5 }],
    },
    {
      what: 'a retransmitted SYN: our SYN-ACK again',
      seg: (rn) => ({ flags: 'S', seq: rn - 1 }),
      out: (rn, sn) => [{ flags: 'S.', seq: sn - 1, ack: rn }],
    },
    {
      what: 'RST at RCV.NXT: CLOSED',
      seg: (rn) => ({ flags: 'R', seq: rn }),
      out: () => [],
      next: 'CLOSED',
    },
  ],
  ESTABLISHED: [
    ...COMMON,
    {
      what: 'RST at RCV.NXT: CLOSED, ECONNRESET',
      seg: (rn) => ({ flags: 'R', seq: rn }),
      out: () => [],
      next: 'CLOSED',
      errno: ERRNO.ECONNRESET,
    },
    {
      what: 'data in order: taken, ACKed at once (quick-ACK mode at the start)',
      seg: (rn, sn) => ({ flags: 'P.', seq: rn, ack: sn, data: 100 }),
      out: (rn, sn) => [ack(rn + 100, sn)],
    },
    {
      what: 'data out of order: immediate duplicate ACK',
      seg: (rn, sn) => ({ flags: 'P.', seq: rn + 1000, ack: sn, data: 100 }),
      out: (rn, sn) => [ack(rn, sn)],
    },
    {
      // Linux delays it (pingpong), but with no data seen yet its delayed-ACK timeout is 0.
      what: 'FIN in order before any data: CLOSE-WAIT, ACK',
      seg: (rn, sn) => ({ flags: 'F.', seq: rn, ack: sn }),
      out: (rn, sn) => [ack(rn + 1, sn)],
      next: 'CLOSE-WAIT',
    },
    {
      what: 'FIN in order after data: CLOSE-WAIT, the ACK is delayed (Linux, hoping to carry our FIN)',
      seg: (rn, sn) => ({ flags: 'F.', seq: rn, ack: sn }),
      out: () => [],
      next: 'CLOSE-WAIT',
      before: (h, rn, sn) => {
        h.deliver({ flags: 'P.', seq: rn - 100, ack: sn, data: 100 });
      },
    },
  ],
  'FIN-WAIT-1': [
    ...COMMON,
    {
      what: 'the ACK of our FIN: FIN-WAIT-2',
      seg: (rn, sn) => ({ flags: '.', seq: rn, ack: sn }),
      out: () => [],
      next: 'FIN-WAIT-2',
    },
    {
      what: 'the peer FIN without the ACK of ours: CLOSING, ACK',
      seg: (rn, sn) => ({ flags: 'F.', seq: rn, ack: sn - 1 }),
      out: (rn, sn) => [ack(rn + 1, sn)],
      next: 'CLOSING',
    },
    {
      what: 'the peer FIN with the ACK of ours: TIME-WAIT, ACK',
      seg: (rn, sn) => ({ flags: 'F.', seq: rn, ack: sn }),
      out: (rn, sn) => [ack(rn + 1, sn)],
      next: 'TIME-WAIT',
    },
    {
      what: 'RST at RCV.NXT: CLOSED',
      seg: (rn) => ({ flags: 'R', seq: rn }),
      out: () => [],
      next: 'CLOSED',
    },
  ],
  'FIN-WAIT-2': [
    ...COMMON,
    {
      what: 'data in order is still taken (half-close)',
      seg: (rn, sn) => ({ flags: 'P.', seq: rn, ack: sn, data: 10 }),
      out: (rn, sn) => [ack(rn + 10, sn)],
    },
    {
      what: 'the peer FIN: TIME-WAIT, ACK',
      seg: (rn, sn) => ({ flags: 'F.', seq: rn, ack: sn }),
      out: (rn, sn) => [ack(rn + 1, sn)],
      next: 'TIME-WAIT',
    },
  ],
  'CLOSE-WAIT': [
    ...COMMON,
    {
      what: 'RST at RCV.NXT: CLOSED, EPIPE (Linux, after the peer FIN)',
      seg: (rn) => ({ flags: 'R', seq: rn }),
      out: () => [],
      next: 'CLOSED',
      errno: ERRNO.EPIPE,
    },
  ],
  CLOSING: [
    ...COMMON,
    {
      what: 'the ACK of our FIN: TIME-WAIT',
      seg: (rn, sn) => ({ flags: '.', seq: rn, ack: sn }),
      out: () => [],
      next: 'TIME-WAIT',
    },
    {
      what: 'RST at RCV.NXT: CLOSED',
      seg: (rn) => ({ flags: 'R', seq: rn }),
      out: () => [],
      next: 'CLOSED',
    },
  ],
  'LAST-ACK': [
    ...COMMON,
    {
      what: 'the ACK of our FIN: CLOSED',
      seg: (rn, sn) => ({ flags: '.', seq: rn, ack: sn }),
      out: () => [],
      next: 'CLOSED',
    },
  ],
  'TIME-WAIT': [
    {
      what: 'a retransmitted FIN: ACKed again, TIME-WAIT restarts',
      seg: (rn, sn) => ({ flags: 'F.', seq: rn - 1, ack: sn }),
      out: (rn, sn) => [ack(rn, sn)],
    },
    {
      what: 'RST at RCV.NXT: CLOSED (tcp_rfc1337 = 0, as Linux by default)',
      seg: (rn) => ({ flags: 'R', seq: rn }),
      out: () => [],
      next: 'CLOSED',
    },
  ],
};

for (const name of Object.keys(TABLE)) {
  const setup = SETUPS[name]!;
  describe(`RFC 9293 state ${name}`, () => {
    test('the set-up reaches the state', () => {
      const h = setup.make();
      assert.equal(tcpStateName(h.tcb.state), tcpStateName(STATE[name]!));
      if (name !== 'SYN-SENT') assert.equal(h.tcb.rcv.nxt, setup.rn >>> 0, 'RCV.NXT');
      assert.equal(h.tcb.snd.nxt, setup.sn >>> 0, 'SND.NXT');
    });
    for (const row of TABLE[name]!) {
      test(row.what, () => {
        const h = setup.make();
        if (row.before !== undefined) {
          // The extra set-up delivers 100 bytes, so the row sees RCV.NXT 100 further on.
          row.before(h, setup.rn + 100, setup.sn);
          h.sink.sent.length = 0;
        }
        const rn = row.before !== undefined ? setup.rn + 100 : setup.rn;
        h.deliver(row.seg(rn, setup.sn));
        h.expect(...row.out(rn, setup.sn));
        assert.equal(tcpStateName(h.tcb.state), tcpStateName(STATE[row.next ?? name]!));
        if (row.errno !== undefined) assert.equal(h.tcb.error, row.errno);
      });
    }
  });
}

test('every synchronized state has its table (and the shared rows)', () => {
  for (const s of SYNCHRONIZED) assert.ok(TABLE[s]!.length > COMMON.length, s);
});
