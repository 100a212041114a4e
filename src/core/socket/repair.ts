/**
 * Connection repair at the socket layer: the TCP_REPAIR family of socket options and the
 * record-level `exportConnection` / `importConnection` of `SocketApi` (api.ts only dispatches here).
 * The state itself is carried by tcp/repair.ts; docs/repair.md describes the interface.
 *
 * Options (level SOL_TCP), in Linux's numbering (linux.ts):
 * - TCP_REPAIR: 1 enters repair mode (Linux asks for CAP_NET_ADMIN; this stack has no capabilities
 *   and allows it); 0 leaves it and sends a window probe; -1 (TCP_REPAIR_OFF_NO_WP) leaves it
 *   silently. While in repair mode, close() drops the connection without a FIN or RST.
 * - TCP_REPAIR_QUEUE: selects TCP_SEND_QUEUE / TCP_RECV_QUEUE / TCP_NO_QUEUE (repair mode only).
 * - TCP_QUEUE_SEQ (get): the selected queue's sequence number: the end of the send queue (Linux
 *   write_seq) or RCV.NXT. Setting it (Linux: before a repair-mode connect) is not supported: a
 *   connection is restored whole, with `importConnection`.
 * - TCP_REPAIR_WINDOW (get/set, repair mode): `TcpRepairWindow`, Linux's struct tcp_repair_window
 *   plus `rcv_mwnd_seq`, which Linux's struct lacks; a set without it takes rcv_wup + rcv_wnd.
 * - TCP_REPAIR_OPTIONS (set, repair mode): `{ code, value }` pairs as Linux takes them: TCPOPT_MSS,
 *   TCPOPT_WINDOW (snd_wscale | rcv_wscale << 16), TCPOPT_SACK_PERM, TCPOPT_TIMESTAMP.
 * - TCP_TIMESTAMP (get; set in repair mode): the connection's current TSval; setting it moves the
 *   timestamp offset so that TSval continues from the value given.
 *
 * Socket-layer state lives in a WeakMap keyed by the socket, so api.ts's socket record is untouched.
 */
import type { IpAddr } from '../stack/transport.js';
import type { TcpLayer } from '../tcp/layer.js';
import {
  exportTcb,
  getRepairWindow,
  importTcb,
  type RepairErrorCode,
  type RepairResult,
  resume,
  setRepairWindow,
  type TcpRepairRecord,
} from '../tcp/repair.js';
import { TcpState } from '../tcp/segment.js';
import type { Tcb } from '../tcp/tcb.js';
import type { Instant } from '../time/time.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../wire/address.js';
import { fromIp, isMapped16, type SockAddr, toIpAddr, unmap16 } from './addr.js';
import { ERRNO, LINUX } from './linux.js';

/** struct tcp_repair_window, with this stack's `rcv_mwnd_seq` (optional on set). */
export interface TcpRepairWindow {
  snd_wl1: number;
  snd_wnd: number;
  max_window: number;
  rcv_wnd: number;
  rcv_wup: number;
  rcv_mwnd_seq?: number;
}

/** One entry of TCP_REPAIR_OPTIONS (struct tcp_repair_opt). */
export interface TcpRepairOpt {
  code: number;
  value: number;
}

export type RepairOptValue = TcpRepairWindow | TcpRepairOpt[];

/** TCP option kinds TCP_REPAIR_OPTIONS takes (RFC 9293, RFC 7323, RFC 2018). */
export const TCPOPT = { MSS: 2, WINDOW: 3, SACK_PERM: 4, TIMESTAMP: 8 } as const;

/** What api.ts's socket record offers this module. */
export interface RepairSock {
  readonly family: number;
  readonly isTcp: boolean;
  tcb: Tcb | undefined;
  local: SockAddr;
  peer: SockAddr | undefined;
  connected: boolean;
}

export interface RepairSysResult {
  ret: number;
  errno?: number;
  value?: number | TcpRepairWindow;
}

class RepairMode {
  on = false;
  queue: number = LINUX.TCP_NO_QUEUE;
}

const modes = new WeakMap<RepairSock, RepairMode>();

const ok = (value?: number | TcpRepairWindow): RepairSysResult =>
  value === undefined ? { ret: 0 } : { ret: 0, value };
const fail = (errno: number): RepairSysResult => ({ ret: -1, errno });

/** The socket is in repair mode. */
export function inRepair(s: RepairSock): boolean {
  return modes.get(s)?.on === true;
}

/** getsockopt(SOL_TCP, name) for the repair options; undefined for any other option. */
export function repairGetsockopt(s: RepairSock, name: number, now: Instant): RepairSysResult | undefined {
  const m = modes.get(s);
  const t = s.tcb;
  switch (name) {
    case LINUX.TCP_REPAIR:
      return ok(m?.on === true ? 1 : 0);
    case LINUX.TCP_REPAIR_QUEUE:
      if (m?.on !== true) return fail(ERRNO.EPERM);
      return ok(m.queue);
    case LINUX.TCP_QUEUE_SEQ:
      if (m === undefined || m.queue === LINUX.TCP_NO_QUEUE) return fail(ERRNO.EINVAL);
      if (t === undefined) return ok(0);
      return ok(m.queue === LINUX.TCP_SEND_QUEUE ? (t.snd.una + t.sndQueue.length) >>> 0 : t.rcv.nxt >>> 0);
    case LINUX.TCP_REPAIR_WINDOW: {
      if (m?.on !== true) return fail(ERRNO.EPERM);
      if (t === undefined || !t.synchronized()) return fail(ERRNO.EINVAL);
      const w = getRepairWindow(t);
      return ok({
        snd_wl1: w.sndWl1,
        snd_wnd: w.sndWnd,
        max_window: w.maxWindow,
        rcv_wnd: w.rcvWnd,
        rcv_wup: w.rcvWup,
        rcv_mwnd_seq: w.rcvMwndSeq,
      });
    }
    case LINUX.TCP_TIMESTAMP:
      return ok(t !== undefined && t.tsOk ? t.tsClock(now) : 0);
    default:
      return undefined;
  }
}

/** setsockopt(SOL_TCP, name) for the repair options; undefined for any other option. */
export function repairSetsockopt(
  s: RepairSock,
  tcp: TcpLayer,
  name: number,
  value: unknown,
  now: Instant,
): RepairSysResult | undefined {
  const int = typeof value === 'number' ? value | 0 : undefined;
  const t = s.tcb;
  switch (name) {
    case LINUX.TCP_REPAIR: {
      if (int === undefined) return fail(ERRNO.EINVAL);
      if (int === LINUX.TCP_REPAIR_ON) {
        let m = modes.get(s);
        if (m === undefined) modes.set(s, (m = new RepairMode()));
        m.on = true;
        return ok();
      }
      if (int !== LINUX.TCP_REPAIR_OFF && int !== LINUX.TCP_REPAIR_OFF_NO_WP) return fail(ERRNO.EINVAL);
      const m = modes.get(s);
      if (m?.on === true) {
        m.on = false;
        m.queue = LINUX.TCP_NO_QUEUE;
        if (t !== undefined && t.synchronized()) resume(tcp, t, now, int === LINUX.TCP_REPAIR_OFF);
      }
      return ok();
    }
    case LINUX.TCP_REPAIR_QUEUE: {
      const m = modes.get(s);
      if (m?.on !== true) return fail(ERRNO.EPERM);
      if (int !== LINUX.TCP_NO_QUEUE && int !== LINUX.TCP_SEND_QUEUE && int !== LINUX.TCP_RECV_QUEUE) {
        return fail(ERRNO.EINVAL);
      }
      m.queue = int;
      return ok();
    }
    case LINUX.TCP_QUEUE_SEQ:
      if (!inRepair(s)) return fail(ERRNO.EPERM);
      // Linux takes it only before a repair-mode connect; connections are restored whole here.
      return fail(t !== undefined ? ERRNO.EPERM : ERRNO.EOPNOTSUPP);
    case LINUX.TCP_REPAIR_WINDOW: {
      if (!inRepair(s)) return fail(ERRNO.EPERM);
      if (t === undefined || !t.synchronized()) return fail(ERRNO.EINVAL);
      if (typeof value !== 'object' || value === null || !('rcv_wup' in value)) return fail(ERRNO.EINVAL);
      const w = value as TcpRepairWindow;
      const r = setRepairWindow(t, {
        sndWl1: w.snd_wl1,
        sndWnd: w.snd_wnd,
        maxWindow: w.max_window,
        rcvWnd: w.rcv_wnd,
        rcvWup: w.rcv_wup,
        ...(w.rcv_mwnd_seq !== undefined ? { rcvMwndSeq: w.rcv_mwnd_seq } : {}),
      });
      return r.ok ? ok() : fail(r.error.errno);
    }
    case LINUX.TCP_REPAIR_OPTIONS: {
      if (!inRepair(s)) return fail(ERRNO.EPERM);
      if (t === undefined || t.state !== TcpState.ESTABLISHED) return fail(ERRNO.EPERM);
      if (!Array.isArray(value)) return fail(ERRNO.EINVAL);
      return setOptions(t, value as TcpRepairOpt[]);
    }
    case LINUX.TCP_TIMESTAMP:
      if (!inRepair(s)) return fail(ERRNO.EPERM);
      if (int === undefined || t === undefined) return fail(ERRNO.EINVAL);
      t.tsOffset = ((value as number) - Math.floor(now / 1000)) >>> 0;
      return ok();
    default:
      return undefined;
  }
}

function setOptions(t: Tcb, opts: readonly TcpRepairOpt[]): RepairSysResult {
  for (const o of opts) {
    if (typeof o !== 'object' || o === null || !Number.isInteger(o.code) || !Number.isInteger(o.value)) {
      return fail(ERRNO.EINVAL);
    }
    switch (o.code) {
      case TCPOPT.MSS: {
        if (o.value < 48 || o.value > 0xffff) return fail(ERRNO.EINVAL);
        t.peerMss = o.value;
        const base = Math.min(t.peerMss, t.cfg.mtuMss);
        t.sndMss = Math.max(76, base - (t.tsOk ? 12 : 0));
        break;
      }
      case TCPOPT.WINDOW: {
        const snd = o.value & 0xffff;
        const rcv = o.value >>> 16;
        if (snd > 14 || rcv > 14) return fail(ERRNO.EFBIG);
        t.wsOk = true;
        t.sndWscale = snd;
        t.rcvWscale = rcv;
        break;
      }
      case TCPOPT.SACK_PERM:
        if (o.value !== 0) return fail(ERRNO.EINVAL);
        t.sackOk = true;
        break;
      case TCPOPT.TIMESTAMP:
        if (o.value !== 0) return fail(ERRNO.EINVAL);
        t.tsOk = true;
        break;
      default:
        // Linux ignores option codes it does not know.
        break;
    }
  }
  return ok();
}

/**
 * close() in repair mode: the connection leaves the table without a FIN or RST (its state was
 * checkpointed to live elsewhere). True when handled.
 */
export function repairClose(s: RepairSock, tcp: TcpLayer): boolean {
  const t = s.tcb;
  if (t === undefined || !inRepair(s)) return false;
  t.orphan = true;
  t.toClosed();
  tcp.touch(t);
  s.tcb = undefined;
  return true;
}

function repairFail<T>(code: RepairErrorCode, errno: number, message: string): RepairResult<T> {
  return { ok: false, error: { code, errno, message } };
}

/** `SocketApi.exportConnection`: the record of a socket's connection, with its addresses. */
export function exportSocket(s: RepairSock | number, now: Instant): RepairResult<TcpRepairRecord> {
  if (typeof s === 'number') return repairFail('state', s, 'not a socket');
  const t = s.tcb;
  if (!s.isTcp || t === undefined || s.peer === undefined) {
    return repairFail('state', ERRNO.ENOTCONN, 'the socket has no connection');
  }
  const r = exportTcb(t, now);
  if (!r.ok) return r;
  r.value.local = formatAddr(toIpAddr(s.local));
  r.value.remote = formatAddr(toIpAddr(s.peer));
  return r;
}

/**
 * `SocketApi.importConnection`: a connection built from `record` (its `local` and `remote` address
 * strings, unless `addrs` gives them) and resumed at once (as TCP_REPAIR off: window probe sent);
 * `adoptSock` makes the socket and its fd.
 */
export function importSocket(
  tcp: TcpLayer,
  record: unknown,
  now: Instant,
  adoptSock: (family: number) => { sock: RepairSock; fd: number },
  addrs?: { local: IpAddr; remote: IpAddr },
): RepairResult<number> {
  let a = addrs;
  if (a === undefined) {
    const r = record as Partial<TcpRepairRecord> | null;
    const local = typeof r === 'object' && r !== null ? parseAddr(r.local) : undefined;
    const remote = typeof r === 'object' && r !== null ? parseAddr(r.remote) : undefined;
    if (local === undefined || remote === undefined) {
      return repairFail('address', ERRNO.EINVAL, 'the record has no valid local/remote address');
    }
    a = { local, remote };
  }
  const imp = importTcb(tcp, record, a, now);
  if (!imp.ok) return imp;
  const tcb = imp.value;
  const rec = record as TcpRepairRecord;
  const family = typeof a.local === 'number' ? LINUX.AF_INET : LINUX.AF_INET6;
  const { sock, fd } = adoptSock(family);
  sock.tcb = tcb;
  sock.connected = true;
  sock.local = fromIp(family, a.local, rec.localPort);
  sock.peer = fromIp(family, a.remote, rec.remotePort);
  resume(tcp, tcb, now, true);
  return { ok: true, value: fd };
}

function formatAddr(a: IpAddr): string {
  return typeof a === 'number' ? formatIpv4(a) : formatIpv6(a);
}

function parseAddr(s: unknown): IpAddr | undefined {
  if (typeof s !== 'string') return undefined;
  if (s.includes(':')) {
    const b = new Uint8Array(16);
    if (!parseIpv6(s, b)) return undefined;
    return isMapped16(b) ? unmap16(b) : b;
  }
  const v = parseIpv4(s);
  return Number.isInteger(v) && v >= 0 ? v : undefined;
}
