/**
 * Connection repair: the full state of one TCP connection as a versioned, JSON-serializable record
 * (`TcpRepairRecord`), taken from a TCB (`exportTcb`) and turned back into a live TCB in another
 * `TcpLayer` (`importTcb`). The socket layer's TCP_REPAIR options and `exportConnection` /
 * `importConnection` (socket/repair.ts) are built on these two calls; docs/repair.md describes the
 * whole interface.
 *
 * Record format, version 1 (`TCP_REPAIR_RECORD_VERSION`):
 * - Sequence numbers are uint32 (0 … 2^32 − 1); byte counts and windows are non-negative integers.
 * - Queues are base64 strings (RFC 4648 §4, with padding): compact in JSON and exact. `sndQueueLen`
 *   and `rcvQueueLen` repeat their decoded lengths, so a truncated or mixed-up record is refused.
 * - The send queue starts at `sndUna`; the receive queue (data not yet read by the application)
 *   ends at `rcvNxt` (one before it when the peer's FIN was received, i.e. in CLOSE-WAIT).
 * - `rcvMwndSeq` (RFC 7323 §2.4: the largest right edge of the receive window ever advertised) is
 *   optional: a record without it imports with `rcvWup + rcvWnd`, the right edge of the last ACK.
 *
 * Import resets the retransmission state as a repaired Linux socket starts: SND.NXT = SND.UNA with
 * everything in the send queue unacknowledged, no RTT sample (initial RTO), initial congestion
 * window, a fresh retransmission timer; the peer's ACK to the window probe `resume` sends (or that
 * timer) makes the TCB resend what the peer lacks. TSval continues from the record's `tsVal` (the
 * offset is recomputed against the new clock), so the peer's PAWS test keeps accepting segments.
 *
 * Errors are values (`RepairResult`), never exceptions: see `RepairErrorCode`.
 */
import { ERRNO } from '../socket/linux.js';
import type { IpAddr } from '../stack/transport.js';
import type { Instant } from '../time/time.js';
import { seqAdd, seqGt, seqLt, seqSub } from '../util/seq.js';
import { TcpFlag } from '../wire/tcp.js';
import { DEFAULT_PEER_MSS, MAX_WSCALE, MIN_MSS, type TcpSocketOptions } from './config.js';
import { TcpTuple } from './demux.js';
import type { TcpLayer } from './layer.js';
import { TcpState, tcpStateName } from './segment.js';
import type { Tcb } from './tcb.js';

export const TCP_REPAIR_RECORD_VERSION = 1;

/** States a record can hold. */
export type RepairState = 'ESTABLISHED' | 'CLOSE-WAIT' | 'FIN-WAIT-1' | 'FIN-WAIT-2';

const STATES: Readonly<Record<RepairState, TcpState>> = {
  ESTABLISHED: TcpState.ESTABLISHED,
  'CLOSE-WAIT': TcpState.CLOSE_WAIT,
  'FIN-WAIT-1': TcpState.FIN_WAIT_1,
  'FIN-WAIT-2': TcpState.FIN_WAIT_2,
};

/** Negotiated options (what TCP_REPAIR_OPTIONS sets). */
export interface RepairOptions {
  /** The peer's MSS option (536 when it sent none). */
  mss: number;
  /** Window scale shift the peer applies to our windows / we apply to the peer's; -1 when off. */
  sndWscale: number;
  rcvWscale: number;
  sackPermitted: boolean;
  timestamps: boolean;
}

/** The window state of struct tcp_repair_window, plus `rcvMwndSeq` (not in Linux's struct). */
export interface RepairWindow {
  sndWl1: number;
  sndWnd: number;
  maxWindow: number;
  rcvWnd: number;
  rcvWup: number;
  /** Optional: absent means `rcvWup + rcvWnd`. */
  rcvMwndSeq?: number;
}

export interface TcpRepairRecord extends RepairWindow {
  version: number;
  state: RepairState;
  localPort: number;
  remotePort: number;
  /** Textual addresses, informative (importTcb takes them as an argument); set by the socket layer. */
  local?: string;
  remote?: string;
  iss: number;
  irs: number;
  /** SND.UNA: sequence number of the first byte of the send queue. */
  sndUna: number;
  /** Highest sequence number sent (SND.NXT before any go-back-N rewind). */
  sndMax: number;
  /** RCV.NXT. */
  rcvNxt: number;
  options: RepairOptions;
  /** TSval of the connection at export (the clock plus the offset); 0 when timestamps are off. */
  tsVal: number;
  /** RFC 7323 TS.Recent: the peer's last TSval. */
  tsRecent: number;
  /** Send and receive queue capacities, bytes (what SO_SNDBUF / SO_RCVBUF report). */
  sndBuf: number;
  rcvBuf: number;
  sndQueueLen: number;
  rcvQueueLen: number;
  /** Base64. */
  sndQueue: string;
  rcvQueue: string;
}

/** Why a record or a repair call was refused. */
export type RepairErrorCode =
  /** Not an object, a field missing or of the wrong type or range. */
  | 'format'
  /** `version` is not one this code reads. */
  | 'version'
  /** The connection (or record) is in a state that cannot be exported / imported. */
  | 'state'
  /** Sequence numbers that contradict each other. */
  | 'sequence'
  /** A queue that does not decode or whose length differs from its `…QueueLen`. */
  | 'queue'
  /** Window fields that contradict each other or the sequence numbers. */
  | 'window'
  /** Negotiated options out of range. */
  | 'options'
  /** The 4-tuple is taken, or the local address is not this stack's. */
  | 'address';

export interface RepairError {
  code: RepairErrorCode;
  /** The errno the socket layer reports for it (EINVAL, EADDRINUSE, EADDRNOTAVAIL, …). */
  errno: number;
  message: string;
}

export type RepairResult<T> = { ok: true; value: T } | { ok: false; error: RepairError };

function err<T>(code: RepairErrorCode, message: string, errno: number = ERRNO.EINVAL): RepairResult<T> {
  return { ok: false, error: { code, errno, message } };
}

const U32 = 0x1_0000_0000;
const TS_OPTION_LEN = 12;

// =============================================================== export

/** The state of `tcb` as a record, or an error when its state cannot be carried over. */
export function exportTcb(tcb: Tcb, now: Instant = tcb.now): RepairResult<TcpRepairRecord> {
  const name = stateOf(tcb.state);
  if (name === undefined) {
    return err('state', `cannot export a connection in ${tcpStateName(tcb.state)} (only ${Object.keys(STATES).join(', ')})`);
  }
  const snd = readAll(tcb, true);
  const rcv = readAll(tcb, false);
  const rec: TcpRepairRecord = {
    version: TCP_REPAIR_RECORD_VERSION,
    state: name,
    localPort: tcb.localPort,
    remotePort: tcb.remotePort,
    iss: tcb.iss >>> 0,
    irs: tcb.irs >>> 0,
    sndUna: tcb.snd.una >>> 0,
    sndMax: tcb.snd.max >>> 0,
    rcvNxt: tcb.rcv.nxt >>> 0,
    sndWl1: tcb.snd.wl1 >>> 0,
    sndWnd: tcb.snd.wnd,
    maxWindow: tcb.snd.maxWnd,
    rcvWnd: tcb.rcv.wnd,
    rcvWup: tcb.lastAckSent >>> 0,
    rcvMwndSeq: tcb.rcv.mwndSeq >>> 0,
    options: {
      mss: tcb.peerMss,
      sndWscale: tcb.wsOk ? tcb.sndWscale : -1,
      rcvWscale: tcb.wsOk ? tcb.rcvWscale : -1,
      sackPermitted: tcb.sackOk,
      timestamps: tcb.tsOk,
    },
    tsVal: tcb.tsOk ? tcb.tsClock(now) : 0,
    tsRecent: tcb.tsRecent >>> 0,
    sndBuf: tcb.sndQueue.capacity,
    rcvBuf: tcb.rcvQueue.capacity,
    sndQueueLen: snd.length,
    rcvQueueLen: rcv.length,
    sndQueue: toBase64(snd),
    rcvQueue: toBase64(rcv),
  };
  return { ok: true, value: rec };
}

function stateOf(s: TcpState): RepairState | undefined {
  for (const k of Object.keys(STATES) as RepairState[]) if (STATES[k] === s) return k;
  return undefined;
}

function readAll(tcb: Tcb, send: boolean): Uint8Array {
  const q = send ? tcb.sndQueue : tcb.rcvQueue;
  const out = new Uint8Array(q.length);
  q.peek(out, 0, out.length, 0);
  return out;
}

// =============================================================== validation

/** A record checked and decoded: the queues as bytes. */
export interface CheckedRecord {
  rec: TcpRepairRecord;
  state: TcpState;
  snd: Uint8Array;
  rcv: Uint8Array;
  /** `rcvMwndSeq`, or `rcvWup + rcvWnd` when the record has none. */
  mwndSeq: number;
  /** The FIN is part of the send sequence space (FIN-WAIT-1 / FIN-WAIT-2). */
  finSent: boolean;
}

const isU32 = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < U32;
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0x7fffffff;

/**
 * Validates `input` (typically `JSON.parse` output) as a record: types and ranges, the version,
 * the state, queue encodings and lengths, and the relations between sequence numbers and windows.
 */
export function checkRecord(input: unknown): RepairResult<CheckedRecord> {
  if (typeof input !== 'object' || input === null) return err('format', 'record is not an object');
  const r = input as Record<string, unknown>;
  if (r.version !== TCP_REPAIR_RECORD_VERSION) {
    return err('version', `record version ${String(r.version)} is not supported (expected ${TCP_REPAIR_RECORD_VERSION})`);
  }
  const rec = input as TcpRepairRecord;
  if (typeof r.state !== 'string' || !(r.state in STATES)) return err('state', `cannot import state ${String(r.state)}`);
  for (const k of ['iss', 'irs', 'sndUna', 'sndMax', 'rcvNxt', 'sndWl1', 'rcvWup', 'tsVal', 'tsRecent'] as const) {
    if (!isU32(r[k])) return err('format', `${k} must be a uint32, got ${String(r[k])}`);
  }
  if (r.rcvMwndSeq !== undefined && !isU32(r.rcvMwndSeq)) return err('format', 'rcvMwndSeq must be a uint32');
  for (const k of ['sndWnd', 'maxWindow', 'rcvWnd', 'sndBuf', 'rcvBuf', 'sndQueueLen', 'rcvQueueLen'] as const) {
    if (!isCount(r[k])) return err('format', `${k} must be a non-negative integer, got ${String(r[k])}`);
  }
  for (const k of ['localPort', 'remotePort'] as const) {
    const p = r[k];
    if (!(typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536)) return err('format', `${k} must be 1…65535`);
  }
  const o = r.options as Record<string, unknown> | undefined;
  if (typeof o !== 'object' || o === null) return err('format', 'options missing');
  if (!(typeof o.mss === 'number' && Number.isInteger(o.mss) && o.mss >= MIN_MSS && o.mss <= 0xffff)) {
    return err('options', `mss must be ${MIN_MSS}…65535`);
  }
  const ws = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && x >= -1 && x <= MAX_WSCALE;
  if (!ws(o.sndWscale) || !ws(o.rcvWscale) || (o.sndWscale === -1) !== (o.rcvWscale === -1)) {
    return err('options', `window scales must both be -1 (off) or both 0…${MAX_WSCALE}`);
  }
  if (typeof o.sackPermitted !== 'boolean' || typeof o.timestamps !== 'boolean') {
    return err('options', 'sackPermitted and timestamps must be booleans');
  }

  const snd = typeof r.sndQueue === 'string' ? fromBase64(r.sndQueue) : undefined;
  const rcv = typeof r.rcvQueue === 'string' ? fromBase64(r.rcvQueue) : undefined;
  if (snd === undefined || rcv === undefined) return err('queue', 'sndQueue and rcvQueue must be base64 strings');
  if (snd.length !== rec.sndQueueLen) return err('queue', `sndQueue holds ${snd.length} bytes, sndQueueLen says ${rec.sndQueueLen}`);
  if (rcv.length !== rec.rcvQueueLen) return err('queue', `rcvQueue holds ${rcv.length} bytes, rcvQueueLen says ${rec.rcvQueueLen}`);

  const state = STATES[rec.state];
  const finSent = state === TcpState.FIN_WAIT_1 || state === TcpState.FIN_WAIT_2;
  const finRcvd = state === TcpState.CLOSE_WAIT;
  // Send side: SND.UNA ≤ SND.MAX ≤ SND.UNA + queue (+ the FIN).
  const inFlight = seqSub(rec.sndMax, rec.sndUna);
  if (inFlight < 0 || inFlight > snd.length + (finSent ? 1 : 0)) {
    return err('sequence', `sndMax ${rec.sndMax} is not within sndUna ${rec.sndUna} + ${snd.length} queued bytes`);
  }
  if (state === TcpState.FIN_WAIT_2 && (snd.length !== 0 || inFlight !== 0)) {
    return err('sequence', 'FIN-WAIT-2 needs an empty, fully acknowledged send queue (sndMax = sndUna)');
  }
  // Window: RCV.WUP ≤ RCV.NXT; MAX.SND.WND ≥ SND.WND. SND.WL1 is not checked against the receive
  // window: a segment whose data was dropped for want of room still updated the send window.
  if (seqGt(rec.rcvWup, rec.rcvNxt)) return err('window', `rcvWup ${rec.rcvWup} is after rcvNxt ${rec.rcvNxt}`);
  if (rec.maxWindow < rec.sndWnd) return err('window', `maxWindow ${rec.maxWindow} is below sndWnd ${rec.sndWnd}`);
  const edge = seqAdd(rec.rcvWup, rec.rcvWnd);
  const mwndSeq = rec.rcvMwndSeq ?? edge;
  if (seqLt(mwndSeq, edge)) return err('window', `rcvMwndSeq ${mwndSeq} is left of rcvWup + rcvWnd ${edge}`);
  // A FIN may be taken at a closed window, one past the right edge.
  if (seqGt(rec.rcvNxt, seqAdd(mwndSeq, finRcvd ? 1 : 0))) {
    return err('window', `rcvNxt ${rec.rcvNxt} is beyond the largest right edge ${mwndSeq}`);
  }
  if (!o.timestamps && (rec.tsVal !== 0 || rec.tsRecent !== 0)) {
    return err('options', 'tsVal and tsRecent must be 0 when timestamps are off');
  }
  return { ok: true, value: { rec, state, snd, rcv, mwndSeq, finSent } };
}

// =============================================================== import

/** The addresses of an imported connection (the ports come from the record). */
export interface RepairAddresses {
  local: IpAddr;
  remote: IpAddr;
}

/**
 * Builds a TCB in `layer` with the state of `input` (checked with `checkRecord`) between
 * `addrs.local` and `addrs.remote`, registers it in the layer's demux and returns it. Nothing is
 * sent: call `resume(layer, tcb, now)` once the new location owns the addresses (the socket layer's
 * TCP_REPAIR off and `importConnection` do).
 */
export function importTcb(
  layer: TcpLayer,
  input: unknown,
  addrs: RepairAddresses,
  now: Instant,
  opts: TcpSocketOptions = {},
): RepairResult<Tcb> {
  const c = checkRecord(input);
  if (!c.ok) return c;
  const { rec, snd, rcv } = c.value;
  const t = new TcpTuple().setAddrs(addrs.local, addrs.remote);
  if (typeof addrs.local !== typeof addrs.remote) return err('address', 'local and remote are of different families');
  t.localPort = rec.localPort;
  t.remotePort = rec.remotePort;
  // SO_SNDBUF / SO_RCVBUF hold half of what the TCB uses (tcpConfig doubles them).
  const sndBuf = Math.max(rec.sndBuf, snd.length);
  const rcvBuf = Math.max(rec.rcvBuf, rcv.length);
  const made = layer.adopt(t, { ...opts, sndBuf: Math.ceil(sndBuf / 2), rcvBuf: Math.ceil(rcvBuf / 2) }, now, (tcb) =>
    fill(tcb, c.value, now),
  );
  if (typeof made === 'number') {
    const e = -made;
    return err('address', e === ERRNO.EADDRINUSE ? 'the 4-tuple is in use' : 'the local address is not this stack’s', e);
  }
  return { ok: true, value: made };
}

/** Writes the checked state into a fresh TCB. */
function fill(tcb: Tcb, c: CheckedRecord, now: Instant): void {
  const { rec, snd, rcv, state } = c;
  const o = rec.options;
  tcb.now = now;
  tcb.opened = true;
  tcb.iss = rec.iss;
  tcb.irs = rec.irs;
  // ---- options (as `negotiate` would have left them) ----
  tcb.peerMss = Math.max(o.mss, 48);
  tcb.wsOk = o.sndWscale >= 0;
  tcb.sndWscale = tcb.wsOk ? o.sndWscale : 0;
  tcb.rcvWscale = tcb.wsOk ? o.rcvWscale : 0;
  tcb.tsOk = o.timestamps;
  tcb.sackOk = o.sackPermitted;
  tcb.tsRecent = rec.tsRecent;
  tcb.tsOffset = o.timestamps ? (rec.tsVal - Math.floor(now / 1000)) >>> 0 : 0;
  const base = Math.min(tcb.peerMss, tcb.cfg.mtuMss);
  tcb.sndMss = Math.max(MIN_MSS - TS_OPTION_LEN, base - (tcb.tsOk ? TS_OPTION_LEN : 0));
  tcb.rcvMss = Math.min(DEFAULT_PEER_MSS, tcb.cfg.advMss);
  // ---- queues, with the exported capacities ----
  const sndBuf = Math.max(rec.sndBuf, snd.length);
  const rcvBuf = Math.max(rec.rcvBuf, rcv.length);
  tcb.cfg.sndBuf = sndBuf;
  tcb.cfg.rcvBuf = rcvBuf;
  tcb.sndQueue.resize(sndBuf);
  tcb.rcvQueue.resize(rcvBuf);
  tcb.sndQueue.write(snd, 0, snd.length);
  tcb.rcvQueue.write(rcv, 0, rcv.length);
  // ---- send sequence: everything queued is unacknowledged, SND.NXT back at SND.UNA ----
  tcb.snd.una = rec.sndUna;
  tcb.snd.nxt = rec.sndUna;
  tcb.snd.max = rec.sndMax;
  tcb.snd.wnd = rec.sndWnd;
  tcb.snd.maxWnd = rec.maxWindow;
  tcb.snd.wl1 = rec.sndWl1;
  tcb.snd.wl2 = rec.sndUna;
  tcb.sndSml = rec.sndUna;
  // ---- receive sequence ----
  tcb.rcv.nxt = rec.rcvNxt;
  tcb.rcv.wnd = rec.rcvWnd;
  tcb.rcv.mwndSeq = c.mwndSeq;
  tcb.lastAckSent = rec.rcvWup;
  // ---- closing ----
  if (c.finSent) {
    tcb.finQueued = true;
    tcb.finSeq = seqAdd(rec.sndUna, snd.length);
    tcb.finAcked = state === TcpState.FIN_WAIT_2;
  }
  if (state === TcpState.CLOSE_WAIT) tcb.finReceived = true;
  // ---- retransmission state as after a repair: no RTT sample, initial window, timer armed ----
  tcb.cwnd = tcb.cfg.initCwnd;
  tcb.ssthresh = 0x7fffffff;
  tcb.backoff = 0;
  tcb.retransmits = 0;
  tcb.timing = false;
  tcb.state = state;
  if (tcb.snd.una !== tcb.snd.max || (tcb.unsent() > 0 && tcb.snd.wnd === 0)) {
    tcb.rtxAt = (now + tcb.rto()) as Instant;
  }
  if (state === TcpState.FIN_WAIT_2 && tcb.orphan) tcb.finWait2At = (now + tcb.cfg.finTimeoutUs) as Instant;
}

/**
 * Resume a repaired connection (TCP_REPAIR off): a window probe (a pure ACK one below SND.UNA, as
 * a repaired Linux socket sends) draws the peer's ACK with its current window, whose arrival starts
 * (re)transmission from SND.UNA; the retransmission timer covers a lost probe. `probe` false is
 * TCP_REPAIR_OFF_NO_WP: nothing is sent.
 */
export function resume(layer: TcpLayer, tcb: Tcb, now: Instant, probe = true): void {
  tcb.now = now;
  if (probe && tcb.synchronized()) tcb.xmit(TcpFlag.ACK, seqAdd(tcb.snd.una, -1), 0, 0, now);
  if (tcb.rtxAt === undefined && (tcb.snd.una !== tcb.snd.max || tcb.unsent() > 0)) {
    tcb.rtxAt = (now + tcb.rto()) as Instant;
  }
  layer.touch(tcb);
}

/**
 * Applies TCP_REPAIR_WINDOW to a repaired TCB (validated like a record's window fields); an error
 * when the values contradict the connection's sequence numbers.
 */
export function setRepairWindow(tcb: Tcb, w: RepairWindow): RepairResult<undefined> {
  for (const k of ['sndWl1', 'rcvWup'] as const) if (!isU32(w[k])) return err('format', `${k} must be a uint32`);
  for (const k of ['sndWnd', 'maxWindow', 'rcvWnd'] as const) if (!isCount(w[k])) return err('format', `${k} must be ≥ 0`);
  if (w.rcvMwndSeq !== undefined && !isU32(w.rcvMwndSeq)) return err('format', 'rcvMwndSeq must be a uint32');
  if (seqGt(w.rcvWup, tcb.rcv.nxt)) return err('window', 'rcvWup is after RCV.NXT');
  if (w.maxWindow < w.sndWnd) return err('window', 'maxWindow is below sndWnd');
  const edge = seqAdd(w.rcvWup, w.rcvWnd);
  const m = w.rcvMwndSeq ?? edge;
  if (seqLt(m, edge)) return err('window', 'rcvMwndSeq is left of rcvWup + rcvWnd');
  tcb.snd.wl1 = w.sndWl1;
  tcb.snd.wnd = w.sndWnd;
  tcb.snd.maxWnd = w.maxWindow;
  tcb.rcv.wnd = w.rcvWnd;
  tcb.lastAckSent = w.rcvWup;
  tcb.rcv.mwndSeq = m;
  return { ok: true, value: undefined };
}

/** TCP_REPAIR_WINDOW as read from a TCB. */
export function getRepairWindow(tcb: Tcb): Required<RepairWindow> {
  return {
    sndWl1: tcb.snd.wl1 >>> 0,
    sndWnd: tcb.snd.wnd,
    maxWindow: tcb.snd.maxWnd,
    rcvWnd: tcb.rcv.wnd,
    rcvWup: tcb.lastAckSent >>> 0,
    rcvMwndSeq: tcb.rcv.mwndSeq >>> 0,
  };
}

// =============================================================== base64 (RFC 4648 §4)

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Base64 with padding. */
export function toBase64(b: Uint8Array): string {
  const parts: string[] = [];
  let line = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = b.length - i;
    const x = (b[i]! << 16) | ((n > 1 ? b[i + 1]! : 0) << 8) | (n > 2 ? b[i + 2]! : 0);
    line +=
      ALPHABET[(x >>> 18) & 63]! +
      ALPHABET[(x >>> 12) & 63]! +
      (n > 1 ? ALPHABET[(x >>> 6) & 63]! : '=') +
      (n > 2 ? ALPHABET[x & 63]! : '=');
    if (line.length >= 4096) {
      parts.push(line);
      line = '';
    }
  }
  parts.push(line);
  return parts.join('');
}

/** Decodes padded base64; undefined for any other character, a bad length or misplaced padding. */
export function fromBase64(s: string): Uint8Array | undefined {
  if (s.length % 4 !== 0) return undefined;
  let pad = 0;
  if (s.length > 0 && s.charCodeAt(s.length - 1) === 61) pad = s.charCodeAt(s.length - 2) === 61 ? 2 : 1;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    let x = 0;
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      let v: number;
      if (c === 61 && last && j >= 4 - pad) v = 0;
      else {
        v = c < 128 ? DECODE[c]! : -1;
        if (v < 0) return undefined;
      }
      x = (x << 6) | v;
    }
    out[o++] = x >>> 16;
    if (o < out.length) out[o++] = (x >>> 8) & 255;
    if (o < out.length) out[o++] = x & 255;
  }
  return out;
}
