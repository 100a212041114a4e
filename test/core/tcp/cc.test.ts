/**
 * Congestion control plug-ins (src/core/tcp/cc): CUBIC's window against RFC 9438's formulas on a
 * synthetic ACK clock, its TCP-friendly region, fast convergence, HyStart's two exits, idle and
 * loss handling; Reno's AIMD; the registry and the module-parameter sysctls.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { sockaddr4 } from '../../../src/core/socket/addr.js';
import { type CallResult, isPending, SocketApi, type SysResult } from '../../../src/core/socket/api.js';
import { ERRNO, LINUX } from '../../../src/core/socket/linux.js';
import { Sysctls } from '../../../src/core/stack/sysctl.js';
import {
  CA_STATE_LOSS,
  type CcSock,
  CC_NAMES,
  createCc,
  Cubic,
  CUBIC_DEFAULTS,
  type CubicParams,
  cubicParams,
  CwndEvent,
  moduleParamSysctl,
  Reno,
} from '../../../src/core/tcp/cc/index.js';
import { TcpLayer } from '../../../src/core/tcp/layer.js';
import { INFINITE_SSTHRESH } from '../../../src/core/tcp/recovery.js';
import type { Instant } from '../../../src/core/time/time.js';
import { B4, pair } from '../stack/stack-helpers.js';

const MSS = 1000;

/** A connection as the congestion control sees it, driven by hand. */
class FakeSock implements CcSock {
  cwnd = 10;
  ssthresh = INFINITE_SSTHRESH;
  cwndCnt = 0;
  priorCwnd = 0;
  snd = { una: 0, nxt: 0 };
  now = 1_000_000;
  lastSendAt = 1_000_000;
  sndMss = MSS;
  rtt = { srttUs: 0 };
  mib = {
    TcpExtTCPHystartTrainDetect: 0,
    TcpExtTCPHystartTrainCwnd: 0,
    TcpExtTCPHystartDelayDetect: 0,
    TcpExtTCPHystartDelayCwnd: 0,
  };
}

function cubic(over: Partial<CubicParams> = {}): { sk: FakeSock; cc: Cubic } {
  const sk = new FakeSock();
  const cc = new Cubic(sk, { ...CUBIC_DEFAULTS, ...over });
  cc.init();
  return { sk, cc };
}

/**
 * One round trip of a steady ACK clock in congestion avoidance: cwnd segments, one ACK each,
 * spread evenly over `rttUs`; each ACK carries an RTT sample of `rttUs`.
 */
function caRound(sk: FakeSock, cc: Cubic | Reno, rttUs: number): void {
  const n = sk.cwnd;
  sk.snd.nxt += n * MSS;
  sk.lastSendAt = sk.now;
  for (let i = 0; i < n; i++) {
    sk.now += rttUs / n;
    sk.snd.una += MSS;
    cc.pktsAcked(1, rttUs);
    cc.congAvoid(1);
  }
}

/** RFC 9438 §4.2: W_cubic(t) = C·(t − K)³ + W_max, K = ∛(W_max·(1 − β)/C). */
function wCubic(tSec: number, wMax: number, beta = 0.7, c = 0.4): number {
  const k = Math.cbrt((wMax * (1 - beta)) / c);
  return c * (tSec - k) ** 3 + wMax;
}

describe('CUBIC window growth (RFC 9438)', () => {
  it('follows W(t) = C(t-K)^3 + W_max after a loss, with beta 0.7 and C 0.4', () => {
    const { sk, cc } = cubic({ tcpFriendliness: 0 });
    const rtt = 100_000;
    sk.rtt.srttUs = rtt;
    cc.pktsAcked(1, rtt); // delay_min
    sk.cwnd = 100;
    const ss = cc.ssthresh();
    assert.equal(ss, 70, 'beta = 717/1024');
    assert.equal(cc.lastMaxCwnd, 100);
    sk.ssthresh = ss;
    sk.cwnd = ss;
    const t0 = sk.now;
    const checks = new Map<number, number>();
    while (sk.now - t0 < 8_000_000) {
      caRound(sk, cc, rtt);
      checks.set((sk.now - t0) / 1e6, sk.cwnd);
    }
    // K in 2^-10 s units, as the epoch clock counts (β exactly 717/1024 here).
    assert.ok(Math.abs(cc.k - 1024 * Math.cbrt((100 * (1 - 717 / 1024)) / 0.4)) <= 2, `K ${cc.k}`);
    let compared = 0;
    for (const [t, w] of checks) {
      // cwnd aims at the target one RTT ahead and reaches it within the round: compare with W(t).
      const want = wCubic(t, 100);
      const tol = Math.max(2, want * 0.03);
      assert.ok(Math.abs(w - want) <= tol, `t=${t.toFixed(2)} s: cwnd ${w}, W_cubic ${want.toFixed(1)}`);
      compared++;
    }
    assert.ok(compared > 50);
    // Concave below W_max, plateau around K, convex beyond.
    assert.ok(checks.get([...checks.keys()].find((t) => t > 8)!)! > 120);
  });

  it('has a TCP-friendly region where the Reno estimate leads (short RTT, small W_max)', () => {
    const grow = (friendly: number): number => {
      const { sk, cc } = cubic({ tcpFriendliness: friendly });
      const rtt = 1_000;
      cc.pktsAcked(1, rtt);
      sk.cwnd = 20;
      sk.ssthresh = cc.ssthresh();
      sk.cwnd = sk.ssthresh; // 14
      for (let r = 0; r < 200; r++) caRound(sk, cc, rtt);
      return sk.cwnd;
    };
    const on = grow(1);
    const off = grow(0);
    // RFC 9438 §4.3: W_est grows by α = 3(1 − β)/(1 + β) per RTT; Linux counts 8/15 per RTT.
    const est = 14 + (200 * 8) / 15;
    assert.ok(Math.abs(on - est) <= est * 0.1, `friendly cwnd ${on}, W_est ${est.toFixed(1)}`);
    // Without it the curve alone barely moves in 0.2 s (W_cubic(0.2 s) ≈ 15).
    assert.ok(off <= 17, `cubic-only cwnd ${off}`);
  });

  it('fast convergence lowers W_max when a loss comes below the previous W_max', () => {
    for (const fc of [1, 0]) {
      const { sk, cc } = cubic({ fastConvergence: fc });
      sk.cwnd = 100;
      assert.equal(cc.ssthresh(), 70);
      sk.cwnd = 80;
      assert.equal(cc.ssthresh(), 56);
      assert.equal(cc.lastMaxCwnd, fc ? Math.floor((80 * (1024 + 717)) / 2048) : 80);
    }
  });

  it('limits growth before any loss to 5% per RTT and never below one per two ACKs', () => {
    const { sk, cc } = cubic();
    sk.ssthresh = 50;
    sk.cwnd = 50;
    cc.pktsAcked(1, 10_000);
    caRound(sk, cc, 10_000);
    assert.ok(cc.cnt <= 20 && cc.cnt >= 2, `cnt ${cc.cnt}`);
    assert.ok(sk.cwnd >= 52 && sk.cwnd <= 53, `cwnd ${sk.cwnd}`);
  });

  it('shifts the epoch past idle time and forgets everything on an RTO', () => {
    const { sk, cc } = cubic();
    sk.cwnd = 40;
    sk.ssthresh = cc.ssthresh();
    sk.cwnd = sk.ssthresh;
    caRound(sk, cc, 50_000);
    const epoch = cc.epochStart;
    assert.ok(epoch >= 0);
    sk.lastSendAt = sk.now;
    sk.now += 3_000_000;
    cc.cwndEvent(CwndEvent.TX_START);
    assert.equal(cc.epochStart, Math.min(epoch + 3000, Math.floor(sk.now / 1000)));
    cc.setState(CA_STATE_LOSS);
    assert.equal(cc.epochStart, -1);
    assert.equal(cc.lastMaxCwnd, 0);
    assert.equal(cc.delayMin, 0);
  });
});

/**
 * Slow start on a burst ACK clock: each round sends cwnd segments at once; their ACKs come back
 * `rttUs(round)` later, `spacingUs` apart. Stops when slow start ends or after `maxRounds`.
 */
function slowStart(
  sk: FakeSock,
  cc: Cubic,
  rttUs: (round: number) => number,
  spacingUs: number,
  maxRounds = 12,
): number {
  sk.rtt.srttUs = rttUs(0);
  for (let r = 0; r < maxRounds && sk.cwnd < sk.ssthresh; r++) {
    const n = sk.cwnd;
    const sentAt = sk.now;
    sk.snd.nxt += n * MSS;
    sk.lastSendAt = sentAt;
    for (let i = 0; i < n; i++) {
      sk.now = sentAt + rttUs(r) + i * spacingUs;
      sk.snd.una += MSS;
      cc.pktsAcked(1, sk.now - sentAt);
      cc.congAvoid(1);
    }
    sk.now += spacingUs;
  }
  return sk.cwnd;
}

describe('HyStart', () => {
  it('leaves slow start when the RTT rises by more than delay_min/8 (HYSTART_DELAY)', () => {
    const { sk, cc } = cubic({ hystartDetect: 2 });
    // 100 ms until round 4 (cwnd 160), then 120 ms: more than 100 + clamp(12.5, 4, 16) ms.
    slowStart(sk, cc, (r) => (r < 4 ? 100_000 : 120_000), 100);
    assert.ok(cc.found);
    assert.equal(sk.mib.TcpExtTCPHystartDelayDetect, 1);
    // ssthresh = cwnd at detection; the rest of the round is congestion avoidance.
    assert.equal(sk.mib.TcpExtTCPHystartDelayCwnd, sk.ssthresh);
    assert.ok(sk.ssthresh >= 160 && sk.ssthresh <= 170, `exit cwnd ${sk.ssthresh}`);
    assert.ok(sk.cwnd >= sk.ssthresh && sk.cwnd < sk.ssthresh + 16);
  });

  it('stays in slow start while the RTT holds, or when the rise is below the threshold', () => {
    for (const later of [100_000, 110_000]) {
      const { sk, cc } = cubic({ hystartDetect: 2 });
      slowStart(sk, cc, (r) => (r < 4 ? 100_000 : later), 100, 8);
      assert.equal(cc.found, false);
      assert.equal(sk.ssthresh, INFINITE_SSTHRESH);
      assert.equal(sk.cwnd, 10 * 2 ** 8);
    }
  });

  it('clamps the delay threshold to at least 4 ms on short paths', () => {
    // delay_min 8 ms: an eighth is 1 ms, but the rise must exceed 4 ms.
    for (const [later, exits] of [
      [11_000, false],
      [12_500, true],
    ] as const) {
      const { sk, cc } = cubic({ hystartDetect: 2 });
      slowStart(sk, cc, (r) => (r < 4 ? 8_000 : later), 20, 7);
      assert.equal(cc.found, exits, `RTT 8 ms → ${later / 1000} ms`);
    }
  });

  it('leaves slow start when an ACK train spans half the minimum RTT (HYSTART_ACK_TRAIN)', () => {
    const { sk, cc } = cubic({ hystartDetect: 1 });
    // ACKs 0.5 ms apart: a round of cwnd ACKs spans more than 50 ms once cwnd > 100.
    slowStart(sk, cc, () => 100_000, 500);
    assert.ok(cc.found);
    assert.equal(sk.mib.TcpExtTCPHystartTrainDetect, 1);
    assert.equal(sk.mib.TcpExtTCPHystartTrainCwnd, sk.ssthresh);
    assert.equal(sk.mib.TcpExtTCPHystartDelayDetect, 0);
    // Round 4 starts at cwnd 160 and its train passes 50.5 ms after ~101 ACKs: cwnd ≈ 261.
    assert.ok(sk.ssthresh > 250 && sk.ssthresh < 270, `exit cwnd ${sk.ssthresh}`);
  });

  it('ignores ACKs spaced wider than hystart_ack_delta_us, and windows below hystart_low_window', () => {
    const wide = cubic({ hystartDetect: 1 });
    slowStart(wide.sk, wide.cc, () => 100_000, 2_500, 6);
    assert.equal(wide.cc.found, false);
    const low = cubic({ hystartDetect: 2, hystartLowWindow: 1000 });
    slowStart(low.sk, low.cc, (r) => (r < 2 ? 100_000 : 150_000), 100, 6);
    assert.equal(low.cc.found, false);
    const off = cubic({ hystart: 0 });
    slowStart(off.sk, off.cc, (r) => (r < 2 ? 100_000 : 150_000), 100, 6);
    assert.equal(off.cc.found, false);
  });
});

describe('Reno', () => {
  it('slow start doubles per RTT up to ssthresh, then adds one segment per RTT; a loss halves', () => {
    const sk = new FakeSock();
    const cc = new Reno(sk);
    cc.init();
    sk.ssthresh = 40;
    caRound(sk, cc, 10_000); // 10 → 20
    assert.equal(sk.cwnd, 20);
    caRound(sk, cc, 10_000); // 20 → 40 (capped at ssthresh)
    assert.equal(sk.cwnd, 40);
    for (let r = 0; r < 10; r++) {
      const prev: number = sk.cwnd;
      caRound(sk, cc, 10_000);
      assert.equal(sk.cwnd, prev + 1);
    }
    assert.equal(sk.cwnd, 50);
    assert.equal(cc.ssthresh(), 25);
    sk.cwnd = 3;
    assert.equal(cc.ssthresh(), 2);
    sk.priorCwnd = 50;
    assert.equal(cc.undoCwnd(), 50);
  });

  it('carries the remainder of a slow-start ACK into congestion avoidance', () => {
    const sk = new FakeSock();
    const cc = new Reno(sk);
    sk.cwnd = 9;
    sk.ssthresh = 10;
    cc.congAvoid(4); // +1 to ssthresh, 3 counted towards the next increase
    assert.equal(sk.cwnd, 10);
    assert.equal(sk.cwndCnt, 3);
  });
});

describe('registry and module parameters', () => {
  it('creates by name and refuses unknown names with ENOENT', () => {
    const sk = new FakeSock();
    assert.deepEqual([...CC_NAMES].sort(), ['cubic', 'reno']);
    assert.ok(createCc('cubic', sk) instanceof Cubic);
    assert.ok(createCc('reno', sk) instanceof Reno);
    assert.equal(createCc('bbr', sk), -ERRNO.ENOENT);
    assert.equal(createCc('', sk), -ERRNO.ENOENT);
  });

  it('maps /sys/module/tcp_cubic/parameters to per-stack sysctls', () => {
    assert.equal(moduleParamSysctl('/sys/module/tcp_cubic/parameters/hystart_detect'), 'net.wirestack.cubic_hystart_detect');
    assert.equal(moduleParamSysctl('/sys/module/tcp_cubic/parameters/nope'), undefined);
    assert.equal(moduleParamSysctl('/proc/sys/net/ipv4/tcp_sack'), undefined);
    const s = new Sysctls();
    assert.deepEqual(cubicParams(s), CUBIC_DEFAULTS);
    assert.equal(s.set('net.wirestack.cubic_hystart_detect', '1'), 0);
    assert.equal(s.set('net.wirestack.cubic_beta', '800'), 0);
    assert.notEqual(s.set('net.wirestack.cubic_hystart_detect', '9'), 0);
    const p = cubicParams(s);
    assert.equal(p.hystartDetect, 1);
    assert.equal(p.beta, 800);
    const sk = new FakeSock();
    const cc = new Cubic(sk, p);
    cc.init();
    sk.cwnd = 100;
    assert.equal(cc.ssthresh(), Math.floor((100 * 800) / 1024));
  });
});

describe('TCP_CONGESTION', () => {
  const L = LINUX;
  const settle = (r: CallResult, run: () => Instant): SysResult => {
    for (let i = 0; i < 100 && isPending(r); i++) r = r.pending.retry(run());
    assert.ok(!isPending(r));
    return r;
  };

  it('sets by name before and after connecting, is inherited from the listener, and refuses unknown names', () => {
    const p = pair('ethernet');
    const ta = new TcpLayer(p.a, p.a.sysctls, { rng: new Xoshiro128(1) });
    const tb = new TcpLayer(p.b, p.b.sysctls, { rng: new Xoshiro128(2) });
    p.a.registerTransport(ta);
    p.b.registerTransport(tb);
    const clock = () => p.sim.now();
    const A = new SocketApi(p.a, ta, { clock });
    const B = new SocketApi(p.b, tb, { clock });
    const run = (): Instant => {
      p.sim.runFor(10_000);
      return p.sim.now();
    };
    const get = (api: SocketApi, fd: number): unknown => api.getsockopt(fd, L.SOL_TCP, L.TCP_CONGESTION).value;

    const lfd = B.socket(L.AF_INET, L.SOCK_STREAM, 0).ret;
    assert.equal(get(B, lfd), 'cubic', 'tcp_congestion_control by default');
    assert.equal(B.setsockopt(lfd, L.SOL_TCP, L.TCP_CONGESTION, 'bbr').errno, ERRNO.ENOENT);
    assert.equal(B.setsockopt(lfd, L.SOL_TCP, L.TCP_CONGESTION, 1).errno, ERRNO.EFAULT);
    assert.equal(B.setsockopt(lfd, L.SOL_TCP, L.TCP_CONGESTION, 'reno\0\0').ret, 0);
    assert.equal(get(B, lfd), 'reno');
    assert.equal(B.bind(lfd, sockaddr4(B4, 80)).ret, 0);
    assert.equal(B.listen(lfd, 4).ret, 0);

    const cfd = A.socket(L.AF_INET, L.SOCK_STREAM, 0).ret;
    assert.equal(A.setsockopt(cfd, L.SOL_TCP, L.TCP_CONGESTION, 'reno').ret, 0);
    const c = A.connect(cfd, sockaddr4(B4, 80));
    assert.equal(settle(c, run).ret, 0);
    const sfd = settle(B.accept(lfd), run).ret;
    assert.ok(sfd >= 0);
    assert.equal(get(A, cfd), 'reno');
    assert.equal(get(B, sfd), 'reno', 'the accepted socket inherits the listener\'s choice');
    // Switch a live connection.
    assert.equal(A.setsockopt(cfd, L.SOL_TCP, L.TCP_CONGESTION, 'cubic').ret, 0);
    assert.equal(get(A, cfd), 'cubic');
    assert.equal(A.setsockopt(cfd, L.SOL_TCP, L.TCP_CONGESTION, 'vegas').errno, ERRNO.ENOENT);
    assert.equal(get(A, cfd), 'cubic');
  });
});
