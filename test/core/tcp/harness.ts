/**
 * A small harness for segment-level tests of one `Tcb` ("tcp unit" layer): segment templates in
 * tcpdump notation with sequence numbers relative to the two ISNs (`L` ours, `R` the peer's), a
 * virtual clock that runs the TCB's timers, and `expect(...)` which asserts exactly the segments
 * sent since the last check and then nothing.
 *
 *   h.deliver({ flags: 'S.', seq: R, ack: L + 1, options: [['mss', 1460]] });
 *   h.expect({ flags: '.', seq: L + 1, ack: R + 1 });
 */
import assert from 'node:assert/strict';
import { type SysctlValue, Sysctls } from '../../../src/core/stack/sysctl.js';
import type { ByteRing } from '../../../src/core/storage/ring.js';
import { type TcpSocketOptions, tcpConfig } from '../../../src/core/tcp/config.js';
import { type SegmentSink, TcpState, tcpStateName } from '../../../src/core/tcp/segment.js';
import { Tcb } from '../../../src/core/tcp/tcb.js';
import { instant, type Instant } from '../../../src/core/time/time.js';
import { TcpFlag, TcpRepr, tcpFlagsString } from '../../../src/core/wire/tcp.js';
import type { TcpOptions } from '../../../src/core/wire/tcp-options.js';

/** Our ISS: close to the wrap so every test crosses 2^32. */
export const L = 0xfffffff0;
/** The peer's ISS. */
export const R = 0x7ffffff0;
export const LPORT = 8080;
export const RPORT = 40000;

export type OptSpec =
  | 'nop'
  | 'sackOK'
  | 'eol'
  | readonly ['mss', number]
  | readonly ['wscale', number]
  | readonly ['TS', number, number]
  | readonly ['sack', ...number[]];

export interface SegSpec {
  /** tcpdump flags: `S`, `S.`, `.`, `P.`, `F.`, `FP.`, `R`, `R.`. */
  flags: string;
  seq: number;
  ack?: number;
  win?: number;
  /** Payload: text, bytes, or a length (filled with a pattern). */
  data?: string | Uint8Array | number;
  /** Options in wire order; for `expect`, omitted = not checked, [] = none. */
  options?: readonly OptSpec[];
  /** For `expect`: the virtual time (µs) the segment must have been sent at. */
  at?: number;
}

export function parseFlags(s: string): number {
  let f = 0;
  for (const c of s) {
    if (c === 'S') f |= TcpFlag.SYN;
    else if (c === 'F') f |= TcpFlag.FIN;
    else if (c === 'R') f |= TcpFlag.RST;
    else if (c === 'P') f |= TcpFlag.PSH;
    else if (c === '.') f |= TcpFlag.ACK;
    else if (c === 'U') f |= TcpFlag.URG;
    else if (c === 'E') f |= TcpFlag.ECE;
    else if (c === 'W') f |= TcpFlag.CWR;
    else throw new Error(`bad flag ${c}`);
  }
  return f;
}

export function buildOptions(o: TcpOptions, specs: readonly OptSpec[]): void {
  o.clear();
  for (const s of specs) {
    if (s === 'nop') o.addNop();
    else if (s === 'eol') o.addEol();
    else if (s === 'sackOK') o.addSackPermitted();
    else if (s[0] === 'mss') o.addMss(s[1]);
    else if (s[0] === 'wscale') o.addWindowScale(s[1]);
    else if (s[0] === 'TS') o.addTimestamps(s[1] >>> 0, s[2] >>> 0);
    else o.addSack((s.slice(1) as number[]).map((x) => x >>> 0));
  }
}

export function payloadOf(d: SegSpec['data']): Uint8Array {
  if (d === undefined) return new Uint8Array(0);
  if (typeof d === 'string') return new TextEncoder().encode(d);
  if (typeof d === 'number') {
    const b = new Uint8Array(d);
    for (let i = 0; i < d; i++) b[i] = (i * 7 + 3) & 0xff;
    return b;
  }
  return d;
}

/** A segment as the peer sends it to us. */
export function seg(spec: SegSpec): { repr: TcpRepr; payload: Uint8Array } {
  const r = new TcpRepr();
  r.srcPort = RPORT;
  r.dstPort = LPORT;
  r.seq = spec.seq >>> 0;
  r.ack = (spec.ack ?? 0) >>> 0;
  r.flags = parseFlags(spec.flags);
  r.window = spec.win ?? 65535;
  const payload = payloadOf(spec.data);
  r.payloadLen = payload.length;
  buildOptions(r.options, spec.options ?? []);
  return { repr: r, payload };
}

export interface Sent {
  repr: TcpRepr;
  data: Uint8Array;
  at: number;
}

/** A SegmentSink that records copies of what it is given (or refuses everything). */
export class Capture implements SegmentSink {
  readonly sent: Sent[] = [];
  refuse = false;
  now = 0;
  send(s: TcpRepr, payload: ByteRing | undefined, skip: number, len: number): boolean {
    if (this.refuse) return false;
    assert.equal(s.payloadLen, len, 'payloadLen matches');
    const r = new TcpRepr();
    r.copyFrom(s);
    const data = new Uint8Array(len);
    if (len > 0) {
      assert.ok(payload, 'payload ring given');
      assert.equal(payload.peek(data, 0, len, skip), len, 'payload readable from the ring');
    }
    this.sent.push({ repr: r, data, at: this.now });
    return true;
  }
}

export function describeSeg(r: TcpRepr, at?: number): string {
  return `${at === undefined ? '' : `@${at / 1000}ms `}${r.toString()}`;
}

export interface HarnessOptions {
  sysctls?: Record<string, SysctlValue>;
  sock?: TcpSocketOptions;
}

export class Harness {
  readonly sink = new Capture();
  readonly tcb: Tcb;
  now = 0;

  constructor(opts: HarnessOptions = {}) {
    const cfg = tcpConfig(new Sysctls(undefined, opts.sysctls ?? {}), opts.sock ?? {});
    this.tcb = new Tcb(cfg, this.sink);
    this.tcb.localPort = LPORT;
    this.tcb.remotePort = RPORT;
  }

  get t(): Instant {
    return instant(this.now);
  }

  /** A fresh TCB after connect(). */
  static active(opts: HarnessOptions = {}): Harness {
    const h = new Harness(opts);
    h.tcb.connect(L, h.t);
    return h;
  }

  /** A TCB made from a received SYN (`options` are the SYN's). */
  static passive(options: readonly OptSpec[], opts: HarnessOptions = {}, win = 65535): Harness {
    const h = new Harness(opts);
    const { repr } = seg({ flags: 'S', seq: R, win, options });
    // Replace the TCB by one made with fromSyn, keeping the harness' sink and config.
    const t = Tcb.fromSyn(h.tcb.cfg, h.sink, repr, L, h.t);
    (h as { tcb: Tcb }).tcb = t;
    return h;
  }

  /**
   * An ESTABLISHED connection from an active open (peer: `mss 1460, nop, wscale 7` or the given
   * SYN-ACK options, window `win`), the SYN-ACK arriving `rttMs` after the SYN (so SRTT = rttMs and
   * RTO = rttMs + 200 ms). The handshake's segments are consumed; the clock is at `rttMs`.
   */
  static established(
    opts: HarnessOptions = {},
    synAckOptions?: readonly OptSpec[],
    win = 65535,
    rttMs = 100,
  ): Harness {
    const h = Harness.active(opts);
    h.sink.sent.length = 0;
    h.advanceMs(rttMs);
    h.deliver({ flags: 'S.', seq: R, ack: L + 1, win, options: synAckOptions ?? [['mss', 1460], 'nop', ['wscale', 7]] });
    h.sink.sent.length = 0;
    assert.equal(h.tcb.state, TcpState.ESTABLISHED);
    return h;
  }

  deliver(spec: SegSpec): void {
    const { repr, payload } = seg(spec);
    this.sink.now = this.now;
    this.tcb.input(repr, payload, 0, this.t);
  }

  /** Move the clock forward by `us`, running every timer that falls due on the way. */
  advance(us: number): void {
    const target = this.now + us;
    for (;;) {
      const at = this.tcb.pollAt();
      if (at === undefined || at > target) break;
      this.now = Math.max(this.now, at);
      this.sink.now = this.now;
      this.tcb.poll(this.t);
    }
    this.now = target;
    this.sink.now = target;
  }

  advanceMs(ms: number): void {
    this.advance(ms * 1000);
  }

  send(text: string | number): number {
    const d = payloadOf(text);
    this.sink.now = this.now;
    return this.tcb.send(d, 0, d.length, this.t);
  }

  recv(max = 65536): string {
    const b = new Uint8Array(max);
    const n = this.tcb.recv(b, 0, max, this.t);
    assert.ok(n >= 0, `recv returned ${n}`);
    return new TextDecoder().decode(b.subarray(0, n));
  }

  /** Assert exactly these segments were sent since the last check, then clear the record. */
  expect(...specs: SegSpec[]): void {
    const got = this.sink.sent.splice(0);
    const desc = got.map((s) => describeSeg(s.repr, s.at)).join('\n  ');
    assert.equal(got.length, specs.length, `expected ${specs.length} segment(s), got:\n  ${desc}`);
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i]!;
      const g = got[i]!;
      const r = g.repr;
      const where = `segment ${i}: ${describeSeg(r, g.at)}`;
      assert.equal(tcpFlagsString(r.flags), tcpFlagsString(parseFlags(s.flags)), `flags of ${where}`);
      assert.equal(r.seq, s.seq >>> 0, `seq of ${where}`);
      if (s.ack !== undefined) assert.equal(r.ack, s.ack >>> 0, `ack of ${where}`);
      if (s.win !== undefined) assert.equal(r.window, s.win, `window of ${where}`);
      if (s.at !== undefined) assert.equal(g.at, s.at, `time of ${where}`);
      const want = payloadOf(s.data);
      if (s.data !== undefined && typeof s.data !== 'number') assert.deepEqual(g.data, want, `data of ${where}`);
      else assert.equal(g.data.length, want.length, `length of ${where}`);
      if (s.options !== undefined) {
        const o = new TcpRepr();
        buildOptions(o.options, s.options);
        assert.ok(r.options.equals(o.options), `options of ${where}: want [${o.options.toString()}]`);
      }
    }
  }

  expectNothing(): void {
    this.expect();
  }

  expectState(s: TcpState): void {
    assert.equal(tcpStateName(this.tcb.state), tcpStateName(s));
  }
}
