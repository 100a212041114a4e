/**
 * Reno / NewReno congestion control (RFC 5681 §3.1), in Linux's segment-counting form: slow start
 * adds one segment per segment ACKed up to ssthresh, congestion avoidance one segment per cwnd
 * segments ACKed, and a loss halves cwnd (at least 2).
 */
import type { CcSock, CongestionControl, CwndEvent } from './types.js';

/** Slow start up to ssthresh (Linux tcp_slow_start); returns the ACKed segments left over. */
export function slowStart(sk: CcSock, acked: number): number {
  const cwnd = Math.min(sk.cwnd + acked, sk.ssthresh);
  const left = acked - (cwnd - sk.cwnd);
  if (cwnd > sk.cwnd) sk.cwnd = cwnd;
  return left;
}

/** Additive increase: one segment per `w` segments ACKed (Linux tcp_cong_avoid_ai). */
export function congAvoidAi(sk: CcSock, w: number, acked: number): void {
  if (sk.cwndCnt >= w) {
    sk.cwndCnt = 0;
    sk.cwnd++;
  }
  sk.cwndCnt += acked;
  if (sk.cwndCnt >= w) {
    const delta = Math.floor(sk.cwndCnt / w);
    sk.cwndCnt -= delta * w;
    sk.cwnd += delta;
  }
}

export class Reno implements CongestionControl {
  readonly name = 'reno';

  constructor(private readonly sk: CcSock) {}

  init(): void {}

  ssthresh(): number {
    return Math.max(this.sk.cwnd >> 1, 2);
  }

  congAvoid(acked: number): void {
    const sk = this.sk;
    if (sk.cwnd < sk.ssthresh) {
      acked = slowStart(sk, acked);
      if (acked <= 0) return;
    }
    congAvoidAi(sk, sk.cwnd, acked);
  }

  pktsAcked(_acked: number, _rttUs: number): void {}

  setState(_caState: number): void {}

  cwndEvent(_ev: CwndEvent): void {}

  undoCwnd(): number {
    return Math.max(this.sk.cwnd, this.sk.priorCwnd);
  }
}
